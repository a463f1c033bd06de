//! An order's history: appending events to its hash chain, reading them, and the check that the chain is unbroken
//! and replays to the order's state (for one order, and for all of them: `kepu verify`).

use chrono::{DateTime, Utc};
use kepu_domain::event::{ChainedEvent, EventContent, verify_chain};
use kepu_domain::order;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Db;
use crate::entity::{order_events, orders};
use crate::error::{ApiError, ApiResult};

/// An order's events, oldest first.
pub async fn events(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Vec<order_events::Model>> {
    Ok(order_events::Entity::find()
        .filter(order_events::Column::OrderId.eq(id))
        .order_by_asc(order_events::Column::Seq)
        .all(db)
        .await?)
}

/// Appends one event to an order's chain (inside the transaction that changes the order).
pub async fn insert_event(
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

/// Whether the stored events form an unbroken chain that replays to `state`.
pub fn chain_is_valid(events: &[order_events::Model], state: &str) -> bool {
    let chained: Option<Vec<ChainedEvent>> = events
        .iter()
        .map(|e| {
            Some(ChainedEvent {
                content: EventContent {
                    order_id: e.order_id.to_string(),
                    seq: e.seq,
                    action: e.action.parse().ok()?,
                    from_state: match &e.from_state {
                        Some(s) => Some(s.parse().ok()?),
                        None => None,
                    },
                    to_state: e.to_state.parse().ok()?,
                    actor_id: e.actor_id.map(|a| a.to_string()),
                    actor_role: e.actor_role.clone(),
                    reason: e.reason.clone(),
                    data: e.data.clone(),
                    at: e.at,
                },
                prev_hash: e.prev_hash.clone(),
                hash: e.hash.clone(),
            })
        })
        .collect();
    let Some(chained) = chained else {
        return false;
    };
    let steps: Vec<_> = chained
        .iter()
        .map(|c| order::RecordedStep {
            action: c.content.action,
            from: c.content.from_state,
            to: c.content.to_state,
        })
        .collect();
    verify_chain(&chained).is_ok() && order::replay(&steps).is_ok_and(|s| s.as_str() == state)
}

/// Verifies every order's chain; returns the ids of orders whose chain is broken.
pub async fn verify_all(db: &Db) -> ApiResult<(u64, Vec<Uuid>)> {
    let mut broken = Vec::new();
    let mut checked = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = orders::Entity::find()
            .order_by_asc(orders::Column::Id)
            .limit(500);
        if let Some(a) = after {
            q = q.filter(orders::Column::Id.gt(a));
        }
        let batch = q.all(db).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for o in &batch {
            checked += 1;
            if !chain_is_valid(&events(db, o.id).await?, &o.state) {
                broken.push(o.id);
            }
        }
    }
    Ok((checked, broken))
}

/// The history of an order, with whether its chain verifies.
pub async fn history(db: &impl ConnectionTrait, order: &orders::Model) -> ApiResult<EventHistory> {
    let events = events(db, order.id).await?;
    let chain_valid = chain_is_valid(&events, &order.state);
    Ok(EventHistory {
        items: events
            .into_iter()
            .map(EventView::try_from)
            .collect::<ApiResult<_>>()?,
        next_cursor: None,
        chain_valid,
    })
}

/// One event of an order's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Position in the history, from 1.
    pub seq: i64,
    /// The action.
    pub action: String,
    /// State before (`null` for submit).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// The acting account, if any.
    pub actor_id: Option<Uuid>,
    /// The actor's role (`public`, `resident`, `system`, or an account role).
    pub actor_role: String,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// The action's other input.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
    /// Hash of the previous event (zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over this event and `prev_hash`.
    pub hash: String,
}

impl TryFrom<order_events::Model> for EventView {
    type Error = ApiError;

    fn try_from(e: order_events::Model) -> Result<Self, ApiError> {
        let data = serde_json::from_str(&e.data).map_err(|err| {
            ApiError::Internal(anyhow::anyhow!(
                "order {} event {}: stored data is not JSON: {err}",
                e.order_id,
                e.seq
            ))
        })?;
        Ok(Self {
            seq: e.seq,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            reason: e.reason,
            data,
            at: e.at,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
    }
}

/// An order's history and whether its hash chain verifies.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventHistory {
    /// Every event, oldest first.
    pub items: Vec<EventView>,
    /// Always `null`: a history is one page.
    pub next_cursor: Option<String>,
    /// Whether every event links to the one before and hashes to its stored hash.
    pub chain_valid: bool,
}
