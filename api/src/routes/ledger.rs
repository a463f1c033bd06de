//! The hours ledger over HTTP: list records, read one with its history, confirm, dispute,
//! reverse.

use actix_web::{HttpResponse, get, post, web};
use kepu_domain::Actor;
use kepu_domain::ledger::{self, LedgerAction, RecordState};
use kepu_domain::value::{Hours, Reason};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::{ApiJson, Caller};
use crate::paging::Page;
use crate::paging::Paged;
use crate::service::actors::{self, Acting};
use crate::service::ledger::{self as svc, Decision, RecordDetail, RecordFilter, RecordView};
use crate::state::AppState;

/// Query of the record list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// `pending`, `confirmed` or `disputed`.
    pub state: Option<String>,
    /// Only this volunteer's records.
    pub volunteer_id: Option<String>,
    /// Only this order's records.
    pub order_id: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The department staff or association admin acting on the ledger; other roles are refused by
/// the domain rules (403), which need the actor.
async fn ledger_actor(state: &AppState, caller: &Caller) -> ApiResult<Acting> {
    caller.user()?;
    actors::resolve(&state.db, caller).await
}

fn optional_id(p: &mut Problems, q: &HashMap<String, String>, field: &str) -> Option<Uuid> {
    q.get(field)
        .filter(|s| !s.is_empty())
        .and_then(|raw| crate::service::parse_id(p, field, Some(raw)))
}

/// Service records newest first: a department's orders' records, or all for the association.
#[utoipa::path(tag = "hours", params(RecordQuery), security(("bearer" = [])),
    responses((status = 200, body = Paged<RecordView>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
#[get("/service-records")]
pub async fn list_service_records(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    let acting = ledger_actor(&state, &caller).await?;
    let department = match acting.actor {
        Actor::AssociationAdmin => None,
        Actor::DepartmentStaff { department_id } => Some(department_id.0),
        _ => {
            return Err(ApiError::Forbidden(
                "service records are for departments and the association".into(),
            ));
        }
    };
    let q = &query;
    let mut p = Problems::new();
    let record_state = q.get("state").filter(|s| !s.is_empty()).and_then(|s| {
        p.check(
            "state",
            s.parse::<RecordState>().map_err(|_| "没有这个状态"),
        )
    });
    let volunteer_id = optional_id(&mut p, q, "volunteer_id");
    let order_id = optional_id(&mut p, q, "order_id");
    let page = Page::from_query(q, &mut p);
    let page = p.finish(|| page)?;
    let filter = RecordFilter {
        state: record_state,
        volunteer_id,
        order_id,
    };
    Ok(HttpResponse::Ok().json(svc::list(&state.db, department, &filter, &page).await?))
}

fn record_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

/// One record with its audit history (the order's department, the association).
#[utoipa::path(tag = "hours", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = RecordDetail), (status = 401, body = Problem), (status = 404, body = Problem)))]
#[get("/service-records/{id}")]
pub async fn get_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let acting = ledger_actor(&state, &caller).await?;
    let id = record_id(&path)?;
    Ok(HttpResponse::Ok().json(svc::detail(&state.db, &acting, id).await?))
}

/// Confirmation needs nothing more.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmBody {}

/// Why the hours are disputed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DisputeBody {
    /// Why (1–500 characters).
    #[schema(required = true)]
    pub reason: Option<String>,
}

/// A correction of confirmed hours.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReverseBody {
    /// Why (1–500 characters), e.g. the volunteer reported an error.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// Hours to take back, in steps of 0.5; all that remains when absent.
    pub hours: Option<f64>,
}

/// Resolves the caller, refuses roles that may never take `action` (before looking at the
/// body), then lets the service decide on the record.
async fn decide(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    action: LedgerAction,
    decision: ApiResult<Decision>,
) -> ApiResult<RecordView> {
    let acting = ledger_actor(state, caller).await?;
    ledger::may_act(&acting.actor, action).map_err(svc::refusal)?;
    let id = record_id(raw_id)?;
    let decision = decision?;
    Ok(svc::decide(state, &acting, id, decision).await?.into())
}

fn reason(p: &mut Problems, raw: Option<&str>) -> Option<String> {
    p.require("reason", raw)
        .and_then(|r| p.check("reason", Reason::parse(r)))
        .map(|r| r.into_inner())
}

/// Confirms pending (or disputed) hours: they count from now on (the order's department, the
/// association).
#[utoipa::path(tag = "hours", request_body = ConfirmBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = RecordView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
#[post("/service-records/{id}/confirm")]
pub async fn confirm_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    _body: ApiJson<ConfirmBody>,
) -> ApiResult<HttpResponse> {
    let record = decide(
        &state,
        &caller,
        &path,
        LedgerAction::Confirm,
        Ok(Decision::Confirm),
    )
    .await?;
    Ok(HttpResponse::Ok().json(record))
}

/// Disputes pending hours with a reason (the order's department, the association).
#[utoipa::path(tag = "hours", request_body = DisputeBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = RecordView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
#[post("/service-records/{id}/dispute")]
pub async fn dispute_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<DisputeBody>,
) -> ApiResult<HttpResponse> {
    let mut p = Problems::new();
    let reason = reason(&mut p, body.body.reason.as_deref());
    let decision = p.finish(|| Some(Decision::Dispute { reason: reason? }));
    let record = decide(&state, &caller, &path, LedgerAction::Dispute, decision).await?;
    Ok(HttpResponse::Ok().json(record))
}

/// Corrects confirmed hours with a new reversing record (association only). The original is
/// never edited.
#[utoipa::path(tag = "hours", request_body = ReverseBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 201, body = RecordView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
#[post("/service-records/{id}/reverse")]
pub async fn reverse_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ReverseBody>,
) -> ApiResult<HttpResponse> {
    let mut p = Problems::new();
    let reason = reason(&mut p, body.body.reason.as_deref());
    let halves = match body.body.hours {
        Some(h) => p
            .check("hours", Hours::parse(h))
            .map(|h| Some(i64::from(h.halves()))),
        None => Some(None),
    };
    let decision = p.finish(|| {
        Some(Decision::Reverse {
            reason: reason?,
            halves: halves?,
        })
    });
    let record = decide(&state, &caller, &path, LedgerAction::Reverse, decision).await?;
    Ok(HttpResponse::Created().json(record))
}
