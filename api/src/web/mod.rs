//! The resident's and volunteer's pages, served outside `/api/v1`: the request form at `/`,
//! the tracking page `/t/{code}`, the volunteer sign-up at `/volunteer`, and their static
//! assets. Every page works with JavaScript off (plain form posts, answered with rendered
//! pages); `app.js` only enhances them (validation as you type, offline outbox, "my requests").
//!
//! The pages use the same parsing and services as the JSON API, so the rules cannot drift.
//! How cookies, CSRF, caching and the offline outbox fit together is in `docs/resident-form.md`.

pub mod assets;
mod form;
pub mod i18n;
mod session;
mod track;
mod volunteer;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use askama::Template;
use std::collections::HashMap;

use crate::error::ApiError;
pub(crate) use form::{Choice, Lists, guard, load_lists};
use i18n::{Lang, ScriptText, Text};
pub use session::{Session, keep_lang};

/// The Content-Security-Policy of every page: nothing from another origin, no inline script
/// or style, no framing, forms post only here.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; worker-src 'self'; manifest-src 'self'; font-src 'none'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Registers the pages and assets.
pub fn pages(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(crate::extract::JSON_LIMIT)
            .error_handler(unreadable_form),
    )
    .route("/", web::get().to(form::show_form))
    .route("/", web::post().to(form::post_form))
    .route("/done/{code}", web::get().to(form::show_done))
    .route("/t", web::get().to(track::lookup_code))
    .route("/t/{code}", web::get().to(track::show_status))
    .route("/t/{code}/cancel", web::post().to(track::post_cancel))
    .route("/t/{code}/rate", web::post().to(track::post_rate))
    .route("/volunteer", web::get().to(volunteer::show_form))
    .route("/volunteer", web::post().to(volunteer::post_form))
    .route("/volunteer/done", web::get().to(volunteer::show_done))
    .route("/sw.js", web::get().to(assets::serve_service_worker))
    .route("/static/{name}", web::get().to(assets::serve_asset));
}

/// A form post the server cannot read (too large, not a form, broken encoding) gets a page in
/// the resident's language, not a bare error text.
fn unreadable_form(err: actix_web::error::UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    let status = actix_web::ResponseError::status_code(&err);
    let (lang, _) = lang_of(req);
    let t = lang.text();
    let page = render(
        html_response(status),
        &MessagePage {
            c: Chrome::new(lang, req.path()),
            title: t.error_title,
            text: t.unreadable_form,
        },
    );
    actix_web::error::InternalError::from_response(err, page).into()
}

/// What every page shares: language, words, asset URLs, the language switch.
#[derive(Debug)]
pub struct Chrome {
    /// The page's language.
    pub lang: Lang,
    /// Its words.
    pub t: &'static Text,
    /// The hashed stylesheet URL.
    pub css: &'static str,
    /// The hashed script URL.
    pub js: &'static str,
    /// This page's URL in the other language.
    pub switch_href: String,
    /// The script's words as JSON, safe inside `<script type="application/json">`.
    pub script_text: String,
}

impl Chrome {
    /// The chrome of a page at `path` in `lang`.
    pub fn new(lang: Lang, path: &str) -> Self {
        let script_text = serde_json::to_string(&ScriptText::of(lang))
            .unwrap_or_else(|_| "{}".into())
            .replace('<', "\\u003c");
        Self {
            lang,
            t: lang.text(),
            css: assets::ASSETS.css.url(),
            js: assets::ASSETS.js.url(),
            switch_href: format!("{path}?lang={}", lang.other().code()),
            script_text,
        }
    }
}

/// Picks the language: `?lang=` first, then the `lang` cookie, else Chinese.
pub fn lang_of(req: &HttpRequest) -> (Lang, bool) {
    let from_query = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("lang").and_then(|l| Lang::parse(l)));
    match from_query {
        Some(lang) => (lang, true),
        None => (
            req.cookie("lang")
                .and_then(|c| Lang::parse(c.value()))
                .unwrap_or(Lang::Zh),
            false,
        ),
    }
}

/// Starts an HTML response with the headers every page carries: no caching by proxies or the
/// browser without revalidation, the CSP, and a referrer only for this origin (tracking codes
/// are in URLs; `no-referrer` would also make browsers send `Origin: null` on form posts,
/// which the CSRF check refuses).
pub fn html_response(status: StatusCode) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header(("Content-Security-Policy", HeaderValue::from_static(CSP)))
        .insert_header(("Referrer-Policy", HeaderValue::from_static("same-origin")))
        .insert_header(("X-Frame-Options", HeaderValue::from_static("DENY")));
    builder
}

/// Renders a template into a finished response; a template that fails to render is a 500.
pub fn render(mut builder: HttpResponseBuilder, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => builder.body(body),
        Err(err) => {
            tracing::error!(error = %err, "page failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("internal error")
        }
    }
}

/// A page that only says something went wrong, and offers the way home.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// Shared parts.
    pub c: Chrome,
    /// Heading.
    pub title: &'static str,
    /// The sentence.
    pub text: &'static str,
}

/// The page for an error that no form can show next to a field (404, 429, 5xx).
pub fn error_page(lang: Lang, path: &str, err: &ApiError) -> HttpResponse {
    let t = lang.text();
    let (status, title, text) = match err {
        ApiError::NotFound => (StatusCode::NOT_FOUND, t.not_found_title, t.not_found_text),
        ApiError::RateLimited { .. } => {
            (StatusCode::TOO_MANY_REQUESTS, t.error_title, t.rate_limited)
        }
        ApiError::Unavailable(cause) => {
            tracing::warn!(error = %cause, "database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                t.error_title,
                t.server_error,
            )
        }
        other => {
            tracing::error!(error = ?other, "page request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                t.error_title,
                t.server_error,
            )
        }
    };
    let page = render(
        html_response(status),
        &MessagePage {
            c: Chrome::new(lang, path),
            title,
            text,
        },
    );
    with_retry_after(page, err)
}

/// Adds `Retry-After` to the answer to a rate-limited request, as the API does.
pub fn with_retry_after(mut response: HttpResponse, err: &ApiError) -> HttpResponse {
    if let ApiError::RateLimited { retry_after } = err
        && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A 303 to `location`: the browser then GETs it, so reloading never posts twice.
pub fn see_other(location: &str) -> HttpResponseBuilder {
    let mut builder = HttpResponse::SeeOther();
    builder.insert_header((header::LOCATION, location.to_owned()));
    builder
}

/// Whether a form's hidden idempotency key is usable as an `Idempotency-Key`.
pub(crate) fn valid_key(key: &str) -> bool {
    (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// How a form page answers a post the service refused.
pub(crate) struct Refused {
    /// The page's status.
    pub status: StatusCode,
    /// A message per bad field.
    pub errors: HashMap<String, String>,
    /// The notice at the top of the form.
    pub notice: &'static str,
    /// Whether the form keeps its idempotency key. A key already used with other details can
    /// not be used again, so the form then gets a fresh one.
    pub keep_key: bool,
}

/// The answer to `err` on a form page (`what` names the form in the log of a server error).
pub(crate) fn refused(lang: Lang, err: &ApiError, what: &str) -> Refused {
    let t = lang.text();
    match err {
        ApiError::Validation(_) => Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: field_errors(lang, err),
            notice: t.fix_errors,
            keep_key: true,
        },
        ApiError::IdempotencyMismatch => Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: HashMap::new(),
            notice: t.expired_form,
            keep_key: false,
        },
        _ => {
            let status = actix_web::ResponseError::status_code(err);
            if status.is_server_error() {
                tracing::error!(error = ?err, "{what} failed");
            }
            Refused {
                status,
                errors: HashMap::new(),
                notice: t.server_error,
                keep_key: true,
            }
        }
    }
}

/// Field errors keyed by field, in the page's language.
pub fn field_errors(lang: Lang, err: &ApiError) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let ApiError::Validation(errors) = err {
        for e in errors {
            out.entry(e.field.clone())
                .or_insert_with(|| lang.field_message(&e.field, &e.message));
        }
    }
    out
}

/// The answer carrying an export as a download (the API's and the console's).
pub fn download(file: crate::service::export::Export) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.filename),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(file.bytes)
}
