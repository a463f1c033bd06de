//! One activity's page, `/console/activities/{order_id}`: for a member of the claiming team
//! their own row and the forms they may use now (sign up, withdraw, check in, check out); for
//! the team's leader the schedule form, the roster, the current check-in code large with its
//! QR code, and the attendance form. Also the two pages the links of messages and of the QR
//! code open: `…/check-in?code=` and `…/withdraw`, each one button away from done.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use chrono::{DateTime, Utc};
use kepu_domain::activity::CheckInCode;
use kepu_domain::order::OrderState;
use std::collections::HashMap;
use uuid::Uuid;

use super::super::i18n::{self, volunteer as words};
use super::super::names::{Named, Names};
use super::super::page::{Chrome, error_page, local_time};
use super::super::session::{Signed, page_builder, signed_in};
use super::{RosterLine, counts, roster_lines, when};
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::service::activities::access::Role as AccessRole;
use crate::service::activities::{Access, ActivityView, RosterRow, access, attendance, links};
use crate::service::{activities, membership};
use crate::state::AppState;
use crate::web::render;

/// A refused form shown again: which, what was typed, the messages.
#[derive(Debug, Default)]
pub struct Retry {
    /// `schedule`, `attendance`, `check-in`, `check-out`.
    pub form: String,
    /// Typed values.
    pub values: HashMap<String, String>,
    /// Messages beside fields.
    pub errors: HashMap<String, String>,
}

/// Why the page is shown.
#[derive(Debug)]
pub struct Shown {
    /// Status.
    pub status: StatusCode,
    /// Notice and whether it is an alert.
    pub notice: Option<(String, bool)>,
    /// The refused form.
    pub retry: Retry,
    /// The code the leader was just shown (from `?code=`).
    pub code: Option<String>,
}

impl Shown {
    /// The page as it is, with an optional notice.
    pub fn plain(notice: Option<(String, bool)>) -> Self {
        Self {
            status: StatusCode::OK,
            notice,
            retry: Retry::default(),
            code: None,
        }
    }
}

/// The code the leader shows, with its QR code.
#[derive(Debug)]
pub struct CodeShown {
    code: String,
    until: String,
    link: String,
    qr: String,
}

/// The activity page.
#[derive(Template)]
#[template(path = "console/activity.html")]
pub struct ActivityPage {
    c: Chrome,
    order_id: Uuid,
    code: String,
    theme: String,
    town: String,
    order_state: &'static str,
    claimed: bool,
    notice: Option<String>,
    alert: bool,
    a: Option<ActivityView>,
    when: String,
    counts: String,
    leader: bool,
    mine: Option<RosterRow>,
    mine_state: String,
    checked_in: Option<String>,
    checked_out: Option<String>,
    roster: Vec<RosterLine>,
    members: Vec<Named>,
    issued: Option<CodeShown>,
    sched: HashMap<&'static str, String>,
    retry: Retry,
}

impl ActivityPage {
    fn val(&self, form: &str, field: &str) -> String {
        if self.retry.form == form {
            self.retry.values.get(field).cloned().unwrap_or_default()
        } else if form == "schedule" {
            self.sched.get(field).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }

    fn err(&self, form: &str, field: &str) -> Option<&str> {
        (self.retry.form == form)
            .then(|| self.retry.errors.get(field).map(String::as_str))
            .flatten()
    }

    fn mine_is(&self, state: &str) -> bool {
        self.mine.as_ref().is_some_and(|r| r.state == state)
    }

    fn is_in(&self) -> bool {
        self.mine
            .as_ref()
            .is_some_and(|r| r.checked_in_at.is_some())
    }

    fn is_out(&self) -> bool {
        self.mine
            .as_ref()
            .is_some_and(|r| r.checked_out_at.is_some())
    }

    fn can_sign_up(&self) -> bool {
        self.claimed && self.a.is_some() && (self.mine.is_none() || self.mine_is("withdrawn"))
    }

    fn can_withdraw(&self) -> bool {
        self.claimed && (self.mine_is("signed_up") || self.mine_is("waitlisted")) && !self.is_in()
    }

    fn can_check_in(&self) -> bool {
        self.claimed && self.mine_is("signed_up") && !self.is_in()
    }

    fn can_check_out(&self) -> bool {
        self.claimed && self.mine_is("signed_up") && self.is_in() && !self.is_out()
    }

    fn picked(&self, id: &Uuid) -> bool {
        self.val("attendance", "volunteer_id") == id.to_string()
    }
}

/// A time as a `datetime-local` value in the deployment's zone.
pub fn local_input(state: &AppState, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.settings.timezone)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The caller's access to the activity of order `raw_id` for the console's pages: 404 for an
/// unknown id or an order they may not see, 403 for staff (their view is the order page).
pub async fn access_of(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    raw_id: &str,
) -> Result<Access, HttpResponse> {
    let nav = || Some(signed.nav());
    let Ok(id) = Uuid::parse_str(raw_id) else {
        return Err(error_page(req, nav(), &ApiError::NotFound));
    };
    let caller = Caller::User(signed.session.claims.clone());
    match access(&state.db, &caller, id).await {
        Ok(a) if a.role == AccessRole::Staff => Err(signed.forbidden(req)),
        Ok(a) => Ok(a),
        Err(err) => Err(error_page(req, nav(), &err)),
    }
}

fn qr_data_uri(link: &str) -> ApiResult<String> {
    let svg = links::qr_svg(link)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
    Ok(format!("data:image/svg+xml;base64,{encoded}"))
}

/// Renders the page of `access`'s activity.
pub async fn activity_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    access: &Access,
    shown: Shown,
) -> ApiResult<HttpResponse> {
    let lang = signed.lang;
    let t = i18n::text(lang);
    let names = Names::load(state, lang).await?;
    let a = match activities::schedule::get(state, access).await {
        Ok(a) => Some(a),
        Err(ApiError::NotFound) => None,
        Err(err) => return Err(err),
    };
    let leader = matches!(access.role, AccessRole::Leader { .. });
    let mut notice = shown.notice;
    let issued = match (&shown.code, leader, &a) {
        (Some(raw), true, Some(_)) => {
            let current = match CheckInCode::parse(raw) {
                Ok(code) => attendance::current_code(state, access, &code).await?,
                Err(_) => None,
            };
            match current {
                Some(c) => Some(CodeShown {
                    qr: qr_data_uri(&c.check_in_url)?,
                    until: local_time(state, c.expires_at),
                    link: c.check_in_url,
                    code: c.code,
                }),
                None => {
                    notice = notice.or_else(|| Some((t.code_gone.to_owned(), true)));
                    None
                }
            }
        }
        _ => None,
    };
    let members = if leader {
        membership::members(&state.db, access.team_id()?)
            .await?
            .into_iter()
            .filter(|m| m.volunteer_state == "approved")
            .map(|m| Named {
                id: m.volunteer_id,
                name: m.real_name,
            })
            .collect()
    } else {
        vec![]
    };
    let roster = match (&a, leader) {
        (Some(a), true) => roster_lines(state, lang, a),
        _ => vec![],
    };
    let mine = match (&a, access.role) {
        (Some(a), AccessRole::Member { .. }) => a.roster.first().cloned(),
        _ => None,
    };
    let mut sched = HashMap::new();
    if let Some(a) = &a {
        sched.insert("starts_at", local_input(state, a.starts_at));
        sched.insert("ends_at", local_input(state, a.ends_at));
        sched.insert("place", a.place.clone());
        sched.insert("slots", a.slots.to_string());
        sched.insert("note", a.note.clone().unwrap_or_default());
    }
    let order = &access.order;
    let (notice, alert) = match notice {
        Some((n, a)) => (Some(n), a),
        None => (None, false),
    };
    let page = ActivityPage {
        c: signed.chrome(req, "activities"),
        order_id: order.id,
        code: order.tracking_code.clone(),
        theme: names.theme(&order.theme_code),
        town: names.place(&order.township_code, order.village_id),
        order_state: lang.state(access.state),
        claimed: access.state == OrderState::Claimed,
        notice,
        alert,
        when: a.as_ref().map(|a| when(state, a)).unwrap_or_default(),
        counts: a.as_ref().map(|a| counts(lang, a)).unwrap_or_default(),
        mine_state: words::signup_state(
            lang,
            mine.as_ref().map(|r| r.state.as_str()),
            mine.as_ref().and_then(|r| r.waitlist_position),
        ),
        checked_in: mine
            .as_ref()
            .and_then(|r| r.checked_in_at)
            .map(|t| local_time(state, t)),
        checked_out: mine
            .as_ref()
            .and_then(|r| r.checked_out_at)
            .map(|t| local_time(state, t)),
        mine,
        a,
        leader,
        roster,
        members,
        issued,
        sched,
        retry: shown.retry,
    };
    let mut builder = page_builder(signed, req, shown.status);
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    Ok(render(builder, &page))
}

/// The notice of `?done=…` after a form went through.
fn done_notice(lang: i18n::Lang, done: &str) -> Option<&'static str> {
    let t = i18n::text(lang);
    Some(match done {
        "signed_up" => t.n_signed_up,
        "waitlisted" => t.n_waitlisted,
        "withdrawn" => t.n_withdrawn,
        "checked_in" => t.n_checked_in,
        "checked_out" => t.n_checked_out,
        "scheduled" => t.sched_saved,
        "attendance" => t.att_saved,
        _ => return None,
    })
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

/// `GET /console/activities/{order_id}` (`?code=` shows the leader the code just made).
pub async fn show_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let access = match access_of(&state, &req, &signed, &path).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let q = query(&req);
    let notice = q
        .get("done")
        .and_then(|d| done_notice(signed.lang, d))
        .map(|n| (n.to_owned(), false));
    let shown = Shown {
        code: q.get("code").cloned(),
        ..Shown::plain(notice)
    };
    match activity_page(&state, &req, &signed, &access, shown).await {
        Ok(page) => page,
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}

/// A page that asks for one tap: check in with the code of the QR code's link, or withdraw
/// from the reminder's link.
#[derive(Template)]
#[template(path = "console/confirm.html")]
pub struct ConfirmPage {
    c: Chrome,
    title: &'static str,
    text: &'static str,
    action: String,
    button: &'static str,
    /// The code field (check-in), pre-filled from the link.
    code: Option<String>,
    back: String,
    danger: bool,
}

async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    raw_id: String,
    check_in: bool,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let access = match access_of(&state, &req, &signed, &raw_id).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    if let Err(err) = access.member() {
        return error_page(&req, Some(signed.nav()), &err);
    }
    let t = i18n::text(signed.lang);
    let id = access.order.id;
    let page = if check_in {
        ConfirmPage {
            c: signed.chrome(&req, "activities"),
            title: t.checkin_title,
            text: t.checkin_text,
            action: format!("/console/activities/{id}/check-in"),
            button: t.act_check_in,
            code: Some(query(&req).remove("code").unwrap_or_default()),
            back: format!("/console/activities/{id}"),
            danger: false,
        }
    } else {
        ConfirmPage {
            c: signed.chrome(&req, "activities"),
            title: t.withdraw_title,
            text: t.withdraw_text,
            action: format!("/console/activities/{id}/withdraw"),
            button: t.act_withdraw,
            code: None,
            back: format!("/console/activities/{id}"),
            danger: true,
        }
    };
    let mut builder = page_builder(&signed, &req, StatusCode::OK);
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    render(builder, &page)
}

/// `GET /console/activities/{order_id}/check-in?code=`: the QR code's link.
pub async fn show_check_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    confirm(state, req, path.into_inner(), true).await
}

/// `GET /console/activities/{order_id}/withdraw`: the reminder's link.
pub async fn show_withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    confirm(state, req, path.into_inner(), false).await
}
