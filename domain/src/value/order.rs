//! Values an order carries: hours, score, tracking code, attendees, location.

use super::ParseError;
use std::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
