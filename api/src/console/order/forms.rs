//! `POST /console/orders/{id}/{action}`: the form checked (CSRF), parsed, sent through
//! `service::orders::act` with the page's version as `If-Match`; a refusal shows the page
//! again with the form as it was typed and the messages beside its fields.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kepu_domain::order::{self, ActionKind};
use std::collections::HashMap;

use super::super::i18n::{self, Lang};
use super::super::page::{Posted, error_page, field_errors};
use super::super::session::signed_in;
use super::activity as order_activity;
use super::parse::{parse_input, parse_order_id, place_hours_errors};
use super::show::{Retry, Shown, order_page};
use crate::error::ApiError;
use crate::service::orders as svc;
use crate::state::AppState;
use crate::web::see_other;

/// `POST /console/orders/{id}/{action}`.
pub async fn post_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !signed.handles_orders() {
        return signed.forbidden(&req);
    }
    let (raw_id, raw_action) = path.into_inner();
    let kind = raw_action
        .parse::<ActionKind>()
        .ok()
        .filter(|k| !matches!(k, ActionKind::Submit | ActionKind::Rate));
    let (Some(id), Some(kind)) = (parse_order_id(&raw_id), kind) else {
        return error_page(&req, Some(signed.nav()), &ApiError::NotFound);
    };
    let lang: Lang = signed.lang;
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    let again = |status, notice, retry| {
        let shown = Shown {
            status,
            notice: Some(notice),
            alert: true,
            retry,
        };
        let (state, req, signed) = (state.clone(), req.clone(), &signed);
        async move {
            match order_page(&state, &req, signed, id, shown).await {
                Ok(page) => page,
                Err(err) => error_page(&req, Some(signed.nav()), &err),
            }
        }
    };
    let keep = |errors| Retry {
        action: kind.as_str().to_owned(),
        values: posted.values(),
        picks: posted
            .all("team_ids")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        errors,
    };
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        return again(StatusCode::FORBIDDEN, t.expired_form, keep(HashMap::new())).await;
    }
    let if_match = posted
        .get("version")
        .and_then(|v| v.trim().parse::<i64>().ok());
    let (input, sent) = parse_input(kind, &posted);
    let input = match input {
        Ok(input) => Ok(order_activity::attendance_or_typed(&state, &signed, id, input).await),
        Err(err) => Err(err),
    };
    let result = match input {
        Ok(input) => svc::act(&state, &signed.acting, id, input, if_match).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(changed) => {
            if order::can_view(&changed.facts, &signed.acting.actor) {
                see_other(&format!("/console/orders/{id}?done=1")).finish()
            } else {
                // Returned to the station: the department no longer sees it.
                see_other("/console/orders?done=1-0").finish()
            }
        }
        Err(err @ ApiError::Validation(_)) => {
            let errors = place_hours_errors(field_errors(lang, &err), &sent);
            again(StatusCode::UNPROCESSABLE_ENTITY, t.fix_errors, keep(errors)).await
        }
        Err(ApiError::Conflict { .. }) => {
            again(StatusCode::CONFLICT, t.stale, Retry::default()).await
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
