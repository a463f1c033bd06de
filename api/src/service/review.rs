//! The hours waiting for a department's review, with what a reviewer needs to judge them at a
//! glance: the order's tracking code and the volunteer's name. The decisions themselves go
//! through `service::ledger::decide`, as the API's do.

use chrono::NaiveDate;
use kepu_domain::ledger::RecordState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

use crate::db::Db;
use crate::entity::{orders, volunteers};
use crate::error::ApiResult;
use crate::paging::{Page, Paged};
use crate::service::ledger::{self, RecordFilter};

/// One pending service record as a reviewer sees it.
#[derive(Debug)]
pub struct PendingRecord {
    /// The record.
    pub id: Uuid,
    /// The order served.
    pub order_id: Uuid,
    /// Its tracking code.
    pub tracking_code: String,
    /// The volunteer's real name.
    pub volunteer_name: String,
    /// Hours filed.
    pub hours: f64,
    /// When served.
    pub served_on: NaiveDate,
}

/// Pending records newest first, a page at a time: of the department's orders, or all for the
/// association (`department` `None`).
pub async fn pending(
    db: &Db,
    department: Option<Uuid>,
    page: &Page,
) -> ApiResult<Paged<PendingRecord>> {
    let filter = RecordFilter {
        state: Some(RecordState::Pending),
        ..RecordFilter::default()
    };
    let records = ledger::list(db, department, &filter, page).await?;
    let order_ids: Vec<Uuid> = records.items.iter().map(|r| r.order_id).collect();
    let volunteer_ids: Vec<Uuid> = records.items.iter().map(|r| r.volunteer_id).collect();
    let codes: HashMap<Uuid, String> = orders::Entity::find()
        .select_only()
        .column(orders::Column::Id)
        .column(orders::Column::TrackingCode)
        .filter(orders::Column::Id.is_in(order_ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let names: HashMap<Uuid, String> = volunteers::Entity::find()
        .select_only()
        .column(volunteers::Column::Id)
        .column(volunteers::Column::RealName)
        .filter(volunteers::Column::Id.is_in(volunteer_ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(Paged {
        items: records
            .items
            .into_iter()
            .map(|r| PendingRecord {
                id: r.id,
                order_id: r.order_id,
                tracking_code: codes.get(&r.order_id).cloned().unwrap_or_default(),
                volunteer_name: names.get(&r.volunteer_id).cloned().unwrap_or_default(),
                hours: r.hours,
                served_on: r.served_on,
            })
            .collect(),
        next_cursor: records.next_cursor,
    })
}
