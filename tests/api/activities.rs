//! Activities and attendance (`docs/activities.md`): sign-up within the slots under
//! concurrency and across instances, the waitlist, check-in codes (expiry, replacement,
//! lock-out, window), the sweeper's forgotten check-outs and reminders, hours from attendance,
//! the calendar feed, and who may call what.

use crate::helpers::*;
use crate::mail_server::MailServer;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use futures::future::join_all;
use kepu_api::extract::Caller;
use kepu_api::notify::outbox::deliver_due;
use kepu_api::service::activities as activity_svc;
use kepu_api::service::sweeper::sweep;
use kepu_api::state::AppState;
use reqwest::Method;
use serde_json::{Value, json};

/// RFC 3339 in UTC, as the API takes it.
fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// A volunteer with an account and an email, approved and in `team`: (id, token).
async fn volunteer(app: &TestApp, team: &str) -> (String, String) {
    let n = app.next();
    let phone = format!("136{n:08}");
    let v = app
        .post(
            "/api/v1/volunteers",
            &json!({"real_name": format!("志愿者{n}"), "phone": phone, "township": "xini",
                "password": "password-123", "email": format!("v{n}@kepu.test")}),
            None,
        )
        .await
        .expect(201);
    let id = v["id"].as_str().unwrap().to_owned();
    let admin = app.admin().await;
    app.post(
        &format!("/api/v1/volunteers/{id}/approve"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/teams/{team}/members"),
        &json!({"volunteer_id": id}),
        Some(&admin),
    )
    .await
    .expect(201);
    (id, app.login(&phone, "password-123").await)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn put_activity(app: &TestApp, order: &str, token: &str, body: &Value) -> Reply {
    app.request(
        Method::PUT,
        &format!("/api/v1/orders/{order}/activity"),
        Some(body),
        Some(&bearer(token)),
    )
    .await
}

/// Schedules the order's activity from `starts` for `hours` hours with `slots`.
async fn schedule(
    app: &TestApp,
    order: &str,
    leader: &str,
    starts: DateTime<Utc>,
    hours: i64,
    slots: i64,
) -> Value {
    put_activity(
        app,
        order,
        leader,
        &json!({"starts_at": iso(starts), "ends_at": iso(starts + Duration::hours(hours)),
            "place": "西尼嘎查文化室", "slots": slots, "note": "请带上宣传册"}),
    )
    .await
    .expect(200)
}

async fn signup(app: &TestApp, order: &str, token: &str) -> Reply {
    app.post(
        &format!("/api/v1/orders/{order}/activity/signup"),
        &json!({}),
        Some(token),
    )
    .await
}

async fn withdraw(app: &TestApp, order: &str, token: &str) -> Reply {
    app.request(
        Method::DELETE,
        &format!("/api/v1/orders/{order}/activity/signup"),
        None,
        Some(&bearer(token)),
    )
    .await
}

async fn code(app: &TestApp, order: &str, leader: &str) -> String {
    let c = app
        .post(
            &format!("/api/v1/orders/{order}/activity/code"),
            &json!({}),
            Some(leader),
        )
        .await
        .expect(200);
    c["code"].as_str().unwrap().to_owned()
}

async fn punch(app: &TestApp, order: &str, how: &str, token: &str, code: &str) -> Reply {
    app.post(
        &format!("/api/v1/orders/{order}/activity/{how}"),
        &json!({"code": code}),
        Some(token),
    )
    .await
}

async fn activity(app: &TestApp, order: &str, token: &str) -> Value {
    app.get(&format!("/api/v1/orders/{order}/activity"), Some(token))
        .await
        .expect(200)
}

fn row<'a>(activity: &'a Value, volunteer: &str) -> &'a Value {
    activity["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["volunteer_id"] == volunteer)
        .unwrap_or_else(|| panic!("{volunteer} on the roster: {activity}"))
}

/// Signs up through another instance's service layer, as the HTTP handler does.
async fn signup_on(state: &AppState, order: &str, token: &str) -> String {
    let claims = state.keys.verify(token).unwrap();
    let caller = Caller::User(claims);
    let access = activity_svc::access(&state.db, &caller, order.parse().unwrap())
        .await
        .unwrap();
    let (view, _) = activity_svc::signup::sign_up(state, &access).await.unwrap();
    view.state
}

#[tokio::test]
async fn fifty_sign_ups_at_once_on_two_instances_fill_ten_slots_and_a_withdrawal_promotes_one() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let order = cast.claimed_with(&app, json!({})).await;
    let volunteers = join_all((0..50).map(|_| volunteer(&app, &cast.team_id))).await;
    let starts = app.state.now() + Duration::days(3);
    let scheduled = schedule(&app, &order, &cast.leader, starts, 2, 10).await;
    assert_eq!(scheduled["slots"], 10);
    assert_eq!(scheduled["signed_up"], 0);

    let second = app.second_instance().await;
    let states = join_all(volunteers.iter().enumerate().map(|(i, (_, token))| {
        let (app, order, second) = (&app, &order, &second);
        async move {
            if i % 2 == 0 {
                signup(app, order, token).await.expect(201)["state"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            } else {
                signup_on(second, order, token).await
            }
        }
    }))
    .await;
    let signed = states.iter().filter(|s| *s == "signed_up").count();
    let waiting = states.iter().filter(|s| *s == "waitlisted").count();
    assert_eq!((signed, waiting), (10, 40), "{states:?}");

    let view = activity(&app, &order, &cast.leader).await;
    assert_eq!(view["signed_up"], 10);
    assert_eq!(view["waitlisted"], 40);
    assert_eq!(view["roster"].as_array().unwrap().len(), 50);

    // A repeat answers the same row.
    let (first_id, first_token) = volunteers
        .iter()
        .find(|(id, _)| row(&view, id)["state"] == "signed_up")
        .unwrap();
    let again = signup(&app, &order, first_token).await.expect(200);
    assert_eq!(again["state"], "signed_up");
    assert_eq!(again["volunteer_id"], first_id.as_str());

    // A member sees only their own row.
    let own = activity(&app, &order, first_token).await;
    assert_eq!(own["roster"].as_array().unwrap().len(), 1);
    assert_eq!(own["signed_up"], 10);

    let next_in_line = view["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["waitlist_position"] == 1)
        .unwrap()["volunteer_id"]
        .clone();
    withdraw(&app, &order, first_token).await.expect(204);
    let after = activity(&app, &order, &cast.leader).await;
    assert_eq!(after["signed_up"], 10);
    assert_eq!(after["waitlisted"], 39);
    let promoted: Vec<&Value> = view["roster"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|before| {
            before["state"] == "waitlisted"
                && row(&after, before["volunteer_id"].as_str().unwrap())["state"] == "signed_up"
        })
        .collect();
    assert_eq!(promoted.len(), 1, "exactly one moves up");
    assert_eq!(promoted[0]["volunteer_id"], next_in_line);
    assert!(
        after["roster"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["volunteer_id"] != first_id.as_str()),
        "the withdrawn volunteer leaves the roster"
    );
    // Withdrawing again changes nothing.
    withdraw(&app, &order, first_token).await.expect(204);
    assert_eq!(activity(&app, &order, &cast.leader).await["waitlisted"], 39);

    // The promoted volunteer is told, once.
    let admin = app.admin().await;
    let mail = app
        .get(
            &format!("/api/v1/notifications?order_id={order}&limit=200"),
            Some(&admin),
        )
        .await
        .expect(200);
    let promoted_mail: Vec<&Value> = mail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "activity_promoted")
        .collect();
    assert_eq!(promoted_mail.len(), 1, "{mail}");

    // Fewer slots than are taken is refused, with nothing changed.
    let fewer = put_activity(
        &app,
        &order,
        &cast.leader,
        &json!({"starts_at": iso(starts), "ends_at": iso(starts + Duration::hours(2)),
            "place": "西尼嘎查文化室", "slots": 9}),
    )
    .await
    .expect(422);
    assert_eq!(fewer["errors"][0]["field"], "slots");
    // More slots move the waitlist up, in order.
    let more = schedule(&app, &order, &cast.leader, starts, 2, 12).await;
    assert_eq!(more["signed_up"], 12);
    assert_eq!(more["waitlisted"], 37);
}

#[tokio::test]
async fn sign_ups_stay_within_the_slots_when_they_race_withdrawals() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let order = cast.claimed_with(&app, json!({})).await;
    let volunteers = join_all((0..30).map(|_| volunteer(&app, &cast.team_id))).await;
    schedule(
        &app,
        &order,
        &cast.leader,
        app.state.now() + Duration::days(2),
        2,
        5,
    )
    .await;
    for (_, token) in &volunteers[..10] {
        signup(&app, &order, token).await.expect(201);
    }
    // Ten withdraw while twenty sign up, all at once.
    let replies = join_all(volunteers.iter().enumerate().map(|(i, (_, token))| {
        let (app, order) = (&app, &order);
        async move {
            if i < 10 {
                withdraw(app, order, token).await.status.as_u16()
            } else {
                signup(app, order, token).await.status.as_u16()
            }
        }
    }))
    .await;
    assert!(replies[..10].iter().all(|s| *s == 204), "{replies:?}");
    assert!(replies[10..].iter().all(|s| *s == 201), "{replies:?}");
    let view = activity(&app, &order, &cast.leader).await;
    assert_eq!(view["signed_up"], 5);
    assert_eq!(view["waitlisted"], 15);
}

#[tokio::test]
async fn check_in_codes_expire_are_replaced_lock_out_and_keep_to_the_window() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let order = cast.claimed_with(&app, json!({})).await;
    let (a_id, a) = volunteer(&app, &cast.team_id).await;
    let (_, b) = volunteer(&app, &cast.team_id).await;
    let (_, outsider) = volunteer(&app, &cast.team_id).await;
    let starts = app.state.now() + Duration::minutes(30);
    schedule(&app, &order, &cast.leader, starts, 2, 10).await;
    signup(&app, &order, &a).await.expect(201);
    signup(&app, &order, &b).await.expect(201);

    // No code issued yet: any code is wrong.
    let none = punch(&app, &order, "check-in", &a, "123456")
        .await
        .expect(422);
    assert_eq!(none["errors"][0]["field"], "code");
    // A malformed code is a 422 too, and the body lists the field.
    let bad = punch(&app, &order, "check-in", &a, "12ab")
        .await
        .expect(422);
    assert_eq!(bad["errors"][0]["field"], "code");

    let issued = app
        .post(
            &format!("/api/v1/orders/{order}/activity/code"),
            &json!({}),
            Some(&cast.leader),
        )
        .await
        .expect(200);
    let first = issued["code"].as_str().unwrap().to_owned();
    assert_eq!(first.len(), 6);
    assert!(first.bytes().all(|b| b.is_ascii_digit()));
    let expires: DateTime<Utc> = issued["expires_at"].as_str().unwrap().parse().unwrap();
    let valid_for = expires - app.state.now();
    assert!(valid_for > Duration::minutes(9) && valid_for <= Duration::minutes(10));
    assert!(issued["check_in_url"].as_str().unwrap().ends_with(&format!(
        "/console/activities/{order}/check-in?code={first}"
    )));

    // Only volunteers holding a slot check in.
    let not_signed = punch(&app, &order, "check-in", &outsider, &first)
        .await
        .expect(409);
    assert_eq!(not_signed["code"], "activity.not_signed_up");
    assert_eq!(not_signed["current_state"], "none");
    // Checking out before checking in is a conflict.
    let early_out = punch(&app, &order, "check-out", &a, &first)
        .await
        .expect(409);
    assert_eq!(early_out["code"], "activity.not_checked_in");

    // A new code replaces the old one.
    let mut second = code(&app, &order, &cast.leader).await;
    while second == first {
        second = code(&app, &order, &cast.leader).await;
    }
    punch(&app, &order, "check-in", &a, &first)
        .await
        .expect(422);
    let checked = punch(&app, &order, "check-in", &a, &second)
        .await
        .expect(200);
    assert_eq!(checked["volunteer_id"], a_id.as_str());
    assert_eq!(checked["source"], "attendance");
    let at = checked["checked_in_at"].clone();
    assert!(at.is_string());
    // Checking in again keeps the first time.
    let again = punch(&app, &order, "check-in", &a, &second)
        .await
        .expect(200);
    assert_eq!(again["checked_in_at"], at);

    // Ten minutes on, the code has expired: a wrong code, counted.
    app.clock.advance(Duration::minutes(11));
    let expired = punch(&app, &order, "check-in", &b, &second)
        .await
        .expect(422);
    assert_eq!(expired["errors"][0]["field"], "code");
    // Three more wrong codes are 422, the fifth in a row locks out.
    let wrong = if second == "000000" {
        "000001"
    } else {
        "000000"
    };
    for _ in 0..3 {
        punch(&app, &order, "check-in", &b, wrong).await.expect(422);
    }
    let locked = punch(&app, &order, "check-in", &b, wrong).await;
    assert_eq!(locked.status.as_u16(), 429, "{}", locked.body);
    let retry: i64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((590..=600).contains(&retry), "{retry}");
    // Even the right code waits out the lock.
    let fresh = code(&app, &order, &cast.leader).await;
    let still = punch(&app, &order, "check-in", &b, &fresh).await;
    assert_eq!(still.status.as_u16(), 429);
    app.clock.advance(Duration::minutes(10));
    let fresh = code(&app, &order, &cast.leader).await;
    punch(&app, &order, "check-in", &b, &fresh)
        .await
        .expect(200);

    // A member's wrong codes do not count against another: `a` checks out at once.
    let out = punch(&app, &order, "check-out", &a, &fresh)
        .await
        .expect(200);
    assert!(out["checked_out_at"].is_string());

    // Past the window (ends_at + 2 h) nothing is accepted.
    app.clock.advance(Duration::hours(5));
    let fresh = code(&app, &order, &cast.leader).await;
    let closed = punch(&app, &order, "check-out", &b, &fresh)
        .await
        .expect(409);
    assert_eq!(closed["code"], "activity.closed");
    assert_eq!(closed["current_state"], "closed");

    // Before it opens (starts_at − 1 h) neither.
    let later = cast.claimed_with(&app, json!({})).await;
    schedule(
        &app,
        &later,
        &cast.leader,
        app.state.now() + Duration::hours(3),
        1,
        5,
    )
    .await;
    signup(&app, &later, &a).await.expect(201);
    let fresh = code(&app, &later, &cast.leader).await;
    let not_open = punch(&app, &later, "check-in", &a, &fresh)
        .await
        .expect(409);
    assert_eq!(not_open["code"], "activity.closed");
    assert_eq!(not_open["current_state"], "not_open");
}

#[tokio::test]
async fn hours_come_from_attendance_rounded_down_within_the_activity_and_the_day() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (v1, t1) = volunteer(&app, &cast.team_id).await;
    let (v2, t2) = volunteer(&app, &cast.team_id).await;
    let (v3, _) = volunteer(&app, &cast.team_id).await;
    let order = cast.claimed_with(&app, json!({})).await;
    // Whole seconds, so that the arithmetic below is exact.
    let now = app.state.now();
    let starts = now + Duration::hours(1) - Duration::nanoseconds(i64::from(now.nanosecond()));
    let ends = starts + Duration::hours(2);
    schedule(&app, &order, &cast.leader, starts, 2, 10).await;
    signup(&app, &order, &t1).await.expect(201);
    signup(&app, &order, &t2).await.expect(201);
    // Both check in before the start: the time before it does not count.
    let c = code(&app, &order, &cast.leader).await;
    punch(&app, &order, "check-in", &t1, &c).await.expect(200);
    punch(&app, &order, "check-in", &t2, &c).await.expect(200);

    // v1 leaves 1 h 40 min after the start: 1.5 h.
    let leave = starts + Duration::minutes(100);
    app.clock.advance(leave - app.state.now());
    let c = code(&app, &order, &cast.leader).await;
    let out = punch(&app, &order, "check-out", &t1, &c).await.expect(200);
    assert_eq!(out["hours"], 1.5);
    // v3 has no phone: the leader records 59 minutes for them (0.5 h).
    let manual = app
        .post(
            &format!("/api/v1/orders/{order}/activity/attendance"),
            &json!({"volunteer_id": v3, "checked_in_at": iso(starts),
                "checked_out_at": iso(starts + Duration::minutes(59))}),
            Some(&cast.leader),
        )
        .await
        .expect(200);
    assert_eq!(manual["source"], "manual");
    assert_eq!(manual["state"], "signed_up");
    assert_eq!(manual["hours"], 0.5);
    // Bad attendance lists every bad field and changes nothing.
    let bad = app
        .post(
            &format!("/api/v1/orders/{order}/activity/attendance"),
            &json!({"volunteer_id": "nope", "checked_in_at": "yesterday",
                "checked_out_at": iso(starts - Duration::hours(3))}),
            Some(&cast.leader),
        )
        .await
        .expect(422);
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["volunteer_id", "checked_in_at"]);

    // v2 forgets to check out. The sweeper leaves them alone while check-out is still open …
    app.clock
        .advance(ends + Duration::hours(1) - app.state.now());
    let report = sweep(&app.state, app.state.now()).await.unwrap();
    assert_eq!(report.check_outs_closed, 0);
    // … and closes the check-out at the end, flagged, once the window has passed.
    app.clock.advance(Duration::hours(1) + Duration::minutes(1));
    let report = sweep(&app.state, app.state.now()).await.unwrap();
    assert_eq!(report.check_outs_closed, 1);
    let second = app.second_instance().await;
    assert_eq!(
        sweep(&second, second.now())
            .await
            .unwrap()
            .check_outs_closed,
        0
    );
    let view = activity(&app, &order, &cast.leader).await;
    let forgot = row(&view, &v2);
    assert_eq!(forgot["flagged"], true);
    let closed_at: DateTime<Utc> = forgot["checked_out_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(closed_at, ends);
    assert_eq!(forgot["hours"], 2.0);
    assert_eq!(row(&view, &v1)["flagged"], false);

    // v1 already has 23 h filed that day: attendance fills only what the day allows.
    let served_on = app.state.today();
    let earlier = cast
        .complete_with(&app, json!({}), served_on, 5, &[(&v1, 23.0)])
        .await;
    // Without hours and without any attendance, complete names `hours`.
    let empty = cast.claimed_with(&app, json!({})).await;
    let refused = app
        .act(
            &empty,
            "complete",
            json!({"served_on": served_on.to_string(), "attendees": 20, "summary": "讲座"}),
            &cast.leader,
        )
        .await
        .expect(422);
    assert_eq!(refused["errors"][0]["field"], "hours");

    app.act(
        &order,
        "complete",
        json!({"served_on": served_on.to_string(), "attendees": 40, "summary": "讲解了疫苗接种"}),
        &cast.leader,
    )
    .await
    .expect(200);
    let admin = app.admin().await;
    let records = app
        .get(
            &format!("/api/v1/service-records?order_id={order}"),
            Some(&admin),
        )
        .await
        .expect(200);
    let mut filed: Vec<(String, f64, String)> = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["volunteer_id"].as_str().unwrap().to_owned(),
                r["hours"].as_f64().unwrap(),
                r["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    filed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (v1.clone(), 1.0, "attendance".to_owned()),
        (v2.clone(), 2.0, "attendance".to_owned()),
        (v3.clone(), 0.5, "attendance".to_owned()),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(filed, expected);
    let events = app
        .get(&format!("/api/v1/orders/{order}/events"), Some(&admin))
        .await
        .expect(200);
    assert_eq!(events["chain_valid"], true);

    // Explicit hours are `manual`, and win over attendance.
    let typed = app
        .get(
            &format!("/api/v1/service-records?order_id={earlier}"),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(typed["items"][0]["source"], "manual");
    let other = cast.claimed_with(&app, json!({})).await;
    let starts = app.state.now() + Duration::minutes(10);
    schedule(&app, &other, &cast.leader, starts, 1, 5).await;
    signup(&app, &other, &t2).await.expect(201);
    let c = code(&app, &other, &cast.leader).await;
    punch(&app, &other, "check-in", &t2, &c).await.expect(200);
    app.act(
        &other,
        "complete",
        json!({"served_on": served_on.to_string(), "attendees": 10, "summary": "讲座",
            "hours": [{"volunteer_id": v2, "hours": 3.5}]}),
        &cast.leader,
    )
    .await
    .expect(200);
    let won = app
        .get(
            &format!("/api/v1/service-records?order_id={other}"),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(won["items"].as_array().unwrap().len(), 1);
    assert_eq!(won["items"][0]["hours"], 3.5);
    assert_eq!(won["items"][0]["source"], "manual");
}

/// The messages about activities (approvals of the volunteers left out).
fn activity_mails(smtp: &MailServer) -> Vec<crate::mail_server::Mail> {
    smtp.received()
        .into_iter()
        .filter(|m| m.subject().contains("活动"))
        .collect()
}

#[tokio::test]
async fn the_reminder_goes_out_once_a_day_before_and_a_reschedule_is_mailed() {
    let smtp = MailServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    let cast = Cast::new(&app).await;
    let order = cast.claimed_with(&app, json!({})).await;
    let (_, t1) = volunteer(&app, &cast.team_id).await;
    let (_, t2) = volunteer(&app, &cast.team_id).await;
    let starts = app.state.now() + Duration::hours(30);
    schedule(&app, &order, &cast.leader, starts, 2, 1).await;
    signup(&app, &order, &t1).await.expect(201);
    assert_eq!(
        signup(&app, &order, &t2).await.expect(201)["state"],
        "waitlisted"
    );

    // Thirty hours ahead nothing is due.
    assert_eq!(
        sweep(&app.state, app.state.now())
            .await
            .unwrap()
            .reminders_sent,
        0
    );
    // Moving it tells the signed-up volunteer (not the waitlisted one).
    let moved = starts - Duration::hours(4);
    schedule(&app, &order, &cast.leader, moved, 2, 1).await;
    deliver_due(&app.state, app.state.now()).await.unwrap();
    let mails = activity_mails(&smtp);
    assert_eq!(
        mails.len(),
        1,
        "{:?}",
        mails.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    assert!(
        mails[0].subject().contains("有变"),
        "{}",
        mails[0].subject()
    );
    let local = moved.with_timezone(&chrono_tz_shanghai());
    assert!(
        mails[0]
            .text()
            .contains(&local.format("%Y-%m-%d %H:%M").to_string()),
        "{}",
        mails[0].text()
    );

    // A day before the new start the reminder is due: queued once, by one of two sweepers.
    app.clock.advance(Duration::hours(3));
    let second = app.second_instance().await;
    let now = app.state.now();
    let (a, b) = tokio::join!(sweep(&app.state, now), sweep(&second, now));
    assert_eq!(a.unwrap().reminders_sent + b.unwrap().reminders_sent, 1);
    assert_eq!(
        sweep(&app.state, app.state.now())
            .await
            .unwrap()
            .reminders_sent,
        0
    );
    deliver_due(&app.state, app.state.now()).await.unwrap();
    let mails = activity_mails(&smtp);
    let reminders: Vec<_> = mails
        .iter()
        .filter(|m| m.subject().contains("提醒"))
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(mails.len(), 2, "nothing for the waitlisted volunteer");
    assert!(
        reminders[0]
            .text()
            .contains(&format!("/console/activities/{order}/withdraw")),
        "{}",
        reminders[0].text()
    );
}

#[tokio::test]
async fn the_calendar_feed_parses_and_shows_the_local_time_and_a_new_token_replaces_the_old() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let order = cast.claimed_with(&app, json!({})).await;
    let (_, token) = volunteer(&app, &cast.team_id).await;
    // Tomorrow at 10:00 in the deployment's zone (UTC+8).
    let tomorrow = app.state.today() + Duration::days(1);
    let local_start = chrono_tz_shanghai()
        .from_local_datetime(&tomorrow.and_hms_opt(10, 0, 0).unwrap())
        .single()
        .unwrap();
    let starts = local_start.with_timezone(&Utc);
    schedule(&app, &order, &cast.leader, starts, 2, 5).await;
    signup(&app, &order, &token).await.expect(201);

    let first = app
        .post("/api/v1/me/calendar", &json!({}), Some(&token))
        .await
        .expect(200);
    let url = first["url"].as_str().unwrap();
    let path = &url[url.find("/ical/").unwrap()..];
    assert!(path.ends_with(".ics"));
    let feed = app.get_raw(path, None, None).await;
    assert_eq!(feed.status.as_u16(), 200);
    assert!(feed.header("content-type").starts_with("text/calendar"));
    let text = feed.text();
    assert!(text.contains("\r\n"), "lines end in CRLF");

    let mut parser = ical::IcalParser::new(text.as_bytes());
    let calendar = parser.next().expect("one calendar").expect("it parses");
    assert!(parser.next().is_none());
    assert_eq!(calendar.events.len(), 1);
    let event = &calendar.events[0];
    let prop = |name: &str| {
        event
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    let dtstart = prop("DTSTART");
    assert!(dtstart.ends_with('Z'), "DTSTART in UTC: {dtstart}");
    let parsed = NaiveDateTime::parse_from_str(&dtstart, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let shown = parsed.with_timezone(&chrono_tz_shanghai());
    assert_eq!(shown.date_naive(), tomorrow);
    assert_eq!((shown.hour(), shown.minute()), (10, 0));
    assert_eq!(prop("LOCATION"), "西尼嘎查文化室");
    assert_eq!(prop("STATUS"), "CONFIRMED");
    assert!(prop("UID").contains(&order));

    // A new token replaces the old: the old address is gone.
    let second = app
        .post("/api/v1/me/calendar", &json!({}), Some(&token))
        .await
        .expect(200);
    assert_ne!(second["url"], first["url"]);
    assert_eq!(app.get_raw(path, None, None).await.status.as_u16(), 404);
    let new_url = second["url"].as_str().unwrap();
    let new_path = &new_url[new_url.find("/ical/").unwrap()..];
    assert_eq!(app.get_raw(new_path, None, None).await.status.as_u16(), 200);

    // After withdrawing, the feed no longer shows it; "my activities" still lists it, with the
    // volunteer's row withdrawn.
    withdraw(&app, &order, &token).await.expect(204);
    let text = app.get_raw(new_path, None, None).await.text();
    assert!(!text.contains("BEGIN:VEVENT"));
    let mine = app
        .get("/api/v1/me/activities", Some(&token))
        .await
        .expect(200);
    assert_eq!(mine["upcoming"][0]["order_id"], order.as_str());
    assert_eq!(mine["upcoming"][0]["mine"]["state"], "withdrawn");
    assert_eq!(mine["past"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn scheduling_lists_every_bad_field_and_needs_a_claimed_order() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let order = cast.claimed_with(&app, json!({})).await;
    let bad = put_activity(
        &app,
        &order,
        &cast.leader,
        &json!({"starts_at": "tomorrow", "ends_at": iso(app.state.now() - Duration::hours(1)),
            "place": "", "slots": 0}),
    )
    .await
    .expect(422);
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["starts_at", "ends_at", "place", "slots"]);
    let types = put_activity(&app, &order, &cast.leader, &json!({"slots": "ten"}))
        .await
        .expect(400);
    assert_eq!(types["code"], "request.invalid_types");
    // Nothing was scheduled.
    app.get(
        &format!("/api/v1/orders/{order}/activity"),
        Some(&cast.leader),
    )
    .await
    .expect(404);

    let (done, _) = cast.order_in(&app, "completed").await;
    let closed = put_activity(
        &app,
        &done,
        &cast.leader,
        &json!({"starts_at": iso(app.state.now() + Duration::hours(1)),
            "ends_at": iso(app.state.now() + Duration::hours(2)), "place": "x", "slots": 3}),
    )
    .await
    .expect(409);
    assert_eq!(closed["code"], "activity.order_not_claimed");
    assert_eq!(closed["current_state"], "completed");
}

/// One row of the matrix: name, method, path, body, the member column's token, and the
/// expected status per caller.
type Row<'a> = (&'a str, Method, String, Option<Value>, &'a str, [u16; 12]);

/// The callers of the permission matrix, in column order.
const CALLERS: [&str; 12] = [
    "anonymous",
    "resident",
    "other resident",
    "station",
    "other station",
    "department",
    "other department",
    "leader",
    "other leader",
    "member",
    "volunteer",
    "admin",
];

/// Every activity endpoint × every kind of caller, in and out of scope: 401 without a user's
/// credentials (a resident token is not one), 404 outside the scope (other stations,
/// departments, teams, volunteers not in the claiming team), 403 in scope without the right,
/// 2xx for those it is for.
#[tokio::test]
async fn activity_permission_matrix() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (order, resident) = cast.order_in(&app, "claimed").await;
    let stranger = app.submit().await["resident_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let balagong = app.get("/api/v1/stations", None).await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["township_codes"] == json!(["balagong"]))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_station = app
        .user("station_staff", Some(("station_id", &balagong)))
        .await;
    let kexie = app.find_id("departments", "code", "kexie").await;
    let other_department = app
        .user("department_staff", Some(("department_id", &kexie)))
        .await;
    let (other_team, other_leader) = app.team().await;
    let (_, member) = volunteer(&app, &cast.team_id).await;
    let (member2_id, _) = volunteer(&app, &cast.team_id).await;
    let (_, member3) = volunteer(&app, &cast.team_id).await;
    let (_, outsider) = volunteer(&app, &other_team).await;
    let admin = app.admin().await;
    let auth = |who: &str, member: &str| -> Option<String> {
        let b = |t: &str| Some(format!("Bearer {t}"));
        match who {
            "anonymous" => None,
            "resident" => Some(format!("Resident {resident}")),
            "other resident" => Some(format!("Resident {stranger}")),
            "station" => b(&cast.station),
            "other station" => b(&other_station),
            "department" => b(&cast.department),
            "other department" => b(&other_department),
            "leader" => b(&cast.leader),
            "other leader" => b(&other_leader),
            "member" => b(member),
            "volunteer" => b(&outsider),
            "admin" => b(&admin),
            other => panic!("{other}"),
        }
    };
    let now = app.state.now();
    let starts = now + Duration::minutes(30);
    let schedule_body = json!({"starts_at": iso(starts), "ends_at": iso(starts + Duration::hours(2)),
        "place": "西尼嘎查文化室", "slots": 10});
    let attendance_body = json!({"volunteer_id": member2_id,
        "checked_in_at": iso(now - Duration::minutes(20)),
        "checked_out_at": iso(now - Duration::minutes(10))});
    let base = format!("/api/v1/orders/{order}/activity");

    // (method, path, body, the member column's token, expected per caller)
    let mut failures = Vec::new();
    let mut check = |row: &str, who: &str, got: u16, want: u16, body: &Value| {
        if got != want {
            failures.push(format!("{row} as {who}: {got}, expected {want} ({body})"));
        }
    };
    let rows: Vec<Row<'_>> = vec![
        (
            "schedule",
            Method::PUT,
            base.clone(),
            Some(schedule_body),
            &member,
            [401, 401, 401, 403, 404, 403, 404, 200, 404, 403, 404, 403],
        ),
        (
            "read",
            Method::GET,
            base.clone(),
            None,
            &member,
            [401, 401, 401, 200, 404, 200, 404, 200, 404, 200, 404, 200],
        ),
        (
            "sign up",
            Method::POST,
            format!("{base}/signup"),
            Some(json!({})),
            &member,
            [401, 401, 401, 403, 404, 403, 404, 403, 404, 201, 404, 403],
        ),
        (
            "sign up (the withdrawer)",
            Method::POST,
            format!("{base}/signup"),
            Some(json!({})),
            &member3,
            [401, 401, 401, 403, 404, 403, 404, 403, 404, 201, 404, 403],
        ),
        (
            "withdraw",
            Method::DELETE,
            format!("{base}/signup"),
            None,
            &member3,
            [401, 401, 401, 403, 404, 403, 404, 403, 404, 204, 404, 403],
        ),
        (
            "code",
            Method::POST,
            format!("{base}/code"),
            Some(json!({})),
            &member,
            [401, 401, 401, 403, 404, 403, 404, 200, 404, 403, 404, 403],
        ),
        (
            "attendance",
            Method::POST,
            format!("{base}/attendance"),
            Some(attendance_body),
            &member,
            [401, 401, 401, 403, 404, 403, 404, 200, 404, 403, 404, 403],
        ),
        (
            "my activities",
            Method::GET,
            "/api/v1/me/activities".into(),
            None,
            &member,
            [401, 401, 401, 403, 403, 403, 403, 403, 403, 200, 200, 403],
        ),
        (
            "calendar",
            Method::POST,
            "/api/v1/me/calendar".into(),
            Some(json!({})),
            &member,
            [401, 401, 401, 403, 403, 403, 403, 403, 403, 200, 200, 403],
        ),
    ];
    let mut code_now = String::new();
    for (name, method, path, body, member_token, expected) in &rows {
        // Those it is for go last, so that the others meet the same state.
        let mut order_of: Vec<usize> = (0..12).filter(|i| expected[*i] >= 400).collect();
        order_of.extend((0..12).filter(|i| expected[*i] < 400));
        for i in order_of {
            let who = CALLERS[i];
            let reply = app
                .request(
                    method.clone(),
                    path,
                    body.as_ref(),
                    auth(who, member_token).as_deref(),
                )
                .await;
            check(name, who, reply.status.as_u16(), expected[i], &reply.body);
            if *name == "code" && reply.status == 200 {
                code_now = reply.body["code"].as_str().unwrap().to_owned();
            }
        }
    }
    for (name, path) in [("check in", "check-in"), ("check out", "check-out")] {
        let expected = [401, 401, 401, 403, 404, 403, 404, 403, 404, 200, 404, 403];
        let mut order_of: Vec<usize> = (0..12).filter(|i| expected[*i] >= 400).collect();
        order_of.push(9);
        for i in order_of {
            let who = CALLERS[i];
            let reply = app
                .request(
                    Method::POST,
                    &format!("{base}/{path}"),
                    Some(&json!({"code": code_now})),
                    auth(who, &member).as_deref(),
                )
                .await;
            check(name, who, reply.status.as_u16(), expected[i], &reply.body);
        }
    }
    let feed = app.get_raw("/ical/not-a-token.ics", None, None).await;
    check(
        "calendar feed",
        "anyone",
        feed.status.as_u16(),
        404,
        &feed.json(),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Every problem is application/problem+json.
    let problem = app.get_raw(&base, Some(&other_leader), None).await;
    assert_eq!(problem.header("content-type"), "application/problem+json");
}
