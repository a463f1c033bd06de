//! Orders: the order-claim model's one resource. Each room holds one part of its life:
//! - [`draft`]: a new order as sent, checked into domain values;
//! - [`submit`]: storing it, routed to a station, with its first event (点单);
//! - [`action`] and [`act`]: the actions that move it on, judged by the domain (派单 … 评单);
//! - [`list`], [`track`] and [`chain`]: reading it — the staff's lists, the public status,
//!   the hash-chained history;
//! - [`triage`]: what staff see beside an order to decide on it (duplicates, a suggested
//!   department, the actions open to them, counts per state);
//! - [`row`]: the one mapping from stored rows to domain facts;
//! - [`view`]: what clients see of it.

pub mod act;
pub mod action;
pub mod chain;
pub mod draft;
pub mod list;
pub mod row;
pub mod submit;
pub mod track;
pub mod triage;
pub mod view;

use kepu_domain::event::EventContent;
use kepu_domain::order::{self, Actor, OrderFacts};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

pub use act::act;
pub use action::ActionInput;
pub use chain::{EventHistory, EventView, chain_is_valid, events, history, verify_all};
pub use draft::{NewOrder, OrderDraft};
pub use list::{OrderFilter, OrderSort, list};
pub use submit::{Channel, ResidentKeys, Submitted, submit};
pub use track::{TimelineEntry, TrackView, track};
pub use view::{OrderView, SubmittedOrder};

use crate::entity::{order_events, orders};
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

/// Appends one event to an order's chain (inside the transaction that changes the order).
pub(crate) async fn insert_event(
    db: &impl ConnectionTrait,
    c: &EventContent,
    prev_hash: &str,
    hash: &str,
) -> ApiResult<()> {
    let order_id = Uuid::parse_str(&c.order_id).map_err(anyhow::Error::from)?;
    let actor_id = c
        .actor_id
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(anyhow::Error::from)?;
    order_events::Entity::insert(order_events::ActiveModel {
        order_id: Set(order_id),
        seq: Set(c.seq),
        action: Set(c.action.as_str().into()),
        from_state: Set(c.from_state.map(|s| s.as_str().to_owned())),
        to_state: Set(c.to_state.as_str().into()),
        actor_id: Set(actor_id),
        actor_role: Set(c.actor_role.clone()),
        reason: Set(c.reason.clone()),
        data: Set(c.data.clone()),
        at: Set(c.at),
        prev_hash: Set(prev_hash.into()),
        hash: Set(hash.into()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
