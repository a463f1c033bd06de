//! Signing up and withdrawing. No more than `slots` volunteers are ever signed up: each change
//! of the roster first holds the activity's row ([`super::roster::hold`]), then counts and writes, so
//! changes of one activity take turns however many arrive at once, on SQLite and PostgreSQL and
//! across instances. Beyond the slots a volunteer is waitlisted; a withdrawal moves the first
//! waitlisted volunteer up and tells them.

use kepu_domain::activity::SignupState;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::access::Access;
use super::roster::{conflict, hold, signed_up_count};
use super::schedule::promote;
use super::view::{SignupView, own_row};
use crate::entity::activity_signups;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Signs the calling member up. Returns the row and whether it is new (201) or a repeat of an
/// open sign-up (200, unchanged).
pub async fn sign_up(state: &AppState, access: &Access) -> ApiResult<(SignupView, bool)> {
    let volunteer = access.member()?;
    access.claimed()?;
    let a = access.activity(&state.db).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    hold(&txn, a.order_id, a.team_id).await?;
    let existing = activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(a.order_id))
        .filter(activity_signups::Column::VolunteerId.eq(volunteer))
        .one(&txn)
        .await?;
    let open = existing
        .as_ref()
        .is_some_and(|r| r.state != SignupState::Withdrawn.as_str());
    let created = if open {
        false
    } else {
        let state_now = if signed_up_count(&txn, a.order_id).await? < i64::from(a.slots) {
            SignupState::SignedUp
        } else {
            SignupState::Waitlisted
        };
        match existing {
            Some(row) => {
                // Signing up again after withdrawing: to the back of the line.
                activity_signups::Entity::update_many()
                    .col_expr(
                        activity_signups::Column::State,
                        Expr::value(state_now.as_str()),
                    )
                    .col_expr(activity_signups::Column::QueuedAt, Expr::value(now))
                    .col_expr(activity_signups::Column::UpdatedAt, Expr::value(now))
                    .filter(activity_signups::Column::Id.eq(row.id))
                    .exec(&txn)
                    .await?;
            }
            None => {
                activity_signups::Entity::insert(activity_signups::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    order_id: Set(a.order_id),
                    volunteer_id: Set(volunteer),
                    state: Set(state_now.as_str().into()),
                    queued_at: Set(now),
                    checked_in_at: Set(None),
                    checked_out_at: Set(None),
                    source: Set(None),
                    flagged: Set(false),
                    wrong_codes: Set(0),
                    locked_until: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(&txn)
                .await?;
            }
        }
        true
    };
    let row = own_row(&txn, &a, volunteer)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the sign-up just written is gone")))?;
    txn.commit().await?;
    Ok((
        SignupView {
            state: row.state.clone(),
            row,
        },
        created,
    ))
}

/// Withdraws the calling member; the first waitlisted volunteer moves up and is told. 404 when
/// they never signed up; withdrawing again changes nothing; 409 `activity.checked_in` once they
/// have checked in.
pub async fn withdraw(state: &AppState, access: &Access) -> ApiResult<()> {
    let volunteer = access.member()?;
    access.claimed()?;
    let a = access.activity(&state.db).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    hold(&txn, a.order_id, a.team_id).await?;
    let row = activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(a.order_id))
        .filter(activity_signups::Column::VolunteerId.eq(volunteer))
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.state == SignupState::Withdrawn.as_str() {
        txn.rollback().await?;
        return Ok(());
    }
    if row.checked_in_at.is_some() {
        txn.rollback().await?;
        return Err(conflict(
            "activity.checked_in",
            "you have checked in already; ask the leader instead of withdrawing",
            "checked_in",
        ));
    }
    activity_signups::Entity::update_many()
        .col_expr(
            activity_signups::Column::State,
            Expr::value(SignupState::Withdrawn.as_str()),
        )
        .col_expr(activity_signups::Column::UpdatedAt, Expr::value(now))
        .filter(activity_signups::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    if row.state == SignupState::SignedUp.as_str() {
        promote(state, &txn, &access.order, &a, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
