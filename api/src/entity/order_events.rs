//! One change of an order's state; append-only and hash-chained.

use sea_orm::entity::prelude::*;

/// A row of `order_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `order_id`.
    pub order_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `seq`.
    pub seq: i64,
    /// Column `action`.
    pub action: String,
    /// Column `from_state`.
    pub from_state: Option<String>,
    /// Column `to_state`.
    pub to_state: String,
    /// Column `actor_id`.
    pub actor_id: Option<Uuid>,
    /// Column `actor_role`.
    pub actor_role: String,
    /// Column `reason`.
    pub reason: Option<String>,
    /// Column `data`.
    pub data: String,
    /// Column `at`.
    pub at: DateTimeUtc,
    /// Column `prev_hash`.
    pub prev_hash: String,
    /// Column `hash`.
    pub hash: String,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
