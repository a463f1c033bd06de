//! An order's activity: when and where the claiming team serves, and how many volunteers it takes.

use sea_orm::entity::prelude::*;

/// A row of `activities`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `order_id`: one activity per order.
    pub order_id: Uuid,
    /// Column `team_id`: the team that scheduled it (the order's claiming team then).
    pub team_id: Uuid,
    /// Column `starts_at`.
    pub starts_at: DateTimeUtc,
    /// Column `ends_at`.
    pub ends_at: DateTimeUtc,
    /// Column `place`.
    pub place: String,
    /// Column `slots`.
    pub slots: i32,
    /// Column `note`.
    pub note: Option<String>,
    /// Column `code_hash`: keyed hash of the current check-in code.
    pub code_hash: Option<String>,
    /// Column `code_expires_at`.
    pub code_expires_at: Option<DateTimeUtc>,
    /// Column `reminder_sent_at`: set when the reminder was queued; cleared by a reschedule.
    pub reminder_sent_at: Option<DateTimeUtc>,
    /// Column `roster_version`: bumped first by every change of the roster (holds the row).
    pub roster_version: i64,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `updated_at`.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
