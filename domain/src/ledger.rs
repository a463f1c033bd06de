//! The volunteer-hours ledger: service records, who may confirm, dispute or reverse them.
//!
//! `complete` files one `pending` record per volunteer. Staff of the order's department, or the
//! association, confirm or dispute it; a volunteer never credits themself. A confirmed record
//! is never edited: a correction is a new `reversal` record with negative hours and a reason,
//! made by the association. Only confirmed records (reversals included) count.

use crate::ids::DepartmentId;
use crate::order::Actor;
use std::fmt;
use std::str::FromStr;

/// Where a service record stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordState {
    /// Filed by `complete`; counts nowhere yet.
    Pending,
    /// Confirmed by the department or the association: counts toward tallies and stars.
    Confirmed,
    /// Disputed with a reason; counts nowhere unless later confirmed.
    Disputed,
}

impl RecordState {
    /// Every state.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Confirmed, Self::Disputed];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Disputed => "disputed",
        }
    }
}

impl fmt::Display for RecordState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordState {
    type Err = crate::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| crate::ParseError(format!("unknown record state {s}")))
    }
}

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Hours given on an order, filed by `complete`.
    Service,
    /// A correction: negative hours taking back (part of) a confirmed service record.
    Reversal,
}

impl RecordKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Reversal => "reversal",
        }
    }
}

impl FromStr for RecordKind {
    type Err = crate::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "service" => Ok(Self::Service),
            "reversal" => Ok(Self::Reversal),
            _ => Err(crate::ParseError(format!("unknown record kind {s}"))),
        }
    }
}

/// An action on a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LedgerAction {
    /// Count the hours.
    Confirm,
    /// Refuse the hours as filed, with a reason.
    Dispute,
    /// Take back (part of) confirmed hours with a new reversing record.
    Reverse,
}

impl LedgerAction {
    /// Every action.
    pub const ALL: [Self; 3] = [Self::Confirm, Self::Dispute, Self::Reverse];

    /// The wire name (the last path segment).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Dispute => "dispute",
            Self::Reverse => "reverse",
        }
    }

    /// The state a `Service` record moves to, or `None` where the action does not apply.
    /// A reversal leaves the original confirmed; it adds a new record instead.
    pub fn target(self, from: RecordState) -> Option<RecordState> {
        use RecordState::*;
        match (self, from) {
            (Self::Confirm, Pending | Disputed) => Some(Confirmed),
            (Self::Dispute, Pending) => Some(Disputed),
            (Self::Reverse, Confirmed) => Some(Confirmed),
            _ => None,
        }
    }
}

/// What the rules need to know about a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordFacts {
    /// Its state.
    pub state: RecordState,
    /// Its kind.
    pub kind: RecordKind,
    /// The department the order was dispatched to.
    pub department_id: Option<DepartmentId>,
    /// Hours still reversible, in half-hours (the record's own less earlier reversals).
    pub reversible_halves: i64,
    /// Whether the order was cancelled after it was completed: its hours can no longer be
    /// confirmed (disputing them is still allowed).
    pub order_cancelled: bool,
}

/// Why a ledger action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerRefusal {
    /// The actor may not know the record exists (404).
    #[error("service record not found")]
    NotFound,
    /// The actor may see it but never take this action (403).
    #[error("not allowed to {} this service record", .0.as_str())]
    Forbidden(LedgerAction),
    /// Not from the record's current state (409).
    #[error("cannot {} a service record that is {current}", action.as_str())]
    InvalidTransition {
        /// The refused action.
        action: LedgerAction,
        /// The record's state now.
        current: RecordState,
    },
    /// A reversal of more hours than remain, or of a reversal (422).
    #[error("nothing left to reverse")]
    NothingToReverse,
    /// The order was cancelled, so its hours cannot be confirmed (409).
    #[error("the order was cancelled; its hours cannot be confirmed")]
    OrderCancelled {
        /// The record's state now.
        current: RecordState,
    },
}

/// Whether `actor` may see the record: its order's department, or the association.
pub fn can_view(record: &RecordFacts, actor: &Actor) -> bool {
    match *actor {
        Actor::AssociationAdmin | Actor::System => true,
        Actor::DepartmentStaff { department_id } => record.department_id == Some(department_id),
        _ => false,
    }
}

/// Whether `actor`'s role may ever take `action` on a record, before any record is read:
/// residents and the public may not learn records exist (404); station staff, team leaders and
/// volunteers never credit hours (403); only the association reverses (403).
pub fn may_act(actor: &Actor, action: LedgerAction) -> Result<(), LedgerRefusal> {
    match actor {
        Actor::Public | Actor::Resident { .. } => Err(LedgerRefusal::NotFound),
        Actor::AssociationAdmin | Actor::System => Ok(()),
        Actor::DepartmentStaff { .. } if action != LedgerAction::Reverse => Ok(()),
        _ => Err(LedgerRefusal::Forbidden(action)),
    }
}

/// Whether `actor` may read `record`: 403 for roles that never handle records, 404 outside
/// the caller's department.
pub fn may_read(record: &RecordFacts, actor: &Actor) -> Result<(), LedgerRefusal> {
    may_act(actor, LedgerAction::Confirm)?;
    if can_view(record, actor) {
        Ok(())
    } else {
        Err(LedgerRefusal::NotFound)
    }
}

/// Decides `action` by `actor` on `record` (reversing `halves` for a reversal): the new state of
/// the record, or why not. Checks run role (403), visibility (404), state (409), amount (422).
pub fn decide(
    record: &RecordFacts,
    actor: &Actor,
    action: LedgerAction,
    halves: i64,
) -> Result<RecordState, LedgerRefusal> {
    may_act(actor, action)?;
    if !can_view(record, actor) {
        return Err(LedgerRefusal::NotFound);
    }
    if record.kind == RecordKind::Reversal {
        return Err(LedgerRefusal::InvalidTransition {
            action,
            current: record.state,
        });
    }
    let to = action
        .target(record.state)
        .ok_or(LedgerRefusal::InvalidTransition {
            action,
            current: record.state,
        })?;
    if action == LedgerAction::Confirm && record.order_cancelled {
        return Err(LedgerRefusal::OrderCancelled {
            current: record.state,
        });
    }
    if action == LedgerAction::Reverse && (halves <= 0 || halves > record.reversible_halves) {
        return Err(LedgerRefusal::NothingToReverse);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrderId, StationId, TeamId, VolunteerId};
    use uuid::Uuid;

    fn dept() -> DepartmentId {
        DepartmentId(Uuid::from_u128(7))
    }

    fn record(state: RecordState) -> RecordFacts {
        RecordFacts {
            state,
            kind: RecordKind::Service,
            department_id: Some(dept()),
            reversible_halves: 8,
            order_cancelled: false,
        }
    }

    #[test]
    fn the_department_and_the_association_confirm_and_dispute() {
        for actor in [
            Actor::DepartmentStaff {
                department_id: dept(),
            },
            Actor::AssociationAdmin,
        ] {
            for action in [LedgerAction::Confirm, LedgerAction::Dispute] {
                assert!(decide(&record(RecordState::Pending), &actor, action, 0).is_ok());
            }
        }
        let other = Actor::DepartmentStaff {
            department_id: DepartmentId(Uuid::from_u128(8)),
        };
        assert_eq!(
            decide(
                &record(RecordState::Pending),
                &other,
                LedgerAction::Confirm,
                0
            ),
            Err(LedgerRefusal::NotFound)
        );
    }

    #[test]
    fn volunteers_leaders_and_stations_never_credit_hours() {
        for actor in [
            Actor::Volunteer {
                volunteer_id: VolunteerId(Uuid::from_u128(1)),
            },
            Actor::TeamLeader {
                team_id: TeamId(Uuid::from_u128(2)),
                team_active: true,
            },
            Actor::StationStaff {
                station_id: StationId(Uuid::from_u128(3)),
            },
        ] {
            for action in LedgerAction::ALL {
                assert_eq!(
                    decide(&record(RecordState::Pending), &actor, action, 1),
                    Err(LedgerRefusal::Forbidden(action))
                );
            }
        }
        let resident = Actor::Resident {
            order_id: OrderId(Uuid::from_u128(4)),
        };
        assert_eq!(
            decide(
                &record(RecordState::Pending),
                &resident,
                LedgerAction::Confirm,
                0
            ),
            Err(LedgerRefusal::NotFound)
        );
    }

    #[test]
    fn only_the_association_reverses_and_only_confirmed_hours() {
        let confirmed = record(RecordState::Confirmed);
        assert_eq!(
            decide(
                &confirmed,
                &Actor::AssociationAdmin,
                LedgerAction::Reverse,
                3
            ),
            Ok(RecordState::Confirmed)
        );
        assert_eq!(
            decide(
                &confirmed,
                &Actor::DepartmentStaff {
                    department_id: dept()
                },
                LedgerAction::Reverse,
                3
            ),
            Err(LedgerRefusal::Forbidden(LedgerAction::Reverse))
        );
        assert_eq!(
            decide(
                &confirmed,
                &Actor::AssociationAdmin,
                LedgerAction::Reverse,
                9
            ),
            Err(LedgerRefusal::NothingToReverse)
        );
        assert_eq!(
            decide(
                &confirmed,
                &Actor::AssociationAdmin,
                LedgerAction::Reverse,
                0
            ),
            Err(LedgerRefusal::NothingToReverse)
        );
        assert!(matches!(
            decide(
                &record(RecordState::Pending),
                &Actor::AssociationAdmin,
                LedgerAction::Reverse,
                1
            ),
            Err(LedgerRefusal::InvalidTransition { .. })
        ));
        let reversal = RecordFacts {
            kind: RecordKind::Reversal,
            ..confirmed
        };
        assert!(matches!(
            decide(
                &reversal,
                &Actor::AssociationAdmin,
                LedgerAction::Reverse,
                1
            ),
            Err(LedgerRefusal::InvalidTransition { .. })
        ));
    }

    #[test]
    fn a_confirmed_record_is_final_and_a_disputed_one_can_be_confirmed() {
        let admin = Actor::AssociationAdmin;
        for action in [LedgerAction::Confirm, LedgerAction::Dispute] {
            assert_eq!(
                decide(&record(RecordState::Confirmed), &admin, action, 0),
                Err(LedgerRefusal::InvalidTransition {
                    action,
                    current: RecordState::Confirmed
                })
            );
        }
        assert_eq!(
            decide(
                &record(RecordState::Disputed),
                &admin,
                LedgerAction::Confirm,
                0
            ),
            Ok(RecordState::Confirmed)
        );
        assert!(
            decide(
                &record(RecordState::Disputed),
                &admin,
                LedgerAction::Dispute,
                0
            )
            .is_err()
        );
    }

    #[test]
    fn hours_of_a_cancelled_order_can_be_disputed_but_not_confirmed() {
        let cancelled = RecordFacts {
            order_cancelled: true,
            ..record(RecordState::Pending)
        };
        let admin = Actor::AssociationAdmin;
        assert_eq!(
            decide(&cancelled, &admin, LedgerAction::Confirm, 0),
            Err(LedgerRefusal::OrderCancelled {
                current: RecordState::Pending
            })
        );
        assert_eq!(
            decide(&cancelled, &admin, LedgerAction::Dispute, 0),
            Ok(RecordState::Disputed)
        );
    }

    #[test]
    fn names_round_trip() {
        for st in RecordState::ALL {
            assert_eq!(st.as_str().parse::<RecordState>(), Ok(st));
        }
        assert!("x".parse::<RecordState>().is_err());
        for k in [RecordKind::Service, RecordKind::Reversal] {
            assert_eq!(k.as_str().parse::<RecordKind>(), Ok(k));
        }
    }
}
