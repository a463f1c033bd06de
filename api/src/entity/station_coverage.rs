//! One line of a station's coverage: a township, or one village.

use sea_orm::entity::prelude::*;

/// A row of `station_coverage`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "station_coverage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `station_id`.
    pub station_id: Uuid,
    /// Column `township_code`.
    pub township_code: String,
    /// Column `village_id`.
    pub village_id: Option<Uuid>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
