//! `/console/orders/new`: an order a resident gave by phone or at the counter, entered by
//! station staff (or the association). The form is the resident form's, plus the channel; it
//! posts through `service::orders::submit` with the same `OrderDraft` and the channel `phone`
//! or `counter`, and a hidden idempotency key makes a double click store one order.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use kepu_domain::FieldError;
use kepu_domain::order::Actor;
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::i18n;
use super::page::{Chrome, Posted, error_page, field_errors};
use super::session::{Signed, page_builder, signed_in};
use crate::error::ApiError;
use crate::service::idempotency::Idempotency;
use crate::service::orders::{self as svc, Channel, OrderDraft};
use crate::state::AppState;
use crate::web::{Lists, load_lists, render, see_other};

/// The form's fields besides the channel, as the API names them.
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

/// The new-order page.
#[derive(Template)]
#[template(path = "console/new.html")]
pub struct NewOrderPage {
    c: Chrome,
    lists: Lists,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    notice: Option<&'static str>,
    idem: String,
    today: String,
}

impl NewOrderPage {
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

fn enters_orders(signed: &Signed) -> bool {
    matches!(
        signed.acting.actor,
        Actor::StationStaff { .. } | Actor::AssociationAdmin
    )
}

async fn new_page(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    status: StatusCode,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    notice: Option<&'static str>,
) -> HttpResponse {
    let lists = match load_lists(state, signed.lang).await {
        Ok(l) => l,
        Err(err) => return error_page(req, Some(signed.nav()), &err),
    };
    let idem = values
        .get("idem")
        .filter(|k| crate::web::valid_key(k))
        .cloned()
        .unwrap_or_else(|| hex::encode(crate::auth::random_bytes::<16>()));
    let page = NewOrderPage {
        c: signed.chrome(req, "new"),
        lists,
        values,
        errors,
        notice,
        idem,
        today: state.today().to_string(),
    };
    render(page_builder(signed, req, status), &page)
}

/// `GET /console/orders/new`.
pub async fn show_new_order(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !enters_orders(&signed) {
        return signed.forbidden(&req);
    }
    let values = HashMap::from([("channel".to_owned(), "phone".to_owned())]);
    new_page(
        &state,
        &req,
        &signed,
        StatusCode::OK,
        values,
        HashMap::new(),
        None,
    )
    .await
}

/// The draft a posted form stands for, and the JSON its idempotency key is bound to.
fn draft_of(posted: &Posted) -> (OrderDraft, Value) {
    let mut read_problems = vec![];
    let expected_attendees = posted.filled("expected_attendees").and_then(|raw| {
        raw.parse::<i64>()
            .map_err(|_| read_problems.push(FieldError::new("expected_attendees", "请填写数字")))
            .ok()
    });
    let draft = OrderDraft {
        theme: posted.filled("theme"),
        description: posted.filled("description"),
        township: posted.filled("township"),
        village: posted.filled("village"),
        contact_name: posted.filled("contact_name"),
        contact_phone: posted.filled("contact_phone"),
        contact_email: None,
        target_group: posted.filled("target_group"),
        preferred_date: posted.filled("preferred_date"),
        expected_attendees,
        address: posted.filled("address"),
        latitude: None,
        longitude: None,
        read_problems,
    };
    let fingerprint = Value::Object(
        FIELDS
            .iter()
            .chain(&["channel"])
            .filter_map(|f| posted.get(f).map(|v| ((*f).to_owned(), Value::from(v))))
            .collect::<Map<_, _>>(),
    );
    (draft, fingerprint)
}

/// `POST /console/orders/new`: stores the order and shows its page; a refused form comes back
/// with every typed value and a message beside each bad field.
pub async fn post_new_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if !enters_orders(&signed) {
        return signed.forbidden(&req);
    }
    let lang = signed.lang;
    let t = i18n::text(lang);
    let posted = Posted::new(form.into_inner());
    let values = posted.values();
    if !signed.form_is_genuine(&req, posted.get("csrf")) {
        return new_page(
            &state,
            &req,
            &signed,
            StatusCode::FORBIDDEN,
            values,
            HashMap::new(),
            Some(t.expired_form),
        )
        .await;
    }
    let channel = match posted.get("channel") {
        Some("phone") => Channel::Phone,
        Some("counter") => Channel::Counter,
        _ => {
            let errors = HashMap::from([(
                "channel".to_owned(),
                i18n::field_message(lang, "channel", "请选择来源"),
            )]);
            return new_page(
                &state,
                &req,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                errors,
                Some(t.fix_errors),
            )
            .await;
        }
    };
    let (draft, fingerprint) = draft_of(&posted);
    let idem = posted
        .get("idem")
        .filter(|k| crate::web::valid_key(k))
        .map(|k| Idempotency::new("console_orders", k.to_owned(), &fingerprint));
    match svc::submit(&state, &signed.acting, draft, Some(channel), idem).await {
        Ok(submitted) => {
            see_other(&format!("/console/orders/{}?done=1", submitted.order.id)).finish()
        }
        Err(err @ ApiError::Validation(_)) => {
            let errors = field_errors(lang, &err);
            new_page(
                &state,
                &req,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                errors,
                Some(t.fix_errors),
            )
            .await
        }
        Err(ApiError::IdempotencyMismatch) => {
            let mut values = values;
            values.remove("idem");
            new_page(
                &state,
                &req,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                HashMap::new(),
                Some(t.expired_form),
            )
            .await
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
