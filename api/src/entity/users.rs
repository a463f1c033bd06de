//! A signed-in account.

use sea_orm::entity::prelude::*;

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `username`.
    pub username: String,
    /// Column `password_hash`.
    pub password_hash: String,
    /// Column `role`.
    pub role: String,
    /// Column `display_name`.
    pub display_name: String,
    /// Column `email`.
    pub email: Option<String>,
    /// Column `station_id`.
    pub station_id: Option<Uuid>,
    /// Column `department_id`.
    pub department_id: Option<Uuid>,
    /// Column `team_id`.
    pub team_id: Option<Uuid>,
    /// Column `volunteer_id`.
    pub volunteer_id: Option<Uuid>,
    /// Column `active`.
    pub active: bool,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `notify_non_urgent`: `false` when the user switched non-urgent mail off.
    pub notify_non_urgent: bool,
    /// Column `must_change_password`: set by a reset; only `me`, `me/password` and
    /// `logout` answer the user until they choose a new password.
    pub must_change_password: bool,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
