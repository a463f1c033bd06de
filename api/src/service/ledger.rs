//! The hours ledger: filing records on `complete`, confirming, disputing and reversing them,
//! each change with its audit event and its running totals in one transaction.

use chrono::{DateTime, NaiveDate, Utc};
use kepu_domain::ledger::{
    self, LedgerAction, LedgerRefusal, RecordFacts, RecordKind, RecordState,
};
use kepu_domain::stats::Deltas;
use kepu_domain::value::Hours;
use kepu_domain::volunteer::StarThresholds;
use kepu_domain::{DepartmentId, OrderState};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::actors::Acting;
use super::stats;
use crate::entity::{orders, service_record_events, service_records, volunteers};
use crate::error::{ApiError, ApiResult};
use crate::paging::Page;
use crate::paging::Paged;
use crate::state::AppState;

/// One service record.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    /// Id.
    pub id: Uuid,
    /// The order served.
    pub order_id: Uuid,
    /// The volunteer.
    pub volunteer_id: Uuid,
    /// The team that served.
    pub team_id: Uuid,
    /// Hours (negative for a reversal).
    pub hours: f64,
    /// Date served.
    pub served_on: NaiveDate,
    /// `pending`, `confirmed` or `disputed`.
    pub state: String,
    /// `service`, or `reversal` for a correction.
    pub kind: String,
    /// Where the hours came from: `attendance` (check-in and check-out) or `manual` (typed).
    pub source: String,
    /// For a reversal: the record it corrects.
    pub reverses_id: Option<Uuid>,
    /// Reason of a dispute or a reversal.
    pub reason: Option<String>,
    /// Who confirmed, disputed or reversed it.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

impl From<service_records::Model> for RecordView {
    fn from(r: service_records::Model) -> Self {
        Self {
            id: r.id,
            order_id: r.order_id,
            volunteer_id: r.volunteer_id,
            team_id: r.team_id,
            hours: f64::from(r.hours_halves) / 2.0,
            served_on: r.served_on,
            state: r.state,
            kind: r.kind,
            source: r.source,
            reverses_id: r.reverses_id,
            reason: r.reason,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            created_at: r.created_at,
        }
    }
}

/// One change of a record, as audited.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordEventView {
    /// `filed`, `confirm`, `dispute` or `reverse`.
    pub action: String,
    /// State before (none when filed).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// The hours the change is about.
    pub hours: f64,
    /// Who (none for the system).
    pub actor_id: Option<Uuid>,
    /// In which role.
    pub actor_role: String,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A record with its audit history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDetail {
    /// The record.
    #[serde(flatten)]
    pub record: RecordView,
    /// Every change, oldest first.
    pub history: Vec<RecordEventView>,
}

#[allow(clippy::too_many_arguments)]
async fn audit(
    db: &impl ConnectionTrait,
    record: Uuid,
    action: &str,
    from: Option<RecordState>,
    to: RecordState,
    halves: i32,
    acting: &Acting,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> ApiResult<()> {
    service_record_events::Entity::insert(service_record_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        record_id: Set(record),
        action: Set(action.into()),
        from_state: Set(from.map(|s| s.as_str().to_owned())),
        to_state: Set(to.as_str().into()),
        hours_halves: Set(halves),
        actor_id: Set(acting.user_id),
        actor_role: Set(acting.actor.role_name().into()),
        reason: Set(reason),
        at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Moves a volunteer's stored confirmed and pending sums.
async fn move_sums(
    db: &impl ConnectionTrait,
    volunteer: Uuid,
    confirmed: i64,
    pending: i64,
) -> ApiResult<()> {
    volunteers::Entity::update_many()
        .col_expr(
            volunteers::Column::ConfirmedHalves,
            Expr::col(volunteers::Column::ConfirmedHalves).add(confirmed),
        )
        .col_expr(
            volunteers::Column::PendingHalves,
            Expr::col(volunteers::Column::PendingHalves).add(pending),
        )
        .filter(volunteers::Column::Id.eq(volunteer))
        .exec(db)
        .await?;
    Ok(())
}

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

/// The HTTP answer to a refusal of the ledger's rules.
pub fn refusal(r: LedgerRefusal) -> ApiError {
    match r {
        LedgerRefusal::NotFound => ApiError::NotFound,
        LedgerRefusal::Forbidden(action) => ApiError::Forbidden(format!(
            "you may not {} this service record",
            action.as_str()
        )),
        LedgerRefusal::InvalidTransition { action, current } => ApiError::Conflict {
            code: "service_record.invalid_transition",
            detail: format!(
                "cannot {} a service record that is {current}",
                action.as_str()
            ),
            current_state: current.to_string(),
        },
        LedgerRefusal::OrderCancelled { current } => ApiError::Conflict {
            code: "service_record.order_cancelled",
            detail: "the order was cancelled after it was completed; its hours cannot be \
                     confirmed, only disputed"
                .into(),
            current_state: current.to_string(),
        },
        LedgerRefusal::NothingToReverse => {
            ApiError::field("hours", "冲正时长必须大于0，且不超过该记录尚未冲正的时长")
        }
    }
}

/// A record with the facts the rules need.
async fn load(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> ApiResult<(service_records::Model, RecordFacts)> {
    let record = service_records::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let order: Option<(Option<Uuid>, String)> = orders::Entity::find_by_id(record.order_id)
        .select_only()
        .column(orders::Column::DepartmentId)
        .column(orders::Column::State)
        .into_tuple()
        .one(db)
        .await?;
    let (department, order_state) = order.unzip();
    let reversed: Option<Option<i64>> = service_records::Entity::find()
        .select_only()
        .column_as(service_records::Column::HoursHalves.sum(), "total")
        .filter(service_records::Column::ReversesId.eq(id))
        .into_tuple()
        .one(db)
        .await?;
    let state = record
        .state
        .parse()
        .map_err(|_| anyhow::anyhow!("stored record state {} is unknown", record.state))?;
    let kind = record
        .kind
        .parse()
        .map_err(|_| anyhow::anyhow!("stored record kind {} is unknown", record.kind))?;
    let facts = RecordFacts {
        state,
        kind,
        department_id: department.flatten().map(DepartmentId),
        reversible_halves: i64::from(record.hours_halves) + reversed.flatten().unwrap_or(0),
        order_cancelled: order_state.as_deref() == Some(OrderState::Cancelled.as_str()),
    };
    Ok((record, facts))
}

/// A ledger decision's input.
#[derive(Clone, Debug)]
pub enum Decision {
    /// Count the hours.
    Confirm,
    /// Refuse them as filed.
    Dispute {
        /// Why.
        reason: String,
    },
    /// Take back `halves` (all that remains when `None`) with a reversing record.
    Reverse {
        /// Why.
        reason: String,
        /// How much, in half-hours.
        halves: Option<i64>,
    },
}

impl Decision {
    fn action(&self) -> LedgerAction {
        match self {
            Self::Confirm => LedgerAction::Confirm,
            Self::Dispute { .. } => LedgerAction::Dispute,
            Self::Reverse { .. } => LedgerAction::Reverse,
        }
    }
}

/// Confirms, disputes or reverses record `id` as `acting`. Returns the record changed (for a
/// reversal, the new reversing record).
pub async fn decide(
    state: &AppState,
    acting: &Acting,
    id: Uuid,
    decision: Decision,
) -> ApiResult<service_records::Model> {
    let db = &state.db;
    let (record, facts) = load(db, id).await?;
    let action = decision.action();
    let halves = match &decision {
        Decision::Reverse { halves, .. } => halves.unwrap_or(facts.reversible_halves),
        _ => 0,
    };
    let to = ledger::decide(&facts, &acting.actor, action, halves).map_err(refusal)?;
    let now = state.now();
    let txn = db.begin().await?;
    let volunteer = volunteers::Entity::find_by_id(record.volunteer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("service record {id} has no volunteer"))?;
    let year = stats::year(record.served_on);
    let own = i64::from(record.hours_halves);
    let mut deltas = Deltas::new();
    let result = match &decision {
        Decision::Confirm | Decision::Dispute { .. } => {
            let reason = match &decision {
                Decision::Dispute { reason } => Some(reason.clone()),
                _ => None,
            };
            let changed = service_records::Entity::update_many()
                .col_expr(service_records::Column::State, Expr::value(to.as_str()))
                .col_expr(service_records::Column::Reason, Expr::value(reason.clone()))
                .col_expr(
                    service_records::Column::DecidedBy,
                    Expr::value(acting.user_id),
                )
                .col_expr(service_records::Column::DecidedAt, Expr::value(now))
                .filter(service_records::Column::Id.eq(id))
                .filter(service_records::Column::State.eq(facts.state.as_str()))
                .exec(&txn)
                .await?
                .rows_affected;
            if changed == 0 {
                txn.rollback().await?;
                return Err(lost_race(db, id, action).await);
            }
            let was_pending = i64::from(facts.state == RecordState::Pending);
            let (confirmed, pending) = match to {
                RecordState::Confirmed => (own, -own * was_pending),
                _ => (0, -own * was_pending),
            };
            move_sums(&txn, volunteer.id, confirmed, pending).await?;
            if facts.state == RecordState::Disputed
                && day_total(&txn, volunteer.id, record.served_on).await?
                    > i64::from(Hours::MAX_PER_DAY.halves())
            {
                // Disputed hours were left out of the day's cap when later hours were filed.
                txn.rollback().await?;
                return Err(ApiError::Conflict {
                    code: "service_record.day_limit",
                    detail: format!(
                        "confirming would give the volunteer more than 24 hours on {}; \
                         reverse or dispute other hours of that day first",
                        record.served_on
                    ),
                    current_state: facts.state.to_string(),
                });
            }
            if confirmed != 0 {
                stats::confirmed_hours_moved(&txn, &volunteer, year, confirmed, &mut deltas)
                    .await?;
            }
            audit(
                &txn,
                id,
                action.as_str(),
                Some(facts.state),
                to,
                record.hours_halves,
                acting,
                reason,
                now,
            )
            .await?;
            id
        }
        Decision::Reverse { reason, .. } => {
            // Hold the original while the remaining hours are re-read, so two reversals
            // racing cannot together take back more than was confirmed.
            service_records::Entity::update_many()
                .col_expr(
                    service_records::Column::State,
                    Expr::col(service_records::Column::State),
                )
                .filter(service_records::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            let (_, locked) = load(&txn, id).await?;
            if halves > locked.reversible_halves {
                txn.rollback().await?;
                return Err(refusal(LedgerRefusal::NothingToReverse));
            }
            let new_id = Uuid::now_v7();
            let negative = i32::try_from(-halves).map_err(anyhow::Error::from)?;
            service_records::Entity::insert(service_records::ActiveModel {
                id: Set(new_id),
                order_id: Set(record.order_id),
                volunteer_id: Set(record.volunteer_id),
                team_id: Set(record.team_id),
                hours_halves: Set(negative),
                served_on: Set(record.served_on),
                state: Set(RecordState::Confirmed.as_str().into()),
                created_at: Set(now),
                kind: Set(RecordKind::Reversal.as_str().into()),
                // A correction is typed by the association, whatever the record it corrects.
                source: Set(kepu_domain::activity::Source::Manual.as_str().into()),
                reverses_id: Set(Some(id)),
                reason: Set(Some(reason.clone())),
                decided_by: Set(acting.user_id),
                decided_at: Set(Some(now)),
            })
            .exec_without_returning(&txn)
            .await?;
            move_sums(&txn, volunteer.id, -halves, 0).await?;
            stats::confirmed_hours_moved(&txn, &volunteer, year, -halves, &mut deltas).await?;
            for (record_id, action) in [(id, "reversed"), (new_id, "reverse")] {
                audit(
                    &txn,
                    record_id,
                    action,
                    Some(RecordState::Confirmed),
                    RecordState::Confirmed,
                    negative,
                    acting,
                    Some(reason.clone()),
                    now,
                )
                .await?;
            }
            new_id
        }
    };
    stats::apply(&txn, &deltas).await?;
    let changed = service_records::Entity::find_by_id(result)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(changed)
}

async fn lost_race(db: &DatabaseConnection, id: Uuid, action: LedgerAction) -> ApiError {
    match load(db, id).await {
        Ok((_, facts)) => refusal(LedgerRefusal::InvalidTransition {
            action,
            current: facts.state,
        }),
        Err(err) => err,
    }
}

/// A record with its audit history, for those who may decide on it.
pub async fn detail(db: &DatabaseConnection, acting: &Acting, id: Uuid) -> ApiResult<RecordDetail> {
    let (record, facts) = load(db, id).await?;
    ledger::may_read(&facts, &acting.actor).map_err(refusal)?;
    let history = service_record_events::Entity::find()
        .filter(service_record_events::Column::RecordId.eq(id))
        .order_by_asc(service_record_events::Column::At)
        .order_by_asc(service_record_events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| RecordEventView {
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            hours: f64::from(e.hours_halves) / 2.0,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            reason: e.reason,
            at: e.at,
        })
        .collect();
    Ok(RecordDetail {
        record: record.into(),
        history,
    })
}

/// Filters of the record list.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    /// Only this state.
    pub state: Option<RecordState>,
    /// Only this volunteer's.
    pub volunteer_id: Option<Uuid>,
    /// Only this order's.
    pub order_id: Option<Uuid>,
}

/// Records newest first, scoped: a department sees its orders' records, the association all.
pub async fn list(
    db: &DatabaseConnection,
    department: Option<Uuid>,
    filter: &RecordFilter,
    page: &Page,
) -> ApiResult<Paged<RecordView>> {
    let mut q = service_records::Entity::find();
    if let Some(department) = department {
        q = q.filter(
            service_records::Column::OrderId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(orders::Column::Id)
                    .from(orders::Entity)
                    .and_where(orders::Column::DepartmentId.eq(department))
                    .to_owned(),
            ),
        );
    }
    if let Some(state) = filter.state {
        q = q.filter(service_records::Column::State.eq(state.as_str()));
    }
    if let Some(v) = filter.volunteer_id {
        q = q.filter(service_records::Column::VolunteerId.eq(v));
    }
    if let Some(o) = filter.order_id {
        q = q.filter(service_records::Column::OrderId.eq(o));
    }
    if let Some(cursor) = &page.cursor {
        q = q.filter(service_records::Column::Id.lt(crate::paging::decode_cursor(cursor)?));
    }
    let rows = q
        .order_by_desc(service_records::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(crate::paging::keyset_page(
        rows,
        page.limit,
        |r| r.id,
        RecordView::from,
    ))
}

/// A volunteer's hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoursView {
    /// The volunteer.
    pub volunteer_id: Uuid,
    /// Confirmed hours (reversals deducted): the ones that count.
    pub confirmed_hours: f64,
    /// Hours waiting for confirmation.
    pub pending_hours: f64,
    /// Star level (0–5) from cumulative confirmed hours.
    pub star_level: u8,
    /// Every record, newest first.
    pub records: Vec<RecordView>,
}

/// A volunteer's hours and star level: the sums kept with the ledger, and their records.
pub async fn hours(
    db: &DatabaseConnection,
    volunteer: Uuid,
    stars: &StarThresholds,
) -> ApiResult<HoursView> {
    let v = volunteers::Entity::find_by_id(volunteer)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let records = service_records::Entity::find()
        .filter(service_records::Column::VolunteerId.eq(volunteer))
        .order_by_desc(service_records::Column::ServedOn)
        .order_by_desc(service_records::Column::Id)
        .all(db)
        .await?;
    let confirmed = v.confirmed_halves as f64 / 2.0;
    Ok(HoursView {
        volunteer_id: volunteer,
        confirmed_hours: confirmed,
        pending_hours: v.pending_halves as f64 / 2.0,
        star_level: stars.level(confirmed),
        records: records.into_iter().map(RecordView::from).collect(),
    })
}

/// Confirmed half-hours of a volunteer served in `from..=to` (either end open).
pub async fn confirmed_in(
    db: &impl ConnectionTrait,
    volunteer: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> ApiResult<i64> {
    let mut q = service_records::Entity::find()
        .select_only()
        .column_as(service_records::Column::HoursHalves.sum(), "total")
        .filter(service_records::Column::VolunteerId.eq(volunteer))
        .filter(service_records::Column::State.eq(RecordState::Confirmed.as_str()));
    if let Some(from) = from {
        q = q.filter(service_records::Column::ServedOn.gte(from));
    }
    if let Some(to) = to {
        q = q.filter(service_records::Column::ServedOn.lte(to));
    }
    let total: Option<Option<i64>> = q.into_tuple().one(db).await?;
    Ok(total.flatten().unwrap_or(0))
}
