//! The association's administration in the console (`/console/admin/…`): accounts created with
//! a role and scope, a password reset shown once, deactivation and activation, parked mail sent
//! again, and stations, departments, teams and villages added, each checked through the API.

use crate::console::{account, signed_in};
use crate::helpers::*;
use kepu_api::entity::notifications;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

async fn admin_console(app: &TestApp) -> Browser<'_> {
    signed_in(app, "admin", ADMIN_PASSWORD).await
}

async fn user_named(app: &TestApp, username: &str) -> Option<Value> {
    let list = app
        .get(
            &format!("/api/v1/users?q={username}&limit=200"),
            Some(&app.admin().await),
        )
        .await
        .expect(200);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .cloned()
}

async fn login_status(app: &TestApp, username: &str, password: &str) -> u16 {
    app.post(
        "/api/v1/auth/login",
        &json!({"username": username, "password": password}),
        None,
    )
    .await
    .status
    .as_u16()
}

#[tokio::test]
async fn accounts_are_created_reset_deactivated_and_activated() {
    let app = spawn_app().await;
    let station = app.xini_station().await;
    let mut b = admin_console(&app).await;
    let index = b.get("/console/admin").await;
    assert_eq!(index.status, StatusCode::OK);
    for page in [
        "users",
        "stations",
        "departments",
        "teams",
        "villages",
        "mail",
    ] {
        assert!(
            index
                .html
                .contains(&format!("href=\"/console/admin/{page}\""))
        );
        assert_eq!(
            b.get(&format!("/console/admin/{page}")).await.status,
            StatusCode::OK,
            "{page}"
        );
    }
    let page = b.get("/console/admin/users").await;
    let csrf = page.input("csrf");

    // The scope the role needs is required: refused beside the field, input kept.
    let refused = b
        .post(
            "/console/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "clerk1"),
                ("display_name", "派单员"),
                ("password", "password-123"),
                ("role", "station_staff"),
                ("station_id", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.error("station_id").is_empty());
    assert_eq!(refused.input("username"), "clerk1");
    assert!(
        !refused.html.contains("password-123"),
        "passwords are not sent back"
    );
    assert!(user_named(&app, "clerk1").await.is_none());

    let created = b
        .post(
            "/console/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "clerk1"),
                ("display_name", "派单员"),
                ("password", "password-123"),
                ("role", "station_staff"),
                ("station_id", &station),
                ("department_id", "ignored-for-this-role"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let user = user_named(&app, "clerk1").await.unwrap();
    assert_eq!(user["role"], "station_staff");
    assert_eq!(user["station_id"], station.as_str());
    assert_eq!(login_status(&app, "clerk1", "password-123").await, 200);
    // A taken username is refused beside the field.
    let taken = b
        .post(
            "/console/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "clerk1"),
                ("display_name", "另一人"),
                ("password", "password-123"),
                ("role", "association_admin"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!taken.error("username").is_empty());

    // A reset shows the temporary password once; it signs in and must be changed.
    let id = user["id"].as_str().unwrap();
    let reset = b
        .post(
            &format!("/console/admin/users/{id}/reset-password"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(reset.headers["cache-control"], "no-store");
    let marker = "id=\"temporary-password\">";
    let start = reset.html.find(marker).unwrap() + marker.len();
    let end = reset.html[start..].find('<').unwrap() + start;
    let temporary = reset.html[start..end].to_owned();
    assert!(temporary.len() >= 8);
    assert_eq!(login_status(&app, "clerk1", "password-123").await, 401);
    let session = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "clerk1", "password": temporary}),
            None,
        )
        .await
        .expect(200);
    assert_eq!(session["user"]["must_change_password"], true);
    let again = b.get("/console/admin/users").await;
    assert!(!again.html.contains(&temporary), "shown only once");

    // Deactivated: sign-in fails; activated: it works again.
    let off = b
        .post(
            &format!("/console/admin/users/{id}/deactivate"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert_eq!(user_named(&app, "clerk1").await.unwrap()["active"], false);
    assert_eq!(login_status(&app, "clerk1", &temporary).await, 401);
    let on = b
        .post(
            &format!("/console/admin/users/{id}/activate"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(login_status(&app, "clerk1", &temporary).await, 200);

    // Nobody deactivates their own account; forged and unknown posts change nothing.
    let me = user_named(&app, "admin").await.unwrap();
    let own = b
        .post(
            &format!(
                "/console/admin/users/{}/deactivate",
                me["id"].as_str().unwrap()
            ),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert_eq!(user_named(&app, "admin").await.unwrap()["active"], true);
    let forged = b
        .post(&format!("/console/admin/users/{id}/deactivate"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(user_named(&app, "clerk1").await.unwrap()["active"], true);
    for bad in [
        "/console/admin/users/nobody/deactivate".to_owned(),
        format!("/console/admin/users/{id}/delete"),
        format!("/console/admin/users/{}/activate", uuid::Uuid::now_v7()),
    ] {
        assert_eq!(
            b.post(&bad, &[("csrf", &csrf)]).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    // The list filters as the API's does.
    let filtered = b
        .get("/console/admin/users?role=station_staff&q=clerk")
        .await;
    assert!(filtered.html.contains("clerk1"));
    assert!(!filtered.html.contains("<b>admin</b>"));
}

#[tokio::test]
async fn reference_data_is_added_through_the_apis_checks() {
    let app = spawn_app().await;
    let mut b = admin_console(&app).await;
    let csrf = b.get("/console/admin/departments").await.input("csrf");

    let refused = b
        .post(
            "/console/admin/departments",
            &[("csrf", &csrf), ("name", " "), ("code", "Bad Code")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.error("name").is_empty());
    assert!(!refused.error("code").is_empty());
    assert_eq!(refused.input("code"), "Bad Code");
    let done = b
        .post(
            "/console/admin/departments",
            &[("csrf", &csrf), ("name", "旗气象局"), ("code", "weather")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let departments = app.get("/api/v1/departments", None).await.expect(200);
    let department = departments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "旗气象局")
        .unwrap()
        .clone();
    let department_id = department["id"].as_str().unwrap();

    let team = b
        .post(
            "/console/admin/teams",
            &[
                ("csrf", &csrf),
                ("name", "气象科普服务队"),
                ("department_id", department_id),
                ("theme_codes", "farming_herding"),
                ("theme_codes", "health"),
            ],
        )
        .await;
    assert_eq!(team.status, StatusCode::SEE_OTHER, "{}", team.html);
    let teams = app.get("/api/v1/teams", None).await.expect(200);
    let team = teams["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "气象科普服务队")
        .unwrap()
        .clone();
    assert_eq!(team["department_id"], department_id);
    // The team's leader shows beside it.
    let (_, _) = account(
        &app,
        "team_leader",
        Some(("team_id", team["id"].as_str().unwrap())),
    )
    .await;
    let page = b.get("/console/admin/teams").await;
    assert!(page.html.contains("气象科普服务队") && page.html.contains("控制台用户"));

    let village = b
        .post(
            "/console/admin/villages",
            &[("csrf", &csrf), ("township", "xini"), ("name", "新建嘎查")],
        )
        .await;
    assert_eq!(village.status, StatusCode::SEE_OTHER);
    let unknown = b
        .post(
            "/console/admin/villages",
            &[("csrf", &csrf), ("township", "atlantis"), ("name", "某村")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!unknown.error("township").is_empty());
    let towns = app.get("/api/v1/townships", None).await.expect(200);
    let xini = towns["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "xini")
        .unwrap()
        .clone();
    let new_village = xini["villages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "新建嘎查")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let station = b
        .post(
            "/console/admin/stations",
            &[
                ("csrf", &csrf),
                ("name", "锡尼镇第二实践站"),
                ("village_ids", &new_village),
            ],
        )
        .await;
    assert_eq!(station.status, StatusCode::SEE_OTHER, "{}", station.html);
    let stations = app.get("/api/v1/stations", None).await.expect(200);
    assert!(
        stations["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "锡尼镇第二实践站")
    );
    let listed = b.get("/console/admin/stations").await;
    assert!(listed.html.contains("锡尼镇第二实践站") && listed.html.contains("新建嘎查"));
    assert_eq!(
        b.get("/console/admin/nothing").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn parked_mail_is_sent_again_and_the_pages_are_the_associations() {
    let app = spawn_app().await;
    let db = app.db().await;
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    notifications::ActiveModel {
        id: Set(id),
        recipient: Set("someone@example.org".into()),
        user_id: Set(None),
        order_id: Set(None),
        kind: Set("volunteer_approved".into()),
        subject: Set("审核通过".into()),
        body_text: Set("text".into()),
        body_html: Set("<p>text</p>".into()),
        state: Set("parked".into()),
        attempts: Set(5),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        lock_token: Set(None),
        last_error: Set(Some("connection refused".into())),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(&db)
    .await
    .unwrap();
    let mut b = admin_console(&app).await;
    let page = b.get("/console/admin/mail").await;
    assert!(page.html.contains("connection refused"));
    let csrf = page.input("csrf");
    let path = format!("/console/admin/mail/{id}/retry");
    let sent = b.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let row = notifications::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("pending", 0));
    assert!(
        !b.get("/console/admin/mail")
            .await
            .html
            .contains("connection refused")
    );
    assert_eq!(
        b.post(&path, &[("csrf", &csrf)]).await.status,
        StatusCode::CONFLICT
    );

    let station = app.xini_station().await;
    let (clerk, _) = account(&app, "station_staff", Some(("station_id", &station))).await;
    let mut s = signed_in(&app, &clerk, "password-123").await;
    let csrf = s.get("/console/orders").await.input("csrf");
    for path in [
        "/console/admin",
        "/console/admin/users",
        "/console/admin/stations",
        "/console/admin/mail",
    ] {
        assert_eq!(s.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/console/admin/users",
        "/console/admin/departments",
        "/console/admin/mail/x/retry",
    ] {
        let refused = s.post(path, &[("csrf", &csrf), ("name", "偷偷建的")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    let departments = app.get("/api/v1/departments", None).await.expect(200);
    assert!(!departments.to_string().contains("偷偷建的"));
    db.close().await.unwrap();
}
