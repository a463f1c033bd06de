//! Response bodies: what clients see of each resource, built from rows with the caller's view
//! applied (personal data masked for those not handling it).

use chrono::{DateTime, NaiveDate, Utc};
use kepu_domain::order::{ClaimScope, OrderFacts, OrderState};
use kepu_domain::value::mask_phone;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{order_events, orders};

/// A page of a list: `next_cursor` is `null` on the last page.
#[derive(Debug, Serialize, ToSchema)]
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
}

/// An order as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// The order's id.
    pub id: Uuid,
    /// The resident's short tracking code.
    pub tracking_code: String,
    /// Current state.
    #[schema(value_type = String, example = "submitted")]
    pub state: OrderState,
    /// The state in Chinese (已点单 …).
    pub state_label: String,
    /// How it arrived: `web`, `station` (entered by staff) or `open311`.
    pub channel: String,
    /// Theme code.
    pub theme: String,
    /// Township code.
    pub township: String,
    /// Village id, if given.
    pub village: Option<Uuid>,
    /// What the resident needs.
    pub description: String,
    /// Target group code, if given.
    pub target_group: Option<String>,
    /// Preferred date, if given.
    pub preferred_date: Option<NaiveDate>,
    /// Expected attendees, if given.
    pub expected_attendees: Option<i32>,
    /// Address, if given.
    pub address: Option<String>,
    /// Latitude, if given.
    pub latitude: Option<f64>,
    /// Longitude, if given.
    pub longitude: Option<f64>,
    /// The resident's name.
    pub contact_name: String,
    /// The resident's phone: in full for those handling the order, masked (`138****5678`) for others.
    pub contact_phone: String,
    /// The resident's email; only for those handling the order.
    pub contact_email: Option<String>,
    /// The routing station.
    pub station_id: Uuid,
    /// The department it is dispatched to.
    pub department_id: Option<Uuid>,
    /// The claiming team.
    pub team_id: Option<Uuid>,
    /// Who may claim: `closed` (not accepted), `all` (every active team) or `teams`.
    pub claim_scope: String,
    /// With `claim_scope = teams`: the teams allowed to claim.
    pub claim_team_ids: Vec<Uuid>,
    /// The team's planned date, if given when claiming.
    pub planned_date: Option<NaiveDate>,
    /// When it was served (after `complete`).
    pub served_on: Option<NaiveDate>,
    /// Person-times served (after `complete`).
    pub attendees: Option<i32>,
    /// The team's summary (after `complete`).
    pub summary: Option<String>,
    /// The resident's score (after `rate`).
    pub rating_score: Option<i16>,
    /// The resident's comment (after `rate`).
    pub rating_comment: Option<String>,
    /// Increases with every change; the `ETag`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When the current state's deadline passes; `null` in terminal states.
    pub due_at: Option<DateTime<Utc>>,
    /// Whether the deadline has passed.
    pub overdue: bool,
}

/// The answer to a submit: the order plus the resident's token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedOrder {
    /// The new order.
    #[serde(flatten)]
    pub order: OrderView,
    /// Authorizes `cancel` and `rate` on this order: `Authorization: Resident <token>`. Keep it.
    pub resident_token: String,
}

/// Parses the stored claim scope (`NULL`, `*` or a JSON list of team ids).
pub fn claim_scope(stored: Option<&str>) -> ClaimScope {
    match stored {
        None => ClaimScope::Closed,
        Some("*") => ClaimScope::AllActiveTeams,
        Some(list) => ClaimScope::Teams(
            serde_json::from_str::<Vec<Uuid>>(list)
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        ),
    }
}

/// The stored form of a claim scope.
pub fn store_claim_scope(scope: &ClaimScope) -> Option<String> {
    match scope {
        ClaimScope::Closed => None,
        ClaimScope::AllActiveTeams => Some("*".into()),
        ClaimScope::Teams(teams) => Some(
            serde_json::to_string(&teams.iter().map(|t| t.0).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into()),
        ),
    }
}

/// Parses a stored order state; rows only ever hold valid names.
pub fn order_state(stored: &str) -> OrderState {
    stored.parse().unwrap_or(OrderState::Submitted)
}

/// What the rules need of a row.
pub fn facts(order: &orders::Model) -> OrderFacts {
    OrderFacts {
        id: order.id.into(),
        state: order_state(&order.state),
        station_id: order.station_id.into(),
        department_id: order.department_id.map(Into::into),
        team_id: order.team_id.map(Into::into),
        claim_scope: claim_scope(order.claim_scope.as_deref()),
    }
}

impl OrderView {
    /// The row as `handling` or non-handling staff see it, at `now`.
    pub fn new(order: orders::Model, handling: bool, now: DateTime<Utc>) -> Self {
        let state = order_state(&order.state);
        let scope = claim_scope(order.claim_scope.as_deref());
        let (scope_name, team_ids) = match scope {
            ClaimScope::Closed => ("closed", vec![]),
            ClaimScope::AllActiveTeams => ("all", vec![]),
            ClaimScope::Teams(teams) => ("teams", teams.into_iter().map(|t| t.0).collect()),
        };
        Self {
            id: order.id,
            tracking_code: order.tracking_code,
            state,
            state_label: state.label_zh().into(),
            channel: order.channel,
            theme: order.theme_code,
            township: order.township_code,
            village: order.village_id,
            description: order.description,
            target_group: order.target_group_code,
            preferred_date: order.preferred_date,
            expected_attendees: order.expected_attendees,
            address: order.address,
            latitude: order.latitude,
            longitude: order.longitude,
            contact_name: order.contact_name,
            contact_phone: if handling {
                order.contact_phone
            } else {
                mask_phone(&order.contact_phone)
            },
            contact_email: order.contact_email.filter(|_| handling),
            station_id: order.station_id,
            department_id: order.department_id,
            team_id: order.team_id,
            claim_scope: scope_name.into(),
            claim_team_ids: team_ids,
            planned_date: order.planned_date,
            served_on: order.served_on,
            attendees: order.attendees,
            summary: order.summary,
            rating_score: order.rating_score,
            rating_comment: order.rating_comment,
            version: order.version,
            created_at: order.created_at,
            updated_at: order.updated_at,
            due_at: order.due_at,
            overdue: kepu_domain::sla::is_overdue(order.due_at, now),
        }
    }
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

impl From<order_events::Model> for EventView {
    fn from(e: order_events::Model) -> Self {
        Self {
            seq: e.seq,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            reason: e.reason,
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            at: e.at,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
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
