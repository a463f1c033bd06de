//! The service layer: queries and transactions over the entities, returning rows or domain
//! types. Handlers call these and never touch `ActiveModel` or SQL themselves.

pub mod activities;
pub mod actors;
pub mod certificates;
pub mod export;
pub mod idempotency;
pub mod import;
pub mod ledger;
pub mod mail;
pub mod membership;
pub mod open311;
pub mod orders;
pub mod people;
pub mod reference;
pub mod reports;
pub mod review;
pub mod sessions;
pub mod stats;
pub mod sweeper;
pub mod users;

use crate::error::Problems;
use uuid::Uuid;

/// Whether a database error is a unique-constraint violation (a duplicate).
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Parses an id sent as text; a malformed one is reported on `field`.
pub fn parse_id(problems: &mut Problems, field: &str, raw: Option<&str>) -> Option<Uuid> {
    raw.and_then(|r| problems.check(field, Uuid::parse_str(r.trim()).map_err(|_| "不是有效的ID")))
}
