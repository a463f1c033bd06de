//! A sign-in: the refresh-token family shares its id, and access tokens carry it (`sid`).

use sea_orm::entity::prelude::*;

/// A row of `sessions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `user_id`.
    pub user_id: Uuid,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `revoked_at`: set by logout, a password change or reset, a deactivation, or
    /// the reuse of a rotated refresh token.
    pub revoked_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
