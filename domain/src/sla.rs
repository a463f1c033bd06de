//! Deadlines (SLA): how long an order may stay in each state before it is overdue.

use crate::order::OrderState;
use chrono::{DateTime, Duration, Utc};

/// How long each non-terminal state may last. Deployments configure these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlaPolicy {
    /// A station's time to act on a `submitted` order.
    pub submitted: Duration,
    /// A department's time to act on a `dispatched` order.
    pub dispatched: Duration,
    /// How long an `accepted` order may wait for a team before escalation.
    pub accepted: Duration,
    /// How long a `claimed` order may take to be completed.
    pub claimed: Duration,
    /// The resident's rating window on a `completed` order.
    pub completed: Duration,
}

impl Default for SlaPolicy {
    /// The durations of `order-lifecycle.md`: 48 h, 48 h, 7 days, 30 days, 7 days.
    fn default() -> Self {
        Self {
            submitted: Duration::hours(48),
            dispatched: Duration::hours(48),
            accepted: Duration::days(7),
            claimed: Duration::days(30),
            completed: Duration::days(7),
        }
    }
}

impl SlaPolicy {
    /// The limit for `state`; terminal states have none.
    pub fn limit(&self, state: OrderState) -> Option<Duration> {
        match state {
            OrderState::Submitted => Some(self.submitted),
            OrderState::Dispatched => Some(self.dispatched),
            OrderState::Accepted => Some(self.accepted),
            OrderState::Claimed => Some(self.claimed),
            OrderState::Completed => Some(self.completed),
            OrderState::Closed | OrderState::Rejected | OrderState::Cancelled => None,
        }
    }

    /// When an order that entered `state` at `entered_at` becomes overdue.
    pub fn due_at(&self, state: OrderState, entered_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.limit(state).map(|limit| entered_at + limit)
    }
}

/// Whether a deadline has passed at `now`.
pub fn is_overdue(due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    due_at.is_some_and(|due| due <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_non_terminal_state_has_a_deadline_and_terminal_ones_none() {
        let sla = SlaPolicy::default();
        let t = Utc::now();
        for state in OrderState::ALL {
            assert_eq!(
                sla.due_at(state, t).is_none(),
                state.is_terminal(),
                "{state}"
            );
        }
        assert_eq!(
            sla.due_at(OrderState::Submitted, t),
            Some(t + Duration::hours(48))
        );
        assert_eq!(
            sla.due_at(OrderState::Claimed, t),
            Some(t + Duration::days(30))
        );
    }

    #[test]
    fn overdue_from_the_deadline_on() {
        let t = Utc::now();
        assert!(!is_overdue(None, t));
        assert!(!is_overdue(Some(t + Duration::seconds(1)), t));
        assert!(is_overdue(Some(t), t));
    }
}
