//! Accounts that can be managed: changing one's password ends the other sessions, a reset
//! forces a change before anything else, deactivation stops tokens at once and activation
//! lets the user back in, logout stops the access token, failed sign-ins slow down per
//! username whatever the client, and the association's user list filters and pages.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "password-123";

/// One sign-in: the pair's two tokens.
struct Pair {
    access: String,
    refresh: String,
    user: Value,
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> Pair {
    let body = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": username, "password": password}),
            None,
        )
        .await
        .expect(200);
    Pair {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        user: body["user"].clone(),
    }
}

/// A station staff account: `(id, username)`.
async fn staff(app: &TestApp, display_name: &str) -> (String, String) {
    let username = format!("staff{}", app.next());
    let station_id = app.xini_station().await;
    let created = app
        .post(
            "/api/v1/users",
            &json!({"username": username, "password": PASSWORD, "role": "station_staff",
                    "display_name": display_name, "station_id": station_id}),
            Some(&app.admin().await),
        )
        .await
        .expect(201);
    assert_eq!(created["active"], true);
    assert_eq!(created["must_change_password"], false);
    (created["id"].as_str().unwrap().to_owned(), username)
}

async fn refresh(app: &TestApp, token: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": token}),
        None,
    )
    .await
}

async fn login_reply(app: &TestApp, username: &str, password: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/login",
        &json!({"username": username, "password": password}),
        None,
    )
    .await
}

/// Asserts the access token is refused as revoked.
#[track_caller]
fn assert_revoked(reply: crate::helpers::Reply, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    assert_eq!(reply.body["code"], "auth.revoked", "{what}: {}", reply.body);
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_and_keeps_this_one() {
    let app = spawn_app().await;
    let (_, username) = staff(&app, "改密码的人").await;
    let this = sign_in(&app, &username, PASSWORD).await;
    let other = sign_in(&app, &username, PASSWORD).await;
    app.get("/api/v1/orders", Some(&other.access))
        .await
        .expect(200);

    let reply = app
        .post(
            "/api/v1/me/password",
            &json!({"current_password": PASSWORD, "new_password": "a-new-password-456"}),
            Some(&this.access),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);

    assert_revoked(
        app.get("/api/v1/orders", Some(&other.access)).await,
        "the other session's access token",
    );
    assert_revoked(
        refresh(&app, &other.refresh).await,
        "the other session's refresh token",
    );
    app.get("/api/v1/orders", Some(&this.access))
        .await
        .expect(200);
    refresh(&app, &this.refresh).await.expect(200);
    assert_eq!(
        login_reply(&app, &username, PASSWORD).await.expect(401)["code"],
        "auth.bad_credentials",
        "the old password no longer works"
    );
    sign_in(&app, &username, "a-new-password-456").await;
}

#[tokio::test]
async fn a_bad_password_change_lists_every_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, username) = staff(&app, "填错的人").await;
    let pair = sign_in(&app, &username, PASSWORD).await;
    let other = sign_in(&app, &username, PASSWORD).await;
    let change = |body: Value| {
        let token = pair.access.clone();
        let app = &app;
        async move {
            app.post("/api/v1/me/password", &body, Some(&token))
                .await
                .expect(422)
        }
    };
    let fields = |body: &Value| -> Vec<String> {
        let mut f: Vec<String> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        f.sort();
        f
    };

    let missing = change(json!({})).await;
    assert_eq!(missing["code"], "validation.failed");
    assert_eq!(fields(&missing), ["current_password", "new_password"]);
    let short = change(json!({"current_password": PASSWORD, "new_password": "short"})).await;
    assert_eq!(fields(&short), ["new_password"]);
    let same = change(json!({"current_password": PASSWORD, "new_password": PASSWORD})).await;
    assert_eq!(fields(&same), ["new_password"]);
    // A wrong current password is a 422 on that field (documented), not a 403: the caller
    // may change their password, the value sent is wrong.
    let wrong = change(
        json!({"current_password": "not-my-password", "new_password": "a-new-password-456"}),
    )
    .await;
    assert_eq!(fields(&wrong), ["current_password"]);
    let types = app
        .post(
            "/api/v1/me/password",
            &json!({"current_password": 5, "new_password": true}),
            Some(&pair.access),
        )
        .await
        .expect(400);
    assert_eq!(types["errors"].as_array().unwrap().len(), 2);
    app.post(
        "/api/v1/me/password",
        &json!({"current_password": PASSWORD, "new_password": "a-new-password-456"}),
        None,
    )
    .await
    .expect(401);

    // Nothing changed: the password and both sessions still work.
    sign_in(&app, &username, PASSWORD).await;
    app.get("/api/v1/orders", Some(&other.access))
        .await
        .expect(200);
}

#[tokio::test]
async fn a_reset_ends_every_session_and_forces_a_change_before_anything_else() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, username) = staff(&app, "忘了密码的人").await;
    let before = sign_in(&app, &username, PASSWORD).await;

    let reset = app
        .post(
            &format!("/api/v1/users/{id}/reset-password"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
    let temporary = reset["temporary_password"].as_str().unwrap().to_owned();
    assert!(temporary.chars().count() >= 12, "{temporary}");
    assert_revoked(
        app.get("/api/v1/orders", Some(&before.access)).await,
        "a session from before the reset",
    );
    assert_revoked(
        refresh(&app, &before.refresh).await,
        "a refresh token from before the reset",
    );
    login_reply(&app, &username, PASSWORD).await.expect(401);

    let pair = sign_in(&app, &username, &temporary).await;
    assert_eq!(pair.user["must_change_password"], true);
    let me = app.get("/api/v1/me", Some(&pair.access)).await.expect(200);
    assert_eq!(me["must_change_password"], true);
    assert_eq!(me["active"], true);
    for (method, path) in [
        (Method::GET, "/api/v1/orders"),
        (Method::GET, "/api/v1/notifications"),
        (Method::GET, "/api/v1/users"),
    ] {
        let reply = app
            .request(
                method.clone(),
                path,
                Some(&json!({})),
                Some(&format!("Bearer {}", pair.access)),
            )
            .await;
        assert_eq!(reply.status, 403, "{method} {path}: {}", reply.body);
        assert_eq!(reply.body["code"], "auth.password_change_required");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
    // `me` (read and settings) stays open, and so does signing out of another session.
    app.request(
        Method::PATCH,
        "/api/v1/me",
        Some(&json!({"notify_non_urgent": false})),
        Some(&format!("Bearer {}", pair.access)),
    )
    .await
    .expect(200);
    let spare = sign_in(&app, &username, &temporary).await;
    let reply = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": spare.refresh}),
            Some(&spare.access),
        )
        .await;
    assert_eq!(reply.status, 204);

    let reply = app
        .post(
            "/api/v1/me/password",
            &json!({"current_password": temporary, "new_password": "my-own-password-789"}),
            Some(&pair.access),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    app.get("/api/v1/orders", Some(&pair.access))
        .await
        .expect(200);
    let me = app.get("/api/v1/me", Some(&pair.access)).await.expect(200);
    assert_eq!(me["must_change_password"], false);
    let again = sign_in(&app, &username, "my-own-password-789").await;
    assert_eq!(again.user["must_change_password"], false);

    for bad in ["not-a-uuid", "0190a5f0-0000-7000-8000-000000000000"] {
        app.post(
            &format!("/api/v1/users/{bad}/reset-password"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(404);
    }
}

#[tokio::test]
async fn deactivation_stops_tokens_at_once_and_activation_lets_the_user_sign_in_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (id, username) = staff(&app, "离职的人").await;
    let pair = sign_in(&app, &username, PASSWORD).await;
    app.get("/api/v1/orders", Some(&pair.access))
        .await
        .expect(200);

    let user = app
        .post(
            &format!("/api/v1/users/{id}/deactivate"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(user["active"], false);
    assert_eq!(user["id"], id.as_str());
    assert_revoked(
        app.get("/api/v1/orders", Some(&pair.access)).await,
        "the access token after deactivation",
    );
    assert_revoked(
        app.get("/api/v1/me", Some(&pair.access)).await,
        "`me` after deactivation",
    );
    assert_revoked(
        refresh(&app, &pair.refresh).await,
        "the refresh token after deactivation",
    );
    // The right password fails exactly as a wrong one does.
    let right = login_reply(&app, &username, PASSWORD).await.expect(401);
    let wrong = login_reply(&app, &username, "wrong-password")
        .await
        .expect(401);
    assert_eq!(right, wrong);
    // Deactivating again changes nothing; the association cannot deactivate itself.
    app.post(
        &format!("/api/v1/users/{id}/deactivate"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    let me = app.get("/api/v1/me", Some(&admin)).await.expect(200);
    let own = app
        .post(
            &format!("/api/v1/users/{}/deactivate", me["id"].as_str().unwrap()),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(403);
    assert_eq!(own["code"], "auth.forbidden");
    let listed = app
        .get("/api/v1/users?active=false", Some(&admin))
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], id.as_str());

    let user = app
        .post(
            &format!("/api/v1/users/{id}/activate"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(user["active"], true);
    assert_revoked(
        app.get("/api/v1/orders", Some(&pair.access)).await,
        "a token from before the deactivation stays dead",
    );
    let back = sign_in(&app, &username, PASSWORD).await;
    app.get("/api/v1/orders", Some(&back.access))
        .await
        .expect(200);
    app.post(
        "/api/v1/users/0190a5f0-0000-7000-8000-000000000000/activate",
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn logout_stops_that_sessions_access_token_and_no_other() {
    let app = spawn_app().await;
    let (_, username) = staff(&app, "下班的人").await;
    let leaving = sign_in(&app, &username, PASSWORD).await;
    let staying = sign_in(&app, &username, PASSWORD).await;
    let reply = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": leaving.refresh}),
            Some(&leaving.access),
        )
        .await;
    assert_eq!(reply.status, 204);
    assert_revoked(
        app.get("/api/v1/orders", Some(&leaving.access)).await,
        "the signed-out access token",
    );
    assert_revoked(
        refresh(&app, &leaving.refresh).await,
        "the signed-out refresh token",
    );
    app.get("/api/v1/orders", Some(&staying.access))
        .await
        .expect(200);
    refresh(&app, &staying.refresh).await.expect(200);
}

#[tokio::test]
async fn failed_sign_ins_slow_down_that_username_only_with_a_growing_wait() {
    let app = spawn_app().await;
    let (_, target) = staff(&app, "被猜密码的人").await;
    let (_, bystander) = staff(&app, "同一台电脑的人").await;

    for i in 1..=5 {
        let reply = login_reply(&app, &target, "wrong-password").await;
        assert_eq!(reply.status, 401, "failure {i}: {}", reply.body);
    }
    // Locked: even the right password waits, and says how long.
    let locked = login_reply(&app, &target, PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.headers["retry-after"], "30");
    assert_eq!(locked.headers["content-type"], "application/problem+json");
    // Same client, another username: unaffected.
    sign_in(&app, &bystander, PASSWORD).await;

    // Once the wait is over, one more failure locks it for twice as long.
    app.clock.advance(chrono::Duration::seconds(31));
    login_reply(&app, &target, "wrong-password")
        .await
        .expect(401);
    let locked = login_reply(&app, &target, PASSWORD).await;
    assert_eq!(locked.status, 429);
    assert_eq!(locked.headers["retry-after"], "60");

    // A success resets the count: four more failures do not lock.
    app.clock.advance(chrono::Duration::seconds(61));
    sign_in(&app, &target, PASSWORD).await;
    for _ in 0..4 {
        login_reply(&app, &target, "wrong-password")
            .await
            .expect(401);
    }
    sign_in(&app, &target, PASSWORD).await;

    // Unknown usernames are slowed the same way (no username oracle), and the window passes.
    for _ in 0..5 {
        login_reply(&app, "nobody-here", "wrong-password")
            .await
            .expect(401);
    }
    let locked = login_reply(&app, "NOBODY-here", "wrong-password").await;
    assert_eq!(locked.status, 429);
    assert_eq!(locked.headers["retry-after"], "30");
    app.clock.advance(chrono::Duration::minutes(15));
    login_reply(&app, "nobody-here", "wrong-password")
        .await
        .expect(401);
}

#[tokio::test]
async fn the_wait_doubles_up_to_fifteen_minutes() {
    let app = spawn_app().await;
    let (_, target) = staff(&app, "被反复猜的人").await;
    let mut waits = Vec::new();
    for _ in 0..5 {
        login_reply(&app, &target, "wrong-password")
            .await
            .expect(401);
    }
    for _ in 0..6 {
        let locked = login_reply(&app, &target, "wrong-password").await;
        assert_eq!(locked.status, 429);
        let wait: i64 = locked.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        waits.push(wait);
        app.clock.advance(chrono::Duration::seconds(wait));
        login_reply(&app, &target, "wrong-password")
            .await
            .expect(401);
    }
    assert_eq!(waits, [30, 60, 120, 240, 480, 900]);
    // The fifteen-minute wait outlasted the window: the count has started again.
    login_reply(&app, &target, "wrong-password")
        .await
        .expect(401);
}

#[tokio::test]
async fn wrong_current_passwords_count_towards_the_slow_down() {
    let app = spawn_app().await;
    let (_, username) = staff(&app, "令牌被偷的人").await;
    let pair = sign_in(&app, &username, PASSWORD).await;
    for _ in 0..5 {
        app.post(
            "/api/v1/me/password",
            &json!({"current_password": "guess-1234", "new_password": "a-new-password-456"}),
            Some(&pair.access),
        )
        .await
        .expect(422);
    }
    let locked = app
        .post(
            "/api/v1/me/password",
            &json!({"current_password": PASSWORD, "new_password": "a-new-password-456"}),
            Some(&pair.access),
        )
        .await;
    assert_eq!(locked.status, 429);
    assert!(locked.headers.contains_key("retry-after"));
    assert_eq!(login_reply(&app, &username, PASSWORD).await.status, 429);
}

/// The ids of every item over all pages of `path` (which has a query already).
async fn all_pages(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&limit=2&cursor={c}"),
            None => format!("{path}&limit=2"),
        };
        let page = app.get(&url, Some(token)).await.expect(200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        ids.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    ids
}

#[tokio::test]
async fn the_user_list_filters_and_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut staff_ids = Vec::new();
    for name in ["甲站员", "乙站员", "丙站员", "Staff_Percent%"] {
        staff_ids.push(staff(&app, name).await.0);
    }
    app.team().await;

    let all = app.get("/api/v1/users", Some(&admin)).await.expect(200);
    let items = all["items"].as_array().unwrap();
    assert!(items.iter().any(|u| u["username"] == "admin"));
    assert!(
        items
            .iter()
            .all(|u| u["active"].is_boolean() && u["must_change_password"].is_boolean())
    );
    assert!(items.iter().all(|u| u.get("password_hash").is_none()));

    let mut by_role = all_pages(&app, "/api/v1/users?role=station_staff", &admin).await;
    let mut expected = staff_ids.clone();
    expected.reverse();
    assert_eq!(by_role, expected, "newest first, every page once");
    by_role.dedup();
    assert_eq!(by_role.len(), 4);

    let found = app
        .get("/api/v1/users?q=%E4%B9%99", Some(&admin))
        .await
        .expect(200);
    let found = found["items"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["display_name"], "乙站员");
    // As wildcards, `f_` would match every `staffN` and `%` everyone.
    for q in ["f_", "%25"] {
        let literal = app
            .get(&format!("/api/v1/users?q={q}"), Some(&admin))
            .await
            .expect(200);
        let items = literal["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{q} matches only itself: {literal}");
        assert_eq!(items[0]["display_name"], "Staff_Percent%");
    }
    let by_username = app
        .get("/api/v1/users?q=ADMIN&role=association_admin", Some(&admin))
        .await
        .expect(200);
    assert_eq!(by_username["items"][0]["username"], "admin");
    let leaders = app
        .get("/api/v1/users?role=team_leader&active=true", Some(&admin))
        .await
        .expect(200);
    assert_eq!(leaders["items"].as_array().unwrap().len(), 1);
    let none = app
        .get("/api/v1/users?active=false", Some(&admin))
        .await
        .expect(200);
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["next_cursor"], Value::Null);

    let bad = app
        .get(
            "/api/v1/users?role=king&active=maybe&limit=0&q=",
            Some(&admin),
        )
        .await
        .expect(422);
    let mut fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["active", "limit", "role"]);
    let bad_cursor = app
        .get("/api/v1/users?cursor=nonsense", Some(&admin))
        .await
        .expect(422);
    assert_eq!(bad_cursor["errors"][0]["field"], "cursor");
}

#[tokio::test]
async fn the_account_endpoints_are_documented_with_their_problems() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
    for (path, method, statuses) in [
        ("/api/v1/users", "get", &["401", "403", "422"][..]),
        (
            "/api/v1/me/password",
            "post",
            &["400", "401", "422", "429"][..],
        ),
        (
            "/api/v1/users/{id}/reset-password",
            "post",
            &["401", "403", "404"][..],
        ),
        (
            "/api/v1/users/{id}/deactivate",
            "post",
            &["401", "403", "404"][..],
        ),
        (
            "/api/v1/users/{id}/activate",
            "post",
            &["401", "403", "404"][..],
        ),
        ("/api/v1/auth/login", "post", &["401", "422", "429"][..]),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is documented");
        for status in statuses {
            assert!(
                op["responses"][status]["content"]["application/problem+json"].is_object(),
                "{method} {path} documents {status} as a problem: {}",
                op["responses"]
            );
        }
    }
    let user = &doc["components"]["schemas"]["UserView"]["properties"];
    assert!(user["active"].is_object() && user["must_change_password"].is_object());
}
