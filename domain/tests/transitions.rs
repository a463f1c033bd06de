//! The Actions table of `order-lifecycle.md` (copied into [`common::SPEC_TABLE`]): where each
//! action leads from each state, which states are terminal, and what each transition changes
//! beyond the state.

mod common;

use common::*;
use kepu_domain::order::{Action, ActionKind as K, OrderFacts, OrderState as S, Refusal, decide};

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
