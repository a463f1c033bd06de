//! Recent failed sign-ins of one username (`kepu_domain::login`).

use sea_orm::entity::prelude::*;

/// A row of `login_failures`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `username` (trimmed, lower-case, at most 200 characters).
    pub username: String,
    /// Column `failures`.
    pub failures: i32,
    /// Column `last_failure_at`.
    pub last_failure_at: DateTimeUtc,
    /// Column `locked_until`.
    pub locked_until: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
