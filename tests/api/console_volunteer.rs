//! The volunteer's console pages, as a browser without JavaScript uses them: signing in with
//! the phone number as typed, `/console/me` with their own hours, star level, certificate,
//! invitations and calendar link, and never another volunteer's data; every page for every
//! role, and the CSRF refusals.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

pub const PASSWORD: &str = "password-123";

/// A browser signed in to the console as `username`.
pub async fn signed_in<'a>(app: &'a TestApp, username: &str, password: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    let form = b.get("/console/login").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.input("csrf");
    let done = b
        .post(
            "/console/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("next", "/console/"),
            ],
        )
        .await;
    assert_eq!(
        done.status,
        StatusCode::SEE_OTHER,
        "{username}: {}",
        done.html
    );
    assert!(b.cookies.contains_key("kepu_console"));
    b
}

/// Registers an approved member of `team` named `name`; returns (volunteer id, phone).
pub async fn member_named(app: &TestApp, team: &str, name: &str) -> (String, String) {
    let phone = format!("136{:08}", app.next());
    let id = app.member_with(team, name, &phone, None).await;
    (id, phone)
}

/// A staff account of `role` for the console; returns its username.
pub async fn staff(app: &TestApp, role: &str, scope: Option<(&str, &str)>) -> String {
    let username = format!("v{role}{}", app.next());
    let mut body = json!({"username": username, "password": PASSWORD, "role": role, "display_name": "工作人员"});
    if let Some((field, id)) = scope {
        body[field] = json!(id);
    }
    app.post("/api/v1/users", &body, Some(&app.admin().await))
        .await
        .expect(201);
    username
}

#[tokio::test]
async fn a_registered_volunteer_signs_in_with_their_phone_however_it_is_typed() {
    let app = spawn_app().await;
    // Registered through the sign-up page, still pending.
    let mut anon = Browser::new(&app);
    let form = anon.get("/volunteer").await;
    let phone = format!("137{:08}", app.next());
    let done = anon
        .post(
            "/volunteer",
            &[
                ("csrf", &form.input("csrf")),
                ("idem", &form.input("idem")),
                ("real_name", "乌兰"),
                ("phone", &phone),
                ("township", "xini"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let page = anon.get(&done.location()).await;
    assert!(
        page.html.contains("href=\"/console/login\""),
        "the success page links to sign-in"
    );

    // The number as people type it: spaces, +86, 86.
    let spaced = format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..]);
    for typed in [
        phone.clone(),
        spaced,
        format!("+86 {phone}"),
        format!("86{phone}"),
    ] {
        let mut b = signed_in(&app, &typed, PASSWORD).await;
        let home = b.get("/console/").await;
        assert_eq!(home.location(), "/console/me");
        let me = b.get("/console/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert!(me.html.contains("乌兰"));
        assert!(me.html.contains("id=\"review\""), "pending is said");
        assert!(me.html.contains("href=\"/console/activities\""));
        assert!(!me.html.contains("href=\"/console/orders\""));
    }
    // The API's login takes the same spellings.
    app.login(&format!("+86 {phone}"), PASSWORD).await;

    // A wrong password is still refused, and counts for the number however it is typed.
    let mut b = Browser::new(&app);
    let form = b.get("/console/login").await;
    let wrong = b
        .post(
            "/console/login",
            &[
                ("csrf", &form.input("csrf")),
                ("username", &format!("+86{phone}")),
                ("password", "not-the-password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_me_page_shows_the_volunteers_own_hours_stars_and_certificate_and_nobody_elses() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (anna, anna_phone) = member_named(&app, &cast.team_id, "阿娜").await;
    let (bat, bat_phone) = member_named(&app, &cast.team_id, "巴特").await;
    let first = cast
        .complete_with(&app, json!({}), today(), 20, &[(&anna, 3.0), (&bat, 5.5)])
        .await;
    let second = cast
        .complete_with(&app, json!({}), today(), 10, &[(&anna, 1.5)])
        .await;
    // Anna's first record is confirmed, the second disputed; Bat's stays pending.
    let records = app.records_of(&first).await;
    let anna_first = service_record_of(&records, &anna);
    app.ledger_as_admin(&anna_first, "confirm", json!({}), 200)
        .await;
    let anna_second = service_record_of(&app.records_of(&second).await, &anna);
    app.ledger_as_admin(&anna_second, "dispute", json!({"reason": "人数不符"}), 200)
        .await;
    let code_of = |o: &serde_json::Value| o["tracking_code"].as_str().unwrap().to_owned();
    let admin = app.admin().await;
    let first_code = code_of(
        &app.get(&format!("/api/v1/orders/{first}"), Some(&admin))
            .await
            .expect(200),
    );
    let second_code = code_of(
        &app.get(&format!("/api/v1/orders/{second}"), Some(&admin))
            .await
            .expect(200),
    );

    let mut b = signed_in(&app, &anna_phone, PASSWORD).await;
    let me = b.get("/console/me").await;
    assert_eq!(me.status, StatusCode::OK);
    let html = &me.html;
    assert!(html.contains("id=\"confirmed-hours\">3<"), "{html}");
    assert!(html.contains("id=\"pending-hours\">0<"));
    assert!(html.contains("未达星级"));
    assert!(html.contains("距 1 星还差 97 小时"));
    assert!(html.contains(&first_code) && html.contains(&second_code));
    assert!(html.contains("rec-confirmed") && html.contains("rec-disputed"));
    assert!(
        html.contains("队长填写"),
        "the records say where hours came from"
    );
    // Bat's hours and name never show on Anna's page.
    assert!(!html.contains("5.5") && !html.contains("巴特"));

    // The certificate of all her confirmed hours, with its code and the /verify link.
    let cert = b.get("/console/me/certificate").await;
    assert_eq!(cert.status, StatusCode::OK, "{}", cert.html);
    assert!(cert.html.contains("阿娜") && !cert.html.contains("巴特"));
    assert!(cert.html.contains("id=\"cert-hours\">3<"));
    let code_start = cert.html.find("id=\"cert-code\">").unwrap() + "id=\"cert-code\">".len();
    let code = &cert.html[code_start..code_start + 19];
    assert!(cert.html.contains(&format!("/verify/{code}")));
    let verified = app
        .get_raw(&format!("/verify/{code}"), None, Some("application/json"))
        .await;
    assert_eq!(verified.status, 200);
    assert_eq!(verified.json()["confirmed_hours"], json!(3.0));
    // A period that holds none of her hours; an unreadable period is refused beside its field.
    let none = b
        .get("/console/me/certificate?from=2000-01-01&to=2000-12-31")
        .await;
    assert!(none.html.contains("id=\"cert-hours\">0<"));
    let bad = b
        .get("/console/me/certificate?from=2026-05-01&to=2026-04-01")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.error("to").is_empty());
    assert!(
        bad.html.contains("value=\"2026-05-01\""),
        "what was typed is kept"
    );

    // Bat's page holds his own, pending.
    let mut bat_b = signed_in(&app, &bat_phone, PASSWORD).await;
    let bat_me = bat_b.get("/console/me").await;
    assert!(bat_me.html.contains("id=\"pending-hours\">5.5<"));
    assert!(!bat_me.html.contains("阿娜") && !bat_me.html.contains(&second_code));
    let bat_cert = bat_b.get("/console/me/certificate").await;
    assert!(bat_cert.html.contains("巴特") && bat_cert.html.contains("id=\"cert-hours\">0<"));
}

#[tokio::test]
async fn a_volunteer_answers_invitations_and_replaces_the_calendar_link_on_their_page() {
    let app = spawn_app().await;
    let (team, _) = app.team().await;
    let (anna, anna_phone) = member_named(&app, &team, "阿娜").await;
    let (_, bat_phone) = member_named(&app, &team, "巴特").await;
    let (other_team, other_leader) = app.team().await;
    let (third_team, third_leader) = app.team().await;
    for (t, leader) in [(&other_team, &other_leader), (&third_team, &third_leader)] {
        app.post(
            &format!("/api/v1/teams/{t}/members"),
            &json!({"volunteer_id": anna}),
            Some(leader),
        )
        .await
        .expect(202);
    }
    let anna_token = app.login(&anna_phone, PASSWORD).await;
    let invitations = app
        .get("/api/v1/me/invitations", Some(&anna_token))
        .await
        .expect(200);
    let invitation = |team: &str| {
        invitations["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["team_id"] == team)
            .and_then(|i| i["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (join, refuse) = (invitation(&other_team), invitation(&third_team));

    let mut b = signed_in(&app, &anna_phone, PASSWORD).await;
    let me = b.get("/console/me").await;
    assert!(
        me.html
            .contains(&format!("/console/me/invitations/{join}/accept"))
    );
    // Bat sees none of Anna's invitations and cannot answer them.
    let mut bat = signed_in(&app, &bat_phone, PASSWORD).await;
    let bat_me = bat.get("/console/me").await;
    assert!(!bat_me.html.contains(&join));
    let csrf = bat_me.input("csrf");
    let stolen = bat
        .post(
            &format!("/console/me/invitations/{join}/accept"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);

    // Without the form token nothing changes.
    let forged = b
        .post(&format!("/console/me/invitations/{join}/accept"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let csrf = me.input("csrf");
    let accepted = b
        .post(
            &format!("/console/me/invitations/{join}/accept"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let declined = b
        .post(
            &format!("/console/me/invitations/{refuse}/decline"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    let again = b
        .post(
            &format!("/console/me/invitations/{refuse}/accept"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.html.contains("已经回复过"));
    let members = app
        .get(
            &format!("/api/v1/teams/{other_team}/members"),
            Some(&app.admin().await),
        )
        .await
        .expect(200);
    assert!(
        members["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["volunteer_id"] == anna)
    );
    let third = app
        .get(
            &format!("/api/v1/teams/{third_team}/members"),
            Some(&app.admin().await),
        )
        .await
        .expect(200);
    assert!(third["items"].as_array().unwrap().is_empty());

    // The calendar link: shown once, replaced on request; the old one stops working.
    let forged = b.post("/console/me/calendar", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let made = b.post("/console/me/calendar", &[("csrf", &csrf)]).await;
    assert_eq!(made.status, StatusCode::OK);
    assert_eq!(made.headers["cache-control"], "no-store");
    let url = made.input("calendar_url");
    let path = url
        .split_once("/ical/")
        .map(|(_, p)| format!("/ical/{p}"))
        .unwrap();
    assert_eq!(app.get_raw(&path, None, None).await.status, 200);
    let later = b.get("/console/me").await;
    assert!(later.html.contains("更换链接") && !later.html.contains(&url));
    let replaced = b.post("/console/me/calendar", &[("csrf", &csrf)]).await;
    assert_ne!(replaced.input("calendar_url"), url);
    assert_eq!(app.get_raw(&path, None, None).await.status, 404);
}

#[tokio::test]
async fn the_volunteer_pages_answer_every_role() {
    let app = spawn_app().await;
    let (team, _) = app.team().await;
    let (_, phone) = member_named(&app, &team, "阿娜").await;
    let leader = staff(&app, "team_leader", Some(("team_id", &team))).await;
    let station = staff(
        &app,
        "station_staff",
        Some(("station_id", &app.xini_station().await)),
    )
    .await;
    let invitation = format!("/console/me/invitations/{}/accept", uuid::Uuid::now_v7());

    let mut anon = Browser::new(&app);
    for path in ["/console/me/certificate", "/console/activities"] {
        let page = anon.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().starts_with("/console/login?next="));
    }
    for username in [leader.as_str(), station.as_str(), "admin"] {
        let password = if username == "admin" {
            ADMIN_PASSWORD
        } else {
            PASSWORD
        };
        let mut b = signed_in(&app, username, password).await;
        let me = b.get("/console/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert!(!me.html.contains("id=\"my-hours\""), "{username}");
        let csrf = me.input("csrf");
        assert_eq!(
            b.get("/console/me/certificate").await.status,
            StatusCode::FORBIDDEN,
            "{username}"
        );
        assert_eq!(
            b.post("/console/me/calendar", &[("csrf", &csrf)])
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            b.post(&invitation, &[("csrf", &csrf)]).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let mut v = signed_in(&app, &phone, PASSWORD).await;
    let csrf = v.get("/console/me").await.input("csrf");
    assert_eq!(
        v.post(&invitation, &[("csrf", &csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        v.post(
            "/console/me/invitations/nonsense/accept",
            &[("csrf", &csrf)]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Volunteers have no queue and no order pages.
    assert_eq!(v.get("/console/orders").await.status, StatusCode::FORBIDDEN);
}
