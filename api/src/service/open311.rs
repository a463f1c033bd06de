//! Open311 GeoReport v2 reads over the order model (`routes::open311` renders them): one
//! service per theme, requests as orders seen from outside.
//!
//! Everything here is public, so it follows the public-data rule: a request carries no name,
//! phone, email, street address or exact position. `address` is the village and township name,
//! `lat`/`long` are rounded to 2 decimals (about 1 km), and `description` is published only
//! while the order stands at `dispatched` or a later step of the normal path (`accepted`,
//! `claimed`, `completed`, `closed`); before that, and for rejected, cancelled and returned
//! orders, the theme's name stands in its place.

use chrono::{DateTime, Utc};
use kepu_domain::order::OrderState;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Db;
use crate::entity::{departments, orders, target_groups, themes, townships, villages};
use crate::error::{ApiError, ApiResult};

/// One service: a theme of the order model.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    /// The theme's code.
    pub service_code: String,
    /// The theme's Chinese name.
    pub service_name: String,
    /// What the service is for.
    pub description: String,
    /// Always true: every service has attributes (`township` is required).
    pub metadata: bool,
    /// Always `realtime`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-separated keywords.
    pub keywords: String,
    /// The group of every service.
    pub group: String,
}

/// A service's definition: the attributes a request may carry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    /// The theme's code.
    pub service_code: String,
    /// The attributes, in order.
    pub attributes: Vec<ServiceAttribute>,
}

/// One attribute of a service definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAttribute {
    /// Whether it is a value the client supplies (always true).
    pub variable: bool,
    /// The name after `attribute[…]`.
    pub code: String,
    /// `string`, `number`, `datetime` or `singlevaluelist`.
    pub datatype: String,
    /// Whether a request needs it.
    pub required: bool,
    /// What it means.
    pub datatype_description: String,
    /// Display order.
    pub order: u32,
    /// Description.
    pub description: String,
    /// Allowed values for lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

/// One allowed value of a list attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeValue {
    /// The code to send.
    pub key: String,
    /// Its name.
    pub name: String,
}

/// One service request: an order seen from outside, under the public-data rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequest {
    /// The order's id.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// Where the order stands, in words.
    pub status_notes: Option<String>,
    /// The theme's name.
    pub service_name: Option<String>,
    /// The theme's code.
    pub service_code: String,
    /// What was asked for, once station staff have dispatched the order; until then (and for
    /// rejected, cancelled or returned orders) the theme's name.
    pub description: String,
    /// The department the order was dispatched to.
    pub agency_responsible: Option<String>,
    /// Always null here.
    pub service_notice: Option<String>,
    /// When it was submitted.
    pub requested_datetime: DateTime<Utc>,
    /// When it last changed.
    pub updated_datetime: DateTime<Utc>,
    /// When its current step is due (null when nothing is due).
    pub expected_datetime: Option<DateTime<Utc>>,
    /// The township and village names (never the street address).
    pub address: Option<String>,
    /// Latitude (WGS-84), rounded to 2 decimals.
    pub lat: Option<f64>,
    /// Longitude (WGS-84), rounded to 2 decimals.
    pub long: Option<f64>,
    /// Always null: orders carry no media.
    pub media_url: Option<String>,
}

/// `open` or `closed`, the standard's two statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every state that is not terminal.
    Open,
    /// `closed`, `rejected`, `cancelled`.
    Closed,
}

/// Which requests a list holds, already checked.
#[derive(Debug, Default)]
pub struct RequestFilter {
    /// These ids only; the other filters are then ignored, as the standard says.
    pub ids: Option<Vec<Uuid>>,
    /// Theme codes (empty: every theme).
    pub service_codes: Vec<String>,
    /// Submitted at or after.
    pub start: Option<DateTime<Utc>>,
    /// Submitted at or before.
    pub end: Option<DateTime<Utc>>,
    /// One status, or none for both.
    pub status: Option<Status>,
    /// How many, newest first.
    pub limit: u64,
}

/// The services: one per theme, in the themes' order.
pub async fn services(db: &Db) -> ApiResult<Vec<Service>> {
    Ok(themes::Entity::find()
        .order_by_asc(themes::Column::Position)
        .order_by_asc(themes::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(service_of)
        .collect())
}

fn service_of(theme: themes::Model) -> Service {
    let english = theme.name_en.clone().unwrap_or_default();
    let description = if english.is_empty() {
        format!("科普需求：{}", theme.name_zh)
    } else {
        format!("科普需求：{} ({english})", theme.name_zh)
    };
    let keywords = [
        theme.code.as_str(),
        theme.name_zh.as_str(),
        english.as_str(),
    ]
    .into_iter()
    .filter(|k| !k.is_empty())
    .collect::<Vec<_>>()
    .join(",");
    Service {
        service_code: theme.code,
        service_name: theme.name_zh,
        description,
        metadata: true,
        kind: "realtime".into(),
        keywords,
        group: "科普需求".into(),
    }
}

fn attribute(
    code: &str,
    datatype: &str,
    required: bool,
    order: u32,
    description: &str,
    values: Vec<AttributeValue>,
) -> ServiceAttribute {
    ServiceAttribute {
        variable: true,
        code: code.into(),
        datatype: datatype.into(),
        required,
        datatype_description: description.into(),
        order,
        description: description.into(),
        values,
    }
}

/// A theme's definition with its attributes (`township` required); unknown code: 404.
pub async fn service_definition(db: &Db, code: &str) -> ApiResult<ServiceDefinition> {
    let theme = themes::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let towns = townships::Entity::find()
        .order_by_asc(townships::Column::Position)
        .order_by_asc(townships::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|t| AttributeValue {
            key: t.code,
            name: t.name_zh,
        })
        .collect();
    let groups = target_groups::Entity::find()
        .order_by_asc(target_groups::Column::Position)
        .order_by_asc(target_groups::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|g| AttributeValue {
            key: g.code,
            name: g.name_zh,
        })
        .collect();
    let none = Vec::new;
    Ok(ServiceDefinition {
        service_code: theme.code,
        attributes: vec![
            attribute(
                "township",
                "singlevaluelist",
                true,
                1,
                "苏木镇：代码或中文名称 (township code or Chinese name)",
                towns,
            ),
            attribute(
                "village",
                "string",
                false,
                2,
                "嘎查/村：名称 (village name within the township)",
                none(),
            ),
            attribute(
                "target_group",
                "singlevaluelist",
                false,
                3,
                "重点人群 (target group)",
                groups,
            ),
            attribute(
                "preferred_date",
                "datetime",
                false,
                4,
                "希望日期 YYYY-MM-DD (preferred date)",
                none(),
            ),
            attribute(
                "expected_attendees",
                "number",
                false,
                5,
                "预计人数 (expected attendees)",
                none(),
            ),
        ],
    })
}

/// The code of the township named by `raw`, its code or its Chinese name.
pub async fn township_code(db: &Db, raw: &str) -> ApiResult<Option<String>> {
    Ok(townships::Entity::find()
        .filter(
            Condition::any()
                .add(townships::Column::Code.eq(raw))
                .add(townships::Column::NameZh.eq(raw)),
        )
        .one(db)
        .await?
        .map(|t| t.code))
}

fn terminal_states() -> Vec<&'static str> {
    OrderState::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(OrderState::as_str)
        .collect()
}

/// The requests `filter` selects, newest first.
pub async fn requests(db: &Db, filter: RequestFilter) -> ApiResult<Vec<ServiceRequest>> {
    let mut condition = Condition::all();
    if let Some(ids) = filter.ids {
        condition = condition.add(orders::Column::Id.is_in(ids));
    } else {
        if !filter.service_codes.is_empty() {
            condition = condition.add(orders::Column::ThemeCode.is_in(filter.service_codes));
        }
        if let Some(start) = filter.start {
            condition = condition.add(orders::Column::CreatedAt.gte(start));
        }
        if let Some(end) = filter.end {
            condition = condition.add(orders::Column::CreatedAt.lte(end));
        }
        match filter.status {
            Some(Status::Open) => {
                condition = condition.add(orders::Column::State.is_not_in(terminal_states()));
            }
            Some(Status::Closed) => {
                condition = condition.add(orders::Column::State.is_in(terminal_states()));
            }
            None => {}
        }
    }
    let rows = orders::Entity::find()
        .filter(condition)
        .order_by_desc(orders::Column::CreatedAt)
        .order_by_desc(orders::Column::Id)
        .limit(filter.limit)
        .all(db)
        .await?;
    public_requests(db, rows).await
}

/// One request by the order's id; unknown: 404.
pub async fn request(db: &Db, id: Uuid) -> ApiResult<ServiceRequest> {
    let row = orders::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    public_requests(db, vec![row])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Names the public views need, each looked up once for a whole list.
struct Names {
    themes: HashMap<String, String>,
    townships: HashMap<String, String>,
    villages: HashMap<Uuid, String>,
    departments: HashMap<Uuid, String>,
}

/// Turns orders into public requests, looking up the names once.
async fn public_requests(db: &Db, rows: Vec<orders::Model>) -> ApiResult<Vec<ServiceRequest>> {
    let department_ids: Vec<Uuid> = rows.iter().filter_map(|o| o.department_id).collect();
    let village_ids: Vec<Uuid> = rows.iter().filter_map(|o| o.village_id).collect();
    let names = Names {
        themes: themes::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.code, t.name_zh))
            .collect(),
        townships: townships::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.code, t.name_zh))
            .collect(),
        villages: if village_ids.is_empty() {
            HashMap::new()
        } else {
            villages::Entity::find()
                .filter(villages::Column::Id.is_in(village_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|v| (v.id, v.name))
                .collect()
        },
        departments: if department_ids.is_empty() {
            HashMap::new()
        } else {
            departments::Entity::find()
                .filter(departments::Column::Id.is_in(department_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect()
        },
    };
    Ok(rows
        .into_iter()
        .map(|o| public_request(&names, o))
        .collect())
}

/// Whether an order in `state` shows its description: only once station staff have dispatched
/// it and while it goes on along the normal path. A submitted order (new, or returned by the
/// department), a rejected one and a cancelled one show the theme instead.
pub fn description_is_public(state: OrderState) -> bool {
    matches!(
        state,
        OrderState::Dispatched
            | OrderState::Accepted
            | OrderState::Claimed
            | OrderState::Completed
            | OrderState::Closed
    )
}

/// A coordinate rounded to 2 decimals (about 1 km), the most the public sees.
pub fn rounded(coordinate: f64) -> f64 {
    (coordinate * 100.0).round() / 100.0
}

fn public_request(names: &Names, o: orders::Model) -> ServiceRequest {
    let state = o.state.parse::<OrderState>().ok();
    let theme_name = names.themes.get(&o.theme_code).cloned();
    let description = if state.is_some_and(description_is_public) {
        o.description
    } else {
        theme_name.clone().unwrap_or_else(|| o.theme_code.clone())
    };
    let township = names.townships.get(&o.township_code).cloned();
    let village = o.village_id.and_then(|v| names.villages.get(&v));
    let address = match (township, village) {
        (Some(t), Some(v)) => Some(format!("{t}{v}")),
        (Some(t), None) => Some(t),
        (None, Some(v)) => Some(v.clone()),
        (None, None) => None,
    };
    let (lat, long) = match (o.latitude, o.longitude) {
        (Some(lat), Some(long)) => (Some(rounded(lat)), Some(rounded(long))),
        _ => (None, None),
    };
    ServiceRequest {
        service_request_id: o.id.to_string(),
        status: status_of(state).into(),
        status_notes: state.map(|s| status_note(s).into()),
        service_name: theme_name,
        service_code: o.theme_code,
        description,
        agency_responsible: o
            .department_id
            .and_then(|d| names.departments.get(&d).cloned()),
        service_notice: None,
        requested_datetime: o.created_at,
        updated_datetime: o.updated_at,
        expected_datetime: o.due_at,
        address,
        lat,
        long,
        media_url: None,
    }
}

fn status_of(state: Option<OrderState>) -> &'static str {
    match state {
        Some(s) if s.is_terminal() => "closed",
        _ => "open",
    }
}

fn status_note(state: OrderState) -> &'static str {
    match state {
        OrderState::Submitted => "已提交，等待阵地派单",
        OrderState::Dispatched => "已派给部门，等待部门受理",
        OrderState::Accepted => "部门已受理，等待志愿服务队接单",
        OrderState::Claimed => "志愿服务队已接单，服务进行中",
        OrderState::Completed => "服务已完成，等待评价",
        OrderState::Closed => "已办结",
        OrderState::Rejected => "未予受理",
        OrderState::Cancelled => "已撤销",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_are_closed() {
        for (state, status) in [
            (OrderState::Submitted, "open"),
            (OrderState::Dispatched, "open"),
            (OrderState::Accepted, "open"),
            (OrderState::Claimed, "open"),
            (OrderState::Completed, "open"),
            (OrderState::Closed, "closed"),
            (OrderState::Rejected, "closed"),
            (OrderState::Cancelled, "closed"),
        ] {
            assert_eq!(status_of(Some(state)), status, "{state}");
        }
    }

    #[test]
    fn description_only_after_dispatch_along_the_normal_path() {
        let public: Vec<OrderState> = OrderState::ALL
            .into_iter()
            .filter(|s| description_is_public(*s))
            .collect();
        assert_eq!(
            public,
            [
                OrderState::Dispatched,
                OrderState::Accepted,
                OrderState::Claimed,
                OrderState::Completed,
                OrderState::Closed
            ]
        );
    }

    #[test]
    fn positions_round_to_about_a_kilometre() {
        assert_eq!(rounded(39.834_567), 39.83);
        assert_eq!(rounded(109.004_9), 109.0);
        assert_eq!(rounded(-12.345_9), -12.35);
        assert_eq!(rounded(110.0), 110.0);
    }
}
