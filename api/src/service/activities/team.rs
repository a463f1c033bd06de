//! What the console lists beside the activities: a leader's team's activities (and the orders
//! it claimed that still wait for one), and the few facts of an order a volunteer may see
//! next to an activity (no resident's name, phone or address).

use chrono::{DateTime, Utc};
use kepu_domain::order::OrderState;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

use super::view::{ActivityView, activity_view};
use crate::entity::{activities, orders};
use crate::error::ApiResult;
use crate::state::AppState;

/// How many past activities a leader's list shows.
const PAST: usize = 50;

/// What a volunteer may see of the order behind an activity: what it is about and where,
/// never who asked for it.
#[derive(Clone, Debug)]
pub struct OrderBrief {
    /// The order.
    pub id: Uuid,
    /// Its tracking code.
    pub tracking_code: String,
    /// Its state.
    pub state: String,
    /// Theme code.
    pub theme: String,
    /// Township code.
    pub township: String,
    /// Village, if given.
    pub village: Option<Uuid>,
    /// The planned date the team gave when claiming.
    pub planned_date: Option<chrono::NaiveDate>,
    /// The claiming team, if any.
    pub team_id: Option<Uuid>,
}

impl From<&orders::Model> for OrderBrief {
    fn from(o: &orders::Model) -> Self {
        Self {
            id: o.id,
            tracking_code: o.tracking_code.clone(),
            state: o.state.clone(),
            theme: o.theme_code.clone(),
            township: o.township_code.clone(),
            village: o.village_id,
            planned_date: o.planned_date,
            team_id: o.team_id,
        }
    }
}

/// The briefs of the orders `ids`, by id.
pub async fn order_briefs(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, OrderBrief>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(orders::Entity::find()
        .filter(orders::Column::Id.is_in(ids))
        .all(db)
        .await?
        .iter()
        .map(|o| (o.id, OrderBrief::from(o)))
        .collect())
}

/// One activity of the team, with its order.
#[derive(Debug)]
pub struct TeamActivity {
    /// The order.
    pub order: OrderBrief,
    /// The activity with its whole roster.
    pub activity: ActivityView,
}

/// A leader's activities.
#[derive(Debug)]
pub struct TeamActivities {
    /// Orders the team has claimed that have no activity yet, oldest claim first.
    pub to_schedule: Vec<OrderBrief>,
    /// Activities not yet ended, soonest first.
    pub upcoming: Vec<TeamActivity>,
    /// Ended activities, latest first (at most 50).
    pub past: Vec<TeamActivity>,
}

/// The activities of `team` (of orders it holds or held and completed), and its claimed
/// orders still waiting for a schedule.
pub async fn team_activities(state: &AppState, team: Uuid) -> ApiResult<TeamActivities> {
    let db = &state.db;
    let now: DateTime<Utc> = state.now();
    let rows = activities::Entity::find()
        .filter(activities::Column::TeamId.eq(team))
        .order_by_asc(activities::Column::StartsAt)
        .all(db)
        .await?;
    let scheduled: Vec<Uuid> = rows.iter().map(|a| a.order_id).collect();
    let briefs = order_briefs(db, scheduled.iter().copied()).await?;
    let claimed = orders::Entity::find()
        .filter(orders::Column::TeamId.eq(team))
        .filter(orders::Column::State.eq(OrderState::Claimed.as_str()))
        .order_by_asc(orders::Column::UpdatedAt)
        .all(db)
        .await?;
    let to_schedule = claimed
        .iter()
        .filter(|o| !scheduled.contains(&o.id))
        .map(OrderBrief::from)
        .collect();
    let mut upcoming = Vec::new();
    let mut past = Vec::new();
    for a in rows {
        // An order released since and claimed by another team is no longer this team's.
        let Some(order) = briefs.get(&a.order_id).filter(|o| o.team_id == Some(team)) else {
            continue;
        };
        let item = TeamActivity {
            order: order.clone(),
            activity: activity_view(db, &a, None).await?,
        };
        if a.ends_at >= now {
            upcoming.push(item);
        } else {
            past.push(item);
        }
    }
    past.reverse();
    past.truncate(PAST);
    Ok(TeamActivities {
        to_schedule,
        upcoming,
        past,
    })
}
