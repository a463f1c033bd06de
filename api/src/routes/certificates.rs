//! Service certificates: a printable page for the volunteer, and a public page that tells
//! whether a certificate is genuine. Neither shows an ID number or a phone.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use kepu_domain::value::parse_date;
use std::collections::HashMap;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::Caller;
use crate::html::escape;
use crate::service::certificates::{self as svc, Certificate};
use crate::state::{AppState, Limited};

/// Pages here carry no script and load nothing from anywhere.
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
                        base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;\
margin:0;padding:24px;color:#1a1a1a;background:#fff}main{max-width:720px;margin:auto;\
border:3px double #8b0000;padding:40px 48px}h1{text-align:center;letter-spacing:.5em;\
color:#8b0000;font-size:2em;margin:0 0 32px}p{font-size:1.15em;line-height:2}\
dl{display:grid;grid-template-columns:9em 1fr;gap:8px 16px;font-size:1.05em}dt{color:#555}\
dd{margin:0}.sign{text-align:right;margin-top:48px}.code{font-family:monospace;font-size:1.1em}\
.ok{color:#0a6b2d}.bad{color:#a40000}@media print{body{padding:0}main{border-color:#000}}";

fn page(status: actix_web::http::StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
            escape(title)
        ))
}

fn period_text(from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    let day = |d: NaiveDate| d.format("%Y年%m月%d日").to_string();
    match (from, to) {
        (Some(f), Some(t)) => format!("{}至{}", day(f), day(t)),
        (Some(f), None) => format!("{}起", day(f)),
        (None, Some(t)) => format!("截至{}", day(t)),
        (None, None) => "全部服务期间".into(),
    }
}

fn hours_text(halves: i64) -> String {
    if halves % 2 == 0 {
        format!("{}", halves / 2)
    } else {
        format!("{}.5", halves / 2)
    }
}

fn stars_text(level: i16) -> String {
    if level <= 0 {
        "未达星级".into()
    } else {
        format!("{}（{level}星）", "★".repeat(level as usize))
    }
}

/// Who sees the facts: the certificate itself names the volunteer; the public check does not
/// (public answers never carry a name), so a verifier compares the number, period and hours
/// with the paper in hand.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Holder,
    Public,
}

fn facts(c: &Certificate, audience: Audience) -> String {
    let name = match audience {
        Audience::Holder => escape(&c.volunteer_name),
        Audience::Public => "见证书原件（不在此公开）".into(),
    };
    format!(
        "<dl><dt>姓名</dt><dd>{name}</dd><dt>所在苏木镇</dt><dd>{town}</dd>\
         <dt>服务期间</dt><dd>{period}</dd><dt>确认服务时长</dt><dd>{hours} 小时</dd>\
         <dt>星级</dt><dd>{stars}</dd><dt>证书编号</dt><dd>{number}</dd>\
         <dt>签发单位</dt><dd>{issuer}</dd><dt>签发日期</dt><dd>{date}</dd></dl>",
        town = escape(&c.township_name),
        period = escape(&period_text(c.cert.period_from, c.cert.period_to)),
        hours = hours_text(c.cert.confirmed_halves),
        stars = stars_text(c.cert.star_level),
        number = escape(&c.cert.number),
        issuer = escape(&c.cert.issuer),
        date = c.issued_on.format("%Y年%m月%d日"),
    )
}

/// The period of a certificate: `?from=YYYY-MM-DD&to=YYYY-MM-DD`, both optional.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day counted.
    pub from: Option<String>,
    /// Last day counted.
    pub to: Option<String>,
}

/// A printable service certificate (志愿服务证明) of the volunteer's confirmed hours in a period,
/// with a verification code anyone can check at `/verify/{code}` (the volunteer, their team
/// leader, the association). HTML.
#[utoipa::path(tag = "stats", params(("id" = Uuid, Path), PeriodQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/html", body = String), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[get("/volunteers/{id}/certificate")]
pub async fn volunteer_certificate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    let claims = caller.user()?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    super::people::may_see_hours(&state, &caller, id).await?;
    let mut p = Problems::new();
    let mut date = |field: &str| {
        query
            .get(field)
            .filter(|s| !s.is_empty())
            .and_then(|raw| p.check(field, parse_date(raw)))
    };
    let (from, to) = (date("from"), date("to"));
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        p.add("to", "结束日期不能早于开始日期");
    }
    p.into_result()?;
    let c = svc::issue(&state, id, from, to, Some(claims.sub)).await?;
    // The configured public address, never the request's `Host`/`X-Forwarded-Host`: a forged
    // header must not print a fake verifier's address on a genuine certificate.
    let verify_url = format!("{}/verify/{}", state.settings.mail.public_url, c.cert.code);
    let body = format!(
        "<h1>志愿服务证明</h1><p>兹证明 <strong>{name}</strong> 同志在{period}参加科普志愿服务，\
         经服务组织确认的志愿服务时长累计 <strong>{hours}</strong> 小时。特此证明。</p>{facts}\
         <p class=\"sign\">{issuer}<br>{date}</p>\
         <p>验证码：<span class=\"code\">{code}</span><br>核验网址：<span class=\"code\">{url}</span></p>",
        name = escape(&c.volunteer_name),
        period = escape(&period_text(c.cert.period_from, c.cert.period_to)),
        hours = hours_text(c.cert.confirmed_halves),
        facts = facts(&c, Audience::Holder),
        issuer = escape(&c.cert.issuer),
        date = c.issued_on.format("%Y年%m月%d日"),
        code = escape(&c.cert.code),
        url = escape(&verify_url),
    );
    Ok(page(actix_web::http::StatusCode::OK, "志愿服务证明", &body))
}

/// Public check of a certificate's verification code: genuine or not, and what it certifies.
/// HTML, or JSON when the client asks for `application/json`.
#[utoipa::path(tag = "stats", params(("code" = String, Path)),
    responses(
        (status = 200, description = "genuine: a page, or the certificate's facts as JSON when `Accept` asks for `application/json`",
            content((String = "text/html"), (Object = "application/json"))),
        (status = 404, description = "no certificate has this code: a page, or `{\"genuine\": false}` as JSON",
            content((String = "text/html"), (Object = "application/json"))),
        (status = 429, body = Problem)))]
#[get("/verify/{code}")]
pub async fn verify_certificate(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state
        .limits
        .check(Limited::Track, super::auth::client_ip(&req))?;
    let found = svc::find(&state.db, state.settings.timezone, &path).await?;
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Ok(match found {
            Some(c) => HttpResponse::Ok().json(serde_json::json!({
                "genuine": true,
                "number": c.cert.number,
                "township": c.township_name,
                "period_from": c.cert.period_from,
                "period_to": c.cert.period_to,
                "confirmed_hours": c.cert.confirmed_halves as f64 / 2.0,
                "star_level": c.cert.star_level,
                "issuer": c.cert.issuer,
                "issued_at": c.cert.issued_at,
            })),
            None => HttpResponse::NotFound().json(serde_json::json!({ "genuine": false })),
        });
    }
    Ok(match found {
        Some(c) => page(
            actix_web::http::StatusCode::OK,
            "证书核验",
            &format!(
                "<h1>证书核验</h1><p class=\"ok\">✔ 此证书真实有效，由{issuer}签发。</p>{facts}",
                issuer = escape(&c.cert.issuer),
                facts = facts(&c, Audience::Public)
            ),
        ),
        None => page(
            actix_web::http::StatusCode::NOT_FOUND,
            "证书核验",
            "<h1>证书核验</h1><p class=\"bad\">✘ 未找到此验证码对应的证书。请核对验证码是否输入正确；\
             如仍无法核验，请联系签发单位。</p>",
        ),
    })
}
