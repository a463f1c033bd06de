//! One export as a file: the report's table (`service::reports`) in CSV or `.xlsx`, with its
//! content type and file name. `GET /api/v1/reports/…` and the console's export links both
//! answer with this (as `web::download`).

use std::collections::HashMap;

use crate::error::{ApiError, ApiResult};
use crate::service::reports::{self, Report};
use crate::service::stats;
use crate::state::AppState;

/// A file to download.
#[derive(Debug)]
pub struct Export {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Its content type.
    pub content_type: &'static str,
    /// Its file name (`kepu-volunteers-20261206.csv`).
    pub filename: String,
}

/// The export `report` (`volunteers`, `hours`, `indicators`) in `format` (`csv`, `xlsx`);
/// `indicators` takes the figures' `township` and `year` filters of `query`. An unknown report
/// or format is `NotFound`; a bad filter a validation error.
pub async fn export(
    state: &AppState,
    report: &str,
    format: &str,
    query: &HashMap<String, String>,
) -> ApiResult<Export> {
    let report: Report = report.parse().map_err(|_| ApiError::NotFound)?;
    let xlsx = match format {
        "csv" => false,
        "xlsx" => true,
        _ => return Err(ApiError::NotFound),
    };
    let table = match report {
        Report::Volunteers => {
            reports::volunteers_table(
                &state.db,
                &state.settings.star_thresholds,
                state.settings.timezone,
            )
            .await?
        }
        Report::Hours => reports::hours_table(&state.db).await?,
        Report::Indicators => {
            let s = stats::scope(state, query).await?;
            reports::indicators_table(&state.db, s.township.as_deref(), s.year).await?
        }
    };
    let date = state.today().format("%Y%m%d");
    let (bytes, content_type, ext) = if xlsx {
        (
            reports::to_xlsx(&table).map_err(ApiError::Internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (
            reports::to_csv(&table).map_err(ApiError::Internal)?,
            "text/csv; charset=utf-8",
            "csv",
        )
    };
    Ok(Export {
        bytes,
        content_type,
        filename: format!("kepu-{}-{date}.{ext}", report.file_stem()),
    })
}
