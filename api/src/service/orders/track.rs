//! The public status of an order by its tracking code (`/track`, the resident's pages): state,
//! theme, township, the organisations handling it and the timeline of states; never personal
//! data.

use chrono::{DateTime, Utc};
use kepu_domain::order::{EventKind, OrderState};
use kepu_domain::value::TrackingCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::chain::events;
use super::row::parse_state;
use crate::db::Db;
use crate::entity::{departments, orders, stations, teams, themes, townships};
use crate::error::{ApiError, ApiResult};

/// The public view of an order: state, theme, township, timeline and who is handling it
/// (organisations only), never personal data.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TrackView {
    /// Tracking code.
    pub tracking_code: String,
    /// Current state.
    #[schema(value_type = String, example = "dispatched")]
    pub state: OrderState,
    /// Current state in Chinese.
    pub state_label: String,
    /// Theme code.
    pub theme: String,
    /// Theme in Chinese.
    pub theme_name: String,
    /// Township code.
    pub township: String,
    /// Township in Chinese.
    pub township_name: String,
    /// The station handling it.
    pub station_name: Option<String>,
    /// The department responsible.
    pub department_name: Option<String>,
    /// The team serving it.
    pub team_name: Option<String>,
    /// Posted.
    pub created_at: DateTime<Utc>,
    /// The states it went through, with times.
    pub timeline: Vec<TimelineEntry>,
    /// Whether the resident may still cancel it.
    pub can_cancel: bool,
    /// Whether the resident may rate it now.
    pub can_rate: bool,
}

/// One step of the public timeline.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// The state entered.
    #[schema(value_type = String, example = "submitted")]
    pub state: OrderState,
    /// That state in Chinese.
    pub label: String,
    /// The action that led there.
    pub action: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The public status of the order with this tracking code.
pub async fn track(db: &Db, code: &TrackingCode) -> ApiResult<TrackView> {
    let order = orders::Entity::find()
        .filter(orders::Column::TrackingCode.eq(code.as_ref()))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let state = parse_state(order.id, &order.state)?;
    let timeline = events(db, order.id)
        .await?
        .into_iter()
        // Escalations are internal: they change no state, so the public timeline leaves them out.
        .filter(|e| e.action != EventKind::Escalate.as_str())
        .map(|e| {
            let to = parse_state(order.id, &e.to_state)?;
            Ok(TimelineEntry {
                state: to,
                label: to.label_zh().into(),
                action: e.action,
                at: e.at,
            })
        })
        .collect::<ApiResult<_>>()?;
    let missing = |what: &str| {
        ApiError::Internal(anyhow::anyhow!(
            "order {}: its {what} is not in the reference data",
            order.id
        ))
    };
    let theme = themes::Entity::find_by_id(order.theme_code.clone())
        .one(db)
        .await?
        .ok_or_else(|| missing("theme"))?;
    let township = townships::Entity::find_by_id(order.township_code.clone())
        .one(db)
        .await?
        .ok_or_else(|| missing("township"))?;
    Ok(TrackView {
        tracking_code: order.tracking_code.clone(),
        state,
        state_label: state.label_zh().into(),
        theme_name: theme.name_zh,
        theme: order.theme_code.clone(),
        township_name: township.name_zh,
        township: order.township_code.clone(),
        station_name: stations::Entity::find_by_id(order.station_id)
            .one(db)
            .await?
            .map(|s| s.name),
        department_name: match order.department_id {
            Some(id) => departments::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|d| d.name),
            None => None,
        },
        team_name: match order.team_id {
            Some(id) => teams::Entity::find_by_id(id).one(db).await?.map(|t| t.name),
            None => None,
        },
        created_at: order.created_at,
        timeline,
        can_cancel: matches!(
            state,
            OrderState::Submitted | OrderState::Dispatched | OrderState::Accepted
        ),
        can_rate: state == OrderState::Completed,
    })
}
