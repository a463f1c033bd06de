//! The volunteer sign-up at `/volunteer`: real name, phone, township, skills and a password,
//! checked by the API's own rules and stored `pending`; then a page that says what happens next.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::form::{Choice, guard, load_lists};
use super::session::{Session, keep_lang};
use super::{Chrome, error_page, html_response, lang_of, refused, render, see_other, valid_key};
use crate::routes::people::{RegisterBody, parse_register};
use crate::service::idempotency::Idempotency;
use crate::service::people as svc;
use crate::state::{AppState, Limited};

/// The fields kept and shown again after an error. The password is not among them: it is
/// never written back into a page.
const KEPT: [&str; 4] = ["real_name", "phone", "township", "skills"];

/// The sign-up page.
#[derive(Template)]
#[template(path = "volunteer.html")]
pub struct VolunteerPage {
    c: Chrome,
    townships: Vec<Choice>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    notice: Option<&'static str>,
    csrf: String,
    idem: String,
}

impl VolunteerPage {
    fn val(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    fn is(&self, field: &str, value: &str) -> bool {
        self.val(field) == value
    }

    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    notice: Option<&'static str>,
    idem: Option<String>,
) -> HttpResponse {
    let (lang, chosen) = lang_of(req);
    let townships = match load_lists(state, lang).await {
        Ok(l) => l.townships,
        Err(err) => return error_page(lang, "/volunteer", &err),
    };
    let session = Session::of(req);
    let page = VolunteerPage {
        c: Chrome::new(lang, "/volunteer"),
        townships,
        values,
        errors,
        notice,
        csrf: session.csrf.clone(),
        idem: idem
            .filter(|k| valid_key(k))
            .unwrap_or_else(|| hex::encode(crate::auth::random_bytes::<16>())),
    };
    let mut builder = html_response(status);
    session.keep_csrf(&mut builder);
    keep_lang(&mut builder, lang, chosen);
    render(builder, &page)
}

/// `GET /volunteer`: the empty sign-up form.
pub async fn show_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    page(
        &state,
        &req,
        StatusCode::OK,
        HashMap::new(),
        HashMap::new(),
        None,
        None,
    )
    .await
}

/// `POST /volunteer`: registers the volunteer (`pending`) and sends the browser to the page
/// that explains the review; on errors, the form again with the typed values and messages.
pub async fn post_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (lang, _) = lang_of(&req);
    let t = lang.text();
    let posted = form.into_inner();
    let idem_key = posted.get("idem").cloned();
    let values: HashMap<String, String> = KEPT
        .iter()
        .filter_map(|f| posted.get(*f).map(|v| (f.to_string(), v.clone())))
        .collect();
    let again = |status, errors, notice, key| {
        let values = values.clone();
        let (state, req) = (state.clone(), req.clone());
        async move { page(&state, &req, status, values, errors, notice, key).await }
    };
    let session = Session::of(&req);
    if let Err(turned) = guard(
        &state,
        &req,
        &session,
        posted.get("csrf"),
        Limited::Register,
    ) {
        let page = again(
            turned.status,
            HashMap::new(),
            Some(turned.notice(t)),
            idem_key,
        )
        .await;
        return turned.finish(page);
    }
    let get = |f: &str| posted.get(f).filter(|v| !v.trim().is_empty()).cloned();
    let body = RegisterBody {
        real_name: get("real_name"),
        phone: get("phone"),
        township: get("township"),
        skills: get("skills"),
        id_number: None,
        email: get("email"),
        password: get("password"),
    };
    // The fingerprint covers what was sent, password included, as the JSON API's does.
    let fingerprint = Value::Object(
        KEPT.iter()
            .chain(["password"].iter())
            .filter_map(|f| {
                posted
                    .get(*f)
                    .map(|v| (f.to_string(), Value::from(v.clone())))
            })
            .collect::<Map<_, _>>(),
    );
    let idem = idem_key
        .clone()
        .filter(|k| valid_key(k))
        .map(|k| Idempotency::new("volunteers", k, &fingerprint));
    let result = match parse_register(body) {
        Ok(new) => svc::register_volunteer(&state.db, new, idem, state.now()).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => see_other("/volunteer/done").finish(),
        Err(err) => {
            let r = refused(lang, &err, "web volunteer sign-up");
            let key = if r.keep_key { idem_key } else { None };
            again(r.status, r.errors, Some(r.notice), key).await
        }
    }
}

/// The page after signing up.
#[derive(Template)]
#[template(path = "volunteer_done.html")]
pub struct VolunteerDonePage {
    c: Chrome,
}

/// `GET /volunteer/done`: pending review, and what happens next.
pub async fn show_done(req: HttpRequest) -> HttpResponse {
    let (lang, chosen) = lang_of(&req);
    let mut builder = html_response(StatusCode::OK);
    keep_lang(&mut builder, lang, chosen);
    render(
        builder,
        &VolunteerDonePage {
            c: Chrome::new(lang, "/volunteer/done"),
        },
    )
}
