//! One email in the transactional outbox: written with the action that causes it, delivered
//! by the worker.

use sea_orm::entity::prelude::*;

/// A row of `notifications`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    /// Column `id`.
    pub id: Uuid,
    /// Column `recipient`: the email address.
    pub recipient: String,
    /// Column `user_id`: the account, when the recipient has one.
    pub user_id: Option<Uuid>,
    /// Column `order_id`: the order it is about, if any.
    pub order_id: Option<Uuid>,
    /// Column `kind`: the message kind (`new_order`, …).
    pub kind: String,
    /// Column `subject`.
    pub subject: String,
    /// Column `body_text`.
    pub body_text: String,
    /// Column `body_html`.
    pub body_html: String,
    /// Column `state`: `pending`, `sent` or `parked`.
    pub state: String,
    /// Column `attempts`: failed attempts so far.
    pub attempts: i32,
    /// Column `next_attempt_at`.
    pub next_attempt_at: DateTimeUtc,
    /// Column `locked_until`: a worker's lease on the row while it sends.
    pub locked_until: Option<DateTimeUtc>,
    /// Column `lock_token`: which worker holds the lease.
    pub lock_token: Option<Uuid>,
    /// Column `last_error`: the last failure, without credentials.
    pub last_error: Option<String>,
    /// Column `created_at`.
    pub created_at: DateTimeUtc,
    /// Column `sent_at`.
    pub sent_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
