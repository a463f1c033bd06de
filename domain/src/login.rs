//! The per-account login slow-down: how failed sign-ins of one username are counted and how
//! long that username is then refused, whatever the client address.
//!
//! Failures count as long as each comes within [`WINDOW`] of the previous one, so any
//! [`MAX_FAILURES`] failures within 15 minutes lock the username. From the fifth failure on,
//! each failure locks it for [`FIRST_LOCK_SECONDS`], doubling with every further failure and
//! capped at [`MAX_LOCK_SECONDS`] (15 minutes). Once 15 minutes pass without a failure the
//! count starts again; a successful sign-in clears it at once.

use chrono::{DateTime, Duration, Utc};

/// Failures within the window that lock the username.
pub const MAX_FAILURES: u32 = 5;
/// How long a failure counts towards the next.
pub const WINDOW: Duration = Duration::minutes(15);
/// The first lock, after the fifth failure.
pub const FIRST_LOCK_SECONDS: i64 = 30;
/// The longest lock: 15 minutes.
pub const MAX_LOCK_SECONDS: i64 = 15 * 60;

/// What is stored about one username's recent failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    /// Failures in the current window.
    pub count: u32,
    /// When the last one happened.
    pub last_at: DateTime<Utc>,
    /// Until when the username is refused, if it is.
    pub locked_until: Option<DateTime<Utc>>,
}

impl Failures {
    /// The seconds to wait (rounded up) when the username is locked at `now`.
    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<u64> {
        let until = self.locked_until.filter(|until| *until > now)?;
        let millis = (until - now).num_milliseconds().max(1);
        u64::try_from((millis + 999) / 1000).ok()
    }

    /// Whether the window has passed at `now`: the record no longer means anything.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.last_at + WINDOW && self.retry_after(now).is_none()
    }

    /// The record after one more failure at `now`, given the one before (if any).
    pub fn after_failure(previous: Option<&Self>, now: DateTime<Utc>) -> Self {
        let count = match previous {
            Some(p) if !p.expired(now) => p.count.saturating_add(1),
            _ => 1,
        };
        Self {
            count,
            last_at: now,
            locked_until: (count >= MAX_FAILURES)
                .then(|| now + Duration::seconds(lock_seconds(count))),
        }
    }
}

/// How long the `count`-th failure in a row locks the username: 30 s at the fifth, doubling,
/// at most 15 minutes.
pub fn lock_seconds(count: u32) -> i64 {
    let doublings = count.saturating_sub(MAX_FAILURES).min(16);
    (FIRST_LOCK_SECONDS << doublings).min(MAX_LOCK_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn four_failures_do_not_lock_and_the_fifth_does_for_thirty_seconds() {
        let mut record = None;
        for i in 0..4 {
            let next = Failures::after_failure(record.as_ref(), at(i * 10));
            assert_eq!(next.retry_after(at(i * 10)), None, "failure {}", i + 1);
            record = Some(next);
        }
        let fifth = Failures::after_failure(record.as_ref(), at(40));
        assert_eq!(fifth.count, 5);
        assert_eq!(fifth.retry_after(at(40)), Some(30));
        assert_eq!(fifth.retry_after(at(69)), Some(1));
        assert_eq!(fifth.retry_after(at(70)), None);
    }

    #[test]
    fn the_lock_doubles_with_each_further_failure_up_to_fifteen_minutes() {
        let waits: Vec<i64> = (5..=12).map(lock_seconds).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(lock_seconds(u32::MAX), MAX_LOCK_SECONDS);
        assert_eq!(lock_seconds(1), 30, "never below the first lock");
    }

    #[test]
    fn the_count_starts_again_once_the_window_passes_without_a_failure() {
        let mut record = None;
        for i in 0..4 {
            record = Some(Failures::after_failure(record.as_ref(), at(i)));
        }
        let later = Failures::after_failure(record.as_ref(), at(3 + 15 * 60));
        assert_eq!(later.count, 1);
        assert_eq!(later.locked_until, None);
        let within = Failures::after_failure(record.as_ref(), at(3 + 15 * 60 - 1));
        assert_eq!(within.count, 5, "one second inside the window still counts");
    }

    #[test]
    fn a_lock_that_outlasts_the_window_keeps_the_record_alive() {
        let record = Failures {
            count: 10,
            last_at: at(0),
            locked_until: Some(at(901)),
        };
        assert!(!record.expired(at(900)));
        assert!(record.expired(at(901)));
    }
}
