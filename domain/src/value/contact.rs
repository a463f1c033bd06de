//! Contact and account values: phone, email, ID number, username, password.

use super::ParseError;
use std::fmt;

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
}
