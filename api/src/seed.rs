//! First start: loads the deployment's reference data (townships, themes, target groups,
//! departments, stations with their coverage, indicators) into an empty database, and makes
//! sure the `admin` account exists. The data is a file, never code: another county passes its
//! own with `KEPU_DATA_FILE`.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, TransactionTrait};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth;
use crate::config::Settings;
use crate::db::Db;
use crate::entity::{
    departments, indicators, station_coverage, stations, target_groups, themes, townships, users,
};

/// The data file shipped with the binary: Hanggin Banner's facts.
pub const DEFAULT_DATA: &str = include_str!("../data/default-data.toml");

/// The shape of a reference data file.
#[derive(Debug, Deserialize)]
pub struct ReferenceData {
    /// The county, city or province served.
    pub banner: Option<NamedCode>,
    /// Townships (苏木镇).
    pub townships: Vec<NamedCode>,
    /// Departments.
    pub departments: Vec<DepartmentData>,
    /// Request themes.
    pub themes: Vec<NamedCode>,
    /// Target groups.
    pub target_groups: Vec<NamedCode>,
    /// Plan indicators.
    #[serde(default)]
    pub indicators: Vec<IndicatorData>,
    /// Stations and what they cover.
    pub stations: Vec<StationData>,
}

/// A code with names.
#[derive(Debug, Deserialize)]
pub struct NamedCode {
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
}

/// A department.
#[derive(Debug, Deserialize)]
pub struct DepartmentData {
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
    /// Themes it leads in the plan.
    #[serde(default)]
    pub leads: Vec<String>,
}

/// A plan indicator.
#[derive(Debug, Deserialize)]
pub struct IndicatorData {
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// Target value.
    pub target: f64,
    /// Unit.
    pub unit: String,
    /// Period.
    pub period: String,
    /// Which completed orders count.
    #[serde(default)]
    pub filter: IndicatorFilter,
}

/// Which completed orders an indicator counts.
#[derive(Debug, Default, Deserialize)]
pub struct IndicatorFilter {
    /// Only this theme.
    pub theme: Option<String>,
    /// Only this target group.
    pub target_group: Option<String>,
}

/// A station.
#[derive(Debug, Deserialize)]
pub struct StationData {
    /// Chinese name.
    pub name_zh: String,
    /// Township codes covered; empty makes it the fallback (banner-level centre).
    #[serde(default)]
    pub covers: Vec<String>,
}

/// Loads reference data when the database has none, and creates `admin` when missing.
/// Returns the generated admin password when one had to be made up. Every row it creates is
/// stamped `now`: the instant of the start-up or command that seeds, from the caller's clock.
pub async fn ensure_defaults(
    db: &Db,
    settings: &Settings,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    if settings.load_defaults && townships::Entity::find().count(db).await? == 0 {
        let text = data_text(settings)?;
        let data: ReferenceData =
            toml::from_str(&text).context("parsing the reference data file")?;
        let txn = db.begin().await?;
        load(&txn, &data, now).await?;
        txn.commit().await?;
        tracing::info!(
            townships = data.townships.len(),
            departments = data.departments.len(),
            stations = data.stations.len(),
            "loaded reference data"
        );
    }
    ensure_admin(db, settings, now).await
}

/// The text of the deployment's data file.
fn data_text(settings: &Settings) -> anyhow::Result<String> {
    match &settings.data_file {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
        }
        None => Ok(DEFAULT_DATA.to_owned()),
    }
}

/// The association issuing certificates: `<the data file's [banner] name_zh>科学技术协会`.
pub fn association_name(settings: &Settings) -> String {
    let name = data_text(settings)
        .ok()
        .and_then(|text| toml::from_str::<ReferenceData>(&text).ok())
        .and_then(|data| data.banner)
        .map(|b| b.name_zh)
        .unwrap_or_default();
    format!("{name}科学技术协会")
}

async fn load(
    db: &impl ConnectionTrait,
    data: &ReferenceData,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for (i, t) in data.townships.iter().enumerate() {
        townships::Entity::insert(townships::ActiveModel {
            code: Set(t.code.clone()),
            name_zh: Set(t.name_zh.clone()),
            name_en: Set(t.name_en.clone()),
            position: Set(i as i32),
        })
        .exec(db)
        .await?;
    }
    for (i, t) in data.themes.iter().enumerate() {
        themes::Entity::insert(themes::ActiveModel {
            code: Set(t.code.clone()),
            name_zh: Set(t.name_zh.clone()),
            name_en: Set(t.name_en.clone()),
            position: Set(i as i32),
        })
        .exec(db)
        .await?;
    }
    for (i, t) in data.target_groups.iter().enumerate() {
        target_groups::Entity::insert(target_groups::ActiveModel {
            code: Set(t.code.clone()),
            name_zh: Set(t.name_zh.clone()),
            name_en: Set(t.name_en.clone()),
            position: Set(i as i32),
        })
        .exec(db)
        .await?;
    }
    for d in &data.departments {
        departments::Entity::insert(departments::ActiveModel {
            id: Set(Uuid::now_v7()),
            code: Set(Some(d.code.clone())),
            name: Set(d.name_zh.clone()),
            name_en: Set(d.name_en.clone()),
            lead_themes: Set(serde_json::to_string(&d.leads)?),
            created_at: Set(now),
        })
        .exec(db)
        .await?;
    }
    for (i, ind) in data.indicators.iter().enumerate() {
        indicators::Entity::insert(indicators::ActiveModel {
            code: Set(ind.code.clone()),
            name_zh: Set(ind.name_zh.clone()),
            target: Set(ind.target),
            unit: Set(ind.unit.clone()),
            period: Set(ind.period.clone()),
            filter_theme: Set(ind.filter.theme.clone()),
            filter_target_group: Set(ind.filter.target_group.clone()),
            position: Set(i as i32),
        })
        .exec(db)
        .await?;
    }
    for s in &data.stations {
        let id = Uuid::now_v7();
        stations::Entity::insert(stations::ActiveModel {
            id: Set(id),
            name: Set(s.name_zh.clone()),
            is_fallback: Set(s.covers.is_empty()),
            created_at: Set(now),
        })
        .exec(db)
        .await?;
        for township in &s.covers {
            station_coverage::Entity::insert(station_coverage::ActiveModel {
                id: Set(Uuid::now_v7()),
                station_id: Set(id),
                township_code: Set(township.clone()),
                village_id: Set(None),
            })
            .exec(db)
            .await?;
        }
    }
    Ok(())
}

async fn ensure_admin(
    db: &Db,
    settings: &Settings,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let exists = users::Entity::find()
        .filter(users::Column::Username.eq("admin"))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(None);
    }
    let (password, generated) = match &settings.admin_password {
        Some(p) => (p.clone(), false),
        None => (auth::new_opaque_token()[..16].to_owned(), true),
    };
    let hash = auth::hash_password_async(password.clone()).await?;
    users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set("admin".into()),
        password_hash: Set(hash),
        role: Set(kepu_domain::Role::AssociationAdmin.as_str().into()),
        display_name: Set("科协管理员".into()),
        email: Set(None),
        station_id: Set(None),
        department_id: Set(None),
        team_id: Set(None),
        volunteer_id: Set(None),
        active: Set(true),
        notify_non_urgent: Set(true),
        must_change_password: Set(false),
        created_at: Set(now),
    })
    .exec(db)
    .await?;
    Ok(generated.then_some(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_file_parses_and_has_one_fallback_station() -> anyhow::Result<()> {
        let data: ReferenceData = toml::from_str(DEFAULT_DATA)?;
        assert_eq!(data.townships.len(), 6);
        assert_eq!(data.departments.len(), 23);
        assert_eq!(
            data.stations.iter().filter(|s| s.covers.is_empty()).count(),
            1
        );
        assert!(
            data.indicators
                .iter()
                .any(|i| i.code == "registered_volunteers" && i.target == 10_000.0)
        );
        Ok(())
    }
}
