//! Monthly figures for the association's dashboard: the day each volunteer was approved by
//! review (`volunteers.approved_on`, in the deployment's time zone), and the monthly counters of
//! confirmed hours filled from the ledger as it stands, so `kepu stats verify` agrees right after
//! the upgrade. Approvals made before this migration have no recorded day and are not counted
//! by month (their total still is, in `approved_volunteers`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Volunteers {
    Table,
    ApprovedOn,
}

/// The metric name of monthly confirmed half-hours (`kepu_domain::stats::Metric`).
const METRIC: &str = "confirmed_halves_by_month";

fn month_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!(
                "CAST(EXTRACT(YEAR FROM {column}) * 100 + EXTRACT(MONTH FROM {column}) AS INTEGER)"
            )
        }
        _ => format!("CAST(strftime('%Y%m', {column}) AS INTEGER)"),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Volunteers::Table)
                .add_column(ColumnDef::new(Volunteers::ApprovedOn).date().null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let month = month_of(db.get_database_backend(), "r.served_on");
        // Each township's rows, then the rows of all townships together (`*`).
        for (township, group) in [
            ("v.township_code", format!("v.township_code, {month}")),
            ("'*'", month.clone()),
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO stat_totals (metric, township_code, year, theme_code, \
                 target_group_code, value) \
                 SELECT '{METRIC}', {township}, {month}, '', '', SUM(r.hours_halves) \
                 FROM service_records r JOIN volunteers v ON v.id = r.volunteer_id \
                 WHERE r.state = 'confirmed' GROUP BY {group} \
                 HAVING SUM(r.hours_halves) <> 0"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(&format!(
                "DELETE FROM stat_totals WHERE metric IN ('{METRIC}', 'approvals_by_month')"
            ))
            .await?;
        m.alter_table(
            Table::alter()
                .table(Volunteers::Table)
                .drop_column(Volunteers::ApprovedOn)
                .to_owned(),
        )
        .await
        .map(|_| ())
    }
}
