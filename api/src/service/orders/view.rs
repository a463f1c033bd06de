//! What clients see of an order: the staff view with personal data masked for those not
//! handling it, and the submitter's answer with the resident token.

use chrono::{DateTime, NaiveDate, Utc};
use kepu_domain::order::{ClaimScope, OrderFacts, OrderState};
use kepu_domain::value::mask_phone;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::orders;

/// An order as staff see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    /// How it arrived: `web`, `station` (entered by staff through the API), `phone` or
    /// `counter` (entered by staff in the console) or `open311`.
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

impl OrderView {
    /// The row (with `facts`, its domain reading) as `handling` or non-handling staff see it,
    /// at `now`.
    pub fn new(
        order: orders::Model,
        facts: &OrderFacts,
        handling: bool,
        now: DateTime<Utc>,
    ) -> Self {
        let state = facts.state;
        let (scope_name, team_ids) = match &facts.claim_scope {
            ClaimScope::Closed => ("closed", vec![]),
            ClaimScope::AllActiveTeams => ("all", vec![]),
            ClaimScope::Teams(teams) => ("teams", teams.iter().map(|t| t.0).collect()),
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
