//! What clients see of an activity: the schedule, the counts, and the roster (all of it for
//! staff and the leader; a volunteer sees only their own row).

use chrono::{DateTime, Utc};
use kepu_domain::activity::{SignupState, attendance_halves};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{activities, activity_signups, volunteers};
use crate::error::ApiResult;

/// One volunteer on the roster.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RosterRow {
    /// The volunteer.
    pub volunteer_id: Uuid,
    /// Their real name.
    pub name: String,
    /// `signed_up`, `waitlisted` or `withdrawn`.
    pub state: String,
    /// Place in the waitlist (1 = next to move up); only while waitlisted.
    pub waitlist_position: Option<i64>,
    /// When they checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// When they checked out (the activity's end when the sweeper closed it).
    pub checked_out_at: Option<DateTime<Utc>>,
    /// Hours from attendance: checked-in time within the activity, rounded down to 0.5 h;
    /// `null` until they have checked out.
    pub hours: Option<f64>,
    /// `attendance` (checked in with the code) or `manual` (recorded by the leader).
    pub source: Option<String>,
    /// The check-out was closed by the sweeper: they forgot to check out.
    pub flagged: bool,
}

/// The activity of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    /// The order.
    pub order_id: Uuid,
    /// Starts (RFC 3339, UTC).
    pub starts_at: DateTime<Utc>,
    /// Ends.
    pub ends_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// How many volunteers it takes.
    pub slots: i32,
    /// A note for the volunteers.
    pub note: Option<String>,
    /// Volunteers holding a slot.
    pub signed_up: i64,
    /// Volunteers waiting for one.
    pub waitlisted: i64,
    /// Staff and the leader: everyone signed up or waiting (signed up first, each in order of
    /// sign-up). A volunteer: only their own row, if any.
    pub roster: Vec<RosterRow>,
}

/// A sign-up as answered to the volunteer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupView {
    /// `signed_up` or `waitlisted`.
    pub state: String,
    /// The volunteer's roster row.
    #[serde(flatten)]
    pub row: RosterRow,
}

/// One of a volunteer's activities, with their own row.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyActivity {
    /// The activity (its roster holds only the volunteer's own row).
    #[serde(flatten)]
    pub activity: ActivityView,
    /// The order's state (`claimed` while it can still change).
    pub order_state: String,
    /// The volunteer's row; `null` when they have not signed up.
    pub mine: Option<RosterRow>,
}

/// A volunteer's activities.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyActivities {
    /// Activities not yet ended, soonest first.
    pub upcoming: Vec<MyActivity>,
    /// Ended activities, latest first (at most 50).
    pub past: Vec<MyActivity>,
}

/// The attendance hours of a row, once it has both times.
pub fn row_hours(a: &activities::Model, s: &activity_signups::Model) -> Option<f64> {
    match (s.checked_in_at, s.checked_out_at) {
        (Some(i), Some(o)) => {
            Some(f64::from(attendance_halves(i, o, a.starts_at, a.ends_at)) / 2.0)
        }
        _ => None,
    }
}

/// A roster row of `s` with the volunteer's `name`.
pub fn roster_row(
    a: &activities::Model,
    s: &activity_signups::Model,
    name: String,
    waitlist_position: Option<i64>,
) -> RosterRow {
    RosterRow {
        volunteer_id: s.volunteer_id,
        name,
        state: s.state.clone(),
        waitlist_position,
        checked_in_at: s.checked_in_at,
        checked_out_at: s.checked_out_at,
        hours: row_hours(a, s),
        source: s.source.clone(),
        flagged: s.flagged,
    }
}

async fn names(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> ApiResult<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(volunteers::Entity::find()
        .filter(volunteers::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.real_name))
        .collect())
}

/// The activity's live rows (signed up first, then the waitlist, each in order of sign-up),
/// with waitlist positions.
async fn live_rows(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> ApiResult<Vec<(activity_signups::Model, Option<i64>)>> {
    let rows = activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(order_id))
        .filter(activity_signups::Column::State.ne(SignupState::Withdrawn.as_str()))
        .order_by_asc(activity_signups::Column::QueuedAt)
        .order_by_asc(activity_signups::Column::Id)
        .all(db)
        .await?;
    let (signed, waiting): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| r.state == SignupState::SignedUp.as_str());
    Ok(signed
        .into_iter()
        .map(|r| (r, None))
        .chain(
            waiting
                .into_iter()
                .enumerate()
                .map(|(i, r)| (r, Some(i as i64 + 1))),
        )
        .collect())
}

/// The activity as seen by staff and the leader (`only` = None) or by one volunteer
/// (`only` = their id: the roster holds only their row).
pub async fn activity_view(
    db: &impl ConnectionTrait,
    a: &activities::Model,
    only: Option<Uuid>,
) -> ApiResult<ActivityView> {
    let rows = live_rows(db, a.order_id).await?;
    let signed_up = rows.iter().filter(|(_, p)| p.is_none()).count() as i64;
    let waitlisted = rows.len() as i64 - signed_up;
    let roster = match only {
        None => {
            let names = names(db, rows.iter().map(|(r, _)| r.volunteer_id).collect()).await?;
            rows.iter()
                .map(|(r, p)| {
                    let name = names.get(&r.volunteer_id).cloned().unwrap_or_default();
                    roster_row(a, r, name, *p)
                })
                .collect()
        }
        Some(volunteer) => own_row(db, a, volunteer).await?.into_iter().collect(),
    };
    Ok(ActivityView {
        order_id: a.order_id,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        place: a.place.clone(),
        slots: a.slots,
        note: a.note.clone(),
        signed_up,
        waitlisted,
        roster,
    })
}

/// One volunteer's row on the activity (withdrawn included), with their waitlist position.
pub async fn own_row(
    db: &impl ConnectionTrait,
    a: &activities::Model,
    volunteer: Uuid,
) -> ApiResult<Option<RosterRow>> {
    let Some(row) = activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(a.order_id))
        .filter(activity_signups::Column::VolunteerId.eq(volunteer))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let position = if row.state == SignupState::Waitlisted.as_str() {
        live_rows(db, a.order_id)
            .await?
            .into_iter()
            .find(|(r, _)| r.id == row.id)
            .and_then(|(_, p)| p)
    } else {
        None
    };
    let name = names(db, vec![volunteer])
        .await?
        .remove(&volunteer)
        .unwrap_or_default();
    Ok(Some(roster_row(a, &row, name, position)))
}
