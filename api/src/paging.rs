//! Keyset paging, the one way every list is paged: `?limit=&cursor=` in ([`Page`]), a page of
//! items with an opaque `next_cursor` out ([`Paged`]). A cursor names the last row of the page
//! (its time-ordered id, or the sort key and id), so pages stay stable while rows are inserted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// `?limit=&cursor=` of list endpoints: limit defaults to 50, at most 200.
#[derive(Clone, Debug)]
pub struct Page {
    /// Items wanted.
    pub limit: u64,
    /// The opaque cursor of the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Page {
    /// The default page size.
    pub const DEFAULT: u64 = 50;
    /// The largest page size.
    pub const MAX: u64 = 200;

    /// Reads `?limit=&cursor=` from a query, adding what is wrong to `problems` so that it is
    /// reported with the other filters' problems.
    pub fn from_query(
        query: &std::collections::HashMap<String, String>,
        problems: &mut crate::error::Problems,
    ) -> Option<Self> {
        let parsed = Self::parse(
            query.get("limit").map(String::as_str),
            query.get("cursor").map(String::as_str),
        );
        match parsed {
            Ok(page) => Some(page),
            Err(ApiError::Validation(errors)) => {
                errors
                    .into_iter()
                    .for_each(|e| problems.add(e.field, e.message));
                None
            }
            Err(_) => {
                problems.add("limit", "无效的分页参数");
                None
            }
        }
    }

    /// Parses the two parameters; anything unusable is a 422.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> ApiResult<Self> {
        let limit = match limit {
            None | Some("") => Self::DEFAULT,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if n >= 1 => n.min(Self::MAX),
                _ => {
                    return Err(ApiError::field(
                        "limit",
                        format!("须为1到{}的整数", Self::MAX),
                    ));
                }
            },
        };
        Ok(Self {
            limit,
            cursor: cursor.filter(|c| !c.is_empty()).map(str::to_owned),
        })
    }
}

/// A page of a list: `next_cursor` is `null` on the last page.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Paged<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `?cursor=` to get the next page; `null` when there is none.
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    /// A complete list on one page.
    pub fn all(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }

    /// Turns rows fetched with `limit + 1` into a page: the extra row only says another page
    /// exists, and the last row kept becomes the cursor (`cursor_of`).
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: u64,
        cursor_of: impl Fn(&R) -> String,
        view: impl FnMut(R) -> T,
    ) -> Self {
        let next_cursor = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Self {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

/// [`Paged::from_rows`] for the common case: rows ordered by their time-ordered id.
pub fn keyset_page<R, T>(
    rows: Vec<R>,
    limit: u64,
    id_of: impl Fn(&R) -> Uuid,
    view: impl FnMut(R) -> T,
) -> Paged<T> {
    Paged::from_rows(rows, limit, |r| encode_cursor(id_of(r)), view)
}

/// The rows of one page of `query`, newest first by its time-ordered `id` column: those
/// after `page`'s cursor, one more than the page holds (for [`keyset_page`]).
pub async fn newest_first<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    id: E::Column,
    page: &Page,
) -> ApiResult<Vec<E::Model>> {
    let query = match &page.cursor {
        Some(cursor) => query.filter(id.lt(decode_cursor(cursor)?)),
        None => query,
    };
    Ok(query
        .order_by_desc(id)
        .limit(page.limit + 1)
        .all(db)
        .await?)
}

fn bad_cursor() -> ApiError {
    ApiError::field("cursor", "无效的分页游标")
}

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
        .ok_or_else(bad_cursor)
}

/// The cursor of a list sorted by an optional time, then id: the last row's time (or none)
/// and id.
pub fn encode_time_cursor(at: Option<DateTime<Utc>>, id: Uuid) -> String {
    let at = at.map_or_else(|| "-".to_owned(), |d| d.timestamp_micros().to_string());
    URL_SAFE_NO_PAD.encode(format!("{at}|{id}"))
}

/// Decodes [`encode_time_cursor`]; anything else (a cursor of another sort, say) is a 422.
pub fn decode_time_cursor(cursor: &str) -> ApiResult<(Option<DateTime<Utc>>, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let (at, id) = text.split_once('|').ok_or_else(bad_cursor)?;
    let id = Uuid::parse_str(id).map_err(|_| bad_cursor())?;
    let at = match at {
        "-" => None,
        micros => Some(
            micros
                .parse::<i64>()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(bad_cursor)?,
        ),
    };
    Ok((at, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_default_clamp_and_refuse_nonsense() {
        assert_eq!(Page::parse(None, None).unwrap().limit, 50);
        assert_eq!(Page::parse(Some("500"), None).unwrap().limit, 200);
        assert!(Page::parse(Some("0"), None).is_err());
        assert!(Page::parse(Some("ten"), None).is_err());
    }

    #[test]
    fn cursors_round_trip_and_refuse_each_other() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)).unwrap(), id);
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        assert_eq!(
            decode_time_cursor(&encode_time_cursor(Some(at), id)).unwrap(),
            (Some(at), id)
        );
        assert_eq!(
            decode_time_cursor(&encode_time_cursor(None, id)).unwrap(),
            (None, id)
        );
        assert!(decode_time_cursor(&encode_cursor(id)).is_err());
        assert!(decode_cursor("not a cursor!").is_err());
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_past_the_last() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = keyset_page(ids.clone(), 2, |id| *id, |id| id);
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next_cursor, Some(encode_cursor(ids[1])));
        let last = keyset_page(ids[..2].to_vec(), 2, |id| *id, |id| id);
        assert_eq!(last.next_cursor, None);
    }
}
