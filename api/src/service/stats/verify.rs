//! Recomputing the counters from the ledger (`kepu stats verify`, `rebuild`): slow by
//! design, never on a request.

use kepu_domain::stats::{ALL_YEARS, Deltas, TotalKey};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::row;
use crate::db::Db;
use crate::entity::{stat_totals, volunteer_years};
use crate::error::ApiResult;

/// SQL for the calendar year of a date column, per backend.
fn year_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"),
        _ => format!("CAST(strftime('%Y', {column}) AS INTEGER)"),
    }
}

/// SQL for the month key (`YYYYMM`) of a date column, per backend.
fn month_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "CAST(EXTRACT(YEAR FROM {column}) * 100 + EXTRACT(MONTH FROM {column}) AS INTEGER)"
        ),
        _ => format!("CAST(strftime('%Y%m', {column}) AS INTEGER)"),
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

/// Recomputes every counter from the ledger itself: volunteers (approved, and approved by
/// review per month), confirmed service records (per year and per month served) and completed
/// orders. Slow by design (it scans); the requests never do this.
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
    let record_month = month_of(b, "r.served_on");
    for g in groups(
        db,
        format!(
            "SELECT v.township_code AS township, {record_month} AS year, \
             CAST(NULL AS TEXT) AS theme, CAST(NULL AS TEXT) AS target_group, \
             CAST(SUM(r.hours_halves) AS BIGINT) AS n, CAST(NULL AS BIGINT) AS m \
             FROM service_records r JOIN volunteers v ON v.id = r.volunteer_id \
             WHERE r.state = 'confirmed' GROUP BY v.township_code, {record_month}"
        ),
    )
    .await?
    {
        d.confirmed_in_month(&g.township, g.year.unwrap_or(ALL_YEARS), g.n);
    }
    let approval_month = month_of(b, "approved_on");
    for g in groups(
        db,
        format!(
            "SELECT township_code AS township, {approval_month} AS year, \
             CAST(NULL AS TEXT) AS theme, CAST(NULL AS TEXT) AS target_group, COUNT(*) AS n, \
             CAST(NULL AS BIGINT) AS m FROM volunteers WHERE approved_on IS NOT NULL \
             GROUP BY township_code, {approval_month}"
        ),
    )
    .await?
    {
        d.approved_in_month(&g.township, g.year.unwrap_or(ALL_YEARS), g.n);
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
pub async fn verify(db: &Db) -> ApiResult<Drift> {
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
pub async fn rebuild(db: &Db) -> ApiResult<()> {
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
pub async fn ensure_built(db: &Db) -> ApiResult<()> {
    if is_built(db).await? {
        return Ok(());
    }
    match rebuild(db).await {
        // Another instance starting at the same moment rebuilt them first.
        Err(_) if is_built(db).await? => Ok(()),
        other => other,
    }
}

async fn is_built(db: &Db) -> ApiResult<bool> {
    Ok(stat_totals::Entity::find().one(db).await?.is_some())
}
