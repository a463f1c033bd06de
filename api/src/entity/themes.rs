//! Reference: a request theme.

use sea_orm::entity::prelude::*;

/// A row of `themes`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "themes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `code`.
    pub code: String,
    /// Column `name_zh`.
    pub name_zh: String,
    /// Column `name_en`.
    pub name_en: Option<String>,
    /// Column `position`.
    pub position: i32,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
