//! The association's figures: progress toward the volunteer target and every plan indicator.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use std::collections::HashMap;

use crate::error::{ApiResult, Problem};
use crate::extract::Caller;
use crate::service::actors::require_admin;
use crate::service::stats::{self as svc, IndicatorStats, VolunteerStats};
use crate::state::AppState;

/// Filters of the figures.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Only this township (a township code).
    pub township: Option<String>,
    /// The year of "this year" figures (default: this year in the deployment's time zone).
    pub year: Option<String>,
}

pub use crate::service::stats::{Scope, scope};

/// Approved volunteers against the target, by township, with confirmed hours and the
/// volunteers active this year (association only). Reads running totals, never the ledger.
#[utoipa::path(tag = "stats", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, body = VolunteerStats), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
#[get("/stats/volunteers")]
pub async fn volunteer_stats(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let s = scope(&state, &query).await?;
    Ok(HttpResponse::Ok()
        .json(svc::volunteer_stats(&state.db, s.township.as_deref(), s.year).await?))
}

/// Every plan indicator with its target, unit, period and current value (association only).
#[utoipa::path(tag = "stats", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, body = IndicatorStats), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
#[get("/stats/indicators")]
pub async fn indicator_stats(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let s = scope(&state, &query).await?;
    Ok(HttpResponse::Ok()
        .json(svc::indicator_stats(&state.db, s.township.as_deref(), s.year).await?))
}
