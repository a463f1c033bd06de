//! `/console/hours`: the service records waiting for the department's (or the association's)
//! review, confirmed or disputed one by one or several at once, each through
//! `service::ledger::decide` exactly as `POST /api/v1/service-records/{id}/confirm` and
//! `/dispute` do.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::order::Actor;
use kepu_domain::value::Reason;
use std::collections::HashMap;
use uuid::Uuid;

use super::i18n;
use super::page::{Chrome, Posted, error_page};
use super::session::{Signed, page_builder, signed_in};
use crate::error::ApiError;
use crate::paging::Page;
use crate::service::ledger::{self, Decision};
use crate::service::review::{self, PendingRecord};
use crate::state::AppState;
use crate::web::{render, see_other};

/// The hours page.
#[derive(Template)]
#[template(path = "console/hours.html")]
pub struct HoursPage {
    c: Chrome,
    records: Vec<PendingRecord>,
    next_href: Option<String>,
    notice: Option<String>,
    alert: bool,
    reason: String,
    reason_error: Option<String>,
}

/// The department whose records `signed` reviews: `Some(None)` for the association (all),
/// `None` for roles that review no hours.
fn reviewer_scope(signed: &Signed) -> Option<Option<Uuid>> {
    match signed.acting.actor {
        Actor::DepartmentStaff { department_id } => Some(Some(department_id.0)),
        Actor::AssociationAdmin => Some(None),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments, reason = "one page with its refused form")]
async fn hours_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    department: Option<Uuid>,
    cursor: Option<String>,
    status: StatusCode,
    notice: Option<(String, bool)>,
    reason: (String, Option<String>),
) -> HttpResponse {
    let page = Page { limit: 50, cursor };
    let records = match review::pending(&state.db, department, &page).await {
        Ok(r) => r,
        Err(ApiError::Validation(_)) => return see_other("/console/hours").finish(),
        Err(err) => return error_page(req, Some(signed.nav()), &err),
    };
    let (notice, alert) = match notice {
        Some((n, a)) => (Some(n), a),
        None => (None, false),
    };
    let body = HoursPage {
        c: signed.chrome(req, "hours"),
        next_href: records.next_cursor.map(|c| {
            format!(
                "/console/hours?{}",
                serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()
            )
        }),
        records: records.items,
        notice,
        alert,
        reason: reason.0,
        reason_error: reason.1,
    };
    render(page_builder(signed, req, status), &body)
}

/// `GET /console/hours`.
pub async fn show_hours(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(department) = reviewer_scope(&signed) else {
        return signed.forbidden(&req);
    };
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let notice = q.get("done").and_then(|d| {
        let (done, failed) = d.split_once('-')?;
        Some((
            i18n::bulk_outcome(signed.lang, done.parse().ok()?, failed.parse().ok()?),
            false,
        ))
    });
    let cursor = q.get("cursor").filter(|c| !c.is_empty()).cloned();
    hours_page(
        &state,
        &req,
        &signed,
        department,
        cursor,
        StatusCode::OK,
        notice,
        (String::new(), None),
    )
    .await
}

/// `POST /console/hours`: `only=<id>` confirms that one record; otherwise `decision`
/// (`confirm` or `dispute`, the latter with a `reason`) applies to every ticked `record`.
pub async fn post_hours(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(department) = reviewer_scope(&signed) else {
        return signed.forbidden(&req);
    };
    let lang = signed.lang;
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    let typed_reason = posted.get("reason").unwrap_or("").to_owned();
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        let notice = Some((t.expired_form.to_owned(), true));
        return hours_page(
            &state,
            &req,
            &signed,
            department,
            None,
            StatusCode::FORBIDDEN,
            notice,
            (typed_reason, None),
        )
        .await;
    }
    let (ids, decision) = match posted.get("only") {
        Some(one) => (vec![one], Ok(Decision::Confirm)),
        None => {
            let decision = match posted.get("decision") {
                Some("dispute") => match posted.filled("reason") {
                    None => Err(i18n::field_message(lang, "reason", "必填")),
                    Some(r) => Reason::parse(&r)
                        .map(|r| Decision::Dispute {
                            reason: r.into_inner(),
                        })
                        .map_err(|e| i18n::field_message(lang, "reason", &e.to_string())),
                },
                _ => Ok(Decision::Confirm),
            };
            (posted.all("record"), decision)
        }
    };
    let decision = match decision {
        Ok(d) => d,
        Err(message) => {
            let notice = Some((t.fix_errors.to_owned(), true));
            return hours_page(
                &state,
                &req,
                &signed,
                department,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
                (typed_reason, Some(message)),
            )
            .await;
        }
    };
    let ids: Vec<Uuid> = ids
        .into_iter()
        .filter_map(|i| Uuid::parse_str(i).ok())
        .collect();
    if ids.is_empty() {
        let notice = Some((i18n::bulk_outcome(lang, 0, 0), true));
        return hours_page(
            &state,
            &req,
            &signed,
            department,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            notice,
            (typed_reason, None),
        )
        .await;
    }
    let (mut done, mut failed) = (0, 0);
    for id in ids {
        match ledger::decide(&state, &signed.acting, id, decision.clone()).await {
            Ok(_) => done += 1,
            Err(err) if actix_web::ResponseError::status_code(&err).is_server_error() => {
                return error_page(&req, Some(signed.nav()), &err);
            }
            Err(_) => failed += 1,
        }
    }
    see_other(&format!("/console/hours?done={done}-{failed}")).finish()
}
