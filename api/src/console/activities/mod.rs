//! `/console/activities`: the activities of volunteers and team leaders, through
//! `service::activities` exactly as `/api/v1/…/activity` does.
//! - volunteers: upcoming and past activities of their teams (`mine::my_activities`); on an
//!   activity's page they sign up or join the waiting list, withdraw, and check in and out by
//!   typing the leader's 6-digit code; the QR code's link (`…/check-in?code=`) opens a page that
//!   checks in after one tap;
//! - leaders: their team's activities and the claimed orders still to schedule
//!   (`team::team_activities`); on an activity's page they schedule or reschedule it, see the
//!   roster, show the current check-in code large with its QR code, and record attendance for
//!   someone without a phone.
//!
//! [`page`] renders one activity, [`forms`] takes its posts.

mod forms;
mod page;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::Actor;
use uuid::Uuid;

use super::i18n::{self, Lang, volunteer as words};
use super::names::Names;
use super::page::{Chrome, error_page, local_time};
use super::session::{Signed, page_builder, signed_in};
use crate::error::ApiResult;
use crate::service::activities::team::{OrderBrief, team_activities};
use crate::service::activities::{ActivityView, mine};
use crate::state::AppState;
use crate::web::render;

pub use forms::{
    post_attendance, post_check, post_code, post_schedule, post_signup, post_withdraw,
};
pub use page::{show_activity, show_check_in, show_withdraw};

/// One activity (or order to schedule) in a list.
#[derive(Debug)]
pub struct ActLine {
    /// The order.
    pub order_id: Uuid,
    /// Its tracking code.
    pub code: String,
    /// What it is about.
    pub theme: String,
    /// Township and village.
    pub town: String,
    /// When, in local time (empty for an order still to schedule).
    pub when: String,
    /// Where.
    pub place: String,
    /// Signed up of the slots, and the waiting list.
    pub counts: String,
    /// The volunteer's own state, in words.
    pub mine: Option<String>,
}

/// The list page.
#[derive(Template)]
#[template(path = "console/activities.html")]
pub struct ActivitiesPage {
    c: Chrome,
    leader: bool,
    to_schedule: Vec<ActLine>,
    upcoming: Vec<ActLine>,
    past: Vec<ActLine>,
}

impl ActivitiesPage {
    /// The upcoming and the past activities: heading, id, items.
    fn sections(&self) -> [(&'static str, &'static str, &[ActLine]); 2] {
        [
            (self.c.t.act_upcoming, "upcoming", &self.upcoming),
            (self.c.t.act_past, "past", &self.past),
        ]
    }
}

/// One row of an activity's roster as the leader's page and the order page show it.
#[derive(Debug)]
pub struct RosterLine {
    /// Name.
    pub name: String,
    /// Sign-up state in words.
    pub state: String,
    /// Checked in, local time.
    pub checked_in: String,
    /// Checked out, local time.
    pub checked_out: String,
    /// Hours from attendance.
    pub hours: String,
    /// Attendance recorded by the leader for someone without a phone.
    pub manual: bool,
    /// The sweeper closed a forgotten check-out.
    pub flagged: bool,
}

/// The roster of `a` in the words of `lang`.
pub fn roster_lines(state: &AppState, lang: Lang, a: &ActivityView) -> Vec<RosterLine> {
    a.roster
        .iter()
        .map(|r| RosterLine {
            name: r.name.clone(),
            state: words::signup_state(lang, Some(&r.state), r.waitlist_position),
            checked_in: r
                .checked_in_at
                .map(|t| local_time(state, t))
                .unwrap_or_default(),
            checked_out: r
                .checked_out_at
                .map(|t| local_time(state, t))
                .unwrap_or_default(),
            hours: r.hours.map(words::hours).unwrap_or_default(),
            manual: r.source.as_deref() == Some("manual"),
            flagged: r.flagged,
        })
        .collect()
}

/// Start and end in local time: `2026-12-10 10:00–12:00` (the end's date when it differs).
pub fn when(state: &AppState, a: &ActivityView) -> String {
    let start = local_time(state, a.starts_at);
    let end = local_time(state, a.ends_at);
    match (start.split_once(' '), end.split_once(' ')) {
        (Some((d1, _)), Some((d2, t2))) if d1 == d2 => format!("{start}–{t2}"),
        _ => format!("{start} – {end}"),
    }
}

/// Signed up of the slots, and the waiting list, in words.
pub fn counts(lang: Lang, a: &ActivityView) -> String {
    let t = i18n::text(lang);
    let mut s = format!("{} {}/{}", t.l_signed, a.signed_up, a.slots);
    if a.waitlisted > 0 {
        s.push_str(&format!(" · {} {}", t.l_waiting, a.waitlisted));
    }
    s
}

fn line(
    state: &AppState,
    lang: Lang,
    names: &Names,
    order: &OrderBrief,
    activity: Option<&ActivityView>,
    mine: Option<String>,
) -> ActLine {
    ActLine {
        order_id: order.id,
        code: order.tracking_code.clone(),
        theme: names.theme(&order.theme),
        town: names.place(&order.township, order.village),
        when: activity.map(|a| when(state, a)).unwrap_or_default(),
        place: activity.map(|a| a.place.clone()).unwrap_or_default(),
        counts: activity.map(|a| counts(lang, a)).unwrap_or_default(),
        mine,
    }
}

async fn activities_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
) -> ApiResult<HttpResponse> {
    let lang = signed.lang;
    let names = Names::load(state, lang).await?;
    let page = match signed.acting.actor {
        Actor::Volunteer { volunteer_id } => {
            let mine = mine::my_activities(state, volunteer_id.0).await?;
            let ids = mine
                .upcoming
                .iter()
                .chain(mine.past.iter())
                .map(|m| m.activity.order_id);
            let briefs =
                crate::service::activities::team::order_briefs(&state.db, ids.collect::<Vec<_>>())
                    .await?;
            let lines = |items: &[crate::service::activities::MyActivity]| {
                items
                    .iter()
                    .filter_map(|m| {
                        let order = briefs.get(&m.activity.order_id)?;
                        let own = m.mine.as_ref();
                        let state_words = words::signup_state(
                            lang,
                            own.map(|r| r.state.as_str()),
                            own.and_then(|r| r.waitlist_position),
                        );
                        Some(line(
                            state,
                            lang,
                            &names,
                            order,
                            Some(&m.activity),
                            Some(state_words),
                        ))
                    })
                    .collect()
            };
            ActivitiesPage {
                c: signed.chrome(req, "activities"),
                leader: false,
                to_schedule: vec![],
                upcoming: lines(&mine.upcoming),
                past: lines(&mine.past),
            }
        }
        Actor::TeamLeader { team_id, .. } => {
            let team = team_activities(state, team_id.0).await?;
            let lines = |items: &[crate::service::activities::team::TeamActivity]| {
                items
                    .iter()
                    .map(|i| line(state, lang, &names, &i.order, Some(&i.activity), None))
                    .collect()
            };
            ActivitiesPage {
                c: signed.chrome(req, "activities"),
                leader: true,
                to_schedule: team
                    .to_schedule
                    .iter()
                    .map(|o| line(state, lang, &names, o, None, None))
                    .collect(),
                upcoming: lines(&team.upcoming),
                past: lines(&team.past),
            }
        }
        _ => return Ok(signed.forbidden(req)),
    };
    Ok(render(page_builder(signed, req, StatusCode::OK), &page))
}

/// `GET /console/activities`.
pub async fn show_activities(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    match activities_page(&state, &req, &signed).await {
        Ok(page) => page,
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
