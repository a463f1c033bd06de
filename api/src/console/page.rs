//! What every console page shares: the chrome (title, language switch, navigation), the posted
//! form, the message and error pages, errors beside their fields, and local times.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use askama::Template;
use std::collections::HashMap;

use super::i18n::{self, Lang, Text};
use crate::error::ApiError;
use crate::web::{Session as FormSession, assets, html_response, render, with_retry_after};

/// The navigation of a signed-in user: who they are and which pages their role has.
#[derive(Debug)]
pub struct Nav {
    /// Display name.
    pub name: String,
    /// The queue (staff and leaders).
    pub orders: bool,
    /// The new-order form (station staff, association).
    pub new_order: bool,
    /// Hours to confirm (department staff, association).
    pub hours: bool,
    /// Activities (volunteers, team leaders).
    pub activities: bool,
    /// The association's dashboard, volunteer review and administration.
    pub association: bool,
}

/// What every console page shares: language, words, asset URLs, the language switch, the
/// CSRF token of the sign-out form, and the navigation.
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
    /// This page in the other language.
    pub switch_href: String,
    /// The form token.
    pub csrf: String,
    /// The signed-in user's navigation; `None` on the sign-in page.
    pub nav: Option<Nav>,
    /// Which navigation entry is this page (`orders`, `new`, `hours`, `me`).
    pub here: &'static str,
}

impl Chrome {
    /// The chrome of `req`'s page in `lang`.
    pub fn new(
        req: &HttpRequest,
        lang: Lang,
        csrf: &str,
        nav: Option<Nav>,
        here: &'static str,
    ) -> Self {
        Self {
            lang,
            t: i18n::text(lang),
            css: assets::ASSETS.console_css.url(),
            js: assets::ASSETS.console_js.url(),
            switch_href: switch_href(req, lang),
            csrf: csrf.to_owned(),
            nav,
            here,
        }
    }

    /// Whether `entry` is this page, for `aria-current`.
    pub fn is_here(&self, entry: &str) -> bool {
        self.here == entry
    }
}

/// This page's URL with `lang` set to the other language, keeping its other query parameters
/// (a filtered queue stays filtered).
fn switch_href(req: &HttpRequest, lang: Lang) -> String {
    let mut query: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "lang" && k != "done")
            .collect();
    query.push(("lang".into(), lang.other().code().into()));
    let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
    format!("{}?{encoded}", req.path())
}

/// A form as posted: every pair in order, so repeated names (checkboxes) are all kept.
#[derive(Debug, Default)]
pub struct Posted(Vec<(String, String)>);

impl Posted {
    /// Every posted pair, in the order sent.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Wraps the pairs of a posted form.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, when not empty: an empty field of a form is a field
    /// not filled in, as an absent one is in JSON.
    pub fn filled(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The values to show again in a refused form (every field but the token).
    pub fn values(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for (k, v) in &self.0 {
            if k != "csrf" {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out
    }
}

/// A page that only says something (an error, a refusal).
#[derive(Template)]
#[template(path = "console/message.html")]
pub struct MessagePage {
    /// Shared parts.
    pub c: Chrome,
    /// Heading.
    pub title: &'static str,
    /// The sentence.
    pub text: &'static str,
}

/// Renders `page` with `status`, setting the CSRF cookie of `form` (whose token the page's
/// forms carry) when it is new and the language
/// cookie when it was just chosen.
pub fn respond(
    req: &HttpRequest,
    form: &FormSession,
    status: StatusCode,
    page: &impl Template,
) -> HttpResponse {
    let (lang, chosen) = crate::web::lang_of(req);
    let mut builder: HttpResponseBuilder = html_response(status);
    form.keep_csrf(&mut builder);
    crate::web::keep_lang(&mut builder, lang, chosen);
    render(builder, page)
}

/// The page for an error that no form can show beside a field (403, 404, 429, 5xx).
pub fn error_page(req: &HttpRequest, nav: Option<Nav>, err: &ApiError) -> HttpResponse {
    let (lang, _) = crate::web::lang_of(req);
    let t = i18n::text(lang);
    let (status, title, text) = match err {
        ApiError::NotFound => (StatusCode::NOT_FOUND, t.not_found_title, t.not_found_text),
        ApiError::Forbidden(_) | ApiError::Refused { .. } => {
            (StatusCode::FORBIDDEN, t.forbidden_title, t.forbidden_text)
        }
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
            tracing::error!(error = ?other, "console page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                t.error_title,
                t.server_error,
            )
        }
    };
    let form = FormSession::of(req);
    let page = MessagePage {
        c: Chrome::new(req, lang, &form.csrf, nav, ""),
        title,
        text,
    };
    with_retry_after(respond(req, &form, status, &page), err)
}

/// Messages beside fields, keyed by field, in `lang`, from a validation error.
pub fn field_errors(lang: Lang, err: &ApiError) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let ApiError::Validation(errors) = err {
        for e in errors {
            out.entry(e.field.clone())
                .or_insert_with(|| i18n::field_message(lang, &e.field, &e.message));
        }
    }
    out
}

/// A date and time in the deployment's time zone, to the minute.
pub fn local_time(state: &crate::state::AppState, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&state.settings.timezone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
