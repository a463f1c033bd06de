//! Activities in the console, as browsers without JavaScript use them: the leader schedules,
//! volunteers sign up (or wait), the leader shows the code and its QR link, volunteers check in
//! and out with it, the leader records attendance for someone without a phone, and completes
//! the order with hours pre-filled from attendance — checked afterwards through the JSON API.
//! Every page for every role, and the CSRF refusals.

use crate::console_volunteer::{PASSWORD, member_named, signed_in, staff};
use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A console path and the status a user gets there.
type Expect<'a> = (&'a str, StatusCode);

/// A time as a `datetime-local` value in the test deployment's zone.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz_shanghai())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The value of the input named `name`, wherever its `value` stands among its attributes.
fn value_of(page: &Page, name: &str) -> String {
    let at = page
        .html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}"));
    let rest = &page.html[at..];
    let tag_end = rest.find('>').unwrap();
    let tag = &rest[..tag_end];
    match tag.find("value=\"") {
        Some(v) => {
            let start = v + "value=\"".len();
            let end = tag[start..].find('"').unwrap() + start;
            tag[start..end].to_owned()
        }
        None => String::new(),
    }
}

/// The text of the element with `id`.
fn text_of(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page
        .html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id}"))
        + marker.len();
    let end = page.html[start..].find('<').unwrap() + start;
    page.html[start..end].to_owned()
}

/// Posts a form of the activity page `order` with the page's token.
async fn post(b: &mut Browser<'_>, order: &str, action: &str, fields: &[(&str, &str)]) -> Page {
    let page = b.get(&format!("/console/activities/{order}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.input("csrf");
    let mut pairs = vec![("csrf", csrf.as_str())];
    pairs.extend_from_slice(fields);
    b.post(&format!("/console/activities/{order}/{action}"), &pairs)
        .await
}

async fn activity(app: &TestApp, order: &str) -> Value {
    app.get(
        &format!("/api/v1/orders/{order}/activity"),
        Some(&app.admin().await),
    )
    .await
    .expect(200)
}

#[tokio::test]
async fn sign_up_check_in_check_out_and_complete_with_hours_from_attendance_through_the_pages() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let leader_name = staff(&app, "team_leader", Some(("team_id", &cast.team_id))).await;
    let (anna, anna_phone) = member_named(&app, &cast.team_id, "阿娜").await;
    let (bat, bat_phone) = member_named(&app, &cast.team_id, "巴特").await;
    let order = cast.claimed_with(&app, json!({})).await;
    let station_name = staff(
        &app,
        "station_staff",
        Some(("station_id", &app.xini_station().await)),
    )
    .await;

    let mut leader = signed_in(&app, &leader_name, PASSWORD).await;
    let list = leader.get("/console/activities").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.html
            .contains(&format!("/console/activities/{order}#schedule"))
    );

    // A bad schedule comes back with every message beside its field, what was typed kept.
    let start = Utc::now() + Duration::minutes(30);
    let end = start + Duration::hours(2);
    let bad = post(
        &mut leader,
        &order,
        "schedule",
        &[
            ("starts_at", &local(start)),
            ("ends_at", &local(start - Duration::hours(1))),
            ("place", ""),
            ("slots", "0"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["ends_at", "place", "slots"] {
        assert!(!bad.error(field).is_empty(), "{field}");
    }
    assert_eq!(value_of(&bad, "starts_at"), local(start));
    let done = post(
        &mut leader,
        &order,
        "schedule",
        &[
            ("starts_at", &local(start)),
            ("ends_at", &local(end)),
            ("place", "嘎查文化室"),
            ("slots", "1"),
            ("note", "带上疫苗手册"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let a = activity(&app, &order).await;
    assert_eq!(a["place"], "嘎查文化室");
    assert_eq!(a["slots"], 1);

    // Anna signs up and holds the slot; Bat waits.
    let mut anna_b = signed_in(&app, &anna_phone, PASSWORD).await;
    let mine = anna_b.get("/console/activities").await;
    assert!(mine.html.contains(&format!("/console/activities/{order}")));
    let signed = post(&mut anna_b, &order, "signup", &[]).await;
    assert_eq!(
        signed.location(),
        format!("/console/activities/{order}?done=signed_up")
    );
    let mut bat_b = signed_in(&app, &bat_phone, PASSWORD).await;
    let waiting = post(&mut bat_b, &order, "signup", &[]).await;
    assert_eq!(
        waiting.location(),
        format!("/console/activities/{order}?done=waitlisted")
    );
    let bat_page = bat_b.get(&waiting.location()).await;
    assert!(bat_page.html.contains("候补第 1 位"), "{}", bat_page.html);
    assert!(
        !bat_page.html.contains("阿娜"),
        "a volunteer sees only their own row"
    );
    assert!(
        !bat_page.html.contains("id=\"f-check-in\""),
        "no slot, no check-in"
    );

    // A wrong code is refused beside the field.
    let wrong = post(&mut anna_b, &order, "check-in", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!wrong.error("check-in-code").is_empty());
    assert_eq!(value_of(&wrong, "code"), "000000");

    // The leader shows a code, large, with the QR code of its check-in link.
    let issued = post(&mut leader, &order, "code", &[]).await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER);
    let shown = leader.get(&issued.location()).await;
    let code = text_of(&shown, "big-code");
    assert_eq!(code.len(), 6);
    assert!(shown.html.contains("src=\"data:image/svg+xml;base64,"));
    assert!(
        shown
            .html
            .contains(&format!("/console/activities/{order}/check-in?code={code}"))
    );
    assert_eq!(shown.headers["cache-control"], "no-store");
    // A code that is not the current one is not shown.
    let stale = leader
        .get(&format!("/console/activities/{order}?code=123456"))
        .await;
    assert!(!stale.html.contains("id=\"big-code\"") || code == "123456");

    // The QR link opens a page that checks in with one tap.
    let link = anna_b
        .get(&format!("/console/activities/{order}/check-in?code={code}"))
        .await;
    assert_eq!(link.status, StatusCode::OK);
    assert_eq!(value_of(&link, "code"), code);
    let checked = anna_b
        .post(
            &format!("/console/activities/{order}/check-in"),
            &[("csrf", &link.input("csrf")), ("code", &code)],
        )
        .await;
    assert_eq!(
        checked.location(),
        format!("/console/activities/{order}?done=checked_in")
    );
    let anna_page = anna_b.get(&checked.location()).await;
    assert!(anna_page.html.contains("id=\"f-check-out\""));
    assert!(
        !anna_page.html.contains("id=\"f-withdraw\""),
        "checked in: no withdrawing"
    );

    // A second slot moves Bat up from the waiting list.
    let more = post(
        &mut leader,
        &order,
        "schedule",
        &[
            ("starts_at", &local(start)),
            ("ends_at", &local(end)),
            ("place", "嘎查文化室"),
            ("slots", "2"),
        ],
    )
    .await;
    assert_eq!(more.status, StatusCode::SEE_OTHER, "{}", more.html);
    let bat_page = bat_b.get(&format!("/console/activities/{order}")).await;
    assert!(
        bat_page.html.contains("id=\"f-check-in\""),
        "promoted: he may check in"
    );

    // Bat has no phone today: the leader records his attendance afterwards.
    let bat_in = local(start);
    let bat_out = local(start + Duration::hours(1));
    app.clock.advance(Duration::hours(3));
    let recorded = post(
        &mut leader,
        &order,
        "attendance",
        &[
            ("volunteer_id", &bat),
            ("checked_in_at", &bat_in),
            ("checked_out_at", &bat_out),
        ],
    )
    .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.html);

    // Anna checks out with a new code.
    let issued = post(&mut leader, &order, "code", &[]).await;
    let code = text_of(&leader.get(&issued.location()).await, "big-code");
    let out = post(&mut anna_b, &order, "check-out", &[("code", &code)]).await;
    assert_eq!(
        out.location(),
        format!("/console/activities/{order}?done=checked_out")
    );
    let a = activity(&app, &order).await;
    let row = |v: &str| {
        a["roster"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["volunteer_id"] == v)
            .unwrap()
            .clone()
    };
    assert_eq!(row(&anna)["hours"], json!(2.0));
    assert_eq!(row(&anna)["source"], "attendance");
    assert_eq!(row(&bat)["hours"], json!(1.0));
    assert_eq!(row(&bat)["source"], "manual");

    // The leader's roster, and the station's view of it on the order page.
    let roster = leader.get(&format!("/console/activities/{order}")).await;
    assert!(roster.html.contains("阿娜") && roster.html.contains("巴特"));
    let mut station = signed_in(&app, &station_name, PASSWORD).await;
    let seen = station.get(&format!("/console/orders/{order}")).await;
    assert!(seen.html.contains("id=\"order-roster\""));
    assert!(seen.html.contains("阿娜") && seen.html.contains("巴特"));

    // The complete form comes pre-filled from attendance; sent unchanged, the hours are
    // filed as attendance's.
    let form = leader.get(&format!("/console/orders/{order}")).await;
    assert!(form.html.contains("id=\"prefilled\""));
    assert_eq!(value_of(&form, &format!("h-{anna}")), "2");
    assert_eq!(value_of(&form, &format!("h-{bat}")), "1");
    let served_on = value_of(&form, "served_on");
    let (csrf, version) = (form.input("csrf"), form.input("version"));
    let (anna_field, bat_field) = (format!("h-{anna}"), format!("h-{bat}"));
    let completed = leader
        .post(
            &format!("/console/orders/{order}/complete"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("served_on", &served_on),
                ("attendees", "30"),
                ("summary", "讲解了疫苗接种"),
                (&anna_field, "2"),
                (&bat_field, "1"),
            ],
        )
        .await;
    assert_eq!(
        completed.status,
        StatusCode::SEE_OTHER,
        "{}",
        completed.html
    );
    let records = app.records_of(&order).await;
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r["source"], "attendance", "{r}");
        let expected = if r["volunteer_id"] == anna { 2.0 } else { 1.0 };
        assert_eq!(r["hours"], json!(expected));
    }
    // After completion the activity no longer changes.
    let late = post(&mut anna_b, &order, "withdraw", &[]).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn edited_hours_are_filed_as_typed_and_wrong_codes_lock_out() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let leader_name = staff(&app, "team_leader", Some(("team_id", &cast.team_id))).await;
    let (anna, anna_phone) = member_named(&app, &cast.team_id, "阿娜").await;
    let order = cast.claimed_with(&app, json!({})).await;
    let start = Utc::now() + Duration::minutes(10);
    let mut leader = signed_in(&app, &leader_name, PASSWORD).await;
    let done = post(
        &mut leader,
        &order,
        "schedule",
        &[
            ("starts_at", &local(start)),
            ("ends_at", &local(start + Duration::hours(1))),
            ("place", "学校"),
            ("slots", "5"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let mut anna_b = signed_in(&app, &anna_phone, PASSWORD).await;
    post(&mut anna_b, &order, "signup", &[]).await;
    for _ in 0..4 {
        let wrong = post(&mut anna_b, &order, "check-in", &[("code", "999999")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let locked = post(&mut anna_b, &order, "check-in", &[("code", "999999")]).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!locked.headers["retry-after"].is_empty());
    assert!(locked.html.contains("秒后再试"));

    // Someone without a phone gets attendance from the leader; edited hours win, as typed.
    app.clock.advance(Duration::hours(2));
    let recorded = post(
        &mut leader,
        &order,
        "attendance",
        &[
            ("volunteer_id", &anna),
            ("checked_in_at", &local(start)),
            ("checked_out_at", &local(start + Duration::hours(1))),
        ],
    )
    .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.html);
    let form = leader.get(&format!("/console/orders/{order}")).await;
    assert_eq!(value_of(&form, &format!("h-{anna}")), "1");
    let field = format!("h-{anna}");
    let completed = leader
        .post(
            &format!("/console/orders/{order}/complete"),
            &[
                ("csrf", &form.input("csrf")),
                ("version", &form.input("version")),
                ("served_on", &value_of(&form, "served_on")),
                ("attendees", "12"),
                ("summary", "讲座"),
                (&field, "1.5"),
            ],
        )
        .await;
    assert_eq!(
        completed.status,
        StatusCode::SEE_OTHER,
        "{}",
        completed.html
    );
    let records = app.records_of(&order).await;
    assert_eq!(records[0]["hours"], json!(1.5));
    assert_eq!(records[0]["source"], "manual");
}

#[tokio::test]
async fn the_activity_pages_answer_every_role_and_refuse_posts_without_the_token() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let leader_name = staff(&app, "team_leader", Some(("team_id", &cast.team_id))).await;
    let (_, anna_phone) = member_named(&app, &cast.team_id, "阿娜").await;
    let (other_team, _) = app.team().await;
    let other_leader = staff(&app, "team_leader", Some(("team_id", &other_team))).await;
    let (_, outsider_phone) = member_named(&app, &other_team, "外人").await;
    let station = staff(
        &app,
        "station_staff",
        Some(("station_id", &app.xini_station().await)),
    )
    .await;
    let department = staff(
        &app,
        "department_staff",
        Some(("department_id", &cast.department_id)),
    )
    .await;
    let order = cast.claimed_with(&app, json!({})).await;
    let start = Utc::now() + Duration::hours(1);
    let mut leader = signed_in(&app, &leader_name, PASSWORD).await;
    post(
        &mut leader,
        &order,
        "schedule",
        &[
            ("starts_at", &local(start)),
            ("ends_at", &local(start + Duration::hours(1))),
            ("place", "学校"),
            ("slots", "5"),
        ],
    )
    .await;
    let page = format!("/console/activities/{order}");
    let check_in = format!("{page}/check-in?code=123456");
    let missing = format!("/console/activities/{}", uuid::Uuid::now_v7());

    let mut anon = Browser::new(&app);
    for path in ["/console/activities", page.as_str(), check_in.as_str()] {
        let p = anon.get(path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert!(p.location().starts_with("/console/login?next="));
    }
    let cases: Vec<(&str, &str, Vec<Expect>)> = vec![
        (
            "admin",
            ADMIN_PASSWORD,
            vec![
                ("/console/activities", StatusCode::FORBIDDEN),
                (&page, StatusCode::FORBIDDEN),
            ],
        ),
        (
            &station,
            PASSWORD,
            vec![
                ("/console/activities", StatusCode::FORBIDDEN),
                (&page, StatusCode::FORBIDDEN),
            ],
        ),
        (&department, PASSWORD, vec![(&page, StatusCode::FORBIDDEN)]),
        (
            &leader_name,
            PASSWORD,
            vec![
                ("/console/activities", StatusCode::OK),
                (&page, StatusCode::OK),
                (&check_in, StatusCode::FORBIDDEN),
                (&missing, StatusCode::NOT_FOUND),
                ("/console/activities/not-an-id", StatusCode::NOT_FOUND),
            ],
        ),
        (
            &other_leader,
            PASSWORD,
            vec![
                ("/console/activities", StatusCode::OK),
                (&page, StatusCode::NOT_FOUND),
            ],
        ),
        (
            &anna_phone,
            PASSWORD,
            vec![
                ("/console/activities", StatusCode::OK),
                (&page, StatusCode::OK),
                (&check_in, StatusCode::OK),
                (&missing, StatusCode::NOT_FOUND),
            ],
        ),
        (
            &outsider_phone,
            PASSWORD,
            vec![
                ("/console/activities", StatusCode::OK),
                (&page, StatusCode::NOT_FOUND),
                (&check_in, StatusCode::NOT_FOUND),
            ],
        ),
    ];
    for (user, password, expected) in cases {
        let mut b = signed_in(&app, user, password).await;
        for (path, status) in expected {
            assert_eq!(b.get(path).await.status, status, "{user} {path}");
        }
    }
    // Leaders neither sign up nor check in; volunteers neither schedule nor show codes.
    let mut anna = signed_in(&app, &anna_phone, PASSWORD).await;
    let csrf = anna.get(&page).await.input("csrf");
    for action in ["schedule", "code", "attendance"] {
        let p = anna
            .post(&format!("{page}/{action}"), &[("csrf", &csrf)])
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "volunteer {action}");
    }
    let csrf = leader.get(&page).await.input("csrf");
    for action in ["signup", "withdraw", "check-in", "check-out"] {
        let p = leader
            .post(
                &format!("{page}/{action}"),
                &[("csrf", &csrf), ("code", "123456")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "leader {action}");
    }
    let mut outsider = signed_in(&app, &outsider_phone, PASSWORD).await;
    let csrf = outsider.get("/console/activities").await.input("csrf");
    let p = outsider
        .post(&format!("{page}/signup"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);

    // Without the form token nothing changes.
    let p = anna.post(&format!("{page}/signup"), &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "signup");
    for action in ["code", "schedule", "attendance"] {
        let p = leader
            .post(&format!("{page}/{action}"), &[("slots", "9")])
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{action}");
    }
    let a = activity(&app, &order).await;
    assert_eq!(a["signed_up"], 0);
    assert_eq!(a["slots"], 5);
    let p = anna
        .post(&format!("{page}/check-in"), &[("code", "123456")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}
