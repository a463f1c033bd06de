//! The roster's one lock and count: every change of an activity's roster holds its row first.

use kepu_domain::activity::SignupState;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::entity::{activities, activity_signups};
use crate::error::{ApiError, ApiResult};

/// Holds the activity's row for the rest of the transaction by bumping its roster version.
/// Every change of the roster calls this first, so changes of one activity take turns: on
/// PostgreSQL the update waits for the row lock of any other open change (and then counts what
/// that change committed, since each statement reads anew under READ COMMITTED); SQLite has one
/// writer. The same holds across instances on one database. 404 when the activity is gone or
/// belongs to another team.
pub(crate) async fn hold(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    team_id: Uuid,
) -> ApiResult<()> {
    let held = activities::Entity::update_many()
        .col_expr(
            activities::Column::RosterVersion,
            Expr::col(activities::Column::RosterVersion).add(1),
        )
        .filter(activities::Column::OrderId.eq(order_id))
        .filter(activities::Column::TeamId.eq(team_id))
        .exec(db)
        .await?
        .rows_affected;
    if held == 1 {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// How many volunteers hold a slot now.
pub(crate) async fn signed_up_count(db: &impl ConnectionTrait, order_id: Uuid) -> ApiResult<i64> {
    Ok(activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(order_id))
        .filter(activity_signups::Column::State.eq(SignupState::SignedUp.as_str()))
        .count(db)
        .await? as i64)
}

/// A 409 with a code of the activity family.
pub(crate) fn conflict(code: &'static str, detail: &str, current_state: &str) -> ApiError {
    ApiError::Conflict {
        code,
        detail: detail.into(),
        current_state: current_state.into(),
    }
}
