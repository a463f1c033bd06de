//! Activities and attendance (`docs/activities.md`). Once a team has claimed an order, its
//! leader schedules the activity; the team's volunteers sign up (beyond the slots they wait in
//! line), check in and out with a short code shown on the leader's phone, and `complete` takes
//! their hours from that attendance. Each room holds one part:
//! - [`access`]: who the caller is to an order's activity (staff, its leader, a member);
//! - [`schedule`]: scheduling and rescheduling, and reading the activity with its roster;
//! - [`signup`]: signing up and withdrawing, never more than `slots` signed up;
//! - [`attendance`]: the check-in code, check-in and check-out, the leader's manual record,
//!   and the hours `complete` files from attendance;
//! - [`mine`]: a volunteer's own activities, and their private calendar feed;
//! - [`links`]: the links and the QR code the leader's page shows;
//! - [`sweep`]: what the sweeper does for activities (forgotten check-outs, reminders);
//! - [`view`]: what clients see.

pub mod access;
pub mod attendance;
pub mod links;
pub mod mine;
pub mod schedule;
pub mod signup;
pub mod sweep;
pub mod view;

pub use access::{Access, Role as AccessRole, access};
pub use attendance::{IssuedCode, ManualAttendance, hours_for_completion};
pub use view::{ActivityView, MyActivities, MyActivity, RosterRow, SignupView};

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
