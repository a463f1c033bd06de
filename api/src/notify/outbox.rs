//! The outbox worker and what administrators do with its rows.
//!
//! A worker claims a batch of due `pending` rows by setting a lease (`locked_until`,
//! `lock_token`) in a short transaction. On PostgreSQL the candidate rows are read with
//! `FOR UPDATE SKIP LOCKED`, so two instances claiming at once take disjoint batches; SQLite has
//! one connection, so claims are serialised anyway. Each claimed message is then sent outside
//! any transaction and its row finished with a conditional update on the lease token: `sent`, or
//! back to `pending` with the next attempt pushed out by the back-off, or `parked` after
//! `KEPU_MAIL_MAX_ATTEMPTS` failures. A worker that dies mid-batch leaves leases that expire, and
//! the rows are claimed again (at-least-once in that one case; exactly-once otherwise).

use chrono::{DateTime, Duration, Utc};
use kepu_domain::notice::{AfterFailure, after_failure};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::notifications;
use crate::error::{ApiError, ApiResult};
use crate::extract::Page;
use crate::state::AppState;
use crate::views::Paged;

/// Waiting to be sent (or retried).
pub const PENDING: &str = "pending";
/// Delivered to the SMTP server (or logged).
pub const SENT: &str = "sent";
/// Given up on after the last attempt; an administrator may retry it.
pub const PARKED: &str = "parked";

/// Messages claimed per round.
const BATCH: u64 = 20;
/// How long a claim holds: longer than a batch of sends at the SMTP timeout.
const LEASE_MINUTES: i64 = 10;

/// What one round of delivery did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Messages this worker claimed.
    pub claimed: usize,
    /// Sent.
    pub sent: usize,
    /// Failed, to be retried later.
    pub retrying: usize,
    /// Failed for the last time and parked.
    pub parked: usize,
}

/// Delivers every message due at `now`, batch after batch, until none is left that this worker
/// can claim. Several workers may run this at once over one database.
pub async fn deliver_due(state: &AppState, now: DateTime<Utc>) -> ApiResult<DeliveryReport> {
    let mut report = DeliveryReport::default();
    loop {
        let batch = claim(&state.db, now).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        report.claimed += batch.len();
        for (row, token) in batch {
            match state.mailer.send(&row).await {
                Ok(()) => {
                    finish(
                        &state.db,
                        row.id,
                        token,
                        vec![
                            (notifications::Column::State, Expr::value(SENT)),
                            (notifications::Column::SentAt, Expr::value(now)),
                            (
                                notifications::Column::LastError,
                                Expr::value(None::<String>),
                            ),
                        ],
                    )
                    .await?;
                    report.sent += 1;
                    metrics::counter!("kepu_mail_sent_total").increment(1);
                }
                Err(failure) => {
                    let failures = u32::try_from(row.attempts).unwrap_or(0).saturating_add(1);
                    let max = state.settings.mail.max_attempts;
                    let mut changes = vec![
                        (
                            notifications::Column::Attempts,
                            Expr::value(i32::try_from(failures).unwrap_or(i32::MAX)),
                        ),
                        (
                            notifications::Column::LastError,
                            Expr::value(failure.message.clone()),
                        ),
                    ];
                    match after_failure(failures, max, failure.permanent) {
                        AfterFailure::RetryIn(delay) => {
                            changes.push((
                                notifications::Column::NextAttemptAt,
                                Expr::value(now + delay),
                            ));
                            report.retrying += 1;
                            metrics::counter!("kepu_mail_failures_total").increment(1);
                        }
                        AfterFailure::Park => {
                            changes.push((notifications::Column::State, Expr::value(PARKED)));
                            report.parked += 1;
                            metrics::counter!("kepu_mail_parked_total").increment(1);
                        }
                    }
                    tracing::warn!(notification = %row.id, attempt = failures, error = %failure.message, "mail not sent");
                    finish(&state.db, row.id, token, changes).await?;
                }
            }
        }
    }
}

/// Up to one batch of messages due at `now` and not leased, locked for this transaction;
/// rows another worker has locked are skipped (PostgreSQL; SQLite has no row locks and needs
/// none with its single connection).
fn due(now: DateTime<Utc>) -> sea_orm::Select<notifications::Entity> {
    notifications::Entity::find()
        .filter(notifications::Column::State.eq(PENDING))
        .filter(notifications::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(notifications::Column::LockedUntil.is_null())
                .add(notifications::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(notifications::Column::NextAttemptAt)
        .order_by_asc(notifications::Column::Id)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
}

/// Claims up to one batch of due messages for this worker; returns them with the lease token.
async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> ApiResult<Vec<(notifications::Model, Uuid)>> {
    let token = Uuid::now_v7();
    let txn = db.begin().await?;
    let rows = due(now).all(&txn).await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    notifications::Entity::update_many()
        .col_expr(
            notifications::Column::LockedUntil,
            Expr::value(now + Duration::minutes(LEASE_MINUTES)),
        )
        .col_expr(notifications::Column::LockToken, Expr::value(token))
        .filter(notifications::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows.into_iter().map(|r| (r, token)).collect())
}

/// Applies `changes` to a claimed row and releases the lease, if the lease is still ours.
async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    token: Uuid,
    changes: Vec<(notifications::Column, sea_orm::sea_query::SimpleExpr)>,
) -> ApiResult<()> {
    let mut update = notifications::Entity::update_many()
        .col_expr(
            notifications::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(notifications::Column::LockToken, Expr::value(None::<Uuid>));
    for (col, value) in changes {
        update = update.col_expr(col, value);
    }
    update
        .filter(notifications::Column::Id.eq(id))
        .filter(notifications::Column::LockToken.eq(token))
        .exec(db)
        .await?;
    Ok(())
}

/// A message as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// Id.
    pub id: Uuid,
    /// Email address.
    pub recipient: String,
    /// The account it was addressed to, if any (residents have none).
    pub user_id: Option<Uuid>,
    /// The order it is about, if any.
    pub order_id: Option<Uuid>,
    /// Message kind: `new_order`, `dispatched`, `open_to_teams`, `claimed`, `released`,
    /// `completed`, `completed_for_resident`, `escalated` or `volunteer_approved`.
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// `pending`, `sent` or `parked`.
    pub state: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// When it is (or was) next tried.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<notifications::Model> for NotificationView {
    fn from(n: notifications::Model) -> Self {
        Self {
            id: n.id,
            recipient: n.recipient,
            user_id: n.user_id,
            order_id: n.order_id,
            kind: n.kind,
            subject: n.subject,
            state: n.state,
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error,
            created_at: n.created_at,
            sent_at: n.sent_at,
        }
    }
}

/// Messages, newest first, optionally in one state and about one order.
pub async fn list(
    db: &DatabaseConnection,
    state: Option<&str>,
    order_id: Option<Uuid>,
    page: &Page,
) -> ApiResult<Paged<NotificationView>> {
    let mut q = notifications::Entity::find();
    if let Some(state) = state {
        q = q.filter(notifications::Column::State.eq(state));
    }
    if let Some(order_id) = order_id {
        q = q.filter(notifications::Column::OrderId.eq(order_id));
    }
    if let Some(cursor) = &page.cursor {
        q = q.filter(notifications::Column::Id.lt(crate::service::decode_cursor(cursor)?));
    }
    let rows = q
        .order_by_desc(notifications::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(crate::service::keyset_page(
        rows,
        page.limit,
        |n| n.id,
        NotificationView::from,
    ))
}

/// Puts a parked message back in the queue with its attempts reset, due at `now`. Only parked
/// messages can be retried (409 otherwise): a pending one is already queued, a sent one is done.
pub async fn retry(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<NotificationView> {
    let changed = notifications::Entity::update_many()
        .col_expr(notifications::Column::State, Expr::value(PENDING))
        .col_expr(notifications::Column::Attempts, Expr::value(0))
        .col_expr(notifications::Column::NextAttemptAt, Expr::value(now))
        .filter(notifications::Column::Id.eq(id))
        .filter(notifications::Column::State.eq(PARKED))
        .exec(db)
        .await?
        .rows_affected;
    let row = notifications::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    if changed == 0 {
        return Err(ApiError::Conflict {
            code: "notification.not_parked",
            detail: format!(
                "only parked messages can be retried; this one is {}",
                row.state
            ),
            current_state: row.state,
        });
    }
    Ok(row.into())
}

/// Runs [`deliver_due`] every `every`, for as long as the process lives. Failures (the database
/// away, say) are logged and the next round tries again.
pub async fn run(state: AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match deliver_due(&state, state.now()).await {
            Ok(r) if r.claimed > 0 => tracing::info!(
                sent = r.sent,
                retrying = r.retrying,
                parked = r.parked,
                "outbox delivery"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "outbox delivery failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, QueryTrait};

    #[test]
    fn postgres_workers_skip_rows_another_worker_holds() {
        let pg = due(Utc::now()).build(DbBackend::Postgres).to_string();
        assert!(pg.ends_with("FOR UPDATE SKIP LOCKED"), "{pg}");
        let sqlite = due(Utc::now()).build(DbBackend::Sqlite).to_string();
        assert!(!sqlite.contains("FOR UPDATE"), "{sqlite}");
    }
}
