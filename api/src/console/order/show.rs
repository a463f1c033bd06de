//! The order page: the order as the caller may see it, its history, and the forms of the
//! actions the caller may take now, shown again with the typed values and the messages when
//! a post is refused.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::order::{ActionKind, OrderState};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use super::super::i18n;
use super::super::names::{Named, Names};
use super::super::page::{Chrome, error_page, local_time};
use super::super::session::{Signed, page_builder, signed_in};
use super::activity::{self as order_activity, OrderActivity};
use super::parse::parse_order_id;
use crate::error::ApiError;
use crate::service::activities::completion_day;
use crate::service::membership;
use crate::service::orders::triage::{self, TeamChoice};
use crate::service::orders::{self as svc, OrderView};
use crate::state::AppState;
use crate::web::render;

/// One event of the history.
#[derive(Debug)]
pub struct EventLine {
    action: &'static str,
    state: Option<&'static str>,
    actor: &'static str,
    reason: Option<String>,
    at: String,
}

/// A possible duplicate.
#[derive(Debug)]
pub struct DuplicateLine {
    id: Uuid,
    code: String,
    state: &'static str,
    at: String,
    description: String,
}

/// A member of the claiming team, for the hours table of `complete`.
#[derive(Debug)]
pub struct MemberLine {
    id: Uuid,
    name: String,
}

/// What a refused form shows again: which form, the typed values, the messages.
#[derive(Debug, Default)]
pub struct Retry {
    /// The form's action.
    pub action: String,
    /// What was typed.
    pub values: HashMap<String, String>,
    /// The teams ticked.
    pub picks: HashSet<String>,
    /// The messages, by field.
    pub errors: HashMap<String, String>,
}

/// The order page.
#[derive(Template)]
#[template(path = "console/order.html")]
pub struct OrderPage {
    c: Chrome,
    notice: Option<&'static str>,
    alert: bool,
    o: OrderView,
    state_label: &'static str,
    theme: String,
    place: String,
    group: Option<String>,
    channel: &'static str,
    station: String,
    department: Option<String>,
    team: Option<String>,
    created: String,
    due: Option<String>,
    events: Vec<EventLine>,
    chain_valid: bool,
    actions: Vec<ActionKind>,
    duplicates: Vec<DuplicateLine>,
    suggested: Option<Uuid>,
    departments: Vec<Named>,
    teams: Vec<TeamChoice>,
    members: Vec<MemberLine>,
    today: String,
    retry: Retry,
    /// The activity and its roster, when scheduled and the caller may see it.
    activity: Option<OrderActivity>,
    /// The complete form as attendance fills it (`served_on`, `h-<volunteer id>`).
    prefill: HashMap<String, String>,
    /// Whether to link the activity's page (the claiming team's leader).
    activity_link: bool,
}

impl OrderPage {
    /// Whether the caller may take `action` now.
    fn can(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.as_str() == action)
    }

    /// What was typed into `field` of the `action` form, when that form is shown again.
    fn val(&self, action: &str, field: &str) -> &str {
        if self.retry.action == action {
            self.retry.values.get(field).map_or("", String::as_str)
        } else if action == "complete" {
            self.prefill.get(field).map_or("", String::as_str)
        } else {
            ""
        }
    }

    /// Whether the complete form's hours come pre-filled from attendance.
    fn prefilled(&self) -> bool {
        self.prefill.keys().any(|k| k.starts_with("h-"))
    }

    /// The message beside `field` of the `action` form.
    fn err(&self, action: &str, field: &str) -> Option<&str> {
        if self.retry.action == action {
            self.retry.errors.get(field).map(String::as_str)
        } else {
            None
        }
    }

    /// Whether a team was ticked in the accept form shown again.
    fn picked(&self, team: &Uuid) -> bool {
        self.retry.picks.contains(&team.to_string())
    }

    /// Whether the accept form offers to chosen teams.
    fn offer_chosen(&self) -> bool {
        self.val("accept", "offer") == "chosen"
    }

    /// The forms that ask only for a reason (return, release, cancel) the caller may use now:
    /// action, heading, button.
    fn reason_forms(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let t = self.c.t;
        [
            ("return", t.return_title, t.return_button),
            ("release", t.release_title, t.release_button),
            ("cancel", t.cancel_title, t.cancel_button),
        ]
        .into_iter()
        .filter(|(action, _, _)| self.can(action))
        .collect()
    }

    /// Whether `id` is the suggested department.
    fn is_suggested(&self, id: &Uuid) -> bool {
        self.suggested.as_ref() == Some(id)
    }

    /// A score as stars.
    fn stars(&self, score: &i16) -> String {
        "★".repeat(usize::try_from(*score).unwrap_or(0))
    }

    /// The department preselected in the dispatch form: the typed one, else the suggestion.
    fn dispatch_to(&self, id: &Uuid) -> bool {
        let typed = self.val("dispatch", "department_id");
        if typed.is_empty() {
            self.is_suggested(id)
        } else {
            typed == id.to_string()
        }
    }
}

/// Why a page is shown again.
pub struct Shown {
    /// The answer's status.
    pub status: StatusCode,
    /// The notice above the page.
    pub notice: Option<&'static str>,
    /// Whether the notice is an alert.
    pub alert: bool,
    /// The refused form.
    pub retry: Retry,
}

pub async fn order_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    id: Uuid,
    shown: Shown,
) -> Result<HttpResponse, ApiError> {
    let lang = signed.lang;
    let actor = &signed.acting.actor;
    let visible = svc::find_visible(&state.db, id, actor).await?;
    let history = svc::history(&state.db, &visible.row).await?;
    let actions = triage::available_actions(&visible.facts, actor);
    let now = state.now();
    let names = Names::load(state, lang).await?;
    let row = visible.row.clone();
    let has = |k: ActionKind| actions.contains(&k);
    let duplicates = if has(ActionKind::Reject) {
        triage::possible_duplicates(&state.db, &row, now)
            .await?
            .into_iter()
            .map(|d| DuplicateLine {
                id: d.id,
                code: d.tracking_code,
                state: lang.state(d.state),
                at: local_time(state, d.created_at),
                description: d.description.chars().take(80).collect(),
            })
            .collect()
    } else {
        vec![]
    };
    let suggested = if has(ActionKind::Dispatch) {
        triage::suggested_department(&state.db, &row.theme_code).await?
    } else {
        None
    };
    let teams = if has(ActionKind::Accept) {
        triage::team_choices(&state.db, &row.theme_code).await?
    } else {
        vec![]
    };
    let members = match (has(ActionKind::Complete), row.team_id) {
        (true, Some(team)) => membership::members(&state.db, team)
            .await?
            .into_iter()
            .filter(|m| m.volunteer_state == "approved")
            .map(|m| MemberLine {
                id: m.volunteer_id,
                name: m.real_name,
            })
            .collect(),
        _ => vec![],
    };
    let activity = order_activity::load(state, signed, id).await?;
    let prefill = if has(ActionKind::Complete) {
        let served = completion_day(state, &row).await?;
        let mut prefill = order_activity::prefill(state, &visible, served).await?;
        prefill.insert("served_on".into(), served.to_string());
        prefill
    } else {
        HashMap::new()
    };
    let events = history
        .items
        .iter()
        .map(|e| EventLine {
            action: i18n::action(lang, &e.action),
            state: (e.from_state.as_deref() != Some(e.to_state.as_str()))
                .then(|| e.to_state.parse::<OrderState>().ok().map(|s| lang.state(s)))
                .flatten(),
            actor: i18n::actor(lang, &e.actor_role),
            reason: e.reason.clone(),
            at: local_time(state, e.at),
        })
        .collect();
    let o = visible.view(now);
    let page = OrderPage {
        c: signed.chrome(req, "orders"),
        notice: shown.notice,
        alert: shown.alert,
        state_label: lang.state(o.state),
        theme: names.theme(&o.theme),
        place: names.place(&o.township, o.village),
        group: o.target_group.as_deref().map(|g| names.group(g)),
        channel: i18n::channel(lang, &o.channel),
        station: names.station(o.station_id),
        department: o.department_id.map(|d| names.department(d)),
        team: o.team_id.map(|t| names.team(t)),
        created: local_time(state, o.created_at),
        due: o.due_at.map(|d| local_time(state, d)),
        events,
        chain_valid: history.chain_valid,
        actions,
        duplicates,
        suggested,
        departments: names.departments,
        teams,
        members,
        today: state.today().to_string(),
        retry: shown.retry,
        activity,
        prefill,
        activity_link: signed.role() == kepu_domain::Role::TeamLeader
            && o.state == OrderState::Claimed,
        o,
    };
    Ok(render(page_builder(signed, req, shown.status), &page))
}

/// `GET /console/orders/{id}`.
pub async fn show_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !signed.handles_orders() {
        return signed.forbidden(&req);
    }
    let Some(id) = parse_order_id(&path) else {
        return error_page(&req, Some(signed.nav()), &ApiError::NotFound);
    };
    let t = i18n::text(signed.lang);
    let done = req.query_string().split('&').any(|p| p == "done=1");
    let shown = Shown {
        status: StatusCode::OK,
        notice: done.then_some(t.done),
        alert: false,
        retry: Retry::default(),
    };
    match order_page(&state, &req, &signed, id, shown).await {
        Ok(page) => page,
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
