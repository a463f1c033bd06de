//! Sessions: sign-in with the per-account slow-down, refresh-token rotation with reuse
//! detection, logout, the check every authenticated request makes, and changing one's own
//! password.
//!
//! A session is one sign-in. Its id is the refresh-token family's id and travels in every
//! access token as `sid`. Ending a session (logout, a password change or reset, a
//! deactivation, a reused refresh token) marks its row in `sessions` and revokes its refresh
//! tokens; [`check`] reads that row joined to the user on every authenticated request, so the
//! access tokens stop at once, on every instance.

mod slowdown;

use chrono::{DateTime, Duration, Utc};
use kepu_domain::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, RelationDef, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{self, ACCESS_TOKEN_SECONDS, Claims, REFRESH_TOKEN_DAYS, TokenKeys};
use crate::db::Db;
use crate::entity::{refresh_tokens, sessions, users};
use crate::error::{ApiError, ApiResult};

pub(crate) use slowdown::unlock;
use slowdown::{count_attempt, forget_failures, forget_stale_failures};

/// An account as it describes itself, and as the association sees it.
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
    /// `false` once the association deactivated the account: it cannot sign in and its tokens
    /// are refused.
    pub active: bool,
    /// `true` after a password reset: until the user sets a new password at
    /// `POST /me/password`, every endpoint other than `me`, `me/password` and `auth/logout`
    /// answers 403 `auth.password_change_required`.
    pub must_change_password: bool,
}

impl TryFrom<users::Model> for UserView {
    type Error = ApiError;

    /// The view of a row; a role the code does not know is a broken database, an internal
    /// error that is logged, never a silent default.
    fn try_from(u: users::Model) -> ApiResult<Self> {
        let role = u.role.parse::<Role>().map_err(|_| {
            ApiError::Internal(anyhow::anyhow!(
                "user {} has the unknown stored role {:?}",
                u.id,
                u.role
            ))
        })?;
        Ok(Self {
            id: u.id,
            username: u.username,
            role,
            display_name: u.display_name,
            email: u.email,
            station_id: u.station_id,
            department_id: u.department_id,
            team_id: u.team_id,
            volunteer_id: u.volunteer_id,
            notify_non_urgent: u.notify_non_urgent,
            active: u.active,
            must_change_password: u.must_change_password,
        })
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

/// Signs a new access token and stores a new refresh token of session `sid`.
async fn issue(
    db: &Db,
    keys: &TokenKeys,
    user: users::Model,
    sid: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<TokenPair> {
    let view = UserView::try_from(user.clone())?;
    let access_token = keys.sign(&auth::claims_for(&user, view.role, sid, now))?;
    let refresh_token = auth::new_opaque_token();
    refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(view.id),
        family_id: Set(sid),
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
        user: view,
    })
}

fn bad_credentials() -> ApiError {
    ApiError::unauthorized("auth.bad_credentials", "wrong username or password")
}

fn revoked() -> ApiError {
    ApiError::unauthorized(
        "auth.revoked",
        "this session has ended (signed out, password changed or reset, or account deactivated); sign in again",
    )
}

/// Checks a username and password and starts a new session. An unknown username, a wrong
/// password and a deactivated account all answer the same 401 after the same work; each
/// counts towards the username's slow-down (`kepu_domain::login`).
pub async fn login(
    db: &Db,
    keys: &TokenKeys,
    username: &str,
    password: String,
    now: DateTime<Utc>,
) -> ApiResult<TokenPair> {
    let username = &login_name(username);
    count_attempt(db, username, now).await?;
    let user = account_named(db, username).await?;
    let hash = user.as_ref().map_or_else(
        || auth::DUMMY_PASSWORD_HASH.to_owned(),
        |u| u.password_hash.clone(),
    );
    let valid = auth::verify_password_async(password, hash).await?;
    match user {
        Some(user) if valid && user.active => {
            forget_failures(db, username).await?;
            let sid = Uuid::now_v7();
            sessions::Entity::insert(sessions::ActiveModel {
                id: Set(sid),
                user_id: Set(user.id),
                created_at: Set(now),
                revoked_at: Set(None),
            })
            .exec_without_returning(db)
            .await?;
            issue(db, keys, user, sid, now).await
        }
        _ => {
            forget_stale_failures(db, now).await?;
            Err(bad_credentials())
        }
    }
}

/// The login name as looked up: a valid username is trimmed and lower-cased (as accounts are
/// stored); anything else that is a mobile number typed the way people type them
/// (`138 1234 5678`, `+86 13812345678`) becomes the 11 digits a volunteer's account was
/// registered under (registration stores `Phone::parse`'s digits).
pub fn login_name(raw: &str) -> String {
    let lower = raw.trim().to_lowercase();
    if kepu_domain::value::Username::parse(&lower).is_ok() {
        return lower;
    }
    match kepu_domain::value::Phone::parse(raw) {
        Ok(phone) => phone.to_string(),
        Err(_) => lower,
    }
}

/// The account signing in as `name` (see [`login_name`]); a name that is also a mobile number
/// in another spelling (`8613812345678`) finds the volunteer registered under its digits.
async fn account_named(db: &Db, name: &str) -> ApiResult<Option<users::Model>> {
    let find = |n: &str| {
        users::Entity::find()
            .filter(users::Column::Username.eq(n))
            .one(db)
    };
    if let Some(user) = find(name).await? {
        return Ok(Some(user));
    }
    match kepu_domain::value::Phone::parse(name) {
        Ok(phone) if phone.as_ref() != name => Ok(find(phone.as_ref()).await?),
        _ => Ok(None),
    }
}

/// `sessions` joined to its user.
fn session_user() -> RelationDef {
    sessions::Entity::belongs_to(users::Entity)
        .from(sessions::Column::UserId)
        .to(users::Column::Id)
        .into()
}

/// What the database says about one session: ended or not, and its user's flags.
struct SessionStatus {
    user_id: Uuid,
    ended: bool,
    active: bool,
    must_change_password: bool,
}

/// One read by primary key: the session and its user.
async fn status(db: &Db, sid: Uuid) -> ApiResult<Option<SessionStatus>> {
    let row: Option<(Uuid, Option<DateTime<Utc>>, bool, bool)> = sessions::Entity::find_by_id(sid)
        .select_only()
        .column(sessions::Column::UserId)
        .column(sessions::Column::RevokedAt)
        .column(users::Column::Active)
        .column(users::Column::MustChangePassword)
        .join(JoinType::InnerJoin, session_user())
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map(
        |(user_id, revoked_at, active, must_change_password)| SessionStatus {
            user_id,
            ended: revoked_at.is_some(),
            active,
            must_change_password,
        },
    ))
}

/// What a valid access token may still do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Everything its role allows.
    Full,
    /// Only `me`, `me/password` and `auth/logout`, until the password is changed.
    MustChangePassword,
}

/// The check of every authenticated request (the `Caller` extractor): the token's session has
/// not ended and its user is active, else 401 `auth.revoked`.
pub async fn check(db: &Db, claims: &Claims) -> ApiResult<Standing> {
    match status(db, claims.sid).await? {
        Some(s) if s.user_id == claims.sub && s.active && !s.ended => {
            Ok(if s.must_change_password {
                Standing::MustChangePassword
            } else {
                Standing::Full
            })
        }
        _ => Err(revoked()),
    }
}

/// Trades a refresh token for a new pair in the same session. A token used before means it
/// leaked: the whole session ends. A token of an ended session or a deactivated account is
/// 401 `auth.revoked`.
pub async fn refresh(
    db: &Db,
    keys: &TokenKeys,
    token: &str,
    now: DateTime<Utc>,
) -> ApiResult<TokenPair> {
    let invalid = || {
        ApiError::unauthorized(
            "auth.invalid",
            "the refresh token is not valid; sign in again",
        )
    };
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(auth::token_hash(token)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    // Families from before sessions existed have no row: their users sign in again.
    let session = status(db, row.family_id).await?.ok_or_else(invalid)?;
    if session.ended || !session.active || session.user_id != row.user_id {
        return Err(revoked());
    }
    let reused = || {
        ApiError::unauthorized(
            "auth.refresh_reused",
            "this refresh token was already used; the session is revoked",
        )
    };
    if row.used_at.is_some() || row.revoked_at.is_some() {
        end_session(db, row.family_id, now).await?;
        return Err(reused());
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
        end_session(db, row.family_id, now).await?;
        return Err(reused());
    }
    let user = users::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    issue(db, keys, user, row.family_id, now).await
}

/// Ends one session: its row and its refresh tokens.
async fn end_session<C: ConnectionTrait>(db: &C, sid: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(sid))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(sid))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of `user` except `keep`.
pub(crate) async fn end_sessions_of<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut sessions_q = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::UserId.eq(user))
        .filter(sessions::Column::RevokedAt.is_null());
    let mut tokens_q = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.eq(user))
        .filter(refresh_tokens::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        sessions_q = sessions_q.filter(sessions::Column::Id.ne(keep));
        tokens_q = tokens_q.filter(refresh_tokens::Column::FamilyId.ne(keep));
    }
    sessions_q.exec(db).await?;
    tokens_q.exec(db).await?;
    Ok(())
}

/// Signs out: the caller's own session ends, and so does the session of `token` if it is the
/// caller's. Its access tokens are refused from the next request on.
pub async fn logout(db: &Db, claims: &Claims, token: &str, now: DateTime<Utc>) -> ApiResult<()> {
    let row = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(auth::token_hash(token)))
        .filter(refresh_tokens::Column::UserId.eq(claims.sub))
        .one(db)
        .await?;
    let txn = db.begin().await?;
    if let Some(row) = row {
        end_session(&txn, row.family_id, now).await?;
    }
    end_session(&txn, claims.sid, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Changes the caller's own password after checking the current one. Every other session of
/// the user ends; the caller's stays. A wrong current password is a 422 on `current_password`
/// and counts towards the username's sign-in slow-down, so a stolen access token cannot be
/// used to guess the password faster than the login form allows.
pub async fn change_password(
    db: &Db,
    claims: &Claims,
    current: String,
    new: String,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let account = user(db, claims.sub).await?;
    count_attempt(db, &account.username, now).await?;
    let stored = account.password_hash.clone();
    let valid = auth::verify_password_async(current, stored).await?;
    if !valid {
        return Err(ApiError::field("current_password", "当前密码不正确"));
    }
    forget_failures(db, &account.username).await?;
    let hash = auth::hash_password_async(new).await?;
    let txn = db.begin().await?;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::MustChangePassword, Expr::value(false))
        .filter(users::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    end_sessions_of(&txn, account.id, Some(claims.sid), now).await?;
    txn.commit().await?;
    Ok(())
}

/// The account by id.
pub async fn user(db: &Db, id: Uuid) -> ApiResult<users::Model> {
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
pub async fn update_own(db: &Db, id: Uuid, change: OwnSettings) -> ApiResult<users::Model> {
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
        return Err(revoked());
    }
    Ok(user)
}

/// How long a console sign-in lasts, from the sign-in on, whatever the activity: a working day
/// with some margin. The session's refresh token would live longer; the console asks for a
/// fresh sign-in each day.
pub const CONSOLE_SESSION_HOURS: i64 = 14;

/// A console page's signed-in user, read from the session cookie.
#[derive(Debug)]
pub struct ConsoleSession {
    /// Claims as an access token of this session would carry them, so the console calls the
    /// same services with the same identity as the API.
    pub claims: Claims,
    /// The account.
    pub user: UserView,
    /// Whether the user must first choose a new password.
    pub standing: Standing,
}

/// The console's session: the cookie holds the opaque refresh token issued at sign-in (only
/// its SHA-256 is stored, in `refresh_tokens`, whose family is the `sessions` row). The
/// console never rotates it; it only reads it. `None` when the token is unknown, used, revoked
/// or expired, when the sign-in is older than [`CONSOLE_SESSION_HOURS`], or when [`check`]
/// — the same check every API request makes — says the session has ended or the account is
/// inactive. So sign-out, a password change or reset and a deactivation end console sessions
/// at once, on every instance.
pub async fn console_session(
    db: &Db,
    token: &str,
    now: DateTime<Utc>,
) -> ApiResult<Option<ConsoleSession>> {
    let Some(row) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(auth::token_hash(token)))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.expires_at <= now || row.created_at + Duration::hours(CONSOLE_SESSION_HOURS) <= now {
        return Ok(None);
    }
    let Some(account) = users::Entity::find_by_id(row.user_id).one(db).await? else {
        return Ok(None);
    };
    let view = UserView::try_from(account.clone())?;
    let claims = auth::claims_for(&account, view.role, row.family_id, now);
    match check(db, &claims).await {
        Ok(standing) => Ok(Some(ConsoleSession {
            claims,
            user: view,
            standing,
        })),
        Err(ApiError::Unauthorized { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}
