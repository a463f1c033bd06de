//! One resident request and its whole life.

use sea_orm::entity::prelude::*;

/// A row of `orders`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `tracking_code`.
    pub tracking_code: String,
    /// Column `resident_token_hash`.
    pub resident_token_hash: String,
    /// Column `channel`.
    pub channel: String,
    /// Column `state`.
    pub state: String,
    /// Column `version`.
    pub version: i64,
    /// Column `head_hash`.
    pub head_hash: String,
    /// Column `theme_code`.
    pub theme_code: String,
    /// Column `township_code`.
    pub township_code: String,
    /// Column `village_id`.
    pub village_id: Option<Uuid>,
    /// Column `description`.
    pub description: String,
    /// Column `target_group_code`.
    pub target_group_code: Option<String>,
    /// Column `preferred_date`.
    pub preferred_date: Option<Date>,
    /// Column `expected_attendees`.
    pub expected_attendees: Option<i32>,
    /// Column `address`.
    pub address: Option<String>,
    /// Column `latitude`.
    pub latitude: Option<f64>,
    /// Column `longitude`.
    pub longitude: Option<f64>,
    /// Column `contact_name`.
    pub contact_name: String,
    /// Column `contact_phone`.
    pub contact_phone: String,
    /// Column `contact_email`.
    pub contact_email: Option<String>,
    /// Column `station_id`.
    pub station_id: Uuid,
    /// Column `department_id`.
    pub department_id: Option<Uuid>,
    /// Column `team_id`.
    pub team_id: Option<Uuid>,
    /// Column `claim_scope`.
    pub claim_scope: Option<String>,
    /// Column `planned_date`.
    pub planned_date: Option<Date>,
    /// Column `served_on`.
    pub served_on: Option<Date>,
    /// Column `attendees`.
    pub attendees: Option<i32>,
    /// Column `summary`.
    pub summary: Option<String>,
    /// Column `rating_score`.
    pub rating_score: Option<i16>,
    /// Column `rating_comment`.
    pub rating_comment: Option<String>,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `updated_at`.
    pub updated_at: DateTimeUtc,
    /// Column `state_entered_at`.
    pub state_entered_at: DateTimeUtc,
    /// Column `due_at`.
    pub due_at: Option<DateTimeUtc>,
    /// Column `escalated_at`: when the sweeper last escalated it (once per state entry).
    pub escalated_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
