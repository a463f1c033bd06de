//! Volunteers: review states and star levels.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::order::UnknownName;

/// Where a volunteer's registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolunteerState {
    /// Registered, waiting for the association's review.
    Pending,
    /// Counted toward the target; may join teams and be credited hours.
    Approved,
    /// Refused, with a reason.
    Rejected,
    /// Temporarily not counted; hours kept.
    Suspended,
}

impl VolunteerState {
    /// Every state.
    pub const ALL: [VolunteerState; 4] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Suspended,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
        }
    }
}

impl fmt::Display for VolunteerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VolunteerState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// A review decision of the association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    /// Approve a pending registration, or lift a suspension.
    Approve,
    /// Refuse a pending registration.
    Reject,
    /// Suspend an approved volunteer.
    Suspend,
}

impl Review {
    /// The state a review leads to from `from`, or `None` where it does not apply.
    pub fn target(self, from: VolunteerState) -> Option<VolunteerState> {
        use VolunteerState::*;
        match (self, from) {
            (Self::Approve, Pending | Suspended) => Some(Approved),
            (Self::Reject, Pending) => Some(Rejected),
            (Self::Suspend, Approved) => Some(Suspended),
            _ => None,
        }
    }
}

/// Hours thresholds for one to five stars, ascending. Configurable per deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct StarThresholds([f64; 5]);

impl Default for StarThresholds {
    /// The national registries' thresholds: 100, 300, 600, 1000, 1500 hours.
    fn default() -> Self {
        Self([100.0, 300.0, 600.0, 1000.0, 1500.0])
    }
}

impl StarThresholds {
    /// Checks the thresholds are positive and strictly ascending.
    pub fn new(thresholds: [f64; 5]) -> Result<Self, crate::ParseError> {
        let ascending = thresholds.windows(2).all(|w| w[0] < w[1]);
        if thresholds[0] > 0.0 && ascending && thresholds.iter().all(|t| t.is_finite()) {
            Ok(Self(thresholds))
        } else {
            Err(crate::ParseError(
                "star thresholds must be positive and ascending".into(),
            ))
        }
    }

    /// The star level (0–5) for cumulative confirmed hours.
    pub fn level(&self, confirmed_hours: f64) -> u8 {
        self.0.iter().take_while(|t| confirmed_hours >= **t).count() as u8
    }

    /// The next level and the hours still missing to reach it; `None` at the top level.
    pub fn next(&self, confirmed_hours: f64) -> Option<(u8, f64)> {
        let level = self.level(confirmed_hours);
        self.0
            .get(usize::from(level))
            .map(|t| (level + 1, t - confirmed_hours))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_levels_change_exactly_at_the_thresholds() {
        let stars = StarThresholds::default();
        for (hours, level) in [
            (0.0, 0),
            (99.5, 0),
            (100.0, 1),
            (299.5, 1),
            (300.0, 2),
            (599.5, 2),
            (600.0, 3),
            (999.5, 3),
            (1000.0, 4),
            (1499.5, 4),
            (1500.0, 5),
            (9999.0, 5),
        ] {
            assert_eq!(stars.level(hours), level, "{hours}");
        }
        assert_eq!(stars.next(0.0), Some((1, 100.0)));
        assert_eq!(stars.next(99.5), Some((1, 0.5)));
        assert_eq!(stars.next(100.0), Some((2, 200.0)));
        assert_eq!(stars.next(1499.0), Some((5, 1.0)));
        assert_eq!(stars.next(1500.0), None);
        assert!(StarThresholds::new([1.0, 2.0, 3.0, 4.0, 5.0]).is_ok());
        assert!(StarThresholds::new([1.0, 1.0, 3.0, 4.0, 5.0]).is_err());
        assert!(StarThresholds::new([0.0, 1.0, 3.0, 4.0, 5.0]).is_err());
    }

    #[test]
    fn reviews_follow_the_volunteer_table() {
        use VolunteerState::*;
        let cases = [
            (Review::Approve, Pending, Some(Approved)),
            (Review::Approve, Suspended, Some(Approved)),
            (Review::Approve, Approved, None),
            (Review::Approve, Rejected, None),
            (Review::Reject, Pending, Some(Rejected)),
            (Review::Reject, Approved, None),
            (Review::Suspend, Approved, Some(Suspended)),
            (Review::Suspend, Pending, None),
            (Review::Suspend, Suspended, None),
        ];
        for (review, from, to) in cases {
            assert_eq!(review.target(from), to, "{review:?} from {from}");
        }
    }
}
