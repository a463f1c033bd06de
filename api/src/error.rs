//! The one error type of the API, rendered as `application/problem+json` (RFC 9457) with a
//! stable machine `code`. Server-side failures are logged with their cause chain and answered
//! with a generic body: no SQL, stack or path ever reaches a client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kepu_domain::{FieldError, OrderState, Refusal};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// Shorthand for results of handlers and services.
pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// Everything that can go wrong in a request, each variant with its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON, or fields have the wrong JSON type (all listed).
    #[error("bad request: {detail}")]
    BadRequest {
        /// Stable code, e.g. `request.malformed_json`.
        code: &'static str,
        /// What is wrong.
        detail: String,
        /// Fields with the wrong type.
        errors: Vec<FieldError>,
    },
    /// 422: well-formed input with invalid values; every bad field is listed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 422: the `Idempotency-Key` was used before with a different body.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// 401: no credentials, or credentials that are invalid or expired.
    #[error("unauthorized: {code}")]
    Unauthorized {
        /// `auth.missing`, `auth.invalid`, `auth.expired`, `auth.bad_credentials`, …
        code: &'static str,
        /// What to do about it.
        detail: &'static str,
    },
    /// 403: signed in, but not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 403 with its own code, e.g. `auth.password_change_required`.
    #[error("forbidden: {code}")]
    Refused {
        /// Stable code.
        code: &'static str,
        /// What to do about it.
        detail: &'static str,
    },
    /// 404: unknown, or outside the caller's scope.
    #[error("not found")]
    NotFound,
    /// 409: the order's state does not allow the action, or another action won the race.
    #[error("conflict: {detail}")]
    Conflict {
        /// `order.invalid_transition`, `order.version_mismatch`, `volunteer.invalid_transition`.
        code: &'static str,
        /// What happened.
        detail: String,
        /// The state the resource is in now.
        current_state: String,
    },
    /// 413: the body is larger than the 64 KiB limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 429: too many requests from this client; retry after the given seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 503: the database cannot be reached; the service recovers by itself.
    #[error("service unavailable")]
    Unavailable(#[source] sea_orm::DbErr),
    /// 500: anything unexpected. Logged, never echoed.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The problem document every error response carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened this time.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Every bad field, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
    /// The resource's state now, for conflicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
}

/// One bad field in a problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The request field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A 401 for a missing or unusable token.
    pub fn unauthorized(code: &'static str, detail: &'static str) -> Self {
        Self::Unauthorized { code, detail }
    }

    /// A 409 because an order is in a state that does not allow `action`.
    pub fn invalid_transition(action: &str, current: OrderState) -> Self {
        Self::Conflict {
            code: "order.invalid_transition",
            detail: format!("cannot {action} an order that is {current}"),
            current_state: current.to_string(),
        }
    }

    /// Maps a refusal of the domain rules to its status.
    pub fn from_refusal(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound => Self::NotFound,
            Refusal::Forbidden(action) => {
                Self::Forbidden(format!("you may not {action} this order"))
            }
            Refusal::InvalidTransition { action, current } => {
                Self::invalid_transition(action.as_str(), current)
            }
            Refusal::MissingInput { field } => Self::field(field, "不能为空"),
        }
    }

    fn code(&self) -> &str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Validation(_) => "validation.failed",
            Self::IdempotencyMismatch => "idempotency.key_reused",
            Self::Unauthorized { code, .. } => code,
            Self::Forbidden(_) => "auth.forbidden",
            Self::Refused { code, .. } => code,
            Self::NotFound => "not_found",
            Self::Conflict { code, .. } => code,
            Self::PayloadTooLarge => "request.too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service.unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "Malformed request",
            Self::Validation(_) => "Invalid input",
            Self::IdempotencyMismatch => "Idempotency key reused",
            Self::Unauthorized { .. } => "Not signed in",
            Self::Forbidden(_) | Self::Refused { .. } => "Not allowed",
            Self::NotFound => "Not found",
            Self::Conflict { .. } => "Conflict",
            Self::PayloadTooLarge => "Payload too large",
            Self::RateLimited { .. } => "Too many requests",
            Self::Unavailable(_) => "Service unavailable",
            Self::Internal(_) => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::BadRequest { detail, .. } => detail.clone(),
            Self::Validation(errors) => format!("{} field(s) are invalid", errors.len()),
            Self::IdempotencyMismatch => {
                "this Idempotency-Key was used with a different request body".into()
            }
            Self::Unauthorized { detail, .. } => (*detail).into(),
            Self::Forbidden(detail) => detail.clone(),
            Self::Refused { detail, .. } => (*detail).into(),
            Self::NotFound => "no such resource, or it is outside your scope".into(),
            Self::Conflict { detail, .. } => detail.clone(),
            Self::PayloadTooLarge => "request bodies are limited to 64 KiB".into(),
            Self::RateLimited { retry_after } => {
                format!("too many requests; retry after {retry_after} s")
            }
            Self::Unavailable(_) => "the database is unreachable; try again shortly".into(),
            Self::Internal(_) => "something went wrong on our side; it has been logged".into(),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let errors = match self {
            Self::Validation(errors) | Self::BadRequest { errors, .. } if !errors.is_empty() => {
                Some(
                    errors
                        .iter()
                        .map(|e| ProblemField {
                            field: e.field.clone(),
                            message: e.message.clone(),
                        })
                        .collect(),
                )
            }
            _ => None,
        };
        let current_state = match self {
            Self::Conflict { current_state, .. } => Some(current_state.clone()),
            _ => None,
        };
        let code = self.code().to_owned();
        Problem {
            kind: format!("urn:kepu:problem:{code}"),
            title: self.title().into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            code,
            errors,
            current_state,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) | Self::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Refused { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            // A refusal is the answer the client asked for (a lost race, a bad field), not a
            // fault of the service: debug, so a busy server does not log a warning per 409.
            refusal => tracing::debug!(status = %refusal.status_code(), "request refused"),
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Self::RateLimited { retry_after } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let Self::Unauthorized { .. } = self {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    /// Connection failures become 503 (the service recovers when the database does);
    /// everything else is unexpected.
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::DbErr;
        match err {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Self::Unavailable(err),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

/// Collects field errors while parsing a request, so every bad field is reported at once.
#[derive(Default, Debug)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// No problems yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl fmt::Display) {
        self.0.push(FieldError::new(field, message.to_string()));
    }

    /// Keeps `Ok` values and records errors under `field`.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(field, e)).ok()
    }

    /// Requires a value: records "required" when it is missing.
    pub fn require<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "必填");
        }
        value
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem recorded, in order.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }

    /// `Ok(value)` when nothing was recorded, else the 422 listing every problem. The value is
    /// built lazily because it usually needs the fields that were parsed successfully.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> ApiResult<T> {
        if !self.0.is_empty() {
            return Err(ApiError::Validation(self.0));
        }
        build().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("validated input was incomplete")))
    }

    /// Ends parsing with `Err` if anything was recorded.
    pub fn into_result(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}
