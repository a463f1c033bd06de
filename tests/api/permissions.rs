//! The permission matrix: every order action × every kind of actor, with the order in the
//! action's valid from-state, answers exactly as the rules say. The checks run in the order
//! "visibility → right → state" (`kepu_domain::order::decide`): no credentials is 401, an order
//! outside the caller's scope is 404, an order in scope without the right is 403, and an
//! allowed action is 200. Also reading one order, listing orders, phone masking and the
//! association-only endpoints.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Every kind of caller the matrix asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// No `Authorization` header.
    Anonymous,
    /// `Resident <token>` of this very order.
    Resident,
    /// `Resident <token>` of another order.
    OtherResident,
    /// Station staff of the order's station.
    Station,
    /// Station staff of another station.
    OtherStation,
    /// Department staff of the department the order is (or will be) dispatched to.
    Department,
    /// Department staff of another department.
    OtherDepartment,
    /// Leader of the team allowed to claim it, and later the claiming team.
    Leader,
    /// Leader of a team the department did not allow to claim it.
    OtherLeader,
    /// A volunteer's own account.
    Volunteer,
    /// The account of the cast's volunteer, whose hours, records and certificate are asked
    /// about (only in [`LEDGER_COLUMNS`]).
    OwnVolunteer,
    /// The association.
    Admin,
}

/// The columns of the matrix, in order.
const EVERYONE: [Who; 11] = [
    Who::Anonymous,
    Who::Resident,
    Who::OtherResident,
    Who::Station,
    Who::OtherStation,
    Who::Department,
    Who::OtherDepartment,
    Who::Leader,
    Who::OtherLeader,
    Who::Volunteer,
    Who::Admin,
];

/// What each expected status means, for the failure messages.
fn meaning(status: u16) -> &'static str {
    match status {
        200 => "allowed",
        201 => "allowed, and made something",
        401 => "no usable credentials",
        403 => "in scope, but without the right",
        404 => "outside the caller's scope",
        409 => "allowed, but not from this state",
        _ => "?",
    }
}

/// Everyone around one test's orders.
struct World {
    cast: Cast,
    admin: String,
    /// Station staff of the station covering `balagong`.
    other_station: String,
    /// Department staff of 科协 (`kexie`).
    other_department: String,
    other_department_id: String,
    /// A team that is never allowed to claim the matrix's orders.
    other_team_id: String,
    other_leader: String,
    /// A team allowed to claim, but not the one that claims (for phone masking).
    allowed_team_id: String,
    allowed_leader: String,
    /// A volunteer account's token.
    volunteer: String,
    /// The cast's volunteer's own account.
    own_volunteer: String,
    /// The resident token of an unrelated order.
    stranger: String,
}

/// Registers a volunteer and signs in with their phone and password.
async fn volunteer_account(app: &TestApp) -> String {
    let phone = format!("137{:08}", app.next());
    app.post(
        "/api/v1/volunteers",
        &json!({"real_name": "志愿者", "phone": phone, "township": "xini", "password": "password-123"}),
        None,
    )
    .await
    .expect(201);
    app.login(&phone, "password-123").await
}

/// The station whose coverage is exactly `township`.
async fn station_of(app: &TestApp, township: &str) -> String {
    let stations = app.get("/api/v1/stations", None).await.expect(200);
    stations["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|s| s["township_codes"] == json!([township]))
        })
        .and_then(|s| s["id"].as_str())
        .unwrap_or_else(|| panic!("no station covering {township}"))
        .to_owned()
}

impl World {
    async fn new(app: &TestApp) -> Self {
        let cast = Cast::new(app).await;
        let admin = app.admin().await;
        let other_station = app
            .user(
                "station_staff",
                Some(("station_id", &station_of(app, "balagong").await)),
            )
            .await;
        let other_department_id = app.find_id("departments", "code", "kexie").await;
        let other_department = app
            .user(
                "department_staff",
                Some(("department_id", &other_department_id)),
            )
            .await;
        let (other_team_id, other_leader) = app.team().await;
        let (allowed_team_id, allowed_leader) = app.team().await;
        let volunteer = volunteer_account(app).await;
        let own_volunteer = app
            .user("volunteer", Some(("volunteer_id", &cast.volunteer)))
            .await;
        let stranger = app.submit().await["resident_token"]
            .as_str()
            .expect("token")
            .to_owned();
        Self {
            cast,
            admin,
            other_station,
            other_department,
            other_department_id,
            other_team_id,
            other_leader,
            allowed_team_id,
            allowed_leader,
            volunteer,
            own_volunteer,
            stranger,
        }
    }

    /// The `Authorization` header `who` sends; `resident` is the token of the order at hand.
    fn auth(&self, who: Who, resident: &str) -> Option<String> {
        let bearer = |token: &str| Some(format!("Bearer {token}"));
        match who {
            Who::Anonymous => None,
            Who::Resident => Some(format!("Resident {resident}")),
            Who::OtherResident => Some(format!("Resident {}", self.stranger)),
            Who::Station => bearer(&self.cast.station),
            Who::OtherStation => bearer(&self.other_station),
            Who::Department => bearer(&self.cast.department),
            Who::OtherDepartment => bearer(&self.other_department),
            Who::Leader => bearer(&self.cast.leader),
            Who::OtherLeader => bearer(&self.other_leader),
            Who::Volunteer => bearer(&self.volunteer),
            Who::OwnVolunteer => bearer(&self.own_volunteer),
            Who::Admin => bearer(&self.admin),
        }
    }

    /// A new order in `state`; from `accepted` on, only `teams` may claim it, and the cast's
    /// team is the one that claims. Returns (id, resident token).
    async fn order_in(&self, app: &TestApp, state: &str, teams: &[&str]) -> (String, String) {
        if matches!(state, "submitted" | "dispatched") {
            return self.cast.order_in(app, state).await;
        }
        let (id, resident) = self.cast.order_in(app, "dispatched").await;
        app.act(
            &id,
            "accept",
            json!({"team_ids": teams}),
            &self.cast.department,
        )
        .await
        .expect(200);
        if matches!(state, "claimed" | "completed") {
            app.act(&id, "claim", json!({}), &self.cast.leader)
                .await
                .expect(200);
        }
        if state == "completed" {
            app.act(&id, "complete", self.cast.completion(), &self.cast.leader)
                .await
                .expect(200);
        }
        assert!(
            matches!(state, "accepted" | "claimed" | "completed"),
            "unknown state {state}"
        );
        (id, resident)
    }

    /// A valid body for `action`.
    fn body(&self, action: &str) -> Value {
        match action {
            "dispatch" => json!({"department_id": self.cast.department_id}),
            "reject" | "return" | "release" | "cancel" => json!({"reason": "权限测试"}),
            "complete" => self.cast.completion(),
            "rate" => json!({"score": 4}),
            _ => json!({}),
        }
    }

    /// The order as the association sees it.
    async fn order(&self, app: &TestApp, id: &str) -> Value {
        app.get(&format!("/api/v1/orders/{id}"), Some(&self.admin))
            .await
            .expect(200)
    }
}

/// One row of the matrix: an action from its valid state, and the status for each column of
/// [`EVERYONE`].
struct Row {
    action: &'static str,
    from: &'static str,
    to: &'static str,
    expected: [u16; 11],
}

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                       anon  res  res' stn  stn' dep  dep' ldr  ldr' vol  adm
    Row { action: "dispatch", from: "submitted", to: "dispatched", expected: [401, 403, 404, 200, 404, 404, 404, 404, 404, 403, 200] },
    Row { action: "reject",   from: "submitted", to: "rejected",   expected: [401, 403, 404, 200, 404, 404, 404, 404, 404, 403, 200] },
    Row { action: "accept",   from: "dispatched", to: "accepted",  expected: [401, 403, 404, 403, 404, 200, 404, 404, 404, 403, 200] },
    Row { action: "return",   from: "dispatched", to: "submitted", expected: [401, 403, 404, 403, 404, 200, 404, 404, 404, 403, 403] },
    Row { action: "claim",    from: "accepted",  to: "claimed",    expected: [401, 403, 404, 403, 404, 403, 404, 200, 404, 403, 403] },
    Row { action: "release",  from: "claimed",   to: "accepted",   expected: [401, 403, 404, 403, 404, 200, 404, 200, 404, 403, 200] },
    Row { action: "complete", from: "claimed",   to: "completed",  expected: [401, 403, 404, 403, 404, 403, 404, 200, 404, 403, 403] },
    Row { action: "rate",     from: "completed", to: "closed",     expected: [401, 200, 404, 403, 404, 403, 404, 403, 404, 403, 403] },
    Row { action: "close",    from: "completed", to: "closed",     expected: [401, 403, 404, 403, 404, 403, 404, 403, 404, 403, 200] },
    Row { action: "cancel",   from: "submitted", to: "cancelled",  expected: [401, 200, 404, 200, 404, 404, 404, 404, 404, 403, 200] },
    Row { action: "cancel",   from: "accepted",  to: "cancelled",  expected: [401, 200, 404, 200, 404, 403, 404, 403, 404, 403, 200] },
    Row { action: "cancel",   from: "claimed",   to: "cancelled",  expected: [401, 409, 404, 200, 404, 403, 404, 403, 404, 403, 200] },
];

/// Runs the matrix for the columns `who` selects.
async fn run_matrix(app: &TestApp, world: &World, columns: impl Fn(Who) -> bool) {
    let only_cast = [world.cast.team_id.as_str()];
    for row in MATRIX {
        // Refusals change nothing, so they share one order; every success gets a fresh one.
        let (shared, shared_resident) = world.order_in(app, row.from, &only_cast).await;
        let before = world.order(app, &shared).await;
        for (who, &expected) in EVERYONE.iter().zip(&row.expected) {
            if !columns(*who) {
                continue;
            }
            let (id, resident) = if expected == 200 {
                world.order_in(app, row.from, &only_cast).await
            } else {
                (shared.clone(), shared_resident.clone())
            };
            let auth = world.auth(*who, &resident);
            let reply = app
                .request(
                    Method::POST,
                    &format!("/api/v1/orders/{id}/{}", row.action),
                    Some(&world.body(row.action)),
                    auth.as_deref(),
                )
                .await;
            let case = format!(
                "{} from {} as {who:?}: expected {expected} ({})",
                row.action,
                row.from,
                meaning(expected)
            );
            assert_eq!(
                reply.status.as_u16(),
                expected,
                "{case}; body: {}",
                reply.body
            );
            if expected == 200 {
                assert_eq!(reply.body["state"], row.to, "{case}");
                assert_eq!(reply.body["id"], id.as_str(), "{case}");
            } else {
                assert!(
                    reply.body["code"].is_string(),
                    "{case}: a problem document, got {}",
                    reply.body
                );
            }
        }
        let after = world.order(app, &shared).await;
        assert_eq!(
            (&after["state"], &after["version"]),
            (&before["state"], &before["version"]),
            "{} from {}: refused attempts left the order as it was",
            row.action,
            row.from
        );
    }
}

#[tokio::test]
async fn every_action_answers_every_actor_by_scope_then_right() {
    let app = spawn_app().await;
    let world = World::new(&app).await;
    run_matrix(&app, &world, |who| who != Who::Volunteer).await;
}

#[tokio::test]
async fn volunteers_are_refused_every_order_action_with_403() {
    let app = spawn_app().await;
    let world = World::new(&app).await;
    run_matrix(&app, &world, |who| who == Who::Volunteer).await;
}

/// Expected answer of a read: a status, and for 200 whether the phone is shown in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Read {
    Full,
    Masked,
    Status(u16),
}

#[tokio::test]
async fn reading_one_order_is_scoped_and_masks_the_phone_for_those_not_handling_it() {
    let app = spawn_app().await;
    let w = World::new(&app).await;
    // Open to two teams; the cast's team claims it, after which the other allowed team no longer
    // sees it. Before the claim, both teams see the order, the phone masked.
    let (claimed, resident) = w
        .order_in(&app, "claimed", &[&w.cast.team_id, &w.allowed_team_id])
        .await;
    let (accepted, _) = w
        .order_in(&app, "accepted", &[&w.cast.team_id, &w.allowed_team_id])
        .await;
    let (submitted, _) = w.order_in(&app, "submitted", &[]).await;
    let full = "13812345678";
    let masked = "138****5678";

    let allowed_leader = Some(format!("Bearer {}", w.allowed_leader));
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, Option<String>, Read)> = vec![
        // (who, order, Authorization, expected)
        ("anonymous",                         &claimed, w.auth(Who::Anonymous, &resident), Read::Status(401)),
        ("a resident token is not a staff credential", &claimed, w.auth(Who::Resident, &resident), Read::Status(401)),
        ("its station handles it",            &claimed, w.auth(Who::Station, &resident), Read::Full),
        ("another station",                   &claimed, w.auth(Who::OtherStation, &resident), Read::Status(404)),
        ("its department handles it",         &claimed, w.auth(Who::Department, &resident), Read::Full),
        ("another department",                &claimed, w.auth(Who::OtherDepartment, &resident), Read::Status(404)),
        ("the claiming team's leader",        &claimed, w.auth(Who::Leader, &resident), Read::Full),
        ("an allowed team that did not claim", &claimed, allowed_leader.clone(), Read::Status(404)),
        ("accepted: an allowed team",         &accepted, allowed_leader.clone(), Read::Masked),
        ("accepted: the other allowed team",  &accepted, w.auth(Who::Leader, ""), Read::Masked),
        ("a team not allowed to claim",       &claimed, w.auth(Who::OtherLeader, &resident), Read::Status(404)),
        ("a volunteer account",               &claimed, w.auth(Who::Volunteer, &resident), Read::Status(403)),
        ("the association",                   &claimed, w.auth(Who::Admin, &resident), Read::Full),
        // Before dispatch only the station (and the association) know the order.
        ("submitted: anonymous",              &submitted, w.auth(Who::Anonymous, ""), Read::Status(401)),
        ("submitted: its station",            &submitted, w.auth(Who::Station, ""), Read::Full),
        ("submitted: another station",        &submitted, w.auth(Who::OtherStation, ""), Read::Status(404)),
        ("submitted: the future department",  &submitted, w.auth(Who::Department, ""), Read::Status(404)),
        ("submitted: another department",     &submitted, w.auth(Who::OtherDepartment, ""), Read::Status(404)),
        ("submitted: a team leader",          &submitted, w.auth(Who::Leader, ""), Read::Status(404)),
        ("submitted: another team leader",    &submitted, allowed_leader.clone(), Read::Status(404)),
        ("submitted: a volunteer account",    &submitted, w.auth(Who::Volunteer, ""), Read::Status(403)),
        ("submitted: the association",        &submitted, w.auth(Who::Admin, ""), Read::Full),
    ];
    for (what, id, auth, expected) in &cases {
        for path in [
            format!("/api/v1/orders/{id}"),
            format!("/api/v1/orders/{id}/events"),
        ] {
            let reply = app.request(Method::GET, &path, None, auth.as_deref()).await;
            let status = match expected {
                Read::Status(s) => *s,
                Read::Full | Read::Masked => 200,
            };
            assert_eq!(
                reply.status.as_u16(),
                status,
                "GET {path} as {what}; body: {}",
                reply.body
            );
            if path.ends_with("/events") {
                continue;
            }
            match expected {
                Read::Full => {
                    assert_eq!(
                        reply.body["contact_phone"], full,
                        "{what} handles the order and sees the phone"
                    );
                    assert_eq!(
                        reply.headers["etag"],
                        format!("\"{}\"", reply.body["version"]),
                        "{what}: ETag is the version"
                    );
                }
                Read::Masked => assert_eq!(
                    reply.body["contact_phone"], masked,
                    "{what} does not handle the order"
                ),
                Read::Status(_) => {
                    assert!(
                        reply.body["code"].is_string(),
                        "{what}: a problem document, got {}",
                        reply.body
                    );
                    assert!(
                        !reply.body.to_string().contains(full),
                        "{what}: no phone in a refusal"
                    );
                }
            }
        }
    }

    // Unknown ids are 404 even for the association.
    for path in [
        "/api/v1/orders/0190a5f0-0000-7000-8000-000000000000",
        "/api/v1/orders/not-a-uuid",
    ] {
        let reply = app.get(path, Some(&w.admin)).await;
        assert_eq!(reply.status.as_u16(), 404, "GET {path}: {}", reply.body);
    }
}

/// The ids of `GET /api/v1/orders` as `auth` (one page is enough here).
async fn listed(app: &TestApp, auth: Option<&str>) -> Result<Vec<Value>, u16> {
    let reply = app
        .request(Method::GET, "/api/v1/orders?limit=200", None, auth)
        .await;
    if reply.status.as_u16() != 200 {
        return Err(reply.status.as_u16());
    }
    assert_eq!(
        reply.body["next_cursor"],
        Value::Null,
        "one page holds them all"
    );
    Ok(reply.body["items"].as_array().expect("items").clone())
}

/// What a list answers: the ids it holds, or a refusal's status.
type Listed<'a> = Result<Vec<&'a str>, u16>;

#[tokio::test]
async fn listing_orders_shows_each_caller_only_its_scope() {
    let app = spawn_app().await;
    let w = World::new(&app).await;
    let cast_team = w.cast.team_id.as_str();
    // a: at the xini station, not dispatched.
    let (a, _) = w.order_in(&app, "submitted", &[]).await;
    // b: dispatched to 农牧局.
    let (b, _) = w.order_in(&app, "dispatched", &[]).await;
    // c: accepted and open to every active team.
    let (c, _) = w.cast.order_in(&app, "accepted").await;
    // d: accepted for the other team only.
    let (d, _) = w.order_in(&app, "accepted", &[&w.other_team_id]).await;
    // e: claimed by the cast's team, which alone was allowed.
    let (e, _) = w.order_in(&app, "claimed", &[cast_team]).await;
    // f: at the balagong station.
    let mut body = TestApp::order_body();
    body["township"] = json!("balagong");
    let f = app.post("/api/v1/orders", &body, None).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // g: dispatched to 科协.
    let (g, _) = w.order_in(&app, "submitted", &[]).await;
    app.act(
        &g,
        "dispatch",
        json!({"department_id": w.other_department_id}),
        &w.cast.station,
    )
    .await
    .expect(200);
    // The stranger's order from World::new, still submitted at the xini station.
    let all = listed(&app, Some(&format!("Bearer {}", w.admin)))
        .await
        .expect("admin lists");
    let known: BTreeSet<&str> = [&a, &b, &c, &d, &e, &f, &g]
        .iter()
        .map(|s| s.as_str())
        .collect();
    let stranger: Vec<String> = all
        .iter()
        .filter_map(|o| o["id"].as_str())
        .filter(|id| !known.contains(id))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        stranger.len(),
        1,
        "exactly the seven orders plus the stranger's"
    );
    let h = stranger[0].as_str();

    let bearer = |t: &str| Some(format!("Bearer {t}"));
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<String>, Listed)> = vec![
        ("anonymous",                               None, Err(401)),
        ("a resident token is not a staff credential", w.auth(Who::Resident, &w.stranger), Err(401)),
        ("a volunteer account",                     bearer(&w.volunteer), Err(403)),
        ("the xini station: its own orders",        bearer(&w.cast.station), Ok(vec![a.as_str(), b.as_str(), c.as_str(), d.as_str(), e.as_str(), g.as_str(), h])),
        ("the balagong station: its own orders",    bearer(&w.other_station), Ok(vec![f.as_str()])),
        ("农牧局: dispatched to it",                 bearer(&w.cast.department), Ok(vec![b.as_str(), c.as_str(), d.as_str(), e.as_str()])),
        ("科协: dispatched to it",                   bearer(&w.other_department), Ok(vec![g.as_str()])),
        ("the cast's leader: claimable and its own", bearer(&w.cast.leader), Ok(vec![c.as_str(), e.as_str()])),
        ("the other leader: claimable by it",       bearer(&w.other_leader), Ok(vec![c.as_str(), d.as_str()])),
        ("the association: everything",             bearer(&w.admin), Ok(vec![a.as_str(), b.as_str(), c.as_str(), d.as_str(), e.as_str(), f.as_str(), g.as_str(), h])),
    ];
    for (what, auth, expected) in &cases {
        let got = listed(&app, auth.as_deref()).await;
        match (expected, got) {
            (Err(status), Err(got)) => assert_eq!(got, *status, "list as {what}"),
            (Err(status), Ok(items)) => panic!(
                "list as {what}: expected {status}, got 200 with {} items",
                items.len()
            ),
            (Ok(_), Err(got)) => panic!("list as {what}: expected 200, got {got}"),
            (Ok(ids), Ok(items)) => {
                let got: BTreeSet<&str> = items.iter().filter_map(|o| o["id"].as_str()).collect();
                let want: BTreeSet<&str> = ids.iter().copied().collect();
                assert_eq!(got, want, "list as {what}");
                assert_eq!(got.len(), items.len(), "list as {what}: no duplicates");
            }
        }
    }

    // In a list, too, only those handling an order see the phone in full.
    let items = listed(&app, Some(&format!("Bearer {}", w.cast.leader)))
        .await
        .expect("leader lists");
    for item in &items {
        let phone = if item["id"] == e.as_str() {
            "13812345678"
        } else {
            "138****5678"
        };
        assert_eq!(
            item["contact_phone"], phone,
            "leader's list, order {}",
            item["id"]
        );
    }
    let items = listed(&app, Some(&format!("Bearer {}", w.cast.department)))
        .await
        .expect("department lists");
    assert!(
        items.iter().all(|o| o["contact_phone"] == "13812345678"),
        "the department handles what is dispatched to it"
    );
}

#[tokio::test]
async fn administration_is_for_the_association_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let station_id = app.xini_station().await;
    let department_id = app.nongmu().await;
    let station = app
        .user("station_staff", Some(("station_id", &station_id)))
        .await;
    let department = app
        .user("department_staff", Some(("department_id", &department_id)))
        .await;
    let (_, leader) = app.team().await;
    let volunteer = volunteer_account(&app).await;
    let pending = app
        .post(
            "/api/v1/volunteers",
            &json!({"real_name": "待审志愿者", "phone": "13700009999", "township": "xini", "password": "password-123"}),
            None,
        )
        .await
        .expect(201);
    let pending_id = pending["id"].as_str().unwrap();
    // The account the account-management endpoints act on.
    let target = app
        .post(
            "/api/v1/users",
            &json!({"username": "managedstaff", "password": "password-123", "role": "station_staff", "display_name": "被管理的站员", "station_id": station_id}),
            Some(&admin),
        )
        .await
        .expect(201);
    let target_id = target["id"].as_str().unwrap();

    #[rustfmt::skip]
    let endpoints: Vec<(Method, String, Option<Value>, u16)> = vec![
        (Method::POST, "/api/v1/users".into(), Some(json!({"username": "newstaff", "password": "password-123", "role": "station_staff", "display_name": "新站员", "station_id": station_id})), 201),
        (Method::POST, "/api/v1/stations".into(), Some(json!({"name": "新阵地", "township_codes": ["yiheusu"]})), 201),
        (Method::POST, "/api/v1/departments".into(), Some(json!({"name": "新部门", "code": "new_dept"})), 201),
        (Method::POST, "/api/v1/teams".into(), Some(json!({"name": "新服务队"})), 201),
        (Method::POST, "/api/v1/townships/xini/villages".into(), Some(json!({"name": "新嘎查"})), 201),
        (Method::GET, "/api/v1/volunteers".into(), None, 200),
        (Method::POST, format!("/api/v1/volunteers/{pending_id}/approve"), Some(json!({})), 200),
        (Method::GET, "/api/v1/users".into(), None, 200),
        (Method::GET, "/api/v1/users?role=station_staff&active=true&q=managed".into(), None, 200),
        (Method::POST, format!("/api/v1/users/{target_id}/reset-password"), Some(json!({})), 200),
        (Method::POST, format!("/api/v1/users/{target_id}/deactivate"), Some(json!({})), 200),
        (Method::POST, format!("/api/v1/users/{target_id}/activate"), Some(json!({})), 200),
    ];
    let refused: [(&str, Option<String>, u16); 5] = [
        ("anonymous", None, 401),
        ("station staff", Some(format!("Bearer {station}")), 403),
        (
            "department staff",
            Some(format!("Bearer {department}")),
            403,
        ),
        ("a team leader", Some(format!("Bearer {leader}")), 403),
        (
            "a volunteer account",
            Some(format!("Bearer {volunteer}")),
            403,
        ),
    ];
    for (method, path, body, ok) in &endpoints {
        for (who, auth, status) in &refused {
            let reply = app
                .request(method.clone(), path, body.as_ref(), auth.as_deref())
                .await;
            assert_eq!(
                reply.status.as_u16(),
                *status,
                "{method} {path} as {who}; body: {}",
                reply.body
            );
        }
        // The refused attempts created nothing: the same body still succeeds once.
        let reply = app
            .request(
                method.clone(),
                path,
                body.as_ref(),
                Some(&format!("Bearer {admin}")),
            )
            .await;
        assert_eq!(
            reply.status.as_u16(),
            *ok,
            "{method} {path} as the association; body: {}",
            reply.body
        );
    }
}

/// The columns of the ledger, figures and outbox matrix, in order.
const LEDGER_COLUMNS: [Who; 12] = [
    Who::Anonymous,
    Who::Resident,
    Who::OtherResident,
    Who::Station,
    Who::OtherStation,
    Who::Department,
    Who::OtherDepartment,
    Who::Leader,
    Who::OtherLeader,
    Who::Volunteer,
    Who::OwnVolunteer,
    Who::Admin,
];

/// What a row of [`LEDGER_MATRIX`] is asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Nothing in particular.
    None,
    /// A pending record of the cast's volunteer (each success gets a fresh one).
    Pending,
    /// A confirmed record of the cast's volunteer (each success gets a fresh one).
    Confirmed,
    /// The cast's volunteer.
    Volunteer,
    /// An outbox message id no message has.
    Notification,
}

/// One endpoint, and the status for each column of [`LEDGER_COLUMNS`].
struct Endpoint {
    method: &'static str,
    path: &'static str,
    target: Target,
    body: Option<&'static str>,
    expected: [u16; 12],
}

#[rustfmt::skip]
const LEDGER_MATRIX: &[Endpoint] = &[
    // `{}` in the path is the target.                                                                               anon  res  res' stn  stn' dep  dep' ldr  ldr' vol  own  adm
    Endpoint { method: "GET",   path: "/api/v1/service-records",              target: Target::None,      body: None, expected: [401, 401, 401, 403, 403, 200, 200, 403, 403, 403, 403, 200] },
    Endpoint { method: "GET",   path: "/api/v1/service-records/{}",           target: Target::Pending,   body: None, expected: [401, 401, 401, 403, 403, 200, 404, 403, 403, 403, 403, 200] },
    Endpoint { method: "POST",  path: "/api/v1/service-records/{}/confirm",   target: Target::Pending,   body: Some("{}"), expected: [401, 401, 401, 403, 403, 200, 404, 403, 403, 403, 403, 200] },
    Endpoint { method: "POST",  path: "/api/v1/service-records/{}/dispute",   target: Target::Pending,   body: Some(r#"{"reason":"时长有误"}"#), expected: [401, 401, 401, 403, 403, 200, 404, 403, 403, 403, 403, 200] },
    Endpoint { method: "POST",  path: "/api/v1/service-records/{}/reverse",   target: Target::Confirmed, body: Some(r#"{"reason":"多记了","hours":0.5}"#), expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 201] },
    Endpoint { method: "GET",   path: "/api/v1/volunteers/{}/hours",          target: Target::Volunteer, body: None, expected: [401, 401, 401, 403, 403, 403, 403, 200, 404, 404, 200, 200] },
    Endpoint { method: "GET",   path: "/api/v1/volunteers/{}/certificate",    target: Target::Volunteer, body: None, expected: [401, 401, 401, 403, 403, 403, 403, 200, 404, 404, 200, 200] },
    Endpoint { method: "GET",   path: "/api/v1/stats/volunteers",             target: Target::None,      body: None, expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 200] },
    Endpoint { method: "GET",   path: "/api/v1/stats/indicators",             target: Target::None,      body: None, expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 200] },
    Endpoint { method: "GET",   path: "/api/v1/reports/volunteers.csv",       target: Target::None,      body: None, expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 200] },
    Endpoint { method: "GET",   path: "/api/v1/reports/hours.xlsx",           target: Target::None,      body: None, expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 200] },
    Endpoint { method: "GET",   path: "/api/v1/reports/indicators.csv",       target: Target::None,      body: None, expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 200] },
    Endpoint { method: "GET",   path: "/api/v1/notifications",                target: Target::None,      body: None, expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 200] },
    // The role is checked before the message is looked for: only the association learns that
    // there is no such message.
    Endpoint { method: "POST",  path: "/api/v1/notifications/{}/retry",       target: Target::Notification, body: Some("{}"), expected: [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, 404] },
    // Everyone signed in keeps their own settings.
    Endpoint { method: "PATCH", path: "/api/v1/me",                           target: Target::None,      body: Some(r#"{"notify_non_urgent":true}"#), expected: [401, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
];

/// Records of the cast's volunteer: a completed order crediting them and `extra` more members
/// of the cast's team (one record each), all pending. Returns the record ids.
async fn fresh_records(app: &TestApp, w: &World, extra: &[String]) -> Vec<String> {
    let mut credited: Vec<(&str, f64)> = vec![(w.cast.volunteer.as_str(), 0.5)];
    credited.extend(extra.iter().map(|v| (v.as_str(), 0.5)));
    let order = w
        .cast
        .complete_with(app, json!({}), today(), 10, &credited)
        .await;
    let records = app.records_of(&order).await;
    std::iter::once(&w.cast.volunteer)
        .chain(extra)
        .map(|v| service_record_of(&records, v))
        .collect()
}

#[tokio::test]
async fn the_ledger_figures_exports_certificates_and_outbox_answer_every_caller() {
    let app = spawn_app().await;
    let w = World::new(&app).await;
    // Enough members of the cast's team for one record per success.
    let mut extra = Vec::new();
    for _ in 0..4 {
        extra.push(app.member(&w.cast.team_id).await);
    }
    let mut pool = fresh_records(&app, &w, &extra).await;
    // The shared records, for refusals: the cast's volunteer's, pending and confirmed.
    let pending = pool.remove(0);
    let mut confirmed_pool = fresh_records(&app, &w, &extra[..1]).await;
    for id in &confirmed_pool {
        app.ledger_as_admin(id, "confirm", json!({}), 200).await;
    }
    let confirmed = confirmed_pool.remove(0);
    let (_, resident) = w.cast.order_in(&app, "submitted").await;
    let no_message = "0190a5f0-0000-7000-8000-000000000000";

    for row in LEDGER_MATRIX {
        let shared = match row.target {
            Target::None => String::new(),
            Target::Pending => pending.clone(),
            Target::Confirmed => confirmed.clone(),
            Target::Volunteer => w.cast.volunteer.clone(),
            Target::Notification => no_message.to_owned(),
        };
        let before = match row.target {
            Target::Pending | Target::Confirmed => Some(
                app.get(&format!("/api/v1/service-records/{shared}"), Some(&w.admin))
                    .await
                    .expect(200),
            ),
            _ => None,
        };
        for (who, &expected) in LEDGER_COLUMNS.iter().zip(&row.expected) {
            // A success that changes a record gets a fresh one.
            let target = match (row.target, row.method, expected) {
                (Target::Pending, "POST", 200) => pool.pop().expect("a fresh pending record"),
                (Target::Confirmed, "POST", 201) => {
                    confirmed_pool.pop().expect("a fresh confirmed record")
                }
                _ => shared.clone(),
            };
            let path = row.path.replace("{}", &target);
            let method = Method::from_bytes(row.method.as_bytes()).unwrap();
            let body: Option<Value> = row.body.map(|b| serde_json::from_str(b).unwrap());
            let auth = w.auth(*who, &resident);
            let reply = app
                .request(method, &path, body.as_ref(), auth.as_deref())
                .await;
            let case = format!(
                "{} {} as {who:?}: expected {expected} ({})",
                row.method,
                row.path,
                meaning(expected)
            );
            assert_eq!(
                reply.status.as_u16(),
                expected,
                "{case}; body: {}",
                reply.body
            );
            if expected >= 400 {
                assert!(
                    reply.body["code"].is_string(),
                    "{case}: a problem document, got {}",
                    reply.body
                );
            }
        }
        if let Some(before) = before {
            let after = app
                .get(&format!("/api/v1/service-records/{shared}"), Some(&w.admin))
                .await
                .expect(200);
            assert_eq!(
                (&after["state"], &after["history"]),
                (&before["state"], &before["history"]),
                "{} {}: refused attempts left the record as it was",
                row.method,
                row.path
            );
        }
    }
    assert!(
        pool.is_empty() && confirmed_pool.is_empty(),
        "every fresh record used"
    );
}

#[tokio::test]
async fn every_signed_in_account_changes_its_own_password_and_nobody_else_can() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let station = app
        .user(
            "station_staff",
            Some(("station_id", &app.xini_station().await)),
        )
        .await;
    let department = app
        .user(
            "department_staff",
            Some(("department_id", &app.nongmu().await)),
        )
        .await;
    let (_, leader) = app.team().await;
    let volunteer = volunteer_account(&app).await;
    let order = app.submit().await;
    let resident = format!("Resident {}", order["resident_token"].as_str().unwrap());
    let change = json!({"current_password": "password-123", "new_password": "a-new-password-456"});

    for (who, auth) in [("anonymous", None), ("a resident token", Some(resident))] {
        let reply = app
            .request(
                Method::POST,
                "/api/v1/me/password",
                Some(&change),
                auth.as_deref(),
            )
            .await;
        assert_eq!(reply.status, 401, "{who}: {}", reply.body);
    }
    let admin_change =
        json!({"current_password": ADMIN_PASSWORD, "new_password": "a-new-password-456"});
    for (who, token, body) in [
        ("station staff", &station, &change),
        ("department staff", &department, &change),
        ("a team leader", &leader, &change),
        ("a volunteer", &volunteer, &change),
        ("the association", &admin, &admin_change),
    ] {
        let reply = app.post("/api/v1/me/password", body, Some(token)).await;
        assert_eq!(reply.status, 204, "{who}: {}", reply.body);
        // The session that changed it goes on.
        app.get("/api/v1/me", Some(token)).await.expect(200);
    }
}

/// Once one team claims an order offered to several, the order is gone for the others: their
/// reads and lists no longer show it (404), and their claim is a lost race (409 with the state).
#[tokio::test]
async fn after_a_claim_only_the_claiming_team_reads_the_order() {
    let app = spawn_app().await;
    let w = World::new(&app).await;
    let (id, _) = w
        .order_in(&app, "claimed", &[&w.cast.team_id, &w.allowed_team_id])
        .await;
    let other = w.allowed_leader.as_str();
    for path in [
        format!("/api/v1/orders/{id}"),
        format!("/api/v1/orders/{id}/events"),
    ] {
        app.get(&path, Some(other)).await.expect(404);
        app.get(&path, Some(&w.cast.leader)).await.expect(200);
    }
    let listed = |body: &serde_json::Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id.as_str())
    };
    assert!(!listed(
        &app.get("/api/v1/orders", Some(other)).await.expect(200)
    ));
    assert!(listed(
        &app.get("/api/v1/orders", Some(&w.cast.leader))
            .await
            .expect(200)
    ));

    let lost = app.act(&id, "claim", json!({}), other).await.expect(409);
    assert_eq!(lost["current_state"], "claimed", "{lost}");
    app.act(&id, "release", json!({"reason": "x"}), other)
        .await
        .expect(404);
    app.act(&id, "complete", w.cast.completion(), other)
        .await
        .expect(404);

    // Released, it is offered again to both teams.
    app.act(&id, "release", json!({"reason": "天气"}), &w.cast.leader)
        .await
        .expect(200);
    app.get(&format!("/api/v1/orders/{id}"), Some(other))
        .await
        .expect(200);
    assert!(listed(
        &app.get("/api/v1/orders", Some(other)).await.expect(200)
    ));
}
