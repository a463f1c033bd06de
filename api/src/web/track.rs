//! The tracking page `/t/{code}`: the order's progress in plain words, who is handling it
//! (organisation names only, never staff or the resident's contact data), and, for the phone
//! that sent it, cancel while allowed and a 1–5 star rating once served.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use kepu_domain::order::{Actor, OrderState};
use kepu_domain::value::{Note, Reason, Score, TrackingCode};
use std::collections::HashMap;

use super::form::guard;
use super::i18n::Lang;
use super::session::{Session, keep_lang};
use super::{Chrome, error_page, field_errors, html_response, lang_of, render, see_other};
use crate::auth::token_hash;
use crate::error::{ApiError, Problems};
use crate::extract::Caller;
use crate::service::actors;
use crate::service::orders::{self as svc, ActionInput, TrackView};
use crate::state::{AppState, Limited};

/// One line of the timeline.
#[derive(Debug)]
pub struct Step {
    /// The state in plain words.
    pub label: &'static str,
    /// A note for steps that went backwards (returned, released).
    pub note: Option<&'static str>,
    /// When, in the deployment's time zone.
    pub at: String,
    /// Whether this is where the order is now.
    pub current: bool,
}

/// The tracking page.
#[derive(Template)]
#[template(path = "track.html")]
pub struct TrackPage {
    c: Chrome,
    code: String,
    state_label: &'static str,
    hint: &'static str,
    theme: String,
    township: String,
    station: Option<String>,
    department: Option<String>,
    team: Option<String>,
    steps: Vec<Step>,
    ahead: Vec<&'static str>,
    can_cancel: bool,
    can_rate: bool,
    owned: bool,
    csrf: String,
    notice: Option<&'static str>,
    errors: HashMap<String, String>,
    values: HashMap<String, String>,
}

impl TrackPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn val(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    fn is(&self, field: &str, value: &str) -> bool {
        self.val(field) == value
    }
}

/// The path every order takes when nothing goes wrong.
const HAPPY_PATH: [OrderState; 6] = [
    OrderState::Submitted,
    OrderState::Dispatched,
    OrderState::Accepted,
    OrderState::Claimed,
    OrderState::Completed,
    OrderState::Closed,
];

fn local_time(state: &AppState, at: DateTime<Utc>) -> String {
    at.with_timezone(&state.settings.timezone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Builds the page from the public view: the steps taken, then the steps still ahead.
fn track_page(
    state: &AppState,
    lang: Lang,
    view: TrackView,
    session: &Session,
    notice: Option<&'static str>,
    errors: HashMap<String, String>,
    values: HashMap<String, String>,
) -> TrackPage {
    let t = lang.text();
    let current = view.state;
    let last = view.timeline.len().saturating_sub(1);
    let steps: Vec<Step> = view
        .timeline
        .iter()
        .enumerate()
        .map(|(i, e)| Step {
            label: lang.state(e.state),
            note: match e.action.as_str() {
                "return" => Some(t.returned_note),
                "release" => Some(t.released_note),
                _ => None,
            },
            at: local_time(state, e.at),
            current: i == last,
        })
        .collect();
    let ahead = if current.is_terminal() {
        Vec::new()
    } else {
        HAPPY_PATH
            .iter()
            .skip_while(|s| **s != current)
            .skip(1)
            .map(|s| lang.state(*s))
            .collect()
    };
    let owned = session.token_for(&view.tracking_code).is_some();
    TrackPage {
        c: Chrome::new(lang, &format!("/t/{}", view.tracking_code)),
        state_label: lang.state(current),
        hint: lang.state_hint(current),
        theme: view.theme_name,
        township: view.township_name,
        station: view.station_name,
        department: view.department_name,
        team: view.team_name,
        steps,
        ahead,
        can_cancel: view.can_cancel,
        can_rate: view.can_rate,
        owned,
        csrf: session.csrf.clone(),
        code: view.tracking_code,
        notice,
        errors,
        values,
    }
}

/// Renders the page for `code` with a notice and field errors, and the cookies it needs.
async fn status_page(
    state: &AppState,
    req: &HttpRequest,
    code: &TrackingCode,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: HashMap<String, String>,
    values: HashMap<String, String>,
) -> HttpResponse {
    let (lang, chosen) = lang_of(req);
    let view = match svc::track(&state.db, code).await {
        Ok(v) => v,
        Err(err) => return error_page(lang, &format!("/t/{code}"), &err),
    };
    let session = Session::of(req);
    let page = track_page(state, lang, view, &session, notice, errors, values);
    let mut builder = html_response(status);
    session.keep_csrf(&mut builder);
    keep_lang(&mut builder, lang, chosen);
    render(builder, &page)
}

/// `GET /t?code=…`: the lookup box on the home page.
pub async fn lookup_code(
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (lang, _) = lang_of(&req);
    match query.get("code").map(|c| TrackingCode::parse(c)) {
        Some(Ok(code)) => see_other(&format!("/t/{code}")).finish(),
        _ => error_page(lang, "/t", &ApiError::NotFound),
    }
}

/// `GET /t/{code}`: the order's status. `?m=cancelled|rated` adds the confirmation of an
/// action just taken.
pub async fn show_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (lang, _) = lang_of(&req);
    let Ok(code) = TrackingCode::parse(&path) else {
        return error_page(lang, "/t", &ApiError::NotFound);
    };
    if let Err(err) = state
        .limits
        .check(Limited::Track, crate::routes::auth::client_ip(&req))
    {
        return error_page(lang, &format!("/t/{code}"), &err);
    }
    let t = lang.text();
    let notice = match query.get("m").map(String::as_str) {
        Some("cancelled") => Some(t.cancelled_flash),
        Some("rated") => Some(t.rated_flash),
        _ => None,
    };
    status_page(
        &state,
        &req,
        &code,
        StatusCode::OK,
        notice,
        HashMap::new(),
        HashMap::new(),
    )
    .await
}

/// Runs a resident action posted from the page: checks the form is genuine, finds this phone's
/// token for the order, lets the order service decide, and answers with the page again.
async fn resident_action(
    state: &AppState,
    req: &HttpRequest,
    raw_code: &str,
    posted: HashMap<String, String>,
    parse: impl FnOnce(&HashMap<String, String>) -> Result<ActionInput, ApiError>,
    done: &str,
) -> HttpResponse {
    let (lang, _) = lang_of(req);
    let t = lang.text();
    let Ok(code) = TrackingCode::parse(raw_code) else {
        return error_page(lang, "/t", &ApiError::NotFound);
    };
    let session = Session::of(req);
    let code_ref = &code;
    let again = |status, notice, errors| {
        let values = posted.clone();
        async move { status_page(state, req, code_ref, status, notice, errors, values).await }
    };
    // Throttled before anything is looked up: the answers below tell whether a code exists.
    match guard(state, req, &session, posted.get("csrf"), Limited::Track) {
        Ok(()) => {}
        Err(turned) => {
            if let Some(err) = &turned.limited {
                return error_page(lang, &format!("/t/{code}"), err);
            }
            return again(turned.status, Some(turned.notice(t)), HashMap::new()).await;
        }
    }
    let Some(token) = session.token_for(code.as_ref()) else {
        return again(StatusCode::FORBIDDEN, Some(t.not_owner), HashMap::new()).await;
    };
    let caller = Caller::Resident {
        token_hash: token_hash(token),
    };
    let acting = match actors::resolve(&state.db, &caller).await {
        Ok(a) => a,
        Err(ApiError::Unauthorized { .. }) => {
            return again(StatusCode::FORBIDDEN, Some(t.not_owner), HashMap::new()).await;
        }
        Err(err) => return error_page(lang, &format!("/t/{code}"), &err),
    };
    let Actor::Resident { order_id } = acting.actor else {
        return again(StatusCode::FORBIDDEN, Some(t.not_owner), HashMap::new()).await;
    };
    // The cookie pairs code and token; make sure they really belong together.
    match svc::find(&state.db, order_id.0).await {
        Ok(Some(order)) if order.tracking_code == code.as_ref() => {}
        Ok(_) => return again(StatusCode::FORBIDDEN, Some(t.not_owner), HashMap::new()).await,
        Err(err) => return error_page(lang, &format!("/t/{code}"), &err),
    }
    let input = match parse(&posted) {
        Ok(input) => input,
        Err(err) => {
            let errors = field_errors(lang, &err);
            return again(StatusCode::UNPROCESSABLE_ENTITY, Some(t.fix_errors), errors).await;
        }
    };
    match svc::act(state, &acting, order_id.0, input, None).await {
        Ok(_) => see_other(&format!("/t/{code}?m={done}")).finish(),
        Err(ApiError::Conflict { .. }) => {
            again(StatusCode::CONFLICT, Some(t.state_changed), HashMap::new()).await
        }
        Err(ApiError::Forbidden(_)) | Err(ApiError::NotFound) => {
            again(StatusCode::FORBIDDEN, Some(t.not_owner), HashMap::new()).await
        }
        Err(err @ ApiError::Validation(_)) => {
            let errors = field_errors(lang, &err);
            again(StatusCode::UNPROCESSABLE_ENTITY, Some(t.fix_errors), errors).await
        }
        Err(err) => error_page(lang, &format!("/t/{code}"), &err),
    }
}

/// `POST /t/{code}/cancel`: the resident withdraws the order (optional reason).
pub async fn post_cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    resident_action(
        &state,
        &req,
        &path,
        form.into_inner(),
        |f| {
            let mut p = Problems::new();
            let reason = f
                .get("reason")
                .filter(|r| !r.trim().is_empty())
                .and_then(|r| p.check("reason", Reason::parse(r)));
            p.finish(|| Some(ActionInput::Cancel { reason }))
        },
        "cancelled",
    )
    .await
}

/// `POST /t/{code}/rate`: the resident's 1–5 stars and optional comment.
pub async fn post_rate(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    resident_action(
        &state,
        &req,
        &path,
        form.into_inner(),
        |f| {
            let mut p = Problems::new();
            let score = p
                .require("score", f.get("score").filter(|s| !s.is_empty()))
                .and_then(|s| {
                    p.check(
                        "score",
                        s.trim()
                            .parse::<i64>()
                            .map_err(|_| "评分须为1到5的整数".to_owned())
                            .and_then(|n| Score::parse(n).map_err(|e| e.to_string())),
                    )
                });
            let comment = f
                .get("comment")
                .and_then(|c| p.check("comment", Note::parse(c)))
                .filter(|c| !c.as_ref().is_empty());
            p.finish(|| {
                Some(ActionInput::Rate {
                    score: score?,
                    comment,
                })
            })
        },
        "rated",
    )
    .await
}
