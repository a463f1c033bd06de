//! The staff's order lists: scoped to the caller (a station's orders, a department's, a team's
//! claimable and own, all for the association), filtered, and keyset-paged newest first or by
//! deadline.

use chrono::{DateTime, Utc};
use kepu_domain::order::{Actor, OrderState};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::read::VisibleOrder;
use super::view::OrderView;
use crate::db::Db;
use crate::entity::orders;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Page, Paged, decode_time_cursor, encode_time_cursor, keyset_page};

/// Filters of the order list.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only this state.
    pub state: Option<OrderState>,
    /// Only this theme.
    pub theme: Option<String>,
    /// Only this township.
    pub township: Option<String>,
    /// Only overdue (`true`) or only on time (`false`).
    pub overdue: Option<bool>,
    /// The order of the list.
    pub sort: OrderSort,
}

/// How an order list is sorted; each has its own keyset cursor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderSort {
    /// Newest first (by the time-ordered id).
    #[default]
    Newest,
    /// Earliest deadline first, then by id; orders without a deadline (terminal) last.
    DueAt,
}

/// The orders `actor` may list, as a condition: a station's, a department's, a team's
/// claimable and own, or all for the association. Anyone else is refused (403).
pub(crate) fn scope(actor: &Actor) -> ApiResult<Condition> {
    Ok(match *actor {
        Actor::AssociationAdmin | Actor::System => Condition::all(),
        Actor::StationStaff { station_id } => {
            Condition::all().add(orders::Column::StationId.eq(station_id.0))
        }
        Actor::DepartmentStaff { department_id } => {
            Condition::all().add(orders::Column::DepartmentId.eq(department_id.0))
        }
        // As `order::can_view`: the claiming team's orders, and unclaimed ones offered to it.
        Actor::TeamLeader { team_id, .. } => Condition::any()
            .add(orders::Column::TeamId.eq(team_id.0))
            .add(
                Condition::all().add(orders::Column::TeamId.is_null()).add(
                    Condition::any()
                        .add(orders::Column::ClaimScope.eq("*"))
                        .add(orders::Column::ClaimScope.like(format!("%{}%", team_id.0))),
                ),
            ),
        Actor::Public | Actor::Resident { .. } | Actor::Volunteer { .. } => {
            return Err(ApiError::Forbidden("only staff can list orders".into()));
        }
    })
}

/// The condition of `filter`'s state, theme, township and overdue choices at `now`.
pub(crate) fn filtered(filter: &OrderFilter, now: DateTime<Utc>) -> Condition {
    let mut c = Condition::all();
    if let Some(state) = filter.state {
        c = c.add(orders::Column::State.eq(state.as_str()));
    }
    if let Some(theme) = &filter.theme {
        c = c.add(orders::Column::ThemeCode.eq(theme.as_str()));
    }
    if let Some(township) = &filter.township {
        c = c.add(orders::Column::TownshipCode.eq(township.as_str()));
    }
    match filter.overdue {
        Some(true) => c = c.add(orders::Column::DueAt.lte(now)),
        Some(false) => {
            c = c.add(
                Condition::any()
                    .add(orders::Column::DueAt.is_null())
                    .add(orders::Column::DueAt.gt(now)),
            )
        }
        None => {}
    }
    c
}

/// The orders `actor` may see, newest first, one page at a time (keyset on the time-ordered id).
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &OrderFilter,
    page: &Page,
    now: DateTime<Utc>,
) -> ApiResult<Paged<OrderView>> {
    let scope = scope(actor)?;
    let mut query = orders::Entity::find().filter(scope);
    query = query.filter(filtered(filter, now));
    let view = |row: orders::Model| VisibleOrder::read(row, actor).map(|o| o.view(now));
    if filter.sort == OrderSort::DueAt {
        if let Some(cursor) = &page.cursor {
            let after = match decode_time_cursor(cursor)? {
                (Some(due), id) => Condition::any()
                    .add(orders::Column::DueAt.gt(due))
                    .add(
                        Condition::all()
                            .add(orders::Column::DueAt.eq(due))
                            .add(orders::Column::Id.gt(id)),
                    )
                    .add(orders::Column::DueAt.is_null()),
                (None, id) => Condition::all()
                    .add(orders::Column::DueAt.is_null())
                    .add(orders::Column::Id.gt(id)),
            };
            query = query.filter(after);
        }
        let rows = query
            .order_by(orders::Column::DueAt.is_null(), sea_orm::Order::Asc)
            .order_by_asc(orders::Column::DueAt)
            .order_by_asc(orders::Column::Id)
            .limit(page.limit + 1)
            .all(db)
            .await?;
        let page = Paged::from_rows(
            rows,
            page.limit,
            |r| encode_time_cursor(r.due_at, r.id),
            view,
        );
        return collect(page);
    }
    let rows = crate::paging::newest_first(db, query, orders::Column::Id, page).await?;
    collect(keyset_page(rows, page.limit, |r| r.id, view))
}

/// A page whose rows each mapped to a view or to the error of a corrupt row.
fn collect(page: Paged<ApiResult<OrderView>>) -> ApiResult<Paged<OrderView>> {
    Ok(Paged {
        items: page.items.into_iter().collect::<ApiResult<_>>()?,
        next_cursor: page.next_cursor,
    })
}
