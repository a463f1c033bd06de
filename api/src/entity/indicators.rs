//! A quantified target of the plan.

use sea_orm::entity::prelude::*;

/// A row of `indicators`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicators")]
pub struct Model {
    /// Column `code`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Column `name_zh`.
    pub name_zh: String,
    /// Column `target`.
    pub target: f64,
    /// Column `unit`: volunteers, sessions, person_times or people.
    pub unit: String,
    /// Column `period`: `yearly` or a year range such as `2021-2025`.
    pub period: String,
    /// Column `filter_theme`.
    pub filter_theme: Option<String>,
    /// Column `filter_target_group`.
    pub filter_target_group: Option<String>,
    /// Column `position`.
    pub position: i32,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
