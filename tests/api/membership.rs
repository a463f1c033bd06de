//! Team membership needs the volunteer's consent (issue 10, gap 2): the association adds at once,
//! a leader only invites; until the volunteer accepts, the leader sees none of their hours or
//! certificates and cannot file hours in their name.

use crate::helpers::*;
use serde_json::{Value, json};

/// Registers and approves a volunteer; returns (volunteer id, their token).
async fn approved_volunteer(app: &TestApp) -> (String, String) {
    let phone = format!("137{:08}", app.next());
    let v = app
        .post(
            "/api/v1/volunteers",
            &json!({"real_name": "萨仁", "phone": phone, "township": "xini", "password": "password-123"}),
            None,
        )
        .await
        .expect(201);
    let id = v["id"].as_str().expect("volunteer id").to_owned();
    app.post(
        &format!("/api/v1/volunteers/{id}/approve"),
        &json!({}),
        Some(&app.admin().await),
    )
    .await
    .expect(200);
    (id, app.login(&phone, "password-123").await)
}

async fn invite(app: &TestApp, team: &str, volunteer: &str, leader: &str) -> Value {
    app.post(
        &format!("/api/v1/teams/{team}/members"),
        &json!({"volunteer_id": volunteer}),
        Some(leader),
    )
    .await
    .expect(202)
}

fn member_ids(members: &Value) -> Vec<String> {
    members["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m["volunteer_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_leader_only_invites_and_gains_nothing_until_the_volunteer_accepts() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (other_team, _) = app.team().await;
    // A member of another team, added there by the association.
    let (volunteer, token) = approved_volunteer(&app).await;
    let added = app
        .post(
            &format!("/api/v1/teams/{other_team}/members"),
            &json!({"volunteer_id": volunteer}),
            Some(&app.admin().await),
        )
        .await
        .expect(201);
    assert_eq!(added["state"], "member");

    let invitation = invite(&app, &cast.team_id, &volunteer, &cast.leader).await;
    assert_eq!(invitation["state"], "invited");
    assert_eq!(invitation["team_id"], cast.team_id.as_str());
    assert_eq!(invitation["volunteer_id"], volunteer.as_str());
    let id = invitation["id"].as_str().expect("invitation id").to_owned();
    // Asking again is the same invitation, not a second one.
    let again = invite(&app, &cast.team_id, &volunteer, &cast.leader).await;
    assert_eq!(again["id"], id.as_str());

    // Invited is not a member: no hours, no certificate, not listed, no hours filed.
    let hours = format!("/api/v1/volunteers/{volunteer}/hours");
    let certificate = format!("/api/v1/volunteers/{volunteer}/certificate");
    app.get(&hours, Some(&cast.leader)).await.expect(404);
    app.get(&certificate, Some(&cast.leader)).await.expect(404);
    let members = app
        .get(
            &format!("/api/v1/teams/{}/members", cast.team_id),
            Some(&cast.leader),
        )
        .await
        .expect(200);
    assert!(!member_ids(&members).contains(&volunteer));
    let order = cast.claimed_with(&app, json!({})).await;
    let completion = |who: &str| {
        json!({"served_on": today().to_string(), "attendees": 20, "summary": "服务完成",
               "hours": [{"volunteer_id": who, "hours": 2.0}]})
    };
    let problem = app
        .act(&order, "complete", completion(&volunteer), &cast.leader)
        .await
        .expect(422);
    assert_eq!(problem["errors"][0]["field"], "hours[0].volunteer_id");

    // The volunteer sees the invitation; nobody else can answer it.
    let open = app
        .get("/api/v1/me/invitations", Some(&token))
        .await
        .expect(200);
    assert_eq!(open["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(open["items"][0]["id"], id.as_str());
    assert!(
        open["items"][0]["team_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    let (_, stranger) = approved_volunteer(&app).await;
    let accept = format!("/api/v1/me/invitations/{id}/accept");
    let decline = format!("/api/v1/me/invitations/{id}/decline");
    app.post(&accept, &json!({}), Some(&stranger))
        .await
        .expect(404);
    app.post(&decline, &json!({}), Some(&stranger))
        .await
        .expect(404);
    app.post(&accept, &json!({}), Some(&cast.leader))
        .await
        .expect(403);
    app.post(&accept, &json!({}), None).await.expect(401);

    // Accepted: now a member, and only now.
    let accepted = app
        .post(&accept, &json!({}), Some(&token))
        .await
        .expect(200);
    assert_eq!(accepted["state"], "accepted");
    assert!(accepted["answered_at"].is_string());
    let twice = app
        .post(&accept, &json!({}), Some(&token))
        .await
        .expect(409);
    assert_eq!(
        (twice["code"].as_str(), twice["current_state"].as_str()),
        (Some("invitation.answered"), Some("accepted"))
    );
    app.post(&decline, &json!({}), Some(&token))
        .await
        .expect(409);
    app.get(&hours, Some(&cast.leader)).await.expect(200);
    app.get(&certificate, Some(&cast.leader)).await.expect(200);
    let members = app
        .get(
            &format!("/api/v1/teams/{}/members", cast.team_id),
            Some(&cast.leader),
        )
        .await
        .expect(200);
    assert!(member_ids(&members).contains(&volunteer));
    app.act(&order, "complete", completion(&volunteer), &cast.leader)
        .await
        .expect(200);
    let open = app
        .get("/api/v1/me/invitations", Some(&token))
        .await
        .expect(200);
    assert_eq!(open["items"], json!([]));
    // Inviting a member is a conflict with a clear code.
    let problem = app
        .post(
            &format!("/api/v1/teams/{}/members", cast.team_id),
            &json!({"volunteer_id": volunteer}),
            Some(&cast.leader),
        )
        .await
        .expect(409);
    assert_eq!(problem["code"], "team.already_member");
}

#[tokio::test]
async fn declined_invitations_can_be_renewed_and_the_association_still_adds_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (team, leader) = app.team().await;
    let (volunteer, token) = approved_volunteer(&app).await;
    let members_path = format!("/api/v1/teams/{team}/members");

    // Bad input is listed and changes nothing.
    for (body, field) in [
        (json!({}), "volunteer_id"),
        (json!({"volunteer_id": "not-a-uuid"}), "volunteer_id"),
        (
            json!({"volunteer_id": "00000000-0000-7000-8000-000000000000"}),
            "volunteer_id",
        ),
    ] {
        let problem = app
            .post(&members_path, &body, Some(&leader))
            .await
            .expect(422);
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let pending = app
        .post(
            "/api/v1/volunteers",
            &json!({"real_name": "巴图", "phone": "13712345670", "township": "xini", "password": "password-123"}),
            None,
        )
        .await
        .expect(201);
    app.post(
        &members_path,
        &json!({"volunteer_id": pending["id"]}),
        Some(&leader),
    )
    .await
    .expect(422);
    let open = app
        .get("/api/v1/me/invitations", Some(&token))
        .await
        .expect(200);
    assert_eq!(open["items"], json!([]));

    // Declined, then invited again: the same invitation, open once more.
    let id = invite(&app, &team, &volunteer, &leader).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let declined = app
        .post(
            &format!("/api/v1/me/invitations/{id}/decline"),
            &json!({}),
            Some(&token),
        )
        .await
        .expect(200);
    assert_eq!(declined["state"], "declined");
    app.get(
        &format!("/api/v1/volunteers/{volunteer}/hours"),
        Some(&leader),
    )
    .await
    .expect(404);
    let renewed = invite(&app, &team, &volunteer, &leader).await;
    assert_eq!(
        (renewed["id"].as_str(), renewed["state"].as_str()),
        (Some(id.as_str()), Some("invited"))
    );
    assert!(renewed["answered_at"].is_null());

    // Suspended meanwhile: accepting is refused and the invitation stays open.
    app.post(
        &format!("/api/v1/volunteers/{volunteer}/suspend"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    let problem = app
        .post(
            &format!("/api/v1/me/invitations/{id}/accept"),
            &json!({}),
            Some(&token),
        )
        .await
        .expect(409);
    assert_eq!(problem["code"], "volunteer.not_approved");
    app.post(
        &format!("/api/v1/volunteers/{volunteer}/approve"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);

    // The association adds at once; the open invitation is then moot and gone.
    let added = app
        .post(
            &members_path,
            &json!({"volunteer_id": volunteer}),
            Some(&admin),
        )
        .await
        .expect(201);
    assert_eq!(added["state"], "member");
    assert_eq!(added["volunteer_state"], "approved");
    let open = app
        .get("/api/v1/me/invitations", Some(&token))
        .await
        .expect(200);
    assert_eq!(open["items"], json!([]));
    app.post(
        &format!("/api/v1/me/invitations/{id}/accept"),
        &json!({}),
        Some(&token),
    )
    .await
    .expect(404);

    // Unknown ids and callers who have no invitations.
    app.post(
        "/api/v1/me/invitations/00000000-0000-7000-8000-000000000000/accept",
        &json!({}),
        Some(&token),
    )
    .await
    .expect(404);
    app.post(
        "/api/v1/me/invitations/nonsense/decline",
        &json!({}),
        Some(&token),
    )
    .await
    .expect(404);
    app.get("/api/v1/me/invitations", Some(&leader))
        .await
        .expect(403);
    app.get("/api/v1/me/invitations", None).await.expect(401);
}

#[tokio::test]
async fn the_invitation_endpoints_are_documented_with_problem_responses() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
    let paths = &doc["paths"];
    let add = &paths["/api/v1/teams/{id}/members"]["post"]["responses"];
    assert!(add["201"].is_object() && add["202"].is_object(), "{add}");
    for (path, method, statuses) in [
        (
            "/api/v1/teams/{id}/members",
            "post",
            &["400", "401", "403", "404", "409", "422"][..],
        ),
        ("/api/v1/me/invitations", "get", &["401", "403"][..]),
        (
            "/api/v1/me/invitations/{id}/accept",
            "post",
            &["401", "403", "404", "409"][..],
        ),
        (
            "/api/v1/me/invitations/{id}/decline",
            "post",
            &["401", "403", "404", "409"][..],
        ),
    ] {
        let responses = &paths[path][method]["responses"];
        assert!(
            responses["200"].is_object() || responses["201"].is_object(),
            "{path}"
        );
        for status in statuses {
            let problem = &responses[*status]["content"]["application/problem+json"]["schema"];
            assert_eq!(
                problem["$ref"], "#/components/schemas/Problem",
                "{method} {path} {status}"
            );
        }
    }
}
