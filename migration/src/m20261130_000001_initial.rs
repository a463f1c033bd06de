//! The first schema: reference data, people, orders with their event chains, and the tables
//! that make requests safe to retry (idempotency keys) and sessions revocable (refresh tokens).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

mod idens;

use idens::*;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, code, zh, en, pos) in [
            (
                Townships::Table.into_iden(),
                Townships::Code.into_iden(),
                Townships::NameZh.into_iden(),
                Townships::NameEn.into_iden(),
                Townships::Position.into_iden(),
            ),
            (
                Themes::Table.into_iden(),
                Themes::Code.into_iden(),
                Themes::NameZh.into_iden(),
                Themes::NameEn.into_iden(),
                Themes::Position.into_iden(),
            ),
            (
                TargetGroups::Table.into_iden(),
                TargetGroups::Code.into_iden(),
                TargetGroups::NameZh.into_iden(),
                TargetGroups::NameEn.into_iden(),
                TargetGroups::Position.into_iden(),
            ),
        ] {
            m.create_table(
                Table::create()
                    .table(table)
                    .col(string_len(code, 40).primary_key())
                    .col(string_len(zh, 100))
                    .col(string_len_null(en, 200))
                    .col(integer(pos))
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(Indicators::Table)
                .col(string_len(Indicators::Code, 60).primary_key())
                .col(string_len(Indicators::NameZh, 200))
                .col(double(Indicators::Target))
                .col(string_len(Indicators::Unit, 20))
                .col(string_len(Indicators::Period, 20))
                .col(string_len_null(Indicators::FilterTheme, 40))
                .col(string_len_null(Indicators::FilterTargetGroup, 40))
                .col(integer(Indicators::Position))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Villages::Table)
                .col(pk_uuid(Villages::Id))
                .col(string_len(Villages::TownshipCode, 40))
                .col(string_len(Villages::Name, 100))
                .col(timestamp_with_time_zone(Villages::CreatedAt))
                .foreign_key(&mut fk(
                    Villages::Table,
                    Villages::TownshipCode,
                    Townships::Table,
                    Townships::Code,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_villages_township_name",
                Villages::Table,
                &["township_code", "name"],
            )
            .unique()
            .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Departments::Table)
                .col(pk_uuid(Departments::Id))
                .col(string_len_null(Departments::Code, 40).unique_key())
                .col(string_len(Departments::Name, 100))
                .col(string_len_null(Departments::NameEn, 200))
                .col(text(Departments::LeadThemes))
                .col(timestamp_with_time_zone(Departments::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Stations::Table)
                .col(pk_uuid(Stations::Id))
                .col(string_len(Stations::Name, 100))
                .col(boolean(Stations::IsFallback))
                .col(timestamp_with_time_zone(Stations::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StationCoverage::Table)
                .col(pk_uuid(StationCoverage::Id))
                .col(uuid(StationCoverage::StationId))
                .col(string_len(StationCoverage::TownshipCode, 40))
                .col(uuid_null(StationCoverage::VillageId))
                .foreign_key(&mut fk(
                    StationCoverage::Table,
                    StationCoverage::StationId,
                    Stations::Table,
                    Stations::Id,
                ))
                .foreign_key(&mut fk(
                    StationCoverage::Table,
                    StationCoverage::TownshipCode,
                    Townships::Table,
                    Townships::Code,
                ))
                .foreign_key(&mut fk(
                    StationCoverage::Table,
                    StationCoverage::VillageId,
                    Villages::Table,
                    Villages::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_station_coverage_township",
            StationCoverage::Table,
            &["township_code"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(pk_uuid(Teams::Id))
                .col(string_len(Teams::Name, 100))
                .col(uuid_null(Teams::DepartmentId))
                .col(text(Teams::ThemeCodes))
                .col(boolean(Teams::Active))
                .col(timestamp_with_time_zone(Teams::CreatedAt))
                .foreign_key(&mut fk(
                    Teams::Table,
                    Teams::DepartmentId,
                    Departments::Table,
                    Departments::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Volunteers::Table)
                .col(pk_uuid(Volunteers::Id))
                .col(string_len(Volunteers::RealName, 50))
                .col(string_len(Volunteers::Phone, 20).unique_key())
                .col(string_len(Volunteers::TownshipCode, 40))
                .col(text(Volunteers::Skills))
                .col(string_len_null(Volunteers::IdNumber, 18))
                .col(string_len(Volunteers::State, 20))
                .col(text_null(Volunteers::ReviewReason))
                .col(timestamp_with_time_zone(Volunteers::CreatedAt))
                .col(timestamp_with_time_zone(Volunteers::UpdatedAt))
                .foreign_key(&mut fk(
                    Volunteers::Table,
                    Volunteers::TownshipCode,
                    Townships::Table,
                    Townships::Code,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_volunteers_state_id",
            Volunteers::Table,
            &["state", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_uuid(Users::Id))
                .col(string_len(Users::Username, 64).unique_key())
                .col(text(Users::PasswordHash))
                .col(string_len(Users::Role, 30))
                .col(string_len(Users::DisplayName, 50))
                .col(string_len_null(Users::Email, 254))
                .col(uuid_null(Users::StationId))
                .col(uuid_null(Users::DepartmentId))
                .col(uuid_null(Users::TeamId))
                .col(uuid_null(Users::VolunteerId))
                .col(boolean(Users::Active))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .foreign_key(&mut fk(
                    Users::Table,
                    Users::StationId,
                    Stations::Table,
                    Stations::Id,
                ))
                .foreign_key(&mut fk(
                    Users::Table,
                    Users::DepartmentId,
                    Departments::Table,
                    Departments::Id,
                ))
                .foreign_key(&mut fk(
                    Users::Table,
                    Users::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .foreign_key(&mut fk(
                    Users::Table,
                    Users::VolunteerId,
                    Volunteers::Table,
                    Volunteers::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TeamMembers::Table)
                .col(uuid(TeamMembers::TeamId))
                .col(uuid(TeamMembers::VolunteerId))
                .col(timestamp_with_time_zone(TeamMembers::JoinedAt))
                .primary_key(
                    Index::create()
                        .col(TeamMembers::TeamId)
                        .col(TeamMembers::VolunteerId),
                )
                .foreign_key(&mut fk(
                    TeamMembers::Table,
                    TeamMembers::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .foreign_key(&mut fk(
                    TeamMembers::Table,
                    TeamMembers::VolunteerId,
                    Volunteers::Table,
                    Volunteers::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_team_members_volunteer",
            TeamMembers::Table,
            &["volunteer_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Orders::Table)
                .col(pk_uuid(Orders::Id))
                .col(string_len(Orders::TrackingCode, 16).unique_key())
                .col(string_len(Orders::ResidentTokenHash, 64).unique_key())
                .col(string_len(Orders::Channel, 20))
                .col(string_len(Orders::State, 20))
                .col(big_integer(Orders::Version))
                .col(string_len(Orders::HeadHash, 64))
                .col(string_len(Orders::ThemeCode, 40))
                .col(string_len(Orders::TownshipCode, 40))
                .col(uuid_null(Orders::VillageId))
                .col(text(Orders::Description))
                .col(string_len_null(Orders::TargetGroupCode, 40))
                .col(date_null(Orders::PreferredDate))
                .col(integer_null(Orders::ExpectedAttendees))
                .col(text_null(Orders::Address))
                .col(double_null(Orders::Latitude))
                .col(double_null(Orders::Longitude))
                .col(string_len(Orders::ContactName, 50))
                .col(string_len(Orders::ContactPhone, 20))
                .col(string_len_null(Orders::ContactEmail, 254))
                .col(uuid(Orders::StationId))
                .col(uuid_null(Orders::DepartmentId))
                .col(uuid_null(Orders::TeamId))
                .col(text_null(Orders::ClaimScope))
                .col(date_null(Orders::PlannedDate))
                .col(date_null(Orders::ServedOn))
                .col(integer_null(Orders::Attendees))
                .col(text_null(Orders::Summary))
                .col(small_integer_null(Orders::RatingScore))
                .col(text_null(Orders::RatingComment))
                .col(timestamp_with_time_zone(Orders::CreatedAt))
                .col(timestamp_with_time_zone(Orders::UpdatedAt))
                .col(timestamp_with_time_zone(Orders::StateEnteredAt))
                .col(timestamp_with_time_zone_null(Orders::DueAt))
                .foreign_key(&mut fk(
                    Orders::Table,
                    Orders::ThemeCode,
                    Themes::Table,
                    Themes::Code,
                ))
                .foreign_key(&mut fk(
                    Orders::Table,
                    Orders::TownshipCode,
                    Townships::Table,
                    Townships::Code,
                ))
                .foreign_key(&mut fk(
                    Orders::Table,
                    Orders::StationId,
                    Stations::Table,
                    Stations::Id,
                ))
                .foreign_key(&mut fk(
                    Orders::Table,
                    Orders::DepartmentId,
                    Departments::Table,
                    Departments::Id,
                ))
                .foreign_key(&mut fk(
                    Orders::Table,
                    Orders::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .to_owned(),
        )
        .await?;
        // Every scoped list is "this scope's orders, newest first": (scope, id) serves the keyset.
        m.create_index(index(
            "ix_orders_station_id",
            Orders::Table,
            &["station_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_orders_department_id",
            Orders::Table,
            &["department_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_orders_team_id",
            Orders::Table,
            &["team_id", "id"],
        ))
        .await?;
        m.create_index(index("ix_orders_state_id", Orders::Table, &["state", "id"]))
            .await?;
        m.create_index(index("ix_orders_due_at", Orders::Table, &["due_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table(OrderEvents::Table)
                .col(uuid(OrderEvents::OrderId))
                .col(big_integer(OrderEvents::Seq))
                .col(string_len(OrderEvents::Action, 20))
                .col(string_len_null(OrderEvents::FromState, 20))
                .col(string_len(OrderEvents::ToState, 20))
                .col(uuid_null(OrderEvents::ActorId))
                .col(string_len(OrderEvents::ActorRole, 30))
                .col(text_null(OrderEvents::Reason))
                .col(text(OrderEvents::Data))
                .col(timestamp_with_time_zone(OrderEvents::At))
                .col(string_len(OrderEvents::PrevHash, 64))
                .col(string_len(OrderEvents::Hash, 64))
                .primary_key(
                    Index::create()
                        .col(OrderEvents::OrderId)
                        .col(OrderEvents::Seq),
                )
                .foreign_key(&mut fk(
                    OrderEvents::Table,
                    OrderEvents::OrderId,
                    Orders::Table,
                    Orders::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ServiceRecords::Table)
                .col(pk_uuid(ServiceRecords::Id))
                .col(uuid(ServiceRecords::OrderId))
                .col(uuid(ServiceRecords::VolunteerId))
                .col(uuid(ServiceRecords::TeamId))
                .col(integer(ServiceRecords::HoursHalves))
                .col(date(ServiceRecords::ServedOn))
                .col(string_len(ServiceRecords::State, 20))
                .col(timestamp_with_time_zone(ServiceRecords::CreatedAt))
                .foreign_key(&mut fk(
                    ServiceRecords::Table,
                    ServiceRecords::OrderId,
                    Orders::Table,
                    Orders::Id,
                ))
                .foreign_key(&mut fk(
                    ServiceRecords::Table,
                    ServiceRecords::VolunteerId,
                    Volunteers::Table,
                    Volunteers::Id,
                ))
                .foreign_key(&mut fk(
                    ServiceRecords::Table,
                    ServiceRecords::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_service_records_volunteer_day",
            ServiceRecords::Table,
            &["volunteer_id", "served_on"],
        ))
        .await?;
        m.create_index(index(
            "ix_service_records_order",
            ServiceRecords::Table,
            &["order_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(string_len(IdempotencyKeys::Scope, 40))
                .col(string_len(IdempotencyKeys::Key, 200))
                .col(string_len(IdempotencyKeys::RequestHash, 64))
                .col(integer(IdempotencyKeys::Status))
                .col(text(IdempotencyKeys::Body))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::Scope)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(pk_uuid(RefreshTokens::Id))
                .col(uuid(RefreshTokens::UserId))
                .col(uuid(RefreshTokens::FamilyId))
                .col(string_len(RefreshTokens::TokenHash, 64).unique_key())
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .foreign_key(&mut fk(
                    RefreshTokens::Table,
                    RefreshTokens::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_refresh_tokens_family",
            RefreshTokens::Table,
            &["family_id"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            RefreshTokens::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            ServiceRecords::Table.into_iden(),
            OrderEvents::Table.into_iden(),
            Orders::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Users::Table.into_iden(),
            Volunteers::Table.into_iden(),
            Teams::Table.into_iden(),
            StationCoverage::Table.into_iden(),
            Stations::Table.into_iden(),
            Departments::Table.into_iden(),
            Villages::Table.into_iden(),
            Indicators::Table.into_iden(),
            TargetGroups::Table.into_iden(),
            Themes::Table.into_iden(),
            Townships::Table.into_iden(),
        ];
        for table in tables {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
