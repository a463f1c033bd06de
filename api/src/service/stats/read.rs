//! Reading the figures: a few counter rows per township, never the ledger.

use kepu_domain::stats::{ALL_TOWNSHIPS, ALL_YEARS, IndicatorRule, Metric, OrderCell, progress};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::db::Db;
use crate::entity::{indicators, stat_totals};
use crate::error::ApiResult;

/// One township's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct TownshipFigures {
    /// Township code.
    pub township: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Approved volunteers registered there.
    pub approved: i64,
    /// Their confirmed hours, all years.
    pub confirmed_hours: f64,
    /// Of them, volunteers with confirmed hours in the year.
    pub active_this_year: i64,
}

/// Progress toward the registered-volunteer target.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerStats {
    /// Approved volunteers (in the township, when filtered).
    pub approved: i64,
    /// The `registered_volunteers` indicator's target (the whole deployment's).
    pub target: f64,
    /// `approved / target`, 0–1 (more once the target is passed), 4 decimals.
    pub progress: f64,
    /// Figures per township, in the reference order.
    pub by_township: Vec<TownshipFigures>,
    /// Confirmed hours, all years.
    pub confirmed_hours: f64,
    /// Volunteers with confirmed hours served in `year`.
    pub active_this_year: i64,
    /// The year of `active_this_year` (this year unless asked).
    pub year: i32,
    /// The township filter, if any.
    pub township: Option<String>,
}

/// Reads the volunteer figures: a few counter rows per township, never the ledger.
pub async fn volunteer_stats(
    db: &Db,
    township: Option<&str>,
    year: i32,
) -> ApiResult<VolunteerStats> {
    let b = db.get_database_backend();
    // One row per township: its three figures summed in the database, names joined.
    let (approved_m, hours_m, active_m) = (
        Metric::ApprovedVolunteers.as_str(),
        Metric::ConfirmedHalves.as_str(),
        Metric::ActiveVolunteers.as_str(),
    );
    let figure = |metric: &str, alias: &str| {
        format!(
            "CAST(COALESCE(SUM(CASE WHEN s.metric = '{metric}' THEN s.value END), 0) AS BIGINT) \
             AS {alias}"
        )
    };
    let select = format!(
        "{}, {}, {}",
        figure(approved_m, "approved"),
        figure(hours_m, "halves"),
        figure(active_m, "active")
    );
    let wanted = format!(
        "((s.metric IN ('{approved_m}', '{hours_m}') AND s.year = {ALL_YEARS}) \
         OR (s.metric = '{active_m}' AND s.year = {year}))"
    );
    let (filter, values): (String, Vec<sea_orm::Value>) = match township {
        Some(t) => (
            format!("WHERE t.code = {}", placeholder(b)),
            vec![t.to_owned().into()],
        ),
        None => (String::new(), vec![]),
    };
    let by_township = TownshipRow::find_by_statement(Statement::from_sql_and_values(
        b,
        format!(
            "SELECT t.code AS township, t.name_zh AS name_zh, {select} \
             FROM townships t LEFT JOIN stat_totals s ON s.township_code = t.code AND {wanted} \
             {filter} GROUP BY t.code, t.name_zh, t.position ORDER BY t.position, t.code"
        ),
        values,
    ))
    .all(db)
    .await?;
    let whole = TotalsRow::find_by_statement(Statement::from_sql_and_values(
        b,
        format!(
            "SELECT {select} FROM stat_totals s WHERE s.township_code = {} AND {wanted}",
            placeholder(b)
        ),
        vec![township.unwrap_or(ALL_TOWNSHIPS).to_owned().into()],
    ))
    .one(db)
    .await?
    .unwrap_or_default();
    let target = volunteer_target(db).await?;
    Ok(VolunteerStats {
        approved: whole.approved,
        target,
        progress: progress(whole.approved as f64, target),
        by_township: by_township
            .into_iter()
            .map(|t| TownshipFigures {
                township: t.township,
                name_zh: t.name_zh,
                approved: t.approved,
                confirmed_hours: t.halves as f64 / 2.0,
                active_this_year: t.active,
            })
            .collect(),
        confirmed_hours: whole.halves as f64 / 2.0,
        active_this_year: whole.active,
        year,
        township: township.map(str::to_owned),
    })
}

#[derive(Debug, FromQueryResult)]
struct TownshipRow {
    township: String,
    name_zh: String,
    approved: i64,
    halves: i64,
    active: i64,
}

#[derive(Debug, Default, FromQueryResult)]
struct TotalsRow {
    approved: i64,
    halves: i64,
    active: i64,
}

/// The first bind placeholder in the backend's syntax.
fn placeholder(b: DatabaseBackend) -> &'static str {
    match b {
        DatabaseBackend::Postgres => "$1",
        _ => "?",
    }
}

/// The target of the `registered_volunteers` indicator, or of the first indicator counting
/// volunteers; 0 when the data file has none.
async fn volunteer_target(db: &Db) -> ApiResult<f64> {
    let all = indicators::Entity::find()
        .filter(indicators::Column::Unit.eq("volunteers"))
        .order_by_asc(indicators::Column::Position)
        .all(db)
        .await?;
    Ok(all
        .iter()
        .find(|i| i.code == "registered_volunteers")
        .or(all.first())
        .map_or(0.0, |i| i.target))
}

/// One plan indicator with its current value.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorFigure {
    /// Stable code from the data file.
    pub code: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// The plan's target.
    pub target: f64,
    /// `volunteers`, `sessions` (场次), `person_times` (人次) or `people` (人).
    pub unit: String,
    /// `yearly` or a range of years such as `2021-2025`.
    pub period: String,
    /// The years counted for this answer, inclusive.
    pub years: [i32; 2],
    /// Only orders of this theme count.
    pub filter_theme: Option<String>,
    /// Only orders for this target group count.
    pub filter_target_group: Option<String>,
    /// The current value.
    pub value: i64,
    /// `value / target`, 4 decimals.
    pub progress: f64,
}

/// Every indicator of the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorStats {
    /// The indicators in the data file's order.
    pub items: Vec<IndicatorFigure>,
    /// Always null: every indicator is on the one page.
    pub next_cursor: Option<String>,
    /// The year `yearly` indicators count.
    pub year: i32,
    /// The township filter, if any.
    pub township: Option<String>,
}

/// Reads every indicator's value from the counters of its township (or all).
pub async fn indicator_stats(
    db: &Db,
    township: Option<&str>,
    year: i32,
) -> ApiResult<IndicatorStats> {
    let scope = township.unwrap_or(ALL_TOWNSHIPS);
    let rows: Vec<(String, i32, String, String, i64)> = stat_totals::Entity::find()
        .select_only()
        .column(stat_totals::Column::Metric)
        .column(stat_totals::Column::Year)
        .column(stat_totals::Column::ThemeCode)
        .column(stat_totals::Column::TargetGroupCode)
        .column(stat_totals::Column::Value)
        .filter(stat_totals::Column::Metric.is_in([
            Metric::CompletedOrders.as_str(),
            Metric::Attendees.as_str(),
            Metric::ApprovedVolunteers.as_str(),
        ]))
        .filter(stat_totals::Column::TownshipCode.eq(scope))
        .into_tuple()
        .all(db)
        .await?;
    let mut approved = 0;
    let mut cells: BTreeMap<(i32, String, String), OrderCell> = BTreeMap::new();
    for (metric, year, theme, target_group, value) in rows {
        let Ok(metric) = metric.parse::<Metric>() else {
            continue;
        };
        if metric == Metric::ApprovedVolunteers {
            approved += value;
            continue;
        }
        let cell = cells
            .entry((year, theme.clone(), target_group.clone()))
            .or_insert_with(|| OrderCell {
                year,
                theme,
                target_group,
                sessions: 0,
                attendees: 0,
            });
        match metric {
            Metric::CompletedOrders => cell.sessions += value,
            _ => cell.attendees += value,
        }
    }
    let cells: Vec<OrderCell> = cells.into_values().collect();
    let mut items = Vec::new();
    for i in indicators::Entity::find()
        .order_by_asc(indicators::Column::Position)
        .all(db)
        .await?
    {
        let (Ok(unit), Ok(period)) = (i.unit.parse(), i.period.parse()) else {
            tracing::warn!(code = %i.code, "indicator with an unknown unit or period skipped");
            continue;
        };
        let rule = IndicatorRule {
            unit,
            period,
            theme: i.filter_theme.clone(),
            target_group: i.filter_target_group.clone(),
        };
        let years = period.years(year);
        let value = rule.value(&cells, approved, year);
        items.push(IndicatorFigure {
            progress: progress(value as f64, i.target),
            code: i.code,
            name_zh: i.name_zh,
            target: i.target,
            unit: i.unit,
            period: i.period,
            years: [*years.start(), *years.end()],
            filter_theme: i.filter_theme,
            filter_target_group: i.filter_target_group,
            value,
        });
    }
    Ok(IndicatorStats {
        items,
        next_cursor: None,
        year,
        township: township.map(str::to_owned),
    })
}
