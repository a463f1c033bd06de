//! One winner: racing actions on one order never both succeed; retried submits never double.

use crate::helpers::*;
use futures::future::join_all;
use serde_json::json;

#[tokio::test]
async fn fifty_concurrent_claims_by_two_teams_have_exactly_one_winner() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (_, rival) = app.team().await;
    let (id, _) = cast.order_in(&app, "accepted").await;

    let claims = (0..50).map(|i| {
        let token = if i % 2 == 0 {
            cast.leader.clone()
        } else {
            rival.clone()
        };
        let app = &app;
        let id = id.clone();
        async move { app.act(&id, "claim", json!({}), &token).await }
    });
    let replies = join_all(claims).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    let lost = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        won.len(),
        1,
        "exactly one claim wins: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(lost, 49, "every other claim is a conflict");
    for r in replies.iter().filter(|r| r.status == 409) {
        assert_eq!(r.body["current_state"], "claimed");
    }

    let admin = app.admin().await;
    let history = app
        .get(&format!("/api/v1/orders/{id}/events"), Some(&admin))
        .await
        .expect(200);
    let claims = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "claim")
        .count();
    assert_eq!(claims, 1, "one claim event");
    assert_eq!(history["chain_valid"], true);
    let order = app
        .get(&format!("/api/v1/orders/{id}"), Some(&admin))
        .await
        .expect(200);
    assert_eq!(order["team_id"], won[0].body["team_id"]);
}

#[tokio::test]
async fn racing_different_actions_on_one_order_leave_one_consistent_history() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    for _ in 0..5 {
        let (id, resident) = cast.order_in(&app, "accepted").await;
        let (a, b, c) = tokio::join!(
            app.act(&id, "claim", json!({}), &cast.leader),
            app.act_as_resident(&id, "cancel", json!({}), &resident),
            app.act(&id, "cancel", json!({"reason": "重复"}), &admin),
        );
        let wins = [&a, &b, &c].iter().filter(|r| r.status == 200).count();
        assert!(wins >= 1, "someone wins");
        let history = app
            .get(&format!("/api/v1/orders/{id}/events"), Some(&admin))
            .await
            .expect(200);
        assert_eq!(history["chain_valid"], true);
        let order = app
            .get(&format!("/api/v1/orders/{id}"), Some(&admin))
            .await
            .expect(200);
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            order["state"], last["to_state"],
            "the order is where its history ends"
        );
    }
}

#[tokio::test]
async fn twenty_concurrent_submits_with_one_idempotency_key_make_one_order() {
    let app = spawn_app().await;
    let body = TestApp::order_body();
    let submits = (0..20).map(|_| {
        let app = &app;
        let body = body.clone();
        async move {
            app.send(
                app.client
                    .post(format!("{}/api/v1/orders", app.address))
                    .header("Idempotency-Key", "phone-7f3a-0001")
                    .json(&body),
            )
            .await
        }
    });
    let replies = join_all(submits).await;
    let ids: std::collections::HashSet<_> = replies
        .iter()
        .map(|r| r.body["id"].as_str().map(str::to_owned))
        .collect();
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, r.body.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(ids.len(), 1, "every reply names the same order");
    let tokens: std::collections::HashSet<_> = replies
        .iter()
        .map(|r| r.body["resident_token"].to_string())
        .collect();
    assert_eq!(tokens.len(), 1, "and gives the same resident token");

    let admin = app.admin().await;
    let list = app.get("/api/v1/orders", Some(&admin)).await.expect(200);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "one order exists"
    );
}
