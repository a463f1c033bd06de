//! Who is signed in to the console, read once per request from the session cookie.
//!
//! The cookie `kepu_console` holds the opaque token issued at sign-in (HttpOnly: no script
//! reads it; SameSite=Strict: no other site makes the browser send it; Secure in production;
//! path `/console`). The database keeps only its hash, tied to the `sessions` row that the
//! API's access tokens name as `sid`, and every request runs the API's own session check
//! (`service::sessions::console_session`), so sign-out, a password change or reset and a
//! deactivation end console sessions at once.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use kepu_domain::{Actor, Role};

use super::i18n::Lang;
use super::page::{Chrome, Nav, error_page};
use crate::config::Environment;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::service::actors::{self, Acting};
use crate::service::sessions::{self, CONSOLE_SESSION_HOURS, ConsoleSession, Standing};
use crate::state::AppState;
use crate::web::{Session as FormSession, lang_of, see_other};

/// The session cookie's name.
pub const COOKIE: &str = "kepu_console";

/// The pages a user who must change their password may still open.
const OPEN_WHILE_PASSWORD_CHANGE_REQUIRED: [&str; 3] =
    ["/console/me", "/console/me/password", "/console/logout"];

/// A request of a signed-in user: the session, the actor it resolves to, the page language
/// and the form token.
#[derive(Debug)]
pub struct Signed {
    /// The session and its account.
    pub session: ConsoleSession,
    /// The actor, as `service::actors::resolve` makes it for the API.
    pub acting: Acting,
    /// The page's language.
    pub lang: Lang,
    /// The request's cookies for forms (the CSRF token).
    pub form: FormSession,
    /// The raw session token (for sign-out).
    pub token: String,
}

impl Signed {
    /// The user's role.
    pub fn role(&self) -> Role {
        self.session.claims.role
    }

    /// The navigation for this user.
    pub fn nav(&self) -> Nav {
        let role = self.role();
        Nav {
            name: self.session.user.display_name.clone(),
            orders: role != Role::Volunteer,
            new_order: matches!(role, Role::StationStaff | Role::AssociationAdmin),
            hours: matches!(role, Role::DepartmentStaff | Role::AssociationAdmin),
            activities: matches!(role, Role::Volunteer | Role::TeamLeader),
            association: role == Role::AssociationAdmin,
        }
    }

    /// The chrome of a page of this user.
    pub fn chrome(&self, req: &HttpRequest, here: &'static str) -> Chrome {
        Chrome::new(req, self.lang, &self.form.csrf, Some(self.nav()), here)
    }

    /// The answer to a page this user's role has no use for.
    pub fn forbidden(&self, req: &HttpRequest) -> HttpResponse {
        error_page(
            req,
            Some(self.nav()),
            &ApiError::Forbidden("not for this role".into()),
        )
    }

    /// Whether the posted form is genuine (its token matches the cookie, same origin).
    pub fn form_is_genuine(&self, req: &HttpRequest, csrf: Option<&str>) -> bool {
        self.form
            .form_is_genuine(req, csrf.map(str::to_owned).as_ref())
    }

    /// Whether the actor takes part in the order lifecycle (staff and leaders).
    pub fn handles_orders(&self) -> bool {
        !matches!(self.acting.actor, Actor::Volunteer { .. })
    }
}

/// Where a signed-out visitor goes: the sign-in page, which brings them back to `path`.
fn to_login(req: &HttpRequest) -> HttpResponse {
    let next = if req.method() == actix_web::http::Method::GET {
        let full = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        serde_urlencoded::to_string([("next", full)]).unwrap_or_default()
    } else {
        String::new()
    };
    let location = if next.is_empty() {
        "/console/login".to_owned()
    } else {
        format!("/console/login?{next}")
    };
    let mut builder = see_other(&location);
    builder.cookie(removal());
    builder.finish()
}

/// Reads the session of `req`. Without a valid one: a 303 to the sign-in page. With a pending
/// password change: a 303 to the password form, except on the pages that let the user change
/// it or sign out.
pub async fn signed_in(state: &AppState, req: &HttpRequest) -> Result<Signed, HttpResponse> {
    let Some(token) = req.cookie(COOKIE).map(|c| c.value().to_owned()) else {
        return Err(to_login(req));
    };
    let session = match sessions::console_session(&state.db, &token, state.now()).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(to_login(req)),
        Err(err) => return Err(error_page(req, None, &err)),
    };
    if session.standing == Standing::MustChangePassword
        && !OPEN_WHILE_PASSWORD_CHANGE_REQUIRED.contains(&req.path())
    {
        return Err(see_other("/console/me").finish());
    }
    let acting = match actors::resolve(&state.db, &Caller::User(session.claims.clone())).await {
        Ok(a) => a,
        Err(ApiError::Unauthorized { .. }) => return Err(to_login(req)),
        Err(err) => return Err(error_page(req, None, &err)),
    };
    Ok(Signed {
        session,
        acting,
        lang: lang_of(req).0,
        form: FormSession::of(req),
        token,
    })
}

fn secure(state: &AppState) -> bool {
    state.settings.environment == Environment::Production
}

/// The session cookie carrying `token`.
pub fn cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build(COOKIE, token)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state))
        .max_age(Duration::hours(CONSOLE_SESSION_HOURS))
        .finish()
}

/// The instruction to forget the session cookie.
pub fn removal() -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "")
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    c.make_removal();
    c
}

/// `GET /console/`: the role's home: the dashboard for the association, the queue for staff
/// and leaders, the account page (their hours, certificate, invitations) for volunteers.
pub async fn show_home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match signed_in(&state, &req).await {
        Ok(s) if s.role() == Role::AssociationAdmin => see_other("/console/dashboard").finish(),
        Ok(s) if s.handles_orders() => see_other("/console/orders").finish(),
        Ok(_) => see_other("/console/me").finish(),
        Err(page) => page,
    }
}

/// Anything else under `/console/`: a 404 page in the console's look.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_page(&req, None, &ApiError::NotFound)
}

/// Starts a page answer with the cookies a signed-in page needs.
pub fn page_builder(signed: &Signed, req: &HttpRequest, status: StatusCode) -> HttpResponseBuilder {
    let mut builder = crate::web::html_response(status);
    signed.form.keep_csrf(&mut builder);
    crate::web::keep_lang(&mut builder, signed.lang, lang_of(req).1);
    builder
}
