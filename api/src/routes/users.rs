//! Accounts as the association manages them: the list, a password reset, deactivation and
//! activation. (Creating an account is `POST /users` in `people`.)

use actix_web::{HttpResponse, get, post, web};
use kepu_domain::Role;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::Caller;
use crate::paging::Page;
use crate::paging::Paged;
use crate::service::actors::require_admin;
use crate::service::sessions::UserView;
use crate::service::users::{self as svc, TemporaryPassword, UserFilter};
use crate::state::AppState;

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// `association_admin`, `station_staff`, `department_staff`, `team_leader` or `volunteer`.
    pub role: Option<String>,
    /// Part of the login name or display name (case-insensitive), at most 64 characters.
    pub q: Option<String>,
    /// `true` for active accounts, `false` for deactivated ones.
    pub active: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Accounts, newest first, with `active` and `must_change_password` (association only).
#[utoipa::path(tag = "people", params(UserQuery), security(("bearer" = [])), responses(
    (status = 200, body = Paged<UserView>),
    (status = 401, description = "not signed in, or the session has ended", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "not the association, or a password change is required", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "an unknown role, `active` not `true`/`false`, `q` too long, or a bad `limit`/`cursor`; all listed", body = Problem, content_type = "application/problem+json")))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let mut p = Problems::new();
    let role = query
        .get("role")
        .filter(|r| !r.is_empty())
        .and_then(|r| p.check("role", r.parse::<Role>().map_err(|_| "没有这个角色")));
    let active = query
        .get("active")
        .filter(|a| !a.is_empty())
        .and_then(|a| match a.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                p.add("active", "须为 true 或 false");
                None
            }
        });
    let q = query
        .get("q")
        .map(|q| q.trim())
        .filter(|q| !q.is_empty())
        .and_then(|q| {
            if q.chars().count() > 64 {
                p.add("q", "最多64个字符");
                None
            } else {
                Some(q.to_owned())
            }
        });
    let page = Page::from_query(&query, &mut p);
    let page = p.finish(|| page)?;
    let filter = UserFilter { role, active, q };
    Ok(HttpResponse::Ok().json(svc::list(&state.db, filter, &page).await?))
}

fn user_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

/// Gives the account a random temporary password, returned this once. Every session of the
/// user ends at once; at their next sign-in `must_change_password` is `true`, and every
/// endpoint other than `me`, `me/password` and `auth/logout` answers 403
/// `auth.password_change_required` until they change it (association only).
#[utoipa::path(tag = "people", params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = TemporaryPassword),
    (status = 401, description = "not signed in, or the session has ended", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "not the association, or a password change is required", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "no such account", body = Problem, content_type = "application/problem+json")))]
#[post("/users/{id}/reset-password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let id = user_id(&id)?;
    Ok(HttpResponse::Ok().json(svc::reset_password(&state.db, id, state.now()).await?))
}

/// Deactivates an account with immediate effect: its access and refresh tokens answer 401
/// `auth.revoked` from the next request on, and signing in fails as with a wrong password.
/// Nobody deactivates their own account (403). Again on a deactivated account: 200, unchanged
/// (association only).
#[utoipa::path(tag = "people", params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, description = "not signed in, or the session has ended", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "not the association, one's own account, or a password change is required", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "no such account", body = Problem, content_type = "application/problem+json")))]
#[post("/users/{id}/deactivate")]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let admin = require_admin(&caller)?;
    let id = user_id(&id)?;
    Ok(HttpResponse::Ok()
        .json(svc::set_active(&state.db, admin.sub, id, false, state.now()).await?))
}

/// Activates an account again: the user can sign in anew (tokens from before the
/// deactivation stay revoked). Again on an active account: 200, unchanged (association only).
#[utoipa::path(tag = "people", params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, description = "not signed in, or the session has ended", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "not the association, or a password change is required", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "no such account", body = Problem, content_type = "application/problem+json")))]
#[post("/users/{id}/activate")]
pub async fn activate_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let admin = require_admin(&caller)?;
    let id = user_id(&id)?;
    Ok(
        HttpResponse::Ok()
            .json(svc::set_active(&state.db, admin.sub, id, true, state.now()).await?),
    )
}
