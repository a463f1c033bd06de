//! The smaller trust gaps of issue 10: formula injection in CSV exports, the certificate's
//! verification address, throttled resident actions, the phone-number oracle of the sign-up,
//! rate limits behind a trusted proxy, and the docs page's policy.

use crate::helpers::*;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::json;
use std::collections::HashMap;
use std::io::Cursor;

const NAME: &str = "=HYPERLINK(\"http://evil.example/x\",\"x\")";

async fn bytes_of(app: &TestApp, path: &str) -> Vec<u8> {
    let reply = app
        .client
        .get(format!("{}{path}", app.address))
        .header("Authorization", format!("Bearer {}", app.admin().await))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200, "{path}");
    reply.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn exported_cells_that_a_spreadsheet_would_run_are_neutralised_in_csv_and_text_in_xlsx() {
    let app = spawn_app().await;
    app.post(
        "/api/v1/volunteers",
        &json!({"real_name": NAME, "phone": "13611112222", "township": "xini", "skills": "=1+2", "password": "password-123"}),
        None,
    )
    .await
    .expect(201);

    let csv_bytes = bytes_of(&app, "/api/v1/reports/volunteers.csv").await;
    let text = String::from_utf8(csv_bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let row = rows
        .iter()
        .find(|r| r[0].contains("HYPERLINK"))
        .expect("the volunteer's row");
    assert_eq!(row[0], format!("'{NAME}"));
    assert_eq!(row[5], "'=1+2");
    // Numbers stay numbers.
    assert_eq!(row[6], "0");

    let xlsx = bytes_of(&app, "/api/v1/reports/volunteers.xlsx").await;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let row = range
        .rows()
        .find(|r| matches!(&r[0], Data::String(s) if s.contains("HYPERLINK")))
        .expect("the volunteer's row");
    assert_eq!(
        row[0],
        Data::String(NAME.into()),
        "text as typed, a string cell"
    );
    assert_eq!(row[5], Data::String("=1+2".into()));
    let sheet = book.sheet_names()[0].clone();
    let formulas = book.worksheet_formula(&sheet).unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula cells"
    );
}

#[tokio::test]
async fn the_certificate_prints_the_configured_address_whatever_the_request_headers_say() {
    let app = spawn_app_with(|s| s.mail.public_url = "https://kepu.example.org".into()).await;
    let (team, _) = app.team().await;
    let volunteer = app.member(&team).await;
    let page = app
        .client
        .get(format!(
            "{}/api/v1/volunteers/{volunteer}/certificate",
            app.address
        ))
        .header("Authorization", format!("Bearer {}", app.admin().await))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Proto", "http")
        .header("Forwarded", "host=evil.example;proto=http")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("https://kepu.example.org/verify/"), "{html}");
    assert!(!html.contains("evil.example"), "{html}");
}

/// Cookies set so far, as one `Cookie` header.
fn cookie_header(jar: &HashMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A page fetched or posted with the cookies of `jar`, which keeps the ones it sets.
async fn page(
    app: &TestApp,
    jar: &mut HashMap<String, String>,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let url = format!("{}{path}", app.address);
    let mut req = match form {
        Some(pairs) => app
            .client
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encode(pairs)),
        None => app.client.get(url),
    };
    if !jar.is_empty() {
        req = req.header("Cookie", cookie_header(jar));
    }
    let resp = req.send().await.unwrap();
    for value in resp.headers().get_all("set-cookie") {
        let pair = value.to_str().unwrap().split(';').next().unwrap();
        let (k, v) = pair.split_once('=').unwrap();
        jar.insert(k.to_owned(), v.to_owned());
    }
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    (status, headers, resp.text().await.unwrap())
}

/// A form body, percent-encoded.
fn encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The message under a field of a page form (empty when none).
fn error_of(html: &str, field: &str) -> String {
    let marker = format!("id=\"e-{field}\">");
    let start = html.find(&marker).expect("the field's message slot") + marker.len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_owned()
}

fn input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the input") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn posting_to_a_tracking_page_is_rate_limited_like_reading_it() {
    let app = spawn_app_with(|s| s.rate_limit = 3).await;
    let order = app.submit().await;
    let code = order["tracking_code"].as_str().unwrap().to_owned();
    let mut jar = HashMap::new();
    let (_, _, html) = page(&app, &mut jar, &format!("/t/{code}"), None).await;
    let csrf = input(&html, "csrf");
    // The page read above is the first of three; the next two posts pass the limit (and are
    // refused for want of this phone's token), the third is throttled before any lookup.
    for action in ["cancel", "rate"] {
        let (status, _, _) = page(
            &app,
            &mut jar,
            &format!("/t/{code}/{action}"),
            Some(&[("csrf", &csrf), ("score", "5")]),
        )
        .await;
        assert_eq!(status, 403, "{action}");
    }
    for path in [format!("/t/{code}/cancel"), "/t/ABCD2345/rate".to_owned()] {
        let (status, headers, _) = page(&app, &mut jar, &path, Some(&[("csrf", "forged")])).await;
        assert_eq!(status, 429, "{path}");
        assert!(headers.contains_key("retry-after"), "{path}");
    }
}

#[tokio::test]
async fn the_sign_up_says_a_phone_is_taken_only_when_everything_else_is_right() {
    let app = spawn_app().await;
    let body = |township: &str, password: &str| json!({"real_name": "乌云", "phone": "13622223333", "township": township, "password": password});
    app.post("/api/v1/volunteers", &body("xini", "password-123"), None)
        .await
        .expect(201);
    for (bad, field) in [
        (body("atlantis", "password-123"), "township"),
        (body("xini", "short"), "password"),
    ] {
        let problem = app.post("/api/v1/volunteers", &bad, None).await.expect(422);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, [field], "{problem}");
    }
    let problem = app
        .post("/api/v1/volunteers", &body("xini", "password-123"), None)
        .await
        .expect(422);
    assert_eq!(problem["errors"][0]["field"], "phone");

    // The page form: the same rule.
    let mut jar = HashMap::new();
    let (_, _, html) = page(&app, &mut jar, "/volunteer", None).await;
    let csrf = input(&html, "csrf");
    let form = |township: &'static str, idem: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("idem", idem.to_owned()),
            ("real_name", "乌云".to_owned()),
            ("phone", "13622223333".to_owned()),
            ("township", township.to_owned()),
            ("password", "password-123".to_owned()),
        ]
    };
    let post = |pairs: Vec<(&'static str, String)>| {
        let mut jar = jar.clone();
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            page(app, &mut jar, "/volunteer", Some(&pairs)).await
        }
    };
    let (status, _, html) = post(form("atlantis", "key-for-a-bad-post-01")).await;
    assert_eq!(status, 422);
    assert!(!error_of(&html, "township").is_empty(), "township is named");
    assert_eq!(error_of(&html, "phone"), "", "the phone is not");
    let (status, _, html) = post(form("xini", "key-for-a-good-post-1")).await;
    assert_eq!(status, 422);
    assert_eq!(
        error_of(&html, "phone"),
        "这个手机号已经注册",
        "now the phone is"
    );
}

/// Reads the tracking endpoint as `client` (an `X-Forwarded-For` value) and returns the status.
async fn track_as(app: &TestApp, client: &str) -> u16 {
    app.client
        .get(format!("{}/api/v1/track/ABCD2345", app.address))
        .header("X-Forwarded-For", client)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarded_clients_get_their_own_budgets_only_behind_a_trusted_proxy() {
    // The test client connects from 127.0.0.1: here that is the trusted proxy.
    let app = spawn_app_with(|s| {
        s.rate_limit = 2;
        s.trusted_proxies = kepu_api::config::TrustedProxies::parse("127.0.0.0/8").unwrap();
    })
    .await;
    for _ in 0..2 {
        assert_eq!(track_as(&app, "203.0.113.1").await, 404);
    }
    assert_eq!(track_as(&app, "203.0.113.1").await, 429);
    assert_eq!(
        track_as(&app, "203.0.113.2").await,
        404,
        "another client has its own budget"
    );
    assert_eq!(
        track_as(&app, "198.51.100.7, 203.0.113.1").await,
        429,
        "what a client writes before its own address changes nothing"
    );

    // Nobody trusted: the header is ignored and both share the peer's budget.
    let app = spawn_app_with(|s| s.rate_limit = 2).await;
    for _ in 0..2 {
        assert_eq!(track_as(&app, "203.0.113.1").await, 404);
    }
    assert_eq!(track_as(&app, "203.0.113.2").await, 429);
}

#[tokio::test]
async fn the_docs_page_has_a_strict_policy_that_still_lets_its_own_assets_load() {
    let app = spawn_app().await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();
    let index = get("/api/docs/").await.unwrap();
    assert_eq!(index.status().as_u16(), 200);
    let csp = index.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {csp}"))
            .to_owned()
    };
    assert_eq!(directive("default-src"), "default-src 'none'");
    assert_eq!(directive("script-src"), "script-src 'self'");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'");
    let html = index.text().await.unwrap();
    // Every script is a file from here (no inline script, which the policy would block), and
    // every asset the page names loads under the same policy.
    assert!(
        !html.contains("<script>") && !html.contains("<style"),
        "{html}"
    );
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let url = part.split('"').next().unwrap();
            assert!(!url.contains("//"), "nothing from elsewhere: {url}");
            assets.push(url.trim_start_matches("./").to_owned());
        }
    }
    assert!(assets.iter().any(|a| a == "swagger-initializer.js"));
    for asset in assets.iter().chain([&"swagger-ui-bundle.js".to_owned()]) {
        let reply = get(&format!("/api/docs/{asset}")).await.unwrap();
        assert_eq!(reply.status().as_u16(), 200, "{asset}");
        assert!(reply.headers().contains_key("content-security-policy"));
    }
    // The one inline style the UI writes (its logo) is the one the policy's hash allows.
    let preset = get("/api/docs/swagger-ui-standalone-preset.js")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let logo = ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";
    assert!(preset.contains(logo));
    // `printf '%s' "$logo" | openssl dgst -sha256 -binary | base64`
    let hash = "RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=";
    assert_eq!(
        directive("style-src"),
        format!("style-src 'self' 'sha256-{hash}'"),
        "{csp}"
    );
    // The initializer fetches the document from this origin.
    let init = get("/api/docs/swagger-initializer.js")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"/api/v1/openapi.json\""), "{init}");
}

/// The idempotency record of a submit keeps no resident token: a retry with the same key gets the
/// same order and the same token again, derived, and that token works.
#[tokio::test]
async fn an_idempotent_submit_stores_no_resident_token_and_a_retry_gets_the_same_one() {
    use kepu_api::entity::idempotency_keys;
    use sea_orm::EntityTrait;

    let app = spawn_app().await;
    let send = || async {
        app.send(
            app.client
                .post(format!("{}/api/v1/orders", app.address))
                .header("Idempotency-Key", "retry-me-1")
                .json(&TestApp::order_body()),
        )
        .await
        .expect(201)
    };
    let first = send().await;
    let token = first["resident_token"].as_str().unwrap().to_owned();
    let records = idempotency_keys::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert!(
        !records[0].body.contains(&token) && !records[0].body.contains("resident_token"),
        "the record keeps no token: {}",
        records[0].body
    );

    let again = send().await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["tracking_code"], first["tracking_code"]);
    assert_eq!(again["resident_token"], token.as_str());
    let id = first["id"].as_str().unwrap();
    let cancelled = app
        .act_as_resident(id, "cancel", json!({}), &token)
        .await
        .expect(200);
    assert_eq!(cancelled["state"], "cancelled");
}

/// Unknown codes are reported with every other bad field at once, a half position names both
/// halves, and nothing is stored.
#[tokio::test]
async fn a_bad_order_names_every_bad_field_at_once_and_stores_nothing() {
    let app = spawn_app().await;
    let mut body = TestApp::order_body();
    body["contact_phone"] = json!("12345");
    body["theme"] = json!("no_such_theme");
    body["township"] = json!("no_such_township");
    body["target_group"] = json!("no_such_group");
    body["latitude"] = json!(39.8);
    body["expected_attendees"] = json!(0);
    let problem = app.post("/api/v1/orders", &body, None).await.expect(422);
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "contact_phone",
            "expected_attendees",
            "latitude",
            "longitude",
            "target_group",
            "theme",
            "township"
        ],
        "{problem}"
    );
    let admin = app.admin().await;
    let orders = app.get("/api/v1/orders", Some(&admin)).await.expect(200);
    assert_eq!(orders["items"], json!([]));
}
