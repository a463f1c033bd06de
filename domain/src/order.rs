//! The order state machine of `order-lifecycle.md`: states, actions, actors, and the one pure
//! function, [`decide`], that says whether an actor may take an action on an order and what
//! follows.
//!
//! The checks run in a fixed order, and the order is part of the contract:
//! 1. may the actor know the order exists at all? If not: [`Refusal::NotFound`] (HTTP 404);
//! 2. is this actor ever allowed to take this action on this order? If not: [`Refusal::Forbidden`] (403);
//! 3. does the current state allow it? If not: [`Refusal::InvalidTransition`] (409).

use crate::ids::{DepartmentId, OrderId, StationId, TeamId, VolunteerId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The state of an order. Every order has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// 已点单: posted, waiting for the station.
    Submitted,
    /// 已派单: routed by the station to one department.
    Dispatched,
    /// 已领单: the department took it; open for teams to claim.
    Accepted,
    /// 已接单: one team claimed it and is serving it.
    Claimed,
    /// 已结单: served, hours filed; waiting for the resident's rating.
    Completed,
    /// 已评单: rated, or closed when the rating window ran out. Terminal.
    Closed,
    /// 已驳回: declined by the station. Terminal.
    Rejected,
    /// 已取消: withdrawn by the resident or cancelled by staff. Terminal.
    Cancelled,
}

impl OrderState {
    /// Every state, in lifecycle order.
    pub const ALL: [OrderState; 8] = [
        Self::Submitted,
        Self::Dispatched,
        Self::Accepted,
        Self::Claimed,
        Self::Completed,
        Self::Closed,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The wire name (`submitted`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Dispatched => "dispatched",
            Self::Accepted => "accepted",
            Self::Claimed => "claimed",
            Self::Completed => "completed",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }

    /// The Chinese label residents and staff see.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Submitted => "已点单",
            Self::Dispatched => "已派单",
            Self::Accepted => "已领单",
            Self::Claimed => "已接单",
            Self::Completed => "已结单",
            Self::Closed => "已评单",
            Self::Rejected => "已驳回",
            Self::Cancelled => "已取消",
        }
    }

    /// Terminal states allow no further action.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Closed | Self::Rejected | Self::Cancelled)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// A name that is not one of the enumeration's wire names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown name")]
pub struct UnknownName;

/// The name of an action, without its input: what the URL `/orders/{id}/{action}` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Creates the order (`(new) → submitted`).
    Submit,
    /// `submitted → dispatched`.
    Dispatch,
    /// `submitted → rejected`.
    Reject,
    /// `dispatched → accepted`.
    Accept,
    /// `dispatched → submitted`.
    Return,
    /// `accepted → claimed`.
    Claim,
    /// `claimed → accepted`.
    Release,
    /// `claimed → completed`.
    Complete,
    /// `completed → closed`, by the resident.
    Rate,
    /// `completed → closed`, by the sweeper or the association.
    Close,
    /// Any non-terminal state `→ cancelled`.
    Cancel,
}

impl ActionKind {
    /// Every action, submit first.
    pub const ALL: [ActionKind; 11] = [
        Self::Submit,
        Self::Dispatch,
        Self::Reject,
        Self::Accept,
        Self::Return,
        Self::Claim,
        Self::Release,
        Self::Complete,
        Self::Rate,
        Self::Close,
        Self::Cancel,
    ];

    /// The wire name (`dispatch`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Dispatch => "dispatch",
            Self::Reject => "reject",
            Self::Accept => "accept",
            Self::Return => "return",
            Self::Claim => "claim",
            Self::Release => "release",
            Self::Complete => "complete",
            Self::Rate => "rate",
            Self::Close => "close",
            Self::Cancel => "cancel",
        }
    }

    /// The states this action may start from (for anyone allowed to take it at all), and the
    /// state it leads to. `None` for `submit`, which starts from nothing.
    pub fn transition(self) -> (&'static [OrderState], Option<OrderState>) {
        use OrderState::*;
        const NON_TERMINAL: &[OrderState] = &[Submitted, Dispatched, Accepted, Claimed, Completed];
        match self {
            Self::Submit => (&[], Some(Submitted)),
            Self::Dispatch => (&[Submitted], Some(Dispatched)),
            Self::Reject => (&[Submitted], Some(Rejected)),
            Self::Accept => (&[Dispatched], Some(Accepted)),
            Self::Return => (&[Dispatched], Some(Submitted)),
            Self::Claim => (&[Accepted], Some(Claimed)),
            Self::Release => (&[Claimed], Some(Accepted)),
            Self::Complete => (&[Claimed], Some(Completed)),
            Self::Rate | Self::Close => (&[Completed], Some(Closed)),
            Self::Cancel => (NON_TERMINAL, Some(Cancelled)),
        }
    }

    /// The state `from` leads to under this action, if the table allows it.
    pub fn target(self, from: OrderState) -> Option<OrderState> {
        let (froms, to) = self.transition();
        if froms.contains(&from) { to } else { None }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// The role of a signed-in account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 科协管理员: sees and may do everything.
    AssociationAdmin,
    /// 阵地工作人员 of one station.
    StationStaff,
    /// 部门工作人员 of one department.
    DepartmentStaff,
    /// 服务队队长 of one team.
    TeamLeader,
    /// A registered volunteer.
    Volunteer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Self::AssociationAdmin,
        Self::StationStaff,
        Self::DepartmentStaff,
        Self::TeamLeader,
        Self::Volunteer,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AssociationAdmin => "association_admin",
            Self::StationStaff => "station_staff",
            Self::DepartmentStaff => "department_staff",
            Self::TeamLeader => "team_leader",
            Self::Volunteer => "volunteer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// Who is acting, with the scope that decides what they may see and do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// Anyone without credentials (the public form, an Open311 client).
    Public,
    /// The holder of one order's resident token.
    Resident {
        /// The order the token belongs to.
        order_id: OrderId,
    },
    /// Staff of one station.
    StationStaff {
        /// Their station.
        station_id: StationId,
    },
    /// Staff of one department.
    DepartmentStaff {
        /// Their department.
        department_id: DepartmentId,
    },
    /// The leader of one team.
    TeamLeader {
        /// Their team.
        team_id: TeamId,
        /// Whether the team is active; inactive teams may not claim.
        team_active: bool,
    },
    /// A volunteer: no part in the order lifecycle.
    Volunteer {
        /// Their volunteer record.
        volunteer_id: VolunteerId,
    },
    /// The association (科协) administrators.
    AssociationAdmin,
    /// The service itself: the SLA sweeper.
    System,
}

impl Actor {
    /// The role name recorded on events (`resident`, `system`, or a [`Role`]).
    pub fn role_name(&self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Resident { .. } => "resident",
            Self::StationStaff { .. } => Role::StationStaff.as_str(),
            Self::DepartmentStaff { .. } => Role::DepartmentStaff.as_str(),
            Self::TeamLeader { .. } => Role::TeamLeader.as_str(),
            Self::Volunteer { .. } => Role::Volunteer.as_str(),
            Self::AssociationAdmin => Role::AssociationAdmin.as_str(),
            Self::System => "system",
        }
    }
}

/// Which teams may claim an order, set when a department accepts it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ClaimScope {
    /// Not opened to teams (never accepted, or returned since).
    #[default]
    Closed,
    /// Every active team.
    AllActiveTeams,
    /// Only these teams.
    Teams(Vec<TeamId>),
}

impl ClaimScope {
    /// Whether `team` is among the teams allowed to claim.
    pub fn allows(&self, team: TeamId) -> bool {
        match self {
            Self::Closed => false,
            Self::AllActiveTeams => true,
            Self::Teams(teams) => teams.contains(&team),
        }
    }
}

/// What the rules need to know about an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderFacts {
    /// The order.
    pub id: OrderId,
    /// Its current state.
    pub state: OrderState,
    /// The station it was routed to.
    pub station_id: StationId,
    /// The department it is dispatched to, if any.
    pub department_id: Option<DepartmentId>,
    /// The team that claimed it, if any.
    pub team_id: Option<TeamId>,
    /// Which teams may claim it.
    pub claim_scope: ClaimScope,
}

/// An action with the input that changes the order's facts. Free-text input (reasons, notes,
/// summaries) travels beside it on the event; only what the rules need is here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Route to a department.
    Dispatch {
        /// The department that will be responsible.
        department_id: DepartmentId,
    },
    /// Decline (spam, duplicate, out of scope).
    Reject,
    /// Take responsibility and open to teams.
    Accept {
        /// Teams allowed to claim; `None` opens it to every active team.
        team_ids: Option<Vec<TeamId>>,
    },
    /// Send back to the station (wrong department).
    Return,
    /// Claim for the acting leader's team.
    Claim,
    /// Give a claimed order back to the pool.
    Release,
    /// Served, with hours filed.
    Complete,
    /// The resident's rating.
    Rate,
    /// Close without rating.
    Close,
    /// Withdraw or cancel.
    Cancel {
        /// Whether a reason was given; staff must give one.
        has_reason: bool,
    },
}

impl Action {
    /// The action's name.
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Dispatch { .. } => ActionKind::Dispatch,
            Self::Reject => ActionKind::Reject,
            Self::Accept { .. } => ActionKind::Accept,
            Self::Return => ActionKind::Return,
            Self::Claim => ActionKind::Claim,
            Self::Release => ActionKind::Release,
            Self::Complete => ActionKind::Complete,
            Self::Rate => ActionKind::Rate,
            Self::Close => ActionKind::Close,
            Self::Cancel { .. } => ActionKind::Cancel,
        }
    }
}

/// Why an action was refused. Each maps to one HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor may not know this order exists (404).
    #[error("order not found")]
    NotFound,
    /// The actor sees the order but may never take this action on it (403).
    #[error("not allowed to {0} this order")]
    Forbidden(ActionKind),
    /// The actor could take the action, but not from the current state (409).
    #[error("cannot {action} an order that is {current}")]
    InvalidTransition {
        /// The refused action.
        action: ActionKind,
        /// The order's state now.
        current: OrderState,
    },
    /// Input the actor must give is missing (422); the field is named.
    #[error("{field} is required")]
    MissingInput {
        /// The request field.
        field: &'static str,
    },
}

/// Whether `actor` may know that `order` exists (and read it).
pub fn can_view(order: &OrderFacts, actor: &Actor) -> bool {
    match *actor {
        Actor::AssociationAdmin | Actor::System => true,
        Actor::StationStaff { station_id } => order.station_id == station_id,
        Actor::DepartmentStaff { department_id } => order.department_id == Some(department_id),
        // Teams it is offered to see it until one claims it; from then on, only the claimer.
        Actor::TeamLeader { team_id, .. } => match order.team_id {
            Some(claimer) => claimer == team_id,
            None => order.claim_scope.allows(team_id),
        },
        Actor::Resident { order_id } => order.id == order_id,
        Actor::Public | Actor::Volunteer { .. } => false,
    }
}

/// Whether `actor` is a leader of a team the order was offered to, claiming it after another
/// team did: that is a lost race (409 with the current state), not an unknown order, even though
/// the order is no longer visible to them.
fn lost_claim(order: &OrderFacts, actor: &Actor, kind: ActionKind) -> bool {
    matches!(
        (kind, actor),
        (ActionKind::Claim, Actor::TeamLeader { team_id, .. }) if order.claim_scope.allows(*team_id)
    )
}

/// Whether `actor` is handling `order` and so may see the resident's contact details unmasked:
/// its station, its department, the claiming team's leader, and the association.
pub fn is_handling(order: &OrderFacts, actor: &Actor) -> bool {
    match *actor {
        Actor::AssociationAdmin | Actor::System => true,
        Actor::StationStaff { station_id } => order.station_id == station_id,
        Actor::DepartmentStaff { department_id } => order.department_id == Some(department_id),
        Actor::TeamLeader { team_id, .. } => order.team_id == Some(team_id),
        Actor::Resident { .. } | Actor::Public | Actor::Volunteer { .. } => false,
    }
}

/// Whether `actor` has the right to take `kind` on `order` in some state (the state itself is
/// checked separately). Assumes [`can_view`] holds.
fn has_right(order: &OrderFacts, actor: &Actor, kind: ActionKind) -> bool {
    use ActionKind as K;
    let claimer = |team_id| order.team_id == Some(team_id);
    match (kind, *actor) {
        (K::Submit, Actor::Public | Actor::StationStaff { .. } | Actor::AssociationAdmin) => true,
        (K::Dispatch | K::Reject, Actor::StationStaff { .. } | Actor::AssociationAdmin) => true,
        (K::Accept, Actor::DepartmentStaff { .. } | Actor::AssociationAdmin) => true,
        (K::Return, Actor::DepartmentStaff { .. }) => true,
        (
            K::Claim,
            Actor::TeamLeader {
                team_id,
                team_active,
            },
        ) => team_active && order.claim_scope.allows(team_id),
        (K::Release, Actor::TeamLeader { team_id, .. }) => claimer(team_id),
        (K::Release, Actor::DepartmentStaff { .. } | Actor::AssociationAdmin | Actor::System) => {
            true
        }
        (K::Complete, Actor::TeamLeader { team_id, .. }) => claimer(team_id),
        (K::Rate, Actor::Resident { .. }) => true,
        (K::Close, Actor::System | Actor::AssociationAdmin) => true,
        (
            K::Cancel,
            Actor::Resident { .. } | Actor::StationStaff { .. } | Actor::AssociationAdmin,
        ) => true,
        _ => false,
    }
}

/// The states from which `actor` may take `kind`; narrower than the table only for residents,
/// who may cancel only until a team has claimed the order.
fn allowed_from(actor: &Actor, kind: ActionKind) -> &'static [OrderState] {
    use OrderState::*;
    match (kind, actor) {
        (ActionKind::Cancel, Actor::Resident { .. }) => &[Submitted, Dispatched, Accepted],
        _ => kind.transition().0,
    }
}

/// The outcome of an allowed action: the order's facts after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: OrderState,
    /// The state after.
    pub to: OrderState,
    /// The order's facts after the action.
    pub after: OrderFacts,
}

/// Decides whether `actor` may take `action` on `order`, and what the order becomes.
///
/// This is the only place the lifecycle's rules live; the API persists what it returns with a
/// conditional update, so two racing actions cannot both win.
pub fn decide(order: &OrderFacts, actor: &Actor, action: &Action) -> Result<Transition, Refusal> {
    let kind = action.kind();
    if !can_view(order, actor) && !lost_claim(order, actor, kind) {
        return Err(Refusal::NotFound);
    }
    if !has_right(order, actor, kind) {
        return Err(Refusal::Forbidden(kind));
    }
    let to = kind
        .target(order.state)
        .filter(|_| allowed_from(actor, kind).contains(&order.state));
    let Some(to) = to else {
        return Err(Refusal::InvalidTransition {
            action: kind,
            current: order.state,
        });
    };
    let mut after = OrderFacts {
        state: to,
        ..order.clone()
    };
    match action {
        Action::Dispatch { department_id } => after.department_id = Some(*department_id),
        Action::Accept { team_ids } => {
            after.claim_scope = match team_ids {
                Some(teams) if !teams.is_empty() => ClaimScope::Teams(teams.clone()),
                _ => ClaimScope::AllActiveTeams,
            }
        }
        Action::Return => {
            after.department_id = None;
            after.claim_scope = ClaimScope::Closed;
        }
        Action::Claim => {
            if let Actor::TeamLeader { team_id, .. } = actor {
                after.team_id = Some(*team_id);
            }
        }
        Action::Release => after.team_id = None,
        Action::Cancel { has_reason: false } if !matches!(actor, Actor::Resident { .. }) => {
            return Err(Refusal::MissingInput { field: "reason" });
        }
        Action::Reject
        | Action::Complete
        | Action::Rate
        | Action::Close
        | Action::Cancel { .. } => {}
    }
    Ok(Transition {
        from: order.state,
        to,
        after,
    })
}

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
