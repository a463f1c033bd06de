//! The order state machine of `order-lifecycle.md`, tested against the spec through the crate's
//! public API only: `decide`, `can_view`, `is_handling`, `replay` and `ActionKind::target`.
//!
//! The expectations here are written from the spec, not derived from the implementation: the
//! Actions table is copied into [`SPEC_TABLE`], the "who may take it" column into [`matrix`] and
//! [`spec_right`], and the check order (visibility → right → state) from the module doc of
//! `kepu_domain::order`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kepu_domain::ids::{DepartmentId, OrderId, StationId, TeamId, VolunteerId};
use kepu_domain::order::{
    Action, ActionKind as K, Actor, ClaimScope, EventKind, OrderFacts, OrderState as S,
    RecordedStep, Refusal, ReplayError, can_view, decide, is_handling, replay,
};
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const ORDER: OrderId = OrderId(Uuid::from_u128(0x0101));
const OTHER_ORDER: OrderId = OrderId(Uuid::from_u128(0x0102));
const STATION: StationId = StationId(Uuid::from_u128(0x0201));
const OTHER_STATION: StationId = StationId(Uuid::from_u128(0x0202));
const DEPT: DepartmentId = DepartmentId(Uuid::from_u128(0x0301));
const OTHER_DEPT: DepartmentId = DepartmentId(Uuid::from_u128(0x0302));
/// The team that claimed the order (in the fully populated facts).
const TEAM_CLAIMING: TeamId = TeamId(Uuid::from_u128(0x0401));
/// An active team allowed to claim, that has not claimed.
const TEAM_ALLOWED: TeamId = TeamId(Uuid::from_u128(0x0402));
/// A team outside the claim scope.
const TEAM_NOT_ALLOWED: TeamId = TeamId(Uuid::from_u128(0x0403));
/// A team in the claim scope, but inactive.
const TEAM_INACTIVE: TeamId = TeamId(Uuid::from_u128(0x0404));
const VOLUNTEER: VolunteerId = VolunteerId(Uuid::from_u128(0x0501));

const ORDERS: [OrderId; 2] = [ORDER, OTHER_ORDER];
const STATIONS: [StationId; 2] = [STATION, OTHER_STATION];
const DEPTS: [DepartmentId; 2] = [DEPT, OTHER_DEPT];
const TEAMS: [TeamId; 3] = [TEAM_CLAIMING, TEAM_ALLOWED, TEAM_NOT_ALLOWED];

const NON_TERMINAL: &[S] = &[
    S::Submitted,
    S::Dispatched,
    S::Accepted,
    S::Claimed,
    S::Completed,
];
const TERMINAL: &[S] = &[S::Closed, S::Rejected, S::Cancelled];
/// `cancel` by the resident: only until a team has claimed the order.
const RESIDENT_CANCEL_FROM: &[S] = &[S::Submitted, S::Dispatched, S::Accepted];

/// The Actions table of `order-lifecycle.md`, minus `submit` (which starts from nothing):
/// (action, from-states, to). `cancel` is the staff row (any non-terminal state); the resident's
/// narrower row is [`RESIDENT_CANCEL_FROM`].
const SPEC_TABLE: &[(K, &[S], S)] = &[
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
const DECIDED: [K; 10] = [
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
fn spec_row(kind: K) -> (&'static [S], S) {
    SPEC_TABLE
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, froms, to)| (*froms, *to))
        .unwrap_or_else(|| panic!("{kind} is not in the spec table"))
}

/// Where the spec table says `kind` leads from `from`, if anywhere.
fn spec_target(kind: K, from: S) -> Option<S> {
    if kind == K::Submit {
        return None;
    }
    let (froms, to) = spec_row(kind);
    froms.contains(&from).then_some(to)
}

fn spec_is_terminal(state: S) -> bool {
    TERMINAL.contains(&state)
}

/// The actor kinds of the permission matrix, relative to [`full_facts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
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
    const ALL: [Who; 14] = [
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

    fn actor(self) -> Actor {
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

fn leader(team_id: TeamId) -> Actor {
    Actor::TeamLeader {
        team_id,
        team_active: true,
    }
}

/// A fresh order, as submitted.
fn new_order() -> OrderFacts {
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
fn full_facts(state: S) -> OrderFacts {
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
fn sample_action(kind: K) -> Action {
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

fn submit_step() -> RecordedStep {
    RecordedStep {
        action: K::Submit.into(),
        from: None,
        to: S::Submitted,
    }
}

/// Applies `action` by `actor`, which must succeed, and returns the order after it.
#[track_caller]
fn apply(order: &OrderFacts, actor: &Actor, action: Action) -> OrderFacts {
    match decide(order, actor, &action) {
        Ok(t) => t.after,
        Err(refusal) => panic!(
            "{} by {actor:?} from {} was refused: {refusal:?}",
            action.kind(),
            order.state
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The Actions table
// ---------------------------------------------------------------------------------------------

#[test]
fn action_kind_target_matches_the_spec_table() {
    for kind in K::ALL {
        for from in S::ALL {
            assert_eq!(
                kind.target(from),
                spec_target(kind, from),
                "ActionKind::{kind:?}.target({from})"
            );
        }
    }
    // `submit` starts from nothing and leads to `submitted`.
    assert_eq!(K::Submit.transition(), (&[][..], Some(S::Submitted)));
}

#[test]
fn terminal_states_are_closed_rejected_cancelled() {
    for state in S::ALL {
        assert_eq!(
            state.is_terminal(),
            spec_is_terminal(state),
            "{state}.is_terminal()"
        );
    }
}

/// Every row of the Actions table, for every actor the "who may take it" column names, from
/// every one of the 8 states: the table's target where the row allows it, 409 otherwise.
#[test]
fn actions_table_every_row_every_state() {
    // (action, who may take it, the from-states of their row)
    let rows: &[(K, Who, &[S])] = &[
        (K::Dispatch, Who::StationOwn, &[S::Submitted]),
        (K::Dispatch, Who::Admin, &[S::Submitted]),
        (K::Reject, Who::StationOwn, &[S::Submitted]),
        (K::Reject, Who::Admin, &[S::Submitted]),
        (K::Accept, Who::DeptOwn, &[S::Dispatched]),
        (K::Accept, Who::Admin, &[S::Dispatched]),
        (K::Return, Who::DeptOwn, &[S::Dispatched]),
        (K::Claim, Who::LeaderAllowed, &[S::Accepted]),
        (K::Release, Who::LeaderClaiming, &[S::Claimed]),
        (K::Release, Who::DeptOwn, &[S::Claimed]),
        (K::Release, Who::Admin, &[S::Claimed]),
        (K::Release, Who::System, &[S::Claimed]),
        (K::Complete, Who::LeaderClaiming, &[S::Claimed]),
        (K::Rate, Who::ResidentOwn, &[S::Completed]),
        (K::Close, Who::System, &[S::Completed]),
        (K::Close, Who::Admin, &[S::Completed]),
        (K::Cancel, Who::ResidentOwn, RESIDENT_CANCEL_FROM),
        (K::Cancel, Who::StationOwn, NON_TERMINAL),
        (K::Cancel, Who::Admin, NON_TERMINAL),
    ];
    let mut cases = 0;
    for &(kind, who, froms) in rows {
        let (_, to) = spec_row(kind);
        for from in S::ALL {
            let order = full_facts(from);
            let got = decide(&order, &who.actor(), &sample_action(kind)).map(|t| (t.from, t.to));
            let want = if froms.contains(&from) {
                Ok((from, to))
            } else {
                Err(Refusal::InvalidTransition {
                    action: kind,
                    current: from,
                })
            };
            assert_eq!(got, want, "{kind} by {who:?} from {from}");
            cases += 1;
        }
    }
    assert_eq!(cases, rows.len() * 8);
}

// ---------------------------------------------------------------------------------------------
// 2. The permission matrix
// ---------------------------------------------------------------------------------------------

/// What the spec says about one actor kind and one action, on [`full_facts`].
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The actor may not know the order exists: 404 whatever the state.
    Hidden,
    /// The actor sees the order but never has this right: 403 whatever the state.
    NoRight,
    /// Allowed from these states, 409 from the others.
    From(&'static [S]),
}

/// The permission matrix, written out by hand from the "who may take it" column.
fn matrix(who: Who, kind: K) -> Expect {
    use Expect::{From, Hidden, NoRight};
    let row = |k: K| From(spec_row(k).0);
    match who {
        Who::Public
        | Who::ResidentOther
        | Who::StationOther
        | Who::DeptOther
        | Who::LeaderNotAllowed
        | Who::Volunteer => Hidden,
        Who::ResidentOwn => match kind {
            K::Rate => row(K::Rate),
            K::Cancel => From(RESIDENT_CANCEL_FROM),
            _ => NoRight,
        },
        Who::StationOwn => match kind {
            K::Dispatch | K::Reject | K::Cancel => row(kind),
            _ => NoRight,
        },
        Who::DeptOwn => match kind {
            K::Accept | K::Return | K::Release => row(kind),
            _ => NoRight,
        },
        Who::LeaderClaiming => match kind {
            // Its team is active and in the claim scope, so it has the right to claim (409 once
            // the order is claimed), and as the claimer it may release and complete.
            K::Claim | K::Release | K::Complete => row(kind),
            _ => NoRight,
        },
        Who::LeaderAllowed => match kind {
            K::Claim => row(kind),
            _ => NoRight,
        },
        // Visible through the claim scope, but an inactive team may not claim.
        Who::LeaderInactiveAllowed => NoRight,
        Who::Admin => match kind {
            K::Dispatch | K::Reject | K::Accept | K::Release | K::Close | K::Cancel => row(kind),
            _ => NoRight,
        },
        Who::System => match kind {
            K::Release | K::Close => row(kind),
            _ => NoRight,
        },
    }
}

#[test]
fn permission_matrix_every_action_every_actor_every_state() {
    let mut cases = 0;
    for who in Who::ALL {
        let actor = who.actor();
        for kind in DECIDED {
            let expect = matrix(who, kind);
            for state in S::ALL {
                let order = full_facts(state);
                let got = decide(&order, &actor, &sample_action(kind)).map(|t| t.to);
                let want = match expect {
                    Expect::Hidden => Err(Refusal::NotFound),
                    Expect::NoRight => Err(Refusal::Forbidden(kind)),
                    Expect::From(froms) if froms.contains(&state) => Ok(spec_row(kind).1),
                    Expect::From(_) => Err(Refusal::InvalidTransition {
                        action: kind,
                        current: state,
                    }),
                };
                assert_eq!(got, want, "{kind} by {who:?} on a {state} order");
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 14 * 10 * 8);
}

#[test]
fn visibility_matches_the_matrix() {
    for who in Who::ALL {
        let hidden = matches!(matrix(who, K::Cancel), Expect::Hidden);
        for state in S::ALL {
            assert_eq!(
                can_view(&full_facts(state), &who.actor()),
                !hidden,
                "can_view by {who:?} on a {state} order"
            );
        }
    }
}

#[test]
fn resident_cancels_only_from_submitted_dispatched_accepted() {
    let resident = Who::ResidentOwn.actor();
    for state in S::ALL {
        for has_reason in [false, true] {
            let got = decide(
                &full_facts(state),
                &resident,
                &Action::Cancel { has_reason },
            )
            .map(|t| t.to);
            let want = if RESIDENT_CANCEL_FROM.contains(&state) {
                Ok(S::Cancelled)
            } else {
                Err(Refusal::InvalidTransition {
                    action: K::Cancel,
                    current: state,
                })
            };
            assert_eq!(
                got, want,
                "resident cancel (has_reason={has_reason}) from {state}"
            );
        }
    }
}

#[test]
fn staff_cancel_needs_a_reason() {
    for who in [Who::StationOwn, Who::Admin] {
        for state in S::ALL {
            let order = full_facts(state);
            let without = decide(&order, &who.actor(), &Action::Cancel { has_reason: false });
            let with = decide(&order, &who.actor(), &Action::Cancel { has_reason: true });
            if NON_TERMINAL.contains(&state) {
                assert_eq!(
                    without,
                    Err(Refusal::MissingInput { field: "reason" }),
                    "{who:?} cancel without reason from {state}"
                );
                assert_eq!(
                    with.map(|t| t.to),
                    Ok(S::Cancelled),
                    "{who:?} cancel with reason from {state}"
                );
            } else {
                // The state is checked before the input: a terminal order is 409 either way.
                let conflict = Err(Refusal::InvalidTransition {
                    action: K::Cancel,
                    current: state,
                });
                assert_eq!(
                    without.map(|t| t.to),
                    conflict,
                    "{who:?} cancel without reason from {state}"
                );
                assert_eq!(
                    with.map(|t| t.to),
                    conflict,
                    "{who:?} cancel with reason from {state}"
                );
            }
        }
    }
}

#[test]
fn missing_reason_does_not_mask_404_or_403() {
    let cancel = Action::Cancel { has_reason: false };
    let order = full_facts(S::Submitted);
    assert_eq!(
        decide(&order, &Who::StationOther.actor(), &cancel),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        decide(&order, &Who::DeptOwn.actor(), &cancel),
        Err(Refusal::Forbidden(K::Cancel))
    );
    assert_eq!(
        decide(&order, &Who::System.actor(), &cancel),
        Err(Refusal::Forbidden(K::Cancel))
    );
}

/// Visibility on realistic facts: who can see an order depends on how far it has come.
#[test]
fn visibility_follows_the_lifecycle() {
    let station = Who::StationOwn.actor();
    let dept = Who::DeptOwn.actor();
    let submitted = new_order();

    // Not yet dispatched: no department and no team may know it exists.
    assert_eq!(
        decide(&submitted, &dept, &Action::Accept { team_ids: None }),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        decide(&submitted, &leader(TEAM_ALLOWED), &Action::Claim),
        Err(Refusal::NotFound)
    );

    // Dispatched to DEPT: that department sees it, the other does not; teams still do not.
    let dispatched = apply(
        &submitted,
        &station,
        Action::Dispatch {
            department_id: DEPT,
        },
    );
    assert!(can_view(&dispatched, &dept));
    assert!(!can_view(&dispatched, &Who::DeptOther.actor()));
    assert_eq!(
        decide(&dispatched, &leader(TEAM_ALLOWED), &Action::Claim),
        Err(Refusal::NotFound)
    );

    // Returned: the department loses sight of it.
    let returned = apply(&dispatched, &dept, Action::Return);
    assert_eq!(returned.state, S::Submitted);
    assert_eq!(
        decide(&returned, &dept, &Action::Accept { team_ids: None }),
        Err(Refusal::NotFound)
    );

    // Accepted for listed teams: a listed team may claim, an unlisted one may not know it,
    // an inactive listed one sees it but may not claim.
    let restricted = apply(
        &dispatched,
        &dept,
        Action::Accept {
            team_ids: Some(vec![TEAM_ALLOWED, TEAM_INACTIVE]),
        },
    );
    assert_eq!(
        decide(&restricted, &leader(TEAM_NOT_ALLOWED), &Action::Claim),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        decide(
            &restricted,
            &Who::LeaderInactiveAllowed.actor(),
            &Action::Claim
        ),
        Err(Refusal::Forbidden(K::Claim))
    );
    assert_eq!(
        decide(&restricted, &leader(TEAM_ALLOWED), &Action::Claim).map(|t| t.to),
        Ok(S::Claimed)
    );

    // Accepted for all: any active team may claim; an inactive one still may not.
    let open = apply(&dispatched, &dept, Action::Accept { team_ids: None });
    assert_eq!(
        decide(&open, &leader(TEAM_NOT_ALLOWED), &Action::Claim).map(|t| t.to),
        Ok(S::Claimed)
    );
    assert_eq!(
        decide(
            &open,
            &Actor::TeamLeader {
                team_id: TEAM_NOT_ALLOWED,
                team_active: false
            },
            &Action::Claim
        ),
        Err(Refusal::Forbidden(K::Claim))
    );
}

/// One winner: once one team has claimed, every other allowed team (and the winner) gets 409;
/// a team that is not the claimer may neither release nor complete (403).
#[test]
fn one_team_wins_the_claim() {
    let accepted = apply(
        &apply(
            &new_order(),
            &Who::StationOwn.actor(),
            Action::Dispatch {
                department_id: DEPT,
            },
        ),
        &Who::DeptOwn.actor(),
        Action::Accept { team_ids: None },
    );
    let claimed = apply(&accepted, &leader(TEAM_CLAIMING), Action::Claim);
    for team in TEAMS {
        assert_eq!(
            decide(&claimed, &leader(team), &Action::Claim),
            Err(Refusal::InvalidTransition {
                action: K::Claim,
                current: S::Claimed
            }),
            "second claim by {team}"
        );
    }
    for action in [Action::Release, Action::Complete] {
        assert_eq!(
            decide(&claimed, &leader(TEAM_ALLOWED), &action),
            Err(Refusal::Forbidden(action.kind())),
            "{} by a non-claiming team",
            action.kind()
        );
    }
    // After a release, the former claimer is no longer the claimer.
    let released = apply(&claimed, &leader(TEAM_CLAIMING), Action::Release);
    assert_eq!(
        decide(&released, &leader(TEAM_CLAIMING), &Action::Complete),
        Err(Refusal::Forbidden(K::Complete))
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Effects
// ---------------------------------------------------------------------------------------------

#[test]
fn dispatch_sets_the_department() {
    let order = new_order();
    let t = decide(
        &order,
        &Who::StationOwn.actor(),
        &Action::Dispatch {
            department_id: OTHER_DEPT,
        },
    )
    .unwrap();
    assert_eq!((t.from, t.to), (S::Submitted, S::Dispatched));
    assert_eq!(
        t.after,
        OrderFacts {
            state: S::Dispatched,
            department_id: Some(OTHER_DEPT),
            ..order
        }
    );
}

#[test]
fn accept_with_teams_restricts_the_claim_scope() {
    let order = OrderFacts {
        state: S::Dispatched,
        department_id: Some(DEPT),
        ..new_order()
    };
    let after = apply(
        &order,
        &Who::DeptOwn.actor(),
        Action::Accept {
            team_ids: Some(vec![TEAM_ALLOWED]),
        },
    );
    assert_eq!(
        after,
        OrderFacts {
            state: S::Accepted,
            claim_scope: ClaimScope::Teams(vec![TEAM_ALLOWED]),
            ..order.clone()
        }
    );
    assert!(after.claim_scope.allows(TEAM_ALLOWED));
    assert!(!after.claim_scope.allows(TEAM_NOT_ALLOWED));

    // The association may accept too, with the same effect.
    let by_admin = apply(
        &order,
        &Actor::AssociationAdmin,
        Action::Accept {
            team_ids: Some(vec![TEAM_ALLOWED, TEAM_CLAIMING]),
        },
    );
    assert_eq!(
        by_admin.claim_scope,
        ClaimScope::Teams(vec![TEAM_ALLOWED, TEAM_CLAIMING])
    );
}

#[test]
fn accept_without_teams_opens_to_all_active_teams() {
    let order = OrderFacts {
        state: S::Dispatched,
        department_id: Some(DEPT),
        ..new_order()
    };
    let after = apply(
        &order,
        &Who::DeptOwn.actor(),
        Action::Accept { team_ids: None },
    );
    assert_eq!(
        after,
        OrderFacts {
            state: S::Accepted,
            claim_scope: ClaimScope::AllActiveTeams,
            ..order
        }
    );
    for team in TEAMS {
        assert!(after.claim_scope.allows(team), "{team} may claim");
    }
}

#[test]
fn return_clears_the_department_and_the_claim_scope() {
    // A dispatched order that had been opened to teams before (facts left over).
    let order = OrderFacts {
        state: S::Dispatched,
        department_id: Some(DEPT),
        claim_scope: ClaimScope::Teams(vec![TEAM_ALLOWED]),
        ..new_order()
    };
    let after = apply(&order, &Who::DeptOwn.actor(), Action::Return);
    assert_eq!(
        after,
        OrderFacts {
            state: S::Submitted,
            department_id: None,
            claim_scope: ClaimScope::Closed,
            ..order
        }
    );
}

#[test]
fn claim_sets_the_team_and_release_clears_it() {
    let accepted = OrderFacts {
        state: S::Accepted,
        department_id: Some(DEPT),
        claim_scope: ClaimScope::Teams(vec![TEAM_CLAIMING, TEAM_ALLOWED]),
        ..new_order()
    };
    let claimed = apply(&accepted, &leader(TEAM_ALLOWED), Action::Claim);
    assert_eq!(
        claimed,
        OrderFacts {
            state: S::Claimed,
            team_id: Some(TEAM_ALLOWED),
            ..accepted.clone()
        }
    );
    for who in [Who::DeptOwn, Who::Admin, Who::System] {
        let released = apply(&claimed, &who.actor(), Action::Release);
        assert_eq!(
            released,
            OrderFacts {
                state: S::Accepted,
                team_id: None,
                ..claimed.clone()
            },
            "release by {who:?}"
        );
    }
    let released = apply(&claimed, &leader(TEAM_ALLOWED), Action::Release);
    assert_eq!(released, accepted, "release by the claiming leader");
}

#[test]
fn other_actions_change_only_the_state() {
    let cases: &[(S, Who, Action)] = &[
        (S::Submitted, Who::StationOwn, Action::Reject),
        (S::Claimed, Who::LeaderClaiming, Action::Complete),
        (S::Completed, Who::ResidentOwn, Action::Rate),
        (S::Completed, Who::System, Action::Close),
        (
            S::Accepted,
            Who::ResidentOwn,
            Action::Cancel { has_reason: false },
        ),
        (
            S::Completed,
            Who::Admin,
            Action::Cancel { has_reason: true },
        ),
    ];
    for (from, who, action) in cases {
        let order = full_facts(*from);
        let t = decide(&order, &who.actor(), action).unwrap();
        assert_eq!(
            t.after,
            OrderFacts {
                state: t.to,
                ..order
            },
            "{} by {who:?} from {from}",
            action.kind()
        );
    }
}

#[test]
fn the_happy_path_replays() {
    let mut order = new_order();
    let mut history = vec![submit_step()];
    let steps: [(Actor, Action, S); 5] = [
        (
            Who::StationOwn.actor(),
            Action::Dispatch {
                department_id: DEPT,
            },
            S::Dispatched,
        ),
        (
            Who::DeptOwn.actor(),
            Action::Accept { team_ids: None },
            S::Accepted,
        ),
        (leader(TEAM_CLAIMING), Action::Claim, S::Claimed),
        (leader(TEAM_CLAIMING), Action::Complete, S::Completed),
        (Who::ResidentOwn.actor(), Action::Rate, S::Closed),
    ];
    for (actor, action, want) in steps {
        let t = decide(&order, &actor, &action).unwrap();
        assert_eq!(t.to, want, "{} by {actor:?}", action.kind());
        history.push(RecordedStep {
            action: action.kind().into(),
            from: Some(t.from),
            to: t.to,
        });
        order = t.after;
    }
    assert_eq!(replay(&history), Ok(S::Closed));
}

// ---------------------------------------------------------------------------------------------
// 4. Handling vs viewing
// ---------------------------------------------------------------------------------------------

/// Contact details are unmasked only for those handling the order: its station, its department,
/// the claiming team's leader, the association (and the service itself). Others in scope see
/// the order with the phone masked; the rest do not see it.
#[test]
fn is_handling_vs_can_view() {
    // (who, can view, is handling) on a claimed order.
    let table: [(Who, bool, bool); 14] = [
        (Who::Public, false, false),
        (Who::ResidentOwn, true, false),
        (Who::ResidentOther, false, false),
        (Who::StationOwn, true, true),
        (Who::StationOther, false, false),
        (Who::DeptOwn, true, true),
        (Who::DeptOther, false, false),
        (Who::LeaderClaiming, true, true),
        (Who::LeaderAllowed, true, false),
        (Who::LeaderNotAllowed, false, false),
        (Who::LeaderInactiveAllowed, true, false),
        (Who::Volunteer, false, false),
        (Who::Admin, true, true),
        (Who::System, true, true),
    ];
    let order = full_facts(S::Claimed);
    for (who, view, handling) in table {
        let actor = who.actor();
        assert_eq!(can_view(&order, &actor), view, "can_view by {who:?}");
        assert_eq!(
            is_handling(&order, &actor),
            handling,
            "is_handling by {who:?}"
        );
    }

    // Before a claim, no team handles it, though allowed teams may see it.
    let accepted = OrderFacts {
        team_id: None,
        ..full_facts(S::Accepted)
    };
    for team in [TEAM_CLAIMING, TEAM_ALLOWED] {
        assert!(can_view(&accepted, &leader(team)), "{team} sees it");
        assert!(!is_handling(&accepted, &leader(team)), "{team} handles it");
    }
    // Before dispatch, no department handles it.
    assert!(!is_handling(&new_order(), &Who::DeptOwn.actor()));
    assert!(is_handling(&new_order(), &Who::StationOwn.actor()));
}

// ---------------------------------------------------------------------------------------------
// 5. Properties
// ---------------------------------------------------------------------------------------------

fn actor_strategy() -> impl Strategy<Value = Actor> {
    prop_oneof![
        1 => Just(Actor::Public),
        2 => select(ORDERS.to_vec()).prop_map(|order_id| Actor::Resident { order_id }),
        3 => select(STATIONS.to_vec()).prop_map(|station_id| Actor::StationStaff { station_id }),
        3 => select(DEPTS.to_vec())
            .prop_map(|department_id| Actor::DepartmentStaff { department_id }),
        4 => (select(TEAMS.to_vec()), prop::bool::weighted(0.8))
            .prop_map(|(team_id, team_active)| Actor::TeamLeader { team_id, team_active }),
        1 => Just(Actor::Volunteer { volunteer_id: VOLUNTEER }),
        2 => Just(Actor::AssociationAdmin),
        1 => Just(Actor::System),
    ]
}

fn action_strategy() -> impl Strategy<Value = Action> {
    // Actions that move an order forward weigh more than those that end it, so that walks get
    // far into the lifecycle before they stop.
    prop_oneof![
        5 => select(DEPTS.to_vec()).prop_map(|department_id| Action::Dispatch { department_id }),
        1 => Just(Action::Reject),
        // Only non-empty lists: what an explicitly empty list means is not in the spec.
        5 => prop::option::of(subsequence(TEAMS.to_vec(), 1..=TEAMS.len()))
            .prop_map(|team_ids| Action::Accept { team_ids }),
        2 => Just(Action::Return),
        5 => Just(Action::Claim),
        2 => Just(Action::Release),
        5 => Just(Action::Complete),
        1 => Just(Action::Rate),
        1 => Just(Action::Close),
        1 => any::<bool>().prop_map(|has_reason| Action::Cancel { has_reason }),
    ]
}

/// An actor of a role the spec lets take `kind`, with ids still drawn from the pools (so often
/// not the right station, department or team).
fn likely_actor(kind: K) -> BoxedStrategy<Actor> {
    let station =
        select(STATIONS.to_vec()).prop_map(|station_id| Actor::StationStaff { station_id });
    let dept =
        select(DEPTS.to_vec()).prop_map(|department_id| Actor::DepartmentStaff { department_id });
    let team =
        (select(TEAMS.to_vec()), prop::bool::weighted(0.9)).prop_map(|(team_id, team_active)| {
            Actor::TeamLeader {
                team_id,
                team_active,
            }
        });
    let resident = select(ORDERS.to_vec()).prop_map(|order_id| Actor::Resident { order_id });
    let admin = Just(Actor::AssociationAdmin);
    let system = Just(Actor::System);
    match kind {
        K::Dispatch | K::Reject => prop_oneof![3 => station, 1 => admin].boxed(),
        K::Accept | K::Return => prop_oneof![3 => dept, 1 => admin].boxed(),
        K::Claim | K::Complete => team.boxed(),
        K::Release => prop_oneof![2 => team, 1 => dept, 1 => admin, 1 => system].boxed(),
        K::Rate => resident.boxed(),
        K::Close => prop_oneof![system, admin].boxed(),
        K::Cancel | K::Submit => prop_oneof![resident, station, admin].boxed(),
    }
}

/// One step of a walk: an action, and mostly an actor of a role that may take it.
fn step_strategy() -> impl Strategy<Value = (Actor, Action)> {
    action_strategy().prop_flat_map(|action| {
        let actor = prop_oneof![3 => likely_actor(action.kind()), 1 => actor_strategy()];
        (actor, Just(action))
    })
}

fn scope_strategy() -> impl Strategy<Value = ClaimScope> {
    prop_oneof![
        Just(ClaimScope::Closed),
        Just(ClaimScope::AllActiveTeams),
        subsequence(TEAMS.to_vec(), 1..=TEAMS.len()).prop_map(ClaimScope::Teams),
    ]
}

/// Arbitrary facts over the small id pools, in any state (not necessarily reachable).
fn facts_strategy() -> impl Strategy<Value = OrderFacts> {
    (
        select(S::ALL.to_vec()),
        select(STATIONS.to_vec()),
        prop::option::of(select(DEPTS.to_vec())),
        prop::option::of(select(TEAMS.to_vec())),
        scope_strategy(),
    )
        .prop_map(
            |(state, station_id, department_id, team_id, claim_scope)| OrderFacts {
                id: ORDER,
                state,
                station_id,
                department_id,
                team_id,
                claim_scope,
            },
        )
}

fn scope_includes(scope: &ClaimScope, team: TeamId) -> bool {
    match scope {
        ClaimScope::Closed => false,
        ClaimScope::AllActiveTeams => true,
        ClaimScope::Teams(teams) => teams.contains(&team),
    }
}

/// Who may know an order exists: its resident, its station, its department, the claiming team
/// and the teams allowed to claim it, the association and the service.
fn spec_visible(order: &OrderFacts, actor: &Actor) -> bool {
    match *actor {
        Actor::Public | Actor::Volunteer { .. } => false,
        Actor::Resident { order_id } => order_id == order.id,
        Actor::StationStaff { station_id } => station_id == order.station_id,
        Actor::DepartmentStaff { department_id } => order.department_id == Some(department_id),
        Actor::TeamLeader { team_id, .. } => {
            order.team_id == Some(team_id) || scope_includes(&order.claim_scope, team_id)
        }
        Actor::AssociationAdmin | Actor::System => true,
    }
}

/// The "who may take it" column: the from-states of the row that gives `actor` the right to take
/// `kind`, or `None` if no row does. Assumes the actor can see the order (which already ties
/// station staff, department staff and residents to this order).
fn spec_right(order: &OrderFacts, actor: &Actor, kind: K) -> Option<&'static [S]> {
    let table = spec_row(kind).0;
    let is_claimer = |team: TeamId| order.team_id == Some(team);
    let allowed = match (kind, *actor) {
        (K::Dispatch | K::Reject, Actor::StationStaff { .. } | Actor::AssociationAdmin) => true,
        (K::Accept, Actor::DepartmentStaff { .. } | Actor::AssociationAdmin) => true,
        (K::Return, Actor::DepartmentStaff { .. }) => true,
        (
            K::Claim,
            Actor::TeamLeader {
                team_id,
                team_active,
            },
        ) => team_active && scope_includes(&order.claim_scope, team_id),
        (K::Release, Actor::TeamLeader { team_id, .. }) => is_claimer(team_id),
        (K::Release, Actor::DepartmentStaff { .. } | Actor::AssociationAdmin | Actor::System) => {
            true
        }
        (K::Complete, Actor::TeamLeader { team_id, .. }) => is_claimer(team_id),
        (K::Rate, Actor::Resident { .. }) => true,
        (K::Close, Actor::System | Actor::AssociationAdmin) => true,
        (K::Cancel, Actor::Resident { .. }) => return Some(RESIDENT_CANCEL_FROM),
        (K::Cancel, Actor::StationStaff { .. } | Actor::AssociationAdmin) => true,
        _ => false,
    };
    allowed.then_some(table)
}

/// What the spec says `decide` answers, and the facts after an allowed action.
fn spec_decide(order: &OrderFacts, actor: &Actor, action: &Action) -> Result<OrderFacts, Refusal> {
    let kind = action.kind();
    if !spec_visible(order, actor) {
        return Err(Refusal::NotFound);
    }
    let Some(froms) = spec_right(order, actor, kind) else {
        return Err(Refusal::Forbidden(kind));
    };
    if !froms.contains(&order.state) {
        return Err(Refusal::InvalidTransition {
            action: kind,
            current: order.state,
        });
    }
    let is_resident = matches!(actor, Actor::Resident { .. });
    if matches!(action, Action::Cancel { has_reason: false }) && !is_resident {
        return Err(Refusal::MissingInput { field: "reason" });
    }
    let mut after = order.clone();
    after.state = spec_row(kind).1;
    match action {
        Action::Dispatch { department_id } => after.department_id = Some(*department_id),
        Action::Accept { team_ids: None } => after.claim_scope = ClaimScope::AllActiveTeams,
        Action::Accept {
            team_ids: Some(teams),
        } => after.claim_scope = ClaimScope::Teams(teams.clone()),
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
        _ => {}
    }
    Ok(after)
}

/// Builds a history the table allows, starting with `submit`. Each choice picks one of the
/// actions the current state allows; most choices avoid ending the order, so histories are long.
fn table_history(choices: &[(u8, Index)]) -> Vec<RecordedStep> {
    let mut steps = vec![submit_step()];
    let mut state = S::Submitted;
    for (bias, pick) in choices {
        let options: Vec<(K, S)> = SPEC_TABLE
            .iter()
            .filter(|(_, froms, _)| froms.contains(&state))
            .map(|(kind, _, to)| (*kind, *to))
            .collect();
        if options.is_empty() {
            break;
        }
        let ongoing: Vec<(K, S)> = options
            .iter()
            .copied()
            .filter(|(_, to)| !spec_is_terminal(*to))
            .collect();
        let pool = if bias % 8 == 0 || ongoing.is_empty() {
            &options
        } else {
            &ongoing
        };
        let (action, to) = *pick.get(pool);
        steps.push(RecordedStep {
            action: action.into(),
            from: Some(state),
            to,
        });
        state = to;
    }
    steps
}

fn history_choices() -> impl Strategy<Value = Vec<(u8, Index)>> {
    prop::collection::vec((any::<u8>(), any::<Index>()), 0..=40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Random walks of (actor, action) from a submitted order.
    #[test]
    fn random_walks_follow_the_table(
        station in select(STATIONS.to_vec()),
        walk in prop::collection::vec(step_strategy(), 0..=40),
    ) {
        let mut order = OrderFacts { station_id: station, ..new_order() };
        let mut history = vec![submit_step()];
        for (actor, action) in &walk {
            let before = order.clone();
            let result = decide(&order, actor, action);
            match &result {
                Ok(t) => {
                    // (a) the new state is the table's target for this action from the old one.
                    prop_assert_eq!(t.from, before.state);
                    prop_assert_eq!(t.after.state, t.to);
                    prop_assert_eq!(Some(t.to), spec_target(action.kind(), before.state),
                        "{} by {:?} from {}", action.kind(), actor, before.state);
                    // (b) nothing leaves a terminal state.
                    prop_assert!(!spec_is_terminal(before.state),
                        "{} by {:?} left terminal {}", action.kind(), actor, before.state);
                    // The order's identity and station never change.
                    prop_assert_eq!(t.after.id, before.id);
                    prop_assert_eq!(t.after.station_id, before.station_id);
                    history.push(RecordedStep {
                        action: action.kind().into(),
                        from: Some(t.from),
                        to: t.to,
                    });
                    order = t.after.clone();
                }
                Err(refusal) => {
                    // (d) a refusal leaves the order as it was, and is stable.
                    prop_assert_eq!(&order, &before);
                    prop_assert_eq!(&decide(&order, actor, action), &result);
                    if let Refusal::InvalidTransition { action: kind, current } = refusal {
                        prop_assert_eq!(*kind, action.kind());
                        prop_assert_eq!(*current, before.state);
                    }
                    if let Refusal::Forbidden(kind) = refusal {
                        prop_assert_eq!(*kind, action.kind());
                    }
                }
            }
            // (b) once terminal, always the same terminal state.
            if spec_is_terminal(before.state) {
                prop_assert_eq!(order.state, before.state);
            }
            // (c) the recorded history replays to the current state.
            prop_assert_eq!(replay(&history), Ok(order.state));
        }
    }

    /// `decide` agrees with the spec (visibility → right → state → input) on arbitrary facts.
    #[test]
    fn decide_matches_the_spec_on_any_facts(
        order in facts_strategy(),
        (actor, action) in step_strategy(),
    ) {
        let got = decide(&order, &actor, &action).map(|t| t.after);
        let want = spec_decide(&order, &actor, &action);
        prop_assert_eq!(got, want, "{} by {:?} on {:?}", action.kind(), actor, order);
    }

    /// Whoever handles an order can see it, and can_view is the spec's visibility.
    #[test]
    fn handling_implies_viewing(order in facts_strategy(), actor in actor_strategy()) {
        prop_assert_eq!(can_view(&order, &actor), spec_visible(&order, &actor));
        if is_handling(&order, &actor) {
            prop_assert!(can_view(&order, &actor));
        }
        if let Actor::TeamLeader { team_id, .. } = actor {
            prop_assert_eq!(is_handling(&order, &actor), order.team_id == Some(team_id));
        }
    }

    /// Any history the table allows replays to its last state.
    #[test]
    fn replay_accepts_every_table_history(choices in history_choices()) {
        let steps = table_history(&choices);
        let last = steps.last().map(|s| s.to);
        prop_assert_eq!(replay(&steps).ok(), last);
    }

    /// Altering any single step's `to` to a state the table does not allow breaks the replay at
    /// exactly that step.
    #[test]
    fn replay_rejects_one_altered_step(
        choices in history_choices(),
        at in any::<Index>(),
        other in any::<Index>(),
    ) {
        let mut steps = table_history(&choices);
        let i = at.index(steps.len());
        let allowed = match steps[i].from {
            None => Some(S::Submitted),
            Some(from) => match steps[i].action {
                EventKind::Action(kind) => spec_target(kind, from),
                EventKind::Escalate => unreachable!("table histories hold no escalations"),
            },
        };
        let wrong: Vec<S> = S::ALL.into_iter().filter(|s| Some(*s) != allowed).collect();
        steps[i].to = *other.get(&wrong);
        prop_assert_eq!(replay(&steps), Err(ReplayError::BadStep { index: i }));
    }

    /// Altering any single step's `from` breaks the replay at that step (or, for the submit,
    /// makes the history not start with a submit).
    #[test]
    fn replay_rejects_one_altered_from(
        choices in history_choices(),
        at in any::<Index>(),
        other in any::<Index>(),
    ) {
        let mut steps = table_history(&choices);
        let i = at.index(steps.len());
        let wrong: Vec<Option<S>> = std::iter::once(None)
            .chain(S::ALL.into_iter().map(Some))
            .filter(|s| *s != steps[i].from)
            .collect();
        steps[i].from = *other.get(&wrong);
        let want = if i == 0 {
            ReplayError::NoSubmit
        } else {
            ReplayError::BadStep { index: i }
        };
        prop_assert_eq!(replay(&steps), Err(want));
    }
}

#[test]
fn replay_needs_a_submit_first() {
    assert_eq!(replay(&[]), Err(ReplayError::NoSubmit));
    let dispatch = RecordedStep {
        action: K::Dispatch.into(),
        from: Some(S::Submitted),
        to: S::Dispatched,
    };
    assert_eq!(replay(&[dispatch]), Err(ReplayError::NoSubmit));
    assert_eq!(
        replay(&[RecordedStep {
            from: Some(S::Submitted),
            ..submit_step()
        }]),
        Err(ReplayError::NoSubmit)
    );
    assert_eq!(replay(&[submit_step()]), Ok(S::Submitted));
    assert_eq!(replay(&[submit_step(), dispatch]), Ok(S::Dispatched));
    // A second submit in the middle of a history is not a transition.
    assert_eq!(
        replay(&[submit_step(), dispatch, submit_step()]),
        Err(ReplayError::BadStep { index: 2 })
    );
    // A step whose `from` is not the state before it, though its action and `to` would follow.
    assert_eq!(
        replay(&[
            submit_step(),
            RecordedStep {
                action: K::Dispatch.into(),
                from: Some(S::Dispatched),
                to: S::Dispatched,
            }
        ]),
        Err(ReplayError::BadStep { index: 1 })
    );
    // A step that does not follow at all.
    assert_eq!(
        replay(&[
            submit_step(),
            RecordedStep {
                action: K::Accept.into(),
                from: Some(S::Dispatched),
                to: S::Accepted,
            }
        ]),
        Err(ReplayError::BadStep { index: 1 })
    );
}
