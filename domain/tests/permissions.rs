//! Who may take which action, and who may see or handle an order: the "who may take it" column
//! of `order-lifecycle.md` written out by hand as [`matrix`], and the check order (visibility →
//! right → state → input) from the module doc of `kepu_domain::order`.

mod common;

use common::*;
use kepu_domain::order::{
    Action, ActionKind as K, Actor, OrderFacts, OrderState as S, Refusal, can_view, decide,
    is_handling,
};

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
        // The matrix's order has a claimer: to the other teams it was offered to it is gone
        // (404), except that their claim is a lost race (409, or 403 for an inactive team).
        Who::LeaderAllowed => match kind {
            K::Claim => row(kind),
            _ => Hidden,
        },
        Who::LeaderInactiveAllowed => match kind {
            K::Claim => NoRight,
            _ => Hidden,
        },
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

/// Contact details are unmasked only for those handling the order: its station, its department,
/// the claiming team's leader, the association (and the service itself). Others in scope see
/// the order with the phone masked; the rest do not see it. Once claimed, the other teams it was
/// offered to no longer see it.
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
        (Who::LeaderAllowed, false, false),
        (Who::LeaderNotAllowed, false, false),
        (Who::LeaderInactiveAllowed, false, false),
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
