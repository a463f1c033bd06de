//! The posts of an activity's page, each parsed into the service's input and sent through the
//! same `service::activities` function as the JSON API: schedule (`schedule::put`), a new code
//! (`attendance::issue_code`), attendance for someone without a phone (`attendance::record`),
//! sign up and withdraw (`signup`), check in and out (`attendance::punch`). A refused form
//! comes back with its messages beside the fields and what was typed kept.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use kepu_domain::activity::{CheckInCode, Schedule, ScheduleInput};
use uuid::Uuid;

use super::super::i18n::{self, Lang, volunteer as words};
use super::super::page::{Posted, error_page};
use super::super::session::{Signed, signed_in};
use super::page::{Retry, Shown, access_of, activity_page};
use crate::error::{ApiError, Problems};
use crate::service::activities::attendance::{self, Punch};
use crate::service::activities::{Access, ManualAttendance, schedule, signup};
use crate::state::AppState;
use crate::web::{see_other, with_retry_after};

/// A `datetime-local` value (`2026-12-10T10:00`) in the deployment's zone.
fn local_time_input(
    state: &AppState,
    p: &mut Problems,
    field: &str,
    raw: Option<String>,
) -> Option<DateTime<Utc>> {
    let raw = p.require(field, raw)?;
    let naive = NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M:%S"))
        .ok();
    let local = naive.and_then(|n| state.settings.timezone.from_local_datetime(&n).earliest());
    p.check(
        field,
        local
            .map(|t| t.with_timezone(&Utc))
            .ok_or("请填写日期和时间，如 2026-12-10 10:00"),
    )
}

/// The notice for a refusal of the activity's rules.
fn conflict_notice(lang: Lang, code: &str) -> &'static str {
    let t = i18n::text(lang);
    match code {
        "activity.closed" => t.e_closed,
        "activity.not_signed_up" => t.e_not_signed_up,
        "activity.not_checked_in" => t.e_not_checked_in,
        "activity.checked_in" => t.e_checked_in,
        "activity.order_not_claimed" => t.e_not_claimed,
        "activity.full" => t.e_full,
        _ => t.stale,
    }
}

/// What every post does first: the session, the access, the CSRF token. `Err` is the answer.
async fn start(
    state: &AppState,
    req: &HttpRequest,
    raw_id: &str,
    posted: &Posted,
    form: &str,
) -> Result<(Signed, Access), HttpResponse> {
    let signed = signed_in(state, req).await?;
    let access = access_of(state, req, &signed, raw_id).await?;
    if !signed.form_is_genuine(req, posted.get("csrf")) {
        let t = i18n::text(signed.lang);
        let shown = Shown {
            status: StatusCode::FORBIDDEN,
            retry: Retry {
                form: form.to_owned(),
                values: posted.values(),
                errors: Default::default(),
            },
            ..Shown::plain(Some((t.expired_form.to_owned(), true)))
        };
        return Err(again(state, req, &signed, &access, shown).await);
    }
    Ok((signed, access))
}

async fn again(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    access: &Access,
    shown: Shown,
) -> HttpResponse {
    match activity_page(state, req, signed, access, shown).await {
        Ok(page) => page,
        Err(err) => error_page(req, Some(signed.nav()), &err),
    }
}

/// The answer to a service's refusal: the page again with the messages, or an error page.
async fn refused(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    access: &Access,
    form: &str,
    posted: &Posted,
    err: ApiError,
) -> HttpResponse {
    let lang = signed.lang;
    let t = i18n::text(lang);
    let retry = |errors| Retry {
        form: form.to_owned(),
        values: posted.values(),
        errors,
    };
    let (status, notice, errors) = match &err {
        ApiError::Validation(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.fix_errors.to_owned(),
            words::field_errors(lang, &err),
        ),
        ApiError::Conflict { code, .. } => (
            StatusCode::CONFLICT,
            conflict_notice(lang, code).to_owned(),
            Default::default(),
        ),
        ApiError::RateLimited { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            i18n::locked(lang, *retry_after),
            Default::default(),
        ),
        _ => return error_page(req, Some(signed.nav()), &err),
    };
    let shown = Shown {
        status,
        retry: retry(errors),
        ..Shown::plain(Some((notice, true)))
    };
    with_retry_after(again(state, req, signed, access, shown).await, &err)
}

fn done(id: Uuid, what: &str) -> HttpResponse {
    see_other(&format!("/console/activities/{id}?done={what}")).finish()
}

type Form = web::Form<Vec<(String, String)>>;

/// `POST /console/activities/{order_id}/schedule` (the leader).
pub async fn post_schedule(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    let (signed, access) = match start(&state, &req, &path, &posted, "schedule").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Err(err) = access.leader() {
        return error_page(&req, Some(signed.nav()), &err);
    }
    let mut p = Problems::new();
    let starts_at = local_time_input(&state, &mut p, "starts_at", posted.filled("starts_at"));
    let ends_at = local_time_input(&state, &mut p, "ends_at", posted.filled("ends_at"));
    let slots = posted
        .filled("slots")
        .map(|s| s.parse::<i64>().map_err(|_| "名额须为1到10000之间的整数"));
    let slots = match slots {
        Some(r) => p.check("slots", r),
        None => None,
    };
    let slots_typed = posted.filled("slots").is_some();
    let place = posted.get("place");
    let note = posted.get("note");
    let checked = Schedule::check(
        ScheduleInput {
            starts_at,
            ends_at,
            place,
            slots,
            note,
        },
        state.now(),
    );
    let schedule = match checked {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in errors {
                // A field already reported as unreadable is not reported again as missing.
                let reported = (e.field == "starts_at" && starts_at.is_none())
                    || (e.field == "ends_at" && ends_at.is_none())
                    || (e.field == "slots" && slots_typed && slots.is_none());
                if !reported {
                    p.add(e.field, e.message);
                }
            }
            None
        }
    };
    let result = match p.finish(|| schedule) {
        Ok(s) => schedule::put(&state, &access, s).await.map(|_| ()),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => done(access.order.id, "scheduled"),
        Err(err) => refused(&state, &req, &signed, &access, "schedule", &posted, err).await,
    }
}

/// `POST /console/activities/{order_id}/code` (the leader): a new code, shown on the page.
pub async fn post_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    let (signed, access) = match start(&state, &req, &path, &posted, "code").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    match attendance::issue_code(&state, &access).await {
        Ok(issued) => see_other(&format!(
            "/console/activities/{}?code={}#code",
            access.order.id, issued.code
        ))
        .finish(),
        Err(err) => refused(&state, &req, &signed, &access, "code", &posted, err).await,
    }
}

/// `POST /console/activities/{order_id}/attendance` (the leader).
pub async fn post_attendance(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    let (signed, access) = match start(&state, &req, &path, &posted, "attendance").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Err(err) = access.leader() {
        return error_page(&req, Some(signed.nav()), &err);
    }
    let mut p = Problems::new();
    let volunteer = p
        .require("volunteer_id", posted.filled("volunteer_id"))
        .and_then(|v| {
            p.check(
                "volunteer_id",
                Uuid::parse_str(&v).map_err(|_| "请选择队员"),
            )
        });
    let checked_in_at = local_time_input(
        &state,
        &mut p,
        "checked_in_at",
        posted.filled("checked_in_at"),
    );
    let checked_out_at = local_time_input(
        &state,
        &mut p,
        "checked_out_at",
        posted.filled("checked_out_at"),
    );
    let input = p.finish(|| {
        Some(ManualAttendance {
            volunteer_id: volunteer?,
            checked_in_at: checked_in_at?,
            checked_out_at: checked_out_at?,
        })
    });
    let result = match input {
        Ok(input) => attendance::record(&state, &access, input).await.map(|_| ()),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => done(access.order.id, "attendance"),
        Err(err) => refused(&state, &req, &signed, &access, "attendance", &posted, err).await,
    }
}

/// `POST /console/activities/{order_id}/signup` (a member).
pub async fn post_signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    let (signed, access) = match start(&state, &req, &path, &posted, "signup").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    match signup::sign_up(&state, &access).await {
        Ok((view, _)) => done(access.order.id, &view.state),
        Err(err) => refused(&state, &req, &signed, &access, "signup", &posted, err).await,
    }
}

/// `POST /console/activities/{order_id}/withdraw` (a member).
pub async fn post_withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    let (signed, access) = match start(&state, &req, &path, &posted, "withdraw").await {
        Ok(s) => s,
        Err(page) => return page,
    };
    match signup::withdraw(&state, &access).await {
        Ok(()) => done(access.order.id, "withdrawn"),
        Err(err) => refused(&state, &req, &signed, &access, "withdraw", &posted, err).await,
    }
}

/// `POST /console/activities/{order_id}/{check-in|check-out}` (a member) with the code.
pub async fn post_check(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: Form,
) -> HttpResponse {
    let (raw_id, which) = path.into_inner();
    let (how, form_name, outcome) = match which.as_str() {
        "check-in" => (Punch::In, "check-in", "checked_in"),
        "check-out" => (Punch::Out, "check-out", "checked_out"),
        _ => return super::super::session::not_found(req).await,
    };
    let posted = Posted::new(form.into_inner());
    let (signed, access) = match start(&state, &req, &raw_id, &posted, form_name).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if let Err(err) = access.member() {
        return error_page(&req, Some(signed.nav()), &err);
    }
    let mut p = Problems::new();
    let code = p
        .require("code", posted.filled("code"))
        .and_then(|c| p.check("code", CheckInCode::parse(&c)));
    let result = match p.finish(|| code) {
        Ok(code) => attendance::punch(&state, &access, &code, how)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => done(access.order.id, outcome),
        Err(err) => refused(&state, &req, &signed, &access, form_name, &posted, err).await,
    }
}
