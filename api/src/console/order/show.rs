//! `/console/orders/{id}`: everything the API shows the caller of one order (the contact phone
//! in full only to those handling it), its history from the hash-chained events with whether
//! the chain verifies, and one form per action the caller may take now. Each form posts to
//! `/console/orders/{id}/{action}`, is parsed into the same `ActionInput` the API builds and
//! goes through `service::orders::act` with the page's version as `If-Match`: a page someone
//! else has overtaken gets "someone else acted on this order; here it is now".

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::order::{self, ActionKind, OrderState};
use kepu_domain::value::{Attendees, Hours, Note, Reason, Summary, parse_date};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use super::i18n::{self, Lang};
use super::names::{Named, Names};
use super::order_activity::{self, OrderActivity};
use super::page::{Chrome, Posted, error_page, field_errors, local_time};
use super::session::{Signed, page_builder, signed_in};
use crate::error::{ApiError, Problems};
use crate::service::membership;
use crate::service::orders::triage::{self, TeamChoice};
use crate::service::orders::{self as svc, ActionInput, OrderView};
use crate::state::AppState;
use crate::web::{render, see_other};

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
struct Retry {
    action: String,
    values: HashMap<String, String>,
    picks: HashSet<String>,
    errors: HashMap<String, String>,
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
struct Shown {
    status: StatusCode,
    notice: Option<&'static str>,
    alert: bool,
    retry: Retry,
}

async fn order_page(
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
        let served = order_activity::served_default(state, &row).await?;
        let mut prefill = order_activity::prefill(state, &row, served).await?;
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

fn parse_order_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
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

fn reason(p: &mut Problems, posted: &Posted) -> Option<Reason> {
    p.require("reason", posted.filled("reason"))
        .and_then(|r| p.check("reason", Reason::parse(&r)))
}

fn note(p: &mut Problems, posted: &Posted) -> Option<Note> {
    posted
        .filled("note")
        .and_then(|n| p.check("note", Note::parse(&n)))
}

fn uuid(p: &mut Problems, field: &str, raw: Option<String>) -> Option<Uuid> {
    raw.and_then(|r| p.check(field, Uuid::parse_str(&r).map_err(|_| "不是有效的ID")))
}

/// The hours table of `complete`: one `h-<volunteer id>` field per member; empty means absent.
/// Answers the volunteers in the order they are sent, so a service message about
/// `hours[i]` can be put beside the right row.
fn hours_of(p: &mut Problems, posted: &Posted) -> (Vec<(Uuid, Hours)>, Vec<Uuid>) {
    let mut hours = Vec::new();
    let mut order = Vec::new();
    for (key, value) in posted.pairs() {
        let Some(id) = key
            .strip_prefix("h-")
            .and_then(|id| Uuid::parse_str(id).ok())
        else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let field = format!("h-{id}");
        let parsed = value
            .parse::<f64>()
            .map_err(|_| "请填写数字".to_owned())
            .and_then(|h| Hours::parse(h).map_err(|e| e.to_string()));
        if let Some(h) = p.check(&field, parsed) {
            order.push(id);
            hours.push((id, h));
        }
    }
    (hours, order)
}

/// Parses the form of `kind` into the action's input, as the API parses its JSON body.
/// The second value lists the volunteers of a `complete` in the order sent.
fn parse_input(kind: ActionKind, posted: &Posted) -> (Result<ActionInput, ApiError>, Vec<Uuid>) {
    let mut p = Problems::new();
    let mut sent = vec![];
    let input = match kind {
        ActionKind::Dispatch => {
            let department = p.require("department_id", posted.filled("department_id"));
            let department = uuid(&mut p, "department_id", department);
            let note = note(&mut p, posted);
            p.finish(|| {
                Some(ActionInput::Dispatch {
                    department_id: department?.into(),
                    note,
                })
            })
        }
        ActionKind::Reject => {
            let reason = reason(&mut p, posted);
            let duplicate_of = uuid(&mut p, "duplicate_of", posted.filled("duplicate_of"));
            p.finish(|| {
                Some(ActionInput::Reject {
                    reason: reason?,
                    duplicate_of: duplicate_of.map(Into::into),
                })
            })
        }
        ActionKind::Accept => {
            let team_ids = if posted.get("offer") == Some("chosen") {
                let raw = posted.all("team_ids");
                if raw.is_empty() {
                    p.add("team_ids", "至少指定一个服务队，或开放给所有服务队");
                }
                let ids = raw
                    .into_iter()
                    .filter_map(|r| uuid(&mut p, "team_ids", Some(r.to_owned())))
                    .map(Into::into)
                    .collect();
                Some(ids)
            } else {
                None
            };
            let note = note(&mut p, posted);
            p.finish(|| Some(ActionInput::Accept { team_ids, note }))
        }
        ActionKind::Return => {
            let reason = reason(&mut p, posted);
            p.finish(|| Some(ActionInput::Return { reason: reason? }))
        }
        ActionKind::Release => {
            let reason = reason(&mut p, posted);
            p.finish(|| Some(ActionInput::Release { reason: reason? }))
        }
        ActionKind::Claim => {
            let planned_date = posted
                .filled("planned_date")
                .and_then(|d| p.check("planned_date", parse_date(&d)));
            let note = note(&mut p, posted);
            p.finish(|| Some(ActionInput::Claim { planned_date, note }))
        }
        ActionKind::Complete => {
            let served_on = p
                .require("served_on", posted.filled("served_on"))
                .and_then(|d| p.check("served_on", parse_date(&d)));
            let attendees = p
                .require("attendees", posted.filled("attendees"))
                .and_then(|n| {
                    p.check(
                        "attendees",
                        n.parse::<i64>()
                            .map_err(|_| "请填写整数".to_owned())
                            .and_then(|n| Attendees::parse(n).map_err(|e| e.to_string())),
                    )
                });
            let summary = p
                .require("summary", posted.filled("summary"))
                .and_then(|s| p.check("summary", Summary::parse(&s)));
            let (hours, order) = hours_of(&mut p, posted);
            if hours.is_empty() && p.is_empty() {
                p.add("hours", "至少填写一名志愿者的时长");
            }
            sent = order;
            p.finish(|| {
                Some(ActionInput::Complete {
                    served_on: served_on?,
                    attendees: attendees?,
                    summary: summary?,
                    hours: Some(hours),
                })
            })
        }
        ActionKind::Close => Ok(ActionInput::Close),
        _ => {
            let reason = posted
                .filled("reason")
                .and_then(|r| p.check("reason", Reason::parse(&r)));
            p.finish(|| Some(ActionInput::Cancel { reason }))
        }
    };
    (input, sent)
}

/// Puts the service's `hours[i].…` messages beside the member rows (`h-<volunteer id>`).
fn place_hours_errors(errors: HashMap<String, String>, sent: &[Uuid]) -> HashMap<String, String> {
    errors
        .into_iter()
        .map(|(field, message)| {
            let row = field
                .strip_prefix("hours[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
                .and_then(|i| sent.get(i));
            match row {
                Some(id) => (format!("h-{id}"), message),
                None => (field, message),
            }
        })
        .collect()
}

/// `POST /console/orders/{id}/{action}`.
pub async fn post_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !signed.handles_orders() {
        return signed.forbidden(&req);
    }
    let (raw_id, raw_action) = path.into_inner();
    let kind = raw_action
        .parse::<ActionKind>()
        .ok()
        .filter(|k| !matches!(k, ActionKind::Submit | ActionKind::Rate));
    let (Some(id), Some(kind)) = (parse_order_id(&raw_id), kind) else {
        return error_page(&req, Some(signed.nav()), &ApiError::NotFound);
    };
    let lang: Lang = signed.lang;
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    let again = |status, notice, retry| {
        let shown = Shown {
            status,
            notice: Some(notice),
            alert: true,
            retry,
        };
        let (state, req, signed) = (state.clone(), req.clone(), &signed);
        async move {
            match order_page(&state, &req, signed, id, shown).await {
                Ok(page) => page,
                Err(err) => error_page(&req, Some(signed.nav()), &err),
            }
        }
    };
    let keep = |errors| Retry {
        action: kind.as_str().to_owned(),
        values: posted.values(),
        picks: posted
            .all("team_ids")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        errors,
    };
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        return again(StatusCode::FORBIDDEN, t.expired_form, keep(HashMap::new())).await;
    }
    let if_match = posted
        .get("version")
        .and_then(|v| v.trim().parse::<i64>().ok());
    let (input, sent) = parse_input(kind, &posted);
    let input = match input {
        Ok(input) => Ok(order_activity::attendance_or_typed(&state, &signed, id, input).await),
        Err(err) => Err(err),
    };
    let result = match input {
        Ok(input) => svc::act(&state, &signed.acting, id, input, if_match).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(changed) => {
            if order::can_view(&changed.facts, &signed.acting.actor) {
                see_other(&format!("/console/orders/{id}?done=1")).finish()
            } else {
                // Returned to the station: the department no longer sees it.
                see_other("/console/orders?done=1-0").finish()
            }
        }
        Err(err @ ApiError::Validation(_)) => {
            let errors = place_hours_errors(field_errors(lang, &err), &sent);
            again(StatusCode::UNPROCESSABLE_ENTITY, t.fix_errors, keep(errors)).await
        }
        Err(ApiError::Conflict { .. }) => {
            again(StatusCode::CONFLICT, t.stale, Retry::default()).await
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_messages_go_beside_the_member_they_name() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let errors = HashMap::from([
            ("hours[1].hours".to_owned(), "too many".to_owned()),
            ("summary".to_owned(), "required".to_owned()),
        ]);
        let placed = place_hours_errors(errors, &[a, b]);
        assert_eq!(
            placed.get(&format!("h-{b}")).map(String::as_str),
            Some("too many")
        );
        assert_eq!(placed.get("summary").map(String::as_str), Some("required"));
    }

    #[test]
    fn a_complete_form_reads_like_the_api_body() {
        let v = Uuid::now_v7();
        let posted = Posted::new(vec![
            ("served_on".into(), "2024-05-01".into()),
            ("attendees".into(), "30".into()),
            ("summary".into(), "讲了疫苗".into()),
            (format!("h-{v}"), "2.5".into()),
            (format!("h-{}", Uuid::now_v7()), "".into()),
        ]);
        let (input, sent) = parse_input(ActionKind::Complete, &posted);
        assert_eq!(sent, vec![v]);
        assert!(
            matches!(input, Ok(ActionInput::Complete { hours: Some(hours), .. }) if hours.len() == 1)
        );

        let bad = Posted::new(vec![(format!("h-{v}"), "0.3".into())]);
        let (input, _) = parse_input(ActionKind::Complete, &bad);
        let Err(ApiError::Validation(errors)) = input else {
            panic!("expected a validation error");
        };
        let fields: HashSet<_> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["served_on", "attendees", "summary", &format!("h-{v}")] {
            assert!(fields.contains(f), "{f} missing from {fields:?}");
        }
    }
}
