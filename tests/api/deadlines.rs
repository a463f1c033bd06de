//! Deadlines: overdue flags and lists, the sweeper's escalations and automatic closes with a
//! test clock, once each, also with two instances racing over one database.

use crate::helpers::*;
use crate::mail_server::MailServer;
use crate::notifications::staff;
use chrono::Duration;
use kepu_api::notify::outbox::deliver_due;
use kepu_api::service::sweeper::{SweepReport, sweep};
use serde_json::{Value, json};
use std::collections::HashMap;

async fn sweep_now(app: &TestApp) -> SweepReport {
    sweep(&app.state, app.state.now()).await.unwrap()
}

async fn events(app: &TestApp, id: &str) -> Value {
    let admin = app.admin().await;
    app.get(&format!("/api/v1/orders/{id}/events"), Some(&admin))
        .await
        .expect(200)
}

fn count(history: &Value, action: &str) -> usize {
    history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .count()
}

async fn order(app: &TestApp, id: &str) -> Value {
    let admin = app.admin().await;
    app.get(&format!("/api/v1/orders/{id}"), Some(&admin))
        .await
        .expect(200)
}

#[tokio::test]
async fn each_deadline_fires_exactly_once_and_a_new_state_has_a_new_one() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    // The association's address, with non-urgent mail off: escalations still reach it.
    app.request(
        reqwest::Method::PATCH,
        "/api/v1/me",
        Some(&json!({"email": "admin@kepu.test", "notify_non_urgent": false})),
        Some(&format!("Bearer {admin}")),
    )
    .await
    .expect(200);
    let department_id = app.nongmu().await;
    staff(
        &app,
        "department_staff",
        Some(("department_id", &department_id)),
        "department@kepu.test",
    )
    .await;

    let mut ids = HashMap::new();
    for state in [
        "submitted",
        "dispatched",
        "accepted",
        "claimed",
        "completed",
    ] {
        ids.insert(state, cast.order_in(&app, state).await.0);
    }
    let (done, _) = cast.order_in(&app, "rejected").await;

    assert_eq!(
        sweep_now(&app).await,
        SweepReport::default(),
        "nothing due yet"
    );
    let overdue = app
        .get("/api/v1/orders?overdue=true", Some(&admin))
        .await
        .expect(200);
    assert!(overdue["items"].as_array().unwrap().is_empty());

    // 49 hours: the station's and the department's 48 hours are over.
    app.clock.advance(Duration::hours(49));
    let r = sweep_now(&app).await;
    assert_eq!((r.escalated, r.closed), (2, 0), "{r:?}");
    assert_eq!(sweep_now(&app).await.escalated, 0, "once, not every sweep");
    let overdue = app
        .get("/api/v1/orders?overdue=true", Some(&admin))
        .await
        .expect(200);
    let mut late: Vec<&str> = overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["state"].as_str().unwrap())
        .collect();
    late.sort_unstable();
    assert_eq!(late, ["dispatched", "submitted"]);
    let on_time = app
        .get("/api/v1/orders?overdue=false", Some(&admin))
        .await
        .expect(200);
    assert_eq!(on_time["items"].as_array().unwrap().len(), 4);
    for state in ["submitted", "dispatched"] {
        let o = order(&app, &ids[state]).await;
        assert_eq!(o["overdue"], true);
        assert_eq!(o["state"], state, "escalation does not change the state");
        let h = events(&app, &ids[state]).await;
        assert_eq!(count(&h, "escalate"), 1, "{state}");
        assert_eq!(h["chain_valid"], true);
        let e = h["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (e["from_state"].clone(), e["to_state"].clone()),
            (json!(state), json!(state))
        );
        assert_eq!(e["actor_role"], "system");
        let code = o["tracking_code"].as_str().unwrap();
        let public = app
            .get(&format!("/api/v1/track/{code}"), None)
            .await
            .expect(200);
        let steps = public["timeline"].as_array().unwrap();
        assert!(steps.iter().all(|s| s["action"] != "escalate"), "{public}");
    }

    // 8 days: the unclaimed accepted order is escalated, the rating window has closed.
    app.clock.advance(Duration::days(7));
    let r = sweep_now(&app).await;
    assert_eq!((r.escalated, r.closed), (1, 1), "{r:?}");
    let closed = order(&app, &ids["completed"]).await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["overdue"], false);
    let h = events(&app, &ids["completed"]).await;
    let last = h["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "close");
    assert_eq!(last["actor_role"], "system");
    assert_eq!(h["chain_valid"], true);
    assert_eq!(sweep_now(&app).await, SweepReport::default());

    // A new state is a new deadline: the late submitted order is dispatched at last, and its
    // department's 48 hours count from now.
    app.act(
        &ids["submitted"],
        "dispatch",
        json!({"department_id": cast.department_id}),
        &cast.station,
    )
    .await
    .expect(200);
    assert_eq!(order(&app, &ids["submitted"]).await["overdue"], false);
    app.clock.advance(Duration::hours(49));
    assert_eq!(sweep_now(&app).await.escalated, 1);
    assert_eq!(count(&events(&app, &ids["submitted"]).await, "escalate"), 2);

    // 31 days: the claimed order is late; the association and its department hear of it.
    app.clock.advance(Duration::days(23));
    assert_eq!(sweep_now(&app).await.escalated, 1);
    assert_eq!(sweep_now(&app).await, SweepReport::default());
    assert_eq!(order(&app, &done).await["state"], "rejected");
    assert_eq!(count(&events(&app, &done).await, "escalate"), 0);

    let escalations = app
        .get("/api/v1/notifications?limit=200", Some(&admin))
        .await
        .expect(200);
    let mut to: Vec<String> = escalations["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "escalated")
        .map(|n| n["recipient"].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    let mut want = vec!["admin@kepu.test"; 5];
    want.push("department@kepu.test");
    want.sort_unstable();
    assert_eq!(
        to, want,
        "5 escalations to the association, the late claim also to the department"
    );

    let (checked, broken) = kepu_api::service::orders::verify_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!((checked, broken.len()), (6, 0), "every chain verifies");
}

#[tokio::test]
async fn order_lists_sort_by_deadline_page_by_page() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    let mut made = vec![];
    for state in [
        "claimed",
        "submitted",
        "rejected",
        "accepted",
        "dispatched",
        "cancelled",
        "submitted",
    ] {
        made.push(cast.order_in(&app, state).await.0);
    }
    let mut seen: Vec<Value> = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/orders?sort=due_at&limit=2&cursor={c}"),
            None => "/api/v1/orders?sort=due_at&limit=2".to_owned(),
        };
        let page = app.get(&path, Some(&admin)).await.expect(200);
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), made.len(), "every order once");
    let dues: Vec<Option<String>> = seen
        .iter()
        .map(|o| o["due_at"].as_str().map(str::to_owned))
        .collect();
    let deadlines: Vec<chrono::DateTime<chrono::Utc>> =
        dues.iter().flatten().map(|d| d.parse().unwrap()).collect();
    assert_eq!(deadlines.len(), 5);
    assert!(deadlines.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    assert!(dues[5].is_none() && dues[6].is_none(), "no deadline last");
    let mut ids: Vec<&str> = seen.iter().map(|o| o["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), made.len());

    // Filters combine with the sort; a cursor of the other sort is refused.
    let late = app
        .get("/api/v1/orders?sort=due_at&state=submitted", Some(&admin))
        .await
        .expect(200);
    assert_eq!(late["items"].as_array().unwrap().len(), 2);
    let newest = app
        .get("/api/v1/orders?limit=1", Some(&admin))
        .await
        .expect(200);
    let other_cursor = newest["next_cursor"].as_str().unwrap();
    app.get(
        &format!("/api/v1/orders?sort=due_at&cursor={other_cursor}"),
        Some(&admin),
    )
    .await
    .expect(422);
    let bad = app
        .get("/api/v1/orders?sort=oldest", Some(&admin))
        .await
        .expect(422);
    assert_eq!(bad["errors"][0]["field"], "sort");
}

#[tokio::test]
async fn the_sweeper_forgets_idempotency_keys_after_a_day() {
    let app = spawn_app().await;
    let submit = |key: &'static str| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .post(format!("{}/api/v1/orders", app.address))
                    .header("Idempotency-Key", key)
                    .json(&TestApp::order_body()),
            )
            .await
        }
    };
    let first = submit("phone-1").await.expect(201);
    app.clock.advance(Duration::hours(23));
    assert_eq!(sweep_now(&app).await.idempotency_purged, 0);
    assert_eq!(submit("phone-1").await.expect(201)["id"], first["id"]);
    app.clock.advance(Duration::hours(2));
    assert_eq!(sweep_now(&app).await.idempotency_purged, 1);
}

/// Two sweepers and two outbox workers at once: on PostgreSQL two instances (two pools) over
/// one database; on SQLite, which runs one instance, two of each in that instance.
#[tokio::test]
async fn two_sweepers_and_two_workers_racing_act_once() {
    let smtp = MailServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    let other = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        app.second_instance().await
    } else {
        app.state.clone()
    };
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    app.request(
        reqwest::Method::PATCH,
        "/api/v1/me",
        Some(&json!({"email": "admin@kepu.test"})),
        Some(&format!("Bearer {admin}")),
    )
    .await
    .expect(200);
    let station_id = app.xini_station().await;
    staff(
        &app,
        "station_staff",
        Some(("station_id", &station_id)),
        "station@kepu.test",
    )
    .await;
    let mut late = vec![];
    let mut unrated = vec![];
    for _ in 0..6 {
        late.push(cast.order_in(&app, "submitted").await.0);
        unrated.push(cast.order_in(&app, "completed").await.0);
    }

    app.clock.advance(Duration::days(8));
    let now = app.state.now();
    let (a, b) = tokio::join!(sweep(&app.state, now), sweep(&other, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("sweepers: {a:?} / {b:?}");
    assert_eq!(a.escalated + b.escalated, 6, "{a:?} {b:?}");
    assert_eq!(a.closed + b.closed, 6, "{a:?} {b:?}");
    for id in &late {
        let h = events(&app, id).await;
        assert_eq!(count(&h, "escalate"), 1);
        assert_eq!(h["chain_valid"], true);
    }
    for id in &unrated {
        let h = events(&app, id).await;
        assert_eq!(count(&h, "close"), 1);
        assert_eq!(h["chain_valid"], true);
    }

    let (a, b) = tokio::join!(deliver_due(&app.state, now), deliver_due(&other, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("workers: {a:?} / {b:?}");
    // To the station: 12 new orders, 6 claims, 6 completions; to the association: 6
    // escalations.
    assert_eq!(a.sent + b.sent, 30, "{a:?} {b:?}");
    let mails = smtp.received();
    assert_eq!(mails.len(), 30);
    let distinct: std::collections::HashSet<(Vec<String>, String)> =
        mails.iter().map(|m| (m.to.clone(), m.subject())).collect();
    assert_eq!(distinct.len(), 30, "no message sent twice");
    assert_eq!(
        mails.iter().filter(|m| m.to == ["admin@kepu.test"]).count(),
        6
    );
}

#[tokio::test]
async fn the_background_sweeper_closes_without_being_asked() {
    let app = spawn_app_with(|s| s.mail.sweep_interval_secs = 1).await;
    let cast = Cast::new(&app).await;
    let (id, _) = cast.order_in(&app, "completed").await;
    app.clock.advance(Duration::days(8));
    let mut state = Value::Null;
    for _ in 0..50 {
        state = order(&app, &id).await["state"].clone();
        if state == "closed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "closed");
}
