//! One order's whole life over HTTP, its history and its public view.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn an_order_lives_from_submit_to_rating() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;

    let order = app.submit().await;
    assert_eq!(order["state"], "submitted");
    assert_eq!(order["version"], 1);
    assert_eq!(
        order["station_id"],
        app.xini_station().await,
        "routed by township coverage"
    );
    let id = order["id"].as_str().unwrap();
    let code = order["tracking_code"].as_str().unwrap();
    let resident = order["resident_token"].as_str().unwrap();

    let o = app
        .act(
            id,
            "dispatch",
            json!({"department_id": cast.department_id, "note": "请农牧局安排"}),
            &cast.station,
        )
        .await
        .expect(200);
    assert_eq!(
        (o["state"].as_str(), o["department_id"].as_str()),
        (Some("dispatched"), Some(cast.department_id.as_str()))
    );
    let o = app
        .act(
            id,
            "accept",
            json!({"team_ids": [cast.team_id]}),
            &cast.department,
        )
        .await
        .expect(200);
    assert_eq!(o["state"], "accepted");
    assert_eq!(o["claim_team_ids"], json!([cast.team_id]));
    let o = app
        .act(id, "claim", json!({"note": "周六去"}), &cast.leader)
        .await
        .expect(200);
    assert_eq!(
        (o["state"].as_str(), o["team_id"].as_str()),
        (Some("claimed"), Some(cast.team_id.as_str()))
    );
    let o = app
        .act(id, "complete", cast.completion(), &cast.leader)
        .await
        .expect(200);
    assert_eq!(o["state"], "completed");
    assert_eq!(o["attendees"], 25);
    let o = app
        .act_as_resident(
            id,
            "rate",
            json!({"score": 5, "comment": "讲得好"}),
            resident,
        )
        .await
        .expect(200);
    assert_eq!(o["state"], "closed");
    assert_eq!(o["rating_score"], 5);
    assert_eq!(o["version"], 6);
    assert_eq!(o["due_at"], serde_json::Value::Null);

    let admin = app.admin().await;
    let history = app
        .get(&format!("/api/v1/orders/{id}/events"), Some(&admin))
        .await
        .expect(200);
    let events = history["items"].as_array().unwrap();
    let actions: Vec<_> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submit", "dispatch", "accept", "claim", "complete", "rate"]
    );
    assert_eq!(history["chain_valid"], true);
    for pair in events.windows(2) {
        assert_eq!(
            pair[1]["prev_hash"], pair[0]["hash"],
            "each event links to the one before"
        );
        assert_eq!(pair[1]["from_state"], pair[0]["to_state"]);
    }
    assert_eq!(events[0]["prev_hash"], "0".repeat(64));
    assert_eq!(events[0]["actor_role"], "public");
    assert_eq!(events[5]["actor_role"], "resident");

    let track = app
        .get(&format!("/api/v1/track/{code}"), None)
        .await
        .expect(200);
    assert_eq!(track["state"], "closed");
    assert_eq!(track["timeline"].as_array().unwrap().len(), 6);
    let text = track.to_string();
    assert!(
        !text.contains("13812345678") && !text.contains("巴特尔"),
        "no personal data in the public view: {text}"
    );
    assert!(
        track["team_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("科技志愿服务队"))
    );

    let hours = app
        .get(
            &format!("/api/v1/volunteers/{}/hours", cast.volunteer),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(hours["pending_hours"], 0.5);
    assert_eq!(hours["confirmed_hours"], 0.0);
    assert_eq!(hours["star_level"], 0);
    assert_eq!(hours["records"][0]["order_id"], id);
}

#[tokio::test]
async fn the_etag_is_the_version_and_a_stale_if_match_is_refused() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (id, _) = cast.order_in(&app, "submitted").await;
    let reply = app
        .get(&format!("/api/v1/orders/{id}"), Some(&cast.station))
        .await;
    assert_eq!(reply.headers["etag"], "\"1\"");

    let stale = app
        .send(
            app.client
                .post(format!("{}/api/v1/orders/{id}/dispatch", app.address))
                .bearer_auth(&cast.station)
                .header("If-Match", "\"7\"")
                .json(&json!({"department_id": cast.department_id})),
        )
        .await
        .expect(409);
    assert_eq!(stale["code"], "order.version_mismatch");
    assert_eq!(stale["current_state"], "submitted");

    let fresh = app
        .send(
            app.client
                .post(format!("{}/api/v1/orders/{id}/dispatch", app.address))
                .bearer_auth(&cast.station)
                .header("If-Match", "\"1\"")
                .json(&json!({"department_id": cast.department_id})),
        )
        .await;
    assert_eq!(fresh.headers["etag"], "\"2\"");
    assert_eq!(fresh.expect(200)["state"], "dispatched");
}

#[tokio::test]
async fn returned_orders_go_back_to_the_station_and_released_ones_back_to_the_pool() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (id, _) = cast.order_in(&app, "dispatched").await;
    let o = app
        .act(
            &id,
            "return",
            json!({"reason": "不归我们管"}),
            &cast.department,
        )
        .await
        .expect(200);
    assert_eq!(
        (o["state"].as_str(), &o["department_id"]),
        (Some("submitted"), &serde_json::Value::Null)
    );
    app.get(&format!("/api/v1/orders/{id}"), Some(&cast.department))
        .await
        .expect(404);

    let (id, _) = cast.order_in(&app, "claimed").await;
    let o = app
        .act(&id, "release", json!({"reason": "人手不够"}), &cast.leader)
        .await
        .expect(200);
    assert_eq!(
        (o["state"].as_str(), &o["team_id"]),
        (Some("accepted"), &serde_json::Value::Null)
    );
    app.act(&id, "claim", json!({}), &cast.leader)
        .await
        .expect(200);
}

#[tokio::test]
async fn every_invalid_action_from_every_state_is_409_with_the_current_state() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    // Allowed (action, from) pairs for the association, which may take every action but
    // return and claim/complete/rate (those belong to one kind of actor each).
    let allowed: &[(&str, &[&str])] = &[
        ("dispatch", &["submitted"]),
        ("reject", &["submitted"]),
        ("accept", &["dispatched"]),
        ("release", &["claimed"]),
        ("close", &["completed"]),
        (
            "cancel",
            &[
                "submitted",
                "dispatched",
                "accepted",
                "claimed",
                "completed",
            ],
        ),
    ];
    for state in [
        "submitted",
        "dispatched",
        "accepted",
        "claimed",
        "completed",
        "closed",
        "rejected",
        "cancelled",
    ] {
        for (action, froms) in allowed {
            if froms.contains(&state) {
                continue;
            }
            let (id, _) = cast.order_in(&app, state).await;
            let body = match *action {
                "dispatch" => json!({"department_id": cast.department_id}),
                "reject" | "release" | "cancel" => json!({"reason": "测试"}),
                _ => json!({}),
            };
            let problem = app.act(&id, action, body, &admin).await.expect(409);
            assert_eq!(problem["current_state"], state, "{action} from {state}");
            assert_eq!(
                problem["code"], "order.invalid_transition",
                "{action} from {state}"
            );
        }
    }
    // The team's own actions from the wrong states.
    for state in [
        "submitted",
        "dispatched",
        "completed",
        "closed",
        "cancelled",
    ] {
        let (id, _) = cast.order_in(&app, state).await;
        let reply = app.act(&id, "claim", json!({}), &cast.leader).await;
        // Before acceptance (and so after a cancel from submitted) the team cannot see it at all.
        let expected = if matches!(state, "submitted" | "dispatched" | "cancelled") {
            404
        } else {
            409
        };
        assert_eq!(
            reply.status.as_u16(),
            expected,
            "claim from {state}: {}",
            reply.body
        );
    }
    for state in [
        "submitted",
        "dispatched",
        "accepted",
        "claimed",
        "closed",
        "cancelled",
    ] {
        let (id, resident) = cast.order_in(&app, state).await;
        let problem = app
            .act_as_resident(&id, "rate", json!({"score": 4}), &resident)
            .await
            .expect(409);
        assert_eq!(problem["current_state"], state);
    }
    for state in ["claimed", "completed", "closed", "rejected", "cancelled"] {
        let (id, resident) = cast.order_in(&app, state).await;
        let problem = app
            .act_as_resident(&id, "cancel", json!({}), &resident)
            .await
            .expect(409);
        assert_eq!(problem["current_state"], state);
    }
}

#[tokio::test]
async fn the_resident_can_cancel_until_a_team_claims() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    for state in ["submitted", "dispatched", "accepted"] {
        let (id, resident) = cast.order_in(&app, state).await;
        let o = app
            .act_as_resident(&id, "cancel", json!({}), &resident)
            .await
            .expect(200);
        assert_eq!(o["state"], "cancelled");
    }
    let (id, _) = cast.order_in(&app, "claimed").await;
    let problem = app
        .act(&id, "cancel", json!({}), &cast.station)
        .await
        .expect(422);
    assert_eq!(
        problem["errors"][0]["field"], "reason",
        "staff must say why"
    );
    app.act(&id, "cancel", json!({"reason": "村里改期"}), &cast.station)
        .await
        .expect(200);
}

#[tokio::test]
async fn completing_checks_every_volunteer_and_the_daily_limit() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (other_team, _) = app.team().await;
    let outsider = app.member(&other_team).await;
    let (id, _) = cast.order_in(&app, "claimed").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz_shanghai())
        .date_naive();
    let problem = app
        .act(
            &id,
            "complete",
            json!({"served_on": today.to_string(), "attendees": 10, "summary": "x",
                   "hours": [{"volunteer_id": outsider, "hours": 2}, {"volunteer_id": cast.volunteer, "hours": 0.3}]}),
            &cast.leader,
        )
        .await
        .expect(422);
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"hours[1].hours"), "{fields:?}");
    let problem = app
        .act(
            &id,
            "complete",
            json!({"served_on": today.to_string(), "attendees": 10, "summary": "x",
            "hours": [{"volunteer_id": outsider, "hours": 2}]}),
            &cast.leader,
        )
        .await
        .expect(422);
    assert_eq!(problem["errors"][0]["field"], "hours[0].volunteer_id");
    let tomorrow = today.succ_opt().unwrap();
    let problem = app
        .act(
            &id,
            "complete",
            json!({"served_on": tomorrow.to_string(), "attendees": 10, "summary": "x",
            "hours": [{"volunteer_id": cast.volunteer, "hours": 2}]}),
            &cast.leader,
        )
        .await
        .expect(422);
    assert_eq!(problem["errors"][0]["field"], "served_on");

    // 20 h today on one order, then 5 more on another passes 24.
    app.act(
        &id,
        "complete",
        json!({"served_on": today.to_string(), "attendees": 10, "summary": "x",
        "hours": [{"volunteer_id": cast.volunteer, "hours": 20}]}),
        &cast.leader,
    )
    .await
    .expect(200);
    let (second, _) = cast.order_in(&app, "claimed").await;
    let problem = app
        .act(
            &second,
            "complete",
            json!({"served_on": today.to_string(), "attendees": 10, "summary": "x",
            "hours": [{"volunteer_id": cast.volunteer, "hours": 5}]}),
            &cast.leader,
        )
        .await
        .expect(422);
    assert_eq!(problem["errors"][0]["field"], "hours[0].hours");
    app.act(
        &second,
        "complete",
        json!({"served_on": today.to_string(), "attendees": 10, "summary": "x",
        "hours": [{"volunteer_id": cast.volunteer, "hours": 4}]}),
        &cast.leader,
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn orders_route_to_the_village_station_then_township_then_the_centre() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let village = app
        .post(
            "/api/v1/townships/balagong/villages",
            &json!({"name": "沙日召嘎查"}),
            Some(&admin),
        )
        .await
        .expect(201);
    let village_id = village["id"].as_str().unwrap();
    let special = app
        .post(
            "/api/v1/stations",
            &json!({"name": "沙日召党群服务站", "township_codes": [], "village_ids": [village_id]}),
            Some(&admin),
        )
        .await
        .expect(201);
    let mut body = TestApp::order_body();
    body["township"] = json!("balagong");
    body["village"] = json!(village_id);
    let o = app.post("/api/v1/orders", &body, None).await.expect(201);
    assert_eq!(o["station_id"], special["id"]);
    body["village"] = json!("沙日召嘎查");
    assert_eq!(
        app.post("/api/v1/orders", &body, None).await.expect(201)["station_id"],
        special["id"],
        "by village name too"
    );

    body.as_object_mut().unwrap().remove("village");
    let town = app.post("/api/v1/orders", &body, None).await.expect(201);
    let stations = app.get("/api/v1/stations", None).await.expect(200);
    let balagong = stations["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["township_codes"] == json!(["balagong"]))
        .unwrap();
    assert_eq!(town["station_id"], balagong["id"]);

    // A station created with no coverage is a fallback (a banner-level centre).
    let uncovered = app
        .post(
            "/api/v1/stations",
            &json!({"name": "临时站", "township_codes": []}),
            Some(&admin),
        )
        .await
        .expect(201);
    assert_eq!(uncovered["is_fallback"], true);
}

#[tokio::test]
async fn a_township_no_station_covers_goes_to_the_banner_level_centre() {
    // Another county's data, with a township that no station covers: routing is data.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("county.toml");
    std::fs::write(
        &data,
        r#"
[[townships]]
code = "east"
name_zh = "东镇"
[[townships]]
code = "west"
name_zh = "西镇"
[[departments]]
code = "ag"
name_zh = "农业局"
[[themes]]
code = "farming"
name_zh = "种养殖技术"
[[target_groups]]
code = "farmers"
name_zh = "农民"
[[stations]]
name_zh = "县新时代文明实践中心"
covers = []
[[stations]]
name_zh = "东镇实践所"
covers = ["east"]
"#,
    )
    .unwrap();
    let app = spawn_app_with(|s| s.data_file = Some(data.clone())).await;
    let stations = app.get("/api/v1/stations", None).await.expect(200);
    let id_of = |name: &str| {
        stations["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["id"]
            .clone()
    };
    let order = |township: &str| {
        json!({"theme": "farming", "description": "求助", "township": township,
        "contact_name": "王", "contact_phone": "13812345678"})
    };
    let east = app
        .post("/api/v1/orders", &order("east"), None)
        .await
        .expect(201);
    assert_eq!(east["station_id"], id_of("东镇实践所"));
    let west = app
        .post("/api/v1/orders", &order("west"), None)
        .await
        .expect(201);
    assert_eq!(
        west["station_id"],
        id_of("县新时代文明实践中心"),
        "uncovered township → the centre"
    );
}
