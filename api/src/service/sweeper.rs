//! The SLA sweeper: escalates overdue orders, closes completed orders whose rating window has
//! ended, forgets idempotency records older than a day, and for activities closes check-ins
//! left open and sends the reminders a day before (see [`activities::sweep`]).
//!
//! Safe to run in several instances at once. A close goes through [`orders::act`], one
//! conditional update on `(id, state, version)`: of two sweepers closing one order, one wins and
//! the other gets a conflict and moves on. An escalation is the same kind of conditional update
//! (it appends an `escalate` event, so it bumps the version) and also requires
//! `escalated_at IS NULL`; every change of state clears `escalated_at`, so an order is escalated
//! once per state it enters, whatever the number of sweepers.

use chrono::{DateTime, Duration, Utc};
use kepu_domain::event::{EventContent, event_time};
use kepu_domain::{Actor, EventKind, OrderFacts, OrderState};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::activities;
use super::actors::Acting;
use super::orders::{self, ActionInput};
use crate::entity::{idempotency_keys, orders as order_rows};
use crate::error::{ApiError, ApiResult};
use crate::notify;
use crate::state::AppState;

/// Orders looked at per query; the sweeper pages through all of them.
const BATCH: u64 = 200;
/// How long a stored idempotent response is replayed.
const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Overdue orders escalated by this sweep.
    pub escalated: usize,
    /// Completed orders closed by this sweep.
    pub closed: usize,
    /// Orders another sweeper (or a person) changed first.
    pub lost_races: usize,
    /// Idempotency records purged.
    pub idempotency_purged: u64,
    /// Forgotten check-outs closed (and flagged).
    pub check_outs_closed: u64,
    /// Activities whose reminder was queued.
    pub reminders_sent: usize,
}

/// Sweeps once at `now`.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> ApiResult<SweepReport> {
    let mut report = SweepReport::default();
    close_unrated(state, now, &mut report).await?;
    escalate_overdue(state, now, &mut report).await?;
    report.check_outs_closed = activities::sweep::close_forgotten_check_outs(state, now).await?;
    report.reminders_sent = activities::sweep::send_reminders(state, now).await?;
    report.idempotency_purged = idempotency_keys::Entity::delete_many()
        .filter(
            idempotency_keys::Column::CreatedAt.lt(now - Duration::hours(IDEMPOTENCY_TTL_HOURS)),
        )
        .exec(&state.db)
        .await?
        .rows_affected;
    Ok(report)
}

/// Closes every completed order whose rating window ended, as the system actor.
async fn close_unrated(
    state: &AppState,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> ApiResult<()> {
    let system = Acting {
        actor: Actor::System,
        user_id: None,
    };
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = order_rows::Entity::find()
            .select_only()
            .column(order_rows::Column::Id)
            .filter(order_rows::Column::State.eq(OrderState::Completed.as_str()))
            .filter(order_rows::Column::DueAt.lte(now))
            .order_by_asc(order_rows::Column::Id)
            .limit(BATCH);
        if let Some(a) = after {
            q = q.filter(order_rows::Column::Id.gt(a));
        }
        let ids: Vec<Uuid> = q.into_tuple().all(&state.db).await?;
        let Some(last) = ids.last() else {
            return Ok(());
        };
        after = Some(*last);
        for id in ids {
            match orders::act(state, &system, id, ActionInput::Close, None).await {
                Ok(_) => {
                    report.closed += 1;
                    metrics::counter!("kepu_sla_closed_total").increment(1);
                }
                Err(ApiError::Conflict { .. } | ApiError::NotFound) => report.lost_races += 1,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Escalates every overdue order not yet escalated in its current state.
async fn escalate_overdue(
    state: &AppState,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> ApiResult<()> {
    let live = [
        OrderState::Submitted,
        OrderState::Dispatched,
        OrderState::Accepted,
        OrderState::Claimed,
    ];
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = order_rows::Entity::find()
            .filter(order_rows::Column::State.is_in(live.map(OrderState::as_str)))
            .filter(order_rows::Column::DueAt.lte(now))
            .filter(order_rows::Column::EscalatedAt.is_null())
            .order_by_asc(order_rows::Column::Id)
            .limit(BATCH);
        if let Some(a) = after {
            q = q.filter(order_rows::Column::Id.gt(a));
        }
        let batch = q.all(&state.db).await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some(last.id);
        for order in batch {
            if escalate(state, order, now).await? {
                report.escalated += 1;
                metrics::counter!("kepu_sla_escalated_total").increment(1);
            } else {
                report.lost_races += 1;
            }
        }
    }
}

/// Appends an `escalate` event to `order` and queues its notifications, in one transaction,
/// if the order is still as read. Returns whether this call escalated it.
async fn escalate(
    state: &AppState,
    order: order_rows::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let facts = OrderFacts::try_from(&order)?;
    let current = facts.state;
    let at = event_time(now);
    let content = EventContent {
        order_id: order.id.to_string(),
        seq: order.version + 1,
        action: EventKind::Escalate,
        from_state: Some(current),
        to_state: current,
        actor_id: None,
        actor_role: Actor::System.role_name().into(),
        reason: Some("overdue".into()),
        data: json!({"due_at": order.due_at}).to_string(),
        at,
    };
    let hash = content.hash(&order.head_hash);
    let txn = state.db.begin().await?;
    let changed = order_rows::Entity::update_many()
        .col_expr(order_rows::Column::Version, Expr::value(order.version + 1))
        .col_expr(order_rows::Column::HeadHash, Expr::value(hash.clone()))
        .col_expr(order_rows::Column::EscalatedAt, Expr::value(at))
        .filter(order_rows::Column::Id.eq(order.id))
        .filter(order_rows::Column::State.eq(order.state.as_str()))
        .filter(order_rows::Column::Version.eq(order.version))
        .filter(order_rows::Column::EscalatedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    orders::insert_event(&txn, &content, &order.head_hash, &hash).await?;
    notify::enqueue_for_event(
        &txn,
        &state.settings,
        EventKind::Escalate,
        &facts,
        &order,
        at,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(order = %order.id, state = %current, "overdue order escalated");
    Ok(true)
}
