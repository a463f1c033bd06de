//! `/console/admin/mail`: messages the outbox parked after repeated failures, each sent again
//! through `service::mail::retry`, as `POST /api/v1/notifications/{id}/retry` does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::super::i18n;
use super::super::page::{Chrome, local_time};
use super::super::session::{Signed, page_builder};
use super::{association, failed, fatal, genuine, query};
use crate::error::ApiError;
use crate::notify::outbox::PARKED;
use crate::paging::Page;
use crate::service::mail;
use crate::state::AppState;
use crate::web::{render, see_other};

/// One parked message.
pub struct Row {
    id: Uuid,
    recipient: String,
    subject: String,
    attempts: i32,
    error: String,
    created: String,
}

/// The parked mail.
#[derive(Template)]
#[template(path = "console/admin/mail.html")]
pub struct MailPage {
    c: Chrome,
    rows: Vec<Row>,
    next_href: Option<String>,
    notice: Option<(String, bool)>,
}

async fn mail_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    status: StatusCode,
    notice: Option<(String, bool)>,
) -> HttpResponse {
    let q = query(req);
    let page = Page {
        limit: 50,
        cursor: q.get("cursor").filter(|c| !c.is_empty()).cloned(),
    };
    let listed = match mail::list(&state.db, Some(PARKED), None, &page).await {
        Ok(l) => l,
        Err(ApiError::Validation(_)) => return see_other("/console/admin/mail").finish(),
        Err(err) => return failed(req, signed, &err),
    };
    let body = MailPage {
        c: signed.chrome(req, "admin"),
        next_href: listed.next_cursor.map(|c| {
            format!(
                "/console/admin/mail?{}",
                serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()
            )
        }),
        rows: listed
            .items
            .into_iter()
            .map(|n| Row {
                id: n.id,
                recipient: n.recipient,
                subject: n.subject,
                attempts: n.attempts,
                error: n.last_error.unwrap_or_default(),
                created: local_time(state, n.created_at),
            })
            .collect(),
        notice,
    };
    render(page_builder(signed, req, status), &body)
}

/// `GET /console/admin/mail`.
pub async fn show_mail(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let notice = query(&req)
        .get("done")
        .map(|_| (i18n::text(signed.lang).mail_retried.to_owned(), false));
    mail_page(&state, &req, &signed, StatusCode::OK, notice).await
}

/// `POST /console/admin/mail/{id}/retry`.
pub async fn post_retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let t = i18n::text(signed.lang);
    let (_, ok) = genuine(&signed, &req, form);
    if !ok {
        let notice = Some((t.expired_form.to_owned(), true));
        return mail_page(&state, &req, &signed, StatusCode::FORBIDDEN, notice).await;
    }
    let Ok(id) = Uuid::parse_str(&path) else {
        return failed(&req, &signed, &ApiError::NotFound);
    };
    match mail::retry(&state.db, id, state.now()).await {
        Ok(_) => see_other("/console/admin/mail?done=1").finish(),
        Err(err) if fatal(&err) || matches!(err, ApiError::NotFound) => failed(&req, &signed, &err),
        // Sent or queued meanwhile: the list shows how things are now.
        Err(_) => {
            let notice = Some((i18n::bulk_outcome(signed.lang, 0, 1), true));
            mail_page(&state, &req, &signed, StatusCode::CONFLICT, notice).await
        }
    }
}
