//! The association's figures: running totals kept in the transaction of every change that moves
//! them (`stat_totals`, `volunteer_years`, the volunteers' own sums), read without touching the
//! ledger, and recomputed from the ledger to prove there is no drift.

mod monthly;
mod read;
mod verify;

use chrono::Datelike;
use kepu_domain::stats::{Deltas, TotalKey, activity_change, month_key};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::entity::{stat_totals, townships, volunteer_years, volunteers};
use crate::error::ApiResult;

pub use monthly::{MonthFigures, StageFigures, WAITING_STAGES, monthly_stats, waiting_orders};
pub use read::{
    IndicatorFigure, IndicatorStats, TownshipFigures, VolunteerStats, indicator_stats,
    volunteer_stats,
};
pub use verify::{Drift, ensure_built, rebuild, recompute, verify};

/// Adds `deltas` to the counters, inside the caller's transaction. Keys come sorted, so
/// concurrent transactions lock counter rows in one order.
pub async fn apply(db: &impl ConnectionTrait, deltas: &Deltas) -> ApiResult<()> {
    // One statement for the counters (for up to 1,000 of them; an import may move more): its
    // rows are in key order, the order their locks are taken in, and each key appears once, as
    // ON CONFLICT may touch a row only once per statement.
    let rows: Vec<_> = deltas.iter().map(|(key, n)| row(key, n)).collect();
    for chunk in rows.chunks(1_000) {
        stat_totals::Entity::insert_many(chunk.iter().cloned())
            .on_conflict(
                OnConflict::columns([
                    stat_totals::Column::Metric,
                    stat_totals::Column::TownshipCode,
                    stat_totals::Column::Year,
                    stat_totals::Column::ThemeCode,
                    stat_totals::Column::TargetGroupCode,
                ])
                .value(
                    stat_totals::Column::Value,
                    Expr::cust("stat_totals.value + excluded.value"),
                )
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn row(key: &TotalKey, value: i64) -> stat_totals::ActiveModel {
    stat_totals::ActiveModel {
        metric: Set(key.metric.as_str().to_owned()),
        township_code: Set(key.township.clone()),
        year: Set(key.year),
        theme_code: Set(key.theme.clone()),
        target_group_code: Set(key.target_group.clone()),
        value: Set(value),
    }
}

/// Moves a volunteer's confirmed hours served on `served_on` by `halves` (negative for a
/// reversal) and records what that changes: their year row, the hours counters of the year and
/// of the month and, when the year's sum crosses zero, the active-volunteer counter.
pub async fn confirmed_hours_moved(
    db: &impl ConnectionTrait,
    volunteer: &volunteers::Model,
    served_on: chrono::NaiveDate,
    halves: i64,
    deltas: &mut Deltas,
) -> ApiResult<()> {
    let year = year(served_on);
    volunteer_years::Entity::insert(volunteer_years::ActiveModel {
        volunteer_id: Set(volunteer.id),
        year: Set(year),
        confirmed_halves: Set(halves),
    })
    .on_conflict(
        OnConflict::columns([
            volunteer_years::Column::VolunteerId,
            volunteer_years::Column::Year,
        ])
        .value(
            volunteer_years::Column::ConfirmedHalves,
            Expr::cust("volunteer_years.confirmed_halves + excluded.confirmed_halves"),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    // The upsert holds the row, so this read sees the sum it produced.
    let after = volunteer_years::Entity::find_by_id((volunteer.id, year))
        .one(db)
        .await?
        .map_or(0, |row| row.confirmed_halves);
    deltas.confirmed(&volunteer.township_code, year, halves);
    deltas.confirmed_in_month(&volunteer.township_code, month_key(served_on), halves);
    deltas.active(
        &volunteer.township_code,
        year,
        activity_change(after - halves, after),
    );
    Ok(())
}

/// A checked `?township=&year=` of the figures.
#[derive(Debug, Clone)]
pub struct Scope {
    /// A known township code, if filtered.
    pub township: Option<String>,
    /// The year asked about.
    pub year: i32,
}

/// Checks the filters of the figures (the API's and the dashboard's): the township must exist,
/// the year be 1900–9999; no year means this year in the deployment's time zone.
pub async fn scope(
    state: &crate::state::AppState,
    q: &std::collections::HashMap<String, String>,
) -> ApiResult<Scope> {
    let mut p = crate::error::Problems::new();
    let township = match q.get("township").filter(|t| !t.is_empty()) {
        Some(code) => {
            if townships::Entity::find_by_id(code.clone())
                .one(&state.db)
                .await?
                .is_none()
            {
                p.add("township", "没有这个苏木镇");
            }
            Some(code.clone())
        }
        None => None,
    };
    let year = match q.get("year").filter(|y| !y.is_empty()) {
        Some(raw) => p.check(
            "year",
            raw.parse::<i32>()
                .ok()
                .filter(|y| (1900..=9999).contains(y))
                .ok_or("须为四位年份"),
        ),
        None => Some(state.today().year()),
    };
    p.finish(|| {
        Some(Scope {
            township,
            year: year?,
        })
    })
}

/// The year a date falls in (the counters' year).
pub fn year(date: chrono::NaiveDate) -> i32 {
    date.year()
}
