//! The hours ledger and the running totals behind the association's figures.
//!
//! - `service_records` learn their kind (`service` or `reversal`), what a reversal reverses, the
//!   reason, and who decided and when;
//! - `service_record_events` keep every change of a record (the audit history);
//! - `volunteers` carry their confirmed and pending half-hours, and `volunteer_years` their
//!   confirmed half-hours per year served (to know who was active in a year);
//! - `stat_totals` holds keyed counters (`kepu_domain::stats`), updated in the transaction of
//!   each change that moves them;
//! - `certificates` are the service certificates issued, found again by their verification code.
//!
//! Totals of a database that had data before this migration are filled in by the service on
//! its next start (a rebuild from the ledger when `stat_totals` is empty), so this stays schema only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
    Kind,
    ReversesId,
    Reason,
    DecidedBy,
    DecidedAt,
}

#[derive(DeriveIden)]
enum ServiceRecordEvents {
    Table,
    Id,
    RecordId,
    Action,
    FromState,
    ToState,
    HoursHalves,
    ActorId,
    ActorRole,
    Reason,
    At,
}

#[derive(DeriveIden)]
enum Volunteers {
    Table,
    Id,
    ConfirmedHalves,
    PendingHalves,
}

#[derive(DeriveIden)]
enum VolunteerYears {
    Table,
    VolunteerId,
    Year,
    ConfirmedHalves,
}

#[derive(DeriveIden)]
enum StatTotals {
    Table,
    Metric,
    TownshipCode,
    Year,
    ThemeCode,
    TargetGroupCode,
    Value,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Number,
    Code,
    VolunteerId,
    PeriodFrom,
    PeriodTo,
    ConfirmedHalves,
    StarLevel,
    Issuer,
    IssuedAt,
    IssuedBy,
}

/// SQLite adds one column per `ALTER TABLE`, so each column is its own statement.
fn add_column(table: impl IntoIden, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).to_owned()
}

fn drop_column(table: impl IntoIden, column: impl IntoIden) -> TableAlterStatement {
    Table::alter().table(table).drop_column(column).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len(ServiceRecords::Kind, 20)
                .default("service")
                .to_owned(),
            uuid_null(ServiceRecords::ReversesId),
            text_null(ServiceRecords::Reason),
            uuid_null(ServiceRecords::DecidedBy),
            timestamp_with_time_zone_null(ServiceRecords::DecidedAt),
        ] {
            m.alter_table(add_column(ServiceRecords::Table, column))
                .await?;
        }
        m.create_index(
            Index::create()
                .name("ix_service_records_reverses")
                .table(ServiceRecords::Table)
                .col(ServiceRecords::ReversesId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ServiceRecordEvents::Table)
                .col(pk_uuid(ServiceRecordEvents::Id))
                .col(uuid(ServiceRecordEvents::RecordId))
                .col(string_len(ServiceRecordEvents::Action, 20))
                .col(string_len_null(ServiceRecordEvents::FromState, 20))
                .col(string_len(ServiceRecordEvents::ToState, 20))
                .col(integer(ServiceRecordEvents::HoursHalves))
                .col(uuid_null(ServiceRecordEvents::ActorId))
                .col(string_len(ServiceRecordEvents::ActorRole, 30))
                .col(text_null(ServiceRecordEvents::Reason))
                .col(timestamp_with_time_zone(ServiceRecordEvents::At))
                .foreign_key(
                    ForeignKey::create()
                        .from(ServiceRecordEvents::Table, ServiceRecordEvents::RecordId)
                        .to(ServiceRecords::Table, ServiceRecords::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_service_record_events_record")
                .table(ServiceRecordEvents::Table)
                .col(ServiceRecordEvents::RecordId)
                .col(ServiceRecordEvents::At)
                .to_owned(),
        )
        .await?;

        for column in [
            big_integer(Volunteers::ConfirmedHalves)
                .default(0)
                .to_owned(),
            big_integer(Volunteers::PendingHalves).default(0).to_owned(),
        ] {
            m.alter_table(add_column(Volunteers::Table, column)).await?;
        }

        m.create_table(
            Table::create()
                .table(VolunteerYears::Table)
                .col(uuid(VolunteerYears::VolunteerId))
                .col(integer(VolunteerYears::Year))
                .col(big_integer(VolunteerYears::ConfirmedHalves))
                .primary_key(
                    Index::create()
                        .col(VolunteerYears::VolunteerId)
                        .col(VolunteerYears::Year),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(VolunteerYears::Table, VolunteerYears::VolunteerId)
                        .to(Volunteers::Table, Volunteers::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StatTotals::Table)
                .col(string_len(StatTotals::Metric, 40))
                .col(string_len(StatTotals::TownshipCode, 40))
                .col(integer(StatTotals::Year))
                .col(string_len(StatTotals::ThemeCode, 40))
                .col(string_len(StatTotals::TargetGroupCode, 40))
                .col(big_integer(StatTotals::Value))
                .primary_key(
                    Index::create()
                        .col(StatTotals::Metric)
                        .col(StatTotals::TownshipCode)
                        .col(StatTotals::Year)
                        .col(StatTotals::ThemeCode)
                        .col(StatTotals::TargetGroupCode),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Certificates::Table)
                .col(pk_uuid(Certificates::Id))
                .col(string_len(Certificates::Number, 40).unique_key())
                .col(string_len(Certificates::Code, 40).unique_key())
                .col(uuid(Certificates::VolunteerId))
                .col(date_null(Certificates::PeriodFrom))
                .col(date_null(Certificates::PeriodTo))
                .col(big_integer(Certificates::ConfirmedHalves))
                .col(small_integer(Certificates::StarLevel))
                .col(string_len(Certificates::Issuer, 200))
                .col(timestamp_with_time_zone(Certificates::IssuedAt))
                .col(uuid_null(Certificates::IssuedBy))
                .foreign_key(
                    ForeignKey::create()
                        .from(Certificates::Table, Certificates::VolunteerId)
                        .to(Volunteers::Table, Volunteers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_certificates_volunteer")
                .table(Certificates::Table)
                .col(Certificates::VolunteerId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Certificates::Table.into_iden(),
            StatTotals::Table.into_iden(),
            VolunteerYears::Table.into_iden(),
            ServiceRecordEvents::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in [Volunteers::PendingHalves, Volunteers::ConfirmedHalves] {
            m.alter_table(drop_column(Volunteers::Table, column))
                .await?;
        }
        m.drop_index(
            Index::drop()
                .name("ix_service_records_reverses")
                .table(ServiceRecords::Table)
                .to_owned(),
        )
        .await?;
        for column in [
            ServiceRecords::DecidedAt,
            ServiceRecords::DecidedBy,
            ServiceRecords::Reason,
            ServiceRecords::ReversesId,
            ServiceRecords::Kind,
        ] {
            m.alter_table(drop_column(ServiceRecords::Table, column))
                .await?;
        }
        Ok(())
    }
}
