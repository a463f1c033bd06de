//! A running total (`kepu_domain::stats::TotalKey` → value).

use sea_orm::entity::prelude::*;

/// A row of `stat_totals`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stat_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `metric`.
    pub metric: String,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `township_code` (`*` for all).
    pub township_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `year` (0 for all).
    pub year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `theme_code` (empty for none).
    pub theme_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `target_group_code` (empty for none).
    pub target_group_code: String,
    /// Column `value`.
    pub value: i64,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
