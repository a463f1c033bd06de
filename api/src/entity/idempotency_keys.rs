//! A stored response to a creating POST, replayed on retry.

use sea_orm::entity::prelude::*;

/// A row of `idempotency_keys`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `scope`.
    pub scope: String,
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `key`.
    pub key: String,
    /// Column `request_hash`.
    pub request_hash: String,
    /// Column `status`.
    pub status: i32,
    /// Column `body`.
    pub body: String,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
