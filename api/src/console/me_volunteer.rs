//! The volunteer's forms on `/console/me`: team invitations accepted or declined
//! (`service::membership::answer`, as `POST /api/v1/me/invitations/{id}/accept` does), and the
//! private calendar link (`service::activities::mine::new_calendar_url`, as
//! `POST /api/v1/me/calendar`), shown once in the answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::i18n;
use super::me::{Shown, me_page};
use super::mine::volunteer_id;
use super::page::{Posted, error_page};
use super::session::signed_in;
use crate::error::ApiError;
use crate::service::activities::mine;
use crate::service::membership;
use crate::state::AppState;
use crate::web::see_other;

/// `POST /console/me/invitations/{id}/{answer}` (`accept` or `decline`): the volunteer's
/// answer to an invitation of theirs.
pub async fn post_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(volunteer) = volunteer_id(&signed) else {
        return signed.forbidden(&req);
    };
    let (raw_id, answer) = path.into_inner();
    let accept = match answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return error_page(&req, Some(signed.nav()), &ApiError::NotFound),
    };
    let Ok(id) = Uuid::parse_str(&raw_id) else {
        return error_page(&req, Some(signed.nav()), &ApiError::NotFound);
    };
    let t = i18n::text(signed.lang);
    let posted = Posted::new(form.into_inner());
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        return me_page(
            &state,
            &req,
            &signed,
            Shown::alert(StatusCode::FORBIDDEN, t.expired_form),
        )
        .await;
    }
    match membership::answer(&state.db, volunteer, id, accept, state.now()).await {
        Ok(_) => see_other(if accept {
            "/console/me?inv=accepted"
        } else {
            "/console/me?inv=declined"
        })
        .finish(),
        Err(ApiError::Conflict { code, .. }) => {
            let notice = if code == "volunteer.not_approved" {
                t.inv_not_approved
            } else {
                t.inv_answered
            };
            me_page(
                &state,
                &req,
                &signed,
                Shown::alert(StatusCode::CONFLICT, notice),
            )
            .await
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}

/// `POST /console/me/calendar`: a new private calendar link, shown once in the answer (the
/// old one stops working).
pub async fn post_calendar(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(volunteer) = volunteer_id(&signed) else {
        return signed.forbidden(&req);
    };
    let t = i18n::text(signed.lang);
    let posted = Posted::new(form.into_inner());
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        return me_page(
            &state,
            &req,
            &signed,
            Shown::alert(StatusCode::FORBIDDEN, t.expired_form),
        )
        .await;
    }
    match mine::new_calendar_url(&state, volunteer).await {
        Ok(url) => {
            let mut shown = Shown::info(t.cal_new);
            shown.calendar_url = Some(url);
            let mut page = me_page(&state, &req, &signed, shown).await;
            page.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            page
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
