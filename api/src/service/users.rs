//! Accounts as the association manages them: the list, a password reset, deactivation and
//! activation. Sessions end here through [`sessions::end_sessions_of`], so a reset or a
//! deactivation stops the user's access and refresh tokens from the next request on.

use chrono::{DateTime, Utc};
use kepu_domain::Role;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth;
use crate::db::Db;
use crate::entity::users;
use crate::error::{ApiError, ApiResult};
use crate::paging::Page;
use crate::paging::Paged;
use crate::service::sessions::{self, UserView};

/// The filters of the user list.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) accounts.
    pub active: Option<bool>,
    /// Part of the login name or display name, case-insensitive.
    pub q: Option<String>,
}

/// `%` and `_` match themselves in the search text.
fn like_pattern(q: &str) -> LikeExpr {
    let escaped: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// The accounts that match `filter`, newest first, keyset paged.
pub async fn list(db: &Db, filter: UserFilter, page: &Page) -> ApiResult<Paged<UserView>> {
    let mut q = users::Entity::find();
    if let Some(role) = filter.role {
        q = q.filter(users::Column::Role.eq(role.as_str()));
    }
    if let Some(active) = filter.active {
        q = q.filter(users::Column::Active.eq(active));
    }
    if let Some(text) = filter.q.as_deref() {
        q = q.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(users::Column::Username)))
                        .like(like_pattern(text)),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(users::Column::DisplayName)))
                        .like(like_pattern(text)),
                ),
        );
    }
    let rows = crate::paging::newest_first(db, q, users::Column::Id, page).await?;
    let page = crate::paging::keyset_page(rows, page.limit, |u| u.id, UserView::try_from);
    Ok(Paged {
        items: page.items.into_iter().collect::<ApiResult<Vec<_>>>()?,
        next_cursor: page.next_cursor,
    })
}

/// The answer to a reset: the temporary password, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemporaryPassword {
    /// Give it to the user; they must choose a new password at their next sign-in.
    pub temporary_password: String,
}

async fn find(db: &Db, id: Uuid) -> ApiResult<users::Model> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Gives `id` a random temporary password and makes them change it at their next sign-in.
/// Every session of theirs ends, and their sign-in slow-down is cleared.
pub async fn reset_password(db: &Db, id: Uuid, now: DateTime<Utc>) -> ApiResult<TemporaryPassword> {
    let account = find(db, id).await?;
    let temporary = auth::temporary_password();
    let hash = auth::hash_password_async(temporary.clone()).await?;
    let txn = db.begin().await?;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::MustChangePassword, Expr::value(true))
        .filter(users::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    sessions::end_sessions_of(&txn, id, None, now).await?;
    txn.commit().await?;
    sessions::unlock(db, &account.username).await?;
    Ok(TemporaryPassword {
        temporary_password: temporary,
    })
}

/// Deactivates (`active = false`) or activates an account. Deactivation ends every session of
/// the user, so activating again lets them sign in anew but revives no old token. Nobody
/// deactivates their own account (403), so the association always keeps one way in.
pub async fn set_active(
    db: &Db,
    by: Uuid,
    id: Uuid,
    active: bool,
    now: DateTime<Utc>,
) -> ApiResult<UserView> {
    find(db, id).await?;
    if !active && by == id {
        return Err(ApiError::Forbidden(
            "you cannot deactivate your own account".into(),
        ));
    }
    let txn = db.begin().await?;
    users::Entity::update_many()
        .col_expr(users::Column::Active, Expr::value(active))
        .filter(users::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if !active {
        sessions::end_sessions_of(&txn, id, None, now).await?;
    }
    txn.commit().await?;
    UserView::try_from(find(db, id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Query, SqliteQueryBuilder};

    #[test]
    fn wildcards_in_the_search_text_match_themselves() {
        let sql = Query::select()
            .column(users::Column::Id)
            .from(users::Entity)
            .and_where(Expr::col(users::Column::Username).like(like_pattern("A_b%c")))
            .to_string(SqliteQueryBuilder);
        assert!(
            sql.contains(r"LIKE '%a\_b\%c%' ESCAPE '\'"),
            "unexpected SQL: {sql}"
        );
    }
}
