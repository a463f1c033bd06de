//! The association's figures: running totals kept in the transaction of every change that moves
//! them (`stat_totals`, `volunteer_years`, the volunteers' own sums), read without touching the
//! ledger, and recomputed from the ledger to prove there is no drift.

use chrono::Datelike;
use kepu_domain::stats::{
    ALL_TOWNSHIPS, ALL_YEARS, Deltas, IndicatorRule, Metric, OrderCell, TotalKey, activity_change,
    progress,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{indicators, stat_totals, volunteer_years, volunteers};
use crate::error::ApiResult;

/// Adds `deltas` to the counters, inside the caller's transaction. Keys come sorted, so
/// concurrent transactions lock counter rows in one order.
pub async fn apply(db: &impl ConnectionTrait, deltas: &Deltas) -> ApiResult<()> {
    for (key, n) in deltas.iter() {
        stat_totals::Entity::insert(row(key, n))
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

/// Moves a volunteer's confirmed hours served in `year` by `halves` (negative for a reversal)
/// and records what that changes: their year row, the hours counters and, when the year's sum
/// crosses zero, the active-volunteer counter.
pub async fn confirmed_hours_moved(
    db: &impl ConnectionTrait,
    volunteer: &volunteers::Model,
    year: i32,
    halves: i64,
    deltas: &mut Deltas,
) -> ApiResult<()> {
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
    deltas.active(
        &volunteer.township_code,
        year,
        activity_change(after - halves, after),
    );
    Ok(())
}

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
    db: &DatabaseConnection,
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
async fn volunteer_target(db: &DatabaseConnection) -> ApiResult<f64> {
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
    db: &DatabaseConnection,
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

/// SQL for the calendar year of a date column, per backend.
fn year_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"),
        _ => format!("CAST(strftime('%Y', {column}) AS INTEGER)"),
    }
}

#[derive(Debug, FromQueryResult)]
struct Group {
    township: String,
    year: Option<i32>,
    theme: Option<String>,
    target_group: Option<String>,
    n: i64,
    m: Option<i64>,
}

async fn groups(db: &impl ConnectionTrait, sql: String) -> ApiResult<Vec<Group>> {
    let backend = db.get_database_backend();
    Ok(
        Group::find_by_statement(Statement::from_string(backend, sql))
            .all(db)
            .await?,
    )
}

/// Recomputes every counter from the ledger itself: volunteers, confirmed service records and
/// completed orders. Slow by design (it scans); the requests never do this.
pub async fn recompute(db: &impl ConnectionTrait) -> ApiResult<Deltas> {
    let b = db.get_database_backend();
    let record_year = year_of(b, "r.served_on");
    let order_year = year_of(b, "served_on");
    let mut d = Deltas::new();
    for g in groups(
        db,
        "SELECT township_code AS township, CAST(NULL AS INTEGER) AS year, \
         CAST(NULL AS TEXT) AS theme, CAST(NULL AS TEXT) AS target_group, COUNT(*) AS n, \
         CAST(NULL AS BIGINT) AS m FROM volunteers WHERE state = 'approved' GROUP BY township_code"
            .into(),
    )
    .await?
    {
        d.approved(&g.township, g.n);
    }
    for g in groups(
        db,
        format!(
            "SELECT v.township_code AS township, {record_year} AS year, CAST(NULL AS TEXT) AS theme, \
             CAST(NULL AS TEXT) AS target_group, CAST(SUM(r.hours_halves) AS BIGINT) AS n, \
             CAST(NULL AS BIGINT) AS m \
             FROM service_records r JOIN volunteers v ON v.id = r.volunteer_id \
             WHERE r.state = 'confirmed' GROUP BY v.township_code, {record_year}"
        ),
    )
    .await?
    {
        d.confirmed(&g.township, g.year.unwrap_or(ALL_YEARS), g.n);
    }
    for g in groups(
        db,
        format!(
            "SELECT township, year, CAST(NULL AS TEXT) AS theme, CAST(NULL AS TEXT) AS target_group, \
             COUNT(*) AS n, CAST(NULL AS BIGINT) AS m FROM ( \
               SELECT v.township_code AS township, {record_year} AS year, SUM(r.hours_halves) AS s \
               FROM service_records r JOIN volunteers v ON v.id = r.volunteer_id \
               WHERE r.state = 'confirmed' GROUP BY r.volunteer_id, v.township_code, {record_year} \
             ) per_volunteer WHERE s > 0 GROUP BY township, year"
        ),
    )
    .await?
    {
        d.active(&g.township, g.year.unwrap_or(ALL_YEARS), g.n);
    }
    for g in groups(
        db,
        format!(
            "SELECT township_code AS township, {order_year} AS year, theme_code AS theme, \
             target_group_code AS target_group, COUNT(*) AS n, \
             CAST(SUM(COALESCE(attendees, 0)) AS BIGINT) AS m \
             FROM orders WHERE served_on IS NOT NULL AND state <> 'cancelled' \
             GROUP BY township_code, {order_year}, theme_code, target_group_code"
        ),
    )
    .await?
    {
        d.completed(
            &g.township,
            g.year.unwrap_or(ALL_YEARS),
            g.theme.as_deref().unwrap_or(""),
            g.target_group.as_deref(),
            g.n,
            g.m.unwrap_or(0),
        );
    }
    Ok(d)
}

/// The counters as stored.
async fn stored(db: &impl ConnectionTrait) -> ApiResult<Deltas> {
    Ok(stat_totals::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| {
            let metric = row.metric.parse().ok()?;
            Some((
                TotalKey {
                    metric,
                    township: row.township_code,
                    year: row.year,
                    theme: row.theme_code,
                    target_group: row.target_group_code,
                },
                row.value,
            ))
        })
        .collect())
}

/// SQL naming the volunteers whose stored sums differ from their records.
const VOLUNTEER_DRIFT: &str = "SELECT v.id AS id FROM volunteers v LEFT JOIN ( \
       SELECT volunteer_id, \
         SUM(CASE WHEN state = 'confirmed' THEN hours_halves ELSE 0 END) AS c, \
         SUM(CASE WHEN state = 'pending' THEN hours_halves ELSE 0 END) AS p \
       FROM service_records GROUP BY volunteer_id) s ON s.volunteer_id = v.id \
     WHERE v.confirmed_halves <> COALESCE(s.c, 0) OR v.pending_halves <> COALESCE(s.p, 0)";

fn year_drift_sql(b: DatabaseBackend) -> String {
    let year = year_of(b, "served_on");
    format!(
        "WITH computed AS ( \
           SELECT volunteer_id, {year} AS year, SUM(hours_halves) AS s FROM service_records \
           WHERE state = 'confirmed' GROUP BY volunteer_id, {year}) \
         SELECT c.volunteer_id AS id FROM computed c LEFT JOIN volunteer_years y \
           ON y.volunteer_id = c.volunteer_id AND y.year = c.year \
           WHERE COALESCE(y.confirmed_halves, 0) <> c.s \
         UNION \
         SELECT y.volunteer_id AS id FROM volunteer_years y LEFT JOIN computed c \
           ON y.volunteer_id = c.volunteer_id AND y.year = c.year \
           WHERE y.confirmed_halves <> COALESCE(c.s, 0)"
    )
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: Uuid,
}

/// What `kepu stats verify` found.
#[derive(Debug, Default)]
pub struct Drift {
    /// Counters whose stored value differs from the recomputed one: key, stored, recomputed.
    pub totals: Vec<(TotalKey, i64, i64)>,
    /// Volunteers whose confirmed or pending sums differ from their records.
    pub volunteers: Vec<Uuid>,
    /// Volunteers whose per-year confirmed sums differ from their records.
    pub volunteer_years: Vec<Uuid>,
}

impl Drift {
    /// Whether everything agrees.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty() && self.volunteers.is_empty() && self.volunteer_years.is_empty()
    }
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return writeln!(
                f,
                "no drift: every total equals its recomputation from the ledger"
            );
        }
        for (k, stored, computed) in &self.totals {
            writeln!(
                f,
                "drift: {} township={} year={} theme={} target_group={}: stored {stored}, ledger {computed}",
                k.metric.as_str(),
                k.township,
                k.year,
                k.theme,
                k.target_group
            )?;
        }
        for id in &self.volunteers {
            writeln!(
                f,
                "drift: volunteer {id}: confirmed/pending sums differ from records"
            )?;
        }
        for id in &self.volunteer_years {
            writeln!(
                f,
                "drift: volunteer {id}: yearly confirmed sums differ from records"
            )?;
        }
        Ok(())
    }
}

/// Recomputes everything and compares it with what is stored.
pub async fn verify(db: &DatabaseConnection) -> ApiResult<Drift> {
    let b = db.get_database_backend();
    let computed = recompute(db).await?;
    let stored = stored(db).await?;
    let ids = |sql: String| async move {
        IdRow::find_by_statement(Statement::from_string(b, sql))
            .all(db)
            .await
            .map(|rows| rows.into_iter().map(|r| r.id).collect::<Vec<Uuid>>())
    };
    Ok(Drift {
        totals: stored.differences(&computed),
        volunteers: ids(VOLUNTEER_DRIFT.into()).await?,
        volunteer_years: ids(year_drift_sql(b)).await?,
    })
}

/// Replaces every running total with its recomputation from the ledger, in one transaction.
/// For first start after an upgrade, after a bulk load, or to repair drift `verify` found.
pub async fn rebuild(db: &DatabaseConnection) -> ApiResult<()> {
    let b = db.get_database_backend();
    let year = year_of(b, "served_on");
    let txn = db.begin().await?;
    let computed = recompute(&txn).await?;
    stat_totals::Entity::delete_many().exec(&txn).await?;
    // The table is empty now: plain multi-row inserts, a thousand keys a statement.
    let rows: Vec<stat_totals::ActiveModel> = computed.iter().map(|(k, n)| row(k, n)).collect();
    for chunk in rows.chunks(1000) {
        stat_totals::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let run = |sql: String| Statement::from_string(b, sql);
    txn.execute_raw(run(
        "UPDATE volunteers SET confirmed_halves = 0, pending_halves = 0 \
         WHERE confirmed_halves <> 0 OR pending_halves <> 0"
            .into(),
    ))
    .await?;
    txn.execute_raw(run(
        "UPDATE volunteers SET confirmed_halves = s.c, pending_halves = s.p FROM ( \
           SELECT volunteer_id, \
             SUM(CASE WHEN state = 'confirmed' THEN hours_halves ELSE 0 END) AS c, \
             SUM(CASE WHEN state = 'pending' THEN hours_halves ELSE 0 END) AS p \
           FROM service_records GROUP BY volunteer_id) s WHERE volunteers.id = s.volunteer_id"
            .into(),
    ))
    .await?;
    volunteer_years::Entity::delete_many().exec(&txn).await?;
    txn.execute_raw(run(format!(
        "INSERT INTO volunteer_years (volunteer_id, year, confirmed_halves) \
         SELECT volunteer_id, {year}, SUM(hours_halves) FROM service_records \
         WHERE state = 'confirmed' GROUP BY volunteer_id, {year}"
    )))
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Fills the totals of a database that has data but no totals yet (first start after the
/// ledger migration). Cheap on an empty database.
pub async fn ensure_built(db: &DatabaseConnection) -> ApiResult<()> {
    if is_built(db).await? {
        return Ok(());
    }
    match rebuild(db).await {
        // Another instance starting at the same moment rebuilt them first.
        Err(_) if is_built(db).await? => Ok(()),
        other => other,
    }
}

async fn is_built(db: &DatabaseConnection) -> ApiResult<bool> {
    Ok(stat_totals::Entity::find().one(db).await?.is_some())
}

/// The year a date falls in (the counters' year).
pub fn year(date: chrono::NaiveDate) -> i32 {
    date.year()
}
