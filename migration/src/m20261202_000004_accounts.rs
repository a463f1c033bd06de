//! Accounts that can be managed:
//!
//! - `users.must_change_password`: set by a password reset, cleared by the user's own change;
//!   until then only `me`, `me/password` and `logout` answer them.
//! - `sessions`: one row per sign-in (the refresh-token family shares its id). Access tokens
//!   carry the session id, and every authenticated request reads this row joined to its user
//!   by primary key, so logout, a password change, a reset and a deactivation stop the access
//!   tokens at once, on every instance.
//! - `login_failures`: failed sign-ins per username (known or not), for the per-account
//!   slow-down of `kepu_domain::login`, shared by all instances.
//!
//! Refresh-token families from before this migration have no session row; they are refused
//! and their users sign in again once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    MustChangePassword,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Username,
    Failures,
    LastFailureAt,
    LockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(boolean(Users::MustChangePassword).default(false))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(pk_uuid(Sessions::Id))
                .col(uuid(Sessions::UserId))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // "End every session of this user" (password change, reset, deactivation).
        m.create_index(
            Index::create()
                .name("ix_sessions_user")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .col(string_len(LoginFailures::Username, 200).primary_key())
                .col(integer(LoginFailures::Failures))
                .col(timestamp_with_time_zone(LoginFailures::LastFailureAt))
                .col(timestamp_with_time_zone_null(LoginFailures::LockedUntil))
                .to_owned(),
        )
        .await?;
        // Forgetting records whose window has passed.
        m.create_index(
            Index::create()
                .name("ix_login_failures_last")
                .table(LoginFailures::Table)
                .col(LoginFailures::LastFailureAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::MustChangePassword)
                .to_owned(),
        )
        .await
    }
}
