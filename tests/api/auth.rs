//! Sign-in, token rotation and reuse detection, sign-out.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn login_me_refresh_rotate_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let pair = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
            None,
        )
        .await
        .expect(200);
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(pair["user"]["role"], "association_admin");
    let access = pair["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", Some(access)).await.expect(200);
    assert_eq!(me["username"], "admin");

    let first = pair["refresh_token"].as_str().unwrap();
    let second = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first}),
            None,
        )
        .await
        .expect(200);
    let second_token = second["refresh_token"].as_str().unwrap();
    assert_ne!(first, second_token, "rotated");
    app.get("/api/v1/me", second["access_token"].as_str())
        .await
        .expect(200);

    // Reusing the rotated token is theft: the whole family dies, including the new token.
    let reuse = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first}),
            None,
        )
        .await
        .expect(401);
    assert_eq!(reuse["code"], "auth.refresh_reused");
    app.post(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": second_token}),
        None,
    )
    .await
    .expect(401);
}

#[tokio::test]
async fn logout_revokes_and_bad_credentials_are_401() {
    let app = spawn_app().await;
    let pair = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "ADMIN", "password": ADMIN_PASSWORD}),
            None,
        )
        .await
        .expect(200);
    let access = pair["access_token"].as_str().unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap();
    app.post(
        "/api/v1/auth/logout",
        &json!({"refresh_token": refresh}),
        None,
    )
    .await
    .expect(401);
    let reply = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": refresh}),
            Some(access),
        )
        .await;
    assert_eq!(reply.status, 204);
    app.post(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": refresh}),
        None,
    )
    .await
    .expect(401);

    let wrong = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": "wrong-password"}),
            None,
        )
        .await
        .expect(401);
    assert_eq!(wrong["code"], "auth.bad_credentials");
    app.post(
        "/api/v1/auth/login",
        &json!({"username": "nobody", "password": "wrong-password"}),
        None,
    )
    .await
    .expect(401);
    let missing = app
        .post("/api/v1/auth/login", &json!({}), None)
        .await
        .expect(422);
    assert_eq!(missing["errors"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_expired_and_foreign_tokens_are_401() {
    let app = spawn_app().await;
    for header in [
        "Bearer nonsense",
        "Bearer ",
        "Basic YWRtaW46eA==",
        "Resident unknown-token",
    ] {
        let reply = app
            .request(reqwest::Method::GET, "/api/v1/orders", None, Some(header))
            .await;
        assert_eq!(reply.status, 401, "{header}");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
    // A token signed with another secret.
    let other =
        kepu_api::auth::TokenKeys::new(Some("some-other-secret-that-is-long-enough-1234")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = kepu_api::auth::Claims {
        sub: uuid::Uuid::now_v7(),
        role: kepu_domain::Role::AssociationAdmin,
        station_id: None,
        department_id: None,
        team_id: None,
        volunteer_id: None,
        exp: now + 600,
        iat: now,
        jti: uuid::Uuid::now_v7(),
        sid: uuid::Uuid::now_v7(),
    };
    let forged = other.sign(&claims).unwrap();
    assert_eq!(
        app.get("/api/v1/orders", Some(&forged)).await.expect(401)["code"],
        "auth.invalid"
    );
    let ours =
        kepu_api::auth::TokenKeys::new(Some("test-secret-that-is-long-enough-for-hs256-keys"))
            .unwrap();
    let expired = ours
        .sign(&kepu_api::auth::Claims {
            exp: now - 5,
            ..claims
        })
        .unwrap();
    assert_eq!(
        app.get("/api/v1/orders", Some(&expired)).await.expect(401)["code"],
        "auth.expired"
    );
}
