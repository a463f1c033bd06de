//! Exports for the association: `/reports/{volunteers|hours|indicators}.{csv|xlsx}`.

use actix_web::{HttpResponse, get, web};
use std::collections::HashMap;

use crate::error::{ApiResult, Problem};
use crate::extract::Caller;
use crate::service::actors::require_admin;
use crate::service::export;
use crate::state::AppState;

/// An export (association only): Chinese headers, ID numbers and phones masked; CSV in UTF-8
/// with a byte-order mark, or `.xlsx` with numbers and dates typed. `indicators` takes the
/// `township` and `year` filters of `/stats/indicators`.
#[utoipa::path(tag = "stats",
    params(("report" = String, Path, description = "`volunteers`, `hours` or `indicators`"),
        ("format" = String, Path, description = "`csv` or `xlsx`"),
        super::stats::StatsQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "the file", content_type = "text/csv", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
#[get("/reports/{report:[a-z]+}.{format:[a-z]+}")]
pub async fn export_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let (report, format) = path.into_inner();
    Ok(crate::web::download(
        export::export(&state, &report, &format, &query).await?,
    ))
}
