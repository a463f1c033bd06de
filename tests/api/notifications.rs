//! Email through the transactional outbox, spoken over real SMTP to a server the test starts:
//! who gets which message, an SMTP outage, parking and retrying, opting out.

use crate::helpers::*;
use crate::mail_server::{Mail, MailServer};
use kepu_api::notify::outbox::{DeliveryReport, deliver_due};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// An account with an email; returns its token.
pub async fn staff(app: &TestApp, role: &str, scope: Option<(&str, &str)>, email: &str) -> String {
    let username = format!("{role}{}", app.next());
    let mut body = json!({"username": username, "password": "password-123", "role": role,
        "display_name": "测试用户", "email": email});
    if let Some((field, id)) = scope {
        body[field] = json!(id);
    }
    app.post("/api/v1/users", &body, Some(&app.admin().await))
        .await
        .expect(201);
    app.login(&username, "password-123").await
}

/// A station other than the one covering `xini`.
async fn other_station(app: &TestApp) -> String {
    let xini = app.xini_station().await;
    let body = app.get("/api/v1/stations", None).await.expect(200);
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .find(|id| *id != xini)
        .unwrap()
}

/// Registers a volunteer with an email, approves them and adds them to `team`.
async fn member_with_email(app: &TestApp, team: &str, email: &str) -> String {
    let admin = app.admin().await;
    let v = app
        .post(
            "/api/v1/volunteers",
            &json!({"real_name": "乌兰", "phone": format!("137{:08}", app.next()),
                "township": "xini", "password": "password-123", "email": email}),
            None,
        )
        .await
        .expect(201);
    let id = v["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/volunteers/{id}/approve"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/teams/{team}/members"),
        &json!({"volunteer_id": id}),
        Some(&admin),
    )
    .await
    .expect(201);
    id
}

async fn deliver(app: &TestApp) -> DeliveryReport {
    deliver_due(&app.state, app.state.now()).await.unwrap()
}

/// The received messages as recipient → subjects, sorted.
fn by_recipient(mails: &[Mail]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in mails {
        assert_eq!(m.to.len(), 1, "one recipient per message");
        map.entry(m.to[0].clone()).or_default().push(m.subject());
    }
    for subjects in map.values_mut() {
        subjects.sort();
    }
    map
}

#[tokio::test]
async fn one_orders_whole_life_sends_each_message_to_the_right_people_once() {
    let smtp = MailServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    let admin = app.admin().await;
    // The association has an address too, but nothing here is an escalation.
    app.request(
        reqwest::Method::PATCH,
        "/api/v1/me",
        Some(&json!({"email": "admin@kepu.test"})),
        Some(&format!("Bearer {admin}")),
    )
    .await
    .expect(200);

    let station_id = app.xini_station().await;
    let department_id = app.nongmu().await;
    let station = staff(
        &app,
        "station_staff",
        Some(("station_id", &station_id)),
        "station@kepu.test",
    )
    .await;
    let other = other_station(&app).await;
    staff(
        &app,
        "station_staff",
        Some(("station_id", &other)),
        "elsewhere@kepu.test",
    )
    .await;
    let department = staff(
        &app,
        "department_staff",
        Some(("department_id", &department_id)),
        "department@kepu.test",
    )
    .await;
    let (team_a, _) = app.team().await;
    let leader_a = staff(
        &app,
        "team_leader",
        Some(("team_id", &team_a)),
        "leader-a@kepu.test",
    )
    .await;
    let (team_b, _) = app.team().await;
    staff(
        &app,
        "team_leader",
        Some(("team_id", &team_b)),
        "leader-b@kepu.test",
    )
    .await;
    let volunteer = member_with_email(&app, &team_a, "volunteer@kepu.test").await;

    let mut body = TestApp::order_body();
    body["contact_email"] = json!("resident@kepu.test");
    let order = app.post("/api/v1/orders", &body, None).await.expect(201);
    let id = order["id"].as_str().unwrap().to_owned();
    let code = order["tracking_code"].as_str().unwrap().to_owned();
    let resident = order["resident_token"].as_str().unwrap().to_owned();

    app.act(
        &id,
        "dispatch",
        json!({"department_id": department_id}),
        &station,
    )
    .await
    .expect(200);
    app.act(&id, "accept", json!({"team_ids": [team_a]}), &department)
        .await
        .expect(200);
    app.act(&id, "claim", json!({}), &leader_a)
        .await
        .expect(200);
    app.act(&id, "release", json!({"reason": "人手不够"}), &leader_a)
        .await
        .expect(200);
    app.act(&id, "claim", json!({}), &leader_a)
        .await
        .expect(200);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz_shanghai())
        .date_naive();
    app.act(
        &id,
        "complete",
        json!({"served_on": today.to_string(), "attendees": 25, "summary": "讲解了疫苗接种",
            "hours": [{"volunteer_id": volunteer, "hours": 2}]}),
        &leader_a,
    )
    .await
    .expect(200);
    app.act_as_resident(&id, "rate", json!({"score": 5}), &resident)
        .await
        .expect(200);

    let report = deliver(&app).await;
    // 5 to the station, 5 to the department, 1 to the team allowed to claim, 1 to the resident,
    // 1 to the volunteer on approval.
    assert_eq!(report.sent, 13, "{report:?}");
    assert_eq!((report.retrying, report.parked), (0, 0));
    let mails = smtp.received();
    assert_eq!(mails.len(), 13);

    let got = by_recipient(&mails);
    let s = |what: &str| format!("【科普派单】{what}（查询码 {code}）");
    let expected: BTreeMap<String, Vec<String>> = [
        (
            "station@kepu.test",
            vec![
                s("新需求待派单"),
                s("需求已被服务队接单"),
                s("需求已被服务队接单"),
                s("服务队放弃了接单"),
                s("需求已结单"),
            ],
        ),
        (
            "department@kepu.test",
            vec![
                s("阵地派来一条需求"),
                s("需求已被服务队接单"),
                s("需求已被服务队接单"),
                s("服务队放弃了接单"),
                s("需求已结单"),
            ],
        ),
        ("leader-a@kepu.test", vec![s("有新需求可以接单")]),
        ("resident@kepu.test", vec![s("您的需求已完成服务，请评价")]),
        (
            "volunteer@kepu.test",
            vec!["【科普派单】您的志愿者注册已通过审核".to_owned()],
        ),
    ]
    .into_iter()
    .map(|(to, mut subjects)| {
        subjects.sort();
        (to.to_owned(), subjects)
    })
    .collect();
    assert_eq!(got, expected, "who got what");

    for m in mails.iter().filter(|m| m.to[0] != "volunteer@kepu.test") {
        assert_eq!(m.content_type(), "multipart/alternative", "{}", m.subject());
        assert!(m.from.contains("noreply@kepu.invalid"));
        let (text, html) = (m.text(), m.html());
        assert!(text.contains(&format!("查询码：{code}")), "{text}");
        assert!(html.contains(&code), "{html}");
        assert!(text.contains("请来讲讲羊的疫苗接种"), "{text}");
        if m.to[0] == "resident@kepu.test" {
            assert!(text.contains(&format!("/t/{code}")), "{text}");
            assert!(!text.contains("13812345678"), "no phone in mail");
        } else {
            assert!(text.contains(&format!("/console/orders/{id}")), "{text}");
        }
    }

    // Nothing is sent twice: another round finds nothing due.
    assert_eq!(deliver(&app).await, DeliveryReport::default());
    assert_eq!(smtp.received().len(), 13);

    // The outbox says the same, per order.
    let list = app
        .get(
            &format!("/api/v1/notifications?order_id={id}&state=sent&limit=200"),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 12);
    assert!(list["next_cursor"].is_null());
}

#[tokio::test]
async fn an_smtp_outage_loses_nothing_and_sends_nothing_twice() {
    let port = MailServer::free_port().await;
    let app = spawn_app_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let station_id = app.xini_station().await;
    staff(
        &app,
        "station_staff",
        Some(("station_id", &station_id)),
        "station@kepu.test",
    )
    .await;
    for _ in 0..3 {
        app.submit().await;
    }

    // The server is down: every attempt fails and is scheduled again, none is lost.
    let down = deliver(&app).await;
    assert_eq!((down.claimed, down.sent, down.retrying), (3, 0, 3));
    let admin = app.admin().await;
    let pending = app
        .get("/api/v1/notifications?state=pending", Some(&admin))
        .await
        .expect(200);
    let items = pending["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for n in items {
        assert_eq!(n["attempts"], 1);
        assert!(n["last_error"].as_str().unwrap().len() > 3);
    }
    // Back-off: not retried at once.
    assert_eq!(deliver(&app).await.claimed, 0);

    let smtp = MailServer::start_on(port).await;
    app.clock.advance(chrono::Duration::minutes(2));
    let up = deliver(&app).await;
    assert_eq!((up.sent, up.retrying, up.parked), (3, 0, 0), "{up:?}");
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(deliver(&app).await, DeliveryReport::default());

    let mails = smtp.received();
    assert_eq!(mails.len(), 3);
    let subjects: std::collections::HashSet<_> = mails.iter().map(Mail::subject).collect();
    assert_eq!(subjects.len(), 3, "three different orders, each once");
    assert!(mails.iter().all(|m| m.to == ["station@kepu.test"]));
}

#[tokio::test]
async fn a_message_failing_every_attempt_is_parked_listed_and_retried() {
    let smtp = MailServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.mail.max_attempts = 3;
    })
    .await;
    let station_id = app.xini_station().await;
    let station = staff(
        &app,
        "station_staff",
        Some(("station_id", &station_id)),
        "station@kepu.test",
    )
    .await;
    smtp.refuse("station@kepu.test");
    let order = app.submit().await;

    let mut outcomes = vec![];
    for minutes in [0, 2, 4] {
        app.clock.advance(chrono::Duration::minutes(minutes));
        let r = deliver(&app).await;
        outcomes.push((r.retrying, r.parked));
    }
    assert_eq!(
        outcomes,
        [(1, 0), (1, 0), (0, 1)],
        "parked on the third failure"
    );
    app.clock.advance(chrono::Duration::hours(12));
    assert_eq!(
        deliver(&app).await.claimed,
        0,
        "a parked message is left alone"
    );

    let admin = app.admin().await;
    let parked = app
        .get("/api/v1/notifications?state=parked", Some(&admin))
        .await
        .expect(200);
    let items = parked["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let n = &items[0];
    assert_eq!(n["attempts"], 3);
    assert_eq!(n["kind"], "new_order");
    assert_eq!(n["order_id"], order["id"]);
    assert_eq!(n["recipient"], "station@kepu.test");
    assert!(n["last_error"].as_str().unwrap().contains("451"), "{n}");
    let nid = n["id"].as_str().unwrap();

    // Only the association sees or retries the outbox.
    app.get("/api/v1/notifications", Some(&station))
        .await
        .expect(403);
    app.get("/api/v1/notifications", None).await.expect(401);
    app.post(
        &format!("/api/v1/notifications/{nid}/retry"),
        &json!({}),
        Some(&station),
    )
    .await
    .expect(403);
    let bad = app
        .get("/api/v1/notifications?state=lost&order_id=x", Some(&admin))
        .await
        .expect(422);
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["state", "order_id"]);

    smtp.accept_all();
    let retried = app
        .post(
            &format!("/api/v1/notifications/{nid}/retry"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(retried["state"], "pending");
    assert_eq!(retried["attempts"], 0);
    let again = app
        .post(
            &format!("/api/v1/notifications/{nid}/retry"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(409);
    assert_eq!(again["current_state"], "pending");
    app.post(
        &format!("/api/v1/notifications/{}/retry", uuid::Uuid::now_v7()),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(404);

    assert_eq!(deliver(&app).await.sent, 1);
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["station@kepu.test"]);
}

#[tokio::test]
async fn users_set_their_email_and_may_switch_non_urgent_mail_off() {
    let smtp = MailServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    let station_id = app.xini_station().await;
    let station = app
        .user("station_staff", Some(("station_id", &station_id)))
        .await;
    let me = |body: Value| {
        let app = &app;
        let station = station.clone();
        async move {
            app.request(
                reqwest::Method::PATCH,
                "/api/v1/me",
                Some(&body),
                Some(&format!("Bearer {station}")),
            )
            .await
        }
    };

    // No address yet: nothing is queued for them.
    app.submit().await;
    let bad = me(json!({"email": "not-an-email", "notify_non_urgent": "no"})).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let bad = me(json!({"email": "not-an-email"})).await.expect(422);
    assert_eq!(bad["errors"][0]["field"], "email");
    let on = me(json!({"email": "Station@Kepu.test"})).await.expect(200);
    assert_eq!(on["email"], "Station@Kepu.test");
    assert_eq!(on["notify_non_urgent"], true);
    app.submit().await;
    let off = me(json!({"notify_non_urgent": false})).await.expect(200);
    assert_eq!(off["notify_non_urgent"], false);
    assert_eq!(off["email"], "Station@Kepu.test", "left as it was");
    app.submit().await;
    let current = app.get("/api/v1/me", Some(&station)).await.expect(200);
    assert_eq!(current["notify_non_urgent"], false);

    assert_eq!(
        deliver(&app).await.sent,
        1,
        "only while they had an address and mail on"
    );
    assert_eq!(smtp.received()[0].to, ["station@kepu.test"]);

    let cleared = me(json!({"email": null, "notify_non_urgent": true}))
        .await
        .expect(200);
    assert!(cleared["email"].is_null());
    let unsigned = app
        .request(reqwest::Method::PATCH, "/api/v1/me", Some(&json!({})), None)
        .await;
    assert_eq!(unsigned.status, 401);
}

#[tokio::test]
async fn without_an_smtp_server_mail_is_logged_and_counted_as_sent() {
    let app = spawn_app().await;
    let station_id = app.xini_station().await;
    staff(
        &app,
        "station_staff",
        Some(("station_id", &station_id)),
        "station@kepu.test",
    )
    .await;
    app.submit().await;
    let r = deliver(&app).await;
    assert_eq!((r.claimed, r.sent), (1, 1));
    let admin = app.admin().await;
    let sent = app
        .get("/api/v1/notifications?state=sent", Some(&admin))
        .await
        .expect(200);
    assert_eq!(sent["items"][0]["recipient"], "station@kepu.test");
    assert!(!sent["items"][0]["sent_at"].is_null());
}

#[tokio::test]
async fn the_background_worker_delivers_without_being_asked() {
    let smtp = MailServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.mail.interval_secs = 1;
    })
    .await;
    let station_id = app.xini_station().await;
    staff(
        &app,
        "station_staff",
        Some(("station_id", &station_id)),
        "station@kepu.test",
    )
    .await;
    app.submit().await;
    for _ in 0..100 {
        if !smtp.received().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn the_openapi_document_has_the_outbox_the_own_settings_and_the_deadline_sort() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
    for (method, path) in [
        ("get", "/api/v1/notifications"),
        ("post", "/api/v1/notifications/{id}/retry"),
        ("patch", "/api/v1/me"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let params = doc["paths"]["/api/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "sort"));
    assert!(params.iter().any(|p| p["name"] == "overdue"));
}

#[tokio::test]
async fn a_lease_held_by_another_worker_is_respected_and_an_expired_one_is_taken_over() {
    use kepu_api::entity::notifications;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let smtp = MailServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    let station_id = app.xini_station().await;
    staff(
        &app,
        "station_staff",
        Some(("station_id", &station_id)),
        "station@kepu.test",
    )
    .await;
    app.submit().await;

    // Another worker holds the message, as if it were sending it right now.
    let now = app.state.now();
    notifications::Entity::update_many()
        .col_expr(
            notifications::Column::LockedUntil,
            Expr::value(now + chrono::Duration::minutes(10)),
        )
        .col_expr(
            notifications::Column::LockToken,
            Expr::value(uuid::Uuid::now_v7()),
        )
        .filter(notifications::Column::State.eq("pending"))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(deliver(&app).await.claimed, 0, "not taken from under it");
    assert!(smtp.received().is_empty());

    // That worker died: once its lease runs out, the message is sent by this one.
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(deliver(&app).await.sent, 1);
    assert_eq!(smtp.received().len(), 1);
    let row = notifications::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "sent");
    assert!(row.lock_token.is_none() && row.locked_until.is_none());
}
