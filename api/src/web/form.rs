//! The request form at `/`: rendered with the reference lists, posted without JavaScript as a
//! plain form (validated by the API's own rules, re-rendered with every typed value and a
//! message next to each bad field), and the "sent" page with the tracking code.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::FieldError;
use kepu_domain::value::TrackingCode;
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::i18n::Lang;
use super::session::{Session, keep_lang};
use super::{
    Chrome, error_page, html_response, lang_of, refused, render, see_other, valid_key,
    with_retry_after,
};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::service::actors;
use crate::service::idempotency::Idempotency;
use crate::service::orders::{self as svc, OrderDraft};
use crate::service::reference;
use crate::state::{AppState, Limited};

/// The form's fields, as the API names them.
const FIELDS: [&str; 10] = [
    "theme",
    "township",
    "village",
    "description",
    "contact_name",
    "contact_phone",
    "target_group",
    "preferred_date",
    "expected_attendees",
    "address",
];

/// A code with the name to show.
#[derive(Debug)]
pub struct Choice {
    /// Submitted value.
    pub code: String,
    /// Shown name.
    pub name: String,
}

/// A township's villages, for the village list.
#[derive(Debug)]
pub struct VillageGroup {
    /// Township code (the script shows only the chosen township's villages).
    pub township: String,
    /// Township name.
    pub name: String,
    /// Its villages.
    pub villages: Vec<Choice>,
}

fn pick(lang: Lang, zh: String, en: Option<String>) -> String {
    match (lang, en) {
        (Lang::En, Some(en)) if !en.is_empty() => en,
        _ => zh,
    }
}

/// The reference lists the form offers.
pub struct Lists {
    /// Themes.
    pub themes: Vec<Choice>,
    /// Townships.
    pub townships: Vec<Choice>,
    /// Villages by township (townships without villages left out).
    pub villages: Vec<VillageGroup>,
    /// Target groups.
    pub groups: Vec<Choice>,
}

/// Loads the reference lists in `lang`.
pub async fn load_lists(state: &AppState, lang: Lang) -> Result<Lists, ApiError> {
    let themes = reference::themes(&state.db)
        .await?
        .into_iter()
        .map(|t| Choice {
            code: t.code,
            name: pick(lang, t.name_zh, t.name_en),
        })
        .collect();
    let groups = reference::target_groups(&state.db)
        .await?
        .into_iter()
        .map(|t| Choice {
            code: t.code,
            name: pick(lang, t.name_zh, t.name_en),
        })
        .collect();
    let mut townships = Vec::new();
    let mut villages = Vec::new();
    for t in reference::townships(&state.db).await? {
        let name = pick(lang, t.name_zh, t.name_en);
        if !t.villages.is_empty() {
            villages.push(VillageGroup {
                township: t.code.clone(),
                name: name.clone(),
                villages: t
                    .villages
                    .into_iter()
                    .map(|v| Choice {
                        code: v.id.to_string(),
                        name: v.name,
                    })
                    .collect(),
            });
        }
        townships.push(Choice { code: t.code, name });
    }
    Ok(Lists {
        themes,
        townships,
        villages,
        groups,
    })
}

/// The form page.
#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    c: Chrome,
    lists: Lists,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    notice: Option<&'static str>,
    csrf: String,
    idem: String,
    mine: Vec<String>,
    today: String,
}

impl FormPage {
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

fn new_key() -> String {
    hex::encode(crate::auth::random_bytes::<16>())
}

/// Renders the form with `values`, `errors` and a notice, and sets the cookies it needs.
async fn form_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    notice: Option<&'static str>,
    idem: Option<String>,
) -> HttpResponse {
    let (lang, chosen) = lang_of(req);
    let lists = match load_lists(state, lang).await {
        Ok(l) => l,
        Err(err) => return error_page(lang, "/", &err),
    };
    let session = Session::of(req);
    let page = FormPage {
        c: Chrome::new(lang, "/"),
        lists,
        values,
        errors,
        notice,
        csrf: session.csrf.clone(),
        idem: idem.filter(|k| valid_key(k)).unwrap_or_else(new_key),
        mine: session.orders.iter().map(|(c, _)| c.clone()).collect(),
        today: state.today().to_string(),
    };
    let mut builder = html_response(status);
    session.keep_csrf(&mut builder);
    keep_lang(&mut builder, lang, chosen);
    render(builder, &page)
}

/// `GET /`: the empty form.
pub async fn show_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    form_page(
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

/// The submit body a form post stands for, and the JSON it is fingerprinted by.
fn body_of(values: &HashMap<String, String>) -> (OrderDraft, Value) {
    // An empty field of a form is a field not filled in, as an absent one is in JSON.
    let get = |f: &str| values.get(f).filter(|v| !v.trim().is_empty()).cloned();
    let mut read_problems = vec![];
    let expected_attendees = match values.get("expected_attendees").map(|s| s.trim()) {
        None | Some("") => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                read_problems.push(FieldError::new("expected_attendees", "请填写数字"));
                None
            }
        },
    };
    let body = OrderDraft {
        theme: get("theme"),
        description: get("description"),
        township: get("township"),
        village: get("village"),
        contact_name: get("contact_name"),
        contact_phone: get("contact_phone"),
        contact_email: None,
        target_group: get("target_group"),
        preferred_date: get("preferred_date"),
        expected_attendees,
        address: get("address"),
        latitude: None,
        longitude: None,
        read_problems,
    };
    let fingerprint = Value::Object(
        FIELDS
            .iter()
            .filter_map(|f| {
                values
                    .get(*f)
                    .map(|v| (f.to_string(), Value::from(v.clone())))
            })
            .collect::<Map<_, _>>(),
    );
    (body, fingerprint)
}

/// Why a posted page form was turned away before its content was looked at.
#[derive(Debug)]
pub(crate) struct Turned {
    /// 429 or 403.
    pub status: StatusCode,
    /// The rate limit's refusal, with its wait; `None` when the form was not genuine.
    pub limited: Option<ApiError>,
}

impl Turned {
    /// The message above the form.
    pub fn notice(&self, t: &'static super::i18n::Text) -> &'static str {
        if self.limited.is_some() {
            t.rate_limited
        } else {
            t.expired_form
        }
    }

    /// The page answering the post, with `Retry-After` when the rate limit refused it.
    pub fn finish(&self, page: HttpResponse) -> HttpResponse {
        match &self.limited {
            Some(err) => with_retry_after(page, err),
            None => page,
        }
    }
}

/// The one guard of every form posted to the pages (`/`, `/volunteer`, `/t/{code}/…`, and the
/// console's sign-in): the
/// post counts against the client's budget of `family` first, so that nothing behind the
/// guard (not even the "this form has expired" answer) is an unthrottled oracle, and then the
/// session's CSRF token and the origin are checked.
pub(crate) fn guard(
    state: &AppState,
    req: &HttpRequest,
    session: &Session,
    csrf: Option<&String>,
    family: Limited,
) -> Result<(), Turned> {
    if let Err(err) = state
        .limits
        .check(family, crate::routes::auth::client_ip(req))
    {
        return Err(Turned {
            status: StatusCode::TOO_MANY_REQUESTS,
            limited: Some(err),
        });
    }
    if !session.form_is_genuine(req, csrf) {
        return Err(Turned {
            status: StatusCode::FORBIDDEN,
            limited: None,
        });
    }
    Ok(())
}

/// `POST /`: the form without JavaScript. Valid: the order is stored, the phone remembers its
/// resident token, and the browser is sent to the "sent" page. Invalid: the form again, with
/// every typed value and a message by each bad field; nothing is stored.
pub async fn post_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (lang, _) = lang_of(&req);
    let posted = form.into_inner();
    let mut session = Session::of(&req);
    let idem_key = posted.get("idem").cloned();
    let values: HashMap<String, String> = FIELDS
        .iter()
        .filter_map(|f| posted.get(*f).map(|v| (f.to_string(), v.clone())))
        .collect();
    let t = lang.text();
    let again = |status, errors, notice, key| {
        let values = values.clone();
        let (state, req) = (state.clone(), req.clone());
        async move { form_page(&state, &req, status, values, errors, notice, key).await }
    };
    if let Err(turned) = guard(&state, &req, &session, posted.get("csrf"), Limited::Submit) {
        let page = again(
            turned.status,
            HashMap::new(),
            Some(turned.notice(t)),
            idem_key,
        )
        .await;
        return turned.finish(page);
    }
    let (draft, fingerprint) = body_of(&values);
    let idem = idem_key
        .clone()
        .filter(|k| valid_key(k))
        .map(|k| Idempotency::new("orders", k, &fingerprint));
    let result = async {
        let acting = actors::resolve(&state.db, &Caller::Anonymous).await?;
        svc::submit(&state, &acting, draft, None, idem).await
    }
    .await;
    match result {
        Ok(submitted) => {
            let code = submitted.order.tracking_code;
            session.remember(&code, &submitted.resident_token);
            let mut builder = see_other(&format!("/done/{code}"));
            session.keep_orders(&mut builder);
            builder.finish()
        }
        Err(err) => {
            let r = refused(lang, &err, "web submit");
            let key = if r.keep_key { idem_key } else { None };
            again(r.status, r.errors, Some(r.notice), key).await
        }
    }
}

/// The "sent" page.
#[derive(Template)]
#[template(path = "done.html")]
pub struct DonePage {
    c: Chrome,
    code: String,
}

/// `GET /done/{code}`: the tracking code in large type, the link to follow it, a note to keep it.
pub async fn show_done(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let (lang, chosen) = lang_of(&req);
    let here = format!("/done/{path}");
    let Ok(code) = TrackingCode::parse(&path) else {
        return error_page(lang, &here, &ApiError::NotFound);
    };
    if let Err(err) = state
        .limits
        .check(Limited::Track, crate::routes::auth::client_ip(&req))
    {
        return error_page(lang, &here, &err);
    }
    if let Err(err) = svc::track(&state.db, &code).await {
        return error_page(lang, &here, &err);
    }
    let mut builder = html_response(StatusCode::OK);
    keep_lang(&mut builder, lang, chosen);
    render(
        builder,
        &DonePage {
            c: Chrome::new(lang, &here),
            code: code.to_string(),
        },
    )
}
