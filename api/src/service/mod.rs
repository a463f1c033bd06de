//! The service layer: queries and transactions over the entities, returning rows or domain
//! types. Handlers call these and never touch `ActiveModel` or SQL themselves.

pub mod actors;
pub mod certificates;
pub mod idempotency;
pub mod import;
pub mod ledger;
pub mod orders;
pub mod people;
pub mod reference;
pub mod reports;
pub mod sessions;
pub mod stats;
pub mod sweeper;
pub mod users;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Encodes a keyset position (the last id of a page) as an opaque cursor.
pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Decodes a cursor made by [`encode_cursor`]; anything else is a 422 on `cursor`.
pub fn decode_cursor(cursor: &str) -> ApiResult<Uuid> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::field("cursor", "无效的分页游标"))
}

/// Turns rows fetched with `limit + 1` into a page: the extra row only says another page
/// exists, and the last row kept becomes the cursor.
pub fn keyset_page<R, T>(
    mut rows: Vec<R>,
    limit: u64,
    id_of: impl Fn(&R) -> Uuid,
    view: impl FnMut(R) -> T,
) -> crate::views::Paged<T> {
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(id_of(r)))
    } else {
        None
    };
    crate::views::Paged {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }
}

/// Whether a database error is a unique-constraint violation (a duplicate).
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Parses an id sent as text; a malformed one is reported on `field`.
pub fn parse_id(
    problems: &mut crate::error::Problems,
    field: &str,
    raw: Option<&str>,
) -> Option<Uuid> {
    raw.and_then(|r| problems.check(field, Uuid::parse_str(r.trim()).map_err(|_| "不是有效的ID")))
}
