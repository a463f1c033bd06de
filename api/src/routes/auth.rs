//! Sign in, refresh, sign out, who am I, and changing one's own password.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use kepu_domain::value::{Email, Password};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, Problem, Problems};
use crate::extract::{ApiJson, Caller};
use crate::service::sessions::{self, TokenPair, UserView};
use crate::state::{AppState, Limited};

/// Login body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    /// Login name.
    #[schema(required = true)]
    pub username: Option<String>,
    /// Password.
    #[schema(required = true)]
    pub password: Option<String>,
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshBody {
    /// The refresh token of the last pair.
    #[schema(required = true)]
    pub refresh_token: Option<String>,
}

/// The client's address, for per-client rate limits: the peer, or, when the peer is one of
/// `KEPU_TRUSTED_PROXIES`, the right-most `X-Forwarded-For` address that is not a trusted proxy
/// (see [`crate::config::TrustedProxies::client`]).
pub fn client_ip(req: &HttpRequest) -> std::net::IpAddr {
    let peer = req
        .peer_addr()
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |a| a.ip());
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return peer;
    };
    let proxies = &state.settings.trusted_proxies;
    if proxies.is_empty() {
        return peer;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("X-Forwarded-For")
        .filter_map(|v| v.to_str().ok())
        .collect();
    proxies.client(peer, &forwarded)
}

/// Signs in with username and password. An unknown username, a wrong password and a
/// deactivated account are the same 401. After 5 failures within 15 minutes the username is
/// refused with 429 and `Retry-After` (30 s, doubling with each further failure, at most
/// 15 minutes), whatever the client address; a success resets the count.
#[utoipa::path(tag = "auth", request_body = LoginBody, responses(
    (status = 200, body = TokenPair),
    (status = 400, description = "malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "`auth.bad_credentials`", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "body over 64 KiB", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "missing fields", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "too many attempts from this client or for this username; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginBody>,
) -> ApiResult<HttpResponse> {
    state.limits.check(Limited::Login, client_ip(&req))?;
    let mut p = Problems::new();
    let username = p.require(
        "username",
        body.body.username.filter(|u| !u.trim().is_empty()),
    );
    let password = p.require("password", body.body.password.filter(|u| !u.is_empty()));
    let (username, password) = p.finish(|| Some((username?, password?)))?;
    let pair = sessions::login(&state.db, &state.keys, &username, password, state.now()).await?;
    Ok(HttpResponse::Ok().json(pair))
}

/// Trades a refresh token for a new pair; a reused token revokes its whole family. A token of
/// a session that has ended, or of a deactivated account, is 401 `auth.revoked`.
#[utoipa::path(tag = "auth", request_body = RefreshBody, responses(
    (status = 200, body = TokenPair),
    (status = 400, description = "malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "`auth.invalid`, `auth.expired`, `auth.refresh_reused` or `auth.revoked`", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "body over 64 KiB", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "missing `refresh_token`", body = Problem, content_type = "application/problem+json")))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshBody>,
) -> ApiResult<HttpResponse> {
    let mut p = Problems::new();
    let token = p.require(
        "refresh_token",
        body.body.refresh_token.filter(|t| !t.is_empty()),
    );
    let token = p.finish(|| token)?;
    Ok(HttpResponse::Ok()
        .json(sessions::refresh(&state.db, &state.keys, &token, state.now()).await?))
}

/// Signs out: the refresh token's family is revoked, and the caller's session ends, so its
/// access token is refused (401 `auth.revoked`) from the next request on.
#[utoipa::path(tag = "auth", request_body = RefreshBody, security(("bearer" = [])), responses(
    (status = 204, description = "signed out"),
    (status = 400, description = "malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "not signed in, or the session has already ended", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "body over 64 KiB", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "missing `refresh_token`", body = Problem, content_type = "application/problem+json")))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<RefreshBody>,
) -> ApiResult<HttpResponse> {
    let claims = caller.user()?;
    let mut p = Problems::new();
    let token = p.require(
        "refresh_token",
        body.body.refresh_token.filter(|t| !t.is_empty()),
    );
    let token = p.finish(|| token)?;
    sessions::logout(&state.db, claims, &token, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A change to one's own account. Omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OwnSettingsBody {
    /// Email for notifications; `""` or `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// `false` switches non-urgent mail off (escalations are still sent).
    pub notify_non_urgent: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Changes the caller's email and whether they receive non-urgent mail.
#[utoipa::path(tag = "auth", request_body = OwnSettingsBody, security(("bearer" = [])), responses(
    (status = 200, body = UserView), (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 413, body = Problem), (status = 422, body = Problem)))]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<OwnSettingsBody>,
) -> ApiResult<HttpResponse> {
    let claims = caller.user()?;
    let mut p = Problems::new();
    let email = match body.body.email {
        None => None,
        Some(None) => Some(None),
        Some(Some(e)) if e.trim().is_empty() => Some(None),
        Some(Some(e)) => p
            .check("email", Email::parse(&e))
            .map(|e| Some(e.as_ref().to_owned())),
    };
    p.into_result()?;
    let change = sessions::OwnSettings {
        email,
        notify_non_urgent: body.body.notify_non_urgent,
    };
    let user = sessions::update_own(&state.db, claims.sub, change).await?;
    Ok(HttpResponse::Ok().json(UserView::try_from(user)?))
}

/// The caller's account, role and scope, with `active` and `must_change_password`.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, description = "not signed in, or the session has ended (`auth.revoked`)", body = Problem, content_type = "application/problem+json")))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let claims = caller.user()?;
    let user = sessions::user(&state.db, claims.sub).await?;
    Ok(HttpResponse::Ok().json(UserView::try_from(user)?))
}

/// A change of one's own password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordBody {
    /// The password in use now (after a reset: the temporary one).
    #[schema(required = true)]
    pub current_password: Option<String>,
    /// 8–128 characters, not the current one.
    #[schema(required = true)]
    pub new_password: Option<String>,
}

/// Changes the caller's password. Every other session of the caller ends (their refresh tokens
/// fail and their access tokens answer 401 `auth.revoked`); this one stays. Clears
/// `must_change_password`. A wrong current password is 422 on `current_password` and counts
/// towards the sign-in slow-down of the account (429 with `Retry-After` once locked).
#[utoipa::path(tag = "auth", request_body = PasswordBody, security(("bearer" = [])), responses(
    (status = 204, description = "changed"),
    (status = 400, description = "malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "not signed in, or the session has ended", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "body over 64 KiB", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "a field is missing, the new password is not 8–128 characters or equals the current one, or the current password is wrong", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "too many wrong passwords for this account; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<PasswordBody>,
) -> ApiResult<HttpResponse> {
    let claims = caller.user()?;
    let mut p = Problems::new();
    let current = p.require(
        "current_password",
        body.body.current_password.filter(|c| !c.is_empty()),
    );
    let new = p
        .require(
            "new_password",
            body.body.new_password.as_deref().map(Password::parse),
        )
        .and_then(|r| p.check("new_password", r));
    if let (Some(current), Some(new)) = (&current, &new)
        && current == new.expose()
    {
        p.add("new_password", "新密码不能与当前密码相同");
    }
    let (current, new) = p.finish(|| Some((current?, new?.expose().to_owned())))?;
    sessions::change_password(&state.db, claims, current, new, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
