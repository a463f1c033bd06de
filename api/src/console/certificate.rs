//! `/console/me/certificate?from=&to=`: the signed-in volunteer's certificate of service
//! (志愿服务证明) for a period, a printable page with its verification code and the `/verify`
//! link, from `service::certificates::issue` as `GET /api/v1/volunteers/{id}/certificate`
//! makes it. Only the volunteer's own: the id comes from the session.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use kepu_domain::value::parse_date;
use std::collections::HashMap;

use super::i18n::{self, Lang, volunteer as words};
use super::me::{Shown, me_page};
use super::mine::volunteer_id;
use super::page::{Chrome, error_page};
use super::session::{page_builder, signed_in};
use crate::error::Problems;
use crate::service::certificates;
use crate::state::AppState;
use crate::web::render;

/// The printable certificate.
#[derive(Template)]
#[template(path = "console/certificate.html")]
pub struct CertificatePage {
    c: Chrome,
    name: String,
    township: String,
    period: String,
    hours: String,
    stars: String,
    number: String,
    issuer: String,
    issued: String,
    code: String,
    verify_url: String,
}

/// The period in words.
fn period_text(lang: Lang, from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    match (lang, from, to) {
        (_, None, None) => i18n::text(lang).cert_all_period.to_owned(),
        (Lang::Zh, Some(f), Some(t)) => format!("{f} 至 {t}"),
        (Lang::Zh, Some(f), None) => format!("{f} 起"),
        (Lang::Zh, None, Some(t)) => format!("截至 {t}"),
        (Lang::En, Some(f), Some(t)) => format!("{f} to {t}"),
        (Lang::En, Some(f), None) => format!("from {f}"),
        (Lang::En, None, Some(t)) => format!("up to {t}"),
    }
}

/// `GET /console/me/certificate`.
pub async fn show_certificate(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(volunteer) = volunteer_id(&signed) else {
        return signed.forbidden(&req);
    };
    let lang = signed.lang;
    let t = i18n::text(lang);
    let query = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let mut p = Problems::new();
    let mut date = |field: &str| {
        query
            .get(field)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .and_then(|raw| p.check(field, parse_date(raw)))
    };
    let (from, to) = (date("from"), date("to"));
    if let (Some(f), Some(to)) = (from, to)
        && f > to
    {
        p.add("to", "结束日期不能早于开始日期");
    }
    if let Err(err) = p.into_result() {
        let values = ["from", "to"]
            .into_iter()
            .filter_map(|f| query.get(f).map(|v| (f.to_owned(), v.clone())))
            .collect();
        let shown = Shown::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            t.fix_errors,
            "certificate",
            values,
            words::field_errors(lang, &err),
        );
        return me_page(&state, &req, &signed, shown).await;
    }
    let cert =
        match certificates::issue(&state, volunteer, from, to, Some(signed.session.claims.sub))
            .await
        {
            Ok(c) => c,
            Err(err) => return error_page(&req, Some(signed.nav()), &err),
        };
    let page = CertificatePage {
        c: signed.chrome(&req, "me"),
        name: cert.volunteer_name,
        township: cert.township_name,
        period: period_text(lang, cert.cert.period_from, cert.cert.period_to),
        hours: words::hours(cert.cert.confirmed_halves as f64 / 2.0),
        stars: words::stars(lang, u8::try_from(cert.cert.star_level).unwrap_or(0)),
        number: cert.cert.number,
        issuer: cert.cert.issuer,
        issued: cert.issued_on.to_string(),
        // The configured public address, never the request's host (a forged header must not
        // print a fake verifier's address on a genuine certificate).
        verify_url: format!(
            "{}/verify/{}",
            state.settings.mail.public_url, cert.cert.code
        ),
        code: cert.cert.code,
    };
    let mut builder = page_builder(&signed, &req, StatusCode::OK);
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    render(builder, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_in_both_languages() {
        let d = |s| parse_date(s).expect("a date");
        assert_eq!(
            period_text(Lang::Zh, Some(d("2026-01-01")), Some(d("2026-06-30"))),
            "2026-01-01 至 2026-06-30"
        );
        assert_eq!(period_text(Lang::En, None, None), "All service to date");
        assert_eq!(
            period_text(Lang::En, None, Some(d("2026-06-30"))),
            "up to 2026-06-30"
        );
    }
}
