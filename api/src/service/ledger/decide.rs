//! Confirming, disputing and reversing a record, with its audit event, the volunteer's sums
//! and the running totals in one transaction.

use kepu_domain::ledger::{self, LedgerAction, LedgerRefusal, RecordKind, RecordState};
use kepu_domain::stats::Deltas;
use kepu_domain::value::Hours;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::{audit, day_total, load, move_sums, refusal};
use crate::db::Db;
use crate::entity::{service_records, volunteers};
use crate::error::{ApiError, ApiResult};
use crate::service::actors::Acting;
use crate::service::stats;
use crate::state::AppState;

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
    let served_on = record.served_on;
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
                stats::confirmed_hours_moved(&txn, &volunteer, served_on, confirmed, &mut deltas)
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
            stats::confirmed_hours_moved(&txn, &volunteer, served_on, -halves, &mut deltas).await?;
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

async fn lost_race(db: &Db, id: Uuid, action: LedgerAction) -> ApiError {
    match load(db, id).await {
        Ok((_, facts)) => refusal(LedgerRefusal::InvalidTransition {
            action,
            current: facts.state,
        }),
        Err(err) => err,
    }
}
