//! `/console/admin/…`: the association's administration, each page a face of the same service
//! functions as the API: accounts (`service::people::create_user`, `service::users`), parked
//! mail (`service::mail`), stations, departments, teams and villages (`service::reference`).
//! Forms are checked by the API's own body checks (`routes::people::parse_user`,
//! `routes::reference::parse_*`), so the rules and messages are the API's.

mod mail;
mod reference;
mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::Role;
use std::collections::HashMap;

use super::page::{Chrome, Posted, error_page};
use super::session::{Signed, page_builder, signed_in};
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::render;

/// Registers the administration pages under `/console/admin`.
pub fn pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(show_index))
        .route("/admin/users", web::get().to(users::show_users))
        .route("/admin/users", web::post().to(users::post_create))
        .route(
            "/admin/users/{id}/{action}",
            web::post().to(users::post_action),
        )
        .route("/admin/mail", web::get().to(mail::show_mail))
        .route("/admin/mail/{id}/retry", web::post().to(mail::post_retry))
        .route("/admin/{kind}", web::get().to(reference::show_reference))
        .route("/admin/{kind}", web::post().to(reference::post_reference));
}

/// The signed-in association, or the page to answer instead (sign-in, 403).
pub(super) async fn association(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Signed, HttpResponse> {
    let signed = signed_in(state, req).await?;
    if signed.role() != Role::AssociationAdmin {
        return Err(signed.forbidden(req));
    }
    Ok(signed)
}

/// The posted form, or the 403 answer when its token is not genuine.
pub(super) fn genuine(
    signed: &Signed,
    req: &HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> (Posted, bool) {
    let posted = Posted::new(form.into_inner());
    let ok = signed.form_is_genuine(req, posted.get("csrf"));
    (posted, ok)
}

/// The query of `req`.
pub(super) fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

/// A 5xx stops the page; anything else is for the form to show.
pub(super) fn fatal(err: &ApiError) -> bool {
    actix_web::ResponseError::status_code(err).is_server_error()
}

/// The administration's index.
#[derive(Template)]
#[template(path = "console/admin/index.html")]
pub struct IndexPage {
    c: Chrome,
}

/// `GET /console/admin`.
pub async fn show_index(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let page = IndexPage {
        c: signed.chrome(&req, "admin"),
    };
    render(page_builder(&signed, &req, StatusCode::OK), &page)
}

/// The error page of a failed read.
pub(super) fn failed(req: &HttpRequest, signed: &Signed, err: &ApiError) -> HttpResponse {
    error_page(req, Some(signed.nav()), err)
}
