//! Activities and attendance: one activity per claimed order, its roster of sign-ups with their
//! attendance, each volunteer's private calendar token, and where a service record's hours came
//! from (`service_records.source`: `attendance` or `manual`; existing rows are `manual`).
//!
//! The check-in code is kept only as a keyed hash (HMAC-SHA-256 under a key derived from the
//! deployment secret, salted by the order id), and the calendar token only as its SHA-256.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activities {
    Table,
    OrderId,
    TeamId,
    StartsAt,
    EndsAt,
    Place,
    Slots,
    Note,
    CodeHash,
    CodeExpiresAt,
    ReminderSentAt,
    RosterVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActivitySignups {
    Table,
    Id,
    OrderId,
    VolunteerId,
    State,
    QueuedAt,
    CheckedInAt,
    CheckedOutAt,
    Source,
    Flagged,
    WrongCodes,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CalendarTokens {
    Table,
    VolunteerId,
    TokenHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Source,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Volunteers {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Activities::Table)
                .col(uuid(Activities::OrderId).primary_key())
                .col(uuid(Activities::TeamId))
                .col(timestamp_with_time_zone(Activities::StartsAt))
                .col(timestamp_with_time_zone(Activities::EndsAt))
                .col(string_len(Activities::Place, 800))
                .col(integer(Activities::Slots))
                .col(text_null(Activities::Note))
                .col(string_len_null(Activities::CodeHash, 64))
                .col(timestamp_with_time_zone_null(Activities::CodeExpiresAt))
                .col(timestamp_with_time_zone_null(Activities::ReminderSentAt))
                // Every change of the roster bumps it first: that update holds the activity's
                // row, so sign-ups and withdrawals of one activity take turns on every database
                // and across instances.
                .col(big_integer(Activities::RosterVersion).default(0))
                .col(timestamp_with_time_zone(Activities::CreatedAt))
                .col(timestamp_with_time_zone(Activities::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Activities::Table, Activities::OrderId)
                        .to(Orders::Table, Orders::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Activities::Table, Activities::TeamId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // The sweeper's "reminders due" and "activities ended".
        m.create_index(
            Index::create()
                .name("ix_activities_starts_at")
                .table(Activities::Table)
                .col(Activities::StartsAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_activities_ends_at")
                .table(Activities::Table)
                .col(Activities::EndsAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ActivitySignups::Table)
                .col(pk_uuid(ActivitySignups::Id))
                .col(uuid(ActivitySignups::OrderId))
                .col(uuid(ActivitySignups::VolunteerId))
                .col(string_len(ActivitySignups::State, 12))
                .col(timestamp_with_time_zone(ActivitySignups::QueuedAt))
                .col(timestamp_with_time_zone_null(ActivitySignups::CheckedInAt))
                .col(timestamp_with_time_zone_null(ActivitySignups::CheckedOutAt))
                .col(string_len_null(ActivitySignups::Source, 12))
                .col(boolean(ActivitySignups::Flagged).default(false))
                .col(integer(ActivitySignups::WrongCodes).default(0))
                .col(timestamp_with_time_zone_null(ActivitySignups::LockedUntil))
                .col(timestamp_with_time_zone(ActivitySignups::CreatedAt))
                .col(timestamp_with_time_zone(ActivitySignups::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ActivitySignups::Table, ActivitySignups::OrderId)
                        .to(Activities::Table, Activities::OrderId)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ActivitySignups::Table, ActivitySignups::VolunteerId)
                        .to(Volunteers::Table, Volunteers::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_activity_signups_pair")
                .table(ActivitySignups::Table)
                .col(ActivitySignups::OrderId)
                .col(ActivitySignups::VolunteerId)
                .unique()
                .to_owned(),
        )
        .await?;
        // The waitlist in order, and the volunteer's "my activities".
        m.create_index(
            Index::create()
                .name("ix_activity_signups_queue")
                .table(ActivitySignups::Table)
                .col(ActivitySignups::OrderId)
                .col(ActivitySignups::State)
                .col(ActivitySignups::QueuedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_activity_signups_volunteer")
                .table(ActivitySignups::Table)
                .col(ActivitySignups::VolunteerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CalendarTokens::Table)
                .col(uuid(CalendarTokens::VolunteerId).primary_key())
                .col(string_len(CalendarTokens::TokenHash, 64).unique_key())
                .col(timestamp_with_time_zone(CalendarTokens::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CalendarTokens::Table, CalendarTokens::VolunteerId)
                        .to(Volunteers::Table, Volunteers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ServiceRecords::Table)
                .add_column(string_len(ServiceRecords::Source, 12).default("manual"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ServiceRecords::Table)
                .drop_column(ServiceRecords::Source)
                .to_owned(),
        )
        .await?;
        for table in [
            CalendarTokens::Table.into_iden(),
            ActivitySignups::Table.into_iden(),
            Activities::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
