//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>) over the order model, for
//! other systems that speak the standard: one service per theme, requests are orders.
//!
//! Answers are bare JSON arrays exactly as the standard shows them (discovery is an object),
//! errors are `[{"code": <status>, "description": "…"}]` with the same HTTP status (`error`).
//! Reading needs no key and is rate-limited like `/api/v1/track`; posting needs one of
//! `KEPU_OPEN311_API_KEYS` (`form` reads what is posted). The reads come from
//! `service::open311`, which applies the public-data rule: no personal data, the village and
//! township instead of the street address, positions rounded to 2 decimals, and the
//! description only once the order has been dispatched.

mod error;
mod form;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use error::Open311Result;
pub use error::{Open311Error, Open311ErrorItem};

use crate::error::ApiError;
use crate::extract::Caller;
use crate::service::actors;
use crate::service::open311::{self as public, Service, ServiceDefinition, ServiceRequest};
use crate::service::orders::{self as svc, Channel, OrderDraft};
use crate::state::{AppState, Limited};

/// When this interface last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-11-30T00:00:00Z";

fn json_reply(status: StatusCode, body: &impl Serialize) -> Open311Result<HttpResponse> {
    let text = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(text))
}

/// Counts a public read against the same budget as `/api/v1/track`.
fn limit_read(state: &AppState, req: &HttpRequest) -> Open311Result<()> {
    Ok(state
        .limits
        .check(Limited::Track, super::auth::client_ip(req))?)
}

/// Where the interface is and what it speaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discovery {
    /// When the interface last changed.
    pub changeset: String,
    /// Who to ask.
    pub contact: String,
    /// How to get an API key.
    pub key_service: String,
    /// The one production endpoint.
    pub endpoints: Vec<DiscoveryEndpoint>,
}

/// One endpoint of the discovery document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryEndpoint {
    /// The specification followed.
    pub specification: String,
    /// Base URL of the endpoint.
    pub url: String,
    /// When it last changed.
    pub changeset: String,
    /// `production`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Formats served (JSON only).
    pub formats: Vec<String>,
}

/// Discovery: where the GeoReport v2 endpoint is and which formats it serves.
#[utoipa::path(tag = "open311", responses((status = 200, body = Discovery)))]
#[get("/discovery.json")]
pub async fn discovery(state: web::Data<AppState>) -> Open311Result<HttpResponse> {
    let base = format!("{}/open311/v2", state.settings.mail.public_url);
    let doc = Discovery {
        changeset: CHANGESET.into(),
        contact: "科协 (the association running this service)".into(),
        key_service: "API keys are issued by the association's operators (KEPU_OPEN311_API_KEYS)"
            .into(),
        endpoints: vec![DiscoveryEndpoint {
            specification: "http://wiki.open311.org/GeoReport_v2".into(),
            url: base,
            changeset: CHANGESET.into(),
            kind: "production".into(),
            formats: vec!["application/json".into()],
        }],
    };
    json_reply(StatusCode::OK, &doc)
}

/// The services: one per theme, as a bare array.
#[utoipa::path(tag = "open311", responses((status = 200, body = Vec<Service>)))]
#[get("/services.json")]
pub async fn services(state: web::Data<AppState>) -> Open311Result<HttpResponse> {
    json_reply(StatusCode::OK, &public::services(&state.db).await?)
}

/// A service's definition: the attributes (`township` required). Unknown code: 404.
#[utoipa::path(tag = "open311", params(("service_code" = String, Path, description = "a theme code")),
    responses((status = 200, body = ServiceDefinition), (status = 404, body = Vec<Open311ErrorItem>)))]
#[get("/services/{service_code}.json")]
pub async fn service_definition(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Open311Result<HttpResponse> {
    let definition = match public::service_definition(&state.db, &path).await {
        Err(ApiError::NotFound) => return Err(Open311Error::not_found("service_code")),
        other => other?,
    };
    json_reply(StatusCode::OK, &definition)
}

/// Service requests, newest first, as a bare array. `service_request_id` (comma-separated, at
/// most 1000) overrides every other filter, as the standard says. Rate-limited per client.
#[utoipa::path(tag = "open311", params(
        ("service_request_id" = Option<String>, Query, description = "comma-separated ids; other filters are then ignored"),
        ("service_code" = Option<String>, Query, description = "comma-separated theme codes"),
        ("start_date" = Option<String>, Query, description = "requested at or after (RFC 3339)"),
        ("end_date" = Option<String>, Query, description = "requested at or before (RFC 3339)"),
        ("status" = Option<String>, Query, description = "`open`, `closed` or both, comma-separated"),
        ("limit" = Option<u64>, Query, description = "how many, 1–1000 (default 50); an extension of the standard")),
    responses((status = 200, body = Vec<ServiceRequest>), (status = 400, body = Vec<Open311ErrorItem>),
        (status = 429, body = Vec<Open311ErrorItem>)))]
#[get("/requests.json")]
pub async fn list_requests(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Open311Result<HttpResponse> {
    limit_read(&state, &req)?;
    let filter = form::list_filter(&req)?;
    json_reply(StatusCode::OK, &public::requests(&state.db, filter).await?)
}

/// One service request, as a bare array of one. Unknown id: 404. Rate-limited per client.
#[utoipa::path(tag = "open311", params(("service_request_id" = String, Path, description = "the order's id")),
    responses((status = 200, body = Vec<ServiceRequest>), (status = 404, body = Vec<Open311ErrorItem>),
        (status = 429, body = Vec<Open311ErrorItem>)))]
#[get("/requests/{service_request_id}.json")]
pub async fn get_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Open311Result<HttpResponse> {
    limit_read(&state, &req)?;
    let id =
        Uuid::parse_str(path.trim()).map_err(|_| Open311Error::not_found("service_request_id"))?;
    let request = match public::request(&state.db, id).await {
        Err(ApiError::NotFound) => return Err(Open311Error::not_found("service_request_id")),
        other => other?,
    };
    json_reply(StatusCode::OK, &[request])
}

/// The answer to a created request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedRequest {
    /// The new order's id.
    pub service_request_id: String,
    /// What happens next, with the resident's tracking code.
    pub service_notice: String,
    /// Always null: residents have no accounts.
    pub account_id: Option<String>,
}

/// Creates a service request: an order with channel `open311`, routed like any other. Needs
/// an `api_key`; the township comes from `attribute[township]` (code or Chinese name).
/// Answers 201 with a bare array of one.
#[utoipa::path(tag = "open311",
    request_body(content_type = "application/x-www-form-urlencoded", description = "`api_key`, `service_code`, `description`, `attribute[township]`, `first_name`, `last_name`, `phone`, `email`?, `address_string`?, `lat`?, `long`?, `attribute[village]`?, `attribute[target_group]`?, `attribute[preferred_date]`?, `attribute[expected_attendees]`?; a JSON object with the same names is accepted too"),
    responses((status = 201, body = Vec<CreatedRequest>), (status = 400, body = Vec<Open311ErrorItem>),
        (status = 403, body = Vec<Open311ErrorItem>), (status = 413, body = Vec<Open311ErrorItem>),
        (status = 429, body = Vec<Open311ErrorItem>)))]
#[post("/requests.json")]
pub async fn create_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Open311Result<HttpResponse> {
    state
        .limits
        .check(Limited::Submit, super::auth::client_ip(&req))?;
    let body = form::read_body(payload).await?;
    if state.settings.open311_api_keys.is_empty() {
        return Err(Open311Error::forbidden(
            "posting requests is not enabled on this server",
        ));
    }
    let query_key = form::query_pairs(&req)
        .into_iter()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v);
    let mut posted = form::posted_request(form::posted_fields(&req, &body)?, query_key);
    if !form::key_is_valid(&state.settings.open311_api_keys, posted.api_key.as_deref()) {
        return Err(Open311Error::forbidden("missing or not valid"));
    }
    let draft = &mut posted.draft;
    draft.township = match draft.township.take() {
        None => {
            draft.read_problems.push(kepu_domain::FieldError::new(
                "attribute[township]",
                "required: the township (苏木镇) code or Chinese name",
            ));
            None
        }
        Some(raw) => {
            let code = public::township_code(&state.db, &raw).await?;
            if code.is_none() {
                draft.read_problems.push(kepu_domain::FieldError::new(
                    "attribute[township]",
                    format!("no township with the code or name `{raw}`"),
                ));
            }
            code
        }
    };
    let submitted = submit(&state, posted.draft).await?;
    let (id, code) = (submitted.order.id, submitted.order.tracking_code);
    let created = [CreatedRequest {
        service_request_id: id.to_string(),
        service_notice: format!(
            "已受理，将由阵地派单。查询码 {code}，可在 /t/{code} 或 /api/v1/track/{code} 查询进度"
        ),
        account_id: None,
    }];
    let mut response = json_reply(StatusCode::CREATED, &created)?;
    if let Ok(location) = header::HeaderValue::from_str(&format!("/open311/v2/requests/{id}.json"))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The one place a post meets the order API: the same draft, checks and submit as
/// `POST /api/v1/orders`, with channel `open311`. The draft's township is the resolved code. What
/// the adapter could not read travels in the draft, so nothing is stored while any field is bad,
/// and bad fields are answered under their Open311 names.
async fn submit(state: &AppState, draft: OrderDraft) -> Open311Result<svc::Submitted> {
    let own = draft.read_problems.clone();
    let acting = actors::resolve(&state.db, &Caller::Anonymous).await?;
    svc::submit(state, &acting, draft, Some(Channel::Open311), None)
        .await
        .map_err(|err| Open311Error::refused_post(own, err))
}
