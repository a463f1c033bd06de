//! A registered volunteer.

use sea_orm::entity::prelude::*;

/// A row of `volunteers`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `real_name`.
    pub real_name: String,
    /// Column `phone`.
    pub phone: String,
    /// Column `township_code`.
    pub township_code: String,
    /// Column `skills`.
    pub skills: String,
    /// Column `id_number`.
    pub id_number: Option<String>,
    /// Column `state`.
    pub state: String,
    /// Column `review_reason`.
    pub review_reason: Option<String>,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `updated_at`.
    pub updated_at: DateTimeUtc,
    /// Column `confirmed_halves`: confirmed hours × 2, kept with each ledger change.
    pub confirmed_halves: i64,
    /// Column `pending_halves`: hours waiting for confirmation × 2.
    pub pending_halves: i64,
    /// Column `approved_on`: the day (deployment time zone) the association's review approved
    /// the registration; empty for imported volunteers and approvals before it was kept.
    pub approved_on: Option<Date>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
