//! `/console/me`: the account of whoever is signed in — profile, email, the switch for
//! non-urgent mail, and the password change (through `service::sessions`, as
//! `PATCH /api/v1/me` and `POST /api/v1/me/password` do). After a reset by the association
//! this is the only page open until the password is changed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::value::{Email, Password};
use std::collections::HashMap;

use super::i18n;
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
    volunteer: bool,
    notice: Option<String>,
    alert: bool,
    /// Messages beside the fields of the form shown again.
    errors: HashMap<String, String>,
}

impl MePage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

fn me_page(
    req: &HttpRequest,
    signed: &Signed,
    status: StatusCode,
    notice: Option<(String, bool)>,
    form: &'static str,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> HttpResponse {
    let user = &signed.session.user;
    let (notice, alert) = match notice {
        Some((n, a)) => (Some(n), a),
        None => (None, false),
    };
    let typed_email = (form == "settings")
        .then(|| values.get("email").cloned())
        .flatten();
    let page = MePage {
        c: signed.chrome(req, "me"),
        username: user.username.clone(),
        name: user.display_name.clone(),
        role: i18n::role(signed.lang, user.role),
        email: typed_email.unwrap_or_else(|| user.email.clone().unwrap_or_default()),
        notify: user.notify_non_urgent,
        must_change: signed.session.standing == Standing::MustChangePassword,
        volunteer: user.role == kepu_domain::Role::Volunteer,
        notice,
        alert,
        errors,
    };
    render(page_builder(signed, req, status), &page)
}

/// `GET /console/me`.
pub async fn show_me(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let t = i18n::text(signed.lang);
    let query = req.query_string();
    let notice = if signed.session.standing == Standing::MustChangePassword {
        Some((t.must_change.to_owned(), true))
    } else if query.contains("pw=1") {
        Some((t.pw_changed.to_owned(), false))
    } else if query.contains("saved=1") {
        Some((t.saved.to_owned(), false))
    } else {
        None
    };
    me_page(
        &req,
        &signed,
        StatusCode::OK,
        notice,
        "",
        HashMap::new(),
        HashMap::new(),
    )
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
        let notice = Some((t.expired_form.to_owned(), true));
        return me_page(
            &req,
            &signed,
            StatusCode::FORBIDDEN,
            notice,
            "settings",
            posted.values(),
            HashMap::new(),
        );
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
            let notice = Some((t.fix_errors.to_owned(), true));
            me_page(
                &req,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
                "settings",
                posted.values(),
                field_errors(lang, &err),
            )
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
        let notice = Some((t.expired_form.to_owned(), true));
        return me_page(
            &req,
            &signed,
            StatusCode::FORBIDDEN,
            notice,
            "password",
            nothing(),
            HashMap::new(),
        );
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
            let notice = Some((t.fix_errors.to_owned(), true));
            me_page(
                &req,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
                "password",
                nothing(),
                field_errors(lang, &err),
            )
        }
        Err(err @ ApiError::RateLimited { retry_after }) => {
            let notice = Some((i18n::locked(lang, retry_after), true));
            let page = me_page(
                &req,
                &signed,
                StatusCode::TOO_MANY_REQUESTS,
                notice,
                "password",
                nothing(),
                HashMap::new(),
            );
            with_retry_after(page, &err)
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
