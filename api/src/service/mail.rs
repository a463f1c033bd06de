//! The mail outbox as administrators see it: list messages (above all the parked ones, which
//! the worker gave up on) and put a parked one back in the queue.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Db;
use crate::entity::notifications;
use crate::error::{ApiError, ApiResult};
use crate::notify::outbox::{PARKED, PENDING};
use crate::paging::{Page, Paged, keyset_page};

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
    db: &Db,
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
    let rows = crate::paging::newest_first(db, q, notifications::Column::Id, page).await?;
    Ok(keyset_page(
        rows,
        page.limit,
        |n| n.id,
        NotificationView::from,
    ))
}

/// Puts a parked message back in the queue with its attempts reset, due at `now`. Only parked
/// messages can be retried (409 otherwise): a pending one is already queued, a sent one is done.
pub async fn retry(db: &Db, id: Uuid, now: DateTime<Utc>) -> ApiResult<NotificationView> {
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
