//! A volunteer's confirmed hours in one year served.

use sea_orm::entity::prelude::*;

/// A row of `volunteer_years`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_years")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `volunteer_id`.
    pub volunteer_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `year`.
    pub year: i32,
    /// Column `confirmed_halves`.
    pub confirmed_halves: i64,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
