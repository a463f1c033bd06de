//! `/console/admin/users`: the accounts (the API's list with its filters), a new account with
//! its role and scope (`people::create_user`), a password reset showing the temporary password
//! this once (`users::reset_password`), deactivation and activation (`users::set_active`).

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::Role;
use std::collections::HashMap;
use uuid::Uuid;

use super::super::i18n::{self, Lang};
use super::super::page::{Chrome, field_errors};
use super::super::session::{Signed, page_builder};
use super::{association, failed, fatal, genuine, query};
use crate::error::ApiError;
use crate::paging::Page;
use crate::routes::people::{UserBody, parse_user};
use crate::service::sessions::UserView;
use crate::service::users::{self, UserFilter};
use crate::service::{people, reference};
use crate::state::AppState;
use crate::web::{render, see_other};

/// An id and a name, for a select.
pub struct Option_ {
    id: String,
    name: String,
}

/// One account in the list.
pub struct Row {
    id: Uuid,
    username: String,
    name: String,
    role: &'static str,
    scope: String,
    active: bool,
    must_change: bool,
}

/// The accounts page.
#[derive(Template)]
#[template(path = "console/admin/users.html")]
pub struct UsersPage {
    c: Chrome,
    rows: Vec<Row>,
    roles: Vec<(&'static str, &'static str)>,
    stations: Vec<Option_>,
    departments: Vec<Option_>,
    teams: Vec<Option_>,
    filter: HashMap<String, String>,
    next_href: Option<String>,
    notice: Option<(String, bool)>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    /// After a reset: the account and its temporary password, shown this once.
    temporary: Option<(String, String)>,
    me: Uuid,
}

impl UsersPage {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }
    fn filtered(&self, field: &str) -> &str {
        self.filter.get(field).map_or("", String::as_str)
    }
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
}

/// What a page answer carries besides the list.
#[derive(Default)]
struct Extra {
    notice: Option<(String, bool)>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    temporary: Option<(String, String)>,
}

fn filter_of(q: &HashMap<String, String>) -> UserFilter {
    UserFilter {
        role: q.get("role").and_then(|r| r.parse::<Role>().ok()),
        active: match q.get("active").map(String::as_str) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        q: q.get("q")
            .map(|s| s.trim().chars().take(64).collect::<String>())
            .filter(|s| !s.is_empty()),
    }
}

async fn users_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    status: StatusCode,
    extra: Extra,
) -> HttpResponse {
    let lang = signed.lang;
    let q = query(req);
    let page = Page {
        limit: 50,
        cursor: q.get("cursor").filter(|c| !c.is_empty()).cloned(),
    };
    let found = async {
        let listed = users::list(&state.db, filter_of(&q), &page).await?;
        let stations = reference::stations(&state.db).await?;
        let departments = reference::departments(&state.db).await?;
        let teams = reference::teams(&state.db).await?;
        Ok::<_, ApiError>((listed, stations, departments, teams))
    };
    let (listed, stations, departments, teams) = match found.await {
        Ok(f) => f,
        Err(ApiError::Validation(_)) => return see_other("/console/admin/users").finish(),
        Err(err) => return failed(req, signed, &err),
    };
    let stations: Vec<Option_> = stations
        .into_iter()
        .map(|s| Option_ {
            id: s.id.to_string(),
            name: s.name,
        })
        .collect();
    let departments: Vec<Option_> = departments
        .into_iter()
        .map(|d| Option_ {
            id: d.id.to_string(),
            name: d.name,
        })
        .collect();
    let teams: Vec<Option_> = teams
        .into_iter()
        .map(|t| Option_ {
            id: t.id.to_string(),
            name: t.name,
        })
        .collect();
    let name_in = |list: &[Option_], id: Option<Uuid>| {
        id.and_then(|id| {
            let id = id.to_string();
            list.iter().find(|o| o.id == id).map(|o| o.name.clone())
        })
    };
    let row = |u: UserView| Row {
        scope: name_in(&stations, u.station_id)
            .or_else(|| name_in(&departments, u.department_id))
            .or_else(|| name_in(&teams, u.team_id))
            .or_else(|| u.volunteer_id.map(|v| v.to_string()))
            .unwrap_or_default(),
        id: u.id,
        username: u.username,
        name: u.display_name,
        role: i18n::role(lang, u.role),
        active: u.active,
        must_change: u.must_change_password,
    };
    let mut next_query: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| k.as_str() != "cursor")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let rows: Vec<Row> = listed.items.into_iter().map(row).collect();
    // The account of a temporary password by its login name, when it is on this page.
    let temporary = extra.temporary.map(|(id, password)| {
        let who = rows
            .iter()
            .find(|r| r.id.to_string() == id)
            .map_or(id, |r| r.username.clone());
        (who, password)
    });
    let next_href = listed.next_cursor.map(|c| {
        next_query.push(("cursor".into(), c));
        format!(
            "/console/admin/users?{}",
            serde_urlencoded::to_string(&next_query).unwrap_or_default()
        )
    });
    let no_store = temporary.is_some();
    let body = UsersPage {
        c: signed.chrome(req, "admin"),
        rows,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), i18n::role(lang, *r)))
            .collect(),
        stations,
        departments,
        teams,
        filter: q,
        next_href,
        notice: extra.notice,
        values: extra.values,
        errors: extra.errors,
        temporary,
        me: signed.session.user.id,
    };
    let mut response = render(page_builder(signed, req, status), &body);
    if no_store {
        // The temporary password is in this page only: never kept by a cache.
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `GET /console/admin/users?role=&q=&active=&cursor=`.
pub async fn show_users(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let t = i18n::text(signed.lang);
    let notice = match query(&req).get("done").map(String::as_str) {
        Some("created") => Some((t.user_created.to_owned(), false)),
        Some("changed") => Some((t.user_changed.to_owned(), false)),
        _ => None,
    };
    let extra = Extra {
        notice,
        ..Extra::default()
    };
    users_page(&state, &req, &signed, StatusCode::OK, extra).await
}

fn message(lang: Lang, err: &ApiError) -> String {
    let t = i18n::text(lang);
    match err {
        ApiError::Forbidden(_) => t.forbidden_text.to_owned(),
        ApiError::NotFound => t.not_found_text.to_owned(),
        _ => t.fix_errors.to_owned(),
    }
}

/// `POST /console/admin/users`: a new account.
pub async fn post_create(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = signed.lang;
    let t = i18n::text(lang);
    let (posted, ok) = genuine(&signed, &req, form);
    let mut values = posted.values();
    values.remove("password");
    if !ok {
        let extra = Extra {
            notice: Some((t.expired_form.to_owned(), true)),
            values,
            ..Extra::default()
        };
        return users_page(&state, &req, &signed, StatusCode::FORBIDDEN, extra).await;
    }
    // Only the scope the chosen role needs is sent, as a client of the API would.
    let role = posted.filled("role");
    let scope = |field: &str, needs: Role| {
        role.as_deref()
            .filter(|r| *r == needs.as_str())
            .and_then(|_| posted.filled(field))
    };
    let body = UserBody {
        username: posted.get("username").map(|s| s.trim().to_owned()),
        password: posted.get("password").map(str::to_owned),
        role: role.clone(),
        display_name: posted.get("display_name").map(|s| s.trim().to_owned()),
        email: posted.filled("email"),
        station_id: scope("station_id", Role::StationStaff),
        department_id: scope("department_id", Role::DepartmentStaff),
        team_id: scope("team_id", Role::TeamLeader),
        volunteer_id: scope("volunteer_id", Role::Volunteer),
    };
    let created = match parse_user(body) {
        Ok(new) => people::create_user(&state.db, new, state.now()).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(_) => see_other("/console/admin/users?done=created").finish(),
        Err(err) if fatal(&err) => failed(&req, &signed, &err),
        Err(err) => {
            let extra = Extra {
                notice: Some((message(lang, &err), true)),
                errors: field_errors(lang, &err),
                values,
                ..Extra::default()
            };
            users_page(
                &state,
                &req,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                extra,
            )
            .await
        }
    }
}

/// `POST /console/admin/users/{id}/{reset-password|deactivate|activate}`.
pub async fn post_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match association(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = signed.lang;
    let (raw, action) = path.into_inner();
    let Ok(id) = Uuid::parse_str(&raw) else {
        return failed(&req, &signed, &ApiError::NotFound);
    };
    let (_, ok) = genuine(&signed, &req, form);
    if !ok {
        let extra = Extra {
            notice: Some((i18n::text(lang).expired_form.to_owned(), true)),
            ..Extra::default()
        };
        return users_page(&state, &req, &signed, StatusCode::FORBIDDEN, extra).await;
    }
    let now = state.now();
    let by = signed.session.user.id;
    let done = match action.as_str() {
        "reset-password" => match users::reset_password(&state.db, id, now).await {
            Ok(temp) => {
                let extra = Extra {
                    temporary: Some((id.to_string(), temp.temporary_password)),
                    ..Extra::default()
                };
                return users_page(&state, &req, &signed, StatusCode::OK, extra).await;
            }
            Err(err) => Err(err),
        },
        "deactivate" => users::set_active(&state.db, by, id, false, now)
            .await
            .map(|_| ()),
        "activate" => users::set_active(&state.db, by, id, true, now)
            .await
            .map(|_| ()),
        _ => Err(ApiError::NotFound),
    };
    match done {
        Ok(()) => see_other("/console/admin/users?done=changed").finish(),
        Err(err) if fatal(&err) || matches!(err, ApiError::NotFound) => failed(&req, &signed, &err),
        Err(err) => {
            let extra = Extra {
                notice: Some((message(lang, &err), true)),
                ..Extra::default()
            };
            users_page(&state, &req, &signed, StatusCode::FORBIDDEN, extra).await
        }
    }
}
