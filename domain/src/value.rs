//! Validated value types: parse, don't validate.
//!
//! Each type has private fields and a `parse` constructor, so a value that exists is valid.
//! Error messages are plain Chinese, because they are shown next to form fields to residents.

use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;

/// Why a raw input could not become a value type. The message is shown to end users.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// One bad field of a request, as listed in a `validation.failed` problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The request field, in the request's own naming (`contact_phone`, `hours[1].hours`).
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl FieldError {
    /// A field error from a field name and a message.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A mainland China mobile number: 11 digits starting with `1[3-9]`. A leading `+86`/`86`
/// and spaces or hyphens are accepted on input and dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a mobile number as people type it.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| {
                if digits.len() == 13 {
                    digits.strip_prefix("86")
                } else {
                    None
                }
            })
            .unwrap_or(&digits);
        let bytes = digits.as_bytes();
        let ok = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if ok {
            Ok(Self(digits.to_owned()))
        } else {
            Err(ParseError::new("请填写11位手机号码，如 13812345678"))
        }
    }

    /// The number with its middle four digits hidden: `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks the middle of a stored phone number (`138****5678`); anything too short is fully hidden.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".to_owned()
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hours given by one volunteer on one order: more than 0, at most 24, in steps of half an hour.
/// Stored as a count of half hours so sums are exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hours(u16);

impl Hours {
    /// The most one volunteer may give on one day, across all orders.
    pub const MAX_PER_DAY: Hours = Hours(48);

    /// Parses hours as sent in JSON (`1.5`).
    pub fn parse(raw: f64) -> Result<Self, ParseError> {
        if !raw.is_finite() || raw <= 0.0 || raw > 24.0 {
            return Err(ParseError::new("时长须大于0且不超过24小时"));
        }
        let halves = raw * 2.0;
        if (halves - halves.round()).abs() > 1e-9 {
            return Err(ParseError::new("时长以0.5小时为单位"));
        }
        Ok(Self(halves.round() as u16))
    }

    /// From a count of half hours, as stored.
    pub fn from_halves(halves: u16) -> Result<Self, ParseError> {
        Self::parse(f64::from(halves) / 2.0)
    }

    /// The count of half hours, as stored.
    pub fn halves(self) -> u16 {
        self.0
    }

    /// Hours as a number, for JSON.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 2.0
    }
}

/// A resident's rating of a completed order: 1 to 5 stars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score(u8);

impl Score {
    /// Parses a score; anything outside 1–5 is refused.
    pub fn parse(raw: i64) -> Result<Self, ParseError> {
        u8::try_from(raw)
            .ok()
            .filter(|s| (1..=5).contains(s))
            .map(Self)
            .ok_or_else(|| ParseError::new("评分须为1到5的整数"))
    }

    /// The score as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// The short code a resident uses to follow an order: 8 characters from an alphabet without
/// look-alikes (no 0/O, 1/I). Input is case-insensitive and may contain spaces or hyphens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TrackingCode(String);

impl TrackingCode {
    /// The characters a code is made of: digits and capitals minus `0`, `1`, `I`, `O`.
    pub const ALPHABET: &'static [u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    /// Characters in a code.
    pub const LEN: usize = 8;

    /// Builds a code from random bytes (one byte a character), so the caller picks the source
    /// of randomness and this crate stays pure.
    pub fn from_random(bytes: [u8; Self::LEN]) -> Self {
        Self(
            bytes
                .iter()
                .map(|b| Self::ALPHABET[usize::from(b % 32)] as char)
                .collect(),
        )
    }

    /// Parses a code as typed by a person.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let code: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() == Self::LEN && code.bytes().all(|b| Self::ALPHABET.contains(&b)) {
            Ok(Self(code))
        } else {
            Err(ParseError::new("查询码为8位字母或数字"))
        }
    }
}

impl AsRef<str> for TrackingCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trimmed text with a length limit in characters (not bytes: most text here is Chinese).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<const MIN: usize, const MAX: usize>(String);

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    /// Trims and checks the length; control characters other than line breaks are refused.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let text = raw.trim();
        let len = text.chars().count();
        if len < MIN {
            return Err(ParseError::new("不能为空"));
        }
        if len > MAX {
            return Err(ParseError::new(format!("不能超过{MAX}个字")));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(ParseError::new("含有不可见的控制字符"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MIN: usize, const MAX: usize> AsRef<str> for Text<MIN, MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What the resident needs, in their words.
pub type Description = Text<1, 2000>;
/// A person's name (contact, volunteer's real name, display name).
pub type PersonName = Text<1, 50>;
/// A reason for rejecting, returning, releasing or cancelling.
pub type Reason = Text<1, 500>;
/// A free note or comment; may be empty.
pub type Note = Text<0, 500>;
/// The summary a team files when completing an order.
pub type Summary = Text<1, 2000>;
/// A street address or place description.
pub type Address = Text<0, 200>;
/// The name of a station, department, team or village.
pub type EntityName = Text<1, 100>;
/// A volunteer's skills, free text.
pub type Skills = Text<0, 500>;

/// An email address: one `@`, something on both sides, a dot in the domain, no spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address; only obvious mistakes are caught, delivery proves the rest.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let email = raw.trim();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Self(email.to_owned()))
        } else {
            Err(ParseError::new("邮箱格式不正确"))
        }
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A mainland resident identity card number (18 characters, ISO 7064 MOD 11-2 check digit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    /// Parses an ID number and checks its check digit.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHECK: &[u8; 11] = b"10X98765432";
        let id = raw.trim().to_ascii_uppercase();
        let bytes = id.as_bytes();
        let bad = || ParseError::new("身份证号码不正确");
        if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        if CHECK[(sum % 11) as usize] != bytes[17] {
            return Err(bad());
        }
        Ok(Self(id))
    }

    /// The number with the birth date and sequence hidden: `150625********123X`.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Masks a stored ID number, keeping the region and the last four characters.
pub fn mask_id_number(id: &str) -> String {
    if id.len() == 18 && id.is_ascii() {
        format!("{}********{}", &id[..6], &id[14..])
    } else {
        "********".to_owned()
    }
}

impl AsRef<str> for IdNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A number of people: expected attendees of a request, or attendees (person-times) served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attendees(u32);

impl Attendees {
    /// The largest count accepted; larger figures are typing mistakes.
    pub const MAX: u32 = 100_000;

    /// Parses a head count: 1 to 100,000.
    pub fn parse(raw: i64) -> Result<Self, ParseError> {
        u32::try_from(raw)
            .ok()
            .filter(|n| (1..=Self::MAX).contains(n))
            .map(Self)
            .ok_or_else(|| ParseError::new(format!("人数须为1到{}之间的整数", Self::MAX)))
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A point on the map, as WGS-84 degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Location {
    latitude: f64,
    longitude: f64,
}

impl Location {
    /// Checks both coordinates are within their ranges.
    pub fn parse(
        latitude: f64,
        longitude: f64,
    ) -> Result<Self, (Option<ParseError>, Option<ParseError>)> {
        let lat_err =
            (!(-90.0..=90.0).contains(&latitude)).then(|| ParseError::new("纬度须在-90到90之间"));
        let lon_err = (!(-180.0..=180.0).contains(&longitude))
            .then(|| ParseError::new("经度须在-180到180之间"));
        if lat_err.is_some() || lon_err.is_some() {
            Err((lat_err, lon_err))
        } else {
            Ok(Self {
                latitude,
                longitude,
            })
        }
    }

    /// Latitude in degrees.
    pub fn latitude(self) -> f64 {
        self.latitude
    }

    /// Longitude in degrees.
    pub fn longitude(self) -> f64 {
        self.longitude
    }
}

/// An account password: 8 to 128 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks the length only; the hash makes the rest of the strength.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let len = raw.chars().count();
        if (8..=128).contains(&len) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ParseError::new("密码须为8到128个字符"))
        }
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A login name: 3 to 64 characters of letters, digits and `_ . - @`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a login name; stored lower-case so logins are case-insensitive.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let name = raw.trim().to_lowercase();
        let ok = (3..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@'));
        if ok {
            Ok(Self(name))
        } else {
            Err(ParseError::new("用户名为3到64位字母、数字或 _ . - @"))
        }
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A short code for reference data (themes, townships, departments): lower-case ASCII.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Code(String);

impl Code {
    /// Parses a code: 1 to 40 characters of `a-z`, `0-9` and `_`.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok = (1..=40).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ParseError::new("代码为小写字母、数字或下划线"))
        }
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Parses a calendar date `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, ParseError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| ParseError::new("日期格式为 YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_accept_common_spellings_and_refuse_the_rest() {
        for ok in [
            "13812345678",
            "+86 138 1234 5678",
            "86-138-1234-5678",
            "19912345678",
        ] {
            assert_eq!(Phone::parse(ok).expect(ok).to_string().len(), 11, "{ok}");
        }
        for bad in [
            "",
            "1381234567",
            "138123456789",
            "12812345678",
            "23812345678",
            "1381234567a",
            "010-12345678",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            Phone::parse("13812345678").map(|p| p.masked()),
            Ok("138****5678".to_owned())
        );
    }

    #[test]
    fn hours_are_positive_half_hour_steps_up_to_24() {
        for (raw, halves) in [(0.5, 1), (1.0, 2), (7.5, 15), (24.0, 48)] {
            assert_eq!(Hours::parse(raw).map(Hours::halves), Ok(halves), "{raw}");
        }
        for bad in [0.0, -1.0, 0.25, 1.2, 24.5, 100.0, f64::NAN, f64::INFINITY] {
            assert!(Hours::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn scores_are_one_to_five() {
        assert!((1..=5).all(|s| Score::parse(s).is_ok()));
        for bad in [0, 6, -1, 255, 256] {
            assert!(Score::parse(bad).is_err());
        }
    }

    #[test]
    fn tracking_codes_round_trip_and_ignore_case_and_separators() {
        let code = TrackingCode::from_random([0, 1, 31, 32, 200, 7, 8, 9]);
        assert_eq!(code.as_ref().len(), 8);
        let typed = format!(
            "{}-{}",
            &code.as_ref()[..4],
            code.as_ref()[4..].to_lowercase()
        );
        assert_eq!(TrackingCode::parse(&typed), Ok(code));
        for bad in [
            "",
            "ABCDEFG",
            "ABCDEFGHJ",
            "ABCDEFG0",
            "ABCDEFGI",
            "ABCDEFG!",
        ] {
            assert!(TrackingCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_counts_characters_not_bytes() {
        assert!(PersonName::parse(&"张".repeat(50)).is_ok());
        assert!(PersonName::parse(&"张".repeat(51)).is_err());
        assert!(PersonName::parse("   ").is_err());
        assert_eq!(Note::parse("  ").map(Text::into_inner), Ok(String::new()));
        assert!(Reason::parse("bad\u{0}char").is_err());
        assert_eq!(
            Reason::parse("  重复  ").map(Text::into_inner),
            Ok("重复".to_owned())
        );
    }

    #[test]
    fn id_numbers_check_their_check_digit() {
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("110105194912310021").is_err());
        assert!(IdNumber::parse("11010519491231002").is_err());
        assert_eq!(
            IdNumber::parse("11010519491231002x").map(|i| i.masked()),
            Ok("110105********002X".to_owned())
        );
    }

    #[test]
    fn emails_catch_obvious_mistakes() {
        assert!(Email::parse("a@b.cn").is_ok());
        for bad in [
            "", "a", "a@b", "@b.cn", "a@@b.cn", "a b@c.cn", "a@.cn", "a@b.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attendees_usernames_passwords_codes_dates_and_locations() {
        assert!(Attendees::parse(1).is_ok() && Attendees::parse(100_000).is_ok());
        assert!(Attendees::parse(0).is_err() && Attendees::parse(100_001).is_err());
        assert_eq!(
            Username::parse(" Admin ").map(|u| u.as_ref().to_owned()),
            Ok("admin".to_owned())
        );
        assert!(Username::parse("ab").is_err() && Username::parse("a b c").is_err());
        assert!(Password::parse("1234567").is_err() && Password::parse("12345678").is_ok());
        assert!(Code::parse("farming_herding").is_ok() && Code::parse("Bad-Code").is_err());
        assert!(parse_date("2026-02-28").is_ok() && parse_date("2026-02-30").is_err());
        assert!(Location::parse(39.8, 108.7).is_ok());
        assert!(matches!(
            Location::parse(91.0, 181.0),
            Err((Some(_), Some(_)))
        ));
    }
}
