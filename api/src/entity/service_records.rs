//! Hours one volunteer gave on one order.

use sea_orm::entity::prelude::*;

/// A row of `service_records`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `order_id`.
    pub order_id: Uuid,
    /// Column `volunteer_id`.
    pub volunteer_id: Uuid,
    /// Column `team_id`.
    pub team_id: Uuid,
    /// Column `hours_halves`.
    pub hours_halves: i32,
    /// Column `served_on`.
    pub served_on: Date,
    /// Column `state`.
    pub state: String,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `kind`: `service` or `reversal`.
    pub kind: String,
    /// Column `reverses_id`: the record a reversal takes hours back from.
    pub reverses_id: Option<Uuid>,
    /// Column `reason`: of a dispute or a reversal.
    pub reason: Option<String>,
    /// Column `decided_by`.
    pub decided_by: Option<Uuid>,
    /// Column `decided_at`.
    pub decided_at: Option<DateTimeUtc>,
    /// Column `source`: `attendance` (hours from check-in) or `manual` (typed).
    pub source: String,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
