//! `/console/orders`: the caller's queue, as `service::orders::list` scopes it for the API
//! (a station's orders, a department's, a team's claimable and own, all for the
//! association), earliest deadline first — so overdue orders come first, highlighted — with
//! filters as a plain GET form, keyset pages and the count per state. Station staff select
//! several new orders and dispatch them to one department at once (`/console/orders/dispatch`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::order::{Actor, OrderState};
use std::collections::HashMap;
use uuid::Uuid;

use super::i18n::{self, Lang};
use super::names::Names;
use super::page::{Chrome, Posted, error_page, local_time};
use super::session::{Signed, page_builder, signed_in};
use crate::error::ApiError;
use crate::paging::Page;
use crate::service::orders::triage::counts_by_state;
use crate::service::orders::{self as svc, ActionInput, OrderFilter, OrderSort};
use crate::state::AppState;
use crate::web::{render, see_other};

/// Orders per page.
const PAGE_SIZE: u64 = 25;

/// One line of the queue.
#[derive(Debug)]
pub struct Row {
    id: Uuid,
    code: String,
    state_label: &'static str,
    theme: String,
    place: String,
    description: String,
    due: Option<String>,
    overdue: bool,
    /// Whether it can be chosen for bulk dispatch (a new order, for station staff).
    selectable: bool,
    version: i64,
}

/// One state's count, linking to the queue narrowed to it.
#[derive(Debug)]
pub struct Count {
    label: &'static str,
    n: u64,
    href: String,
    current: bool,
}

/// The queue page.
#[derive(Template)]
#[template(path = "console/queue.html")]
pub struct QueuePage {
    c: Chrome,
    names: Names,
    rows: Vec<Row>,
    counts: Vec<Count>,
    states: Vec<(&'static str, &'static str)>,
    state: String,
    theme: String,
    township: String,
    overdue: bool,
    next_href: Option<String>,
    first_href: Option<String>,
    bulk: bool,
    notice: Option<String>,
}

impl QueuePage {
    /// Whether the state filter is `code`.
    fn is_state(&self, code: &str) -> bool {
        self.state == code
    }
}

/// The filters of a queue URL.
#[derive(Debug, Default)]
struct Filters {
    state: Option<OrderState>,
    theme: Option<String>,
    township: Option<String>,
    overdue: bool,
}

impl Filters {
    fn of(q: &HashMap<String, String>) -> Self {
        let text = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Self {
            state: text("state").and_then(|s| s.parse().ok()),
            theme: text("theme"),
            township: text("township"),
            overdue: matches!(
                q.get("overdue").map(String::as_str),
                Some("1" | "on" | "true")
            ),
        }
    }

    /// The query string of these filters, with `extra` pairs.
    fn query(&self, state: Option<OrderState>, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(s) = state {
            pairs.push(("state", s.as_str().to_owned()));
        }
        if let Some(t) = &self.theme {
            pairs.push(("theme", t.clone()));
        }
        if let Some(t) = &self.township {
            pairs.push(("township", t.clone()));
        }
        if self.overdue {
            pairs.push(("overdue", "1".into()));
        }
        for (k, v) in extra {
            pairs.push((k, (*v).to_owned()));
        }
        let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if q.is_empty() {
            "/console/orders".into()
        } else {
            format!("/console/orders?{q}")
        }
    }
}

fn shorten(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if text.chars().count() > chars {
        out.push('…');
    }
    out
}

/// Whether `actor` dispatches (station staff, the association).
fn dispatches(actor: &Actor) -> bool {
    matches!(actor, Actor::StationStaff { .. } | Actor::AssociationAdmin)
}

/// `GET /console/orders`.
pub async fn show_queue(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !signed.handles_orders() {
        return signed.forbidden(&req);
    }
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let notice = q.get("done").and_then(|d| {
        let (done, failed) = d.split_once('-')?;
        Some(i18n::bulk_outcome(
            signed.lang,
            done.parse().ok()?,
            failed.parse().ok()?,
        ))
    });
    match queue_page(&state, &req, &signed, &q, notice).await {
        Ok(page) => page,
        // A cursor that no longer reads (edited by hand, or from another sort) starts over.
        Err(ApiError::Validation(_)) => see_other("/console/orders").finish(),
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}

async fn queue_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    q: &HashMap<String, String>,
    notice: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let lang = signed.lang;
    let actor = &signed.acting.actor;
    let f = Filters::of(q);
    let filter = OrderFilter {
        state: f.state,
        theme: f.theme.clone(),
        township: f.township.clone(),
        overdue: f.overdue.then_some(true),
        sort: OrderSort::DueAt,
    };
    let page = Page {
        limit: PAGE_SIZE,
        cursor: q.get("cursor").filter(|c| !c.is_empty()).cloned(),
    };
    let now = state.now();
    let listed = svc::list(&state.db, actor, &filter, &page, now).await?;
    let counts = counts_by_state(&state.db, actor, &filter, now).await?;
    let names = Names::load(state, lang).await?;
    let bulk = dispatches(actor);
    let rows = listed
        .items
        .into_iter()
        .map(|o| Row {
            selectable: bulk && o.state == OrderState::Submitted,
            state_label: lang.state(o.state),
            theme: names.theme(&o.theme),
            place: names.place(&o.township, o.village),
            description: shorten(&o.description, 60),
            due: o.due_at.map(|d| local_time(state, d)),
            overdue: o.overdue,
            code: o.tracking_code,
            id: o.id,
            version: o.version,
        })
        .collect::<Vec<_>>();
    let bulk = bulk && rows.iter().any(|r| r.selectable);
    let counts = OrderState::ALL
        .into_iter()
        .filter_map(|s| {
            counts.get(&s).map(|n| Count {
                label: lang.state(s),
                n: *n,
                href: f.query(Some(s), &[]),
                current: f.state == Some(s),
            })
        })
        .collect();
    let next_href = listed
        .next_cursor
        .as_deref()
        .map(|c| f.query(f.state, &[("cursor", c)]));
    let first_href = page.cursor.as_ref().map(|_| f.query(f.state, &[]));
    let page = QueuePage {
        c: signed.chrome(req, "orders"),
        states: OrderState::ALL
            .into_iter()
            .map(|s| (s.as_str(), lang.state(s)))
            .collect(),
        state: f.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        theme: f.theme.clone().unwrap_or_default(),
        township: f.township.clone().unwrap_or_default(),
        overdue: f.overdue,
        names,
        rows,
        counts,
        next_href,
        first_href,
        bulk,
        notice,
    };
    Ok(render(page_builder(signed, req, StatusCode::OK), &page))
}

/// `POST /console/orders/dispatch`: dispatches every selected order (`order` = `id.version`)
/// to one department, each through `service::orders::act` with its version as `If-Match`, so
/// an order someone else moved meanwhile is left alone. Answers with the queue and a count
/// of what went through.
pub async fn post_bulk_dispatch(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !dispatches(&signed.acting.actor) {
        return signed.forbidden(&req);
    }
    let posted = Posted::new(form.into_inner());
    let lang: Lang = signed.lang;
    let t = i18n::text(lang);
    let back = |notice: &str, status: StatusCode| {
        let q = HashMap::new();
        let notice = notice.to_owned();
        let (state, req) = (state.clone(), req.clone());
        let signed = &signed;
        async move {
            match queue_page(&state, &req, signed, &q, Some(notice)).await {
                Ok(mut page) => {
                    *page.status_mut() = status;
                    page
                }
                Err(err) => error_page(&req, Some(signed.nav()), &err),
            }
        }
    };
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        return back(t.expired_form, StatusCode::FORBIDDEN).await;
    }
    let selected: Vec<(Uuid, i64)> = posted
        .all("order")
        .into_iter()
        .filter_map(|v| {
            let (id, version) = v.split_once('.')?;
            Some((Uuid::parse_str(id).ok()?, version.parse().ok()?))
        })
        .collect();
    if selected.is_empty() {
        return back(t.bulk_none, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let Some(department) = posted
        .filled("department_id")
        .and_then(|d| Uuid::parse_str(&d).ok())
    else {
        return back(
            &i18n::field_message(lang, "department_id", "请选择部门"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let (mut done, mut failed) = (0, 0);
    for (id, version) in selected {
        let input = ActionInput::Dispatch {
            department_id: department.into(),
            note: None,
        };
        match svc::act(&state, &signed.acting, id, input, Some(version)).await {
            Ok(_) => done += 1,
            Err(ApiError::Validation(_)) if done == 0 && failed == 0 => {
                // The department itself is refused: every other order would be too.
                return back(
                    &i18n::field_message(lang, "department_id", "没有这个部门"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            Err(err) if actix_web::ResponseError::status_code(&err).is_server_error() => {
                return error_page(&req, Some(signed.nav()), &err);
            }
            Err(_) => failed += 1,
        }
    }
    see_other(&format!("/console/orders?done={done}-{failed}")).finish()
}
