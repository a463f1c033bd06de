//! The dashboard's other figures: approvals and confirmed hours per month (monthly counters of
//! `stat_totals`, a dozen rows), and the orders waiting at each stage of the chain with how many
//! are overdue (one grouped count over the waiting orders only, through the `(state, id)` index:
//! never a scan of finished orders).

use chrono::{DateTime, Utc};
use kepu_domain::OrderState;
use kepu_domain::stats::{ALL_TOWNSHIPS, Metric, months_ending};
use sea_orm::sea_query::{Alias, CaseStatement, Expr, Func, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;

use crate::db::Db;
use crate::entity::{orders, stat_totals};
use crate::error::ApiResult;

/// One month's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthFigures {
    /// The month, `YYYYMM`.
    pub month: i32,
    /// Registrations approved by review that month.
    pub approvals: i64,
    /// Hours served that month and confirmed.
    pub confirmed_hours: f64,
}

/// Approvals and confirmed hours in each of the `n` months ending with `last` (`YYYYMM`),
/// oldest first, for one township or all; months without any are zeros.
pub async fn monthly_stats(
    db: &Db,
    township: Option<&str>,
    last: i32,
    n: usize,
) -> ApiResult<Vec<MonthFigures>> {
    let months = months_ending(last, n);
    let (Some(first), Some(end)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, i32, i64)> = stat_totals::Entity::find()
        .select_only()
        .column(stat_totals::Column::Metric)
        .column(stat_totals::Column::Year)
        .column(stat_totals::Column::Value)
        .filter(stat_totals::Column::Metric.is_in([
            Metric::ApprovalsByMonth.as_str(),
            Metric::ConfirmedHalvesByMonth.as_str(),
        ]))
        .filter(stat_totals::Column::TownshipCode.eq(township.unwrap_or(ALL_TOWNSHIPS)))
        .filter(stat_totals::Column::Year.between(first, end))
        .into_tuple()
        .all(db)
        .await?;
    let mut approvals: HashMap<i32, i64> = HashMap::new();
    let mut halves: HashMap<i32, i64> = HashMap::new();
    for (metric, month, value) in rows {
        match metric.parse::<Metric>() {
            Ok(Metric::ApprovalsByMonth) => *approvals.entry(month).or_default() += value,
            Ok(Metric::ConfirmedHalvesByMonth) => *halves.entry(month).or_default() += value,
            _ => {}
        }
    }
    Ok(months
        .into_iter()
        .map(|month| MonthFigures {
            month,
            approvals: approvals.get(&month).copied().unwrap_or(0),
            confirmed_hours: halves.get(&month).copied().unwrap_or(0) as f64 / 2.0,
        })
        .collect())
}

/// The stages where an order waits for someone in the chain, in the chain's order.
pub const WAITING_STAGES: [OrderState; 4] = [
    OrderState::Submitted,
    OrderState::Dispatched,
    OrderState::Accepted,
    OrderState::Claimed,
];

/// Orders waiting at one stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageFigures {
    /// The stage.
    pub state: OrderState,
    /// Orders in it.
    pub waiting: u64,
    /// Of them, past their deadline.
    pub overdue: u64,
}

/// How many orders wait at each stage of [`WAITING_STAGES`] (in one township or all), and how
/// many of those are overdue at `now` (due at or before it, as the queue's overdue filter
/// counts), in one grouped query over the waiting orders only.
pub async fn waiting_orders(
    db: &Db,
    township: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<StageFigures>> {
    // Overdue as the queue's filter counts it: due at or before `now`.
    let late: SimpleExpr = CaseStatement::new()
        .case(orders::Column::DueAt.lte(now), Expr::val(1))
        .finally(Expr::val(0))
        .into();
    let summed: SimpleExpr = Func::sum(late).into();
    let zero: SimpleExpr = Expr::val(0);
    let overdue: SimpleExpr =
        Func::cast_as(Func::coalesce([summed, zero]), Alias::new("BIGINT")).into();
    let mut query = orders::Entity::find()
        .select_only()
        .column(orders::Column::State)
        .column_as(orders::Column::Id.count(), "waiting")
        .column_as(overdue, "overdue")
        .filter(orders::Column::State.is_in(WAITING_STAGES.iter().map(|s| s.as_str())))
        .group_by(orders::Column::State);
    if let Some(t) = township {
        query = query.filter(orders::Column::TownshipCode.eq(t));
    }
    let rows: Vec<(String, i64, i64)> = query.into_tuple().all(db).await?;
    Ok(WAITING_STAGES
        .iter()
        .map(|state| {
            let (waiting, overdue) = rows
                .iter()
                .find(|(s, _, _)| s == state.as_str())
                .map_or((0, 0), |(_, w, o)| (*w, *o));
            StageFigures {
                state: *state,
                waiting: u64::try_from(waiting).unwrap_or(0),
                overdue: u64::try_from(overdue).unwrap_or(0),
            }
        })
        .collect())
}
