//! Team invitations: a team leader no longer adds a volunteer to the team; they invite, and
//! the volunteer accepts or declines. One row per team and volunteer: a repeated invitation
//! reuses it, so there is never more than one open invitation for the same pair.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TeamInvitations {
    Table,
    Id,
    TeamId,
    VolunteerId,
    InvitedBy,
    State,
    CreatedAt,
    AnsweredAt,
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
                .table(TeamInvitations::Table)
                .col(pk_uuid(TeamInvitations::Id))
                .col(uuid(TeamInvitations::TeamId))
                .col(uuid(TeamInvitations::VolunteerId))
                .col(uuid_null(TeamInvitations::InvitedBy))
                .col(string_len(TeamInvitations::State, 10))
                .col(timestamp_with_time_zone(TeamInvitations::CreatedAt))
                .col(timestamp_with_time_zone_null(TeamInvitations::AnsweredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TeamInvitations::Table, TeamInvitations::TeamId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TeamInvitations::Table, TeamInvitations::VolunteerId)
                        .to(Volunteers::Table, Volunteers::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_team_invitations_pair")
                .table(TeamInvitations::Table)
                .col(TeamInvitations::TeamId)
                .col(TeamInvitations::VolunteerId)
                .unique()
                .to_owned(),
        )
        .await?;
        // The volunteer's "my open invitations".
        m.create_index(
            Index::create()
                .name("ix_team_invitations_volunteer")
                .table(TeamInvitations::Table)
                .col(TeamInvitations::VolunteerId)
                .col(TeamInvitations::State)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TeamInvitations::Table).to_owned())
            .await
    }
}
