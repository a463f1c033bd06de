//! An order's recorded history: event kinds, and [`replay`] of a history against the table.

use super::{ActionKind, OrderState, UnknownName};
use std::fmt;
use std::str::FromStr;

/// What one event of an order's history records: an action of the lifecycle table, or a
/// system note that leaves the state as it is.
///
/// Escalation is not an action anyone can take through the API, so it is not an
/// [`ActionKind`]; it is recorded in the same hash chain so the history says when the order
/// was escalated and to whom it mattered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An action of the table (`submit`, `dispatch`, …).
    Action(ActionKind),
    /// The SLA sweeper escalated an overdue order; `from_state == to_state`.
    Escalate,
}

impl EventKind {
    /// The wire name recorded on the event (`dispatch`, `escalate`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Action(kind) => kind.as_str(),
            Self::Escalate => "escalate",
        }
    }
}

impl From<ActionKind> for EventKind {
    fn from(kind: ActionKind) -> Self {
        Self::Action(kind)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "escalate" {
            return Ok(Self::Escalate);
        }
        s.parse().map(Self::Action)
    }
}

/// One recorded event, as replay needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordedStep {
    /// The action taken (or the escalation noted).
    pub action: EventKind,
    /// The state before (`None` for submit).
    pub from: Option<OrderState>,
    /// The state after.
    pub to: OrderState,
}

/// Why a recorded history does not replay.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The history is empty or does not start with `submit`.
    #[error("history does not start with submit")]
    NoSubmit,
    /// Step `index` does not follow from the state before it by the table.
    #[error("step {index} is not a valid transition")]
    BadStep {
        /// Position in the history, from 0.
        index: usize,
    },
}

/// Replays a history from `submitted`, checking each step against the table, and returns the
/// state it ends in. An escalation is valid only in a non-terminal state and changes nothing.
pub fn replay(steps: &[RecordedStep]) -> Result<OrderState, ReplayError> {
    let mut iter = steps.iter().enumerate();
    let state = match iter.next() {
        Some((_, step))
            if step.action == EventKind::Action(ActionKind::Submit) && step.from.is_none() =>
        {
            if step.to != OrderState::Submitted {
                return Err(ReplayError::BadStep { index: 0 });
            }
            step.to
        }
        _ => return Err(ReplayError::NoSubmit),
    };
    iter.try_fold(state, |state, (index, step)| {
        let valid = step.from == Some(state)
            && match step.action {
                EventKind::Action(kind) => kind.target(state) == Some(step.to),
                EventKind::Escalate => step.to == state && !state.is_terminal(),
            };
        if valid {
            Ok(step.to)
        } else {
            Err(ReplayError::BadStep { index })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(
        action: impl Into<EventKind>,
        from: Option<OrderState>,
        to: OrderState,
    ) -> RecordedStep {
        RecordedStep {
            action: action.into(),
            from,
            to,
        }
    }

    #[test]
    fn an_escalation_keeps_the_state_and_only_in_a_live_one() {
        use OrderState::*;
        let submit = step(ActionKind::Submit, None, Submitted);
        let dispatch = step(ActionKind::Dispatch, Some(Submitted), Dispatched);
        let escalate = step(EventKind::Escalate, Some(Dispatched), Dispatched);
        assert_eq!(replay(&[submit, dispatch, escalate]), Ok(Dispatched));
        assert_eq!(
            replay(&[submit, dispatch, escalate, escalate]),
            Ok(Dispatched)
        );
        // An escalation that claims to change the state does not replay.
        let moving = step(EventKind::Escalate, Some(Dispatched), Accepted);
        assert_eq!(
            replay(&[submit, dispatch, moving]),
            Err(ReplayError::BadStep { index: 2 })
        );
        // Nor one on a finished order.
        let cancel = step(ActionKind::Cancel, Some(Submitted), Cancelled);
        let late = step(EventKind::Escalate, Some(Cancelled), Cancelled);
        assert_eq!(
            replay(&[submit, cancel, late]),
            Err(ReplayError::BadStep { index: 2 })
        );
    }

    #[test]
    fn event_kinds_round_trip_their_names() {
        for kind in ActionKind::ALL {
            let e = EventKind::from(kind);
            assert_eq!(e.as_str().parse::<EventKind>(), Ok(e));
        }
        assert_eq!("escalate".parse::<EventKind>(), Ok(EventKind::Escalate));
        assert!("explode".parse::<EventKind>().is_err());
    }
}
