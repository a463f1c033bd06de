//! The dashboard's other figures: approvals and confirmed hours per month (monthly counters of
//! `stat_totals`, a dozen rows), and the orders waiting at each stage of the chain with how many
//! are overdue (counts over the waiting orders only, through the `(state, id)` index: never a
//! scan of finished orders).

use chrono::{DateTime, Utc};
use kepu_domain::OrderState;
use kepu_domain::stats::{ALL_TOWNSHIPS, Metric, months_ending};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use std::collections::HashMap;

use crate::entity::{orders, stat_totals};
use crate::error::ApiResult;
use crate::service::orders::OrderFilter;
use crate::service::orders::list::filtered;

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
    db: &DatabaseConnection,
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
/// many of those are overdue at `now`: the same conditions as the queue's filters, so each
/// figure is what `/console/orders?state=…&overdue=1` lists for the association.
pub async fn waiting_orders(
    db: &DatabaseConnection,
    township: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<StageFigures>> {
    let mut out = Vec::with_capacity(WAITING_STAGES.len());
    for state in WAITING_STAGES {
        let count = |overdue: Option<bool>| {
            let filter = OrderFilter {
                state: Some(state),
                township: township.map(str::to_owned),
                overdue,
                ..OrderFilter::default()
            };
            orders::Entity::find()
                .filter(filtered(&filter, now))
                .count(db)
        };
        let waiting = count(None).await?;
        let overdue = count(Some(true)).await?;
        out.push(StageFigures {
            state,
            waiting,
            overdue,
        });
    }
    Ok(out)
}
