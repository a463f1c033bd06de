//! The standard's error format: a bare array of `{code, description}` with the HTTP status as
//! `code`. Bad input names each field by its Open311 name (`service_code`, `phone`,
//! `attribute[township]`), mapped from the order API's field, never from a message's text.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use kepu_domain::FieldError;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

use crate::error::ApiError;

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

/// What Open311 handlers return.
pub type Open311Result<T> = Result<T, Open311Error>;

impl Open311Error {
    /// One error with `status`.
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            descriptions: vec![description.into()],
            retry_after: None,
        }
    }

    /// A 400 listing every bad field, each already under its Open311 name.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            descriptions: errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
            retry_after: None,
        }
    }

    /// A 400 for one field (by its Open311 name).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::fields(vec![FieldError::new(field, message)])
    }

    /// A 404 for an unknown `what`.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// A 403 for a missing, over-long or wrong `api_key`, or for posting while no key is set.
    pub fn forbidden(description: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, format!("api_key: {description}"))
    }

    /// The order API's refusal of a post, merged with the problems the adapter found itself
    /// (`own`, under Open311 names). A field both report keeps the adapter's own entry: it
    /// speaks of what the client sent (`lat: must be a number`), where the order API only saw
    /// the value missing. Refusals other than bad input are answered as they are.
    pub fn refused_post(mut own: Vec<FieldError>, err: ApiError) -> Self {
        match err {
            ApiError::Validation(errors) | ApiError::BadRequest { errors, .. }
                if !errors.is_empty() =>
            {
                for e in errors {
                    let field = open311_field(&e.field);
                    if !own.iter().any(|o| o.field == field) {
                        own.push(FieldError::new(field, e.message));
                    }
                }
                Self::fields(own)
            }
            other => other.into(),
        }
    }
}

/// The Open311 name of a field of the order API.
pub fn open311_field(field: &str) -> String {
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

impl fmt::Display for Open311Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.descriptions.join("; "))
    }
}

impl From<ApiError> for Open311Error {
    fn from(err: ApiError) -> Self {
        let status = err.status_code();
        match err {
            ApiError::Validation(errors) | ApiError::BadRequest { errors, .. }
                if !errors.is_empty() =>
            {
                Self::fields(
                    errors
                        .into_iter()
                        .map(|e| FieldError::new(open311_field(&e.field), e.message))
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
