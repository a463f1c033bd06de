//! Validated value types: parse, don't validate.
//!
//! Each type has private fields and a `parse` constructor, so a value that exists is valid.
//! Error messages are plain Chinese, because they are shown next to form fields to residents.

mod contact;
mod order;

use chrono::NaiveDate;
use serde::Serialize;

pub use contact::{Email, IdNumber, Password, Phone, Username, mask_id_number, mask_phone};
pub use order::{Attendees, Hours, Location, Score, TrackingCode};

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
