//! Filing hours on `complete`: one `pending` record per volunteer, within the 24-hour cap.

use chrono::{DateTime, NaiveDate, Utc};
use kepu_domain::ledger::{RecordKind, RecordState};
use kepu_domain::stats::Deltas;
use kepu_domain::value::Hours;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{audit, move_sums};
use crate::entity::{orders, service_records};
use crate::error::{ApiError, ApiResult};
use crate::service::actors::Acting;
use crate::service::stats;

/// A volunteer's hours on one served date, in half-hours, that count against the 24-hour
/// cap: every record not disputed (reversals deducted).
pub async fn day_total(
    db: &impl ConnectionTrait,
    volunteer: Uuid,
    day: NaiveDate,
) -> ApiResult<i64> {
    let total: Option<Option<i64>> = service_records::Entity::find()
        .select_only()
        .column_as(service_records::Column::HoursHalves.sum(), "total")
        .filter(service_records::Column::VolunteerId.eq(volunteer))
        .filter(service_records::Column::ServedOn.eq(day))
        .filter(service_records::Column::State.ne(RecordState::Disputed.as_str()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.flatten().unwrap_or(0))
}

/// What `complete` files: the order's figures and one record per volunteer.
pub struct Completion<'a> {
    /// The order as it was before completing.
    pub order: &'a orders::Model,
    /// The team that served.
    pub team_id: Uuid,
    /// Date served.
    pub served_on: NaiveDate,
    /// Person-times reached.
    pub attendees: i32,
    /// Hours per volunteer.
    pub hours: &'a [(Uuid, Hours)],
    /// Where the hours came from: attendance, or typed by the leader.
    pub source: kepu_domain::activity::Source,
}

/// Files a completion inside the action's transaction: `pending` records with their audit
/// events, the volunteers' pending sums, and the completed-order counters.
pub async fn file_completion(
    db: &impl ConnectionTrait,
    c: Completion<'_>,
    acting: &Acting,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut hours: Vec<(usize, Uuid, Hours)> = c
        .hours
        .iter()
        .enumerate()
        .map(|(i, (v, h))| (i, *v, *h))
        .collect();
    // One lock order for volunteer rows across transactions.
    hours.sort_by_key(|(_, v, _)| *v);
    for (i, volunteer_id, h) in &hours {
        let (i, volunteer_id) = (*i, *volunteer_id);
        let id = Uuid::now_v7();
        let halves = i32::from(h.halves());
        // Moving the volunteer's sums first holds their row, so concurrent completions for
        // the same volunteer take turns and each sees the other's hours for the day.
        move_sums(db, volunteer_id, 0, i64::from(halves)).await?;
        let already = day_total(db, volunteer_id, c.served_on).await?;
        if already + i64::from(halves) > i64::from(Hours::MAX_PER_DAY.halves()) {
            return Err(ApiError::field(
                format!("hours[{i}].hours"),
                format!(
                    "该志愿者当天已登记{}小时，合计不能超过24小时",
                    already as f64 / 2.0
                ),
            ));
        }
        service_records::Entity::insert(service_records::ActiveModel {
            id: Set(id),
            order_id: Set(c.order.id),
            volunteer_id: Set(volunteer_id),
            team_id: Set(c.team_id),
            hours_halves: Set(halves),
            served_on: Set(c.served_on),
            state: Set(RecordState::Pending.as_str().into()),
            created_at: Set(now),
            kind: Set(RecordKind::Service.as_str().into()),
            source: Set(c.source.as_str().into()),
            reverses_id: Set(None),
            reason: Set(None),
            decided_by: Set(None),
            decided_at: Set(None),
        })
        .exec_without_returning(db)
        .await?;
        audit(
            db,
            id,
            "filed",
            None,
            RecordState::Pending,
            halves,
            acting,
            None,
            now,
        )
        .await?;
    }
    let mut deltas = Deltas::new();
    deltas.completed(
        &c.order.township_code,
        stats::year(c.served_on),
        &c.order.theme_code,
        c.order.target_group_code.as_deref(),
        1,
        i64::from(c.attendees),
    );
    stats::apply(db, &deltas).await
}
