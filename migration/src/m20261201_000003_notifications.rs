//! Notifications and deadlines: the mail outbox, each user's opt-out of non-urgent mail, and
//! the mark that an order was escalated in its current state (so the sweeper escalates once).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    Recipient,
    UserId,
    OrderId,
    Kind,
    Subject,
    BodyText,
    BodyHtml,
    State,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LockToken,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    NotifyNonUrgent,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    EscalatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(pk_uuid(Notifications::Id))
                .col(string_len(Notifications::Recipient, 254))
                .col(uuid_null(Notifications::UserId))
                .col(uuid_null(Notifications::OrderId))
                .col(string_len(Notifications::Kind, 40))
                .col(text(Notifications::Subject))
                .col(text(Notifications::BodyText))
                .col(text(Notifications::BodyHtml))
                .col(string_len(Notifications::State, 10))
                .col(integer(Notifications::Attempts))
                .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Notifications::LockedUntil))
                .col(uuid_null(Notifications::LockToken))
                .col(text_null(Notifications::LastError))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone_null(Notifications::SentAt))
                .to_owned(),
        )
        .await?;
        // The worker's "what is due" and the administrators' "what is parked", both keyset.
        m.create_index(
            Index::create()
                .name("ix_notifications_due")
                .table(Notifications::Table)
                .col(Notifications::State)
                .col(Notifications::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notifications_state_id")
                .table(Notifications::Table)
                .col(Notifications::State)
                .col(Notifications::Id)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(boolean(Users::NotifyNonUrgent).default(true))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Orders::Table)
                .add_column(timestamp_with_time_zone_null(Orders::EscalatedAt))
                .to_owned(),
        )
        .await?;
        // The sweeper's two questions ("completed and past its window", "live, overdue and not
        // yet escalated") only ever concern orders not escalated in their state. A partial index
        // keeps old escalated-but-stuck orders out of each minute's scan. Same SQL on both
        // databases; sea-query has no builder for partial indexes.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_orders_sweep ON orders (due_at) WHERE escalated_at IS NULL",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_orders_sweep")
                .table(Orders::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Orders::Table)
                .drop_column(Orders::EscalatedAt)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::NotifyNonUrgent)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}
