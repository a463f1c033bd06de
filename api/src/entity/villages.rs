//! A village (嘎查/村) in a township.

use sea_orm::entity::prelude::*;

/// A row of `villages`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "villages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `township_code`.
    pub township_code: String,
    /// Column `name`.
    pub name: String,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
