//! The names of the first schema's tables and columns, and the helpers that build its foreign
//! keys and indexes. Kept beside the migration (not in `mod.rs`), so the migration's name,
//! which `DeriveMigrationName` takes from its file, stays `m20261130_000001_initial`.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub(super) enum Townships {
    Table,
    Code,
    NameZh,
    NameEn,
    Position,
}

#[derive(DeriveIden)]
pub(super) enum Indicators {
    Table,
    Code,
    NameZh,
    Target,
    Unit,
    Period,
    FilterTheme,
    FilterTargetGroup,
    Position,
}

#[derive(DeriveIden)]
pub(super) enum Villages {
    Table,
    Id,
    TownshipCode,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Themes {
    Table,
    Code,
    NameZh,
    NameEn,
    Position,
}

#[derive(DeriveIden)]
pub(super) enum TargetGroups {
    Table,
    Code,
    NameZh,
    NameEn,
    Position,
}

#[derive(DeriveIden)]
pub(super) enum Departments {
    Table,
    Id,
    Code,
    Name,
    NameEn,
    LeadThemes,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Stations {
    Table,
    Id,
    Name,
    IsFallback,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum StationCoverage {
    Table,
    Id,
    StationId,
    TownshipCode,
    VillageId,
}

#[derive(DeriveIden)]
pub(super) enum Teams {
    Table,
    Id,
    Name,
    DepartmentId,
    ThemeCodes,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Volunteers {
    Table,
    Id,
    RealName,
    Phone,
    TownshipCode,
    Skills,
    IdNumber,
    State,
    ReviewReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    DisplayName,
    Email,
    StationId,
    DepartmentId,
    TeamId,
    VolunteerId,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum TeamMembers {
    Table,
    TeamId,
    VolunteerId,
    JoinedAt,
}

#[derive(DeriveIden)]
pub(super) enum Orders {
    Table,
    Id,
    TrackingCode,
    ResidentTokenHash,
    Channel,
    State,
    Version,
    HeadHash,
    ThemeCode,
    TownshipCode,
    VillageId,
    Description,
    TargetGroupCode,
    PreferredDate,
    ExpectedAttendees,
    Address,
    Latitude,
    Longitude,
    ContactName,
    ContactPhone,
    ContactEmail,
    StationId,
    DepartmentId,
    TeamId,
    ClaimScope,
    PlannedDate,
    ServedOn,
    Attendees,
    Summary,
    RatingScore,
    RatingComment,
    CreatedAt,
    UpdatedAt,
    StateEnteredAt,
    DueAt,
}

#[derive(DeriveIden)]
pub(super) enum OrderEvents {
    Table,
    OrderId,
    Seq,
    Action,
    FromState,
    ToState,
    ActorId,
    ActorRole,
    Reason,
    Data,
    At,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
pub(super) enum ServiceRecords {
    Table,
    Id,
    OrderId,
    VolunteerId,
    TeamId,
    HoursHalves,
    ServedOn,
    State,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum IdempotencyKeys {
    Table,
    Scope,
    Key,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

pub(super) fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

pub(super) fn index(
    name: &str,
    table: impl IntoIden,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.take()
}
