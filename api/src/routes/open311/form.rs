//! Reading what an Open311 client sends: the posted fields (form-encoded as the standard says,
//! or JSON with the same names), the `api_key`, and the filters of the request list. Problems
//! are named by their Open311 field.

use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use actix_web::web;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use kepu_domain::FieldError;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

use super::error::{Open311Error, Open311Result};
use crate::auth;
use crate::service::open311::{RequestFilter, Status};
use crate::service::orders::OrderDraft;

/// Requests a list answers with when the client does not say (`limit`).
const DEFAULT_LIMIT: u64 = 50;
/// The most requests one list answers with, and the most ids one `service_request_id` takes.
const MAX_LIMIT: u64 = 1000;
/// Largest accepted POST body.
const MAX_BODY: usize = 64 * 1024;
/// Longest `api_key` compared; longer ones are refused before any hashing.
pub const MAX_KEY_LEN: usize = 128;

/// Reads a posted body of at most 64 KiB; more is a 413 in the standard's format.
pub async fn read_body(mut payload: web::Payload) -> Open311Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| Open311Error::field("body", "the request body could not be read"))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Open311Error::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request bodies are limited to 64 KiB",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The query string's pairs, decoded.
pub fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The posted fields: form-encoded as the standard says, or a JSON object with the same names
/// (`attribute` may then also be a nested object).
pub fn posted_fields(req: &HttpRequest, body: &[u8]) -> Open311Result<HashMap<String, String>> {
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
    let value: Value =
        serde_json::from_slice(body).map_err(|_| Open311Error::field("body", "not valid JSON"))?;
    let Value::Object(map) = value else {
        return Err(Open311Error::field("body", "must be a JSON object"));
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
                    let field = format!("attribute[{name}]");
                    match scalar(a) {
                        Some(s) => {
                            fields.insert(field, s);
                        }
                        None if a.is_null() => {}
                        None => bad.push(FieldError::new(field, "must be a text or number")),
                    }
                }
            }
            _ => match scalar(v) {
                Some(s) => {
                    fields.insert(key.clone(), s);
                }
                None => bad.push(FieldError::new(key, "must be a text or number")),
            },
        }
    }
    if bad.is_empty() {
        Ok(fields)
    } else {
        Err(Open311Error::fields(bad))
    }
}

/// A posted request: its key, and the order it stands for as the one draft every face fills
/// in. Values that could not be read at all (a `lat` that is no number) are left out of the
/// draft and listed in its `read_problems` under their Open311 names; `attribute[township]` is
/// kept as sent (a code or a Chinese name) until the handler resolves it.
#[derive(Debug, Default)]
pub struct PostedRequest {
    /// `api_key` from the body, else from the query string.
    pub api_key: Option<String>,
    /// The order, by the names of the order API.
    pub draft: OrderDraft,
}

/// Reads the posted fields; `query_key` is the `api_key` of the query string, if any.
pub fn posted_request(
    mut fields: HashMap<String, String>,
    query_key: Option<String>,
) -> PostedRequest {
    let mut take = |name: &str| {
        fields
            .remove(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut problems = Vec::new();
    let mut number = |field: &str, raw: Option<String>| -> Option<f64> {
        match raw?.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                problems.push(FieldError::new(field, "must be a number"));
                None
            }
        }
    };
    let latitude = number("lat", take("lat"));
    let longitude = number("long", take("long"));
    let expected_attendees = take("attribute[expected_attendees]").and_then(|raw| {
        raw.parse::<i64>()
            .map_err(|_| {
                problems.push(FieldError::new(
                    "attribute[expected_attendees]",
                    "must be a whole number",
                ));
            })
            .ok()
    });
    let (first, last) = (take("first_name"), take("last_name"));
    let name = contact_name(first.as_deref(), last.as_deref());
    PostedRequest {
        api_key: take("api_key").or(query_key),
        draft: OrderDraft {
            theme: take("service_code"),
            description: take("description"),
            township: take("attribute[township]"),
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
            read_problems: problems,
        },
    }
}

/// The contact name from the standard's two parts: Chinese names family name first and
/// without a space (巴 + 特尔 → 巴特尔), names in Latin letters as written ("Anna Li").
pub fn contact_name(first: Option<&str>, last: Option<&str>) -> String {
    match (first, last) {
        (Some(f), Some(l)) if f.chars().chain(l.chars()).any(|c| c.is_ascii_alphabetic()) => {
            format!("{f} {l}")
        }
        (Some(f), Some(l)) => format!("{l}{f}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => String::new(),
    }
}

/// Whether `given` is one of the configured keys. A key longer than [`MAX_KEY_LEN`] bytes is
/// refused before anything is hashed; the others are compared by hash against every key, so
/// the time taken does not tell how much of a key matched.
pub fn key_is_valid(keys: &[String], given: Option<&str>) -> bool {
    let Some(given) = given.filter(|g| !g.is_empty() && g.len() <= MAX_KEY_LEN) else {
        return false;
    };
    let hash = auth::token_hash(given);
    keys.iter()
        .fold(false, |found, key| found | (auth::token_hash(key) == hash))
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

/// The filters of `GET requests.json`, every bad one listed. `service_request_id` overrides
/// the others, as the standard says.
pub fn list_filter(req: &HttpRequest) -> Open311Result<RequestFilter> {
    let params: HashMap<String, String> = query_pairs(req).into_iter().collect();
    let given = |name: &str| params.get(name).filter(|r| !r.trim().is_empty());
    let mut bad = Vec::new();
    let mut filter = RequestFilter {
        limit: DEFAULT_LIMIT,
        ..RequestFilter::default()
    };
    if let Some(raw) = params.get("limit") {
        match raw.trim().parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => filter.limit = n,
            _ => bad.push(FieldError::new(
                "limit",
                format!("must be a whole number from 1 to {MAX_LIMIT}"),
            )),
        }
    }
    if let Some(raw) = given("service_request_id") {
        let values = csv_values(raw);
        let ids: Vec<Uuid> = values
            .iter()
            .filter_map(|v| Uuid::parse_str(v).ok())
            .collect();
        if ids.len() != values.len() {
            bad.push(FieldError::new(
                "service_request_id",
                "every id must be a service_request_id (a UUID)",
            ));
        }
        if values.len() as u64 > MAX_LIMIT {
            bad.push(FieldError::new(
                "service_request_id",
                format!("at most {MAX_LIMIT} ids"),
            ));
        }
        filter.ids = Some(ids);
        filter.limit = MAX_LIMIT;
    } else {
        if let Some(raw) = given("service_code") {
            filter.service_codes = csv_values(raw);
        }
        for name in ["start_date", "end_date"] {
            let Some(raw) = given(name) else { continue };
            match parse_datetime(raw) {
                Some(at) if name == "start_date" => filter.start = Some(at),
                Some(at) => filter.end = Some(at),
                None => bad.push(FieldError::new(
                    name,
                    "must be a date and time like 2026-11-30T08:00:00Z",
                )),
            }
        }
        if let Some(raw) = given("status") {
            let wanted = csv_values(raw);
            if wanted.iter().any(|s| s != "open" && s != "closed") {
                bad.push(FieldError::new(
                    "status",
                    "must be open, closed, or both separated by a comma",
                ));
            }
            let open = wanted.iter().any(|s| s == "open");
            let closed = wanted.iter().any(|s| s == "closed");
            filter.status = match (open, closed) {
                (true, false) => Some(Status::Open),
                (false, true) => Some(Status::Closed),
                _ => None,
            };
        }
    }
    if bad.is_empty() {
        Ok(filter)
    } else {
        Err(Open311Error::fields(bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_by_script() {
        assert_eq!(contact_name(Some("特尔"), Some("巴")), "巴特尔");
        assert_eq!(contact_name(Some("Anna"), Some("Li")), "Anna Li");
        assert_eq!(contact_name(None, Some("巴特尔")), "巴特尔");
        assert_eq!(contact_name(None, None), "");
    }

    #[test]
    fn keys_match_exactly_and_long_ones_are_refused() {
        let long = "k".repeat(MAX_KEY_LEN + 1);
        let keys = vec!["alpha".to_owned(), "beta".to_owned(), long.clone()];
        assert!(key_is_valid(&keys, Some("beta")));
        assert!(!key_is_valid(&keys, Some("bet")));
        assert!(!key_is_valid(&keys, Some("")));
        assert!(!key_is_valid(&keys, None));
        assert!(!key_is_valid(&[], Some("alpha")));
        assert!(!key_is_valid(&keys, Some(long.as_str())), "too long");
        let longest = "k".repeat(MAX_KEY_LEN);
        assert!(key_is_valid(std::slice::from_ref(&longest), Some(&longest)));
    }
}
