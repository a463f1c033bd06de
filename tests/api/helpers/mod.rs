//! `spawn_app()` starts the real server on port 0 against a fresh database (a temporary SQLite
//! file, or a uniquely named PostgreSQL database when `TEST_DATABASE_URL` is set, dropped when
//! the test ends), plus typed helpers that talk to it over HTTP.

use kepu_api::config::Settings;
use kepu_api::startup::Application;
use kepu_api::state::{AppState, Clock};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::sync::atomic::{AtomicU32, Ordering};

/// The default admin password of test servers (see `Settings::for_tests`).
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Client without cookies or redirects.
    pub client: reqwest::Client,
    /// The database URL the server uses.
    pub database_url: String,
    /// The server's state, for driving its background jobs (outbox, sweeper) directly.
    pub state: AppState,
    /// The server's clock: real time plus an offset the test can move forward.
    pub clock: Arc<TestClock>,
    settings: Settings,
    admin_token: tokio::sync::OnceCell<String>,
    counter: AtomicU32,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

/// A response: status, headers and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON.
    pub body: Value,
}

impl Reply {
    /// Panics with the body unless the status is `expected`.
    #[track_caller]
    pub fn expect(self, expected: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }
}

/// Real time shifted by an offset that tests move forward to reach deadlines.
#[derive(Debug, Default)]
pub struct TestClock {
    offset_micros: AtomicI64,
}

impl TestClock {
    /// Moves time forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_micros.fetch_add(
            by.num_microseconds().expect("a sane duration"),
            Ordering::SeqCst,
        );
    }
}

impl Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
            + chrono::Duration::microseconds(self.offset_micros.load(Ordering::SeqCst))
    }
}

/// Starts a server on a fresh database with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server after letting the test adjust its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, sqlite_dir, pg_drop) = match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!("kepu_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            (
                format!("{base}/{name}"),
                None,
                Some((admin_url.clone(), name)),
            )
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/kepu.db?mode=rwc", dir.path().display());
            (url, Some(dir), None)
        }
    };
    let mut settings = Settings::for_tests(&database_url);
    adjust(&mut settings);
    let clock = Arc::new(TestClock::default());
    let app = Application::build_with_clock(settings.clone(), clock.clone())
        .await
        .expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        database_url,
        state,
        clock,
        settings,
        admin_token: tokio::sync::OnceCell::new(),
        counter: AtomicU32::new(0),
        _sqlite_dir: sqlite_dir,
        pg_drop,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_drop.take() {
            // Drop the test database on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestApp {
    /// A second instance of the service on the same database, sharing this one's clock: what
    /// another server behind the load balancer would be. Returns its state.
    pub async fn second_instance(&self) -> AppState {
        let app = Application::build_with_clock(self.settings.clone(), self.clock.clone())
            .await
            .expect("build a second instance");
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        state
    }

    /// Sends a request with an optional JSON body and `Authorization` header value.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        auth: Option<&str>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        self.send(req).await
    }

    /// Sends a prepared request and reads the reply.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("read body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// GET with a bearer token (or none).
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(
            Method::GET,
            path,
            None,
            token.map(|t| format!("Bearer {t}")).as_deref(),
        )
        .await
    }

    /// POST JSON with a bearer token (or none).
    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        self.request(
            Method::POST,
            path,
            Some(body),
            token.map(|t| format!("Bearer {t}")).as_deref(),
        )
        .await
    }

    /// A number unique within this app, for names.
    pub fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = self
            .post(
                "/api/v1/auth/login",
                &json!({"username": username, "password": password}),
                None,
            )
            .await
            .expect(200);
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// The association admin's token.
    pub async fn admin(&self) -> String {
        self.admin_token
            .get_or_init(|| self.login("admin", ADMIN_PASSWORD))
            .await
            .clone()
    }

    /// Creates an account with `role` and scope field → id, returns its token.
    pub async fn user(&self, role: &str, scope: Option<(&str, &str)>) -> String {
        let username = format!("{role}{}", self.next());
        let mut body = json!({"username": username, "password": "password-123", "role": role, "display_name": "测试用户"});
        if let Some((field, id)) = scope {
            body[field] = json!(id);
        }
        self.post("/api/v1/users", &body, Some(&self.admin().await))
            .await
            .expect(201);
        self.login(&username, "password-123").await
    }

    /// The id of the first item of a reference list whose `field` equals `value`.
    pub async fn find_id(&self, list: &str, field: &str, value: &str) -> String {
        let body = self.get(&format!("/api/v1/{list}"), None).await.expect(200);
        body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i[field] == value))
            .and_then(|i| i["id"].as_str())
            .unwrap_or_else(|| panic!("no {list} with {field} = {value}"))
            .to_owned()
    }

    /// The station covering township `xini` in the default data.
    pub async fn xini_station(&self) -> String {
        let body = self.get("/api/v1/stations", None).await.expect(200);
        body["items"]
            .as_array()
            .and_then(|items| {
                items.iter().find(|s| {
                    s["township_codes"]
                        .as_array()
                        .is_some_and(|t| t.contains(&json!("xini")))
                })
            })
            .and_then(|s| s["id"].as_str())
            .expect("xini station")
            .to_owned()
    }

    /// The 农牧局 department id.
    pub async fn nongmu(&self) -> String {
        self.find_id("departments", "code", "nongmu").await
    }

    /// A valid submit body.
    pub fn order_body() -> Value {
        json!({
            "theme": "farming_herding",
            "description": "请来讲讲羊的疫苗接种",
            "township": "xini",
            "contact_name": "巴特尔",
            "contact_phone": "13812345678",
            "target_group": "farmers_herders",
            "expected_attendees": 30
        })
    }

    /// Submits a valid order; returns the 201 body (with `resident_token`).
    pub async fn submit(&self) -> Value {
        self.post("/api/v1/orders", &Self::order_body(), None)
            .await
            .expect(201)
    }

    /// Takes `action` on order `id` with `body` as bearer `token`.
    pub async fn act(&self, id: &str, action: &str, body: Value, token: &str) -> Reply {
        self.post(&format!("/api/v1/orders/{id}/{action}"), &body, Some(token))
            .await
    }

    /// Takes an action as the resident.
    pub async fn act_as_resident(
        &self,
        id: &str,
        action: &str,
        body: Value,
        resident_token: &str,
    ) -> Reply {
        self.request(
            Method::POST,
            &format!("/api/v1/orders/{id}/{action}"),
            Some(&body),
            Some(&format!("Resident {resident_token}")),
        )
        .await
    }

    /// A new team with a leader; returns (team id, leader token).
    pub async fn team(&self) -> (String, String) {
        let admin = self.admin().await;
        let team = self
            .post(
                "/api/v1/teams",
                &json!({"name": format!("科技志愿服务队{}", self.next())}),
                Some(&admin),
            )
            .await
            .expect(201);
        let id = team["id"].as_str().expect("team id").to_owned();
        let leader = self.user("team_leader", Some(("team_id", &id))).await;
        (id, leader)
    }

    /// Registers, approves and adds a volunteer to `team`; returns the volunteer id.
    pub async fn member(&self, team: &str) -> String {
        let admin = self.admin().await;
        let phone = format!("139{:08}", self.next());
        let v = self
            .post(
                "/api/v1/volunteers",
                &json!({"real_name": "志愿者", "phone": phone, "township": "xini", "password": "password-123"}),
                None,
            )
            .await
            .expect(201);
        let id = v["id"].as_str().expect("volunteer id").to_owned();
        self.post(
            &format!("/api/v1/volunteers/{id}/approve"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
        self.post(
            &format!("/api/v1/teams/{team}/members"),
            &json!({"volunteer_id": id}),
            Some(&admin),
        )
        .await
        .expect(201);
        id
    }
}

/// The actors of one order's life, ready to act.
pub struct Cast {
    /// Station staff of the order's station.
    pub station: String,
    /// Department staff of 农牧局.
    pub department: String,
    /// The department's id.
    pub department_id: String,
    /// A team and its leader.
    pub team_id: String,
    /// The team's leader.
    pub leader: String,
    /// An approved member of the team.
    pub volunteer: String,
}

impl Cast {
    /// Creates the accounts for one order's life.
    pub async fn new(app: &TestApp) -> Self {
        let station_id = app.xini_station().await;
        let department_id = app.nongmu().await;
        let station = app
            .user("station_staff", Some(("station_id", &station_id)))
            .await;
        let department = app
            .user("department_staff", Some(("department_id", &department_id)))
            .await;
        let (team_id, leader) = app.team().await;
        let volunteer = app.member(&team_id).await;
        Self {
            station,
            department,
            department_id,
            team_id,
            leader,
            volunteer,
        }
    }

    /// Drives a new order to `state` and returns (order id, resident token).
    pub async fn order_in(&self, app: &TestApp, state: &str) -> (String, String) {
        let order = app.submit().await;
        let id = order["id"].as_str().expect("id").to_owned();
        let resident = order["resident_token"].as_str().expect("token").to_owned();
        let steps: &[(&str, &str)] = match state {
            "submitted" => &[],
            "dispatched" => &[("dispatch", "")],
            "accepted" => &[("dispatch", ""), ("accept", "")],
            "claimed" => &[("dispatch", ""), ("accept", ""), ("claim", "")],
            "completed" => &[
                ("dispatch", ""),
                ("accept", ""),
                ("claim", ""),
                ("complete", ""),
            ],
            "closed" => &[
                ("dispatch", ""),
                ("accept", ""),
                ("claim", ""),
                ("complete", ""),
                ("rate", ""),
            ],
            "rejected" => &[("reject", "")],
            "cancelled" => &[("cancel", "")],
            other => panic!("unknown state {other}"),
        };
        for (action, _) in steps {
            let reply = match *action {
                "dispatch" => {
                    app.act(
                        &id,
                        "dispatch",
                        json!({"department_id": self.department_id}),
                        &self.station,
                    )
                    .await
                }
                "accept" => app.act(&id, "accept", json!({}), &self.department).await,
                "claim" => app.act(&id, "claim", json!({}), &self.leader).await,
                "complete" => {
                    app.act(&id, "complete", self.completion(), &self.leader)
                        .await
                }
                "rate" => {
                    app.act_as_resident(&id, "rate", json!({"score": 5}), &resident)
                        .await
                }
                "reject" => {
                    app.act(&id, "reject", json!({"reason": "重复"}), &self.station)
                        .await
                }
                "cancel" => {
                    app.act(&id, "cancel", json!({"reason": "不需要了"}), &self.station)
                        .await
                }
                _ => unreachable!(),
            };
            reply.expect(200);
        }
        (id, resident)
    }

    /// A valid `complete` body crediting the team's volunteer.
    pub fn completion(&self) -> Value {
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz_shanghai())
            .date_naive();
        json!({"served_on": today.to_string(), "attendees": 25, "summary": "讲解了疫苗接种", "hours": [{"volunteer_id": self.volunteer, "hours": 0.5}]})
    }
}

/// UTC+8, the test deployment's zone (no DST).
pub fn chrono_tz_shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("offset")
}

impl TestApp {
    /// A connection of the test's own to the server's database, for what the API cannot do
    /// (running `stats::verify`, tampering with a total). Close it before the test ends.
    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        Database::connect(&self.database_url)
            .await
            .expect("connect to the test database")
    }

    /// Registers a volunteer in `township` (not yet reviewed); returns (id, phone). The phone
    /// signs in with `password-123`.
    pub async fn register_in(&self, township: &str) -> (String, String) {
        let phone = format!("137{:08}", self.next());
        let v = self
            .post(
                "/api/v1/volunteers",
                &json!({"real_name": "志愿者", "phone": phone, "township": township, "password": "password-123"}),
                None,
            )
            .await
            .expect(201);
        (v["id"].as_str().expect("volunteer id").to_owned(), phone)
    }

    /// The service records of order `order`, newest first, as the association sees them.
    pub async fn records_of(&self, order: &str) -> Vec<Value> {
        let admin = self.admin().await;
        let body = self
            .get(
                &format!("/api/v1/service-records?order_id={order}&limit=200"),
                Some(&admin),
            )
            .await
            .expect(200);
        body["items"].as_array().expect("items").clone()
    }

    /// A volunteer's hours as the association sees them.
    pub async fn hours_of(&self, volunteer: &str) -> Value {
        let admin = self.admin().await;
        self.get(
            &format!("/api/v1/volunteers/{volunteer}/hours"),
            Some(&admin),
        )
        .await
        .expect(200)
    }
}

impl Cast {
    /// Submits an order (`overrides` replace fields of [`TestApp::order_body`]), drives it to
    /// `completed` with the association dispatching to the cast's department, and files `hours`
    /// (volunteer id, hours) served on `served_on`. Returns the order id.
    pub async fn complete_with(
        &self,
        app: &TestApp,
        overrides: Value,
        served_on: chrono::NaiveDate,
        attendees: u32,
        hours: &[(&str, f64)],
    ) -> String {
        let id = self.claimed_with(app, overrides).await;
        let hours: Vec<Value> = hours
            .iter()
            .map(|(v, h)| json!({"volunteer_id": v, "hours": h}))
            .collect();
        app.act(
            &id,
            "complete",
            json!({"served_on": served_on.to_string(), "attendees": attendees, "summary": "服务完成", "hours": hours}),
            &self.leader,
        )
        .await
        .expect(200);
        id
    }

    /// Submits an order (`overrides` replace fields of [`TestApp::order_body`]) and drives it
    /// to `claimed` by the cast's team; the association dispatches, so any township works.
    pub async fn claimed_with(&self, app: &TestApp, overrides: Value) -> String {
        let admin = app.admin().await;
        let mut body = TestApp::order_body();
        if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
            for (k, v) in overrides {
                body.insert(k.clone(), v.clone());
            }
        }
        let order = app.post("/api/v1/orders", &body, None).await.expect(201);
        let id = order["id"].as_str().expect("id").to_owned();
        app.act(
            &id,
            "dispatch",
            json!({"department_id": self.department_id}),
            &admin,
        )
        .await
        .expect(200);
        app.act(&id, "accept", json!({}), &self.department)
            .await
            .expect(200);
        app.act(&id, "claim", json!({}), &self.leader)
            .await
            .expect(200);
        id
    }
}

/// Today in the test deployment's zone.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz_shanghai())
        .date_naive()
}

/// A valid 18-character ID number: `first17` digits and their ISO 7064 MOD 11-2 check digit.
pub fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    assert_eq!(first17.len(), 17, "seventeen digits");
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", char::from(CHECK[(sum % 11) as usize]))
}

/// A response read as raw bytes: status, headers, body.
#[derive(Debug)]
pub struct RawReply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as sent.
    pub bytes: Vec<u8>,
}

impl RawReply {
    /// A header's value as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes.clone()).expect("a UTF-8 body")
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

impl TestApp {
    /// GET with an optional bearer token and `Accept` header, keeping the body as bytes (files,
    /// HTML pages).
    pub async fn get_raw(&self, path: &str, token: Option<&str>, accept: Option<&str>) -> RawReply {
        let mut req = self.client.get(format!("{}{}", self.address, path));
        if let Some(token) = token {
            req = req.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(accept) = accept {
            req = req.header("Accept", accept);
        }
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("read body").to_vec();
        RawReply {
            status,
            headers,
            bytes,
        }
    }

    /// Registers a volunteer with this name, phone and optional ID number in `xini`, approves
    /// them and adds them to `team`; returns the volunteer id.
    pub async fn member_with(
        &self,
        team: &str,
        real_name: &str,
        phone: &str,
        id_number: Option<&str>,
    ) -> String {
        let admin = self.admin().await;
        let mut body = json!({"real_name": real_name, "phone": phone, "township": "xini", "password": "password-123"});
        if let Some(n) = id_number {
            body["id_number"] = json!(n);
        }
        let v = self
            .post("/api/v1/volunteers", &body, None)
            .await
            .expect(201);
        let id = v["id"].as_str().expect("volunteer id").to_owned();
        self.post(
            &format!("/api/v1/volunteers/{id}/approve"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
        self.post(
            &format!("/api/v1/teams/{team}/members"),
            &json!({"volunteer_id": id}),
            Some(&admin),
        )
        .await
        .expect(201);
        id
    }

    /// Takes a ledger `action` (`confirm`, `dispute`, `reverse`) on record `id` as the
    /// association and returns the body of the expected `status`.
    pub async fn ledger_as_admin(&self, id: &str, action: &str, body: Value, status: u16) -> Value {
        self.post(
            &format!("/api/v1/service-records/{id}/{action}"),
            &body,
            Some(&self.admin().await),
        )
        .await
        .expect(status)
    }
}

/// The id of `volunteer`'s service (not reversal) record among `records`.
pub fn service_record_of(records: &[Value], volunteer: &str) -> String {
    records
        .iter()
        .find(|r| r["volunteer_id"] == volunteer && r["kind"] == "service")
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("no service record of {volunteer} in {records:?}"))
        .to_owned()
}
