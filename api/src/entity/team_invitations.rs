//! A team leader's invitation of a volunteer: `pending`, then `accepted` or `declined`.

use sea_orm::entity::prelude::*;

/// A row of `team_invitations`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team_invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `team_id`.
    pub team_id: Uuid,
    /// Column `volunteer_id`.
    pub volunteer_id: Uuid,
    /// Column `invited_by` (the leader's user id).
    pub invited_by: Option<Uuid>,
    /// Column `state`: `pending`, `accepted` or `declined`.
    pub state: String,
    /// Column `created_at` (the latest invitation of the pair).
    pub created_at: DateTimeUtc,
    /// Column `answered_at`.
    pub answered_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
