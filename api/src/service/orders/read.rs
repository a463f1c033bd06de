//! Reading one order as an actor: whether they may see it at all, and whether they handle it.

use kepu_domain::order::{self, Actor, OrderFacts};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::view::OrderView;
use crate::entity::orders;
use crate::error::{ApiError, ApiResult};

/// An order as one actor sees it: the row, its domain facts, and whether the actor is
/// handling it (which decides whether they see the resident's contact details).
#[derive(Debug)]
pub struct VisibleOrder {
    /// The stored row.
    pub row: orders::Model,
    /// What the rules know of it.
    pub facts: OrderFacts,
    /// Whether the actor is handling it.
    pub handling: bool,
}

impl VisibleOrder {
    /// Reads `row` for `actor`; a row the domain cannot read is an internal error.
    pub fn read(row: orders::Model, actor: &Actor) -> ApiResult<Self> {
        let facts = OrderFacts::try_from(&row)?;
        let handling = order::is_handling(&facts, actor);
        Ok(Self {
            row,
            facts,
            handling,
        })
    }

    /// The staff view at `now`.
    pub fn view(self, now: chrono::DateTime<chrono::Utc>) -> OrderView {
        OrderView::new(self.row, &self.facts, self.handling, now)
    }
}

/// The order if it exists.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<orders::Model>> {
    Ok(orders::Entity::find_by_id(id).one(db).await?)
}

/// The order if it exists and the actor may see it; 404 otherwise.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    id: Uuid,
    actor: &Actor,
) -> ApiResult<VisibleOrder> {
    let row = find(db, id).await?.ok_or(ApiError::NotFound)?;
    let order = VisibleOrder::read(row, actor)?;
    if order::can_view(&order.facts, actor) {
        Ok(order)
    } else {
        Err(ApiError::NotFound)
    }
}
