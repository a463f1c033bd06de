//! The staff console, as a browser without JavaScript uses it: sign-in and sessions, every
//! route for every role in and out of scope, CSRF refusals, and each form checked afterwards
//! through the JSON API, which shows that the console acted through the same services (the
//! same state, events, hash chain and ledger).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "password-123";

/// A console path and the status a role gets there.
type Expect<'a> = (&'a str, StatusCode);

/// Creates an account of `role` (with scope field → id); returns (username, user id).
pub(crate) async fn account(
    app: &TestApp,
    role: &str,
    scope: Option<(&str, &str)>,
) -> (String, String) {
    let username = format!("c{role}{}", app.next());
    let mut body = json!({"username": username, "password": PASSWORD, "role": role, "display_name": "控制台用户"});
    if let Some((field, id)) = scope {
        body[field] = json!(id);
    }
    let user = app
        .post("/api/v1/users", &body, Some(&app.admin().await))
        .await
        .expect(201);
    (username, user["id"].as_str().unwrap().to_owned())
}

/// A browser signed in to the console as `username`.
pub(crate) async fn signed_in<'a>(app: &'a TestApp, username: &str, password: &str) -> Browser<'a> {
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
    let notice = done
        .html
        .find("id=\"notice\"")
        .map(|i| &done.html[i..i + 120]);
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{username}: {notice:?}");
    assert!(b.cookies.contains_key("kepu_console"));
    b
}

/// The people of one order's life with console accounts.
struct Crew {
    station: String,
    department: String,
    department_id: String,
    leader: String,
    team_id: String,
    volunteer: String,
}

impl Crew {
    async fn new(app: &TestApp) -> Self {
        let station_id = app.xini_station().await;
        let department_id = app.nongmu().await;
        let (station, _) = account(app, "station_staff", Some(("station_id", &station_id))).await;
        let (department, _) = account(
            app,
            "department_staff",
            Some(("department_id", &department_id)),
        )
        .await;
        let admin = app.admin().await;
        let team = app
            .post(
                "/api/v1/teams",
                &json!({"name": format!("控制台服务队{}", app.next()), "theme_codes": ["farming_herding"]}),
                Some(&admin),
            )
            .await
            .expect(201);
        let team_id = team["id"].as_str().unwrap().to_owned();
        let (leader, _) = account(app, "team_leader", Some(("team_id", &team_id))).await;
        let volunteer = app
            .member_with(&team_id, "其木格", &format!("135{:08}", app.next()), None)
            .await;
        Self {
            station,
            department,
            department_id,
            leader,
            team_id,
            volunteer,
        }
    }
}

/// Posts the form of `action` on the order page as the browser sees it now.
async fn act(b: &mut Browser<'_>, id: &str, action: &str, fields: &[(&str, &str)]) -> Page {
    let page = b.get(&format!("/console/orders/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains(&format!("id=\"f-{action}\"")),
        "no {action} form on the page"
    );
    let (csrf, version) = (page.input("csrf"), page.input("version"));
    let mut pairs = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
    pairs.extend_from_slice(fields);
    b.post(&format!("/console/orders/{id}/{action}"), &pairs)
        .await
}

async fn order(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/orders/{id}"), Some(&app.admin().await))
        .await
        .expect(200)
}

async fn events(app: &TestApp, id: &str) -> Value {
    app.get(
        &format!("/api/v1/orders/{id}/events"),
        Some(&app.admin().await),
    )
    .await
    .expect(200)
}

#[tokio::test]
async fn every_console_route_answers_each_role_in_and_out_of_scope() {
    let app = spawn_app().await;
    let crew = Crew::new(&app).await;
    let id = app.submit().await["id"].as_str().unwrap().to_owned();
    let xini = app.xini_station().await;
    let other_station = app.get("/api/v1/stations", None).await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] != json!(xini))
        .and_then(|s| s["id"].as_str())
        .expect("a second station")
        .to_owned();
    let (elsewhere, _) = account(&app, "station_staff", Some(("station_id", &other_station))).await;
    let (_, phone) = app.register_in("xini").await;
    let order_page = format!("/console/orders/{id}");
    let missing = format!("/console/orders/{}", uuid::Uuid::now_v7());

    // Signed out: every page but the sign-in sends the browser to sign in, and back.
    let mut anon = Browser::new(&app);
    for path in [
        "/console/",
        "/console/orders",
        &order_page,
        "/console/hours",
        "/console/me",
        "/console/orders/new",
    ] {
        let page = anon.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            page.location().starts_with("/console/login?next="),
            "{path}"
        );
    }
    assert_eq!(anon.get("/console/login").await.status, StatusCode::OK);
    assert_eq!(
        anon.get("/console/nothing").await.status,
        StatusCode::NOT_FOUND
    );

    let admin_user = ("admin", ADMIN_PASSWORD);
    let cases: Vec<(&str, &str, Vec<Expect>)> = vec![
        (
            admin_user.0,
            admin_user.1,
            vec![
                ("/console/orders", StatusCode::OK),
                (&order_page, StatusCode::OK),
                ("/console/orders/new", StatusCode::OK),
                ("/console/hours", StatusCode::OK),
                ("/console/me", StatusCode::OK),
                (&missing, StatusCode::NOT_FOUND),
                ("/console/orders/not-an-id", StatusCode::NOT_FOUND),
            ],
        ),
        (
            &crew.station,
            PASSWORD,
            vec![
                ("/console/orders", StatusCode::OK),
                (&order_page, StatusCode::OK),
                ("/console/orders/new", StatusCode::OK),
                ("/console/hours", StatusCode::FORBIDDEN),
                ("/console/me", StatusCode::OK),
                ("/console/", StatusCode::SEE_OTHER),
            ],
        ),
        (
            &elsewhere,
            PASSWORD,
            vec![
                ("/console/orders", StatusCode::OK),
                (&order_page, StatusCode::NOT_FOUND),
            ],
        ),
        (
            &crew.department,
            PASSWORD,
            vec![
                ("/console/orders", StatusCode::OK),
                (&order_page, StatusCode::NOT_FOUND),
                ("/console/orders/new", StatusCode::FORBIDDEN),
                ("/console/hours", StatusCode::OK),
            ],
        ),
        (
            &crew.leader,
            PASSWORD,
            vec![
                ("/console/orders", StatusCode::OK),
                (&order_page, StatusCode::NOT_FOUND),
                ("/console/orders/new", StatusCode::FORBIDDEN),
                ("/console/hours", StatusCode::FORBIDDEN),
            ],
        ),
        (
            &phone,
            PASSWORD,
            vec![
                ("/console/orders", StatusCode::FORBIDDEN),
                (&order_page, StatusCode::FORBIDDEN),
                ("/console/orders/new", StatusCode::FORBIDDEN),
                ("/console/hours", StatusCode::FORBIDDEN),
                ("/console/me", StatusCode::OK),
                ("/console/", StatusCode::SEE_OTHER),
            ],
        ),
    ];
    for (username, password, expectations) in cases {
        let mut b = signed_in(&app, username, password).await;
        for (path, status) in expectations {
            let page = b.get(path).await;
            assert_eq!(page.status, status, "{username} GET {path}");
            if status == StatusCode::OK {
                let csp = page.headers["content-security-policy"].to_str().unwrap();
                assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"));
            }
        }
    }
    // Each role's home.
    let mut volunteer = signed_in(&app, &phone, PASSWORD).await;
    assert_eq!(volunteer.get("/console/").await.location(), "/console/me");
    // Posting an action out of scope is the same 404 as reading it.
    let mut b = signed_in(&app, &elsewhere, PASSWORD).await;
    let csrf = b.get("/console/me").await.input("csrf");
    let refused = b
        .post(
            &format!("{order_page}/reject"),
            &[("csrf", &csrf), ("reason", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(order(&app, &id).await["state"], "submitted");
}

#[tokio::test]
async fn every_console_form_refuses_a_post_without_its_token() {
    let app = spawn_app().await;
    let crew = Crew::new(&app).await;
    let id = app.submit().await["id"].as_str().unwrap().to_owned();

    // Sign-in itself needs the token.
    let mut b = Browser::new(&app);
    b.get("/console/login").await;
    let page = b
        .post(
            "/console/login",
            &[("username", &crew.station), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!b.cookies.contains_key("kepu_console"));

    let mut b = signed_in(&app, &crew.station, PASSWORD).await;
    let page = b.get(&format!("/console/orders/{id}")).await;
    let version = page.input("version");
    let department = crew.department_id.as_str();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/console/orders/{id}/dispatch"),
            vec![("version", &version), ("department_id", department)],
        ),
        (
            "/console/orders/dispatch".into(),
            vec![("department_id", department)],
        ),
        (
            "/console/orders/new".into(),
            vec![("channel", "phone"), ("theme", "health")],
        ),
        ("/console/me".into(), vec![("email", "x@kepu.test")]),
        (
            "/console/me/password".into(),
            vec![
                ("current_password", PASSWORD),
                ("new_password", "another-pass-1"),
                ("confirm_password", "another-pass-1"),
            ],
        ),
        ("/console/logout".into(), vec![]),
    ];
    for (path, fields) in &forms {
        for token in [None, Some("forged-token-0000000000000")] {
            let mut pairs = fields.clone();
            if let Some(t) = token {
                pairs.push(("csrf", t));
            }
            let refused = b.post(path, &pairs).await;
            assert_eq!(
                refused.status,
                StatusCode::FORBIDDEN,
                "{path} with {token:?}"
            );
        }
    }
    // A genuine token from another site's page is refused too.
    let csrf = b.cookies["kepu_csrf"].clone();
    let req = app
        .client
        .post(format!("{}/console/orders/{id}/dispatch", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", "https://evil.example")
        .body(encode(&[
            ("csrf", &csrf),
            ("version", &version),
            ("department_id", department),
        ]));
    assert_eq!(b.send(req).await.status, StatusCode::FORBIDDEN);
    // Nothing happened: the order waits, the session lives, the password is the old one.
    assert_eq!(order(&app, &id).await["state"], "submitted");
    assert_eq!(b.get("/console/orders").await.status, StatusCode::OK);
    app.login(&crew.station, PASSWORD).await;

    // Department staff's hours form too.
    let mut d = signed_in(&app, &crew.department, PASSWORD).await;
    let refused = d
        .post(
            "/console/hours",
            &[("decision", "confirm"), ("record", department)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_order_lives_its_whole_life_in_the_console() {
    let app = spawn_app().await;
    let crew = Crew::new(&app).await;
    let id = app.submit().await["id"].as_str().unwrap().to_owned();

    // The station clerk finds it in the queue and dispatches it.
    let mut station = signed_in(&app, &crew.station, PASSWORD).await;
    let queue = station.get("/console/orders").await;
    assert!(queue.html.contains(&format!("/console/orders/{id}")));
    let page = station.get(&format!("/console/orders/{id}")).await;
    assert!(
        page.html.contains("13812345678"),
        "the station handles it: full phone"
    );
    let done = act(
        &mut station,
        &id,
        "dispatch",
        &[
            ("department_id", &crew.department_id),
            ("note", "请农牧局安排"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), format!("/console/orders/{id}?done=1"));
    assert_eq!(order(&app, &id).await["state"], "dispatched");

    // The department officer offers it to the crew's team only.
    let mut department = signed_in(&app, &crew.department, PASSWORD).await;
    let done = act(
        &mut department,
        &id,
        "accept",
        &[("offer", "chosen"), ("team_ids", &crew.team_id)],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let o = order(&app, &id).await;
    assert_eq!(o["state"], "accepted");
    assert_eq!(o["claim_team_ids"], json!([crew.team_id]));

    // The team leader claims it with a planned date and completes it with hours per member.
    let mut leader = signed_in(&app, &crew.leader, PASSWORD).await;
    let planned = today().to_string();
    let done = act(&mut leader, &id, "claim", &[("planned_date", &planned)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let page = leader.get(&format!("/console/orders/{id}")).await;
    assert!(
        page.html.contains("其木格"),
        "the member is listed in the hours table"
    );
    let field = format!("h-{}", crew.volunteer);
    let done = act(
        &mut leader,
        &id,
        "complete",
        &[
            ("served_on", &planned),
            ("attendees", "40"),
            ("summary", "讲解了羊的疫苗接种"),
            (&field, "2.5"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let o = order(&app, &id).await;
    assert_eq!(o["state"], "completed");
    assert_eq!(o["attendees"], 40);

    // The department confirms the hours.
    let hours = department.get("/console/hours").await;
    assert!(hours.html.contains("其木格"));
    let record = app.records_of(&id).await;
    let record_id = service_record_of(&record, &crew.volunteer);
    let done = department
        .post(
            "/console/hours",
            &[("csrf", &hours.input("csrf")), ("only", &record_id)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/console/hours?done=1-0");
    let hours = app.hours_of(&crew.volunteer).await;
    assert_eq!(hours["confirmed_hours"], 2.5);

    // The API's history shows each step, by the console's users, in one verified chain.
    let history = events(&app, &id).await;
    assert_eq!(history["chain_valid"], true);
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submit", "dispatch", "accept", "claim", "complete"]
    );
    let page = station.get(&format!("/console/orders/{id}")).await;
    assert!(page.html.contains("记录链已校验"));
}

#[tokio::test]
async fn a_stale_page_is_refused_and_a_bad_form_keeps_what_was_typed() {
    let app = spawn_app().await;
    let crew = Crew::new(&app).await;
    let cast_station = app.login(&crew.station, PASSWORD).await;
    let id = app.submit().await["id"].as_str().unwrap().to_owned();
    let mut station = signed_in(&app, &crew.station, PASSWORD).await;
    let page = station.get(&format!("/console/orders/{id}")).await;
    let (csrf, version) = (page.input("csrf"), page.input("version"));
    // Meanwhile someone else dispatches it through the API.
    app.act(
        &id,
        "dispatch",
        json!({"department_id": crew.department_id}),
        &cast_station,
    )
    .await
    .expect(200);
    let stale = station
        .post(
            &format!("/console/orders/{id}/cancel"),
            &[("csrf", &csrf), ("version", &version), ("reason", "重复了")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.html.contains("其他人已经处理了这个订单"));
    assert!(
        stale.html.contains("已派单"),
        "the page shows the order as it is now"
    );
    assert_eq!(order(&app, &id).await["state"], "dispatched");

    // A refused form: every message beside its field, everything typed kept.
    let id = Cast::claimed_with(
        &Cast {
            station: cast_station.clone(),
            department: app.login(&crew.department, PASSWORD).await,
            department_id: crew.department_id.clone(),
            team_id: crew.team_id.clone(),
            leader: app.login(&crew.leader, PASSWORD).await,
            volunteer: crew.volunteer.clone(),
        },
        &app,
        json!({}),
    )
    .await;
    let mut leader = signed_in(&app, &crew.leader, PASSWORD).await;
    let field = format!("h-{}", crew.volunteer);
    let refused = act(
        &mut leader,
        &id,
        "complete",
        &[
            ("served_on", "2999-01-01"),
            ("attendees", "12"),
            ("summary", "讲了防疫"),
            (&field, "0.3"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !refused.error(&format!("complete-{field}")).is_empty(),
        "hours message beside the member"
    );
    assert!(refused.html.contains("讲了防疫"), "the summary is kept");
    assert!(refused.html.contains("value=\"0.3\""), "the hours are kept");
    let refused = act(&mut leader, &id, "release", &[("reason", "")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error("release-reason"), "必填");
    assert_eq!(order(&app, &id).await["state"], "claimed");
}

#[tokio::test]
async fn station_staff_dispatch_in_bulk_see_duplicates_and_take_orders_by_phone() {
    let app = spawn_app().await;
    let crew = Crew::new(&app).await;
    let station_token = app.login(&crew.station, PASSWORD).await;
    // One order of the theme went to 农牧局 before: that is the suggestion.
    let first = app.submit().await["id"].as_str().unwrap().to_owned();
    app.act(
        &first,
        "dispatch",
        json!({"department_id": crew.department_id}),
        &station_token,
    )
    .await
    .expect(200);
    let a = app.submit().await["id"].as_str().unwrap().to_owned();
    let b_id = app.submit().await["id"].as_str().unwrap().to_owned();

    let mut b = signed_in(&app, &crew.station, PASSWORD).await;
    let page = b.get(&format!("/console/orders/{a}")).await;
    let dups = &page.html[page
        .html
        .find("id=\"duplicates\"")
        .expect("duplicates listed")..];
    assert!(
        dups.contains(&format!("/console/orders/{first}"))
            && dups.contains(&format!("/console/orders/{b_id}"))
    );
    assert!(
        page.html.contains(&format!(
            "<option value=\"{}\" selected>",
            crew.department_id
        )),
        "suggested department preselected"
    );
    // Reject as a duplicate of one of them.
    let done = act(
        &mut b,
        &a,
        "reject",
        &[("reason", "重复点单"), ("duplicate_of", &first)],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let history = events(&app, &a).await;
    assert_eq!(history["items"][1]["data"]["duplicate_of"], json!(first));

    // Counts per state, and two new orders dispatched at once.
    let c_id = app.submit().await["id"].as_str().unwrap().to_owned();
    let queue = b.get("/console/orders?state=submitted").await;
    assert!(
        queue.html.contains("已点单 <b>2</b>") && queue.html.contains("已驳回 <b>1</b>"),
        "{}",
        queue.html
    );
    let pick = |id: &str| {
        let marker = format!("value=\"{id}.");
        let start = queue.html.find(&marker).expect("selectable") + 7;
        let end = queue.html[start..].find('"').unwrap() + start;
        queue.html[start..end].to_owned()
    };
    let (pa, pc) = (pick(&b_id), pick(&c_id));
    let csrf = queue.input("csrf");
    let done = b
        .post(
            "/console/orders/dispatch",
            &[
                ("csrf", &csrf),
                ("order", &pa),
                ("order", &pc),
                ("department_id", &crew.department_id),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/console/orders?done=2-0");
    for id in [&b_id, &c_id] {
        assert_eq!(order(&app, id).await["state"], "dispatched");
    }
    // The same selection again: both have moved on, nothing is done twice.
    let again = b
        .post(
            "/console/orders/dispatch",
            &[
                ("csrf", &csrf),
                ("order", &pa),
                ("order", &pc),
                ("department_id", &crew.department_id),
            ],
        )
        .await;
    assert_eq!(again.location(), "/console/orders?done=0-2");

    // An order taken by phone.
    let form = b.get("/console/orders/new").await;
    let refused = b
        .post(
            "/console/orders/new",
            &[
                ("csrf", &form.input("csrf")),
                ("idem", &form.input("idem")),
                ("channel", "phone"),
                ("theme", "health"),
                ("township", "xini"),
                ("description", "讲讲高血压"),
                ("contact_name", "王大妈"),
                ("contact_phone", "123"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.error("contact_phone").is_empty());
    assert!(refused.html.contains("讲讲高血压"));
    let done = b
        .post(
            "/console/orders/new",
            &[
                ("csrf", &form.input("csrf")),
                ("idem", &refused.input("idem")),
                ("channel", "counter"),
                ("theme", "health"),
                ("township", "xini"),
                ("description", "讲讲高血压"),
                ("contact_name", "王大妈"),
                ("contact_phone", "13912345678"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let new_id = done
        .location()
        .trim_start_matches("/console/orders/")
        .trim_end_matches("?done=1")
        .to_owned();
    let o = order(&app, &new_id).await;
    assert_eq!(o["channel"], "counter");
    assert_eq!(o["state"], "submitted");
}

#[tokio::test]
async fn sign_in_slows_down_and_ended_sessions_end_the_console_too() {
    let app = spawn_app().await;
    let (clerk, clerk_id) = account(
        &app,
        "station_staff",
        Some(("station_id", &app.xini_station().await)),
    )
    .await;
    let mut b = Browser::new(&app);
    let csrf = b.get("/console/login").await.input("csrf");
    for _ in 0..5 {
        let page = b
            .post(
                "/console/login",
                &[
                    ("csrf", &csrf),
                    ("username", &clerk),
                    ("password", "wrong-password"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.html.contains(&clerk), "the username is kept");
    }
    let locked = b
        .post(
            "/console/login",
            &[
                ("csrf", &csrf),
                ("username", &clerk),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers.contains_key("retry-after"));
    let admin = app.admin().await;

    // A reset lifts the lock and ends sessions; the temporary password forces a change.
    let temp = app
        .post(
            &format!("/api/v1/users/{clerk_id}/reset-password"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
    let temp = temp["temporary_password"].as_str().unwrap().to_owned();
    let mut b = signed_in(&app, &clerk, &temp).await;
    let page = b.get("/console/orders").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/console/me");
    let me = b.get("/console/me").await;
    assert!(me.html.contains("请先设置新密码"));
    let csrf = me.input("csrf");
    let mismatch = b
        .post(
            "/console/me/password",
            &[
                ("csrf", &csrf),
                ("current_password", &temp),
                ("new_password", "brand-new-pass-1"),
                ("confirm_password", "brand-new-pass-2"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!mismatch.error("confirm_password").is_empty());
    let changed = b
        .post(
            "/console/me/password",
            &[
                ("csrf", &csrf),
                ("current_password", &temp),
                ("new_password", "brand-new-pass-1"),
                ("confirm_password", "brand-new-pass-1"),
            ],
        )
        .await;
    assert_eq!(changed.location(), "/console/me?pw=1");
    assert_eq!(
        b.get("/console/orders").await.status,
        StatusCode::OK,
        "this session goes on"
    );
    app.login(&clerk, "brand-new-pass-1").await;

    // Email and the mail switch, as PATCH /me stores them.
    let settings = b
        .post("/console/me", &[("csrf", &csrf), ("email", "not-an-email")])
        .await;
    assert_eq!(settings.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(settings.html.contains("not-an-email"));
    b.post(
        "/console/me",
        &[("csrf", &csrf), ("email", "clerk@kepu.test")],
    )
    .await;
    let me = app
        .get(
            "/api/v1/me",
            Some(&app.login(&clerk, "brand-new-pass-1").await),
        )
        .await
        .expect(200);
    assert_eq!(me["email"], "clerk@kepu.test");
    assert_eq!(me["notify_non_urgent"], false);

    // Deactivation ends the console session at once.
    app.post(
        &format!("/api/v1/users/{clerk_id}/deactivate"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    assert_eq!(b.get("/console/orders").await.status, StatusCode::SEE_OTHER);
    app.post(
        &format!("/api/v1/users/{clerk_id}/activate"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);

    // Sign-out ends it too, and the cookie is HttpOnly and SameSite=Strict.
    let mut b = Browser::new(&app);
    let csrf = b.get("/console/login").await.input("csrf");
    let req = app
        .client
        .post(format!("{}/console/login", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", format!("kepu_csrf={csrf}"))
        .body(encode(&[
            ("csrf", &csrf),
            ("username", &clerk),
            ("password", "brand-new-pass-1"),
        ]));
    let reply = req.send().await.unwrap();
    let cookie = reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("kepu_console="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/console"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("kepu_console=")
        .to_owned();
    b.cookies.insert("kepu_console".into(), token.clone());
    let page = b.get("/console/me").await;
    let out = b
        .post("/console/logout", &[("csrf", &page.input("csrf"))])
        .await;
    assert_eq!(out.location(), "/console/login?out=1");
    b.cookies.insert("kepu_console".into(), token);
    assert_eq!(
        b.get("/console/orders").await.status,
        StatusCode::SEE_OTHER,
        "the old cookie is dead"
    );
}

#[tokio::test]
async fn department_staff_dispute_hours_in_bulk_with_a_reason() {
    let app = spawn_app().await;
    let crew = Crew::new(&app).await;
    let cast = Cast {
        station: app.login(&crew.station, PASSWORD).await,
        department: app.login(&crew.department, PASSWORD).await,
        department_id: crew.department_id.clone(),
        team_id: crew.team_id.clone(),
        leader: app.login(&crew.leader, PASSWORD).await,
        volunteer: crew.volunteer.clone(),
    };
    let first = cast
        .complete_with(&app, json!({}), today(), 10, &[(&crew.volunteer, 1.0)])
        .await;
    let second = cast
        .complete_with(&app, json!({}), today(), 10, &[(&crew.volunteer, 1.5)])
        .await;
    let mut records = Vec::new();
    for id in [&first, &second] {
        records.push(service_record_of(
            &app.records_of(id).await,
            &crew.volunteer,
        ));
    }
    let mut d = signed_in(&app, &crew.department, PASSWORD).await;
    let page = d.get("/console/hours").await;
    let csrf = page.input("csrf");
    let no_reason = d
        .post(
            "/console/hours",
            &[
                ("csrf", &csrf),
                ("decision", "dispute"),
                ("record", &records[0]),
                ("record", &records[1]),
            ],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.error("reason"), "必填");
    let done = d
        .post(
            "/console/hours",
            &[
                ("csrf", &csrf),
                ("decision", "dispute"),
                ("reason", "人数对不上"),
                ("record", &records[0]),
                ("record", &records[1]),
            ],
        )
        .await;
    assert_eq!(done.location(), "/console/hours?done=2-0");
    for id in [&first, &second] {
        assert_eq!(app.records_of(id).await[0]["state"], "disputed");
    }
    assert!(
        d.get("/console/hours")
            .await
            .html
            .contains("没有待确认的时长")
    );
}
