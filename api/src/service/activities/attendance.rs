//! Attendance: the leader's check-in code, volunteers checking in and out with it, the leader's
//! record for someone without a phone, and the hours `complete` files from attendance.
//!
//! The code is six digits, valid ten minutes; issuing a new one replaces the old. Only a keyed
//! hash of it is stored: HMAC-SHA-256 under a key derived from the deployment secret
//! (`KEPU_JWT_SECRET`), over the order id and the code. A plain hash of a six-digit code would
//! be reversed by trying all million codes; the keyed one cannot be without the secret. Wrong
//! codes are counted per volunteer: the fifth in a row locks them out for ten minutes (429).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use kepu_domain::activity::{
    self, CODE_VALID_FOR, CheckInCode, SignupState, Source, attendance_halves, hours_within_day,
    locked_for, window, window_open,
};
use kepu_domain::value::Hours;
use kepu_domain::volunteer::VolunteerState;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::access::Access;
use super::links;
use super::roster::{conflict, hold, signed_up_count};
use super::view::{RosterRow, own_row};
use crate::db::Db;
use crate::entity::{activities, activity_signups, orders, team_members, volunteers};
use crate::error::{ApiError, ApiResult, Problems};
use crate::service::ledger;
use crate::state::AppState;

/// A check-in code as issued to the leader.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCode {
    /// Six digits.
    pub code: String,
    /// When it stops working (10 minutes from now).
    pub expires_at: DateTime<Utc>,
    /// The check-in link the leader's page shows as a QR code.
    pub check_in_url: String,
}

/// The leader's record of one volunteer's attendance.
#[derive(Clone, Debug)]
pub struct ManualAttendance {
    /// An approved member of the claiming team.
    pub volunteer_id: Uuid,
    /// When they arrived.
    pub checked_in_at: DateTime<Utc>,
    /// When they left.
    pub checked_out_at: DateTime<Utc>,
}

/// The stored form of `code` for the activity of `order_id`.
pub fn code_hash(secret: Option<&str>, order_id: Uuid, code: &CheckInCode) -> String {
    let key = Sha256::new()
        .chain_update(b"kepu check-in codes\0")
        .chain_update(secret.unwrap_or_default().as_bytes())
        .finalize();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(order_id.as_bytes());
    mac.update(code.as_str().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Issues a new check-in code for the activity (its leader), replacing the old one.
pub async fn issue_code(state: &AppState, access: &Access) -> ApiResult<IssuedCode> {
    access.leader()?;
    access.claimed()?;
    let a = access.activity(&state.db).await?;
    let code = CheckInCode::from_random(rand::rng().random::<u32>());
    let now = state.now();
    let expires_at = now + CODE_VALID_FOR;
    activities::Entity::update_many()
        .col_expr(
            activities::Column::CodeHash,
            Expr::value(code_hash(
                state.settings.jwt_secret.as_deref(),
                a.order_id,
                &code,
            )),
        )
        .col_expr(activities::Column::CodeExpiresAt, Expr::value(expires_at))
        .col_expr(activities::Column::UpdatedAt, Expr::value(now))
        .filter(activities::Column::OrderId.eq(a.order_id))
        .exec(&state.db)
        .await?;
    Ok(IssuedCode {
        check_in_url: links::check_in_link(&state.settings.mail.public_url, a.order_id, &code),
        code: code.as_str().to_owned(),
        expires_at,
    })
}

/// The code the leader was shown, again (their page is reloaded): `Some` only when `code` is
/// the activity's current code and still valid. Nothing but its keyed hash is stored, so the
/// page can show a code again only when it holds the code already.
pub async fn current_code(
    state: &AppState,
    access: &Access,
    code: &CheckInCode,
) -> ApiResult<Option<IssuedCode>> {
    access.leader()?;
    let a = access.activity(&state.db).await?;
    let now = state.now();
    let current = a.code_expires_at.filter(|e| now < *e).filter(|_| {
        a.code_hash.as_deref()
            == Some(code_hash(state.settings.jwt_secret.as_deref(), a.order_id, code).as_str())
    });
    Ok(current.map(|expires_at| IssuedCode {
        check_in_url: links::check_in_link(&state.settings.mail.public_url, a.order_id, code),
        code: code.as_str().to_owned(),
        expires_at,
    }))
}

/// Check in or check out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punch {
    /// Arriving.
    In,
    /// Leaving.
    Out,
}

/// Checks the calling member in or out with the code. The order of the checks: a signed-up
/// volunteer (409 `activity.not_signed_up`), not locked out (429), the window open (409
/// `activity.closed`), the code right and current (422 on `code`; counted), and for a check-out
/// a check-in first (409 `activity.not_checked_in`). Checking in or out again keeps the first
/// time.
pub async fn punch(
    state: &AppState,
    access: &Access,
    code: &CheckInCode,
    punch: Punch,
) -> ApiResult<RosterRow> {
    let volunteer = access.member()?;
    access.claimed()?;
    let db = &state.db;
    let a = access.activity(db).await?;
    let now = state.now();
    let row = signup_of(db, a.order_id, volunteer).await?;
    let row = match row {
        Some(r) if r.state == SignupState::SignedUp.as_str() => r,
        other => {
            let current = other.map_or_else(|| "none".to_owned(), |r| r.state);
            return Err(conflict(
                "activity.not_signed_up",
                "only volunteers holding a slot check in",
                &current,
            ));
        }
    };
    if let Some(retry_after) = locked_for(row.locked_until, now) {
        return Err(ApiError::RateLimited { retry_after });
    }
    if !window_open(a.starts_at, a.ends_at, now) {
        let (open, close) = window(a.starts_at, a.ends_at);
        return Err(conflict(
            "activity.closed",
            &format!("check-in is open from {open} to {close}"),
            if now < open { "not_open" } else { "closed" },
        ));
    }
    let right = a.code_expires_at.is_some_and(|e| now < e)
        && a.code_hash.as_deref()
            == Some(code_hash(state.settings.jwt_secret.as_deref(), a.order_id, code).as_str());
    if !right {
        return Err(wrong_code(db, &row, now).await?);
    }
    let mut update = activity_signups::Entity::update_many()
        .col_expr(activity_signups::Column::WrongCodes, Expr::value(0))
        .col_expr(activity_signups::Column::UpdatedAt, Expr::value(now));
    match punch {
        Punch::In => {
            if row.checked_in_at.is_none() {
                update = update
                    .col_expr(activity_signups::Column::CheckedInAt, Expr::value(now))
                    .col_expr(
                        activity_signups::Column::Source,
                        Expr::value(Source::Attendance.as_str()),
                    );
            }
        }
        Punch::Out => {
            if row.checked_in_at.is_none() {
                return Err(conflict(
                    "activity.not_checked_in",
                    "check in before checking out",
                    SignupState::SignedUp.as_str(),
                ));
            }
            if row.checked_out_at.is_none() {
                update = update.col_expr(activity_signups::Column::CheckedOutAt, Expr::value(now));
            }
        }
    }
    update
        .filter(activity_signups::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    own_row(db, &a, volunteer).await?.ok_or(ApiError::NotFound)
}

/// Counts a wrong code (compare-and-set on the count, so racing attempts each count) and
/// answers 422, or 429 when this one locks the volunteer out.
async fn wrong_code(
    db: &Db,
    row: &activity_signups::Model,
    now: DateTime<Utc>,
) -> ApiResult<ApiError> {
    let mut before = row.wrong_codes;
    loop {
        let (wrong, locked_until) = activity::after_wrong_code(before, now);
        let mut update = activity_signups::Entity::update_many()
            .col_expr(activity_signups::Column::WrongCodes, Expr::value(wrong))
            .col_expr(activity_signups::Column::UpdatedAt, Expr::value(now));
        if let Some(until) = locked_until {
            update = update.col_expr(activity_signups::Column::LockedUntil, Expr::value(until));
        }
        let changed = update
            .filter(activity_signups::Column::Id.eq(row.id))
            .filter(activity_signups::Column::WrongCodes.eq(before))
            .exec(db)
            .await?
            .rows_affected;
        if changed == 1 {
            return Ok(match locked_for(locked_until, now) {
                Some(retry_after) => ApiError::RateLimited { retry_after },
                None => ApiError::field("code", "签到码错误或已过期，请向队长索取新的签到码"),
            });
        }
        let Some(current) = activity_signups::Entity::find_by_id(row.id).one(db).await? else {
            return Ok(ApiError::NotFound);
        };
        if let Some(retry_after) = locked_for(current.locked_until, now) {
            return Ok(ApiError::RateLimited { retry_after });
        }
        before = current.wrong_codes;
    }
}

async fn signup_of(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    volunteer: Uuid,
) -> ApiResult<Option<activity_signups::Model>> {
    Ok(activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(order_id))
        .filter(activity_signups::Column::VolunteerId.eq(volunteer))
        .one(db)
        .await?)
}

/// Records a volunteer's attendance for them (the leader), `source: manual`. The volunteer must
/// be an approved member of the claiming team and the times within the check-in window and not
/// in the future. A volunteer not holding a slot is signed up, if a slot is free (409
/// `activity.full` otherwise).
pub async fn record(
    state: &AppState,
    access: &Access,
    input: ManualAttendance,
) -> ApiResult<RosterRow> {
    let team_id = access.leader()?;
    access.claimed()?;
    let db = &state.db;
    let a = access.activity(db).await?;
    let now = state.now();
    let mut p = Problems::new();
    let member = team_members::Entity::find_by_id((team_id, input.volunteer_id))
        .one(db)
        .await?;
    let approved = volunteers::Entity::find_by_id(input.volunteer_id)
        .one(db)
        .await?
        .is_some_and(|v| v.state == VolunteerState::Approved.as_str());
    if member.is_none() || !approved {
        p.add("volunteer_id", "不是本服务队已审核通过的队员");
    }
    let (open, close) = window(a.starts_at, a.ends_at);
    for (field, t) in [
        ("checked_in_at", input.checked_in_at),
        ("checked_out_at", input.checked_out_at),
    ] {
        if t < open || t > close {
            p.add(field, "须在活动开始前1小时至结束后2小时之间");
        } else if t > now {
            p.add(field, "不能晚于现在");
        }
    }
    if input.checked_out_at <= input.checked_in_at {
        p.add("checked_out_at", "签退时间须晚于签到时间");
    }
    p.into_result()?;

    let txn = db.begin().await?;
    hold(&txn, a.order_id, a.team_id).await?;
    let existing = signup_of(&txn, a.order_id, input.volunteer_id).await?;
    let holds_slot = existing
        .as_ref()
        .is_some_and(|r| r.state == SignupState::SignedUp.as_str());
    if !holds_slot && signed_up_count(&txn, a.order_id).await? >= i64::from(a.slots) {
        txn.rollback().await?;
        return Err(conflict(
            "activity.full",
            "every slot is taken; raise the slots or let someone withdraw first",
            "full",
        ));
    }
    match existing {
        Some(row) => {
            activity_signups::Entity::update_many()
                .col_expr(
                    activity_signups::Column::State,
                    Expr::value(SignupState::SignedUp.as_str()),
                )
                .col_expr(
                    activity_signups::Column::CheckedInAt,
                    Expr::value(input.checked_in_at),
                )
                .col_expr(
                    activity_signups::Column::CheckedOutAt,
                    Expr::value(input.checked_out_at),
                )
                .col_expr(
                    activity_signups::Column::Source,
                    Expr::value(Source::Manual.as_str()),
                )
                .col_expr(activity_signups::Column::Flagged, Expr::value(false))
                .col_expr(activity_signups::Column::UpdatedAt, Expr::value(now))
                .filter(activity_signups::Column::Id.eq(row.id))
                .exec(&txn)
                .await?;
        }
        None => {
            activity_signups::Entity::insert(activity_signups::ActiveModel {
                id: Set(Uuid::now_v7()),
                order_id: Set(a.order_id),
                volunteer_id: Set(input.volunteer_id),
                state: Set(SignupState::SignedUp.as_str().into()),
                queued_at: Set(now),
                checked_in_at: Set(Some(input.checked_in_at)),
                checked_out_at: Set(Some(input.checked_out_at)),
                source: Set(Some(Source::Manual.as_str().into())),
                flagged: Set(false),
                wrong_codes: Set(0),
                locked_until: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await?;
        }
    }
    let row = own_row(&txn, &a, input.volunteer_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(row)
}

/// The hours `complete` files when it is sent without any: each signed-up volunteer who checked
/// in and out and is still an approved member of the team gets their checked-in time within the
/// activity, rounded down to the half hour and capped so that their day (`served_on`) stays
/// within 24 hours. Volunteers with nothing left to file are left out; an empty list means
/// there is no attendance to go by.
pub async fn hours_for_completion(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    served_on: chrono::NaiveDate,
) -> ApiResult<Vec<(Uuid, Hours)>> {
    let Some(team_id) = order.team_id else {
        return Ok(vec![]);
    };
    let Some(a) = activities::Entity::find_by_id(order.id)
        .one(db)
        .await?
        .filter(|a| a.team_id == team_id)
    else {
        return Ok(vec![]);
    };
    let rows = activity_signups::Entity::find()
        .filter(activity_signups::Column::OrderId.eq(order.id))
        .filter(activity_signups::Column::State.eq(SignupState::SignedUp.as_str()))
        .filter(activity_signups::Column::CheckedInAt.is_not_null())
        .filter(activity_signups::Column::CheckedOutAt.is_not_null())
        .order_by_asc(activity_signups::Column::VolunteerId)
        .all(db)
        .await?;
    let mut hours = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(i), Some(o)) = (r.checked_in_at, r.checked_out_at) else {
            continue;
        };
        let member = team_members::Entity::find_by_id((team_id, r.volunteer_id))
            .one(db)
            .await?
            .is_some();
        let approved = volunteers::Entity::find_by_id(r.volunteer_id)
            .one(db)
            .await?
            .is_some_and(|v| v.state == VolunteerState::Approved.as_str());
        if !member || !approved {
            continue;
        }
        let halves = attendance_halves(i, o, a.starts_at, a.ends_at);
        let already = ledger::day_total(db, r.volunteer_id, served_on).await?;
        if let Some(h) = hours_within_day(halves, already) {
            hours.push((r.volunteer_id, h));
        }
    }
    Ok(hours)
}

/// The day a completion of `order` is filed for by default: the day its activity began (in
/// the deployment's time zone) when it has begun and belongs to the claiming team, else today.
pub async fn completion_day(
    state: &AppState,
    order: &orders::Model,
) -> ApiResult<chrono::NaiveDate> {
    let today = state.today();
    let start = activities::Entity::find_by_id(order.id)
        .one(&state.db)
        .await?
        .filter(|a| Some(a.team_id) == order.team_id)
        .map(|a| {
            a.starts_at
                .with_timezone(&state.settings.timezone)
                .date_naive()
        });
    Ok(start.filter(|d| *d <= today).unwrap_or(today))
}

/// Whether `hours` are exactly what attendance gives for `served_on` (and there is some): the
/// leader left the hours `hours_for_completion` filled in as they were.
pub async fn is_from_attendance(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    served_on: chrono::NaiveDate,
    hours: &[(Uuid, Hours)],
) -> ApiResult<bool> {
    let mut attended: Vec<(Uuid, u16)> = hours_for_completion(db, order, served_on)
        .await?
        .into_iter()
        .map(|(v, h)| (v, h.halves()))
        .collect();
    let mut sent: Vec<(Uuid, u16)> = hours.iter().map(|(v, h)| (*v, h.halves())).collect();
    attended.sort();
    sent.sort();
    Ok(!attended.is_empty() && attended == sent)
}
