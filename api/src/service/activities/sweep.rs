//! What the sweeper does for activities: it closes check-ins left open when the check-out
//! window has passed (at `ends_at`, flagged), and queues the reminder a day before the start.
//! Both are conditional updates, so several sweepers at once act once.

use chrono::{DateTime, Utc};
use kepu_domain::activity::{CLOSES_AFTER, REMINDER_BEFORE};
use kepu_domain::notice::MessageKind;
use kepu_domain::order::OrderState;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

use super::schedule::{signed_up_volunteers, tell};
use crate::entity::{activities, activity_signups, orders};
use crate::error::ApiResult;
use crate::state::AppState;

/// Closes every check-in whose activity's window has closed without a check-out: the
/// check-out becomes the activity's end, and the row is flagged. Returns how many it closed.
pub async fn close_forgotten_check_outs(state: &AppState, now: DateTime<Utc>) -> ApiResult<u64> {
    let mut ended = Query::select();
    ended
        .column(activities::Column::OrderId)
        .from(activities::Entity)
        .and_where(activities::Column::EndsAt.lt(now - CLOSES_AFTER));
    let open = activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.in_subquery(ended))
        .filter(activity_signups::Column::CheckedInAt.is_not_null())
        .filter(activity_signups::Column::CheckedOutAt.is_null())
        .order_by_asc(activity_signups::Column::Id)
        .all(&state.db)
        .await?;
    let mut closed = 0;
    for row in open {
        let Some(a) = activities::Entity::find_by_id(row.order_id)
            .one(&state.db)
            .await?
        else {
            continue;
        };
        // Never before the check-in itself (a manual record can be late).
        let out = row.checked_in_at.map_or(a.ends_at, |i| i.max(a.ends_at));
        closed += activity_signups::Entity::update_many()
            .col_expr(activity_signups::Column::CheckedOutAt, Expr::value(out))
            .col_expr(activity_signups::Column::Flagged, Expr::value(true))
            .col_expr(activity_signups::Column::UpdatedAt, Expr::value(now))
            .filter(activity_signups::Column::Id.eq(row.id))
            .filter(activity_signups::Column::CheckedOutAt.is_null())
            .exec(&state.db)
            .await?
            .rows_affected;
    }
    Ok(closed)
}

/// Queues the reminder of every activity of a claimed order that starts within a day and was
/// not reminded yet, to its signed-up volunteers. Returns how many activities it reminded.
pub async fn send_reminders(state: &AppState, now: DateTime<Utc>) -> ApiResult<usize> {
    let due = activities::Entity::find()
        .filter(activities::Column::ReminderSentAt.is_null())
        .filter(activities::Column::StartsAt.gt(now))
        .filter(activities::Column::StartsAt.lte(now + REMINDER_BEFORE))
        .order_by_asc(activities::Column::StartsAt)
        .all(&state.db)
        .await?;
    let mut reminded = 0;
    for a in due {
        let Some(order) = orders::Entity::find_by_id(a.order_id)
            .one(&state.db)
            .await?
        else {
            continue;
        };
        if order.state != OrderState::Claimed.as_str() || order.team_id != Some(a.team_id) {
            continue;
        }
        let txn = state.db.begin().await?;
        let claimed = activities::Entity::update_many()
            .col_expr(activities::Column::ReminderSentAt, Expr::value(now))
            .filter(activities::Column::OrderId.eq(a.order_id))
            .filter(activities::Column::ReminderSentAt.is_null())
            .filter(activities::Column::StartsAt.eq(a.starts_at))
            .exec(&txn)
            .await?
            .rows_affected;
        if claimed == 0 {
            // Another sweeper reminded it, or it was rescheduled meanwhile.
            txn.rollback().await?;
            continue;
        }
        let volunteers = signed_up_volunteers(&txn, a.order_id).await?;
        tell(
            state,
            &txn,
            &order,
            &a,
            MessageKind::ActivityReminder,
            &volunteers,
            now,
        )
        .await?;
        txn.commit().await?;
        reminded += 1;
    }
    Ok(reminded)
}
