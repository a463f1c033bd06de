//! A department that accepts orders.

use sea_orm::entity::prelude::*;

/// A row of `departments`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `code`.
    pub code: Option<String>,
    /// Column `name`.
    pub name: String,
    /// Column `name_en`.
    pub name_en: Option<String>,
    /// Column `lead_themes`.
    pub lead_themes: String,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
