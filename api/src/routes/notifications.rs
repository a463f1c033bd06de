//! The mail outbox for administrators: list messages (above all the parked ones) and retry.

use actix_web::{HttpResponse, get, post, web};
use std::collections::HashMap;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::Caller;
use crate::notify::outbox;
use crate::paging::Page;
use crate::paging::Paged;
use crate::service::actors::require_admin;
use crate::service::mail::{self, NotificationView};
use crate::service::parse_id;
use crate::state::AppState;

/// Query of the message list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `pending`, `sent` or `parked`.
    pub state: Option<String>,
    /// Only messages about this order.
    pub order_id: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Outbox messages, newest first (association only). `?state=parked` lists what needs a
/// decision.
#[utoipa::path(tag = "notifications", params(NotificationQuery), security(("bearer" = [])),
    responses((status = 200, body = Paged<NotificationView>), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let mut p = Problems::new();
    let st = query.get("state").filter(|s| !s.is_empty()).and_then(|s| {
        p.check(
            "state",
            [outbox::PENDING, outbox::SENT, outbox::PARKED]
                .into_iter()
                .find(|known| *known == s.as_str())
                .ok_or("须为 pending、sent 或 parked"),
        )
    });
    let order_id = parse_id(
        &mut p,
        "order_id",
        query
            .get("order_id")
            .map(String::as_str)
            .filter(|s| !s.is_empty()),
    );
    let page = Page::from_query(&query, &mut p);
    let page = p.finish(|| page)?;
    Ok(HttpResponse::Ok().json(mail::list(&state.db, st, order_id, &page).await?))
}

/// Puts a parked message back in the queue, attempts reset (association only); 409 if it is
/// not parked.
#[utoipa::path(tag = "notifications", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = NotificationView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
#[post("/notifications/{id}/retry")]
pub async fn retry_notification(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(mail::retry(&state.db, id, state.now()).await?))
}
