//! Request extractors: JSON bodies that report every wrongly typed field, the caller's
//! credentials, paging parameters and conditional-request headers. Handlers receive these
//! already checked, so they never see raw input.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

use crate::auth::{Claims, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::service::sessions::{self, Standing};
use crate::state::AppState;
use kepu_domain::FieldError;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON object body parsed into `T`, whose fields are all optional so that presence and
/// values are checked afterwards, with every problem listed at once.
///
/// Malformed JSON is 400 `request.malformed_json`; fields of the wrong JSON type are 400
/// `request.invalid_types` listing each of them; bodies over 64 KiB are 413. An empty body
/// sent without a JSON content type reads as `{}`, so actions without input need none; an empty
/// body that says it is `application/json` is malformed JSON.
#[derive(Debug)]
pub struct ApiJson<T> {
    /// The parsed body.
    pub body: T,
    /// The raw body as parsed JSON, for idempotency fingerprints.
    pub raw: Value,
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let declares_json = declares_json(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|len| len > JSON_LIMIT) {
                return Err(ApiError::PayloadTooLarge);
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| bad_json("the request body could not be read"))?;
                if body.len() + chunk.len() > JSON_LIMIT {
                    return Err(ApiError::PayloadTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            parse_body(&body, declares_json)
        })
    }
}

fn bad_json(detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code: "request.malformed_json",
        detail: detail.into(),
        errors: vec![],
    }
}

/// Whether the request says its body is JSON (`application/json` or any `+json` type).
fn declares_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json"))
}

/// Parses a JSON object into `T`, naming every field whose JSON type is wrong. An empty body
/// is `{}` unless the request declared JSON (`declares_json`): then it is malformed JSON.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8], declares_json: bool) -> ApiResult<ApiJson<T>> {
    let raw: Value = if !declares_json && bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| bad_json(format!("the body is not valid JSON: {e}")))?
    };
    let Value::Object(map) = &raw else {
        return Err(bad_json("the body must be a JSON object"));
    };
    match serde_json::from_value::<T>(raw.clone()) {
        Ok(body) => Ok(ApiJson { body, raw }),
        Err(whole) => {
            // Every field of `T` is optional, so a one-field object fails only if that field's
            // type is wrong: try each field alone to list all of them.
            let mut errors: Vec<FieldError> = map
                .iter()
                .filter_map(|(key, value)| {
                    let single = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
                    serde_json::from_value::<T>(single)
                        .err()
                        .map(|e| FieldError::new(key.clone(), type_message(&e)))
                })
                .collect();
            if errors.is_empty() {
                errors.push(FieldError::new("body", type_message(&whole)));
            }
            Err(ApiError::BadRequest {
                code: "request.invalid_types",
                detail: "some fields have the wrong type".into(),
                errors,
            })
        }
    }
}

/// serde's message without the position suffix, which means nothing to a client.
fn type_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Who is calling, as far as the credentials say. Credentials that are present but unusable
/// are refused (401) here; missing ones are not, since many endpoints are public.
#[derive(Clone, Debug)]
pub enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A signed-in account.
    User(Claims),
    /// A resident token, by its hash; which order it opens is looked up when needed.
    Resident {
        /// SHA-256 of the token.
        token_hash: String,
    },
}

impl Caller {
    /// The signed-in user's claims, or 401.
    pub fn user(&self) -> ApiResult<&Claims> {
        match self {
            Self::User(claims) => Ok(claims),
            _ => Err(ApiError::unauthorized(
                "auth.missing",
                "sign in and send `Authorization: Bearer <token>`",
            )),
        }
    }
}

/// The endpoints a user who must change their password may still call.
pub(crate) const OPEN_WHILE_PASSWORD_CHANGE_REQUIRED: [&str; 3] =
    ["/api/v1/me", "/api/v1/me/password", "/api/v1/auth/logout"];

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    /// Besides the token itself, a bearer token's session is checked in the database on every
    /// request (`sessions::check`): an ended session or a deactivated account is 401
    /// `auth.revoked`, and a user who must change their password gets 403
    /// `auth.password_change_required` everywhere except the endpoints that let them do so.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = caller_of(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let path = req.path().trim_end_matches('/');
        let open = OPEN_WHILE_PASSWORD_CHANGE_REQUIRED.contains(&path);
        Box::pin(async move {
            let caller = caller?;
            if let Caller::User(claims) = &caller {
                let state = state.ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("application state is missing"))
                })?;
                let standing = sessions::check(&state.db, claims).await?;
                if standing == Standing::MustChangePassword && !open {
                    return Err(ApiError::Refused {
                        code: "auth.password_change_required",
                        detail: "choose a new password at POST /api/v1/me/password first",
                    });
                }
            }
            Ok(caller)
        })
    }
}

fn caller_of(req: &HttpRequest) -> ApiResult<Caller> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let invalid = || {
        ApiError::unauthorized(
            "auth.invalid",
            "use `Authorization: Bearer <token>` or `Resident <token>`",
        )
    };
    let value = value.to_str().map_err(|_| invalid())?.trim();
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    let token = token.trim();
    if token.is_empty() {
        return Err(invalid());
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state is missing")))?;
        state.keys.verify(token).map(Caller::User)
    } else if scheme.eq_ignore_ascii_case("resident") {
        Ok(Caller::Resident {
            token_hash: token_hash(token),
        })
    } else {
        Err(invalid())
    }
}

/// The `If-Match` header as an order version, when sent (`*` means any).
pub fn if_match(req: &HttpRequest) -> ApiResult<Option<i64>> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::BadRequest {
            code: "request.bad_header",
            detail: "If-Match must be an ETag from this API, like \"3\"".into(),
            errors: vec![FieldError::new("If-Match", "not a version")],
        })
}

/// The `Idempotency-Key` header, when sent: 1 to 200 visible ASCII characters.
pub fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=200).contains(&key.trim().len()) => Ok(Some(key.trim().to_owned())),
        _ => Err(ApiError::BadRequest {
            code: "request.bad_header",
            detail: "Idempotency-Key must be 1 to 200 visible ASCII characters".into(),
            errors: vec![FieldError::new("Idempotency-Key", "invalid")],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[allow(dead_code)]
        name: Option<String>,
        #[allow(dead_code)]
        count: Option<i64>,
    }

    #[test]
    fn every_wrongly_typed_field_is_named() {
        let err = parse_body::<Body>(br#"{"name": 5, "count": "x"}"#, true).err();
        match err {
            Some(ApiError::BadRequest {
                code: "request.invalid_types",
                errors,
                ..
            }) => {
                let mut fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                fields.sort_unstable();
                assert_eq!(fields, ["count", "name"]);
            }
            other => panic!("expected invalid types, got {other:?}"),
        }
    }

    #[test]
    fn malformed_and_non_object_bodies_are_400_and_empty_is_an_empty_object_only_without_json() {
        let malformed = |result: ApiResult<ApiJson<Body>>| {
            matches!(
                result,
                Err(ApiError::BadRequest {
                    code: "request.malformed_json",
                    ..
                })
            )
        };
        for declares_json in [true, false] {
            for body in [&b"{"[..], b"[1]", b"\"text\"", b"nul"] {
                assert!(malformed(parse_body::<Body>(body, declares_json)));
            }
        }
        // Bodyless actions (`close`) send nothing and no content type: that is `{}`.
        assert!(parse_body::<Body>(b"", false).is_ok());
        assert!(parse_body::<Body>(b" \n", false).is_ok());
        // An empty body that claims to be JSON is not JSON.
        assert!(malformed(parse_body::<Body>(b"", true)));
        assert!(malformed(parse_body::<Body>(b" \n", true)));
    }
}
