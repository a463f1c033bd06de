//! The outbox worker: delivers queued mail (what administrators do with the rows is
//! `service::mail`).
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
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::db::Db;
use crate::entity::notifications;
use crate::error::ApiResult;
use crate::state::AppState;

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
async fn claim(db: &Db, now: DateTime<Utc>) -> ApiResult<Vec<(notifications::Model, Uuid)>> {
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
