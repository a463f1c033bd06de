//! Acting on an order (派单, 领单, 接单, 结单 …): the domain decides, input that needs the
//! database is checked, and one transaction makes the change. Every change of state is one
//! conditional update on `(id, state, version)` plus one appended event: of two racing actions
//! exactly one matches the row, the other finds nothing to update and answers 409.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kepu_domain::activity::Source;
use kepu_domain::event::{EventContent, event_time};
use kepu_domain::order::{self, ActionKind, Actor, OrderFacts, OrderState};
use kepu_domain::stats::Deltas;
use kepu_domain::value::Hours;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use std::collections::HashSet;
use uuid::Uuid;

use super::action::ActionInput;
use super::chain::insert_event;
use super::read::{VisibleOrder, find};
use super::row::store_claim_scope;
use crate::db::Db;
use crate::entity::{departments, orders, team_members, teams, volunteers};
use crate::error::{ApiError, ApiResult, Problems};
use crate::notify;
use crate::service::actors::Acting;
use crate::service::{activities, ledger, stats};
use crate::state::AppState;

/// Checks input that needs the database (departments, teams, volunteers exist and qualify).
#[allow(
    clippy::collapsible_match,
    reason = "the checks await the database, which a match guard cannot"
)]
async fn check_action_input(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    input: &ActionInput,
    today: NaiveDate,
) -> ApiResult<()> {
    let mut problems = Problems::new();
    match input {
        ActionInput::Dispatch { department_id, .. } => {
            if departments::Entity::find_by_id(department_id.0)
                .one(db)
                .await?
                .is_none()
            {
                problems.add("department_id", "没有这个部门");
            }
        }
        ActionInput::Reject {
            duplicate_of: Some(dup),
            ..
        } => {
            if dup.0 == order.id || find(db, dup.0).await?.is_none() {
                problems.add("duplicate_of", "没有这个订单");
            }
        }
        ActionInput::Accept {
            team_ids: Some(ids),
            ..
        } => {
            let unique: HashSet<Uuid> = ids.iter().map(|t| t.0).collect();
            let active = teams::Entity::find()
                .filter(teams::Column::Id.is_in(unique.iter().copied()))
                .filter(teams::Column::Active.eq(true))
                .count(db)
                .await?;
            if active != unique.len() as u64 {
                problems.add("team_ids", "含有不存在或已停用的服务队");
            }
        }
        ActionInput::Claim {
            planned_date: Some(date),
            ..
        } if *date < today => {
            problems.add("planned_date", "计划日期不能早于今天");
        }
        ActionInput::Complete {
            served_on, hours, ..
        } => {
            if *served_on > today {
                problems.add("served_on", "服务日期不能晚于今天");
            }
            let hours = hours.as_deref().unwrap_or_default();
            if hours.is_empty() {
                // Only when taken from attendance: an explicit empty list is refused earlier.
                problems.add(
                    "hours",
                    "没有可计算时长的签到签退记录，请填写每名志愿者的时长",
                );
            }
            check_hours(db, order, *served_on, hours, &mut problems).await?;
        }
        _ => {}
    }
    problems.into_result()
}

/// Each volunteer must be an approved member of the claiming team, listed once, and their
/// hours on `served_on` across all orders may not pass 24. This early check names every bad
/// field at once; `ledger::file_completion` checks the day again inside the transaction, with
/// the volunteer's row held, which is what holds when completions race.
async fn check_hours(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    served_on: NaiveDate,
    hours: &[(Uuid, Hours)],
    problems: &mut Problems,
) -> ApiResult<()> {
    let Some(team_id) = order.team_id else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    for (i, (volunteer_id, h)) in hours.iter().enumerate() {
        let field = format!("hours[{i}].volunteer_id");
        if !seen.insert(*volunteer_id) {
            problems.add(field, "同一志愿者只能填写一次");
            continue;
        }
        let member = team_members::Entity::find_by_id((team_id, *volunteer_id))
            .one(db)
            .await?;
        let approved = volunteers::Entity::find_by_id(*volunteer_id)
            .one(db)
            .await?
            .is_some_and(|v| v.state == kepu_domain::volunteer::VolunteerState::Approved.as_str());
        if member.is_none() || !approved {
            problems.add(field, "不是本服务队已审核通过的队员");
            continue;
        }
        let already = ledger::day_total(db, *volunteer_id, served_on).await?;
        if already + i64::from(h.halves()) > i64::from(Hours::MAX_PER_DAY.halves()) {
            problems.add(
                format!("hours[{i}].hours"),
                format!(
                    "该志愿者当天已登记{}小时，合计不能超过24小时",
                    already as f64 / 2.0
                ),
            );
        }
    }
    Ok(())
}

/// Takes `input` on order `id` as `acting`: the domain decides, the database arbitrates races.
/// Answers with the order as changed, as the actor now sees it.
pub async fn act(
    state: &AppState,
    acting: &Acting,
    id: Uuid,
    input: ActionInput,
    if_match: Option<i64>,
) -> ApiResult<VisibleOrder> {
    let (db, sla, today) = (&state.db, &state.settings.sla, state.today());
    let order = find(db, id).await?.ok_or(ApiError::NotFound)?;
    let before = OrderFacts::try_from(&order)?;
    let mut effects = input.effects(&acting.actor);
    let transition =
        order::decide(&before, &acting.actor, &effects.action).map_err(ApiError::from_refusal)?;
    if let Some(expected) = if_match
        && expected != order.version
    {
        return Err(ApiError::Conflict {
            code: "order.version_mismatch",
            detail: format!(
                "the order is at version {}, not {expected}; reload it",
                order.version
            ),
            current_state: order.state.clone(),
        });
    }
    // `complete` without hours takes them from the activity's attendance.
    let mut input = input;
    let mut hours_source = Source::Manual;
    if let ActionInput::Complete {
        served_on,
        hours: hours @ None,
        ..
    } = &mut input
    {
        *hours = Some(activities::hours_for_completion(db, &order, *served_on).await?);
        hours_source = Source::Attendance;
        effects = input.effects(&acting.actor);
        if let Some(data) = effects.data.as_object_mut() {
            data.insert("hours_source".into(), hours_source.as_str().into());
        }
    }
    check_action_input(db, &order, &input, today).await?;

    let now = event_time(state.now());
    let kind = effects.action.kind();
    let content = EventContent {
        order_id: id.to_string(),
        seq: order.version + 1,
        action: kind.into(),
        from_state: Some(transition.from),
        to_state: transition.to,
        actor_id: acting.user_id.map(|u| u.to_string()),
        actor_role: acting.actor.role_name().into(),
        reason: effects.reason,
        data: effects.data.to_string(),
        at: now,
    };
    let hash = content.hash(&order.head_hash);

    let after = &transition.after;
    let mut update = orders::Entity::update_many()
        .col_expr(orders::Column::State, Expr::value(transition.to.as_str()))
        .col_expr(orders::Column::Version, Expr::value(order.version + 1))
        .col_expr(orders::Column::HeadHash, Expr::value(hash.clone()))
        .col_expr(
            orders::Column::DepartmentId,
            Expr::value(after.department_id.map(|d| d.0)),
        )
        .col_expr(
            orders::Column::TeamId,
            Expr::value(after.team_id.map(|t| t.0)),
        )
        .col_expr(
            orders::Column::ClaimScope,
            Expr::value(store_claim_scope(&after.claim_scope)),
        )
        .col_expr(orders::Column::UpdatedAt, Expr::value(now))
        .col_expr(orders::Column::StateEnteredAt, Expr::value(now))
        // A new state is a new deadline: the sweeper may escalate it again.
        .col_expr(
            orders::Column::EscalatedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            orders::Column::DueAt,
            Expr::value(sla.due_at(transition.to, now)),
        );
    for (column, value) in effects.columns {
        update = update.col_expr(column, value);
    }
    let update = update
        .filter(orders::Column::Id.eq(id))
        .filter(orders::Column::State.eq(order.state.as_str()))
        .filter(orders::Column::Version.eq(order.version));

    let txn = db.begin().await?;
    // `RETURNING` hands back the row as updated: no second read (nothing later in this
    // transaction changes the order's row).
    let Some(updated) = update.exec_with_returning(&txn).await?.pop() else {
        txn.rollback().await?;
        return Err(lost_race(db, id, &acting.actor, kind).await);
    };
    insert_event(&txn, &content, &order.head_hash, &hash).await?;
    if let (
        ActionInput::Complete {
            served_on,
            attendees,
            hours,
            ..
        },
        Some(team_id),
    ) = (&input, order.team_id)
    {
        let completion = ledger::Completion {
            order: &order,
            team_id,
            served_on: *served_on,
            attendees: attendees.get() as i32,
            hours: hours.as_deref().unwrap_or_default(),
            source: hours_source,
        };
        ledger::file_completion(&txn, completion, acting, now).await?;
    }
    if transition.from == OrderState::Completed && transition.to == OrderState::Cancelled {
        // A cancelled order is no longer a completed session.
        let mut deltas = Deltas::new();
        deltas.completed(
            &order.township_code,
            order.served_on.map_or(0, |d| d.year()),
            &order.theme_code,
            order.target_group_code.as_deref(),
            -1,
            -i64::from(order.attendees.unwrap_or(0)),
        );
        stats::apply(&txn, &deltas).await?;
    }
    // Who to tell is looked up only here, once the update has won: the losers of a race
    // (a hundred leaders claiming one order) answer without it.
    notify::enqueue_for_event(
        &txn,
        &state.settings,
        content.action,
        &transition.after,
        &updated,
        now,
    )
    .await?;
    txn.commit().await?;
    VisibleOrder::read(updated, &acting.actor)
}

/// Explains a conditional update that matched nothing: someone else changed the order first.
async fn lost_race(db: &Db, id: Uuid, actor: &Actor, kind: ActionKind) -> ApiError {
    match find(db, id).await {
        Ok(Some(now)) => {
            let facts = match OrderFacts::try_from(&now) {
                Ok(facts) => facts,
                Err(err) => return err,
            };
            let state = facts.state;
            if !order::can_view(&facts, actor) {
                return ApiError::invalid_transition(kind.as_str(), state);
            }
            match kind.target(state) {
                Some(_) => ApiError::Conflict {
                    code: "order.version_mismatch",
                    detail: "the order changed while this request was processed; reload and retry"
                        .into(),
                    current_state: state.to_string(),
                },
                None => ApiError::invalid_transition(kind.as_str(), state),
            }
        }
        Ok(None) => ApiError::NotFound,
        Err(err) => err,
    }
}
