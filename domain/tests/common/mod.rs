//! The fixtures shared by the order-lifecycle tests: a small pool of ids, the Actions table of
//! `order-lifecycle.md` copied into [`SPEC_TABLE`], the actor kinds of the permission matrix
//! ([`Who`]), and builders of orders and actions.
//!
//! The expectations in these tests are written from the spec, not derived from the
//! implementation; the crate is reached through its public API only.

// Each test file uses its own share of these; what one leaves unused is not dead.
#![allow(dead_code)]

use kepu_domain::ids::{DepartmentId, OrderId, StationId, TeamId, VolunteerId};
use kepu_domain::order::{
    Action, ActionKind as K, Actor, ClaimScope, OrderFacts, OrderState as S, RecordedStep, decide,
};
use uuid::Uuid;

pub const ORDER: OrderId = OrderId(Uuid::from_u128(0x0101));
pub const OTHER_ORDER: OrderId = OrderId(Uuid::from_u128(0x0102));
pub const STATION: StationId = StationId(Uuid::from_u128(0x0201));
pub const OTHER_STATION: StationId = StationId(Uuid::from_u128(0x0202));
pub const DEPT: DepartmentId = DepartmentId(Uuid::from_u128(0x0301));
pub const OTHER_DEPT: DepartmentId = DepartmentId(Uuid::from_u128(0x0302));
/// The team that claimed the order (in the fully populated facts).
pub const TEAM_CLAIMING: TeamId = TeamId(Uuid::from_u128(0x0401));
/// An active team allowed to claim, that has not claimed.
pub const TEAM_ALLOWED: TeamId = TeamId(Uuid::from_u128(0x0402));
/// A team outside the claim scope.
pub const TEAM_NOT_ALLOWED: TeamId = TeamId(Uuid::from_u128(0x0403));
/// A team in the claim scope, but inactive.
pub const TEAM_INACTIVE: TeamId = TeamId(Uuid::from_u128(0x0404));
pub const VOLUNTEER: VolunteerId = VolunteerId(Uuid::from_u128(0x0501));

pub const ORDERS: [OrderId; 2] = [ORDER, OTHER_ORDER];
pub const STATIONS: [StationId; 2] = [STATION, OTHER_STATION];
pub const DEPTS: [DepartmentId; 2] = [DEPT, OTHER_DEPT];
pub const TEAMS: [TeamId; 3] = [TEAM_CLAIMING, TEAM_ALLOWED, TEAM_NOT_ALLOWED];

pub const NON_TERMINAL: &[S] = &[
    S::Submitted,
    S::Dispatched,
    S::Accepted,
    S::Claimed,
    S::Completed,
];
pub const TERMINAL: &[S] = &[S::Closed, S::Rejected, S::Cancelled];
/// `cancel` by the resident: only until a team has claimed the order.
pub const RESIDENT_CANCEL_FROM: &[S] = &[S::Submitted, S::Dispatched, S::Accepted];

/// The Actions table of `order-lifecycle.md`, minus `submit` (which starts from nothing):
/// (action, from-states, to). `cancel` is the staff row (any non-terminal state); the resident's
/// narrower row is [`RESIDENT_CANCEL_FROM`].
pub const SPEC_TABLE: &[(K, &[S], S)] = &[
    (K::Dispatch, &[S::Submitted], S::Dispatched),
    (K::Reject, &[S::Submitted], S::Rejected),
    (K::Accept, &[S::Dispatched], S::Accepted),
    (K::Return, &[S::Dispatched], S::Submitted),
    (K::Claim, &[S::Accepted], S::Claimed),
    (K::Release, &[S::Claimed], S::Accepted),
    (K::Complete, &[S::Claimed], S::Completed),
    (K::Rate, &[S::Completed], S::Closed),
    (K::Close, &[S::Completed], S::Closed),
    (K::Cancel, NON_TERMINAL, S::Cancelled),
];

/// The actions `decide` takes (everything but `submit`).
pub const DECIDED: [K; 10] = [
    K::Dispatch,
    K::Reject,
    K::Accept,
    K::Return,
    K::Claim,
    K::Release,
    K::Complete,
    K::Rate,
    K::Close,
    K::Cancel,
];

/// The row of [`SPEC_TABLE`] for `kind`.
pub fn spec_row(kind: K) -> (&'static [S], S) {
    SPEC_TABLE
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, froms, to)| (*froms, *to))
        .unwrap_or_else(|| panic!("{kind} is not in the spec table"))
}

/// Where the spec table says `kind` leads from `from`, if anywhere.
pub fn spec_target(kind: K, from: S) -> Option<S> {
    if kind == K::Submit {
        return None;
    }
    let (froms, to) = spec_row(kind);
    froms.contains(&from).then_some(to)
}

pub fn spec_is_terminal(state: S) -> bool {
    TERMINAL.contains(&state)
}

/// The actor kinds of the permission matrix, relative to [`full_facts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Public,
    ResidentOwn,
    ResidentOther,
    StationOwn,
    StationOther,
    DeptOwn,
    DeptOther,
    LeaderClaiming,
    LeaderAllowed,
    LeaderNotAllowed,
    LeaderInactiveAllowed,
    Volunteer,
    Admin,
    System,
}

impl Who {
    pub const ALL: [Who; 14] = [
        Who::Public,
        Who::ResidentOwn,
        Who::ResidentOther,
        Who::StationOwn,
        Who::StationOther,
        Who::DeptOwn,
        Who::DeptOther,
        Who::LeaderClaiming,
        Who::LeaderAllowed,
        Who::LeaderNotAllowed,
        Who::LeaderInactiveAllowed,
        Who::Volunteer,
        Who::Admin,
        Who::System,
    ];

    pub fn actor(self) -> Actor {
        match self {
            Who::Public => Actor::Public,
            Who::ResidentOwn => Actor::Resident { order_id: ORDER },
            Who::ResidentOther => Actor::Resident {
                order_id: OTHER_ORDER,
            },
            Who::StationOwn => Actor::StationStaff {
                station_id: STATION,
            },
            Who::StationOther => Actor::StationStaff {
                station_id: OTHER_STATION,
            },
            Who::DeptOwn => Actor::DepartmentStaff {
                department_id: DEPT,
            },
            Who::DeptOther => Actor::DepartmentStaff {
                department_id: OTHER_DEPT,
            },
            Who::LeaderClaiming => leader(TEAM_CLAIMING),
            Who::LeaderAllowed => leader(TEAM_ALLOWED),
            Who::LeaderNotAllowed => leader(TEAM_NOT_ALLOWED),
            Who::LeaderInactiveAllowed => Actor::TeamLeader {
                team_id: TEAM_INACTIVE,
                team_active: false,
            },
            Who::Volunteer => Actor::Volunteer {
                volunteer_id: VOLUNTEER,
            },
            Who::Admin => Actor::AssociationAdmin,
            Who::System => Actor::System,
        }
    }
}

pub fn leader(team_id: TeamId) -> Actor {
    Actor::TeamLeader {
        team_id,
        team_active: true,
    }
}

/// A fresh order, as submitted.
pub fn new_order() -> OrderFacts {
    OrderFacts {
        id: ORDER,
        state: S::Submitted,
        station_id: STATION,
        department_id: None,
        team_id: None,
        claim_scope: ClaimScope::Closed,
    }
}

/// An order in `state` with every fact filled in (department, claim scope, claiming team), so
/// that who can see it does not depend on the state and the right/state checks are isolated.
pub fn full_facts(state: S) -> OrderFacts {
    OrderFacts {
        id: ORDER,
        state,
        station_id: STATION,
        department_id: Some(DEPT),
        team_id: Some(TEAM_CLAIMING),
        claim_scope: ClaimScope::Teams(vec![TEAM_CLAIMING, TEAM_ALLOWED, TEAM_INACTIVE]),
    }
}

/// A representative action of each kind (with a reason where one may be given).
pub fn sample_action(kind: K) -> Action {
    match kind {
        K::Submit => panic!("submit is not decided on an existing order"),
        K::Dispatch => Action::Dispatch {
            department_id: DEPT,
        },
        K::Reject => Action::Reject,
        K::Accept => Action::Accept { team_ids: None },
        K::Return => Action::Return,
        K::Claim => Action::Claim,
        K::Release => Action::Release,
        K::Complete => Action::Complete,
        K::Rate => Action::Rate,
        K::Close => Action::Close,
        K::Cancel => Action::Cancel { has_reason: true },
    }
}

pub fn submit_step() -> RecordedStep {
    RecordedStep {
        action: K::Submit.into(),
        from: None,
        to: S::Submitted,
    }
}

/// Applies `action` by `actor`, which must succeed, and returns the order after it.
#[track_caller]
pub fn apply(order: &OrderFacts, actor: &Actor, action: Action) -> OrderFacts {
    match decide(order, actor, &action) {
        Ok(t) => t.after,
        Err(refusal) => panic!(
            "{} by {actor:?} from {} was refused: {refusal:?}",
            action.kind(),
            order.state
        ),
    }
}
