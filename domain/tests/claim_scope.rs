//! The claim scope: accepting opens an order to listed teams or to every active team, returning
//! closes it again, one team wins the claim and releasing gives it back.

mod common;

use common::*;
use kepu_domain::order::{
    Action, ActionKind as K, Actor, ClaimScope, OrderFacts, OrderState as S, Refusal, can_view,
    decide,
};

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

/// One winner: once one team has claimed, every other allowed team (and the winner) gets 409;
/// to every other team the order is then gone (404): they may neither see, release nor complete
/// it.
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
    assert!(!can_view(&claimed, &leader(TEAM_ALLOWED)));
    assert!(can_view(&claimed, &leader(TEAM_CLAIMING)));
    for action in [Action::Release, Action::Complete] {
        assert_eq!(
            decide(&claimed, &leader(TEAM_ALLOWED), &action),
            Err(Refusal::NotFound),
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
