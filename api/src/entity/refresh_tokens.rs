//! A hashed refresh token; rotated on use, revoked by family.

use sea_orm::entity::prelude::*;

/// A row of `refresh_tokens`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `user_id`.
    pub user_id: Uuid,
    /// Column `family_id`.
    pub family_id: Uuid,
    /// Column `token_hash`.
    pub token_hash: String,
    /// Column `expires_at`.
    pub expires_at: DateTimeUtc,
    /// Column `used_at`.
    pub used_at: Option<DateTimeUtc>,
    /// Column `revoked_at`.
    pub revoked_at: Option<DateTimeUtc>,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
