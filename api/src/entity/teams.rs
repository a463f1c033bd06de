//! A volunteer team.

use sea_orm::entity::prelude::*;

/// A row of `teams`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "teams")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `name`.
    pub name: String,
    /// Column `department_id`.
    pub department_id: Option<Uuid>,
    /// Column `theme_codes`.
    pub theme_codes: String,
    /// Column `active`.
    pub active: bool,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
