//! The hours ledger: filing records on `complete`, confirming, disputing and reversing them,
//! each change with its audit event and its running totals in one transaction.

mod decide;
mod file;
mod read;

use chrono::{DateTime, Utc};
use kepu_domain::DepartmentId;
use kepu_domain::OrderState;
use kepu_domain::ledger::{LedgerRefusal, RecordFacts, RecordState};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

pub use decide::{Decision, decide};
pub use file::{Completion, day_total, file_completion};
pub use read::{
    HoursView, RecordDetail, RecordEventView, RecordFilter, RecordView, confirmed_in, detail,
    hours, list,
};

use super::actors::Acting;
use crate::entity::{orders, service_record_events, service_records, volunteers};
use crate::error::{ApiError, ApiResult};

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
