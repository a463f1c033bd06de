//! Sessions: login, refresh-token rotation with reuse detection, logout.

use chrono::{DateTime, Duration, Utc};
use kepu_domain::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{self, ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_DAYS, TokenKeys};
use crate::entity::{refresh_tokens, users};
use crate::error::{ApiError, ApiResult};

/// A signed-in account as it describes itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Role.
    #[schema(value_type = String, example = "station_staff")]
    pub role: Role,
    /// Name shown to others.
    pub display_name: String,
    /// Email, if given.
    pub email: Option<String>,
    /// Scope of station staff.
    pub station_id: Option<Uuid>,
    /// Scope of department staff.
    pub department_id: Option<Uuid>,
    /// Scope of a team leader.
    pub team_id: Option<Uuid>,
    /// The volunteer record of a volunteer.
    pub volunteer_id: Option<Uuid>,
    /// Whether non-urgent mail is sent (escalations are sent regardless).
    pub notify_non_urgent: bool,
}

impl UserView {
    /// The view of a row.
    pub fn new(u: users::Model) -> Self {
        Self {
            id: u.id,
            username: u.username,
            role: u.role.parse().unwrap_or(Role::Volunteer),
            display_name: u.display_name,
            email: u.email,
            station_id: u.station_id,
            department_id: u.department_id,
            team_id: u.team_id,
            volunteer_id: u.volunteer_id,
            notify_non_urgent: u.notify_non_urgent,
        }
    }
}

/// A new token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; trade it for a new pair at `/auth/refresh`. Single use.
    pub refresh_token: String,
    /// Who signed in.
    pub user: UserView,
}

async fn issue(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    user: users::Model,
    family: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<TokenPair> {
    let role: Role = user
        .role
        .parse()
        .map_err(|_| anyhow::anyhow!("stored role {} is unknown", user.role))?;
    let access_token = keys.sign(&auth::claims_for(&user, role))?;
    let refresh_token = auth::new_opaque_token();
    refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        family_id: Set(family),
        token_hash: Set(auth::token_hash(&refresh_token)),
        expires_at: Set(now + Duration::days(REFRESH_TOKEN_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_SECONDS,
        refresh_token,
        user: UserView::new(user),
    })
}

fn bad_credentials() -> ApiError {
    ApiError::unauthorized("auth.bad_credentials", "wrong username or password")
}

/// Checks a username and password and starts a new token family.
pub async fn login(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    username: &str,
    password: String,
) -> ApiResult<TokenPair> {
    let user = users::Entity::find()
        .filter(users::Column::Username.eq(username.trim().to_lowercase()))
        .filter(users::Column::Active.eq(true))
        .one(db)
        .await?;
    let hash = user.as_ref().map_or_else(
        || auth::dummy_password_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let valid = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(anyhow::Error::from)?;
    match user {
        Some(user) if valid => issue(db, keys, user, Uuid::now_v7(), Utc::now()).await,
        _ => Err(bad_credentials()),
    }
}

/// Trades a refresh token for a new pair in the same family. A token used before (or revoked)
/// means it leaked: the whole family is revoked.
pub async fn refresh(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    token: &str,
) -> ApiResult<TokenPair> {
    let invalid = || {
        ApiError::unauthorized(
            "auth.invalid",
            "the refresh token is not valid; sign in again",
        )
    };
    let now = Utc::now();
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(auth::token_hash(token)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if row.used_at.is_some() || row.revoked_at.is_some() {
        revoke_family(db, row.family_id, now).await?;
        return Err(ApiError::unauthorized(
            "auth.refresh_reused",
            "this refresh token was already used; the session is revoked",
        ));
    }
    if row.expires_at <= now {
        return Err(ApiError::unauthorized(
            "auth.expired",
            "the refresh token has expired; sign in again",
        ));
    }
    // Mark used only if still unused: of two concurrent refreshes one wins, the other is reuse.
    let marked = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(row.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if marked == 0 {
        revoke_family(db, row.family_id, now).await?;
        return Err(ApiError::unauthorized(
            "auth.refresh_reused",
            "this refresh token was already used; the session is revoked",
        ));
    }
    let user = users::Entity::find_by_id(row.user_id)
        .filter(users::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    issue(db, keys, user, row.family_id, now).await
}

async fn revoke_family(db: &DatabaseConnection, family: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes the family of `token`, if it belongs to `user`.
pub async fn logout(db: &DatabaseConnection, user: Uuid, token: &str) -> ApiResult<()> {
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(auth::token_hash(token)))
        .filter(refresh_tokens::Column::UserId.eq(user))
        .one(db)
        .await?;
    if let Some(row) = row {
        revoke_family(db, row.family_id, Utc::now()).await?;
    }
    Ok(())
}

/// The account by id.
pub async fn user(db: &DatabaseConnection, id: Uuid) -> ApiResult<users::Model> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::unauthorized("auth.invalid", "the account no longer exists"))
}

/// A change to one's own account: `email` (`Some(None)` removes it) and the non-urgent mail
/// switch; what is `None` stays as it is.
#[derive(Debug, Default)]
pub struct OwnSettings {
    /// The new email, or `Some(None)` to remove it.
    pub email: Option<Option<String>>,
    /// Whether to receive non-urgent mail.
    pub notify_non_urgent: Option<bool>,
}

/// Applies `change` to the caller's account and returns it.
pub async fn update_own(
    db: &DatabaseConnection,
    id: Uuid,
    change: OwnSettings,
) -> ApiResult<users::Model> {
    let mut update = users::Entity::update_many();
    let mut any = false;
    if let Some(email) = change.email {
        update = update.col_expr(users::Column::Email, Expr::value(email));
        any = true;
    }
    if let Some(on) = change.notify_non_urgent {
        update = update.col_expr(users::Column::NotifyNonUrgent, Expr::value(on));
        any = true;
    }
    if any {
        update
            .filter(users::Column::Id.eq(id))
            .filter(users::Column::Active.eq(true))
            .exec(db)
            .await?;
    }
    let user = user(db, id).await?;
    if !user.active {
        return Err(ApiError::unauthorized(
            "auth.invalid",
            "the account is disabled",
        ));
    }
    Ok(user)
}
