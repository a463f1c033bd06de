//! A volunteer's own activities, and their private calendar feed (RFC 5545) at
//! `/ical/{token}.ics`. Only the token's SHA-256 is stored; asking for a new one replaces it, and
//! the old link stops working.

use chrono::{DateTime, Utc};
use kepu_domain::activity::SignupState;
use kepu_domain::order::OrderState;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

use super::links;
use super::view::{MyActivities, MyActivity, activity_view, own_row};
use crate::auth::{new_opaque_token, token_hash};
use crate::entity::{activities, activity_signups, calendar_tokens, orders, team_members};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How many past activities "my activities" shows.
const PAST: usize = 50;

/// The activities of `volunteer`: those of orders their teams claimed, and those they signed up
/// for, upcoming (not ended) soonest first, past latest first.
pub async fn my_activities(state: &AppState, volunteer: Uuid) -> ApiResult<MyActivities> {
    let db = &state.db;
    let now = state.now();
    let mut teams = Query::select();
    teams
        .column(team_members::Column::TeamId)
        .from(team_members::Entity)
        .and_where(team_members::Column::VolunteerId.eq(volunteer));
    let mut signed = Query::select();
    signed
        .column(activity_signups::Column::OrderId)
        .from(activity_signups::Entity)
        .and_where(activity_signups::Column::VolunteerId.eq(volunteer));
    let rows = activities::Entity::find()
        .filter(
            Condition::any()
                .add(activities::Column::TeamId.in_subquery(teams))
                .add(activities::Column::OrderId.in_subquery(signed)),
        )
        .order_by_asc(activities::Column::StartsAt)
        .all(db)
        .await?;
    let order_ids: Vec<Uuid> = rows.iter().map(|a| a.order_id).collect();
    let orders: HashMap<Uuid, orders::Model> = if order_ids.is_empty() {
        HashMap::new()
    } else {
        orders::Entity::find()
            .filter(orders::Column::Id.is_in(order_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect()
    };
    let mut upcoming = Vec::new();
    let mut past = Vec::new();
    for a in rows {
        // An activity of a team that released the order is no longer theirs.
        let Some(order) = orders
            .get(&a.order_id)
            .filter(|o| o.team_id == Some(a.team_id))
        else {
            continue;
        };
        let mine = own_row(db, &a, volunteer).await?;
        let item = MyActivity {
            activity: activity_view(db, &a, Some(volunteer)).await?,
            order_state: order.state.clone(),
            mine,
        };
        if a.ends_at >= now {
            upcoming.push(item);
        } else {
            past.push(item);
        }
    }
    past.reverse();
    past.truncate(PAST);
    Ok(MyActivities { upcoming, past })
}

/// Issues `volunteer` a new calendar token, replacing any earlier one; returns the feed's URL.
pub async fn new_calendar_url(state: &AppState, volunteer: Uuid) -> ApiResult<String> {
    let token = new_opaque_token();
    calendar_tokens::Entity::insert(calendar_tokens::ActiveModel {
        volunteer_id: Set(volunteer),
        token_hash: Set(token_hash(&token)),
        created_at: Set(state.now()),
    })
    .on_conflict(
        OnConflict::column(calendar_tokens::Column::VolunteerId)
            .update_columns([
                calendar_tokens::Column::TokenHash,
                calendar_tokens::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(format!(
        "{}/ical/{token}.ics",
        state.settings.mail.public_url
    ))
}

/// Whether `volunteer` has a calendar link (only its hash is kept: the link itself is shown
/// once, when it is made).
pub async fn has_calendar(state: &AppState, volunteer: Uuid) -> ApiResult<bool> {
    Ok(calendar_tokens::Entity::find_by_id(volunteer)
        .one(&state.db)
        .await?
        .is_some())
}

/// The calendar feed of the volunteer whose token this is: every activity they are signed up
/// or waitlisted for, of orders not cancelled. 404 for an unknown (or replaced) token.
pub async fn calendar_feed(state: &AppState, token: &str) -> ApiResult<String> {
    let db = &state.db;
    let row = calendar_tokens::Entity::find()
        .filter(calendar_tokens::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let signups = activity_signups::Entity::find()
        .filter(activity_signups::Column::VolunteerId.eq(row.volunteer_id))
        .filter(activity_signups::Column::State.ne(SignupState::Withdrawn.as_str()))
        .all(db)
        .await?;
    let mut events = Vec::new();
    for s in signups {
        let Some(a) = activities::Entity::find_by_id(s.order_id).one(db).await? else {
            continue;
        };
        let Some(order) = orders::Entity::find_by_id(s.order_id).one(db).await? else {
            continue;
        };
        let live = order.team_id == Some(a.team_id)
            && ![
                OrderState::Cancelled.as_str(),
                OrderState::Rejected.as_str(),
            ]
            .contains(&order.state.as_str());
        if live {
            events.push(Event {
                link: links::activity_page(&state.settings.mail.public_url, a.order_id),
                waitlisted: s.state == SignupState::Waitlisted.as_str(),
                tracking_code: order.tracking_code.clone(),
                activity: a,
            });
        }
    }
    events.sort_by_key(|e| e.activity.starts_at);
    Ok(ical(&events, state.now()))
}

/// One activity in a feed.
pub struct Event {
    /// The activity.
    pub activity: activities::Model,
    /// Whether the volunteer is only waitlisted (the event is then tentative).
    pub waitlisted: bool,
    /// The order's tracking code, for the title.
    pub tracking_code: String,
    /// The activity's page.
    pub link: String,
}

/// An iCalendar document (RFC 5545) of `events`, stamped `now`. Times are in UTC (`…Z`), which
/// every calendar shows in the phone's own zone; lines end in CRLF and are folded at 75 octets.
pub fn ical(events: &[Event], now: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::new();
    let mut line = |s: &str| out.push_str(&fold(s));
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Kepu Dispatch//Activities//ZH");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line("X-WR-CALNAME:科普志愿服务活动");
    for e in events {
        let a = &e.activity;
        line("BEGIN:VEVENT");
        line(&format!("UID:activity-{}@kepu", a.order_id));
        line(&format!("DTSTAMP:{}", stamp(now)));
        line(&format!("DTSTART:{}", stamp(a.starts_at)));
        line(&format!("DTEND:{}", stamp(a.ends_at)));
        line(&format!(
            "SUMMARY:{}",
            escape(&format!("科普志愿服务（{}）", e.tracking_code))
        ));
        line(&format!("LOCATION:{}", escape(&a.place)));
        let mut description = String::new();
        if e.waitlisted {
            description.push_str("候补中：有名额时会通知您。\n");
        }
        if let Some(note) = &a.note {
            description.push_str(note);
            description.push('\n');
        }
        description.push_str(&e.link);
        line(&format!("DESCRIPTION:{}", escape(&description)));
        line(&format!("URL:{}", e.link));
        line(&format!(
            "STATUS:{}",
            if e.waitlisted {
                "TENTATIVE"
            } else {
                "CONFIRMED"
            }
        ));
        line(&format!("LAST-MODIFIED:{}", stamp(a.updated_at)));
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so that no line passes 75 octets (never inside a character), with
/// CRLF (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        // Continuation lines start with a space, which counts.
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(note: Option<&str>) -> Event {
        let t = |h| {
            Utc.with_ymd_and_hms(2026, 12, 10, h, 0, 0)
                .single()
                .expect("time")
        };
        Event {
            activity: activities::Model {
                order_id: Uuid::nil(),
                team_id: Uuid::nil(),
                starts_at: t(2),
                ends_at: t(4),
                place: "嘎查文化室, 二楼; 东侧".into(),
                slots: 10,
                note: note.map(str::to_owned),
                code_hash: None,
                code_expires_at: None,
                reminder_sent_at: None,
                roster_version: 0,
                created_at: t(1),
                updated_at: t(1),
            },
            waitlisted: false,
            tracking_code: "K7Q2M9XA".into(),
            link: "https://kepu.example.cn/console/activities/0".into(),
        }
    }

    #[test]
    fn the_feed_is_crlf_folded_escaped_and_in_utc() {
        let long = "很长的备注".repeat(30);
        let doc = ical(&[event(Some(&long))], Utc::now());
        assert!(doc.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(doc.ends_with("END:VCALENDAR\r\n"));
        assert!(doc.contains("DTSTART:20261210T020000Z\r\n"));
        assert!(doc.contains("DTEND:20261210T040000Z\r\n"));
        assert!(doc.contains("LOCATION:嘎查文化室\\, 二楼\\; 东侧"));
        for l in doc.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
            assert!(!l.contains('\n'));
        }
        // Unfolding gives the note back whole.
        let unfolded = doc.replace("\r\n ", "");
        assert!(unfolded.contains(&long));
    }
}
