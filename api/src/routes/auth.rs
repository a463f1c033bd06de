//! Sign in, refresh, sign out, and who am I.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use kepu_domain::value::Email;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem, Problems};
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

/// Signs in with username and password.
#[utoipa::path(tag = "auth", request_body = LoginBody, responses(
    (status = 200, body = TokenPair), (status = 400, body = Problem), (status = 401, body = Problem),
    (status = 422, body = Problem), (status = 429, body = Problem)))]
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
    let pair = sessions::login(&state.db, &state.keys, &username, password).await?;
    Ok(HttpResponse::Ok().json(pair))
}

/// Trades a refresh token for a new pair; a reused token revokes its whole family.
#[utoipa::path(tag = "auth", request_body = RefreshBody, responses(
    (status = 200, body = TokenPair), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem)))]
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
    Ok(HttpResponse::Ok().json(sessions::refresh(&state.db, &state.keys, &token).await?))
}

/// Signs out: the refresh token's family is revoked.
#[utoipa::path(tag = "auth", request_body = RefreshBody, security(("bearer" = [])), responses(
    (status = 204, description = "signed out"), (status = 401, body = Problem), (status = 422, body = Problem)))]
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
    sessions::logout(&state.db, claims.sub, &token).await?;
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
    Ok(HttpResponse::Ok().json(UserView::new(user)))
}

/// The caller's account, role and scope.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses((status = 200, body = UserView), (status = 401, body = Problem)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let claims = caller.user()?;
    let user = sessions::user(&state.db, claims.sub).await?;
    if !user.active {
        return Err(ApiError::unauthorized(
            "auth.invalid",
            "the account is disabled",
        ));
    }
    Ok(HttpResponse::Ok().json(UserView::new(user)))
}
