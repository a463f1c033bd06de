//! Scheduling an activity (the claiming team's leader) and reading it. Scheduling again
//! reschedules: a new time or place is mailed to the signed-up volunteers, more slots move
//! waitlisted volunteers up, and fewer slots than are taken are refused.

use chrono::{DateTime, Utc};
use kepu_domain::activity::{Schedule, SignupState};
use kepu_domain::notice::MessageKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::access::{Access, Role};
use super::roster::{conflict, hold, signed_up_count};
use super::view::{ActivityView, activity_view};
use crate::entity::{activities, activity_signups, orders};
use crate::error::{ApiError, ApiResult};
use crate::notify::{self, templates};
use crate::state::AppState;

/// Reads the activity: the whole roster for staff and the leader, their own row for a member.
pub async fn get(state: &AppState, access: &Access) -> ApiResult<ActivityView> {
    let a = access.activity(&state.db).await?;
    let only = match access.role {
        Role::Member { volunteer_id } => Some(volunteer_id),
        Role::Staff | Role::Leader { .. } => None,
    };
    activity_view(&state.db, &a, only).await
}

/// Schedules or reschedules the activity of a claimed order (its claiming team's leader).
pub async fn put(state: &AppState, access: &Access, schedule: Schedule) -> ApiResult<ActivityView> {
    let team_id = access.leader()?;
    access.claimed()?;
    let now = state.now();
    let order_id = access.order.id;
    let txn = state.db.begin().await?;
    let existing = activities::Entity::find_by_id(order_id).one(&txn).await?;
    let a = match existing {
        Some(old) if old.team_id == team_id => {
            hold(&txn, order_id, team_id).await?;
            let taken = signed_up_count(&txn, order_id).await?;
            if i64::from(schedule.slots) < taken {
                txn.rollback().await?;
                return Err(ApiError::field(
                    "slots",
                    format!("已有{taken}名志愿者报名，名额不能少于{taken}"),
                ));
            }
            let moved = old.starts_at != schedule.starts_at
                || old.ends_at != schedule.ends_at
                || old.place != schedule.place;
            let mut update = activities::Entity::update_many()
                .col_expr(
                    activities::Column::StartsAt,
                    Expr::value(schedule.starts_at),
                )
                .col_expr(activities::Column::EndsAt, Expr::value(schedule.ends_at))
                .col_expr(
                    activities::Column::Place,
                    Expr::value(schedule.place.clone()),
                )
                .col_expr(activities::Column::Slots, Expr::value(schedule.slots))
                .col_expr(activities::Column::Note, Expr::value(schedule.note.clone()))
                .col_expr(activities::Column::UpdatedAt, Expr::value(now));
            if old.starts_at != schedule.starts_at {
                // A new start is a new reminder.
                update = update.col_expr(
                    activities::Column::ReminderSentAt,
                    Expr::value(None::<DateTime<Utc>>),
                );
            }
            update
                .filter(activities::Column::OrderId.eq(order_id))
                .exec(&txn)
                .await?;
            let a = activities::Entity::find_by_id(order_id)
                .one(&txn)
                .await?
                .ok_or(ApiError::NotFound)?;
            if moved {
                tell_signed_up(state, &txn, &access.order, &a, now).await?;
            }
            promote(state, &txn, &access.order, &a, now).await?;
            a
        }
        other => {
            // First schedule, or the order was released and claimed by another team since:
            // the new team starts from an empty roster.
            if other.is_some() {
                activity_signups::Entity::delete_many()
                    .filter(activity_signups::Column::OrderId.eq(order_id))
                    .exec(&txn)
                    .await?;
                activities::Entity::delete_by_id(order_id)
                    .exec(&txn)
                    .await?;
            }
            let row = activities::ActiveModel {
                order_id: Set(order_id),
                team_id: Set(team_id),
                starts_at: Set(schedule.starts_at),
                ends_at: Set(schedule.ends_at),
                place: Set(schedule.place),
                slots: Set(schedule.slots),
                note: Set(schedule.note),
                code_hash: Set(None),
                code_expires_at: Set(None),
                reminder_sent_at: Set(None),
                roster_version: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
            };
            match activities::Entity::insert(row)
                .exec_with_returning(&txn)
                .await
            {
                Ok(a) => a,
                Err(e) if crate::service::is_unique_violation(&e) => {
                    txn.rollback().await?;
                    return Err(conflict(
                        "activity.changed",
                        "the activity was scheduled by another request at the same moment; reload it",
                        "scheduled",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let view = activity_view(&txn, &a, None).await?;
    txn.commit().await?;
    Ok(view)
}

/// The facts an activity message shows.
pub(crate) fn facts<'a>(
    order: &'a orders::Model,
    a: &'a activities::Model,
) -> templates::ActivityFacts<'a> {
    templates::ActivityFacts {
        order_id: a.order_id,
        description: &order.description,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        place: &a.place,
        note: a.note.as_deref(),
    }
}

/// Queues `kind` about activity `a` to each of `volunteers`.
pub(crate) async fn tell(
    state: &AppState,
    txn: &impl ConnectionTrait,
    order: &orders::Model,
    a: &activities::Model,
    kind: MessageKind,
    volunteers: &[Uuid],
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let rendered = templates::render_activity(
        kind,
        &facts(order, a),
        &state.settings.mail.public_url,
        state.settings.timezone,
    );
    let mut queued = 0;
    for v in volunteers {
        queued += notify::enqueue_to_volunteer(txn, *v, order.id, kind, &rendered, now).await?;
    }
    Ok(queued)
}

/// The volunteers holding a slot.
pub(crate) async fn signed_up_volunteers(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> ApiResult<Vec<Uuid>> {
    Ok(activity_signups::Entity::find()
        .select_only()
        .column(activity_signups::Column::VolunteerId)
        .filter(activity_signups::Column::OrderId.eq(order_id))
        .filter(activity_signups::Column::State.eq(SignupState::SignedUp.as_str()))
        .order_by_asc(activity_signups::Column::VolunteerId)
        .into_tuple()
        .all(db)
        .await?)
}

async fn tell_signed_up(
    state: &AppState,
    txn: &impl ConnectionTrait,
    order: &orders::Model,
    a: &activities::Model,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let volunteers = signed_up_volunteers(txn, a.order_id).await?;
    tell(
        state,
        txn,
        order,
        a,
        MessageKind::ActivityRescheduled,
        &volunteers,
        now,
    )
    .await
}

/// Moves waitlisted volunteers up, first come first served, while slots are free, and tells
/// each. Call with the activity held ([`hold`]). Returns who moved up.
pub(crate) async fn promote(
    state: &AppState,
    txn: &impl ConnectionTrait,
    order: &orders::Model,
    a: &activities::Model,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Uuid>> {
    let free = i64::from(a.slots) - signed_up_count(txn, a.order_id).await?;
    if free <= 0 {
        return Ok(vec![]);
    }
    let next = activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(a.order_id))
        .filter(activity_signups::Column::State.eq(SignupState::Waitlisted.as_str()))
        .order_by_asc(activity_signups::Column::QueuedAt)
        .order_by_asc(activity_signups::Column::Id)
        .limit(free as u64)
        .all(txn)
        .await?;
    let mut moved = Vec::with_capacity(next.len());
    for row in next {
        let changed = activity_signups::Entity::update_many()
            .col_expr(
                activity_signups::Column::State,
                Expr::value(SignupState::SignedUp.as_str()),
            )
            .col_expr(activity_signups::Column::UpdatedAt, Expr::value(now))
            .filter(activity_signups::Column::Id.eq(row.id))
            .filter(activity_signups::Column::State.eq(SignupState::Waitlisted.as_str()))
            .exec(txn)
            .await?
            .rows_affected;
        if changed == 1 {
            moved.push(row.volunteer_id);
        }
    }
    tell(
        state,
        txn,
        order,
        a,
        MessageKind::ActivityPromoted,
        &moved,
        now,
    )
    .await?;
    Ok(moved)
}
