//! `/console/login` and `/console/logout`: sign-in through `service::sessions::login` (the
//! API's, with its per-account slow-down), behind the same per-client budget as the API's
//! login and the pages' CSRF guard; sign-out ends the session in the database.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::i18n::{self, Lang};
use super::page::{Chrome, Posted, error_page, respond};
use super::session::{self, signed_in};
use crate::error::ApiError;
use crate::service::sessions;
use crate::state::{AppState, Limited};
use crate::web::{Session as FormSession, guard, lang_of, see_other, with_retry_after};

/// The sign-in page.
#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    c: Chrome,
    username: String,
    next: String,
    notice: Option<String>,
    /// Whether the notice is an error (shown as an alert) rather than information.
    alert: bool,
}

/// Where to go after signing in: a console path named by `next`, or the home.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console/")
                && !n.starts_with("/console/login")
                && !n.contains("//")
                && !n.contains('\\') =>
        {
            n.to_owned()
        }
        _ => "/console/".to_owned(),
    }
}

fn login_page(
    req: &HttpRequest,
    lang: Lang,
    status: StatusCode,
    username: String,
    next: String,
    notice: Option<(String, bool)>,
) -> HttpResponse {
    let form = FormSession::of(req);
    let (notice, alert) = match notice {
        Some((n, a)) => (Some(n), a),
        None => (None, false),
    };
    let page = LoginPage {
        c: Chrome::new(req, lang, &form.csrf, None, "login"),
        username,
        next,
        notice,
        alert,
    };
    respond(req, &form, status, &page)
}

/// `GET /console/login`: the form; a signed-in user goes home.
pub async fn show_login(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (lang, _) = lang_of(&req);
    let t = i18n::text(lang);
    if let Some(token) = req.cookie(session::COOKIE)
        && let Ok(Some(_)) = sessions::console_session(&state.db, token.value(), state.now()).await
    {
        return see_other("/console/").finish();
    }
    let query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
    let notice = if query.contains_key("out") {
        Some((t.signed_out.to_owned(), false))
    } else if query.contains_key("next") {
        Some((t.sign_in_again.to_owned(), false))
    } else {
        None
    };
    let next = safe_next(query.get("next").map(String::as_str));
    login_page(&req, lang, StatusCode::OK, String::new(), next, notice)
}

/// `POST /console/login`: signs in. Wrong credentials: the form again (401) with the username
/// kept; a locked username or a client over its budget: 429 with the wait.
pub async fn post_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (lang, _) = lang_of(&req);
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    let username = posted.get("username").unwrap_or("").trim().to_owned();
    let next = safe_next(posted.get("next"));
    let csrf = posted.get("csrf").map(str::to_owned);
    let cookies = FormSession::of(&req);
    if let Err(turned) = guard(&state, &req, &cookies, csrf.as_ref(), Limited::Login) {
        let notice = match &turned.limited {
            Some(ApiError::RateLimited { retry_after }) => i18n::locked(lang, *retry_after),
            _ => t.expired_form.to_owned(),
        };
        let page = login_page(
            &req,
            lang,
            turned.status,
            username,
            next,
            Some((notice, true)),
        );
        return turned.finish(page);
    }
    let password = posted.get("password").unwrap_or("").to_owned();
    if username.is_empty() || password.is_empty() {
        let notice = (t.bad_credentials.to_owned(), true);
        return login_page(
            &req,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            username,
            next,
            Some(notice),
        );
    }
    match sessions::login(&state.db, &state.keys, &username, password, state.now()).await {
        Ok(pair) => {
            let target = if pair.user.must_change_password {
                "/console/me".to_owned()
            } else {
                next
            };
            let mut builder = see_other(&target);
            builder.cookie(session::cookie(&state, pair.refresh_token));
            builder.finish()
        }
        Err(ApiError::Unauthorized { .. }) => login_page(
            &req,
            lang,
            StatusCode::UNAUTHORIZED,
            username,
            next,
            Some((t.bad_credentials.to_owned(), true)),
        ),
        Err(err @ ApiError::RateLimited { retry_after }) => {
            let page = login_page(
                &req,
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                username,
                next,
                Some((i18n::locked(lang, retry_after), true)),
            );
            with_retry_after(page, &err)
        }
        Err(err) => error_page(&req, None, &err),
    }
}

/// `POST /console/logout`: ends the session (its row and its tokens) and forgets the cookie.
pub async fn post_logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let posted = Posted::new(form.into_inner());
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        let (lang, _) = lang_of(&req);
        let t = i18n::text(lang);
        let page = super::page::MessagePage {
            c: signed.chrome(&req, ""),
            title: t.error_title,
            text: t.expired_form,
        };
        return respond(&req, &signed.form, StatusCode::FORBIDDEN, &page);
    }
    if let Err(err) = sessions::logout(
        &state.db,
        &signed.session.claims,
        &signed.token,
        state.now(),
    )
    .await
    {
        return error_page(&req, Some(signed.nav()), &err);
    }
    let mut builder = see_other("/console/login?out=1");
    builder.cookie(session::removal());
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_console_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/console/orders?state=submitted")),
            "/console/orders?state=submitted"
        );
        for bad in [
            "https://evil.example/console/",
            "//evil.example",
            "/console//evil",
            "/console/login",
            "/api/v1/orders",
            "/console/\\evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console/", "{bad}");
        }
        assert_eq!(safe_next(None), "/console/");
    }
}
