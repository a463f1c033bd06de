//! `/console/admin/{stations|departments|teams|villages}`: the reference data the API lets the
//! association add to, each listed with a form that goes through the API's body checks
//! (`routes::reference::parse_*`) and `service::reference::create_*`. Nothing here edits or
//! removes: the API has no such endpoint.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::Role;
use std::collections::HashMap;

use super::super::i18n::{self, Lang};
use super::super::page::{Chrome, Posted, field_errors};
use super::super::session::{Signed, page_builder};
use super::{association, failed, fatal, genuine, query};
use crate::error::ApiError;
use crate::paging::Page;
use crate::routes::reference::{
    DepartmentBody, StationBody, TeamBody, parse_department, parse_name, parse_station, parse_team,
};
use crate::service::reference::{self, TownshipView};
use crate::service::users::{self, UserFilter};
use crate::state::AppState;
use crate::web::{render, see_other};

/// Which list a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stations,
    Departments,
    Teams,
    Villages,
}

impl Kind {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "stations" => Some(Self::Stations),
            "departments" => Some(Self::Departments),
            "teams" => Some(Self::Teams),
            "villages" => Some(Self::Villages),
            _ => None,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Stations => "stations",
            Self::Departments => "departments",
            Self::Teams => "teams",
            Self::Villages => "villages",
        }
    }
}

/// A name with a code or id, for lists and choices.
pub struct Item {
    code: String,
    name: String,
}

/// A station and what it covers.
pub struct StationRow {
    name: String,
    fallback: bool,
    townships: String,
    villages: String,
}

/// A department.
pub struct DepartmentRow {
    name: String,
    code: String,
}

/// A team.
pub struct TeamRow {
    name: String,
    department: String,
    themes: String,
    leaders: String,
    active: bool,
}

/// A township and its villages.
pub struct TownshipRow {
    code: String,
    name: String,
    villages: Vec<Item>,
}

/// One reference page.
#[derive(Template)]
#[template(path = "console/admin/reference.html")]
pub struct ReferencePage {
    c: Chrome,
    kind: &'static str,
    title: &'static str,
    stations: Vec<StationRow>,
    departments: Vec<DepartmentRow>,
    teams: Vec<TeamRow>,
    townships: Vec<TownshipRow>,
    themes: Vec<Item>,
    department_choices: Vec<Item>,
    notice: Option<(String, bool)>,
    posted: Posted,
    errors: HashMap<String, String>,
}

impl ReferencePage {
    fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }
    fn value(&self, field: &str) -> &str {
        self.posted.get(field).unwrap_or("")
    }
    fn chosen(&self, field: &str, value: &str) -> bool {
        self.posted.all(field).contains(&value)
    }
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
    /// The first error about any element of a list field (`village_ids[2]`).
    fn list_error(&self, field: &str) -> &str {
        let prefix = format!("{field}[");
        self.errors
            .iter()
            .find(|(k, _)| k.as_str() == field || k.starts_with(&prefix))
            .map_or("", |(_, v)| v.as_str())
    }
}

fn title(lang: Lang, kind: Kind) -> &'static str {
    let t = i18n::text(lang);
    match kind {
        Kind::Stations => t.admin_stations,
        Kind::Departments => t.admin_departments,
        Kind::Teams => t.admin_teams,
        Kind::Villages => t.admin_villages,
    }
}

fn township_name(towns: &[TownshipView], lang: Lang, code: &str) -> String {
    towns.iter().find(|t| t.code == code).map_or_else(
        || code.to_owned(),
        |t| match (lang, &t.name_en) {
            (Lang::En, Some(en)) if !en.is_empty() => en.clone(),
            _ => t.name_zh.clone(),
        },
    )
}

#[allow(clippy::too_many_arguments, reason = "one page with its refused form")]
async fn reference_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    kind: Kind,
    status: StatusCode,
    notice: Option<(String, bool)>,
    posted: Posted,
    errors: HashMap<String, String>,
) -> HttpResponse {
    let lang = signed.lang;
    let db = &state.db;
    let loaded = async {
        let towns = reference::townships(db).await?;
        let themes = reference::themes(db).await?;
        let departments = reference::departments(db).await?;
        let (stations, teams, leaders) = match kind {
            Kind::Stations => (reference::stations(db).await?, Vec::new(), Vec::new()),
            Kind::Teams => {
                let filter = UserFilter {
                    role: Some(Role::TeamLeader),
                    active: Some(true),
                    q: None,
                };
                let page = Page {
                    limit: 200,
                    cursor: None,
                };
                let leaders = users::list(db, filter, &page).await?.items;
                (Vec::new(), reference::teams(db).await?, leaders)
            }
            _ => (Vec::new(), Vec::new(), Vec::new()),
        };
        Ok::<_, ApiError>((towns, themes, departments, stations, teams, leaders))
    };
    let (towns, themes, departments, stations, teams, leaders) = match loaded.await {
        Ok(l) => l,
        Err(err) => return failed(req, signed, &err),
    };
    let village_name = |id: &uuid::Uuid| {
        towns
            .iter()
            .flat_map(|t| t.villages.iter())
            .find(|v| &v.id == id)
            .map_or_else(|| id.to_string(), |v| v.name.clone())
    };
    let theme_name = |code: &str| {
        themes.iter().find(|t| t.code == code).map_or_else(
            || code.to_owned(),
            |t| match (lang, &t.name_en) {
                (Lang::En, Some(en)) if !en.is_empty() => en.clone(),
                _ => t.name_zh.clone(),
            },
        )
    };
    let page = ReferencePage {
        c: signed.chrome(req, "admin"),
        kind: kind.path(),
        title: title(lang, kind),
        stations: stations
            .iter()
            .map(|s| StationRow {
                name: s.name.clone(),
                fallback: s.is_fallback,
                townships: s
                    .township_codes
                    .iter()
                    .map(|c| township_name(&towns, lang, c))
                    .collect::<Vec<_>>()
                    .join("、"),
                villages: s
                    .village_ids
                    .iter()
                    .map(village_name)
                    .collect::<Vec<_>>()
                    .join("、"),
            })
            .collect(),
        departments: departments
            .iter()
            .map(|d| DepartmentRow {
                name: d.name.clone(),
                code: d.code.clone().unwrap_or_default(),
            })
            .collect(),
        teams: teams
            .iter()
            .map(|team| TeamRow {
                name: team.name.clone(),
                department: team
                    .department_id
                    .and_then(|id| departments.iter().find(|d| d.id == id))
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                themes: team
                    .theme_codes
                    .iter()
                    .map(|c| theme_name(c))
                    .collect::<Vec<_>>()
                    .join("、"),
                leaders: leaders
                    .iter()
                    .filter(|u| u.team_id == Some(team.id))
                    .map(|u| u.display_name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                active: team.active,
            })
            .collect(),
        townships: towns
            .iter()
            .map(|t| TownshipRow {
                code: t.code.clone(),
                name: township_name(&towns, lang, &t.code),
                villages: t
                    .villages
                    .iter()
                    .map(|v| Item {
                        code: v.id.to_string(),
                        name: v.name.clone(),
                    })
                    .collect(),
            })
            .collect(),
        themes: themes
            .iter()
            .map(|t| Item {
                code: t.code.clone(),
                name: theme_name(&t.code),
            })
            .collect(),
        department_choices: departments
            .iter()
            .map(|d| Item {
                code: d.id.to_string(),
                name: d.name.clone(),
            })
            .collect(),
        notice,
        posted,
        errors,
    };
    render(page_builder(signed, req, status), &page)
}

/// `GET /console/admin/{kind}`.
pub async fn show_reference(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(kind) = Kind::parse(&path) else {
        return failed(&req, &signed, &ApiError::NotFound);
    };
    let notice = query(&req)
        .get("done")
        .map(|_| (i18n::text(signed.lang).created.to_owned(), false));
    reference_page(
        &state,
        &req,
        &signed,
        kind,
        StatusCode::OK,
        notice,
        Posted::default(),
        HashMap::new(),
    )
    .await
}

/// Creates what the form of `kind` describes, through the API's checks and service.
async fn create(state: &AppState, kind: Kind, posted: &Posted) -> Result<(), ApiError> {
    let db = &state.db;
    let now = state.now();
    let list =
        |field: &str| -> Vec<String> { posted.all(field).into_iter().map(str::to_owned).collect() };
    match kind {
        Kind::Stations => {
            let (name, townships, villages) = parse_station(StationBody {
                name: posted.get("name").map(str::to_owned),
                township_codes: Some(list("township_codes")),
                village_ids: Some(list("village_ids")),
            })?;
            reference::create_station(db, name, townships, villages, now).await?;
        }
        Kind::Departments => {
            let (name, code) = parse_department(DepartmentBody {
                name: posted.get("name").map(str::to_owned),
                code: posted.filled("code"),
            })?;
            reference::create_department(db, name, code, now).await?;
        }
        Kind::Teams => {
            let (name, department, themes) = parse_team(TeamBody {
                name: posted.get("name").map(str::to_owned),
                department_id: posted.filled("department_id"),
                theme_codes: Some(list("theme_codes")),
            })?;
            reference::create_team(db, name, department, themes, now).await?;
        }
        Kind::Villages => {
            let name = parse_name(posted.get("name"))?;
            let township = posted.get("township").unwrap_or("");
            match reference::create_village(db, township, name, now).await {
                // The path's township of the API is this form's field.
                Err(ApiError::NotFound) => {
                    return Err(ApiError::field("township", "没有这个苏木镇"));
                }
                other => {
                    other?;
                }
            }
        }
    }
    Ok(())
}

/// `POST /console/admin/{kind}`: adds a station, department, team or village.
pub async fn post_reference(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(kind) = Kind::parse(&path) else {
        return failed(&req, &signed, &ApiError::NotFound);
    };
    let lang = signed.lang;
    let t = i18n::text(lang);
    let (posted, ok) = genuine(&signed, &req, form);
    if !ok {
        let notice = Some((t.expired_form.to_owned(), true));
        return reference_page(
            &state,
            &req,
            &signed,
            kind,
            StatusCode::FORBIDDEN,
            notice,
            posted,
            HashMap::new(),
        )
        .await;
    }
    match create(&state, kind, &posted).await {
        Ok(()) => see_other(&format!("/console/admin/{}?done=1", kind.path())).finish(),
        Err(err) if fatal(&err) => failed(&req, &signed, &err),
        Err(err) => {
            let notice = Some((t.fix_errors.to_owned(), true));
            let errors = field_errors(lang, &err);
            reference_page(
                &state,
                &req,
                &signed,
                kind,
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
                posted,
                errors,
            )
            .await
        }
    }
}
