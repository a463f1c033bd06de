//! Open311 GeoReport v2 under `/open311/v2`: bare arrays, the standard's error list, API keys
//! for posting, orders with channel `open311`, and the public-data rule in every answer (no
//! personal data, village and township for the address, positions rounded to 2 decimals, the
//! description only once dispatched).

use crate::helpers::{Cast, RawReply, TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const KEY: &str = "open311-test-key-0123456789";
const NAME_FIRST: &str = "特尔";
const NAME_LAST: &str = "巴";
const PHONE: &str = "13987654321";
const EMAIL: &str = "bateer@example.cn";
const STREET: &str = "幸福路12号401室";

async fn keyed_app() -> TestApp {
    spawn_app_with(|s| s.open311_api_keys = vec!["another-key".into(), KEY.into()]).await
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn request_form<'a>(key: &'a str, township: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("service_code", "farming_herding"),
        ("description", "请来讲讲羊的疫苗接种"),
        ("attribute[township]", township),
        ("first_name", NAME_FIRST),
        ("last_name", NAME_LAST),
        ("phone", PHONE),
        ("email", EMAIL),
        ("address_string", STREET),
        ("lat", "39.83"),
        ("long", "109.0"),
    ]
}

async fn post_form(app: &TestApp, body: String) -> RawReply {
    let resp = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request failed");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("read body").to_vec();
    RawReply {
        status,
        headers,
        bytes,
    }
}

async fn get(app: &TestApp, path: &str) -> RawReply {
    app.get_raw(path, None, None).await
}

/// A raw answer that must carry none of the posted contact data.
fn assert_private(reply: &RawReply) {
    let text = reply.text();
    for secret in [
        PHONE,
        EMAIL,
        "巴特尔",
        NAME_FIRST,
        "13812345678",
        "contact",
        STREET,
        "幸福路",
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked in {text}");
    }
}

/// Creates a request through Open311 and returns its id.
async fn create(app: &TestApp, township: &str) -> String {
    let reply = post_form(app, form(&request_form(KEY, township))).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_private(&reply);
    let body = reply.json();
    assert!(body.is_array(), "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(1));
    assert_eq!(body[0]["account_id"], Value::Null);
    assert!(
        body[0]["service_notice"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    body[0]["service_request_id"]
        .as_str()
        .expect("service_request_id")
        .to_owned()
}

fn assert_error(reply: &RawReply, status: u16) -> Vec<String> {
    assert_eq!(reply.status, status, "{}", reply.text());
    let body = reply.json();
    let items = body.as_array().expect("a bare array of errors");
    assert!(!items.is_empty());
    items
        .iter()
        .map(|e| {
            assert_eq!(e["code"], json!(status), "{e}");
            e["description"].as_str().expect("description").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn open311_discovery_and_services() {
    let app = spawn_app().await;

    let reply = get(&app, "/open311/v2/discovery.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    let endpoint = &doc["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert!(
        endpoint["formats"]
            .as_array()
            .unwrap()
            .contains(&json!("application/json"))
    );
    assert!(doc["changeset"].is_string());

    let themes = app.get("/api/v1/themes", None).await.expect(200);
    let themes = themes["items"].as_array().unwrap();
    let reply = get(&app, "/open311/v2/services.json").await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").starts_with("application/json"));
    let services = reply.json();
    let services = services.as_array().expect("a bare array");
    assert_eq!(services.len(), themes.len());
    for theme in themes {
        let service = services
            .iter()
            .find(|s| s["service_code"] == theme["code"])
            .unwrap_or_else(|| panic!("no service for {theme}"));
        assert_eq!(service["service_name"], theme["name_zh"]);
        assert_eq!(service["type"], "realtime");
        assert_eq!(service["metadata"], true);
        assert!(service["description"].is_string());
        assert!(service["keywords"].is_string());
        assert!(service["group"].is_string());
    }

    let reply = get(&app, "/open311/v2/services/farming_herding.json").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let definition = reply.json();
    assert_eq!(definition["service_code"], "farming_herding");
    let attributes = definition["attributes"].as_array().unwrap();
    let township = attributes
        .iter()
        .find(|a| a["code"] == "township")
        .expect("township attribute");
    assert_eq!(township["required"], true);
    assert_eq!(township["datatype"], "singlevaluelist");
    assert!(
        township["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "xini" && v["name"] == "锡尼镇")
    );

    assert_error(
        &get(&app, "/open311/v2/services/no_such_theme.json").await,
        404,
    );
    assert_error(
        &get(
            &app,
            &format!("/open311/v2/requests/{}.json", uuid::Uuid::now_v7()),
        )
        .await,
        404,
    );
    assert_error(&get(&app, "/open311/v2/requests/not-an-id.json").await, 404);
}

#[tokio::test]
async fn open311_post_needs_a_configured_valid_key() {
    // No keys configured: every post is refused.
    let app = spawn_app().await;
    let reply = post_form(&app, form(&request_form(KEY, "xini"))).await;
    let descriptions = assert_error(&reply, 403);
    assert!(descriptions[0].contains("api_key"));
    let list = get(&app, "/open311/v2/requests.json").await;
    assert_eq!(list.json(), json!([]));

    let app = keyed_app().await;
    let reply = post_form(&app, form(&request_form("wrong-key", "xini"))).await;
    assert_error(&reply, 403);
    let mut without: Vec<(&str, &str)> = request_form(KEY, "xini");
    without.retain(|(k, _)| *k != "api_key");
    assert_error(&post_form(&app, form(&without)).await, 403);
    assert_eq!(
        get(&app, "/open311/v2/requests.json").await.json(),
        json!([])
    );
}

#[tokio::test]
async fn open311_post_creates_a_routed_order_with_channel_open311() {
    let app = keyed_app().await;
    let id = create(&app, "锡尼镇").await;

    let admin = app.admin().await;
    let order = app
        .get(&format!("/api/v1/orders/{id}"), Some(&admin))
        .await
        .expect(200);
    assert_eq!(order["channel"], "open311");
    assert_eq!(order["state"], "submitted");
    assert_eq!(order["township"], "xini");
    assert_eq!(order["station_id"], json!(app.xini_station().await));
    assert_eq!(order["theme"], "farming_herding");
    assert_eq!(order["contact_name"], "巴特尔");

    // JSON with the same field names, township by code, nested attributes.
    let reply = app
        .post(
            "/open311/v2/requests.json",
            &json!({"api_key": KEY, "service_code": "health", "description": "健康讲座",
                "attribute": {"township": "balagong"}, "last_name": "王", "first_name": "芳",
                "phone": "13700001111"}),
            None,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let second = reply.body[0]["service_request_id"].as_str().unwrap();
    let order = app
        .get(&format!("/api/v1/orders/{second}"), Some(&admin))
        .await
        .expect(200);
    assert_eq!(order["channel"], "open311");
    assert_eq!(order["township"], "balagong");

    // The web API's own orders keep their channel.
    let web = app.submit().await;
    let web = app
        .get(
            &format!("/api/v1/orders/{}", web["id"].as_str().unwrap()),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(web["channel"], "web");
}

#[tokio::test]
async fn open311_bad_input_lists_every_field() {
    let app = keyed_app().await;
    let body = form(&[
        ("api_key", KEY),
        ("service_code", "no_such_theme"),
        ("lat", "north"),
        ("long", "109"),
        ("phone", "12345"),
    ]);
    let reply = post_form(&app, body).await;
    let descriptions = assert_error(&reply, 400);
    let joined = descriptions.join("\n");
    for field in [
        "attribute[township]",
        "lat",
        "phone",
        "description",
        "first_name/last_name",
    ] {
        assert!(
            descriptions.iter().any(|d| d.starts_with(field)),
            "{field} missing in {joined}"
        );
    }

    let mut unknown_town = request_form(KEY, "火星镇");
    unknown_town.retain(|(k, _)| *k != "email");
    let descriptions = assert_error(&post_form(&app, form(&unknown_town)).await, 400);
    assert_eq!(descriptions.len(), 1, "{descriptions:?}");
    assert!(descriptions[0].starts_with("attribute[township]"));
    assert!(descriptions[0].contains("火星镇"));

    let mut unknown_theme = request_form(KEY, "xini");
    unknown_theme[1] = ("service_code", "no_such_theme");
    let descriptions = assert_error(&post_form(&app, form(&unknown_theme)).await, 400);
    assert!(descriptions.iter().any(|d| d.starts_with("service_code")));

    assert_eq!(
        get(&app, "/open311/v2/requests.json").await.json(),
        json!([]),
        "nothing was created"
    );
    let descriptions = assert_error(
        &get(
            &app,
            "/open311/v2/requests.json?status=pending&start_date=yesterday",
        )
        .await,
        400,
    );
    assert!(descriptions.iter().any(|d| d.starts_with("status")));
    assert!(descriptions.iter().any(|d| d.starts_with("start_date")));
}

#[tokio::test]
async fn open311_requests_are_bare_arrays_without_personal_data() {
    let app = keyed_app().await;
    let cast = Cast::new(&app).await;
    let first = create(&app, "xini").await;
    let (dispatched, _) = cast.order_in(&app, "dispatched").await;

    let reply = get(&app, &format!("/open311/v2/requests/{first}.json")).await;
    assert_eq!(reply.status, 200);
    assert_private(&reply);
    let one = reply.json();
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    let request = &one[0];
    assert_eq!(request["service_request_id"], json!(first));
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "farming_herding");
    assert_eq!(request["service_name"], "种养殖技术");
    // Not dispatched yet: the theme stands in for the description; the township is the address.
    assert_eq!(request["description"], "种养殖技术");
    assert_eq!(request["address"], "锡尼镇");
    assert_eq!(request["lat"], json!(39.83));
    assert_eq!(request["long"], json!(109.0));
    assert_eq!(request["media_url"], Value::Null);
    assert_eq!(request["agency_responsible"], Value::Null);
    assert!(request["status_notes"].is_string());
    assert!(request["requested_datetime"].is_string());
    assert!(request["updated_datetime"].is_string());
    assert!(request["expected_datetime"].is_string());

    let reply = get(&app, &format!("/open311/v2/requests/{dispatched}.json")).await;
    assert_private(&reply);
    assert_eq!(reply.json()[0]["agency_responsible"], "旗农牧局");

    let reply = get(&app, "/open311/v2/requests.json").await;
    assert_eq!(reply.status, 200);
    assert_private(&reply);
    let list = reply.json();
    let list = list.as_array().expect("a bare array");
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0]["service_request_id"],
        json!(dispatched),
        "newest first"
    );

    // open → closed once the order is cancelled.
    app.act(
        &first,
        "cancel",
        json!({"reason": "不需要了"}),
        &cast.station,
    )
    .await
    .expect(200);
    let reply = get(&app, &format!("/open311/v2/requests/{first}.json")).await;
    assert_eq!(reply.json()[0]["status"], "closed");
    assert_private(&reply);
}

#[tokio::test]
async fn open311_list_filters() {
    let app = keyed_app().await;
    let cast = Cast::new(&app).await;
    let farming = create(&app, "xini").await;
    app.clock.advance(chrono::Duration::hours(2));
    let middle = app.state.now();
    app.clock.advance(chrono::Duration::hours(2));
    let (cancelled, _) = cast.order_in(&app, "cancelled").await;
    let health = {
        let reply = app
            .post(
                "/open311/v2/requests.json",
                &json!({"api_key": KEY, "service_code": "health", "description": "健康讲座",
                    "attribute[township]": "xini", "first_name": "芳", "last_name": "王",
                    "phone": "13700001111"}),
                None,
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ids = |reply: RawReply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_private(&reply);
        let mut ids: Vec<String> = reply
            .json()
            .as_array()
            .expect("a bare array")
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<&str>| {
        v.sort();
        v.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };

    assert_eq!(
        ids(get(&app, "/open311/v2/requests.json?service_code=health").await),
        sorted(vec![&health])
    );
    assert_eq!(
        ids(get(
            &app,
            "/open311/v2/requests.json?service_code=farming_herding"
        )
        .await),
        sorted(vec![&farming, &cancelled])
    );
    assert_eq!(
        ids(get(&app, "/open311/v2/requests.json?status=closed").await),
        sorted(vec![&cancelled])
    );
    assert_eq!(
        ids(get(&app, "/open311/v2/requests.json?status=open").await),
        sorted(vec![&farming, &health])
    );
    assert_eq!(
        ids(get(&app, "/open311/v2/requests.json?status=open,closed").await).len(),
        3
    );
    assert_eq!(
        ids(get(
            &app,
            &format!("/open311/v2/requests.json?service_request_id={farming},{health}")
        )
        .await),
        sorted(vec![&farming, &health])
    );
    // The id list overrides the other filters, as the standard says.
    assert_eq!(
        ids(get(
            &app,
            &format!("/open311/v2/requests.json?service_request_id={farming}&service_code=health")
        )
        .await),
        sorted(vec![&farming])
    );
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        ids(get(
            &app,
            &format!("/open311/v2/requests.json?start_date={}", at(middle))
        )
        .await),
        sorted(vec![&cancelled, &health])
    );
    assert_eq!(
        ids(get(
            &app,
            &format!("/open311/v2/requests.json?end_date={}", at(middle))
        )
        .await),
        sorted(vec![&farming])
    );
    assert_eq!(
        ids(get(&app, "/open311/v2/requests.json?limit=1").await).len(),
        1
    );
}

#[tokio::test]
async fn open311_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
    for path in [
        "/open311/v2/discovery.json",
        "/open311/v2/services.json",
        "/open311/v2/services/{service_code}.json",
        "/open311/v2/requests.json",
        "/open311/v2/requests/{service_request_id}.json",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} not documented");
    }
    assert!(doc["paths"]["/open311/v2/requests.json"]["post"].is_object());
}

#[tokio::test]
async fn open311_large_posts_are_refused_in_the_standard_format() {
    let app = keyed_app().await;
    let long = "讲".repeat(30_000);
    let mut fields = request_form(KEY, "xini");
    fields[2] = ("description", &long);
    let descriptions = assert_error(&post_form(&app, form(&fields)).await, 413);
    assert!(descriptions[0].contains("64 KiB"));
    assert_eq!(
        get(&app, "/open311/v2/requests.json").await.json(),
        json!([])
    );
}

#[tokio::test]
async fn open311_posts_share_the_submit_rate_limit() {
    let app = spawn_app_with(|s| {
        s.open311_api_keys = vec![KEY.into()];
        s.rate_limit = 1;
    })
    .await;
    create(&app, "xini").await;
    let reply = post_form(&app, form(&request_form(KEY, "xini"))).await;
    assert_error(&reply, 429);
    assert!(!reply.header("retry-after").is_empty());
}

/// The field names of a 400's descriptions (`field: message`), sorted.
fn fields_of(descriptions: &[String]) -> Vec<String> {
    let mut fields: Vec<String> = descriptions
        .iter()
        .map(|d| d.split(": ").next().unwrap_or_default().to_owned())
        .collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn open311_invalid_post_names_each_field_by_its_open311_name() {
    let app = keyed_app().await;
    let long_address = "路".repeat(201);
    let body = form(&[
        ("api_key", KEY),
        ("description", "   "),
        ("first_name", NAME_FIRST),
        ("phone", "12345"),
        ("email", "not-an-email"),
        ("address_string", &long_address),
        ("lat", "39.8"),
        ("attribute[preferred_date]", "2020-01-01"),
        ("attribute[expected_attendees]", "0"),
    ]);
    let descriptions = assert_error(&post_form(&app, body).await, 400);
    assert_eq!(
        fields_of(&descriptions),
        [
            "address_string",
            "attribute[expected_attendees]",
            "attribute[preferred_date]",
            "attribute[township]",
            "description",
            "email",
            // A latitude without a longitude names both halves.
            "lat",
            "long",
            "phone",
            "service_code",
        ],
        "{descriptions:?}"
    );
    // The township is reported once, by the adapter, in words about what was sent.
    let township: Vec<&String> = descriptions
        .iter()
        .filter(|d| d.starts_with("attribute[township]"))
        .collect();
    assert_eq!(township.len(), 1, "{descriptions:?}");
    assert!(township[0].contains("苏木镇"), "{descriptions:?}");

    // A value the adapter cannot read at all keeps its own entry, even where the order API
    // reports the same field again (lat without a usable number: "both or neither", which
    // also names the longitude).
    let mut fields = request_form(KEY, "xini");
    fields.retain(|(k, _)| *k != "lat");
    fields.push(("lat", "north"));
    fields.push(("attribute[expected_attendees]", "many"));
    let descriptions = assert_error(&post_form(&app, form(&fields)).await, 400);
    assert_eq!(
        fields_of(&descriptions),
        ["attribute[expected_attendees]", "lat", "long"],
        "{descriptions:?}"
    );
    assert!(descriptions.contains(&"lat: must be a number".to_owned()));
    assert_eq!(
        get(&app, "/open311/v2/requests.json").await.json(),
        json!([])
    );
}

#[tokio::test]
async fn open311_refuses_over_long_api_keys() {
    let long = "k".repeat(129);
    let app = spawn_app_with(|s| s.open311_api_keys = vec![KEY.into(), long.clone()]).await;
    // In the body …
    let reply = post_form(&app, form(&request_form(&long, "xini"))).await;
    let descriptions = assert_error(&reply, 403);
    assert!(descriptions[0].starts_with("api_key"), "{descriptions:?}");
    // … and in the query string.
    let mut without: Vec<(&str, &str)> = request_form(KEY, "xini");
    without.retain(|(k, _)| *k != "api_key");
    let resp = app
        .client
        .post(format!(
            "{}/open311/v2/requests.json?api_key={long}",
            app.address
        ))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&without))
        .send()
        .await
        .expect("request failed");
    assert_eq!(resp.status(), 403);
    assert_eq!(
        get(&app, "/open311/v2/requests.json").await.json(),
        json!([])
    );
    // A key of ordinary length, in the query string, still works.
    let resp = app
        .client
        .post(format!(
            "{}/open311/v2/requests.json?api_key={KEY}",
            app.address
        ))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&without))
        .send()
        .await
        .expect("request failed");
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn open311_reads_share_the_public_read_rate_limit() {
    let app = spawn_app_with(|s| s.rate_limit = 2).await;
    assert_eq!(get(&app, "/open311/v2/requests.json").await.status, 200);
    let one = format!("/open311/v2/requests/{}.json", uuid::Uuid::now_v7());
    assert_eq!(get(&app, &one).await.status, 404);
    for path in ["/open311/v2/requests.json", one.as_str()] {
        let reply = get(&app, path).await;
        let descriptions = assert_error(&reply, 429);
        assert!(!descriptions[0].is_empty());
        assert!(
            reply
                .header("retry-after")
                .parse::<u64>()
                .is_ok_and(|s| s >= 1),
            "Retry-After: {:?}",
            reply.header("retry-after")
        );
    }
    // The same budget as /api/v1/track.
    let track = app.get_raw("/api/v1/track/ABCD2345", None, None).await;
    assert_eq!(track.status, 429);
    // Reference reads are not counted.
    assert_eq!(get(&app, "/open311/v2/services.json").await.status, 200);
}

/// Adds village `name` to township `xini`.
async fn village(app: &TestApp, name: &str) {
    let admin = app.admin().await;
    app.post(
        "/api/v1/townships/xini/villages",
        &json!({"name": name}),
        Some(&admin),
    )
    .await
    .expect(201);
}

/// Every public read of request `id` (the list, the id-filtered list, the single request): each
/// checked for contact data, street address and exact position; returns each one's
/// `description` with the raw text.
async fn public_reads(app: &TestApp, id: &str) -> Vec<(Value, String)> {
    let mut found = Vec::new();
    for path in [
        "/open311/v2/requests.json".to_owned(),
        format!("/open311/v2/requests.json?service_request_id={id}"),
        format!("/open311/v2/requests/{id}.json"),
    ] {
        let reply = get(app, &path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        assert_private(&reply);
        let text = reply.text();
        for exact in ["39.834", "39.835", "109.987", "109.988"] {
            assert!(!text.contains(exact), "`{exact}` in {text}");
        }
        let request = reply
            .json()
            .as_array()
            .and_then(|list| list.iter().find(|r| r["service_request_id"] == id).cloned())
            .expect("the request");
        assert_eq!(request["address"], "锡尼镇阿日柴达木嘎查", "{path}");
        assert_eq!(request["lat"], json!(39.83), "{path}");
        assert_eq!(request["long"], json!(109.99), "{path}");
        found.push((request["description"].clone(), text));
    }
    found
}

/// Checks that every read shows the description (`shown`) or the theme in its place.
fn expect_description(found: Vec<(Value, String)>, asked: &str, shown: bool, when: &str) {
    for (description, text) in found {
        if shown {
            assert_eq!(description, asked, "{when}");
        } else {
            assert_eq!(description, "种养殖技术", "{when}: the theme");
            assert!(
                !text.contains("院子"),
                "{when}: description leaked in {text}"
            );
        }
    }
}

#[tokio::test]
async fn open311_publishes_place_and_description_by_the_public_data_rule() {
    const ASKED: &str = "请到我家院子里讲讲羊的疫苗接种，我家老人腿脚不便";
    let app = keyed_app().await;
    let cast = Cast::new(&app).await;
    village(&app, "阿日柴达木嘎查").await;
    let mut fields = request_form(KEY, "xini");
    fields.retain(|(k, _)| !matches!(*k, "description" | "lat" | "long"));
    fields.extend([
        ("description", ASKED),
        ("attribute[village]", "阿日柴达木嘎查"),
        ("lat", "39.834567"),
        ("long", "109.987654"),
    ]);
    let reply = post_form(&app, form(&fields)).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let id = reply.json()[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();

    expect_description(public_reads(&app, &id).await, ASKED, false, "submitted");
    let dispatch = json!({"department_id": cast.department_id});
    app.act(&id, "dispatch", dispatch.clone(), &cast.station)
        .await
        .expect(200);
    expect_description(public_reads(&app, &id).await, ASKED, true, "dispatched");
    // Returned by the department: submitted again, so the theme again.
    app.act(
        &id,
        "return",
        json!({"reason": "不归我们管"}),
        &cast.department,
    )
    .await
    .expect(200);
    expect_description(public_reads(&app, &id).await, ASKED, false, "returned");
    app.act(&id, "dispatch", dispatch, &cast.station)
        .await
        .expect(200);
    app.act(&id, "accept", json!({}), &cast.department)
        .await
        .expect(200);
    expect_description(public_reads(&app, &id).await, ASKED, true, "accepted");
    // Cancelled: off the normal path, so the theme.
    app.act(&id, "cancel", json!({"reason": "不需要了"}), &cast.station)
        .await
        .expect(200);
    expect_description(public_reads(&app, &id).await, ASKED, false, "cancelled");

    // A rejected order never shows its description.
    let (rejected, _) = cast.order_in(&app, "rejected").await;
    let reply = get(&app, &format!("/open311/v2/requests/{rejected}.json")).await;
    assert_eq!(reply.json()[0]["description"], "种养殖技术");

    // The resident's own public pages follow the same rule: no contact data, no street
    // address, no position, no description.
    let admin = app.admin().await;
    let order = app
        .get(&format!("/api/v1/orders/{id}"), Some(&admin))
        .await
        .expect(200);
    let code = order["tracking_code"].as_str().expect("tracking code");
    for path in [format!("/api/v1/track/{code}"), format!("/t/{code}")] {
        let reply = app.get_raw(&path, None, None).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_private(&reply);
        let text = reply.text();
        for secret in ["院子", "39.8", "109.9", "阿日柴达木"] {
            assert!(!text.contains(secret), "{path}: `{secret}` in {text}");
        }
    }
}

#[tokio::test]
async fn the_resident_form_says_what_becomes_public_next_to_the_fields() {
    let app = spawn_app().await;
    for (path, description, place, address) in [
        (
            "/?lang=zh",
            "阵地派单后，这段内容会公开显示",
            "苏木镇和嘎查/村会公开显示",
            "不公开",
        ),
        (
            "/?lang=en",
            "Once the station has dispatched your request, this text is shown publicly",
            "The township and village are shown publicly",
            "Not public",
        ),
    ] {
        let reply = app.get_raw(path, None, Some("text/html")).await;
        assert_eq!(reply.status, 200, "{path}");
        let page = reply.text();
        for (id, words, field) in [
            ("h-description", description, "description"),
            ("h-place", place, "township"),
            ("h-address", address, "address"),
        ] {
            let hint = format!(r#"<p class="hint" id="{id}">"#);
            let at = page
                .find(&hint)
                .unwrap_or_else(|| panic!("{path}: no {id} in {page}"));
            assert!(
                page[at..].starts_with(&format!("{hint}{words}")),
                "{path}: {id} does not say `{words}`"
            );
            // The hint belongs to its field: screen readers read it with the field.
            let field_at = page
                .find(&format!(r#"id="{field}""#))
                .unwrap_or_else(|| panic!("{path}: no field {field}"));
            let tag_end = field_at + page[field_at..].find('>').expect("tag end");
            assert!(
                page[field_at..tag_end].contains(&format!(r#"aria-describedby="{id} e-{field}""#)),
                "{path}: {field} is not described by {id}"
            );
        }
    }
}
