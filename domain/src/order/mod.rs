//! The order state machine of `order-lifecycle.md`: states, actions, actors, and the one pure
//! function, [`decide`], that says whether an actor may take an action on an order and what
//! follows.
//!
//! The checks run in a fixed order, and the order is part of the contract:
//! 1. may the actor know the order exists at all? If not: [`Refusal::NotFound`] (HTTP 404);
//! 2. is this actor ever allowed to take this action on this order? If not: [`Refusal::Forbidden`] (403);
//! 3. does the current state allow it? If not: [`Refusal::InvalidTransition`] (409).

mod actor;
mod history;
mod state;

use crate::ids::{DepartmentId, OrderId, StationId, TeamId};

pub use actor::{Actor, Role};
pub use history::{EventKind, RecordedStep, ReplayError, replay};
pub use state::{ActionKind, OrderState, UnknownName};

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
