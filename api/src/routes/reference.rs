//! Reference lists (public) and their administration (association only).

use actix_web::{HttpResponse, get, post, web};
use kepu_domain::value::{Code, EntityName};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiResult, Problem, Problems};
use crate::extract::{ApiJson, Caller};
use crate::paging::Paged;
use crate::service::actors::require_admin;
use crate::service::reference::{
    self as svc, CodeName, DepartmentView, StationView, TeamView, TownshipView, VillageView,
};
use crate::state::AppState;

/// Townships with their villages.
#[utoipa::path(tag = "reference", responses((status = 200, body = Paged<TownshipView>)))]
#[get("/townships")]
pub async fn list_townships(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Paged::all(svc::townships(&state.db).await?)))
}

/// Themes residents can ask for.
#[utoipa::path(tag = "reference", responses((status = 200, body = Paged<CodeName>)))]
#[get("/themes")]
pub async fn list_themes(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Paged::all(svc::themes(&state.db).await?)))
}

/// Target groups.
#[utoipa::path(tag = "reference", responses((status = 200, body = Paged<CodeName>)))]
#[get("/target-groups")]
pub async fn list_target_groups(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Paged::all(svc::target_groups(&state.db).await?)))
}

/// Stations and their coverage (no contact data).
#[utoipa::path(tag = "reference", responses((status = 200, body = Paged<StationView>)))]
#[get("/stations")]
pub async fn list_stations(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Paged::all(svc::stations(&state.db).await?)))
}

/// Departments.
#[utoipa::path(tag = "reference", responses((status = 200, body = Paged<DepartmentView>)))]
#[get("/departments")]
pub async fn list_departments(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Paged::all(svc::departments(&state.db).await?)))
}

/// Volunteer teams.
#[utoipa::path(tag = "reference", responses((status = 200, body = Paged<TeamView>)))]
#[get("/teams")]
pub async fn list_teams(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Paged::all(svc::teams(&state.db).await?)))
}

/// A name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NameBody {
    /// The name.
    #[schema(required = true)]
    pub name: Option<String>,
}

/// Adds a village to a township.
#[utoipa::path(tag = "reference", request_body = NameBody, security(("bearer" = [])),
    params(("code" = String, Path, description = "township code")),
    responses((status = 201, body = VillageView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/townships/{code}/villages")]
pub async fn create_village(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<NameBody>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let name = parse_name(body.body.name.as_deref())?;
    Ok(HttpResponse::Created()
        .json(svc::create_village(&state.db, &path, name, state.now()).await?))
}

/// A new station.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StationBody {
    /// Name.
    #[schema(required = true)]
    pub name: Option<String>,
    /// Townships covered as a whole; empty (with no villages) makes it the fallback.
    #[schema(required = true)]
    pub township_codes: Option<Vec<String>>,
    /// Single villages covered.
    pub village_ids: Option<Vec<String>>,
}

/// Creates a station; its coverage decides routing.
#[utoipa::path(tag = "reference", request_body = StationBody, security(("bearer" = [])),
    responses((status = 201, body = StationView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("/stations")]
pub async fn create_station(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<StationBody>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let (name, townships, villages) = parse_station(body.body)?;
    let view = svc::create_station(&state.db, name, townships, villages, state.now()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// A new department.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DepartmentBody {
    /// Name.
    #[schema(required = true)]
    pub name: Option<String>,
    /// Optional stable code (lower-case letters, digits, `_`).
    pub code: Option<String>,
}

/// Creates a department.
#[utoipa::path(tag = "reference", request_body = DepartmentBody, security(("bearer" = [])),
    responses((status = 201, body = DepartmentView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("/departments")]
pub async fn create_department(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<DepartmentBody>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let (name, code) = parse_department(body.body)?;
    let view = svc::create_department(&state.db, name, code, state.now()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamBody {
    /// Name.
    #[schema(required = true)]
    pub name: Option<String>,
    /// The department it belongs to.
    pub department_id: Option<String>,
    /// Themes it serves.
    pub theme_codes: Option<Vec<String>>,
}

/// Creates a volunteer team.
#[utoipa::path(tag = "reference", request_body = TeamBody, security(("bearer" = [])),
    responses((status = 201, body = TeamView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<TeamBody>,
) -> ApiResult<HttpResponse> {
    require_admin(&caller)?;
    let (name, department, themes) = parse_team(body.body)?;
    let view = svc::create_team(&state.db, name, department, themes, state.now()).await?;
    Ok(HttpResponse::Created().json(view))
}

// The checks of each body, shared with the console's administration forms.

/// A checked name of a village, station, department or team.
pub(crate) fn parse_name(raw: Option<&str>) -> ApiResult<String> {
    let mut p = Problems::new();
    let name = p
        .require("name", raw.map(EntityName::parse))
        .and_then(|r| p.check("name", r));
    p.finish(|| name.map(|n| n.into_inner()))
}

/// A checked new station: name, townships and single villages covered.
pub(crate) fn parse_station(b: StationBody) -> ApiResult<(String, Vec<String>, Vec<Uuid>)> {
    let mut p = Problems::new();
    let name = p
        .require("name", b.name.as_deref().map(EntityName::parse))
        .and_then(|r| p.check("name", r));
    let townships = p.require("township_codes", b.township_codes);
    let mut villages = Vec::new();
    for (i, raw) in b.village_ids.unwrap_or_default().iter().enumerate() {
        if let Some(id) = crate::service::parse_id(&mut p, &format!("village_ids[{i}]"), Some(raw))
        {
            villages.push(id);
        }
    }
    p.finish(|| Some((name?.into_inner(), townships?, villages)))
}

/// A checked new department: name and optional code.
pub(crate) fn parse_department(b: DepartmentBody) -> ApiResult<(String, Option<String>)> {
    let mut p = Problems::new();
    let name = p
        .require("name", b.name.as_deref().map(EntityName::parse))
        .and_then(|r| p.check("name", r));
    let code = b
        .code
        .as_deref()
        .and_then(|c| p.check("code", Code::parse(c)));
    p.finish(|| Some((name?.into_inner(), code.map(|c| c.as_ref().to_owned()))))
}

/// A checked new team: name, optional department, themes.
pub(crate) fn parse_team(b: TeamBody) -> ApiResult<(String, Option<Uuid>, Vec<String>)> {
    let mut p = Problems::new();
    let name = p
        .require("name", b.name.as_deref().map(EntityName::parse))
        .and_then(|r| p.check("name", r));
    let department: Option<Uuid> =
        crate::service::parse_id(&mut p, "department_id", b.department_id.as_deref());
    p.finish(|| {
        Some((
            name?.into_inner(),
            department,
            b.theme_codes.unwrap_or_default(),
        ))
    })
}
