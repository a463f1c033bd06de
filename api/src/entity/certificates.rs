//! A service certificate (志愿服务证明) as issued.

use sea_orm::entity::prelude::*;

/// A row of `certificates`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `number`.
    pub number: String,
    /// Column `code`: the public verification code.
    pub code: String,
    /// Column `volunteer_id`.
    pub volunteer_id: Uuid,
    /// Column `period_from`.
    pub period_from: Option<Date>,
    /// Column `period_to`.
    pub period_to: Option<Date>,
    /// Column `confirmed_halves`: confirmed hours × 2 in the period.
    pub confirmed_halves: i64,
    /// Column `star_level`.
    pub star_level: i16,
    /// Column `issuer`.
    pub issuer: String,
    /// Column `issued_at`.
    pub issued_at: DateTimeUtc,
    /// Column `issued_by`.
    pub issued_by: Option<Uuid>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
