//! The audit history of service records: every change, never updated.

use sea_orm::entity::prelude::*;

/// A row of `service_record_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service_record_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `record_id`.
    pub record_id: Uuid,
    /// Column `action`: `filed`, `confirm`, `dispute`, `reverse`.
    pub action: String,
    /// Column `from_state`.
    pub from_state: Option<String>,
    /// Column `to_state`.
    pub to_state: String,
    /// Column `hours_halves`: the hours the change is about.
    pub hours_halves: i32,
    /// Column `actor_id`.
    pub actor_id: Option<Uuid>,
    /// Column `actor_role`.
    pub actor_role: String,
    /// Column `reason`.
    pub reason: Option<String>,
    /// Column `at`.
    pub at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
