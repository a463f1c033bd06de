//! The API's conventions (`api.md`): problem documents, bad input refused with every field
//! named and nothing created, body limits, keyset pagination, idempotent submits, rate limits,
//! the OpenAPI document and docs page, and the operational endpoints.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Asserts `reply` is an RFC 9457 problem with `status` and `code`, and returns its body.
#[track_caller]
fn problem(reply: Reply, status: u16, code: &str, case: &str) -> Value {
    assert_eq!(
        reply.status.as_u16(),
        status,
        "{case}: status; body: {}",
        reply.body
    );
    let content_type = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("application/problem+json"),
        "{case}: content-type {content_type:?}"
    );
    let body = reply.body;
    for field in ["type", "title", "detail", "code"] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "{case}: `{field}` in {body}"
        );
    }
    assert_eq!(body["status"], status, "{case}: `status` in {body}");
    assert_eq!(body["code"], code, "{case}: `code` in {body}");
    body
}

/// The fields a problem names, as a set.
fn fields(problem: &Value) -> BTreeSet<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("a problem naming its fields: {problem}"))
        .iter()
        .map(|e| {
            assert!(
                e["message"].as_str().is_some_and(|m| !m.is_empty()),
                "every field has a message: {e}"
            );
            e["field"].as_str().expect("field").to_owned()
        })
        .collect()
}

/// POSTs raw bytes as JSON.
async fn post_raw(app: &TestApp, path: &str, body: impl Into<reqwest::Body>) -> Reply {
    app.send(
        app.client
            .post(format!("{}{path}", app.address))
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

/// `TestApp::order_body()` with `changes` applied (`null` removes a field).
fn order_with(changes: Value) -> Value {
    let mut body = TestApp::order_body();
    for (key, value) in changes.as_object().expect("object") {
        if value.is_null() {
            body.as_object_mut().expect("object").remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

/// Every order, as the association lists them.
async fn all_orders(app: &TestApp) -> Vec<Value> {
    let page = app
        .get("/api/v1/orders?limit=200", Some(&app.admin().await))
        .await
        .expect(200);
    page["items"].as_array().expect("items").clone()
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz_shanghai())
        .date_naive()
}

#[tokio::test]
async fn bad_submits_name_every_bad_field_and_create_nothing() {
    let app = spawn_app().await;
    let yesterday = today().pred_opt().unwrap().to_string();
    let tomorrow = today().succ_opt().unwrap().to_string();

    // Bodies that are not JSON objects at all.
    #[rustfmt::skip]
    let malformed: &[(&str, &str)] = &[
        ("truncated JSON", r#"{"theme": "health","#),
        ("not JSON", "theme=health"),
        ("a JSON array", "[1, 2]"),
        ("a JSON string", r#""点单""#),
        ("an empty body that says it is JSON", ""),
        ("only whitespace that says it is JSON", " \n"),
    ];
    for (case, raw) in malformed {
        let reply = post_raw(&app, "/api/v1/orders", raw.to_string()).await;
        problem(reply, 400, "request.malformed_json", case);
    }

    // (case, body, status, code, the fields it must name — all of them, and only them)
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, u16, &str, &[&str])> = vec![
        ("wrong JSON types",
            json!({"theme": 5, "description": ["讲座"], "township": "xini", "contact_name": "巴特尔",
                   "contact_phone": 13812345678_u64, "expected_attendees": "thirty", "latitude": "north", "longitude": 117.0}),
            400, "request.invalid_types", &["theme", "description", "contact_phone", "expected_attendees", "latitude"]),
        ("a number where a string belongs, alone",
            order_with(json!({"township": true})), 400, "request.invalid_types", &["township"]),
        ("every required field missing",
            json!({}), 422, "validation.failed", &["theme", "description", "township", "contact_name", "contact_phone"]),
        ("every required field blank",
            json!({"theme": " ", "description": "", "township": "", "contact_name": " ", "contact_phone": ""}),
            422, "validation.failed", &["theme", "description", "township", "contact_name", "contact_phone"]),
        ("unknown theme, township and target group codes",
            order_with(json!({"theme": "astrology", "township": "atlantis", "target_group": "aliens"})),
            422, "validation.failed", &["theme", "township", "target_group"]),
        ("a phone that is too short", order_with(json!({"contact_phone": "1381234"})), 422, "validation.failed", &["contact_phone"]),
        ("a phone that is not a mobile", order_with(json!({"contact_phone": "01012345678"})), 422, "validation.failed", &["contact_phone"]),
        ("a phone with letters", order_with(json!({"contact_phone": "1381234567x"})), 422, "validation.failed", &["contact_phone"]),
        ("a malformed preferred date", order_with(json!({"preferred_date": "2030-13-45"})), 422, "validation.failed", &["preferred_date"]),
        ("a preferred date in another format", order_with(json!({"preferred_date": "2030/01/02"})), 422, "validation.failed", &["preferred_date"]),
        ("a preferred date in the past", order_with(json!({"preferred_date": yesterday})), 422, "validation.failed", &["preferred_date"]),
        ("no one expected", order_with(json!({"expected_attendees": 0})), 422, "validation.failed", &["expected_attendees"]),
        ("negative attendees", order_with(json!({"expected_attendees": -5})), 422, "validation.failed", &["expected_attendees"]),
        ("latitude 91", order_with(json!({"latitude": 91.0, "longitude": 117.0})), 422, "validation.failed", &["latitude"]),
        ("longitude 181", order_with(json!({"latitude": 43.0, "longitude": 181.0})), 422, "validation.failed", &["longitude"]),
        ("a bad email", order_with(json!({"contact_email": "not-an-email"})), 422, "validation.failed", &["contact_email"]),
        ("several bad values at once",
            order_with(json!({"theme": null, "contact_phone": "123", "expected_attendees": 0, "latitude": 91.0, "longitude": 117.0})),
            422, "validation.failed", &["theme", "contact_phone", "expected_attendees", "latitude"]),
    ];
    for (case, body, status, code, expected) in &cases {
        let reply = app.post("/api/v1/orders", body, None).await;
        let p = problem(reply, *status, code, case);
        let want: BTreeSet<String> = expected.iter().map(|f| (*f).to_owned()).collect();
        assert_eq!(fields(&p), want, "{case}: the fields named");
    }

    // Over 64 KiB is refused before it is read as JSON.
    let huge = order_with(json!({"description": "科".repeat(30_000)}));
    assert!(serde_json::to_vec(&huge).unwrap().len() > 64 * 1024);
    problem(
        app.post("/api/v1/orders", &huge, None).await,
        413,
        "request.too_large",
        "a 90 KB body",
    );
    let huge_garbage = "x".repeat(70 * 1024);
    problem(
        post_raw(&app, "/api/v1/orders", huge_garbage).await,
        413,
        "request.too_large",
        "70 KiB of garbage",
    );

    assert_eq!(
        all_orders(&app).await,
        Vec::<Value>::new(),
        "nothing was created by any refused submit"
    );

    // The same checks let a good order through, with a date today and one tomorrow.
    app.post(
        "/api/v1/orders",
        &order_with(json!({"preferred_date": today().to_string()})),
        None,
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/orders",
        &order_with(json!({"preferred_date": tomorrow, "latitude": 43.6, "longitude": 116.9})),
        None,
    )
    .await
    .expect(201);
    assert_eq!(all_orders(&app).await.len(), 2);
}

#[tokio::test]
async fn hours_out_of_range_are_refused_on_complete() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (id, _) = cast.order_in(&app, "claimed").await;
    for hours in [json!(0), json!(-1), json!(24.5), json!(0.3), json!(100)] {
        let mut body = cast.completion();
        body["hours"][0]["hours"] = hours.clone();
        let reply = app.act(&id, "complete", body, &cast.leader).await;
        let p = problem(reply, 422, "validation.failed", &format!("{hours} hours"));
        assert_eq!(
            fields(&p),
            BTreeSet::from(["hours[0].hours".to_owned()]),
            "{hours} hours"
        );
    }
    let mut body = cast.completion();
    body["hours"][0]["hours"] = json!("two");
    let p = problem(
        app.act(&id, "complete", body, &cast.leader).await,
        400,
        "request.invalid_types",
        "hours as text",
    );
    assert_eq!(fields(&p), BTreeSet::from(["hours".to_owned()]));

    let order = app
        .get(&format!("/api/v1/orders/{id}"), Some(&cast.leader))
        .await
        .expect(200);
    assert_eq!(
        (order["state"].as_str(), order["version"].as_i64()),
        (Some("claimed"), Some(4)),
        "refusals changed nothing"
    );
    let done = app
        .act(&id, "complete", cast.completion(), &cast.leader)
        .await
        .expect(200);
    assert_eq!(
        done["state"], "completed",
        "a valid completion still goes through"
    );
}

/// (case, method, path, body, `Authorization`, status, code)
type ProblemCase<'a> = (
    &'a str,
    Method,
    String,
    Option<Value>,
    Option<String>,
    u16,
    &'a str,
);

#[tokio::test]
async fn every_error_is_a_problem_document() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    let (id, _) = cast.order_in(&app, "submitted").await;
    let bearer = |t: &str| Some(format!("Bearer {t}"));
    #[rustfmt::skip]
    let cases: Vec<ProblemCase> = vec![
        ("an unknown path under /api/v1", Method::GET, "/api/v1/nothing-here".into(), None, None, 404, "not_found"),
        ("an unknown path outside the API", Method::GET, "/nothing/here".into(), None, None, 404, "not_found"),
        ("an unknown action", Method::POST, format!("/api/v1/orders/{id}/explode"), Some(json!({})), bearer(&admin), 404, "not_found"),
        ("an unknown order", Method::GET, "/api/v1/orders/0190a5f0-0000-7000-8000-000000000000".into(), None, bearer(&admin), 404, "not_found"),
        ("listing without a token", Method::GET, "/api/v1/orders".into(), None, None, 401, "auth.missing"),
        ("a forged token", Method::GET, "/api/v1/orders".into(), None, bearer("not.a.jwt"), 401, "auth.invalid"),
        ("an unknown authorization scheme", Method::GET, "/api/v1/orders".into(), None, Some("Basic YWRtaW46YWRtaW4=".into()), 401, "auth.invalid"),
        ("an unknown resident token", Method::POST, format!("/api/v1/orders/{id}/cancel"), Some(json!({})), Some("Resident nope".into()), 401, "auth.invalid"),
        ("a station acting out of its right", Method::POST, format!("/api/v1/orders/{id}/accept"), Some(json!({})), bearer(&cast.station), 403, "auth.forbidden"),
        ("an action from the wrong state", Method::POST, format!("/api/v1/orders/{id}/close"), Some(json!({})), bearer(&admin), 409, "order.invalid_transition"),
        ("a bad action body", Method::POST, format!("/api/v1/orders/{id}/dispatch"), Some(json!({"department_id": "x"})), bearer(&admin), 422, "validation.failed"),
        ("an unknown department", Method::POST, format!("/api/v1/orders/{id}/dispatch"), Some(json!({"department_id": uuid::Uuid::now_v7()})), bearer(&admin), 422, "validation.failed"),
    ];
    for (case, method, path, body, auth, status, code) in cases {
        let reply = app
            .request(method, &path, body.as_ref(), auth.as_deref())
            .await;
        let p = problem(reply, status, code, case);
        if status == 409 {
            assert_eq!(
                p["current_state"], "submitted",
                "{case}: a conflict says the current state"
            );
        }
    }
}

#[tokio::test]
async fn orders_page_by_keyset_and_pages_are_stable_under_inserts() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(app.submit().await["id"].as_str().unwrap().to_owned());
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    let mut inserted = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/orders?limit=3&cursor={c}"),
            None => "/api/v1/orders?limit=3".to_owned(),
        };
        let page = app.get(&path, Some(&admin)).await.expect(200);
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        if inserted.is_none() {
            // A new order between pages must not shift what the next pages show.
            inserted = Some(app.submit().await["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert_eq!(
                    page["next_cursor"],
                    Value::Null,
                    "the last page says so with null"
                );
                break;
            }
        }
        assert!(sizes.len() < 10, "paging never ends: {sizes:?}");
    }
    assert_eq!(sizes, [3, 3, 1], "7 orders in pages of 3");
    assert_eq!(
        seen, newest_first,
        "every order once, newest first, none doubled, none skipped"
    );

    let all = app.get("/api/v1/orders", Some(&admin)).await.expect(200);
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        8,
        "default limit shows all 8 on one page"
    );
    assert_eq!(
        all["items"][0]["id"],
        inserted.unwrap().as_str(),
        "the newcomer comes first in a fresh listing"
    );
    assert_eq!(all["next_cursor"], Value::Null);

    #[rustfmt::skip]
    let bad: &[(&str, &str, &str)] = &[
        ("limit=0", "/api/v1/orders?limit=0", "limit"),
        ("a negative limit", "/api/v1/orders?limit=-1", "limit"),
        ("a limit that is no number", "/api/v1/orders?limit=ten", "limit"),
        ("a cursor that is not base64", "/api/v1/orders?cursor=%21%21%21", "cursor"),
        ("a cursor of the wrong length", "/api/v1/orders?cursor=AAAA", "cursor"),
    ];
    for (case, path, field) in bad {
        let p = problem(
            app.get(path, Some(&admin)).await,
            422,
            "validation.failed",
            case,
        );
        assert_eq!(fields(&p), BTreeSet::from([(*field).to_owned()]), "{case}");
    }
    let clamped = app
        .get("/api/v1/orders?limit=1000", Some(&admin))
        .await
        .expect(200);
    assert_eq!(
        clamped["items"].as_array().unwrap().len(),
        8,
        "a limit over 200 is clamped, not refused"
    );
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retried_submit_return_the_same_order() {
    let app = spawn_app().await;
    let submit = |key: &'static str, body: Value| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .post(format!("{}/api/v1/orders", app.address))
                    .header("Idempotency-Key", key)
                    .json(&body),
            )
            .await
        }
    };
    let first = submit("retry-7f3a", TestApp::order_body())
        .await
        .expect(201);
    let again = submit("retry-7f3a", TestApp::order_body())
        .await
        .expect(201);
    for field in ["id", "tracking_code", "resident_token", "state", "version"] {
        assert_eq!(
            again[field], first[field],
            "the retry answers with the original {field}"
        );
    }
    assert_eq!(all_orders(&app).await.len(), 1, "only one order exists");

    let changed = order_with(json!({"description": "换一个内容"}));
    let p = problem(
        submit("retry-7f3a", changed).await,
        422,
        "idempotency.key_reused",
        "same key, different body",
    );
    assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(
        all_orders(&app).await.len(),
        1,
        "the reused key created nothing"
    );

    let other = submit("retry-9c1d", TestApp::order_body())
        .await
        .expect(201);
    assert_ne!(other["id"], first["id"], "another key is another order");
    assert_ne!(other["resident_token"], first["resident_token"]);
    assert_eq!(all_orders(&app).await.len(), 2);
}

#[tokio::test]
async fn submits_beyond_the_rate_limit_get_429_with_retry_after() {
    let app = spawn_app_with(|s| s.rate_limit = 3).await;
    for n in 1..=3 {
        let reply = app
            .post("/api/v1/orders", &TestApp::order_body(), None)
            .await;
        assert_eq!(
            reply.status.as_u16(),
            201,
            "submit {n} of 3 is within the limit: {}",
            reply.body
        );
    }
    let reply = app
        .post("/api/v1/orders", &TestApp::order_body(), None)
        .await;
    let retry_after = reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    problem(reply, 429, "rate_limited", "the 4th submit in a minute");
    let retry_after = retry_after.expect("a Retry-After header");
    let seconds: u64 = retry_after
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After in whole seconds, got {retry_after:?}"));
    assert!(
        (1..=60).contains(&seconds),
        "Retry-After within the minute: {seconds}"
    );
    assert_eq!(
        all_orders(&app).await.len(),
        3,
        "the refused submit created nothing"
    );
}

/// Every path of `api.md`'s "Core endpoints" and "Administration" tables, except
/// `/service-records` and `/stats`, with its method.
#[rustfmt::skip]
const DOCUMENTED: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/townships"),
    ("get", "/api/v1/themes"),
    ("get", "/api/v1/target-groups"),
    ("get", "/api/v1/stations"),
    ("get", "/api/v1/departments"),
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/track/{tracking_code}"),
    ("get", "/api/v1/orders"),
    ("get", "/api/v1/orders/{id}"),
    ("get", "/api/v1/orders/{id}/events"),
    ("post", "/api/v1/orders/{id}/dispatch"),
    ("post", "/api/v1/orders/{id}/reject"),
    ("post", "/api/v1/orders/{id}/accept"),
    ("post", "/api/v1/orders/{id}/return"),
    ("post", "/api/v1/orders/{id}/claim"),
    ("post", "/api/v1/orders/{id}/release"),
    ("post", "/api/v1/orders/{id}/complete"),
    ("post", "/api/v1/orders/{id}/rate"),
    ("post", "/api/v1/orders/{id}/close"),
    ("post", "/api/v1/orders/{id}/cancel"),
    ("post", "/api/v1/volunteers"),
    ("post", "/api/v1/volunteers/{id}/approve"),
    ("post", "/api/v1/volunteers/{id}/reject"),
    ("post", "/api/v1/volunteers/{id}/suspend"),
    ("get", "/api/v1/volunteers/{id}/hours"),
    ("post", "/api/v1/users"),
    ("post", "/api/v1/stations"),
    ("post", "/api/v1/departments"),
    ("post", "/api/v1/teams"),
    ("post", "/api/v1/townships/{code}/villages"),
    ("post", "/api/v1/teams/{id}/members"),
    ("get", "/api/v1/teams/{id}/members"),
    ("get", "/api/v1/volunteers"),
];

#[tokio::test]
async fn the_openapi_document_lists_every_documented_endpoint() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/openapi.json", None).await;
    assert!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json")),
        "served as JSON"
    );
    let doc = reply.expect(200);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1, got {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    let missing: Vec<String> = DOCUMENTED
        .iter()
        .filter(|(method, path)| doc["paths"][*path][*method].is_null())
        .map(|(method, path)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "missing from the OpenAPI document: {missing:#?}"
    );
    assert!(
        doc["components"]["schemas"]["Problem"].is_object(),
        "the problem schema is documented"
    );
}

/// The `src` attribute of each `<script>` tag in `html`.
fn script_sources(html: &str) -> Vec<String> {
    html.split("<script")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            let start = tag.find("src=")? + 4;
            let quoted = &tag[start..];
            let quote = quoted.chars().next()?;
            let value = if quote == '"' || quote == '\'' {
                quoted[1..].split(quote).next()?
            } else {
                quoted.split(|c: char| c.is_whitespace()).next()?
            };
            Some(value.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_docs_page_works_without_internet_access() {
    let app = spawn_app().await;
    let redirect = app
        .client
        .get(format!("{}/api/docs", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        redirect.status().is_redirection(),
        "/api/docs redirects to /api/docs/: {}",
        redirect.status()
    );

    let page = app
        .client
        .get(format!("{}/api/docs/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let content_type = page
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("text/html"),
        "HTML, got {content_type:?}"
    );
    let html = page.text().await.unwrap();
    assert!(html.to_lowercase().contains("<html"), "an HTML page");
    let sources = script_sources(&html);
    assert!(!sources.is_empty(), "the page loads its scripts: {html}");
    for src in &sources {
        let lower = src.to_lowercase();
        assert!(
            !lower.starts_with("http://")
                && !lower.starts_with("https://")
                && !lower.starts_with("//"),
            "script {src} comes from the internet"
        );
        let url = format!("{}/api/docs/{}", app.address, src.trim_start_matches("./"));
        let url = if src.starts_with('/') {
            format!("{}{src}", app.address)
        } else {
            url
        };
        let status = app.client.get(&url).send().await.unwrap().status();
        assert_eq!(
            status.as_u16(),
            200,
            "script {src} is served locally ({url})"
        );
    }
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    app.get("/healthz", None).await.expect(200);
    app.get("/readyz", None).await.expect(200);
    app.get("/api/v1/themes", None).await.expect(200);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    let content_type = metrics
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain"),
        "Prometheus text format, got {content_type:?}"
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("kepu_http_requests_total"),
        "request counter after a request:\n{text}"
    );
}

/// Every error answer in the OpenAPI document is what the server sends: the `Problem` schema as
/// `application/problem+json`. The exceptions are Open311's errors (the standard's bare
/// `[{code, description}]` arrays as `application/json`) and the certificate check's page,
/// which answers an unknown code with HTML. The statuses the extractors give every operation of
/// a kind are documented too: 400/413/422 for a JSON body, 401 for a bearer token, 404 for a
/// path parameter, 503 wherever the database is read.
#[tokio::test]
async fn every_documented_error_is_a_problem_and_every_implied_status_is_documented() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
    let mut wrong = Vec::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if !["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            let name = format!("{} {path}", method.to_uppercase());
            let responses = operation["responses"].as_object().expect("responses");
            for (status, response) in responses {
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                let content = response["content"].as_object();
                let media: Vec<&str> = content
                    .map(|c| c.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let ok = if path.starts_with("/open311/") {
                    media == ["application/json"]
                        && response["content"]["application/json"]["schema"]["items"]["$ref"]
                            == "#/components/schemas/Open311ErrorItem"
                } else if media.contains(&"text/html") {
                    true
                } else {
                    media == ["application/problem+json"]
                        && response["content"]["application/problem+json"]["schema"]["$ref"]
                            == "#/components/schemas/Problem"
                };
                if !ok {
                    wrong.push(format!("{name} {status}: {media:?}"));
                }
            }
            let documents = |status: &str| responses.contains_key(status);
            let json_body = !operation["requestBody"]["content"]["application/json"].is_null();
            let bearer = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| !r["bearer"].is_null()));
            let path_parameter = operation["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["in"] == "path"));
            let mut implied = Vec::new();
            if json_body {
                implied.extend(["400", "413", "422"]);
            }
            if bearer {
                implied.push("401");
            }
            if path_parameter {
                implied.push("404");
            }
            if !["/healthz", "/metrics"].contains(&path.as_str()) {
                implied.push("503");
            }
            for status in implied {
                if !documents(status) {
                    wrong.push(format!("{name}: {status} is not documented"));
                }
            }
        }
    }
    assert!(operations > 60, "only {operations} operations documented");
    assert!(
        wrong.is_empty(),
        "error answers documented wrongly: {wrong:#?}"
    );
}
