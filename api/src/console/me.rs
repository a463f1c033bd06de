//! `/console/me`: the account of whoever is signed in — profile, email, the switch for
//! non-urgent mail, and the password change (through `service::sessions`, as
//! `PATCH /api/v1/me` and `POST /api/v1/me/password` do); for volunteers also their hours,
//! certificate, invitations and calendar link (`mine`). After a reset by the association this
//! is the only page open until the password is changed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::value::{Email, Password};
use std::collections::HashMap;

use super::i18n;
use super::mine::{VolunteerPart, invitation_notice, volunteer_part};
use super::page::{Chrome, Posted, error_page, field_errors};
use super::session::{Signed, page_builder, signed_in};
use crate::error::{ApiError, Problems};
use crate::service::sessions::{self, OwnSettings, Standing};
use crate::state::AppState;
use crate::web::{render, see_other, with_retry_after};

/// The account page.
#[derive(Template)]
#[template(path = "console/me.html")]
pub struct MePage {
    c: Chrome,
    username: String,
    name: String,
    role: &'static str,
    email: String,
    notify: bool,
    must_change: bool,
    notice: Option<String>,
    alert: bool,
    /// Messages beside the fields of the form shown again.
    errors: HashMap<String, String>,
    /// A volunteer's hours, invitations and calendar.
    vol: Option<VolunteerPart>,
    /// A calendar link just made (shown once).
    calendar_url: Option<String>,
    /// The certificate period typed.
    cert_from: String,
    cert_to: String,
}

impl MePage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// Why the page is shown: status, notice, the form shown again with its values and messages.
#[derive(Debug)]
pub struct Shown {
    /// Status.
    pub status: StatusCode,
    /// The notice and whether it is an alert.
    pub notice: Option<(String, bool)>,
    /// Which form is shown again (`settings`, `password`, `certificate`).
    pub form: &'static str,
    /// Its typed values.
    pub values: HashMap<String, String>,
    /// Messages beside its fields.
    pub errors: HashMap<String, String>,
    /// A calendar link just made.
    pub calendar_url: Option<String>,
}

impl Shown {
    /// The plain page.
    pub fn plain(notice: Option<(String, bool)>) -> Self {
        Self {
            status: StatusCode::OK,
            notice,
            form: "",
            values: HashMap::new(),
            errors: HashMap::new(),
            calendar_url: None,
        }
    }

    /// The page with an information notice.
    pub fn info(notice: &str) -> Self {
        Self::plain(Some((notice.to_owned(), false)))
    }

    /// The page with an alert and `status`.
    pub fn alert(status: StatusCode, notice: &str) -> Self {
        Self {
            status,
            ..Self::plain(Some((notice.to_owned(), true)))
        }
    }

    /// A refused `form` shown again.
    pub fn refused(
        status: StatusCode,
        notice: &str,
        form: &'static str,
        values: HashMap<String, String>,
        errors: HashMap<String, String>,
    ) -> Self {
        Self {
            form,
            values,
            errors,
            ..Self::alert(status, notice)
        }
    }
}

/// Renders the account page of `signed` (with a volunteer's parts for volunteers).
pub async fn me_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    shown: Shown,
) -> HttpResponse {
    let user = &signed.session.user;
    let vol = match volunteer_part(state, signed, signed.lang).await {
        Ok(v) => v,
        Err(err) => return error_page(req, Some(signed.nav()), &err),
    };
    let (notice, alert) = match shown.notice {
        Some((n, a)) => (Some(n), a),
        None => (None, false),
    };
    let typed = |form: &str, field: &str| {
        (shown.form == form)
            .then(|| shown.values.get(field).cloned())
            .flatten()
    };
    let page = MePage {
        c: signed.chrome(req, "me"),
        username: user.username.clone(),
        name: user.display_name.clone(),
        role: i18n::role(signed.lang, user.role),
        email: typed("settings", "email").unwrap_or_else(|| user.email.clone().unwrap_or_default()),
        notify: user.notify_non_urgent,
        must_change: signed.session.standing == Standing::MustChangePassword,
        notice,
        alert,
        cert_from: typed("certificate", "from").unwrap_or_default(),
        cert_to: typed("certificate", "to").unwrap_or_default(),
        errors: shown.errors,
        vol,
        calendar_url: shown.calendar_url,
    };
    render(page_builder(signed, req, shown.status), &page)
}

/// `GET /console/me`.
pub async fn show_me(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let t = i18n::text(signed.lang);
    let query = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let notice = if signed.session.standing == Standing::MustChangePassword {
        Some((t.must_change.to_owned(), true))
    } else if query.contains_key("pw") {
        Some((t.pw_changed.to_owned(), false))
    } else if query.contains_key("saved") {
        Some((t.saved.to_owned(), false))
    } else {
        invitation_notice(signed.lang, &query).map(|n| (n.to_owned(), false))
    };
    me_page(&state, &req, &signed, Shown::plain(notice)).await
}

/// `POST /console/me`: email and the mail switch.
pub async fn post_settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = signed.lang;
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        let shown = Shown::refused(
            StatusCode::FORBIDDEN,
            t.expired_form,
            "settings",
            posted.values(),
            HashMap::new(),
        );
        return me_page(&state, &req, &signed, shown).await;
    }
    let mut p = Problems::new();
    let email = match posted.filled("email") {
        None => Some(None),
        Some(e) => p
            .check("email", Email::parse(&e))
            .map(|e| Some(e.as_ref().to_owned())),
    };
    let result = match p.into_result() {
        Ok(()) => {
            let change = OwnSettings {
                email,
                notify_non_urgent: Some(posted.get("notify").is_some()),
            };
            sessions::update_own(&state.db, signed.session.claims.sub, change)
                .await
                .map(|_| ())
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => see_other("/console/me?saved=1").finish(),
        Err(err @ ApiError::Validation(_)) => {
            let shown = Shown::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                t.fix_errors,
                "settings",
                posted.values(),
                field_errors(lang, &err),
            );
            me_page(&state, &req, &signed, shown).await
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}

/// `POST /console/me/password`: checks the current password and sets the new one; every other
/// session of the user ends, this one goes on.
pub async fn post_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = signed.lang;
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    // Passwords are never sent back into a page.
    let nothing = HashMap::new;
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        let shown = Shown::refused(
            StatusCode::FORBIDDEN,
            t.expired_form,
            "password",
            nothing(),
            HashMap::new(),
        );
        return me_page(&state, &req, &signed, shown).await;
    }
    let mut p = Problems::new();
    let current = p.require(
        "current_password",
        posted
            .get("current_password")
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
    );
    let new = p
        .require(
            "new_password",
            posted
                .get("new_password")
                .filter(|c| !c.is_empty())
                .map(Password::parse),
        )
        .and_then(|r| p.check("new_password", r));
    if let Some(new) = &new {
        if posted.get("confirm_password") != Some(new.expose()) {
            p.add("confirm_password", "两次输入的新密码不一致");
        }
        if current.as_deref() == Some(new.expose()) {
            p.add("new_password", "新密码不能与当前密码相同");
        }
    }
    let result = match p.finish(|| Some((current?, new?.expose().to_owned()))) {
        Ok((current, new)) => {
            sessions::change_password(&state.db, &signed.session.claims, current, new, state.now())
                .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => see_other("/console/me?pw=1").finish(),
        Err(err @ ApiError::Validation(_)) => {
            let shown = Shown::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                t.fix_errors,
                "password",
                nothing(),
                field_errors(lang, &err),
            );
            me_page(&state, &req, &signed, shown).await
        }
        Err(err @ ApiError::RateLimited { retry_after }) => {
            let locked = i18n::locked(lang, retry_after);
            let shown = Shown::refused(
                StatusCode::TOO_MANY_REQUESTS,
                &locked,
                "password",
                nothing(),
                HashMap::new(),
            );
            let page = me_page(&state, &req, &signed, shown).await;
            with_retry_after(page, &err)
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
