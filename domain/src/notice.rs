//! Who is told about what, and how hard the service tries to tell them.
//!
//! The table of `docs/notifications.md` lives here as one pure function, [`audience`]: given
//! what happened to an order and the order's facts after it, the groups of people to notify.
//! The API turns each group into addresses (users with an email, in scope, who have not
//! switched the message off) and writes them to the outbox in the action's transaction.
//! [`retry_delay`] is the outbox worker's back-off schedule.

use crate::ids::{DepartmentId, StationId, VolunteerId};
use crate::order::{ActionKind, ClaimScope, EventKind, OrderFacts};
use chrono::Duration;

/// The kinds of message the service sends; each has one template per language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A new order reached a station.
    NewOrder,
    /// A station routed an order to a department.
    Dispatched,
    /// A department opened an order to teams.
    OpenToTeams,
    /// A team claimed an order.
    Claimed,
    /// A claimed order was given back to the pool.
    Released,
    /// A team completed an order (to the department and the station).
    Completed,
    /// A team completed the resident's order: please rate it.
    CompletedForResident,
    /// An order passed its deadline.
    Escalated,
    /// The association approved a volunteer's registration.
    VolunteerApproved,
    /// An activity a volunteer signed up for was rescheduled.
    ActivityRescheduled,
    /// A waitlisted volunteer moved up to a slot.
    ActivityPromoted,
    /// An activity a volunteer signed up for starts within a day.
    ActivityReminder,
}

impl MessageKind {
    /// Every kind.
    pub const ALL: [MessageKind; 12] = [
        Self::NewOrder,
        Self::Dispatched,
        Self::OpenToTeams,
        Self::Claimed,
        Self::Released,
        Self::Completed,
        Self::CompletedForResident,
        Self::Escalated,
        Self::VolunteerApproved,
        Self::ActivityRescheduled,
        Self::ActivityPromoted,
        Self::ActivityReminder,
    ];

    /// The name stored on the outbox row and shown to administrators.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewOrder => "new_order",
            Self::Dispatched => "dispatched",
            Self::OpenToTeams => "open_to_teams",
            Self::Claimed => "claimed",
            Self::Released => "released",
            Self::Completed => "completed",
            Self::CompletedForResident => "completed_for_resident",
            Self::Escalated => "escalated",
            Self::VolunteerApproved => "volunteer_approved",
            Self::ActivityRescheduled => "activity_rescheduled",
            Self::ActivityPromoted => "activity_promoted",
            Self::ActivityReminder => "activity_reminder",
        }
    }

    /// Urgent messages are sent even to users who switched non-urgent mail off. Only
    /// escalations are urgent: they mean a deadline has already passed, and switching them off
    /// would defeat the deadline. Everything else is news a user can also find in the console.
    pub fn is_urgent(self) -> bool {
        matches!(self, Self::Escalated)
    }
}

/// A group of people to notify, resolved to addresses by the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Staff of one station.
    StationStaff(StationId),
    /// Staff of one department.
    DepartmentStaff(DepartmentId),
    /// Leaders of the active teams allowed to claim (by the order's claim scope).
    TeamLeaders(ClaimScope),
    /// The resident, at the email given with the order (if any).
    Resident,
    /// The association administrators.
    AssociationAdmins,
    /// One volunteer's account.
    Volunteer(VolunteerId),
}

/// Who hears about `event` on an order whose facts after it are `after`, and with which
/// message. Events not in the table (reject, return, rate, close, cancel) tell nobody.
pub fn audience(event: EventKind, after: &OrderFacts) -> Vec<(MessageKind, Audience)> {
    use MessageKind as M;
    let handlers = |kind: MessageKind| {
        let mut to = Vec::with_capacity(2);
        if let Some(d) = after.department_id {
            to.push((kind, Audience::DepartmentStaff(d)));
        }
        to.push((kind, Audience::StationStaff(after.station_id)));
        to
    };
    match event {
        EventKind::Action(ActionKind::Submit) => {
            vec![(M::NewOrder, Audience::StationStaff(after.station_id))]
        }
        EventKind::Action(ActionKind::Dispatch) => after
            .department_id
            .map(|d| vec![(M::Dispatched, Audience::DepartmentStaff(d))])
            .unwrap_or_default(),
        EventKind::Action(ActionKind::Accept) => {
            vec![(
                M::OpenToTeams,
                Audience::TeamLeaders(after.claim_scope.clone()),
            )]
        }
        EventKind::Action(ActionKind::Claim) => handlers(M::Claimed),
        EventKind::Action(ActionKind::Release) => handlers(M::Released),
        EventKind::Action(ActionKind::Complete) => {
            let mut to = handlers(M::Completed);
            to.push((M::CompletedForResident, Audience::Resident));
            to
        }
        EventKind::Escalate => {
            let mut to = vec![(M::Escalated, Audience::AssociationAdmins)];
            // A claimed order running late is flagged to its department too
            // (order-lifecycle.md: "not completed in 30 days is flagged to the department").
            if after.state == crate::order::OrderState::Claimed
                && let Some(d) = after.department_id
            {
                to.push((M::Escalated, Audience::DepartmentStaff(d)));
            }
            to
        }
        EventKind::Action(
            ActionKind::Reject
            | ActionKind::Return
            | ActionKind::Rate
            | ActionKind::Close
            | ActionKind::Cancel,
        ) => vec![],
    }
}

/// What the association's approval of a registration sends.
pub fn volunteer_approved(volunteer: VolunteerId) -> (MessageKind, Audience) {
    (
        MessageKind::VolunteerApproved,
        Audience::Volunteer(volunteer),
    )
}

/// How long the outbox waits after the `failures`-th failed attempt before the next one:
/// one minute, doubling each time, at most six hours.
pub fn retry_delay(failures: u32) -> Duration {
    const CAP_MINUTES: i64 = 6 * 60;
    let exponent = failures.saturating_sub(1).min(20);
    Duration::minutes((1_i64 << exponent).min(CAP_MINUTES))
}

/// What to do with a message after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    RetryIn(Duration),
    /// Stop trying; an administrator may retry it.
    Park,
}

/// After `failures` failed attempts (this one included) with at most `max_attempts` allowed:
/// a permanent refusal (the server said the address will never work) parks at once, anything
/// else is retried with [`retry_delay`] until the attempts are used up.
pub fn after_failure(failures: u32, max_attempts: u32, permanent: bool) -> AfterFailure {
    if permanent || failures >= max_attempts {
        AfterFailure::Park
    } else {
        AfterFailure::RetryIn(retry_delay(failures))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrderId, TeamId};
    use crate::order::OrderState;

    fn facts(state: OrderState, department: bool, scope: ClaimScope) -> OrderFacts {
        OrderFacts {
            id: OrderId::new(),
            state,
            station_id: StationId::new(),
            department_id: department.then(DepartmentId::new),
            team_id: None,
            claim_scope: scope,
        }
    }

    #[test]
    fn the_table_of_who_is_told_what() {
        use Audience as A;
        use MessageKind as M;
        let o = facts(OrderState::Claimed, true, ClaimScope::AllActiveTeams);
        let (s, d) = (o.station_id, o.department_id.expect("dispatched"));
        let ev = |k: ActionKind| audience(k.into(), &o);
        assert_eq!(
            ev(ActionKind::Submit),
            vec![(M::NewOrder, A::StationStaff(s))]
        );
        assert_eq!(
            ev(ActionKind::Dispatch),
            vec![(M::Dispatched, A::DepartmentStaff(d))]
        );
        assert_eq!(
            ev(ActionKind::Accept),
            vec![(M::OpenToTeams, A::TeamLeaders(ClaimScope::AllActiveTeams))]
        );
        assert_eq!(
            ev(ActionKind::Claim),
            vec![
                (M::Claimed, A::DepartmentStaff(d)),
                (M::Claimed, A::StationStaff(s))
            ]
        );
        assert_eq!(
            ev(ActionKind::Release),
            vec![
                (M::Released, A::DepartmentStaff(d)),
                (M::Released, A::StationStaff(s))
            ]
        );
        assert_eq!(
            ev(ActionKind::Complete),
            vec![
                (M::Completed, A::DepartmentStaff(d)),
                (M::Completed, A::StationStaff(s)),
                (M::CompletedForResident, A::Resident)
            ]
        );
        for quiet in [
            ActionKind::Reject,
            ActionKind::Return,
            ActionKind::Rate,
            ActionKind::Close,
            ActionKind::Cancel,
        ] {
            assert!(ev(quiet).is_empty(), "{quiet}");
        }
    }

    #[test]
    fn accept_tells_only_the_teams_allowed_to_claim() {
        let teams = ClaimScope::Teams(vec![TeamId::new()]);
        let o = facts(OrderState::Accepted, true, teams.clone());
        assert_eq!(
            audience(ActionKind::Accept.into(), &o),
            vec![(MessageKind::OpenToTeams, Audience::TeamLeaders(teams))]
        );
    }

    #[test]
    fn escalations_go_to_the_association_and_late_claims_to_the_department() {
        let submitted = facts(OrderState::Submitted, false, ClaimScope::Closed);
        assert_eq!(
            audience(EventKind::Escalate, &submitted),
            vec![(MessageKind::Escalated, Audience::AssociationAdmins)]
        );
        let claimed = facts(OrderState::Claimed, true, ClaimScope::AllActiveTeams);
        let d = claimed.department_id.expect("dispatched");
        assert_eq!(
            audience(EventKind::Escalate, &claimed),
            vec![
                (MessageKind::Escalated, Audience::AssociationAdmins),
                (MessageKind::Escalated, Audience::DepartmentStaff(d))
            ]
        );
    }

    #[test]
    fn only_escalations_are_urgent() {
        for kind in MessageKind::ALL {
            assert_eq!(kind.is_urgent(), kind == MessageKind::Escalated, "{kind:?}");
        }
    }

    #[test]
    fn back_off_doubles_from_a_minute_and_is_capped() {
        let minutes: Vec<i64> = (1..=10).map(|f| retry_delay(f).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360]);
        assert_eq!(retry_delay(0).num_minutes(), 1);
        assert_eq!(retry_delay(u32::MAX).num_minutes(), 360);
    }

    #[test]
    fn failures_park_after_the_last_attempt_or_at_once_when_permanent() {
        assert_eq!(
            after_failure(1, 3, false),
            AfterFailure::RetryIn(Duration::minutes(1))
        );
        assert_eq!(
            after_failure(2, 3, false),
            AfterFailure::RetryIn(Duration::minutes(2))
        );
        assert_eq!(after_failure(3, 3, false), AfterFailure::Park);
        assert_eq!(after_failure(1, 3, true), AfterFailure::Park);
    }
}
