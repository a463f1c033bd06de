//! Reading the ledger: records, their audit history, a volunteer's hours.

use chrono::{DateTime, NaiveDate, Utc};
use kepu_domain::ledger::{self, RecordState};
use kepu_domain::volunteer::StarThresholds;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{load, refusal};
use crate::db::Db;
use crate::entity::{orders, service_record_events, service_records, volunteers};
use crate::error::{ApiError, ApiResult};
use crate::paging::{Page, Paged};
use crate::service::actors::Acting;

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

/// A record with its audit history, for those who may decide on it.
pub async fn detail(db: &Db, acting: &Acting, id: Uuid) -> ApiResult<RecordDetail> {
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
    db: &Db,
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
    let rows = crate::paging::newest_first(db, q, service_records::Column::Id, page).await?;
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
pub async fn hours(db: &Db, volunteer: Uuid, stars: &StarThresholds) -> ApiResult<HoursView> {
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
