//! Exports for the association: `/reports/{volunteers|hours|indicators}.{csv|xlsx}`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use std::collections::HashMap;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Caller;
use crate::service::actors::require_admin;
use crate::service::reports::{self as svc, Report};
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
    let report: Report = report.parse().map_err(|_| ApiError::NotFound)?;
    let xlsx = match format.as_str() {
        "csv" => false,
        "xlsx" => true,
        _ => return Err(ApiError::NotFound),
    };
    let table = match report {
        Report::Volunteers => {
            svc::volunteers_table(
                &state.db,
                &state.settings.star_thresholds,
                state.settings.timezone,
            )
            .await?
        }
        Report::Hours => svc::hours_table(&state.db).await?,
        Report::Indicators => {
            let s = super::stats::scope(&state, &query).await?;
            svc::indicators_table(&state.db, s.township.as_deref(), s.year).await?
        }
    };
    let date = state.today().format("%Y%m%d");
    let (bytes, content_type, ext) = if xlsx {
        (
            svc::to_xlsx(&table).map_err(ApiError::Internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (
            svc::to_csv(&table).map_err(ApiError::Internal)?,
            "text/csv; charset=utf-8",
            "csv",
        )
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"kepu-{}-{date}.{ext}\"",
                report.file_stem()
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}
