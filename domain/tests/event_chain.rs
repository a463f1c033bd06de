//! Replaying an order's recorded history: a history the Actions table allows replays to its last
//! state, and any history that must start with a submit and follow the table step by step.

mod common;

use common::*;
use kepu_domain::order::{
    Action, ActionKind as K, Actor, EventKind, OrderState as S, RecordedStep, ReplayError, decide,
    replay,
};
use proptest::prelude::*;
use proptest::sample::Index;

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

    /// Any history the table allows replays to its last state.
    #[test]
    fn replay_accepts_every_table_history(choices in history_choices()) {
        let steps = table_history(&choices);
        let last = steps.last().expect("a table history starts with a submit").to;
        prop_assert_eq!(replay(&steps), Ok(last));
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
