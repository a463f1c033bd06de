//! The order lifecycle over HTTP: submit, track, list, read, history, and one handler per
//! action. Handlers parse input into checked types and hand over to `service::orders`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use kepu_domain::order::OrderState;
use kepu_domain::value::{
    Attendees, Hours, Note, Reason, Score, Summary, TrackingCode, parse_date,
};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::{ApiJson, Caller, idempotency_key, if_match};
use crate::paging::Page;
use crate::paging::Paged;
use crate::service::actors::{self, Acting};
use crate::service::idempotency::Idempotency;
use crate::service::orders::{
    self as svc, ActionInput, EventHistory, OrderDraft, OrderFilter, OrderSort, OrderView,
    SubmittedOrder, TrackView, VisibleOrder,
};
use crate::service::parse_id;
use crate::state::{AppState, Limited};

/// Submits a request. Anyone may; station staff may enter one on a resident's behalf.
/// With an `Idempotency-Key`, a retry returns the original response instead of a second order.
#[utoipa::path(tag = "orders", request_body = OrderDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    responses((status = 201, body = SubmittedOrder), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
#[post("/orders")]
pub async fn submit_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: ApiJson<OrderDraft>,
) -> ApiResult<HttpResponse> {
    state
        .limits
        .check(Limited::Submit, super::auth::client_ip(&req))?;
    let idem = idempotency_key(&req)?.map(|key| Idempotency::new("orders", key, &body.raw));
    let acting = actors::resolve(&state.db, &caller).await?;
    let submitted = svc::submit(&state, &acting, body.body, None, idem).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/orders/{}", submitted.order.id),
        ))
        .json(SubmittedOrder::from(submitted)))
}

/// Public status of an order by its tracking code: no personal data.
#[utoipa::path(tag = "orders", params(("tracking_code" = String, Path, description = "the resident's code")),
    responses((status = 200, body = TrackView), (status = 404, body = Problem), (status = 429, body = Problem)))]
#[get("/track/{tracking_code}")]
pub async fn track_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state
        .limits
        .check(Limited::Track, super::auth::client_ip(&req))?;
    let code = TrackingCode::parse(&path).map_err(|_| ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(svc::track(&state.db, &code).await?))
}

/// Query of the order list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this state.
    pub state: Option<String>,
    /// Only this theme code.
    pub theme: Option<String>,
    /// Only this township code.
    pub township: Option<String>,
    /// `true`: only overdue; `false`: only on time.
    pub overdue: Option<String>,
    /// `newest` (default: newest first) or `due_at` (earliest deadline first; orders without a
    /// deadline last).
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Orders in the caller's scope, newest first: a station's, a department's, a team's
/// claimable and own, or all for the association.
#[utoipa::path(tag = "orders", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Paged<OrderView>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
#[get("/orders")]
pub async fn list_orders(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    caller.user()?;
    let acting = actors::resolve(&state.db, &caller).await?;
    let q = &query;
    let mut p = Problems::new();
    let state_filter = q
        .get("state")
        .filter(|s| !s.is_empty())
        .and_then(|s| p.check("state", s.parse::<OrderState>().map_err(|_| "没有这个状态")));
    let overdue = match q.get("overdue").map(String::as_str) {
        None | Some("") => None,
        Some("true") | Some("1") => Some(true),
        Some("false") | Some("0") => Some(false),
        Some(_) => {
            p.add("overdue", "须为 true 或 false");
            None
        }
    };
    let sort = match q.get("sort").map(String::as_str) {
        None | Some("") | Some("newest") => OrderSort::Newest,
        Some("due_at") => OrderSort::DueAt,
        Some(_) => {
            p.add("sort", "须为 newest 或 due_at");
            OrderSort::Newest
        }
    };
    let page = Page::from_query(q, &mut p);
    let page = p.finish(|| page)?;
    let filter = OrderFilter {
        state: state_filter,
        theme: q.get("theme").filter(|s| !s.is_empty()).cloned(),
        township: q.get("township").filter(|s| !s.is_empty()).cloned(),
        overdue,
        sort,
    };
    Ok(HttpResponse::Ok()
        .json(svc::list(&state.db, &acting.actor, &filter, &page, state.now()).await?))
}

/// Resolves the caller of an order endpoint: volunteer accounts have no part in the lifecycle,
/// so they are refused (403) before any order is looked at.
async fn order_actor(state: &AppState, caller: &Caller) -> ApiResult<Acting> {
    let acting = actors::resolve(&state.db, caller).await?;
    if matches!(acting.actor, kepu_domain::Actor::Volunteer { .. }) {
        return Err(ApiError::Forbidden("orders are for staff".into()));
    }
    Ok(acting)
}

/// As [`order_actor`], for reads, which need a signed-in account.
async fn staff_acting(state: &AppState, caller: &Caller) -> ApiResult<Acting> {
    caller.user()?;
    order_actor(state, caller).await
}

fn with_etag(order: VisibleOrder, now: chrono::DateTime<chrono::Utc>) -> HttpResponse {
    let order = order.view(now);
    HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", order.version)))
        .json(order)
}

fn order_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

/// One order; the contact phone is masked unless the caller handles the order.
#[utoipa::path(tag = "orders", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderView, headers(("ETag" = String, description = "the order's version"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/orders/{id}")]
pub async fn get_order(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let acting = staff_acting(&state, &caller).await?;
    let order = svc::find_visible(&state.db, order_id(&path)?, &acting.actor).await?;
    Ok(with_etag(order, state.now()))
}

/// The order's history with its hash chain, and whether the chain verifies.
#[utoipa::path(tag = "orders", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = EventHistory), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
#[get("/orders/{id}/events")]
pub async fn list_order_events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let acting = staff_acting(&state, &caller).await?;
    let order = svc::find_visible(&state.db, order_id(&path)?, &acting.actor).await?;
    Ok(HttpResponse::Ok().json(svc::history(&state.db, &order.row).await?))
}

/// Runs one action: resolves the caller, lets the domain decide, persists, answers with the order.
async fn run_action(
    state: &AppState,
    req: &HttpRequest,
    caller: &Caller,
    raw_id: &str,
    input: ApiResult<ActionInput>,
) -> ApiResult<HttpResponse> {
    let acting = order_actor(state, caller).await?;
    if matches!(acting.actor, kepu_domain::Actor::Public) {
        return Err(ApiError::unauthorized(
            "auth.missing",
            "sign in, or use the order's resident token",
        ));
    }
    let id = order_id(raw_id)?;
    let input = input?;
    let expected = if_match(req)?;
    let order = svc::act(state, &acting, id, input, expected).await?;
    Ok(with_etag(order, state.now()))
}

fn reason(p: &mut Problems, raw: Option<&str>) -> Option<Reason> {
    p.require("reason", raw.map(Reason::parse))
        .and_then(|r| p.check("reason", r))
}

fn note(p: &mut Problems, field: &str, raw: Option<&str>) -> Option<Note> {
    raw.and_then(|n| p.check(field, Note::parse(n)))
        .filter(|n| !n.as_ref().is_empty())
}

/// `dispatch` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DispatchBody {
    /// The responsible department.
    #[schema(required = true)]
    pub department_id: Option<String>,
    /// A note for the department.
    pub note: Option<String>,
}

/// `reject` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    /// Why (spam, duplicate, out of scope).
    #[schema(required = true)]
    pub reason: Option<String>,
    /// The order this one duplicates.
    pub duplicate_of: Option<String>,
}

/// `accept` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptBody {
    /// Teams allowed to claim; omitted: every active team.
    pub team_ids: Option<Vec<String>>,
    /// A note for the teams.
    pub note: Option<String>,
}

/// A body with a required reason (`return`, `release`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReasonBody {
    /// Why.
    #[schema(required = true)]
    pub reason: Option<String>,
}

/// `claim` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClaimBody {
    /// When the team plans to serve, `YYYY-MM-DD`.
    pub planned_date: Option<String>,
    /// A note.
    pub note: Option<String>,
}

/// One volunteer's hours in a `complete` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HoursItem {
    /// An approved member of the claiming team.
    #[schema(required = true)]
    pub volunteer_id: Option<String>,
    /// More than 0, at most 24, in steps of 0.5.
    #[schema(required = true)]
    pub hours: Option<f64>,
}

/// `complete` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CompleteBody {
    /// Date served, `YYYY-MM-DD`, not in the future.
    #[schema(required = true)]
    pub served_on: Option<String>,
    /// Person-times served.
    #[schema(required = true)]
    pub attendees: Option<i64>,
    /// What was done.
    #[schema(required = true)]
    pub summary: Option<String>,
    /// Hours per volunteer. Leave it out to take each signed-up volunteer's hours from the
    /// activity's attendance (checked-in time within the activity, rounded down to 0.5 h);
    /// explicit hours win.
    pub hours: Option<Vec<HoursItem>>,
}

/// `rate` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RateBody {
    /// 1–5.
    #[schema(required = true)]
    pub score: Option<i64>,
    /// A comment.
    pub comment: Option<String>,
}

/// `close` body: empty.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseBody {}

/// `cancel` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelBody {
    /// Why; required of staff, optional for the resident.
    pub reason: Option<String>,
}

macro_rules! action_handler {
    ($(#[$doc:meta])* $name:ident, $path:literal, $body:ty, $parse:expr, $security:literal) => {
        $(#[$doc])*
        #[utoipa::path(tag = "orders", request_body = $body,
            params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "the ETag you last saw")),
            security(($security = [])),
            responses((status = 200, body = OrderView, headers(("ETag" = String, description = "the order's new version"))),
                (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
                (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
                (status = 422, body = Problem)))]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            req: HttpRequest,
            caller: Caller,
            path: web::Path<String>,
            body: ApiJson<$body>,
        ) -> ApiResult<HttpResponse> {
            let parse: fn($body, chrono::NaiveDate) -> ApiResult<ActionInput> = $parse;
            let today = state.today();
            run_action(&state, &req, &caller, &path, parse(body.body, today)).await
        }
    };
}

action_handler!(
    /// Routes a submitted order to a department (station staff of its station, association).
    dispatch_order, "/orders/{id}/dispatch", DispatchBody, |b, _| {
        let mut p = Problems::new();
        let department_id = p.require("department_id", b.department_id.as_deref()).map(|_| ());
        let department = department_id.and_then(|_| parse_id(&mut p, "department_id", b.department_id.as_deref()));
        let note = note(&mut p, "note", b.note.as_deref());
        p.finish(|| Some(ActionInput::Dispatch { department_id: department?.into(), note }))
    }, "bearer"
);

action_handler!(
    /// Declines a submitted order (station staff of its station, association).
    reject_order, "/orders/{id}/reject", RejectBody, |b, _| {
        let mut p = Problems::new();
        let reason = reason(&mut p, b.reason.as_deref());
        let duplicate_of = parse_id(&mut p, "duplicate_of", b.duplicate_of.as_deref());
        p.finish(|| Some(ActionInput::Reject { reason: reason?, duplicate_of: duplicate_of.map(Into::into) }))
    }, "bearer"
);

action_handler!(
    /// Takes responsibility and opens the order to teams (staff of the assigned department, association).
    accept_order, "/orders/{id}/accept", AcceptBody, |b, _| {
        let mut p = Problems::new();
        let team_ids = b.team_ids.map(|ids| {
            if ids.is_empty() {
                p.add("team_ids", "至少指定一个服务队，或不填以开放给所有服务队");
            }
            ids.iter().enumerate().filter_map(|(i, raw)| parse_id(&mut p, &format!("team_ids[{i}]"), Some(raw)).map(Into::into)).collect::<Vec<_>>()
        });
        let note = note(&mut p, "note", b.note.as_deref());
        p.finish(|| Some(ActionInput::Accept { team_ids, note }))
    }, "bearer"
);

action_handler!(
    /// Sends a dispatched order back to the station (staff of the assigned department).
    return_order, "/orders/{id}/return", ReasonBody, |b, _| {
        let mut p = Problems::new();
        let reason = reason(&mut p, b.reason.as_deref());
        p.finish(|| Some(ActionInput::Return { reason: reason? }))
    }, "bearer"
);

action_handler!(
    /// Claims an accepted order for the leader's team (leader of an allowed, active team).
    claim_order, "/orders/{id}/claim", ClaimBody, |b, _| {
        let mut p = Problems::new();
        let planned_date = b.planned_date.as_deref().filter(|d| !d.is_empty()).and_then(|d| p.check("planned_date", parse_date(d)));
        let note = note(&mut p, "note", b.note.as_deref());
        p.finish(|| Some(ActionInput::Claim { planned_date, note }))
    }, "bearer"
);

action_handler!(
    /// Gives a claimed order back to the pool (the claiming leader, the department, association).
    release_order, "/orders/{id}/release", ReasonBody, |b, _| {
        let mut p = Problems::new();
        let reason = reason(&mut p, b.reason.as_deref());
        p.finish(|| Some(ActionInput::Release { reason: reason? }))
    }, "bearer"
);

action_handler!(
    /// Completes a claimed order with attendees, summary and each volunteer's hours (the claiming leader).
    complete_order, "/orders/{id}/complete", CompleteBody, |b, _| {
        let mut p = Problems::new();
        let served_on = p.require("served_on", b.served_on.as_deref()).and_then(|d| p.check("served_on", parse_date(d)));
        let attendees = p.require("attendees", b.attendees).and_then(|n| p.check("attendees", Attendees::parse(n)));
        let summary = p.require("summary", b.summary.as_deref().map(Summary::parse)).and_then(|r| p.check("summary", r));
        let items = b.hours;
        if items.as_ref().is_some_and(Vec::is_empty) {
            p.add("hours", "至少填写一名志愿者的时长");
        }
        let mut hours = Vec::new();
        for (i, item) in items.iter().flatten().enumerate() {
            let volunteer = p.require(&format!("hours[{i}].volunteer_id"), item.volunteer_id.as_deref()).map(|_| ());
            let volunteer = volunteer.and_then(|_| parse_id(&mut p, &format!("hours[{i}].volunteer_id"), item.volunteer_id.as_deref()));
            let h = p.require(&format!("hours[{i}].hours"), item.hours).and_then(|h| p.check(&format!("hours[{i}].hours"), Hours::parse(h)));
            if let (Some(v), Some(h)) = (volunteer, h) {
                hours.push((v, h));
            }
        }
        p.finish(|| Some(ActionInput::Complete {
            served_on: served_on?,
            attendees: attendees?,
            summary: summary?,
            hours: items.is_some().then_some(hours),
        }))
    }, "bearer"
);

action_handler!(
    /// Rates a completed order and closes it (the resident, with the order's resident token).
    rate_order, "/orders/{id}/rate", RateBody, |b, _| {
        let mut p = Problems::new();
        let score = p.require("score", b.score).and_then(|s| p.check("score", Score::parse(s)));
        let comment = note(&mut p, "comment", b.comment.as_deref());
        p.finish(|| Some(ActionInput::Rate { score: score?, comment }))
    }, "resident"
);

action_handler!(
    /// Closes a completed order without a rating (association; the sweeper when the window ends).
    close_order, "/orders/{id}/close", CloseBody, |_, _| Ok(ActionInput::Close), "bearer"
);

action_handler!(
    /// Cancels an order: the resident until a team claims it, station staff or the association any time before it ends.
    cancel_order, "/orders/{id}/cancel", CancelBody, |b, _| {
        let mut p = Problems::new();
        let reason = b.reason.as_deref().filter(|r| !r.trim().is_empty()).and_then(|r| p.check("reason", Reason::parse(r)));
        p.finish(|| Some(ActionInput::Cancel { reason }))
    }, "bearer"
);
