//! Activities and attendance: the rules of a claimed order's activity, as pure functions.
//!
//! The team that claimed an order schedules one activity for it; the team's volunteers sign up
//! (beyond the slots they wait in line), check in and out with a short code from the leader's
//! phone, and their hours are taken from that attendance. This module holds the rules that need
//! no database: what a valid schedule is, when check-in is open, how wrong codes lock a
//! volunteer out, how attendance becomes hours, and when the reminder is due.

use chrono::{DateTime, Duration, Utc};
use std::fmt;
use std::str::FromStr;

use crate::value::{FieldError, Hours};

/// How early before `starts_at` volunteers may check in.
pub const OPENS_BEFORE: Duration = Duration::hours(1);
/// How long after `ends_at` volunteers may still check in or out.
pub const CLOSES_AFTER: Duration = Duration::hours(2);
/// How long a check-in code is valid.
pub const CODE_VALID_FOR: Duration = Duration::minutes(10);
/// Wrong codes in a row that lock a volunteer out.
pub const MAX_WRONG_CODES: i32 = 5;
/// How long a lock-out lasts.
pub const LOCKOUT: Duration = Duration::minutes(10);
/// How long before `starts_at` the reminder goes out.
pub const REMINDER_BEFORE: Duration = Duration::hours(24);
/// The longest activity: one day, so that its hours can never pass the day cap on their own.
pub const MAX_LENGTH: Duration = Duration::hours(24);
/// The most slots an activity may offer.
pub const MAX_SLOTS: i64 = 10_000;
/// The longest place and note, in characters.
pub const MAX_PLACE_CHARS: usize = 200;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// A volunteer's place on an activity's roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignupState {
    /// Holds one of the slots.
    SignedUp,
    /// Waits for a slot, in order of sign-up.
    Waitlisted,
    /// Withdrew.
    Withdrawn,
}

impl SignupState {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedUp => "signed_up",
            Self::Waitlisted => "waitlisted",
            Self::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for SignupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignupState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "signed_up" => Ok(Self::SignedUp),
            "waitlisted" => Ok(Self::Waitlisted),
            "withdrawn" => Ok(Self::Withdrawn),
            _ => Err(()),
        }
    }
}

/// Where a piece of attendance or a service record's hours came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Attendance: the volunteer's check-in by code, or hours computed from attendance.
    Attendance,
    /// Typed by a person: the leader's attendance for someone without a phone, or explicit hours.
    Manual,
}

impl Source {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attendance => "attendance",
            Self::Manual => "manual",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An activity's time, place and slots, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// How many volunteers it takes.
    pub slots: i32,
    /// Anything volunteers should know.
    pub note: Option<String>,
}

/// The parts of a schedule as sent, each possibly missing.
#[derive(Clone, Debug, Default)]
pub struct ScheduleInput<'a> {
    /// When it starts.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// Where.
    pub place: Option<&'a str>,
    /// How many volunteers.
    pub slots: Option<i64>,
    /// A note.
    pub note: Option<&'a str>,
}

impl Schedule {
    /// Checks a schedule sent at `now`; every problem is reported at once. It must end after it
    /// starts, last at most a day and not be over already; the place is required, the slots are
    /// 1 to [`MAX_SLOTS`].
    pub fn check(input: ScheduleInput<'_>, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: &str| errors.push(FieldError::new(field, message));
        if input.starts_at.is_none() {
            bad("starts_at", "必填");
        }
        match (input.starts_at, input.ends_at) {
            (_, None) => bad("ends_at", "必填"),
            (Some(s), Some(e)) if e <= s => bad("ends_at", "结束时间须晚于开始时间"),
            (Some(s), Some(e)) if e - s > MAX_LENGTH => bad("ends_at", "一次活动不能超过24小时"),
            (_, Some(e)) if e <= now => bad("ends_at", "结束时间不能早于现在"),
            _ => {}
        }
        let place = input.place.map(str::trim).unwrap_or_default();
        if place.is_empty() {
            bad("place", "必填");
        } else if place.chars().count() > MAX_PLACE_CHARS {
            bad("place", "地点不能超过200字");
        }
        match input.slots {
            None => bad("slots", "必填"),
            Some(n) if !(1..=MAX_SLOTS).contains(&n) => bad("slots", "名额须为1到10000之间的整数"),
            _ => {}
        }
        let note = input.note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
            bad("note", "备注不能超过2000字");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        match (input.starts_at, input.ends_at, input.slots) {
            (Some(starts_at), Some(ends_at), Some(slots)) => Ok(Self {
                starts_at,
                ends_at,
                place: place.to_owned(),
                slots: slots as i32,
                note: note.map(str::to_owned),
            }),
            _ => Err(vec![FieldError::new("body", "必填")]),
        }
    }
}

/// When check-in and check-out are open: from an hour before the start to two hours after
/// the end.
pub fn window(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (starts_at - OPENS_BEFORE, ends_at + CLOSES_AFTER)
}

/// Whether check-in and check-out are open at `now`.
pub fn window_open(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let (open, close) = window(starts_at, ends_at);
    open <= now && now <= close
}

/// Whether a check-in left open is forgotten at `now`: the window has closed without a
/// check-out. The sweeper then closes it at `ends_at` and flags it.
pub fn check_out_forgotten(ends_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now > ends_at + CLOSES_AFTER
}

/// A check-in code as typed: six digits (spaces and hyphens are ignored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckInCode(String);

impl CheckInCode {
    /// Parses a typed code.
    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(crate::ParseError("签到码为6位数字".into()))
        }
    }

    /// The code from a random number (any `u32`), as six digits with leading zeros.
    pub fn from_random(n: u32) -> Self {
        Self(format!("{:06}", n % 1_000_000))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A volunteer's wrong-code count after one more wrong code at `now`: the fifth wrong code in a
/// row locks them out for [`LOCKOUT`] and starts the count again.
pub fn after_wrong_code(wrong_before: i32, now: DateTime<Utc>) -> (i32, Option<DateTime<Utc>>) {
    let wrong = wrong_before.max(0) + 1;
    if wrong >= MAX_WRONG_CODES {
        (0, Some(now + LOCKOUT))
    } else {
        (wrong, None)
    }
}

/// Whether a volunteer locked out until `locked_until` is still locked out at `now`; the seconds
/// left when they are.
pub fn locked_for(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<u64> {
    locked_until
        .filter(|until| *until > now)
        .map(|until| (until - now).num_seconds().max(1) as u64)
}

/// The half hours of attendance from `checked_in_at` to `checked_out_at` that fall within the
/// activity's `starts_at … ends_at`, rounded down to the half hour.
pub fn attendance_halves(
    checked_in_at: DateTime<Utc>,
    checked_out_at: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> u16 {
    let from = checked_in_at.max(starts_at);
    let to = checked_out_at.min(ends_at);
    if to <= from {
        return 0;
    }
    let halves = (to - from).num_seconds() / 1800;
    halves.clamp(0, i64::from(Hours::MAX_PER_DAY.halves())) as u16
}

/// Attendance hours capped so that the volunteer's day stays within 24 hours, given the half
/// hours `already` filed for them that day. `None` when nothing is left to file.
pub fn hours_within_day(halves: u16, already: i64) -> Option<Hours> {
    let room = i64::from(Hours::MAX_PER_DAY.halves()) - already.max(0);
    let halves = i64::from(halves).min(room);
    u16::try_from(halves)
        .ok()
        .filter(|h| *h > 0)
        .and_then(|h| Hours::from_halves(h).ok())
}

/// Whether the reminder of an activity starting at `starts_at` is due at `now`: within the 24
/// hours before the start, and not after it.
pub fn reminder_due(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    starts_at - REMINDER_BEFORE <= now && now < starts_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 10, h, m, 0)
            .single()
            .expect("a time")
    }

    fn input(starts: DateTime<Utc>, ends: DateTime<Utc>) -> ScheduleInput<'static> {
        ScheduleInput {
            starts_at: Some(starts),
            ends_at: Some(ends),
            place: Some(" 嘎查文化室 "),
            slots: Some(10),
            note: Some("  "),
        }
    }

    #[test]
    fn a_valid_schedule_is_trimmed() {
        let s = Schedule::check(input(at(2, 0), at(4, 0)), at(1, 0)).expect("valid");
        assert_eq!(s.place, "嘎查文化室");
        assert_eq!(s.note, None);
        assert_eq!(s.slots, 10);
    }

    #[test]
    fn every_bad_schedule_field_is_reported_at_once() {
        let bad = ScheduleInput {
            starts_at: Some(at(4, 0)),
            ends_at: Some(at(2, 0)),
            place: Some(""),
            slots: Some(0),
            note: Some(&"字".repeat(2001)),
        };
        let fields: Vec<String> = Schedule::check(bad, at(1, 0))
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["ends_at", "place", "slots", "note"]);
        let missing = Schedule::check(ScheduleInput::default(), at(1, 0)).expect_err("missing");
        assert_eq!(missing.len(), 4);
    }

    #[test]
    fn a_schedule_is_at_most_a_day_and_not_over() {
        let long = input(at(2, 0), at(2, 0) + Duration::hours(25));
        assert_eq!(
            Schedule::check(long, at(1, 0)).expect_err("long")[0].field,
            "ends_at"
        );
        let over = input(at(2, 0), at(4, 0));
        assert_eq!(
            Schedule::check(over, at(5, 0)).expect_err("over")[0].field,
            "ends_at"
        );
    }

    #[test]
    fn the_window_opens_an_hour_before_and_closes_two_hours_after() {
        let (s, e) = (at(10, 0), at(12, 0));
        assert!(!window_open(s, e, at(8, 59)));
        assert!(window_open(s, e, at(9, 0)));
        assert!(window_open(s, e, at(14, 0)));
        assert!(!window_open(s, e, at(14, 1)));
        assert!(!check_out_forgotten(e, at(14, 0)));
        assert!(check_out_forgotten(e, at(14, 1)));
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(
            CheckInCode::parse(" 012 345 ").expect("ok").as_str(),
            "012345"
        );
        assert_eq!(
            CheckInCode::parse("012-345").expect("ok").as_str(),
            "012345"
        );
        assert!(CheckInCode::parse("12345").is_err());
        assert!(CheckInCode::parse("1234567").is_err());
        assert!(CheckInCode::parse("12345a").is_err());
        assert_eq!(CheckInCode::from_random(42).as_str(), "000042");
        assert_eq!(CheckInCode::from_random(u32::MAX).as_str().len(), 6);
    }

    #[test]
    fn the_fifth_wrong_code_in_a_row_locks_for_ten_minutes() {
        let now = at(10, 0);
        let mut wrong = 0;
        for _ in 0..4 {
            let (w, lock) = after_wrong_code(wrong, now);
            assert_eq!(lock, None);
            wrong = w;
        }
        assert_eq!(wrong, 4);
        assert_eq!(after_wrong_code(wrong, now), (0, Some(at(10, 10))));
        assert_eq!(locked_for(Some(at(10, 10)), at(10, 0)), Some(600));
        assert_eq!(locked_for(Some(at(10, 10)), at(10, 10)), None);
        assert_eq!(locked_for(None, now), None);
    }

    #[test]
    fn attendance_counts_only_the_activity_time_rounded_down_to_half_hours() {
        let (s, e) = (at(10, 0), at(12, 0));
        assert_eq!(attendance_halves(at(9, 30), at(12, 40), s, e), 4);
        assert_eq!(attendance_halves(at(10, 5), at(11, 34), s, e), 2);
        assert_eq!(attendance_halves(at(10, 5), at(10, 34), s, e), 0);
        assert_eq!(attendance_halves(at(11, 0), at(10, 0), s, e), 0);
        assert_eq!(attendance_halves(at(12, 30), at(13, 0), s, e), 0);
    }

    #[test]
    fn attendance_hours_stay_within_the_day() {
        assert_eq!(hours_within_day(4, 0).map(Hours::halves), Some(4));
        assert_eq!(hours_within_day(4, 46).map(Hours::halves), Some(2));
        assert_eq!(hours_within_day(4, 48), None);
        assert_eq!(hours_within_day(0, 0), None);
    }

    #[test]
    fn the_reminder_is_due_in_the_last_day_before_the_start() {
        let s = at(10, 0) + Duration::days(1);
        assert!(!reminder_due(s, at(9, 59)));
        assert!(reminder_due(s, at(10, 0)));
        assert!(reminder_due(s, s - Duration::seconds(1)));
        assert!(!reminder_due(s, s));
    }

    #[test]
    fn states_and_sources_round_trip() {
        for s in [
            SignupState::SignedUp,
            SignupState::Waitlisted,
            SignupState::Withdrawn,
        ] {
            assert_eq!(s.as_str().parse::<SignupState>(), Ok(s));
        }
        assert!("x".parse::<SignupState>().is_err());
        assert_eq!(Source::Attendance.to_string(), "attendance");
        assert_eq!(Source::Manual.as_str(), "manual");
    }
}
