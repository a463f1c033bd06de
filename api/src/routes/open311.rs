//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>) over the order model, for
//! other systems that speak the standard: one service per theme, requests are orders.
//!
//! Answers are bare JSON arrays exactly as the standard shows them (discovery is an object),
//! errors are `[{"code": <status>, "description": "…"}]` with the same HTTP status. Reading
//! needs no key; posting needs one of `KEPU_OPEN311_API_KEYS`. No view here carries personal
//! data: contact name, phone and email stay inside the order.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use kepu_domain::order::OrderState;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth;
use crate::entity::{departments, orders, target_groups, themes, townships};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::service::actors;
use crate::service::orders::{self as svc, Channel, OrderDraft};
use crate::state::{AppState, Limited};
use kepu_domain::FieldError;

/// When this interface last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-11-30T00:00:00Z";
/// Requests a list answers with when the client does not say (`limit`).
const DEFAULT_LIMIT: u64 = 50;
/// The most requests one list answers with, and the most ids one `service_request_id` takes.
const MAX_LIMIT: u64 = 1000;
/// Largest accepted POST body.
const MAX_BODY: usize = 64 * 1024;

/// One error of the standard's error list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311ErrorItem {
    /// The HTTP status.
    pub code: u16,
    /// What is wrong (for bad input: the field, then the problem).
    pub description: String,
}

/// An error answered in the standard's format: a list of `{code, description}`.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    descriptions: Vec<String>,
    retry_after: Option<u64>,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            descriptions: vec![description.into()],
            retry_after: None,
        }
    }

    fn bad(descriptions: Vec<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            descriptions,
            retry_after: None,
        }
    }

    fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

impl fmt::Display for Open311Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.descriptions.join("; "))
    }
}

/// The Open311 name of a field of the order API.
fn open311_field(field: &str) -> String {
    match field {
        "theme" => "service_code".into(),
        "contact_name" => "first_name/last_name".into(),
        "contact_phone" => "phone".into(),
        "contact_email" => "email".into(),
        "address" => "address_string".into(),
        "latitude" => "lat".into(),
        "longitude" => "long".into(),
        "township" | "village" | "target_group" | "preferred_date" | "expected_attendees" => {
            format!("attribute[{field}]")
        }
        other => other.into(),
    }
}

impl From<ApiError> for Open311Error {
    fn from(err: ApiError) -> Self {
        let status = err.status_code();
        match err {
            ApiError::Validation(errors) | ApiError::BadRequest { errors, .. }
                if !errors.is_empty() =>
            {
                Self::bad(
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", open311_field(&e.field), e.message))
                        .collect(),
                )
            }
            ApiError::RateLimited { retry_after } => Self {
                retry_after: Some(retry_after),
                ..Self::new(status, err.problem().detail)
            },
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "open311 request failed");
                Self::new(
                    status,
                    "something went wrong on our side; it has been logged",
                )
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                Self::new(status, "the service is unavailable; try again shortly")
            }
            other => Self::new(status, other.problem().detail),
        }
    }
}

impl From<sea_orm::DbErr> for Open311Error {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::from(err).into()
    }
}

impl ResponseError for Open311Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let items: Vec<Open311ErrorItem> = self
            .descriptions
            .iter()
            .map(|d| Open311ErrorItem {
                code: self.status.as_u16(),
                description: d.clone(),
            })
            .collect();
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response
            .content_type("application/json")
            .body(serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()))
    }
}

type Open311Result<T> = Result<T, Open311Error>;

fn json_reply(status: StatusCode, body: &impl Serialize) -> Open311Result<HttpResponse> {
    let text = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(text))
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

/// One service: a theme of the order model.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    /// The theme's code.
    pub service_code: String,
    /// The theme's Chinese name.
    pub service_name: String,
    /// What the service is for.
    pub description: String,
    /// Always true: every service has attributes (`township` is required).
    pub metadata: bool,
    /// Always `realtime`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-separated keywords.
    pub keywords: String,
    /// The group of every service.
    pub group: String,
}

fn service_of(theme: themes::Model) -> Service {
    let english = theme.name_en.clone().unwrap_or_default();
    let description = if english.is_empty() {
        format!("科普需求：{}", theme.name_zh)
    } else {
        format!("科普需求：{} ({english})", theme.name_zh)
    };
    let keywords = [
        theme.code.as_str(),
        theme.name_zh.as_str(),
        english.as_str(),
    ]
    .into_iter()
    .filter(|k| !k.is_empty())
    .collect::<Vec<_>>()
    .join(",");
    Service {
        service_code: theme.code,
        service_name: theme.name_zh,
        description,
        metadata: true,
        kind: "realtime".into(),
        keywords,
        group: "科普需求".into(),
    }
}

/// The services: one per theme, as a bare array.
#[utoipa::path(tag = "open311", responses((status = 200, body = Vec<Service>)))]
#[get("/services.json")]
pub async fn services(state: web::Data<AppState>) -> Open311Result<HttpResponse> {
    let list: Vec<Service> = themes::Entity::find()
        .order_by_asc(themes::Column::Position)
        .order_by_asc(themes::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .map(service_of)
        .collect();
    json_reply(StatusCode::OK, &list)
}

/// A service's definition: the attributes a request may carry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    /// The theme's code.
    pub service_code: String,
    /// The attributes, in order.
    pub attributes: Vec<ServiceAttribute>,
}

/// One attribute of a service definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAttribute {
    /// Whether it is a value the client supplies (always true).
    pub variable: bool,
    /// The name after `attribute[…]`.
    pub code: String,
    /// `string`, `number`, `datetime` or `singlevaluelist`.
    pub datatype: String,
    /// Whether a request needs it.
    pub required: bool,
    /// What it means.
    pub datatype_description: String,
    /// Display order.
    pub order: u32,
    /// Description.
    pub description: String,
    /// Allowed values for lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

/// One allowed value of a list attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeValue {
    /// The code to send.
    pub key: String,
    /// Its name.
    pub name: String,
}

fn attribute(
    code: &str,
    datatype: &str,
    required: bool,
    order: u32,
    description: &str,
    values: Vec<AttributeValue>,
) -> ServiceAttribute {
    ServiceAttribute {
        variable: true,
        code: code.into(),
        datatype: datatype.into(),
        required,
        datatype_description: description.into(),
        order,
        description: description.into(),
        values,
    }
}

/// A service's definition: the attributes (`township` required). Unknown code: 404.
#[utoipa::path(tag = "open311", params(("service_code" = String, Path, description = "a theme code")),
    responses((status = 200, body = ServiceDefinition), (status = 404, body = Vec<Open311ErrorItem>)))]
#[get("/services/{service_code}.json")]
pub async fn service_definition(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Open311Result<HttpResponse> {
    let code = path.into_inner();
    let theme = themes::Entity::find_by_id(code.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| Open311Error::not_found("service_code"))?;
    let towns = townships::Entity::find()
        .order_by_asc(townships::Column::Position)
        .order_by_asc(townships::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| AttributeValue {
            key: t.code,
            name: t.name_zh,
        })
        .collect();
    let groups = target_groups::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|g| AttributeValue {
            key: g.code,
            name: g.name_zh,
        })
        .collect();
    let definition = ServiceDefinition {
        service_code: theme.code,
        attributes: vec![
            attribute(
                "township",
                "singlevaluelist",
                true,
                1,
                "苏木镇：代码或中文名称 (township code or Chinese name)",
                towns,
            ),
            attribute(
                "village",
                "string",
                false,
                2,
                "嘎查/村：名称 (village name within the township)",
                Vec::new(),
            ),
            attribute(
                "target_group",
                "singlevaluelist",
                false,
                3,
                "重点人群 (target group)",
                groups,
            ),
            attribute(
                "preferred_date",
                "datetime",
                false,
                4,
                "希望日期 YYYY-MM-DD (preferred date)",
                Vec::new(),
            ),
            attribute(
                "expected_attendees",
                "number",
                false,
                5,
                "预计人数 (expected attendees)",
                Vec::new(),
            ),
        ],
    };
    json_reply(StatusCode::OK, &definition)
}

/// One service request: an order seen from outside, without personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequest {
    /// The order's id.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// Where the order stands, in words.
    pub status_notes: Option<String>,
    /// The theme's name.
    pub service_name: Option<String>,
    /// The theme's code.
    pub service_code: String,
    /// What was asked for.
    pub description: String,
    /// The department the order was dispatched to.
    pub agency_responsible: Option<String>,
    /// Always null here.
    pub service_notice: Option<String>,
    /// When it was submitted.
    pub requested_datetime: DateTime<Utc>,
    /// When it last changed.
    pub updated_datetime: DateTime<Utc>,
    /// When its current step is due (null when nothing is due).
    pub expected_datetime: Option<DateTime<Utc>>,
    /// Address given with the request.
    pub address: Option<String>,
    /// Latitude (WGS-84).
    pub lat: Option<f64>,
    /// Longitude (WGS-84).
    pub long: Option<f64>,
    /// Always null: orders carry no media.
    pub media_url: Option<String>,
}

fn status_of(state: &str) -> &'static str {
    match state.parse::<OrderState>() {
        Ok(s) if s.is_terminal() => "closed",
        _ => "open",
    }
}

fn status_note(state: &str) -> Option<String> {
    let note = match state.parse::<OrderState>().ok()? {
        OrderState::Submitted => "已提交，等待阵地派单",
        OrderState::Dispatched => "已派给部门，等待部门受理",
        OrderState::Accepted => "部门已受理，等待志愿服务队接单",
        OrderState::Claimed => "志愿服务队已接单，服务进行中",
        OrderState::Completed => "服务已完成，等待评价",
        OrderState::Closed => "已办结",
        OrderState::Rejected => "未予受理",
        OrderState::Cancelled => "已撤销",
    };
    Some(note.into())
}

/// Turns orders into requests, looking up theme and department names once.
async fn requests_of(
    state: &AppState,
    rows: Vec<orders::Model>,
) -> Open311Result<Vec<ServiceRequest>> {
    let names: HashMap<String, String> = themes::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.code, t.name_zh))
        .collect();
    let department_ids: Vec<Uuid> = rows.iter().filter_map(|o| o.department_id).collect();
    let agencies: HashMap<Uuid, String> = if department_ids.is_empty() {
        HashMap::new()
    } else {
        departments::Entity::find()
            .filter(departments::Column::Id.is_in(department_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|o| ServiceRequest {
            service_request_id: o.id.to_string(),
            status: status_of(&o.state).into(),
            status_notes: status_note(&o.state),
            service_name: names.get(&o.theme_code).cloned(),
            service_code: o.theme_code,
            description: o.description,
            agency_responsible: o.department_id.and_then(|d| agencies.get(&d).cloned()),
            service_notice: None,
            requested_datetime: o.created_at,
            updated_datetime: o.updated_at,
            expected_datetime: o.due_at,
            address: o.address,
            lat: o.latitude,
            long: o.longitude,
            media_url: None,
        })
        .collect())
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn csv_values(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

fn parse_datetime(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Service requests, newest first, as a bare array. `service_request_id` (comma-separated, at
/// most 1000) overrides every other filter, as the standard says.
#[utoipa::path(tag = "open311", params(
        ("service_request_id" = Option<String>, Query, description = "comma-separated ids; other filters are then ignored"),
        ("service_code" = Option<String>, Query, description = "comma-separated theme codes"),
        ("start_date" = Option<String>, Query, description = "requested at or after (RFC 3339)"),
        ("end_date" = Option<String>, Query, description = "requested at or before (RFC 3339)"),
        ("status" = Option<String>, Query, description = "`open`, `closed` or both, comma-separated"),
        ("limit" = Option<u64>, Query, description = "how many, 1–1000 (default 50); an extension of the standard")),
    responses((status = 200, body = Vec<ServiceRequest>), (status = 400, body = Vec<Open311ErrorItem>)))]
#[get("/requests.json")]
pub async fn list_requests(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Open311Result<HttpResponse> {
    let params: HashMap<String, String> = query_pairs(&req).into_iter().collect();
    let mut bad = Vec::new();
    let mut condition = Condition::all();
    let mut limit = DEFAULT_LIMIT;
    if let Some(raw) = params.get("limit") {
        match raw.trim().parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
            _ => bad.push(format!(
                "limit: must be a whole number from 1 to {MAX_LIMIT}"
            )),
        }
    }
    if let Some(raw) = params
        .get("service_request_id")
        .filter(|r| !r.trim().is_empty())
    {
        let values = csv_values(raw);
        let ids: Vec<Uuid> = values
            .iter()
            .filter_map(|v| Uuid::parse_str(v).ok())
            .collect();
        if ids.len() != values.len() {
            bad.push("service_request_id: every id must be a service_request_id (a UUID)".into());
        }
        if values.len() as u64 > MAX_LIMIT {
            bad.push(format!("service_request_id: at most {MAX_LIMIT} ids"));
        }
        condition = condition.add(orders::Column::Id.is_in(ids));
        limit = MAX_LIMIT;
    } else {
        if let Some(raw) = params.get("service_code").filter(|r| !r.trim().is_empty()) {
            condition = condition.add(orders::Column::ThemeCode.is_in(csv_values(raw)));
        }
        for (name, at_least) in [("start_date", true), ("end_date", false)] {
            let Some(raw) = params.get(name).filter(|r| !r.trim().is_empty()) else {
                continue;
            };
            match parse_datetime(raw) {
                Some(at) if at_least => {
                    condition = condition.add(orders::Column::CreatedAt.gte(at));
                }
                Some(at) => condition = condition.add(orders::Column::CreatedAt.lte(at)),
                None => bad.push(format!(
                    "{name}: must be a date and time like 2026-11-30T08:00:00Z"
                )),
            }
        }
        if let Some(raw) = params.get("status").filter(|r| !r.trim().is_empty()) {
            let wanted = csv_values(raw);
            if wanted.iter().any(|s| s != "open" && s != "closed") {
                bad.push("status: must be open, closed, or both separated by a comma".into());
            }
            let terminal: Vec<&str> = OrderState::ALL
                .into_iter()
                .filter(|s| s.is_terminal())
                .map(OrderState::as_str)
                .collect();
            let open = wanted.iter().any(|s| s == "open");
            let closed = wanted.iter().any(|s| s == "closed");
            match (open, closed) {
                (true, false) => {
                    condition = condition.add(orders::Column::State.is_not_in(terminal));
                }
                (false, true) => condition = condition.add(orders::Column::State.is_in(terminal)),
                _ => {}
            }
        }
    }
    if !bad.is_empty() {
        return Err(Open311Error::bad(bad));
    }
    let rows = orders::Entity::find()
        .filter(condition)
        .order_by_desc(orders::Column::CreatedAt)
        .order_by_desc(orders::Column::Id)
        .limit(limit)
        .all(&state.db)
        .await?;
    json_reply(StatusCode::OK, &requests_of(&state, rows).await?)
}

/// One service request, as a bare array of one. Unknown id: 404.
#[utoipa::path(tag = "open311", params(("service_request_id" = String, Path, description = "the order's id")),
    responses((status = 200, body = Vec<ServiceRequest>), (status = 404, body = Vec<Open311ErrorItem>)))]
#[get("/requests/{service_request_id}.json")]
pub async fn get_request(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Open311Result<HttpResponse> {
    let id =
        Uuid::parse_str(path.trim()).map_err(|_| Open311Error::not_found("service_request_id"))?;
    let row = orders::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| Open311Error::not_found("service_request_id"))?;
    json_reply(StatusCode::OK, &requests_of(&state, vec![row]).await?)
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

/// The posted fields: form-encoded as the standard says, or a JSON object with the same names
/// (`attribute` may then also be a nested object).
fn posted_fields(req: &HttpRequest, body: &[u8]) -> Open311Result<HashMap<String, String>> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Open311Error::bad(vec!["body: not valid JSON".into()]))?;
    let Value::Object(map) = value else {
        return Err(Open311Error::bad(vec![
            "body: must be a JSON object".into(),
        ]));
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut fields = HashMap::new();
    let mut bad = Vec::new();
    for (key, v) in &map {
        match (key.as_str(), v) {
            (_, Value::Null) => {}
            ("attribute", Value::Object(attrs)) => {
                for (name, a) in attrs {
                    match scalar(a) {
                        Some(s) => {
                            fields.insert(format!("attribute[{name}]"), s);
                        }
                        None if a.is_null() => {}
                        None => bad.push(format!("attribute[{name}]: must be a text or number")),
                    }
                }
            }
            _ => match scalar(v) {
                Some(s) => {
                    fields.insert(key.clone(), s);
                }
                None => bad.push(format!("{key}: must be a text or number")),
            },
        }
    }
    if bad.is_empty() {
        Ok(fields)
    } else {
        Err(Open311Error::bad(bad))
    }
}

/// The contact name from the standard's two parts: Chinese names family name first and
/// without a space (巴 + 特尔 → 巴特尔), names in Latin letters as written ("Anna Li").
fn contact_name(first: Option<&str>, last: Option<&str>) -> String {
    match (first, last) {
        (Some(f), Some(l)) if f.chars().chain(l.chars()).any(|c| c.is_ascii_alphabetic()) => {
            format!("{f} {l}")
        }
        (Some(f), Some(l)) => format!("{l}{f}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => String::new(),
    }
}

/// Whether `given` is one of the configured keys (compared by hash, so the time taken does not
/// tell how much of a key matched).
fn key_is_valid(keys: &[String], given: Option<&str>) -> bool {
    let Some(given) = given.filter(|g| !g.is_empty()) else {
        return false;
    };
    let hash = auth::token_hash(given);
    keys.iter()
        .fold(false, |found, key| found | (auth::token_hash(key) == hash))
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
    mut payload: web::Payload,
) -> Open311Result<HttpResponse> {
    state
        .limits
        .check(Limited::Submit, super::auth::client_ip(&req))?;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            Open311Error::bad(vec!["body: the request body could not be read".into()])
        })?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Open311Error::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request bodies are limited to 64 KiB",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    if state.settings.open311_api_keys.is_empty() {
        return Err(Open311Error::new(
            StatusCode::FORBIDDEN,
            "api_key: posting requests is not enabled on this server",
        ));
    }
    let mut fields = posted_fields(&req, &body)?;
    let query_key = query_pairs(&req)
        .into_iter()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v);
    let given = fields.get("api_key").cloned().or(query_key);
    if !key_is_valid(&state.settings.open311_api_keys, given.as_deref()) {
        return Err(Open311Error::new(
            StatusCode::FORBIDDEN,
            "api_key: missing or not valid",
        ));
    }
    let mut take = |name: &str| {
        fields
            .remove(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let service_code = take("service_code");
    let township_raw = take("attribute[township]");
    let (first, last) = (take("first_name"), take("last_name"));
    let name = contact_name(first.as_deref(), last.as_deref());
    let mut bad = Vec::new();
    let number = |field: &str, raw: Option<String>, bad: &mut Vec<String>| -> Option<f64> {
        let raw = raw?;
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                bad.push(format!("{field}: must be a number"));
                None
            }
        }
    };
    let latitude = number("lat", take("lat"), &mut bad);
    let longitude = number("long", take("long"), &mut bad);
    let expected_attendees = match take("attribute[expected_attendees]") {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                bad.push("attribute[expected_attendees]: must be a whole number".into());
                None
            }
        },
    };
    let township = match &township_raw {
        None => {
            bad.push(
                "attribute[township]: required: the township (苏木镇) code or Chinese name".into(),
            );
            None
        }
        Some(raw) => {
            let found = townships::Entity::find()
                .filter(
                    Condition::any()
                        .add(townships::Column::Code.eq(raw.as_str()))
                        .add(townships::Column::NameZh.eq(raw.as_str())),
                )
                .one(&state.db)
                .await?;
            if found.is_none() {
                bad.push(format!(
                    "attribute[township]: no township with the code or name `{raw}`"
                ));
            }
            found.map(|t| t.code)
        }
    };
    // What this adapter could not read is reported with the service's own problems, each
    // under its Open311 name; a township already reported here is not reported twice.
    let read_problems = bad
        .iter()
        .map(|d| match d.split_once(": ") {
            Some((field, message)) => FieldError::new(field, message),
            None => FieldError::new("body", d.as_str()),
        })
        .collect();
    let draft = OrderDraft {
        theme: service_code,
        description: take("description"),
        township: township.clone(),
        village: take("attribute[village]"),
        contact_name: Some(name).filter(|n| !n.is_empty()),
        contact_phone: take("phone"),
        contact_email: take("email"),
        target_group: take("attribute[target_group]"),
        preferred_date: take("attribute[preferred_date]"),
        expected_attendees,
        address: take("address_string"),
        latitude,
        longitude,
        read_problems,
    };
    let acting = actors::resolve(&state.db, &Caller::Anonymous).await?;
    let submitted = match svc::submit(&state, &acting, draft, Some(Channel::Open311), None).await {
        Ok(submitted) => submitted,
        Err(ApiError::Validation(mut errors)) => {
            errors.retain(|e| !(township.is_none() && e.field == "township"));
            return Err(ApiError::Validation(errors).into());
        }
        Err(err) => return Err(err.into()),
    };
    let (id, code) = (submitted.order.id, submitted.order.tracking_code);
    let created = [CreatedRequest {
        service_request_id: id.to_string(),
        service_notice: format!(
            "已受理，将由阵地派单。查询码 {code}，可在 /track/{code} 或 /api/v1/track/{code} 查询进度"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_are_closed() {
        for (state, status) in [
            ("submitted", "open"),
            ("dispatched", "open"),
            ("accepted", "open"),
            ("claimed", "open"),
            ("completed", "open"),
            ("closed", "closed"),
            ("rejected", "closed"),
            ("cancelled", "closed"),
        ] {
            assert_eq!(status_of(state), status, "{state}");
        }
    }

    #[test]
    fn names_join_by_script() {
        assert_eq!(contact_name(Some("特尔"), Some("巴")), "巴特尔");
        assert_eq!(contact_name(Some("Anna"), Some("Li")), "Anna Li");
        assert_eq!(contact_name(None, Some("巴特尔")), "巴特尔");
        assert_eq!(contact_name(None, None), "");
    }

    #[test]
    fn keys_match_exactly() {
        let keys = vec!["alpha".to_owned(), "beta".to_owned()];
        assert!(key_is_valid(&keys, Some("beta")));
        assert!(!key_is_valid(&keys, Some("bet")));
        assert!(!key_is_valid(&keys, Some("")));
        assert!(!key_is_valid(&keys, None));
        assert!(!key_is_valid(&[], Some("alpha")));
    }
}
