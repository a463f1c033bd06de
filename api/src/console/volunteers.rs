//! `/console/volunteers`: the association's review queue. What each applicant entered (the ID
//! number masked as the API masks it), several approved at once, one rejected or suspended with
//! a reason; every decision goes through `service::people::review_volunteer`, as
//! `POST /api/v1/volunteers/{id}/approve`, `/reject` and `/suspend` do.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::Role;
use kepu_domain::value::Reason;
use kepu_domain::volunteer::{Review, VolunteerState};
use std::collections::HashMap;
use uuid::Uuid;

use super::i18n::{self, Lang};
use super::page::{Chrome, Posted, error_page, local_time};
use super::session::{Signed, page_builder, signed_in};
use crate::error::ApiError;
use crate::paging::Page;
use crate::service::people::{self, VolunteerView};
use crate::service::reference;
use crate::state::AppState;
use crate::web::{render, see_other};

/// One volunteer as the queue shows them.
pub struct Row {
    id: Uuid,
    name: String,
    phone: String,
    township: String,
    skills: String,
    id_number: String,
    registered: String,
    reason: String,
}

/// A state's tab.
pub struct Tab {
    code: &'static str,
    label: &'static str,
    current: bool,
}

/// The review queue.
#[derive(Template)]
#[template(path = "console/volunteers.html")]
pub struct VolunteersPage {
    c: Chrome,
    tabs: Vec<Tab>,
    state: &'static str,
    rows: Vec<Row>,
    next_href: Option<String>,
    notice: Option<(String, bool)>,
    /// The row whose reason was refused, with the message and what was typed.
    refused: Option<(Uuid, String, String)>,
    /// Whether ticked rows can be approved (pending) or reinstated (suspended).
    bulk: Option<&'static str>,
    /// The one-by-one action of this state (`reject`, `suspend`).
    single: Option<&'static str>,
}

impl VolunteersPage {
    /// Whether the one-by-one action is a rejection (otherwise a suspension).
    fn is_reject(&self) -> bool {
        self.single == Some("reject")
    }

    /// The message and typed reason of `id`'s form, when it was refused.
    fn refused_of(&self, id: &Uuid) -> Option<(&str, &str)> {
        self.refused
            .as_ref()
            .filter(|(r, _, _)| r == id)
            .map(|(_, m, typed)| (m.as_str(), typed.as_str()))
    }
}

const STATES: [VolunteerState; 4] = [
    VolunteerState::Pending,
    VolunteerState::Approved,
    VolunteerState::Suspended,
    VolunteerState::Rejected,
];

fn state_label(lang: Lang, s: VolunteerState) -> &'static str {
    let t = i18n::text(lang);
    match s {
        VolunteerState::Pending => t.vs_pending,
        VolunteerState::Approved => t.vs_approved,
        VolunteerState::Rejected => t.vs_rejected,
        VolunteerState::Suspended => t.vs_suspended,
    }
}

/// The page's answer to a user who is not the association.
fn association(signed: &Signed, req: &HttpRequest) -> Option<HttpResponse> {
    (signed.role() != Role::AssociationAdmin).then(|| signed.forbidden(req))
}

struct View {
    state: VolunteerState,
    cursor: Option<String>,
    status: StatusCode,
    notice: Option<(String, bool)>,
    refused: Option<(Uuid, String, String)>,
}

async fn volunteers_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    view: View,
) -> HttpResponse {
    let lang = signed.lang;
    let page = Page {
        limit: 50,
        cursor: view.cursor,
    };
    let found = async {
        let listed = people::list_volunteers(&state.db, Some(view.state), &page).await?;
        let towns = reference::township_names(&state.db).await?;
        Ok::<_, ApiError>((listed, towns))
    };
    let (listed, towns) = match found.await {
        Ok(f) => f,
        Err(ApiError::Validation(_)) => return see_other("/console/volunteers").finish(),
        Err(err) => return error_page(req, Some(signed.nav()), &err),
    };
    let township = |code: &str| {
        towns.iter().find(|c| c.code == code).map_or_else(
            || code.to_owned(),
            |c| match (lang, &c.name_en) {
                (Lang::En, Some(en)) if !en.is_empty() => en.clone(),
                _ => c.name_zh.clone(),
            },
        )
    };
    let row = |v: VolunteerView| Row {
        id: v.id,
        township: township(&v.township),
        name: v.real_name,
        phone: v.phone,
        skills: v.skills,
        id_number: v.id_number.unwrap_or_default(),
        registered: local_time(state, v.created_at),
        reason: v.review_reason.unwrap_or_default(),
    };
    let code = view.state.as_str();
    let body = VolunteersPage {
        c: signed.chrome(req, "volunteers"),
        tabs: STATES
            .iter()
            .map(|s| Tab {
                code: s.as_str(),
                label: state_label(lang, *s),
                current: *s == view.state,
            })
            .collect(),
        state: code,
        next_href: listed.next_cursor.map(|c| {
            format!(
                "/console/volunteers?{}",
                serde_urlencoded::to_string([("state", code.to_owned()), ("cursor", c)])
                    .unwrap_or_default()
            )
        }),
        rows: listed.items.into_iter().map(row).collect(),
        notice: view.notice,
        refused: view.refused,
        bulk: match view.state {
            VolunteerState::Pending => Some(i18n::text(lang).approve_selected),
            VolunteerState::Suspended => Some(i18n::text(lang).reinstate_selected),
            _ => None,
        },
        single: match view.state {
            VolunteerState::Pending => Some("reject"),
            VolunteerState::Approved => Some("suspend"),
            _ => None,
        },
    };
    render(page_builder(signed, req, view.status), &body)
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn parse_state(raw: Option<&str>) -> VolunteerState {
    raw.and_then(|s| s.parse().ok())
        .unwrap_or(VolunteerState::Pending)
}

/// `GET /console/volunteers?state=&cursor=`.
pub async fn show_volunteers(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Some(refusal) = association(&signed, &req) {
        return refusal;
    }
    let q = query(&req);
    let notice = q.get("done").and_then(|d| {
        let (done, failed) = d.split_once('-')?;
        Some((
            i18n::bulk_outcome(signed.lang, done.parse().ok()?, failed.parse().ok()?),
            false,
        ))
    });
    let view = View {
        state: parse_state(q.get("state").map(String::as_str)),
        cursor: q.get("cursor").filter(|c| !c.is_empty()).cloned(),
        status: StatusCode::OK,
        notice,
        refused: None,
    };
    volunteers_page(&state, &req, &signed, view).await
}

/// Applies `review` to `id` through the API's service function; a 5xx stops the page.
async fn review(
    state: &AppState,
    id: Uuid,
    review: Review,
    reason: Option<String>,
) -> Result<bool, ApiError> {
    match people::review_volunteer(&state.db, &state.settings, id, review, reason, state.now())
        .await
    {
        Ok(_) => Ok(true),
        Err(err) if actix_web::ResponseError::status_code(&err).is_server_error() => Err(err),
        Err(_) => Ok(false),
    }
}

/// `POST /console/volunteers/approve`: approves (or, from `suspended`, reinstates) every
/// ticked `volunteer`; `state` is the list to return to.
pub async fn post_approve(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Some(refusal) = association(&signed, &req) {
        return refusal;
    }
    let posted = Posted::new(form.into_inner());
    let list = parse_state(posted.get("state"));
    let t = i18n::text(signed.lang);
    let refuse = |status, notice: &str| View {
        state: list,
        cursor: None,
        status,
        notice: Some((notice.to_owned(), true)),
        refused: None,
    };
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        let view = refuse(StatusCode::FORBIDDEN, t.expired_form);
        return volunteers_page(&state, &req, &signed, view).await;
    }
    let ids: Vec<Uuid> = posted
        .all("volunteer")
        .into_iter()
        .filter_map(|i| Uuid::parse_str(i).ok())
        .collect();
    if ids.is_empty() {
        let view = refuse(StatusCode::UNPROCESSABLE_ENTITY, t.vol_none_selected);
        return volunteers_page(&state, &req, &signed, view).await;
    }
    let (mut done, mut failed) = (0, 0);
    for id in ids {
        match review(&state, id, Review::Approve, None).await {
            Ok(true) => done += 1,
            Ok(false) => failed += 1,
            Err(err) => return error_page(&req, Some(signed.nav()), &err),
        }
    }
    see_other(&format!(
        "/console/volunteers?state={}&done={done}-{failed}",
        list.as_str()
    ))
    .finish()
}

/// `POST /console/volunteers/{id}/{reject|suspend}` with a required `reason`.
pub async fn post_single(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Some(refusal) = association(&signed, &req) {
        return refusal;
    }
    let (raw_id, action) = path.into_inner();
    let (which, list) = match action.as_str() {
        "reject" => (Review::Reject, VolunteerState::Pending),
        "suspend" => (Review::Suspend, VolunteerState::Approved),
        _ => return error_page(&req, Some(signed.nav()), &ApiError::NotFound),
    };
    let Ok(id) = Uuid::parse_str(&raw_id) else {
        return error_page(&req, Some(signed.nav()), &ApiError::NotFound);
    };
    let lang = signed.lang;
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    let typed = posted.get("reason").unwrap_or("").to_owned();
    let again = |status, notice: Option<&str>, message: String| View {
        state: list,
        cursor: None,
        status,
        notice: notice.map(|n| (n.to_owned(), true)),
        refused: Some((id, message, typed.clone())),
    };
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        let view = again(StatusCode::FORBIDDEN, Some(t.expired_form), String::new());
        return volunteers_page(&state, &req, &signed, view).await;
    }
    let reason = match posted.filled("reason") {
        None => Err(i18n::field_message(lang, "reason", "必填")),
        Some(r) => Reason::parse(&r)
            .map(Reason::into_inner)
            .map_err(|e| i18n::field_message(lang, "reason", &e.to_string())),
    };
    let reason = match reason {
        Ok(r) => r,
        Err(message) => {
            let view = again(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(t.fix_errors),
                message,
            );
            return volunteers_page(&state, &req, &signed, view).await;
        }
    };
    match review(&state, id, which, Some(reason)).await {
        Ok(ok) => see_other(&format!(
            "/console/volunteers?state={}&done={}-{}",
            list.as_str(),
            usize::from(ok),
            usize::from(!ok)
        ))
        .finish(),
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
