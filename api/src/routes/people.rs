//! Accounts, volunteer registration and review, hours (team members: `membership`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use kepu_domain::Role;
use kepu_domain::value::{Email, IdNumber, Password, PersonName, Phone, Skills, Username};
use kepu_domain::volunteer::{Review, VolunteerState};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::{ApiJson, Caller, idempotency_key};
use crate::paging::Page;
use crate::paging::Paged;
use crate::service::actors::require_admin;
use crate::service::idempotency::Idempotency;
use crate::service::ledger::{self, HoursView};
use crate::service::membership;
use crate::service::parse_id;
use crate::service::people::{self as svc, NewUser, NewVolunteer, VolunteerView};
use crate::service::sessions::UserView;
use crate::state::{AppState, Limited};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserBody {
    /// Login name.
    #[schema(required = true)]
    pub username: Option<String>,
    /// 8–128 characters.
    #[schema(required = true)]
    pub password: Option<String>,
    /// `association_admin`, `station_staff`, `department_staff`, `team_leader` or `volunteer`.
    #[schema(required = true)]
    pub role: Option<String>,
    /// Name shown to others.
    #[schema(required = true)]
    pub display_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Required for station staff.
    pub station_id: Option<String>,
    /// Required for department staff.
    pub department_id: Option<String>,
    /// Required for team leaders.
    pub team_id: Option<String>,
    /// Required for volunteers.
    pub volunteer_id: Option<String>,
}

/// Creates an account with a role and the scope it needs (association only).
#[utoipa::path(tag = "people", request_body = UserBody, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<UserBody>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let new = parse_user(body.body)?;
    Ok(HttpResponse::Created().json(svc::create_user(&state.db, new, state.now()).await?))
}

/// Checks a new account into a [`NewUser`], listing every bad field; the console's account
/// form uses the same rules.
pub(crate) fn parse_user(b: UserBody) -> ApiResult<NewUser> {
    let mut p = Problems::new();
    let username = p
        .require("username", b.username.as_deref().map(Username::parse))
        .and_then(|r| p.check("username", r));
    let password = p
        .require("password", b.password.as_deref().map(Password::parse))
        .and_then(|r| p.check("password", r));
    let role = p
        .require("role", b.role.as_deref())
        .and_then(|r| p.check("role", r.parse::<Role>().map_err(|_| "没有这个角色")));
    let display_name = p
        .require(
            "display_name",
            b.display_name.as_deref().map(PersonName::parse),
        )
        .and_then(|r| p.check("display_name", r));
    let email = b
        .email
        .as_deref()
        .filter(|e| !e.is_empty())
        .and_then(|e| p.check("email", Email::parse(e)));
    let station_id = parse_id(&mut p, "station_id", b.station_id.as_deref());
    let department_id = parse_id(&mut p, "department_id", b.department_id.as_deref());
    let team_id = parse_id(&mut p, "team_id", b.team_id.as_deref());
    let volunteer_id = parse_id(&mut p, "volunteer_id", b.volunteer_id.as_deref());
    p.finish(|| {
        Some(NewUser {
            username: username?.as_ref().to_owned(),
            password: password?.expose().to_owned(),
            role: role?,
            display_name: display_name?.into_inner(),
            email: email.map(|e| e.as_ref().to_owned()),
            station_id,
            department_id,
            team_id,
            volunteer_id,
        })
    })
}

/// A volunteer's registration.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    /// Real name.
    #[schema(required = true)]
    pub real_name: Option<String>,
    /// Mainland mobile number; also the login name.
    #[schema(required = true)]
    pub phone: Option<String>,
    /// Township code.
    #[schema(required = true)]
    pub township: Option<String>,
    /// Skills.
    pub skills: Option<String>,
    /// Resident ID number (checked, stored, shown masked).
    pub id_number: Option<String>,
    /// Email for notifications (e.g. the approval); optional.
    pub email: Option<String>,
    /// 8–128 characters.
    #[schema(required = true)]
    pub password: Option<String>,
}

/// Checks a registration into a [`NewVolunteer`], listing every bad field; the web sign-up page
/// (`crate::web`) uses the same rules.
pub(crate) fn parse_register(b: RegisterBody) -> ApiResult<NewVolunteer> {
    let mut p = Problems::new();
    let real_name = p
        .require("real_name", b.real_name.as_deref().map(PersonName::parse))
        .and_then(|r| p.check("real_name", r));
    let phone = p
        .require("phone", b.phone.as_deref().map(Phone::parse))
        .and_then(|r| p.check("phone", r));
    let township = p.require("township", b.township.filter(|t| !t.trim().is_empty()));
    let skills = b
        .skills
        .as_deref()
        .and_then(|s| p.check("skills", Skills::parse(s)));
    let id_number = b
        .id_number
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| p.check("id_number", IdNumber::parse(s)));
    let password = p
        .require("password", b.password.as_deref().map(Password::parse))
        .and_then(|r| p.check("password", r));
    let email = b
        .email
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| p.check("email", Email::parse(s)));
    p.finish(|| {
        Some(NewVolunteer {
            email: email.map(|e| e.as_ref().to_owned()),
            real_name: real_name?.into_inner(),
            phone: phone?.to_string(),
            township: township?.trim().to_owned(),
            skills: skills.map(|s| s.into_inner()).unwrap_or_default(),
            id_number: id_number.map(|i| i.as_ref().to_owned()),
            password: password?.expose().to_owned(),
        })
    })
}

/// Registers a volunteer, who waits (`pending`) for the association's review.
#[utoipa::path(tag = "people", request_body = RegisterBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = VolunteerView), (status = 400, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
#[post("/volunteers")]
pub async fn register_volunteer(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<RegisterBody>,
) -> ApiResult<HttpResponse> {
    state
        .limits
        .check(Limited::Register, super::auth::client_ip(&req))?;
    let idem = idempotency_key(&req)?.map(|key| Idempotency::new("volunteers", key, &body.raw));
    let new = parse_register(body.body)?;
    let volunteer = svc::register_volunteer(&state.db, new, idem, state.now()).await?;
    Ok(HttpResponse::Created().json(volunteer))
}

/// Query of the volunteer list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VolunteerQuery {
    /// `pending`, `approved`, `rejected` or `suspended`.
    pub state: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Volunteers, newest first (association only).
#[utoipa::path(tag = "people", params(VolunteerQuery), security(("bearer" = [])),
    responses((status = 200, body = Paged<VolunteerView>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
#[get("/volunteers")]
pub async fn list_volunteers(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let mut p = Problems::new();
    let st = query.get("state").filter(|s| !s.is_empty()).and_then(|s| {
        p.check(
            "state",
            s.parse::<VolunteerState>().map_err(|_| "没有这个状态"),
        )
    });
    let page = Page::from_query(&query, &mut p);
    let page = p.finish(|| page)?;
    Ok(HttpResponse::Ok().json(svc::list_volunteers(&state.db, st, &page).await?))
}

/// A review's optional reason.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewBody {
    /// Why (required to reject).
    pub reason: Option<String>,
}

async fn review(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    review: Review,
    reason: Option<String>,
    reason_required: bool,
) -> ApiResult<HttpResponse> {
    require_admin(caller)?;
    let id = Uuid::parse_str(raw_id).map_err(|_| ApiError::NotFound)?;
    let mut p = Problems::new();
    let reason = reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .and_then(|r| p.check("reason", kepu_domain::value::Reason::parse(r)));
    if reason_required && reason.is_none() && p.is_empty() {
        p.add("reason", "必填");
    }
    p.into_result()?;
    Ok(HttpResponse::Ok().json(
        svc::review_volunteer(
            &state.db,
            &state.settings,
            id,
            review,
            reason.map(|r| r.into_inner()),
            state.now(),
        )
        .await?,
    ))
}

/// Approves a pending volunteer, or lifts a suspension (association only).
#[utoipa::path(tag = "people", request_body = ReviewBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = VolunteerView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
#[post("/volunteers/{id}/approve")]
pub async fn approve_volunteer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ReviewBody>,
) -> ApiResult<HttpResponse> {
    review(
        &state,
        &caller,
        &path,
        Review::Approve,
        body.body.reason,
        false,
    )
    .await
}

/// Rejects a pending registration, with a reason (association only).
#[utoipa::path(tag = "people", request_body = ReviewBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = VolunteerView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/volunteers/{id}/reject")]
pub async fn reject_volunteer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ReviewBody>,
) -> ApiResult<HttpResponse> {
    review(
        &state,
        &caller,
        &path,
        Review::Reject,
        body.body.reason,
        true,
    )
    .await
}

/// Suspends an approved volunteer: not counted, hours kept (association only).
#[utoipa::path(tag = "people", request_body = ReviewBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = VolunteerView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
#[post("/volunteers/{id}/suspend")]
pub async fn suspend_volunteer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ReviewBody>,
) -> ApiResult<HttpResponse> {
    review(
        &state,
        &caller,
        &path,
        Review::Suspend,
        body.body.reason,
        false,
    )
    .await
}

/// A volunteer's confirmed and pending hours and star level: for the volunteer, the leaders of
/// their teams, and the association.
#[utoipa::path(tag = "people", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = HoursView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
#[get("/volunteers/{id}/hours")]
pub async fn volunteer_hours(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.user()?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    may_see_hours(&state, &caller, id).await?;
    Ok(HttpResponse::Ok()
        .json(ledger::hours(&state.db, id, &state.settings.star_thresholds).await?))
}

/// Hours, certificates: for the volunteer, the leaders of the teams they are a member of (an
/// invitation not yet accepted does not count), and the association.
pub async fn may_see_hours(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<()> {
    let claims = caller.user()?;
    let allowed = match claims.role {
        Role::AssociationAdmin => true,
        Role::Volunteer => claims.volunteer_id == Some(id),
        Role::TeamLeader => match claims.team_id {
            Some(team) => membership::is_member(&state.db, team, id).await?,
            None => false,
        },
        Role::StationStaff | Role::DepartmentStaff => false,
    };
    if allowed {
        return Ok(());
    }
    Err(match claims.role {
        Role::Volunteer | Role::TeamLeader => ApiError::NotFound,
        _ => ApiError::Forbidden(
            "only the volunteer, their team leader and the association see hours".into(),
        ),
    })
}
