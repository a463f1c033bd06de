//! What staff need beside an order to decide on it: the actions they may take on it now, its
//! possible duplicates, the department that orders of its theme usually go to, the teams to
//! offer it to, and how many orders of their queue wait in each state. The console shows these;
//! the rules themselves stay in `kepu_domain::order::decide`.

use chrono::{DateTime, Duration, Utc};
use kepu_domain::DepartmentId;
use kepu_domain::order::{self, Action, ActionKind, Actor, OrderFacts, OrderState};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

use super::list::{OrderFilter, filtered, scope};
use super::row::parse_state;
use crate::db::Db;
use crate::entity::orders;
use crate::error::ApiResult;
use crate::service::reference::{self, TeamView};

/// How far back (and, for closed orders, how recently closed) a possible duplicate may be.
pub const DUPLICATE_WINDOW_DAYS: i64 = 30;

/// The actions of the lifecycle that staff take through forms, in the order a page offers them.
/// `rate` is the resident's and `submit` creates an order, so neither is offered on an order.
const STAFF_ACTIONS: [ActionKind; 9] = [
    ActionKind::Dispatch,
    ActionKind::Reject,
    ActionKind::Accept,
    ActionKind::Return,
    ActionKind::Claim,
    ActionKind::Complete,
    ActionKind::Release,
    ActionKind::Close,
    ActionKind::Cancel,
];

/// The actions `actor` may take on `order` now, as `decide` judges them. Input that only the
/// database can check (the department exists, the hours fit) is not judged here: the form
/// collects it and the action checks it.
pub fn available_actions(facts: &OrderFacts, actor: &Actor) -> Vec<ActionKind> {
    STAFF_ACTIONS
        .into_iter()
        .filter(|kind| {
            let sample = match kind {
                ActionKind::Dispatch => Action::Dispatch {
                    department_id: DepartmentId(Uuid::nil()),
                },
                ActionKind::Reject => Action::Reject,
                ActionKind::Accept => Action::Accept { team_ids: None },
                ActionKind::Return => Action::Return,
                ActionKind::Claim => Action::Claim,
                ActionKind::Complete => Action::Complete,
                ActionKind::Release => Action::Release,
                ActionKind::Close => Action::Close,
                _ => Action::Cancel { has_reason: true },
            };
            order::decide(facts, actor, &sample).is_ok()
        })
        .collect()
}

/// Another order that may be the same request.
#[derive(Debug)]
pub struct Duplicate {
    /// Its id.
    pub id: Uuid,
    /// Its tracking code.
    pub tracking_code: String,
    /// Its state.
    pub state: OrderState,
    /// When it came in.
    pub created_at: DateTime<Utc>,
    /// What it asks for.
    pub description: String,
}

/// Orders of the same station, village (or, without a village, township) and theme that came
/// in within [`DUPLICATE_WINDOW_DAYS`] before `order` or after it, and are still open or were
/// closed within that window; rejected and cancelled ones are no originals. Newest first, at
/// most ten.
pub async fn possible_duplicates(
    db: &Db,
    order: &orders::Model,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Duplicate>> {
    let window = Duration::days(DUPLICATE_WINDOW_DAYS);
    let place = match order.village_id {
        Some(village) => Condition::all().add(orders::Column::VillageId.eq(village)),
        None => Condition::all()
            .add(orders::Column::TownshipCode.eq(order.township_code.as_str()))
            .add(orders::Column::VillageId.is_null()),
    };
    let open_or_recent = Condition::any()
        .add(orders::Column::State.is_not_in([
            OrderState::Closed.as_str(),
            OrderState::Rejected.as_str(),
            OrderState::Cancelled.as_str(),
        ]))
        .add(
            Condition::all()
                .add(orders::Column::State.eq(OrderState::Closed.as_str()))
                .add(orders::Column::UpdatedAt.gte(now - window)),
        );
    let rows = orders::Entity::find()
        .filter(orders::Column::Id.ne(order.id))
        .filter(orders::Column::StationId.eq(order.station_id))
        .filter(orders::Column::ThemeCode.eq(order.theme_code.as_str()))
        .filter(place)
        .filter(orders::Column::CreatedAt.gte(order.created_at - window))
        .filter(open_or_recent)
        .order_by_desc(orders::Column::Id)
        .limit(10)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Duplicate {
                state: parse_state(r.id, &r.state)?,
                id: r.id,
                tracking_code: r.tracking_code,
                created_at: r.created_at,
                description: r.description,
            })
        })
        .collect()
}

/// The department that most orders of `theme` were dispatched to (and are still with), if any;
/// of equally frequent ones the first by id, so the answer is stable.
pub async fn suggested_department(db: &Db, theme: &str) -> ApiResult<Option<Uuid>> {
    let counts: Vec<(Option<Uuid>, i64)> = orders::Entity::find()
        .select_only()
        .column(orders::Column::DepartmentId)
        .column_as(orders::Column::Id.count(), "n")
        .filter(orders::Column::ThemeCode.eq(theme))
        .filter(orders::Column::DepartmentId.is_not_null())
        .group_by(orders::Column::DepartmentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .filter_map(|(d, n)| d.map(|d| (d, n)))
        .max_by(|(a, n), (b, m)| n.cmp(m).then(b.cmp(a)))
        .map(|(d, _)| d))
}

/// A team that an accepted order can be offered to.
#[derive(Debug)]
pub struct TeamChoice {
    /// The team.
    pub team: TeamView,
    /// Whether it serves the order's theme.
    pub serves_theme: bool,
}

/// The active teams, those serving `theme` first, each group by name.
pub async fn team_choices(db: &Db, theme: &str) -> ApiResult<Vec<TeamChoice>> {
    let mut choices: Vec<TeamChoice> = reference::teams(db)
        .await?
        .into_iter()
        .filter(|t| t.active)
        .map(|team| TeamChoice {
            serves_theme: team.theme_codes.iter().any(|c| c == theme),
            team,
        })
        .collect();
    choices.sort_by(|a, b| {
        b.serves_theme
            .cmp(&a.serves_theme)
            .then_with(|| a.team.name.cmp(&b.team.name))
    });
    Ok(choices)
}

/// How many of the orders `actor` may list, narrowed by `filter`'s theme, township and overdue
/// choices (not its state), are in each state; states without orders are left out.
pub async fn counts_by_state(
    db: &Db,
    actor: &Actor,
    filter: &OrderFilter,
    now: DateTime<Utc>,
) -> ApiResult<HashMap<OrderState, u64>> {
    let all_states = OrderFilter {
        state: None,
        ..filter.clone()
    };
    let rows: Vec<(String, i64)> = orders::Entity::find()
        .select_only()
        .column(orders::Column::State)
        .column_as(orders::Column::Id.count(), "n")
        .filter(scope(actor)?)
        .filter(filtered(&all_states, now))
        .group_by(orders::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(state, n)| {
            Ok((
                parse_state(Uuid::nil(), &state)?,
                u64::try_from(n).unwrap_or(0),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kepu_domain::order::ClaimScope;
    use kepu_domain::{OrderId, StationId, TeamId};

    fn facts(state: OrderState) -> OrderFacts {
        OrderFacts {
            id: OrderId(Uuid::now_v7()),
            state,
            station_id: StationId(Uuid::from_u128(1)),
            department_id: Some(DepartmentId(Uuid::from_u128(2))),
            team_id: Some(TeamId(Uuid::from_u128(3))),
            claim_scope: ClaimScope::AllActiveTeams,
        }
    }

    #[test]
    fn each_role_is_offered_exactly_what_the_rules_allow_now() {
        let station = Actor::StationStaff {
            station_id: StationId(Uuid::from_u128(1)),
        };
        let department = Actor::DepartmentStaff {
            department_id: DepartmentId(Uuid::from_u128(2)),
        };
        let leader = Actor::TeamLeader {
            team_id: TeamId(Uuid::from_u128(3)),
            team_active: true,
        };
        let other_station = Actor::StationStaff {
            station_id: StationId(Uuid::from_u128(9)),
        };
        use ActionKind as K;
        let cases = [
            (
                OrderState::Submitted,
                &station,
                vec![K::Dispatch, K::Reject, K::Cancel],
            ),
            (
                OrderState::Dispatched,
                &department,
                vec![K::Accept, K::Return],
            ),
            (OrderState::Dispatched, &station, vec![K::Cancel]),
            (OrderState::Claimed, &leader, vec![K::Complete, K::Release]),
            (OrderState::Claimed, &department, vec![K::Release]),
            (
                OrderState::Completed,
                &Actor::AssociationAdmin,
                vec![K::Close, K::Cancel],
            ),
            (OrderState::Closed, &station, vec![]),
            (OrderState::Submitted, &other_station, vec![]),
        ];
        for (state, actor, expected) in cases {
            assert_eq!(
                available_actions(&facts(state), actor),
                expected,
                "{state:?} as {actor:?}"
            );
        }
    }
}
