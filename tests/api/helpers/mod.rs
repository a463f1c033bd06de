//! `spawn_app()` starts the real server on port 0 against a fresh database (a temporary SQLite
//! file, or a uniquely named PostgreSQL database when `TEST_DATABASE_URL` is set, dropped when
//! the test ends), plus typed helpers that talk to it over HTTP.
//!
//! This file holds the server and its clock; the helpers live by concern, each an `impl TestApp`
//! of its own: [`http`] (requests and replies), [`people`] (sign-in, accounts, teams,
//! volunteers), [`orders`] (submitting, acting, [`Cast`]) and [`ledger`] (service records).

mod browser;
mod http;
mod ledger;
mod orders;
mod people;

pub use browser::{Browser, Page, encode};
pub use http::{RawReply, Reply};
pub use ledger::service_record_of;
pub use orders::Cast;
pub use people::id_number;

use kepu_api::config::Settings;
use kepu_api::startup::Application;
use kepu_api::state::{AppState, Clock};
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

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
    _database: FreshDatabase,
}

/// A database of a test's own: a temporary SQLite file, or a uniquely named PostgreSQL
/// database when `TEST_DATABASE_URL` is set, dropped with this value.
pub struct FreshDatabase {
    /// Its URL.
    pub url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl FreshDatabase {
    /// Makes one.
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL")
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
                Self {
                    url: format!("{base}/{name}"),
                    _sqlite_dir: None,
                    pg_drop: Some((admin_url.clone(), name)),
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                Self {
                    url: format!("sqlite://{}/kepu.db?mode=rwc", dir.path().display()),
                    _sqlite_dir: Some(dir),
                    pg_drop: None,
                }
            }
        }
    }
}

/// The debug `kepu` binary of this workspace, if it has been built (`cargo test --workspace`
/// builds it).
pub fn kepu_binary() -> Option<std::path::PathBuf> {
    use std::path::{Path, PathBuf};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_owned();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| root.join("target"), |t| root.join(t));
    let bin = target.join("debug").join("kepu");
    bin.is_file().then_some(bin)
}

/// Starts a server on a fresh database with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server after letting the test adjust its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = FreshDatabase::new().await;
    let database_url = database.url.clone();
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
        _database: database,
    }
}

impl Drop for FreshDatabase {
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

    /// A number unique within this app, for names.
    pub fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A connection of the test's own to the server's database, for what the API cannot do
    /// (running `stats::verify`, tampering with a total). Close it before the test ends.
    pub async fn db(&self) -> kepu_api::db::Db {
        Database::connect(&self.database_url)
            .await
            .expect("connect to the test database")
            .into()
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

/// UTC+8, the test deployment's zone (no DST).
pub fn chrono_tz_shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("offset")
}

/// Today in the test deployment's zone.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz_shanghai())
        .date_naive()
}
