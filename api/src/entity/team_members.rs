//! A volunteer's membership of a team.

use sea_orm::entity::prelude::*;

/// A row of `team_members`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `team_id`.
    pub team_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `volunteer_id`.
    pub volunteer_id: Uuid,
    /// Column `joined_at`.
    pub joined_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
