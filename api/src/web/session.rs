//! The browser-side state of the no-JavaScript pages, all in cookies:
//!
//! - `kepu_orders`: the resident's orders on this phone as `CODE:TOKEN` pairs, so the plain
//!   HTML pages can list "my requests" and cancel or rate with the order's resident token.
//!   HttpOnly (scripts never read it; `app.js` keeps its own copy in localStorage),
//!   SameSite=Strict (no other site can make the browser send it), Secure in production.
//! - `kepu_csrf`: a random token, echoed in a hidden field of every form; a form post counts
//!   only when both match and the `Origin`, when sent, is this host (double-submit cookie).
//! - `lang`: the chosen language.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponseBuilder, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::i18n::Lang;
use crate::config::Environment;
use crate::state::AppState;

/// Orders remembered per phone; the oldest is forgotten first.
const MAX_ORDERS: usize = 20;
const ORDERS_COOKIE: &str = "kepu_orders";
const CSRF_COOKIE: &str = "kepu_csrf";

/// The cookies of one request, and whether the CSRF token is new.
#[derive(Debug)]
pub struct Session {
    /// `(tracking code, resident token)`, newest first.
    pub orders: Vec<(String, String)>,
    /// The CSRF token to put in forms.
    pub csrf: String,
    csrf_is_new: bool,
    secure: bool,
}

fn token_like(s: &str) -> bool {
    (16..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Session {
    /// Reads the cookies; a missing or malformed CSRF cookie gets a fresh token.
    pub fn of(req: &HttpRequest) -> Self {
        let orders = req
            .cookie(ORDERS_COOKIE)
            .map(|c| {
                c.value()
                    .split('.')
                    .filter_map(|pair| pair.split_once(':'))
                    .filter(|(code, token)| {
                        kepu_domain::value::TrackingCode::parse(code).is_ok() && token_like(token)
                    })
                    .map(|(code, token)| (code.to_owned(), token.to_owned()))
                    .take(MAX_ORDERS)
                    .collect()
            })
            .unwrap_or_default();
        let existing = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| token_like(v));
        let secure = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.environment == Environment::Production);
        match existing {
            Some(csrf) => Self {
                orders,
                csrf,
                csrf_is_new: false,
                secure,
            },
            None => Self {
                orders,
                csrf: URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<24>()),
                csrf_is_new: true,
                secure,
            },
        }
    }

    /// The resident token this phone holds for `code`.
    pub fn token_for(&self, code: &str) -> Option<&str> {
        self.orders
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, t)| t.as_str())
    }

    /// Whether a form post is genuine: its `csrf` field matches the cookie (which must have
    /// come with the request), its `Origin`, if any, is this host, and the browser's
    /// `Sec-Fetch-Site`, if any, says the form came from this origin.
    pub fn form_is_genuine(&self, req: &HttpRequest, field: Option<&String>) -> bool {
        if self.csrf_is_new {
            return false;
        }
        let same_digest = field
            .is_some_and(|f| Sha256::digest(f.as_bytes()) == Sha256::digest(self.csrf.as_bytes()));
        let origin_ok = match req.headers().get(header::ORIGIN) {
            None => true,
            Some(origin) => {
                let host = req.connection_info().host().to_owned();
                origin
                    .to_str()
                    .ok()
                    .and_then(|o| o.split_once("://").map(|(_, rest)| rest.to_owned()))
                    .is_some_and(|o| o == host)
            }
        };
        let site_ok = req
            .headers()
            .get("Sec-Fetch-Site")
            .is_none_or(|v| v.as_bytes() == b"same-origin");
        same_digest && origin_ok && site_ok
    }

    /// Remembers a new order on this phone (newest first).
    pub fn remember(&mut self, code: &str, token: &str) {
        self.orders.retain(|(c, _)| c != code);
        self.orders.insert(0, (code.to_owned(), token.to_owned()));
        self.orders.truncate(MAX_ORDERS);
    }

    fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .max_age(Duration::days(365))
            .finish()
    }

    /// Sets the CSRF cookie on `builder` when it is new.
    pub fn keep_csrf(&self, builder: &mut HttpResponseBuilder) {
        if self.csrf_is_new {
            builder.cookie(self.cookie(CSRF_COOKIE, self.csrf.clone()));
        }
    }

    /// Writes the remembered orders to `builder`.
    pub fn keep_orders(&self, builder: &mut HttpResponseBuilder) {
        let value = self
            .orders
            .iter()
            .map(|(c, t)| format!("{c}:{t}"))
            .collect::<Vec<_>>()
            .join(".");
        builder.cookie(self.cookie(ORDERS_COOKIE, value));
    }
}

/// Remembers a language chosen with `?lang=` in a cookie, so later pages and posts keep it.
pub fn keep_lang(builder: &mut HttpResponseBuilder, lang: Lang, chosen_now: bool) {
    if chosen_now {
        builder.cookie(
            Cookie::build("lang", lang.code())
                .path("/")
                .same_site(SameSite::Lax)
                .max_age(Duration::days(365))
                .finish(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn orders_cookie_is_read_and_junk_is_dropped() {
        let req = TestRequest::default()
            .cookie(Cookie::new(
                ORDERS_COOKIE,
                "ABCDEFGH:abcdefghijklmnopqrstuvwxyz012345.bad:x.JKLMNPQR:0123456789abcdefXYZ",
            ))
            .to_http_request();
        let s = Session::of(&req);
        assert_eq!(s.orders.len(), 2);
        assert_eq!(s.token_for("JKLMNPQR"), Some("0123456789abcdefXYZ"));
        assert!(s.token_for("bad").is_none());
    }

    #[test]
    fn a_post_without_the_cookie_or_with_a_foreign_origin_is_refused() {
        let fresh = TestRequest::default().to_http_request();
        let s = Session::of(&fresh);
        assert!(!s.form_is_genuine(&fresh, Some(&s.csrf.clone())));

        let token = "abcdefghijklmnopqrstuvwx".to_owned();
        let ok = TestRequest::default()
            .insert_header((header::HOST, "kepu.example"))
            .insert_header((header::ORIGIN, "https://kepu.example"))
            .cookie(Cookie::new(CSRF_COOKIE, token.clone()))
            .to_http_request();
        let s = Session::of(&ok);
        assert!(s.form_is_genuine(&ok, Some(&token)));
        assert!(!s.form_is_genuine(&ok, Some(&"other-token-000000000".to_owned())));
        assert!(!s.form_is_genuine(&ok, None));

        let foreign = TestRequest::default()
            .insert_header((header::HOST, "kepu.example"))
            .insert_header((header::ORIGIN, "https://evil.example"))
            .cookie(Cookie::new(CSRF_COOKIE, token.clone()))
            .to_http_request();
        assert!(!Session::of(&foreign).form_is_genuine(&foreign, Some(&token)));

        let cross_site = TestRequest::default()
            .insert_header(("Sec-Fetch-Site", "cross-site"))
            .cookie(Cookie::new(CSRF_COOKIE, token.clone()))
            .to_http_request();
        assert!(!Session::of(&cross_site).form_is_genuine(&cross_site, Some(&token)));
    }
}
