//! Reference data: townships and villages, themes, target groups, stations, departments, teams.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Db;
use crate::entity::{
    departments, station_coverage, stations, target_groups, teams, themes, townships, villages,
};
use crate::error::{ApiError, ApiResult, Problems};

/// A code with its names.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeName {
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
}

/// A village.
#[derive(Debug, Serialize, ToSchema)]
pub struct VillageView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Township code.
    pub township: String,
}

/// A township with its villages.
#[derive(Debug, Serialize, ToSchema)]
pub struct TownshipView {
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
    /// Its villages.
    pub villages: Vec<VillageView>,
}

/// A station, without contact data.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Whether it receives orders no other station covers.
    pub is_fallback: bool,
    /// Townships covered as a whole.
    pub township_codes: Vec<String>,
    /// Single villages covered.
    pub village_ids: Vec<Uuid>,
}

/// A department.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Stable code, if any.
    pub code: Option<String>,
    /// English name.
    pub name_en: Option<String>,
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The department it belongs to, if any.
    pub department_id: Option<Uuid>,
    /// Themes it serves.
    pub theme_codes: Vec<String>,
    /// Whether it may claim orders.
    pub active: bool,
}

impl From<departments::Model> for DepartmentView {
    fn from(d: departments::Model) -> Self {
        Self {
            id: d.id,
            name: d.name,
            code: d.code,
            name_en: d.name_en,
        }
    }
}

impl From<teams::Model> for TeamView {
    fn from(t: teams::Model) -> Self {
        Self {
            id: t.id,
            name: t.name,
            department_id: t.department_id,
            theme_codes: serde_json::from_str(&t.theme_codes).unwrap_or_default(),
            active: t.active,
        }
    }
}

/// Townships in their configured order, each with its villages.
pub async fn townships(db: &Db) -> ApiResult<Vec<TownshipView>> {
    let all_villages = villages::Entity::find()
        .order_by_asc(villages::Column::Name)
        .all(db)
        .await?;
    let rows = townships::Entity::find()
        .order_by_asc(townships::Column::Position)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| TownshipView {
            villages: all_villages
                .iter()
                .filter(|v| v.township_code == t.code)
                .map(|v| VillageView {
                    id: v.id,
                    name: v.name.clone(),
                    township: v.township_code.clone(),
                })
                .collect(),
            code: t.code,
            name_zh: t.name_zh,
            name_en: t.name_en,
        })
        .collect())
}

/// Townships in their configured order, without their villages (for pages that only name them).
pub async fn township_names(db: &Db) -> ApiResult<Vec<CodeName>> {
    Ok(townships::Entity::find()
        .order_by_asc(townships::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|t| CodeName {
            code: t.code,
            name_zh: t.name_zh,
            name_en: t.name_en,
        })
        .collect())
}

/// Themes in their configured order.
pub async fn themes(db: &Db) -> ApiResult<Vec<CodeName>> {
    let rows = themes::Entity::find()
        .order_by_asc(themes::Column::Position)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| CodeName {
            code: t.code,
            name_zh: t.name_zh,
            name_en: t.name_en,
        })
        .collect())
}

/// Target groups in their configured order.
pub async fn target_groups(db: &Db) -> ApiResult<Vec<CodeName>> {
    let rows = target_groups::Entity::find()
        .order_by_asc(target_groups::Column::Position)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| CodeName {
            code: t.code,
            name_zh: t.name_zh,
            name_en: t.name_en,
        })
        .collect())
}

/// Stations with their coverage.
pub async fn stations(db: &Db) -> ApiResult<Vec<StationView>> {
    let coverage = station_coverage::Entity::find()
        .order_by_asc(station_coverage::Column::Id)
        .all(db)
        .await?;
    let rows = stations::Entity::find()
        .order_by_asc(stations::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| station_view(s, &coverage))
        .collect())
}

fn station_view(s: stations::Model, coverage: &[station_coverage::Model]) -> StationView {
    let mine = coverage.iter().filter(|c| c.station_id == s.id);
    StationView {
        id: s.id,
        name: s.name,
        is_fallback: s.is_fallback,
        township_codes: mine
            .clone()
            .filter(|c| c.village_id.is_none())
            .map(|c| c.township_code.clone())
            .collect(),
        village_ids: mine.filter_map(|c| c.village_id).collect(),
    }
}

/// Departments by name.
pub async fn departments(db: &Db) -> ApiResult<Vec<DepartmentView>> {
    let rows = departments::Entity::find()
        .order_by_asc(departments::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Teams.
pub async fn teams(db: &Db) -> ApiResult<Vec<TeamView>> {
    let rows = teams::Entity::find()
        .order_by_asc(teams::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Adds a village to a township (404 for an unknown township; 422 for a duplicate name).
pub async fn create_village(
    db: &Db,
    township: &str,
    name: String,
    now: DateTime<Utc>,
) -> ApiResult<VillageView> {
    if townships::Entity::find_by_id(township.to_owned())
        .one(db)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound);
    }
    let id = Uuid::now_v7();
    let result = villages::Entity::insert(villages::ActiveModel {
        id: Set(id),
        township_code: Set(township.to_owned()),
        name: Set(name.clone()),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await;
    match result {
        Ok(_) => Ok(VillageView {
            id,
            name,
            township: township.to_owned(),
        }),
        Err(e) if super::is_unique_violation(&e) => {
            Err(ApiError::field("name", "该苏木镇下已有同名嘎查/村"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a station covering whole townships and single villages. A station covering nothing
/// becomes the fallback.
pub async fn create_station(
    db: &Db,
    name: String,
    township_codes: Vec<String>,
    village_ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<StationView> {
    let mut problems = Problems::new();
    let unique: HashSet<&String> = township_codes.iter().collect();
    let known = townships::Entity::find()
        .filter(townships::Column::Code.is_in(unique.iter().map(|s| s.as_str())))
        .all(db)
        .await?;
    if known.len() != unique.len() {
        problems.add("township_codes", "含有不存在的苏木镇");
    }
    let village_rows = villages::Entity::find()
        .filter(villages::Column::Id.is_in(village_ids.iter().copied()))
        .all(db)
        .await?;
    let unique_villages: HashSet<Uuid> = village_ids.iter().copied().collect();
    if village_rows.len() != unique_villages.len() {
        problems.add("village_ids", "含有不存在的嘎查/村");
    }
    problems.into_result()?;
    let id = Uuid::now_v7();
    let is_fallback = unique.is_empty() && unique_villages.is_empty();
    let txn = db.begin().await?;
    stations::Entity::insert(stations::ActiveModel {
        id: Set(id),
        name: Set(name),
        is_fallback: Set(is_fallback),
        created_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut lines: Vec<(String, Option<Uuid>)> =
        unique.into_iter().map(|t| (t.clone(), None)).collect();
    lines.extend(
        village_rows
            .iter()
            .map(|v| (v.township_code.clone(), Some(v.id))),
    );
    for (township, village) in lines {
        station_coverage::Entity::insert(station_coverage::ActiveModel {
            id: Set(Uuid::now_v7()),
            station_id: Set(id),
            township_code: Set(township),
            village_id: Set(village),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    let coverage = station_coverage::Entity::find()
        .filter(station_coverage::Column::StationId.eq(id))
        .all(db)
        .await?;
    let row = stations::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(station_view(row, &coverage))
}

/// Creates a department (422 for a duplicate code).
pub async fn create_department(
    db: &Db,
    name: String,
    code: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<DepartmentView> {
    let row = departments::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(code),
        name: Set(name),
        name_en: Set(None),
        lead_themes: Set("[]".into()),
        created_at: Set(now),
    };
    match departments::Entity::insert(row)
        .exec_with_returning(db)
        .await
    {
        Ok(model) => Ok(model.into()),
        Err(e) if super::is_unique_violation(&e) => {
            Err(ApiError::field("code", "已有使用这个代码的部门"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a team; its department and themes must exist.
pub async fn create_team(
    db: &Db,
    name: String,
    department_id: Option<Uuid>,
    theme_codes: Vec<String>,
    now: DateTime<Utc>,
) -> ApiResult<TeamView> {
    let mut problems = Problems::new();
    if let Some(d) = department_id
        && departments::Entity::find_by_id(d).one(db).await?.is_none()
    {
        problems.add("department_id", "没有这个部门");
    }
    let unique: HashSet<&String> = theme_codes.iter().collect();
    let known = themes::Entity::find()
        .filter(themes::Column::Code.is_in(unique.iter().map(|s| s.as_str())))
        .all(db)
        .await?;
    if known.len() != unique.len() {
        problems.add("theme_codes", "含有不存在的需求主题");
    }
    problems.into_result()?;
    let row = teams::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        department_id: Set(department_id),
        theme_codes: Set(serde_json::to_string(&theme_codes).map_err(anyhow::Error::from)?),
        active: Set(true),
        created_at: Set(now),
    };
    Ok(teams::Entity::insert(row)
        .exec_with_returning(db)
        .await?
        .into())
}
