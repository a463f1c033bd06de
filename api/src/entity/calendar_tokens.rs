//! A volunteer's private calendar feed token, kept as its SHA-256 only.

use sea_orm::entity::prelude::*;

/// A row of `calendar_tokens`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `volunteer_id`: one token per volunteer; a new one replaces it.
    pub volunteer_id: Uuid,
    /// Column `token_hash`.
    pub token_hash: String,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
