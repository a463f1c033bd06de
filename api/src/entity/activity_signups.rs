//! A volunteer on an activity's roster, with their attendance.

use sea_orm::entity::prelude::*;

/// A row of `activity_signups`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_signups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `order_id`: the activity.
    pub order_id: Uuid,
    /// Column `volunteer_id`.
    pub volunteer_id: Uuid,
    /// Column `state`: `signed_up`, `waitlisted` or `withdrawn`.
    pub state: String,
    /// Column `queued_at`: when they (last) signed up; the waitlist's order.
    pub queued_at: DateTimeUtc,
    /// Column `checked_in_at`.
    pub checked_in_at: Option<DateTimeUtc>,
    /// Column `checked_out_at`.
    pub checked_out_at: Option<DateTimeUtc>,
    /// Column `source`: `attendance` (by code) or `manual` (recorded by the leader).
    pub source: Option<String>,
    /// Column `flagged`: the check-out was closed by the sweeper.
    pub flagged: bool,
    /// Column `wrong_codes`: wrong codes in a row.
    pub wrong_codes: i32,
    /// Column `locked_until`.
    pub locked_until: Option<DateTimeUtc>,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `updated_at`.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
