//! Properties over random inputs: random walks follow the Actions table, and `decide` agrees on
//! arbitrary facts with a model of the spec written here ([`spec_decide`], [`spec_right`],
//! [`spec_visible`]).

mod common;

use common::*;
use kepu_domain::ids::TeamId;
use kepu_domain::order::{
    Action, ActionKind as K, Actor, ClaimScope, OrderFacts, OrderState as S, RecordedStep, Refusal,
    can_view, decide, is_handling, replay,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

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
/// (or, until a team claims it, the teams allowed to claim it), the association and the service.
fn spec_visible(order: &OrderFacts, actor: &Actor) -> bool {
    match *actor {
        Actor::Public | Actor::Volunteer { .. } => false,
        Actor::Resident { order_id } => order_id == order.id,
        Actor::StationStaff { station_id } => station_id == order.station_id,
        Actor::DepartmentStaff { department_id } => order.department_id == Some(department_id),
        Actor::TeamLeader { team_id, .. } => match order.team_id {
            Some(claimer) => claimer == team_id,
            None => scope_includes(&order.claim_scope, team_id),
        },
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
    // A team the order was offered to, claiming after another team did, lost a race (409).
    let offered_claim = matches!(
        (kind, actor),
        (K::Claim, Actor::TeamLeader { team_id, .. }) if scope_includes(&order.claim_scope, *team_id)
    );
    if !spec_visible(order, actor) && !offered_claim {
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

}
