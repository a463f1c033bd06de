//! The activity on the order page: its schedule and roster for staff in scope and the
//! claiming team's leader (`service::activities::schedule::get`, as
//! `GET /api/v1/orders/{id}/activity`), and the leader's complete form pre-filled with each
//! member's hours from attendance (`service::activities::hours_for_completion`, the hours
//! `complete` files when sent without any). Unchanged pre-filled hours
//! (`service::activities::is_from_attendance`) are sent as "from attendance", so the records
//! say where their hours came from.

use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

use super::super::activities::{RosterLine, counts, roster_lines, when};
use super::super::i18n::volunteer as words;
use super::super::session::Signed;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::service::activities::{self, access, hours_for_completion, is_from_attendance};
use crate::service::orders::{ActionInput, VisibleOrder, find_visible};
use crate::state::AppState;

/// The activity as the order page shows it.
#[derive(Debug)]
pub struct OrderActivity {
    /// When, local time.
    pub when: String,
    /// Where.
    pub place: String,
    /// Signed up of the slots, and the waiting list.
    pub counts: String,
    /// Everyone signed up or waiting.
    pub roster: Vec<RosterLine>,
}

/// The order's activity for `signed`, if one is scheduled and they may see its roster.
pub async fn load(
    state: &AppState,
    signed: &Signed,
    order_id: Uuid,
) -> ApiResult<Option<OrderActivity>> {
    let lang = signed.lang;
    let caller = Caller::User(signed.session.claims.clone());
    let access = match access(&state.db, &caller, order_id).await {
        Ok(a) => a,
        Err(ApiError::NotFound) => return Ok(None),
        Err(err) => return Err(err),
    };
    let a = match activities::schedule::get(state, &access).await {
        Ok(a) => a,
        Err(ApiError::NotFound) => return Ok(None),
        Err(err) => return Err(err),
    };
    let roster = roster_lines(state, lang, &a);
    Ok(Some(OrderActivity {
        when: when(state, &a),
        place: a.place.clone(),
        counts: counts(lang, &a),
        roster,
    }))
}

/// The complete form's hours from attendance: `h-<volunteer id>` → hours.
pub async fn prefill(
    state: &AppState,
    order: &VisibleOrder,
    served_on: NaiveDate,
) -> ApiResult<HashMap<String, String>> {
    Ok(hours_for_completion(&state.db, &order.row, served_on)
        .await?
        .into_iter()
        .map(|(v, h)| (format!("h-{v}"), words::hours(h.as_f64())))
        .collect())
}

/// A `complete` as the leader's form sent it: hours left exactly as attendance filled them are
/// sent as none, so `complete` files them from attendance (`source: attendance`); changed
/// hours go as typed. Any other action is unchanged.
pub async fn attendance_or_typed(
    state: &AppState,
    signed: &Signed,
    order_id: Uuid,
    input: ActionInput,
) -> ActionInput {
    let ActionInput::Complete {
        served_on,
        attendees,
        summary,
        hours: Some(hours),
    } = input
    else {
        return input;
    };
    let unchanged = match find_visible(&state.db, order_id, &signed.acting.actor).await {
        Ok(v) => is_from_attendance(&state.db, &v.row, served_on, &hours)
            .await
            .unwrap_or(false),
        // The service answers for an order the caller may not see.
        Err(_) => false,
    };
    ActionInput::Complete {
        served_on,
        attendees,
        summary,
        hours: (!unchanged).then_some(hours),
    }
}
