//! The per-account sign-in slow-down (`kepu_domain::login`), kept in `login_failures` and
//! shared by all instances through the database.

use chrono::{DateTime, Utc};
use kepu_domain::login::{Failures, WINDOW};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::db::Db;
use crate::entity::login_failures;
use crate::error::{ApiError, ApiResult};

/// The key of a username in `login_failures`: as looked up, and bounded.
fn failure_key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(200).collect()
}

fn failures_of(row: &login_failures::Model) -> Failures {
    Failures {
        count: u32::try_from(row.failures).unwrap_or(0),
        last_at: row.last_failure_at,
        locked_until: row.locked_until,
    }
}

/// Counts one sign-in attempt of `username` as a failure before the password is checked, so
/// that concurrent guesses cannot slip past the limit; a success clears it again
/// ([`forget_failures`]). A locked username is refused with 429 and the seconds to wait, and
/// that attempt is not counted. Shared by all instances through the database: each change is
/// a conditional update, retried when another request changed the row first.
pub(super) async fn count_attempt(db: &Db, username: &str, now: DateTime<Utc>) -> ApiResult<()> {
    let key = failure_key(username);
    for _ in 0..10 {
        let row = login_failures::Entity::find_by_id(key.clone())
            .one(db)
            .await?;
        let previous = row.as_ref().map(failures_of);
        if let Some(retry_after) = previous.and_then(|p| p.retry_after(now)) {
            return Err(ApiError::RateLimited { retry_after });
        }
        let next = Failures::after_failure(previous.as_ref(), now);
        let count = i32::try_from(next.count).unwrap_or(i32::MAX);
        let stored = match row {
            None => {
                let insert = login_failures::Entity::insert(login_failures::ActiveModel {
                    username: Set(key.clone()),
                    failures: Set(count),
                    last_failure_at: Set(next.last_at),
                    locked_until: Set(next.locked_until),
                })
                .exec_without_returning(db)
                .await;
                match insert {
                    Ok(_) => true,
                    Err(e) if crate::service::is_unique_violation(&e) => false,
                    Err(e) => return Err(e.into()),
                }
            }
            Some(old) => {
                login_failures::Entity::update_many()
                    .col_expr(login_failures::Column::Failures, Expr::value(count))
                    .col_expr(
                        login_failures::Column::LastFailureAt,
                        Expr::value(next.last_at),
                    )
                    .col_expr(
                        login_failures::Column::LockedUntil,
                        Expr::value(next.locked_until),
                    )
                    .filter(login_failures::Column::Username.eq(key.clone()))
                    .filter(login_failures::Column::Failures.eq(old.failures))
                    .exec(db)
                    .await?
                    .rows_affected
                    == 1
            }
        };
        if stored {
            return Ok(());
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "the failed sign-ins of one username kept changing under ten attempts to count one more"
    )))
}

/// A successful sign-in resets the username's count.
pub(super) async fn forget_failures(db: &Db, username: &str) -> ApiResult<()> {
    login_failures::Entity::delete_by_id(failure_key(username))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops records whose window has passed (locks never outlast it by more than their own
/// length, which is at most the window), so unknown usernames do not pile up.
pub(super) async fn forget_stale_failures(db: &Db, now: DateTime<Utc>) -> ApiResult<()> {
    login_failures::Entity::delete_many()
        .filter(login_failures::Column::LastFailureAt.lt(now - WINDOW))
        .filter(
            Condition::any()
                .add(login_failures::Column::LockedUntil.is_null())
                .add(login_failures::Column::LockedUntil.lte(now)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Clears the sign-in slow-down of `username` (after a reset by the association).
pub(crate) async fn unlock(db: &Db, username: &str) -> ApiResult<()> {
    forget_failures(db, username).await
}
