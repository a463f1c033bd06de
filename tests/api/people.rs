//! Volunteers: registration, review, team membership, who sees hours.

use crate::helpers::*;
use serde_json::json;

fn registration(phone: &str) -> serde_json::Value {
    json!({"real_name": "乌云", "phone": phone, "township": "xini", "skills": "兽医", "id_number": "11010519491231002X", "password": "password-123"})
}

#[tokio::test]
async fn volunteers_register_pending_and_the_association_reviews_them() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let v = app
        .post("/api/v1/volunteers", &registration("13900000001"), None)
        .await
        .expect(201);
    assert_eq!(v["state"], "pending");
    assert_eq!(
        v["id_number"], "110105********002X",
        "ID numbers are never shown whole"
    );
    let id = v["id"].as_str().unwrap();

    let dup = app
        .post("/api/v1/volunteers", &registration("139 0000 0001"), None)
        .await
        .expect(422);
    assert_eq!(dup["errors"][0]["field"], "phone");

    let bad = app
        .post("/api/v1/volunteers", &json!({"real_name": "", "phone": "123", "township": "mars", "id_number": "123", "password": "short"}), None)
        .await
        .expect(422);
    let mut fields: Vec<_> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["id_number", "password", "phone", "real_name"]);

    let pending = app
        .get("/api/v1/volunteers?state=pending", Some(&admin))
        .await
        .expect(200);
    assert_eq!(pending["items"].as_array().unwrap().len(), 1);

    let reject_without_reason = app
        .post(
            &format!("/api/v1/volunteers/{id}/reject"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(422);
    assert_eq!(reject_without_reason["errors"][0]["field"], "reason");
    app.post(
        &format!("/api/v1/volunteers/{id}/suspend"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(409);
    assert_eq!(
        app.post(
            &format!("/api/v1/volunteers/{id}/approve"),
            &json!({}),
            Some(&admin)
        )
        .await
        .expect(200)["state"],
        "approved"
    );
    let again = app
        .post(
            &format!("/api/v1/volunteers/{id}/approve"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(409);
    assert_eq!(again["current_state"], "approved");
    assert_eq!(
        app.post(
            &format!("/api/v1/volunteers/{id}/suspend"),
            &json!({"reason": "长期未参加"}),
            Some(&admin)
        )
        .await
        .expect(200)["state"],
        "suspended"
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/volunteers/{id}/approve"),
            &json!({}),
            Some(&admin)
        )
        .await
        .expect(200)["state"],
        "approved"
    );
    app.post(
        "/api/v1/volunteers/00000000-0000-0000-0000-000000000000/approve",
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(404);

    // The volunteer signs in with their phone.
    let token = app.login("13900000001", "password-123").await;
    let me = app.get("/api/v1/me", Some(&token)).await.expect(200);
    assert_eq!(
        (me["role"].as_str(), me["volunteer_id"].as_str()),
        (Some("volunteer"), Some(id))
    );
}

#[tokio::test]
async fn only_approved_volunteers_join_teams_and_hours_are_seen_by_the_right_people() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (team, leader) = app.team().await;
    let (_, other_leader) = app.team().await;
    let pending = app
        .post("/api/v1/volunteers", &registration("13900000002"), None)
        .await
        .expect(201);
    let pending_id = pending["id"].as_str().unwrap();
    let problem = app
        .post(
            &format!("/api/v1/teams/{team}/members"),
            &json!({"volunteer_id": pending_id}),
            Some(&leader),
        )
        .await
        .expect(422);
    assert_eq!(problem["errors"][0]["field"], "volunteer_id");

    let member = app.member(&team).await;
    app.post(
        &format!("/api/v1/teams/{team}/members"),
        &json!({"volunteer_id": member}),
        Some(&admin),
    )
    .await
    .expect(409);
    app.post(
        &format!("/api/v1/teams/{team}/members"),
        &json!({"volunteer_id": member}),
        Some(&other_leader),
    )
    .await
    .expect(404);
    let members = app
        .get(&format!("/api/v1/teams/{team}/members"), Some(&leader))
        .await
        .expect(200);
    assert_eq!(members["items"][0]["volunteer_id"], member.as_str());
    assert_eq!(members["items"][0]["confirmed_hours"], 0.0);
    app.get(
        &format!("/api/v1/teams/{team}/members"),
        Some(&other_leader),
    )
    .await
    .expect(404);

    let hours = format!("/api/v1/volunteers/{member}/hours");
    app.get(&hours, Some(&leader)).await.expect(200);
    app.get(&hours, Some(&admin)).await.expect(200);
    app.get(&hours, Some(&other_leader)).await.expect(404);
    app.get(&hours, None).await.expect(401);
    let station = app
        .user(
            "station_staff",
            Some(("station_id", &app.xini_station().await)),
        )
        .await;
    app.get(&hours, Some(&station)).await.expect(403);
}

#[tokio::test]
async fn accounts_need_the_scope_their_role_needs() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let problem = app
        .post("/api/v1/users", &json!({"username": "zhan", "password": "password-123", "role": "station_staff", "display_name": "站"}), Some(&admin))
        .await
        .expect(422);
    assert_eq!(problem["errors"][0]["field"], "station_id");
    let problem = app
        .post(
            "/api/v1/users",
            &json!({"username": "x", "password": "short", "role": "king", "display_name": ""}),
            Some(&admin),
        )
        .await
        .expect(422);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 4);
    app.user(
        "station_staff",
        Some(("station_id", &app.xini_station().await)),
    )
    .await;
    let dup = app
        .post("/api/v1/users", &json!({"username": "admin", "password": "password-123", "role": "association_admin", "display_name": "另一个"}), Some(&admin))
        .await
        .expect(422);
    assert_eq!(dup["errors"][0]["field"], "username");
}
