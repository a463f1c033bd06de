//! The schema of Kepu Dispatch. Migrations are the only way it changes; each has a real `down`.
//! They run unchanged on SQLite and PostgreSQL, import no entities and carry no demo data (the
//! API loads that from its data file on first start).

pub use sea_orm_migration::prelude::*;

mod m20261130_000001_initial;
mod m20261201_000002_ledger;
mod m20261201_000003_notifications;
mod m20261202_000004_accounts;
mod m20261205_000010_team_invitations;
mod m20261210_000020_activities;
mod m20261212_000030_monthly_totals;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_initial::Migration),
            Box::new(m20261201_000002_ledger::Migration),
            Box::new(m20261201_000003_notifications::Migration),
            Box::new(m20261202_000004_accounts::Migration),
            Box::new(m20261205_000010_team_invitations::Migration),
            Box::new(m20261210_000020_activities::Migration),
            Box::new(m20261212_000030_monthly_totals::Migration),
        ]
    }
}
