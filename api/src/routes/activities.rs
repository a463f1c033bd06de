//! Activities and attendance over HTTP (`docs/activities.md`): the leader schedules, shows the
//! check-in code and records attendance; the team's volunteers sign up, withdraw, and check in
//! and out; a volunteer lists their activities and gets a private calendar feed. Handlers parse
//! input and hand over to `service::activities`.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use kepu_domain::Role;
use kepu_domain::activity::{CheckInCode, Schedule, ScheduleInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::{ApiJson, Caller};
use crate::service::activities::attendance::{self, Punch};
use crate::service::activities::{
    self as svc, ActivityView, IssuedCode, ManualAttendance, MyActivities, RosterRow, SignupView,
};
use crate::service::parse_id;
use crate::state::AppState;

/// `PUT /orders/{id}/activity` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScheduleBody {
    /// Start, RFC 3339 (`2026-12-10T10:00:00+08:00`); the activity lasts at most 24 h and must
    /// not be over.
    #[schema(required = true)]
    pub starts_at: Option<String>,
    /// End, RFC 3339, after the start.
    #[schema(required = true)]
    pub ends_at: Option<String>,
    /// Where (at most 200 characters).
    #[schema(required = true)]
    pub place: Option<String>,
    /// How many volunteers it takes, 1–10000; not fewer than are signed up already.
    #[schema(required = true)]
    pub slots: Option<i64>,
    /// A note for the volunteers (at most 2000 characters).
    pub note: Option<String>,
}

/// A check-in code as typed or scanned.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeBody {
    /// The six digits on the leader's phone.
    #[schema(required = true)]
    pub code: Option<String>,
}

/// The leader's record of attendance for a volunteer without a phone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AttendanceBody {
    /// An approved member of the claiming team.
    #[schema(required = true)]
    pub volunteer_id: Option<String>,
    /// When they arrived, RFC 3339, within the check-in window and not in the future.
    #[schema(required = true)]
    pub checked_in_at: Option<String>,
    /// When they left, RFC 3339, after the arrival, within the window, not in the future.
    #[schema(required = true)]
    pub checked_out_at: Option<String>,
}

/// The private calendar feed's address.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarUrl {
    /// `…/ical/{token}.ics`: subscribe to it in a phone's calendar. Asking again replaces it.
    pub url: String,
}

fn order_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

fn time(p: &mut Problems, field: &str, raw: Option<&str>) -> Option<DateTime<Utc>> {
    let raw = p.require(field, raw.map(str::trim).filter(|r| !r.is_empty()))?;
    p.check(
        field,
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| "须为带时区的 RFC 3339 时间，如 2026-12-10T10:00:00+08:00"),
    )
}

/// Schedules the activity of a claimed order, or reschedules it (the claiming team's leader).
/// A new time or place is mailed to the signed-up volunteers; more slots move waitlisted
/// volunteers up (and tell them); fewer slots than are taken is a 422 on `slots`. A new start
/// means a new reminder.
#[utoipa::path(tag = "activities", request_body = ScheduleBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "the activity as scheduled", body = ActivityView),
        (status = 400, description = "malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "in scope but not the claiming team's leader", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown order, or outside the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order is not claimed (`activity.order_not_claimed`, with `current_state`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid values, every one listed", body = Problem, content_type = "application/problem+json")))]
#[put("/orders/{id}/activity")]
pub async fn schedule_activity(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ScheduleBody>,
) -> ApiResult<HttpResponse> {
    let access = svc::access(&state.db, &caller, order_id(&path)?).await?;
    access.leader()?;
    let b = body.body;
    let mut p = Problems::new();
    let starts_at = time(&mut p, "starts_at", b.starts_at.as_deref());
    let ends_at = time(&mut p, "ends_at", b.ends_at.as_deref());
    let parsed_ends = ends_at.is_some() || b.ends_at.is_none();
    let checked = Schedule::check(
        ScheduleInput {
            starts_at,
            ends_at,
            place: b.place.as_deref(),
            slots: b.slots,
            note: b.note.as_deref(),
        },
        state.now(),
    );
    let schedule = match checked {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in errors {
                // Times already reported as unparsable are not reported again as missing.
                let reported =
                    (e.field == "starts_at" && b.starts_at.is_some() && starts_at.is_none())
                        || (e.field == "ends_at" && !parsed_ends);
                if !reported {
                    p.add(e.field, e.message);
                }
            }
            None
        }
    };
    let schedule = p.finish(|| schedule)?;
    Ok(HttpResponse::Ok().json(svc::schedule::put(&state, &access, schedule).await?))
}

/// The activity of an order: staff in scope and the claiming team's leader see the whole
/// roster; a member of the claiming team sees only their own row.
#[utoipa::path(tag = "activities", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = ActivityView),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown order, outside the caller's scope, or no activity scheduled", body = Problem, content_type = "application/problem+json")))]
#[get("/orders/{id}/activity")]
pub async fn get_activity(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let access = svc::access(&state.db, &caller, order_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(svc::schedule::get(&state, &access).await?))
}

/// Signs the calling volunteer (a member of the claiming team) up: `signed_up` while slots
/// remain, else `waitlisted`. However many sign up at once, no more than `slots` are signed
/// up. Signing up again while signed up or waitlisted answers the same row (200).
#[utoipa::path(tag = "activities", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 201, description = "signed up or waitlisted", body = SignupView),
        (status = 200, description = "already signed up or waitlisted: the same row", body = SignupView),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a volunteer (staff, the leader)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown order, not the volunteer's team, or no activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order is not claimed (`activity.order_not_claimed`)", body = Problem, content_type = "application/problem+json")))]
#[post("/orders/{id}/activity/signup")]
pub async fn sign_up(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let access = svc::access(&state.db, &caller, order_id(&path)?).await?;
    let (view, created) = svc::signup::sign_up(&state, &access).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Withdraws the calling volunteer. The first waitlisted volunteer moves up and is told by
/// email. Withdrawing again changes nothing (204).
#[utoipa::path(tag = "activities", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 204, description = "withdrawn"),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a volunteer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown order, not the volunteer's team, no activity, or never signed up", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order is not claimed, or the volunteer has checked in (`activity.checked_in`)", body = Problem, content_type = "application/problem+json")))]
#[delete("/orders/{id}/activity/signup")]
pub async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let access = svc::access(&state.db, &caller, order_id(&path)?).await?;
    svc::signup::withdraw(&state, &access).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issues a new check-in code (the claiming team's leader): six digits, valid ten minutes; the
/// old code stops working. `check_in_url` is the link the leader's QR code holds.
#[utoipa::path(tag = "activities", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = IssuedCode),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not the claiming team's leader", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown order, outside the caller's scope, or no activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order is not claimed", body = Problem, content_type = "application/problem+json")))]
#[post("/orders/{id}/activity/code")]
pub async fn issue_code(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let access = svc::access(&state.db, &caller, order_id(&path)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(attendance::issue_code(&state, &access).await?))
}

async fn punch(
    state: &AppState,
    caller: &Caller,
    path: &str,
    body: CodeBody,
    how: Punch,
) -> ApiResult<HttpResponse> {
    let access = svc::access(&state.db, caller, order_id(path)?).await?;
    access.member()?;
    let mut p = Problems::new();
    let code = p
        .require("code", body.code.as_deref())
        .and_then(|c| p.check("code", CheckInCode::parse(c)));
    let code = p.finish(|| code)?;
    Ok(HttpResponse::Ok().json(attendance::punch(state, &access, &code, how).await?))
}

macro_rules! punch_handler {
    ($(#[$doc:meta])* $name:ident, $path:literal, $how:expr) => {
        $(#[$doc])*
        #[utoipa::path(tag = "activities", request_body = CodeBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
            responses(
                (status = 200, description = "the volunteer's roster row", body = RosterRow),
                (status = 400, description = "malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "not a volunteer", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "unknown order, not the volunteer's team, or no activity", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "outside `starts_at − 1 h … ends_at + 2 h` (`activity.closed`), not signed up (`activity.not_signed_up`), not checked in (`activity.not_checked_in`), or the order is not claimed", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "body over 64 KiB", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "the code is missing, malformed, wrong or expired (`code`)", body = Problem, content_type = "application/problem+json"),
                (status = 429, description = "five wrong codes in a row: locked out for ten minutes (`Retry-After`)", body = Problem, content_type = "application/problem+json")))]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            path: web::Path<String>,
            body: ApiJson<CodeBody>,
        ) -> ApiResult<HttpResponse> {
            punch(&state, &caller, &path, body.body, $how).await
        }
    };
}

punch_handler!(
    /// Checks the calling volunteer in with the leader's code (a signed-up volunteer). Checking
    /// in again keeps the first time.
    check_in, "/orders/{id}/activity/check-in", Punch::In
);

punch_handler!(
    /// Checks the calling volunteer out with the leader's code, after checking in. Checking out
    /// again keeps the first time.
    check_out, "/orders/{id}/activity/check-out", Punch::Out
);

/// Records attendance for a volunteer without a phone (the claiming team's leader), marked
/// `source: "manual"`. A volunteer not holding a slot takes a free one.
#[utoipa::path(tag = "activities", request_body = AttendanceBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "the volunteer's roster row", body = RosterRow),
        (status = 400, description = "malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not the claiming team's leader", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown order, outside the caller's scope, or no activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order is not claimed, or every slot is taken (`activity.full`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid values, every one listed", body = Problem, content_type = "application/problem+json")))]
#[post("/orders/{id}/activity/attendance")]
pub async fn record_attendance(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<AttendanceBody>,
) -> ApiResult<HttpResponse> {
    let access = svc::access(&state.db, &caller, order_id(&path)?).await?;
    access.leader()?;
    let b = body.body;
    let mut p = Problems::new();
    let volunteer = p
        .require("volunteer_id", b.volunteer_id.as_deref())
        .map(|_| ())
        .and_then(|_| parse_id(&mut p, "volunteer_id", b.volunteer_id.as_deref()));
    let checked_in_at = time(&mut p, "checked_in_at", b.checked_in_at.as_deref());
    let checked_out_at = time(&mut p, "checked_out_at", b.checked_out_at.as_deref());
    let input = p.finish(|| {
        Some(ManualAttendance {
            volunteer_id: volunteer?,
            checked_in_at: checked_in_at?,
            checked_out_at: checked_out_at?,
        })
    })?;
    Ok(HttpResponse::Ok().json(attendance::record(&state, &access, input).await?))
}

/// The signed-in volunteer's record id; other roles have no activities of their own (403).
fn volunteer_of(caller: &Caller) -> ApiResult<Uuid> {
    let claims = caller.user()?;
    match (claims.role, claims.volunteer_id) {
        (Role::Volunteer, Some(id)) => Ok(id),
        _ => Err(ApiError::Forbidden(
            "only volunteers have activities and a calendar".into(),
        )),
    }
}

/// The calling volunteer's activities: those of orders their teams claimed and those they
/// signed up for, each with their own row; upcoming soonest first, past latest first.
#[utoipa::path(tag = "activities", security(("bearer" = [])),
    responses(
        (status = 200, body = MyActivities),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a volunteer", body = Problem, content_type = "application/problem+json")))]
#[get("/me/activities")]
pub async fn my_activities(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let volunteer = volunteer_of(&caller)?;
    Ok(HttpResponse::Ok().json(svc::mine::my_activities(&state, volunteer).await?))
}

/// A private iCalendar feed (RFC 5545) of the calling volunteer's activities. Calling again
/// replaces the token: the old address stops working.
#[utoipa::path(tag = "activities", security(("bearer" = [])),
    responses(
        (status = 200, body = CalendarUrl),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a volunteer", body = Problem, content_type = "application/problem+json")))]
#[post("/me/calendar")]
pub async fn new_calendar(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let volunteer = volunteer_of(&caller)?;
    let url = svc::mine::new_calendar_url(&state, volunteer).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CalendarUrl { url }))
}

/// A volunteer's calendar feed by its private token: `text/calendar`, every activity they are
/// signed up or waitlisted for, times in UTC.
#[utoipa::path(tag = "activities", params(("token" = String, Path, description = "the token from POST /api/v1/me/calendar")),
    responses(
        (status = 200, content_type = "text/calendar", body = String),
        (status = 404, description = "unknown or replaced token", body = Problem, content_type = "application/problem+json")))]
#[get("/ical/{token}.ics")]
pub async fn calendar_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let body = svc::mine::calendar_feed(&state, &path).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body))
}
