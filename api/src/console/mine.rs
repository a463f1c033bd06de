//! What `/console/me` shows a volunteer: their hours (confirmed, pending, disputed, each
//! record with its order), star level and the hours to the next star, their open team
//! invitations and whether they have a calendar link. Only the signed-in volunteer's own data:
//! the volunteer id comes from the session, never the request. The forms are in
//! `me_volunteer`.

use kepu_domain::Actor;
use kepu_domain::volunteer::VolunteerState;
use std::collections::HashMap;
use uuid::Uuid;

use super::i18n::{self, Lang, volunteer as words};
use super::names::Names;
use super::page::local_time;
use super::session::Signed;
use crate::error::ApiResult;
use crate::service::activities::mine;
use crate::service::activities::team::order_briefs;
use crate::service::{ledger, membership, people};
use crate::state::AppState;

/// One service record, with its order.
#[derive(Debug)]
pub struct RecordLine {
    /// The order's tracking code.
    pub code: String,
    /// The order's theme.
    pub theme: String,
    /// Served on.
    pub served_on: String,
    /// Hours.
    pub hours: String,
    /// `pending`, `confirmed` or `disputed`.
    pub state: String,
    /// The state in words.
    pub state_label: &'static str,
    /// Where the hours came from, in words.
    pub source: &'static str,
}

/// An invitation waiting for an answer.
#[derive(Debug)]
pub struct InvitationLine {
    /// Id, for the answer's form.
    pub id: Uuid,
    /// The inviting team.
    pub team: String,
    /// When.
    pub at: String,
}

/// What `/console/me` shows a volunteer beyond the account.
#[derive(Debug)]
pub struct VolunteerPart {
    /// The review state (`pending`, `approved`, …).
    pub state: String,
    /// Confirmed hours.
    pub confirmed: String,
    /// Hours waiting for confirmation.
    pub pending: String,
    /// Star level in words.
    pub stars: String,
    /// The hours to the next star, or that the top is reached.
    pub next: String,
    /// Every record, newest first.
    pub records: Vec<RecordLine>,
    /// Open invitations.
    pub invitations: Vec<InvitationLine>,
    /// Whether a calendar link exists.
    pub has_calendar: bool,
}

impl VolunteerPart {
    /// Whether the volunteer is approved.
    pub fn approved(&self) -> bool {
        self.state == VolunteerState::Approved.as_str()
    }

    /// Whether the registration still waits for review.
    pub fn pending_review(&self) -> bool {
        self.state == VolunteerState::Pending.as_str()
    }
}

/// The signed-in volunteer's record id; `None` for other roles.
pub fn volunteer_id(signed: &Signed) -> Option<Uuid> {
    match signed.acting.actor {
        Actor::Volunteer { volunteer_id } => Some(volunteer_id.0),
        _ => None,
    }
}

/// The volunteer's part of the account page, for volunteers; `None` for everyone else.
pub async fn volunteer_part(
    state: &AppState,
    signed: &Signed,
    lang: Lang,
) -> ApiResult<Option<VolunteerPart>> {
    let Some(id) = volunteer_id(signed) else {
        return Ok(None);
    };
    let t = i18n::text(lang);
    let v = people::volunteer(&state.db, id).await?;
    let stars = &state.settings.star_thresholds;
    let hours = ledger::hours(&state.db, id, stars).await?;
    let names = Names::load(state, lang).await?;
    let briefs = order_briefs(&state.db, hours.records.iter().map(|r| r.order_id)).await?;
    let records = hours
        .records
        .iter()
        .map(|r| {
            let brief = briefs.get(&r.order_id);
            RecordLine {
                code: brief.map(|b| b.tracking_code.clone()).unwrap_or_default(),
                theme: brief.map(|b| names.theme(&b.theme)).unwrap_or_default(),
                served_on: r.served_on.to_string(),
                hours: words::hours(r.hours),
                state: r.state.clone(),
                state_label: words::record_state(lang, &r.state),
                source: words::source(lang, &r.source),
            }
        })
        .collect();
    let invitations = membership::invitations(&state.db, id)
        .await?
        .into_iter()
        .map(|i| InvitationLine {
            id: i.id,
            team: i.team_name,
            at: local_time(state, i.invited_at),
        })
        .collect();
    let next = match stars.next(hours.confirmed_hours) {
        Some((level, missing)) => words::next_star(lang, level, missing),
        None => t.top_star.to_owned(),
    };
    Ok(Some(VolunteerPart {
        state: v.state,
        confirmed: words::hours(hours.confirmed_hours),
        pending: words::hours(hours.pending_hours),
        stars: words::stars(lang, hours.star_level),
        next,
        records,
        invitations,
        has_calendar: mine::has_calendar(state, id).await?,
    }))
}

/// The notice of `/console/me?inv=…`.
pub fn invitation_notice(lang: Lang, query: &HashMap<String, String>) -> Option<&'static str> {
    let t = i18n::text(lang);
    match query.get("inv").map(String::as_str) {
        Some("accepted") => Some(t.inv_accepted),
        Some("declined") => Some(t.inv_declined),
        _ => None,
    }
}
