//! `kepu-bench lifecycle`: whole order lifecycles over HTTP against the real `kepu` binary.
//!
//! The server runs as its own process (so its memory is its own), on a fresh database, with the
//! rate limit off. Setup, through the API: a station clerk, a department officer, and `teams`
//! teams, each with a leader and one approved member. Then `clients` concurrent clients each run
//! lifecycles — submit → dispatch → accept → claim → complete → rate, six state changes — until
//! `lifecycles` are done. Then the claim race: one order offered to every team, claimed by all
//! their leaders at once. The server's RSS is read from `/proc` before the load, every 100 ms
//! during it, and `settle` seconds after it. On PostgreSQL, `pgbench` (TPC-B, 8 clients,
//! synchronous commit) runs against the same server in the same run, as the yardstick.

use anyhow::{Context, bail};
use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// `sqlite` or a `postgres://…/` server URL (a fresh `kepu_lifecycle` database is made on it).
    pub database: String,
    /// The `kepu` binary (a release build).
    pub kepu_bin: PathBuf,
    /// Lifecycles to run.
    pub lifecycles: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Teams (and leaders) to create; the claim race uses all of them.
    pub teams: usize,
    /// Seconds to wait after the load before reading the RSS again.
    pub settle: u64,
    /// Seconds `pgbench` runs for.
    pub pgbench_secs: u64,
}

const ADMIN_PASSWORD: &str = "bench-admin-password-1";
const PASSWORD: &str = "bench-password-1";
const ACTIONS: [&str; 6] = ["submit", "dispatch", "accept", "claim", "complete", "rate"];

/// The running server process.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Server {
    /// The resident set size in kB, from `/proc/<pid>/status`.
    fn rss_kb(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc status")
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Makes a fresh database and returns the server's URL for it.
async fn fresh_database(options: &Options, dir: &std::path::Path) -> anyhow::Result<String> {
    if options.database == "sqlite" {
        return Ok(format!("sqlite://{}/kepu.db?mode=rwc", dir.display()));
    }
    let base = options.database.trim_end_matches('/');
    let admin = sea_orm::Database::connect(format!("{base}/postgres")).await?;
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared("DROP DATABASE IF EXISTS kepu_lifecycle WITH (FORCE)")
        .await?;
    admin
        .execute_unprepared("CREATE DATABASE kepu_lifecycle")
        .await?;
    admin.close().await.ok();
    Ok(format!("{base}/kepu_lifecycle"))
}

async fn start_server(
    options: &Options,
    database_url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Server> {
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = Command::new(&options.kepu_bin)
        .arg("serve")
        .env("KEPU_DATABASE_URL", database_url)
        .env("KEPU_LISTEN", format!("127.0.0.1:{port}"))
        .env("KEPU_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env(
            "KEPU_JWT_SECRET",
            "bench-secret-that-is-long-enough-for-hs256-keys",
        )
        .env("KEPU_RATE_LIMIT", "0")
        .env("KEPU_ENV", "dev")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", options.kepu_bin.display()))?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "the server did not become ready; see {}",
        dir.join("server.log").display()
    )
}

/// One JSON call; anything but `expect` is an error with the body.
async fn call(
    client: &Client,
    method: reqwest::Method,
    url: String,
    auth: Option<&str>,
    body: Option<&Value>,
    expect: StatusCode,
) -> anyhow::Result<Value> {
    let mut req = client.request(method, &url);
    if let Some(auth) = auth {
        req = req.header("Authorization", auth);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if status != expect {
        bail!("{url} answered {status}, expected {expect}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Who acts in the load.
struct Cast {
    station: String,
    department: String,
    department_id: String,
    /// `(team id, leader's bearer, member's volunteer id)`.
    teams: Vec<(String, String, String)>,
}

async fn login(
    client: &Client,
    base: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let reply = call(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/auth/login"),
        None,
        Some(&json!({"username": username, "password": password})),
        StatusCode::OK,
    )
    .await?;
    Ok(format!(
        "Bearer {}",
        reply["access_token"].as_str().context("no access token")?
    ))
}

async fn setup(client: &Client, base: &str, teams: usize) -> anyhow::Result<Cast> {
    use reqwest::Method;
    let admin = login(client, base, "admin", ADMIN_PASSWORD).await?;
    let post = |path: &str, body: Value, expect: StatusCode| {
        let admin = admin.clone();
        let url = format!("{base}{path}");
        async move { call(client, Method::POST, url, Some(&admin), Some(&body), expect).await }
    };
    let stations = call(
        client,
        Method::GET,
        format!("{base}/api/v1/stations"),
        None,
        None,
        StatusCode::OK,
    )
    .await?;
    let station_id = stations["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["township_codes"] == json!(["xini"]))
        .and_then(|s| s["id"].as_str())
        .context("no station of xini")?
        .to_owned();
    let departments = call(
        client,
        Method::GET,
        format!("{base}/api/v1/departments"),
        None,
        None,
        StatusCode::OK,
    )
    .await?;
    let department_id = departments["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["code"] == "nongmu")
        .and_then(|d| d["id"].as_str())
        .context("no department nongmu")?
        .to_owned();
    post("/api/v1/users", json!({"username": "bench-station", "password": PASSWORD, "role": "station_staff", "display_name": "站", "station_id": station_id}), StatusCode::CREATED).await?;
    post("/api/v1/users", json!({"username": "bench-department", "password": PASSWORD, "role": "department_staff", "display_name": "部门", "department_id": department_id}), StatusCode::CREATED).await?;
    let mut cast = Cast {
        station: login(client, base, "bench-station", PASSWORD).await?,
        department: login(client, base, "bench-department", PASSWORD).await?,
        department_id,
        teams: Vec::with_capacity(teams),
    };
    for t in 0..teams {
        let team = post(
            "/api/v1/teams",
            json!({"name": format!("服务队{t}"), "theme_codes": ["farming_herding"]}),
            StatusCode::CREATED,
        )
        .await?;
        let team_id = team["id"].as_str().context("team id")?.to_owned();
        let leader = format!("bench-leader-{t}");
        post("/api/v1/users", json!({"username": leader, "password": PASSWORD, "role": "team_leader", "display_name": "队长", "team_id": team_id}), StatusCode::CREATED).await?;
        let volunteer = call(
            client,
            Method::POST,
            format!("{base}/api/v1/volunteers"),
            None,
            Some(&json!({"real_name": "志愿者", "phone": format!("139{t:08}"), "township": "xini", "password": PASSWORD})),
            StatusCode::CREATED,
        )
        .await?;
        let volunteer_id = volunteer["id"].as_str().context("volunteer id")?.to_owned();
        post(
            &format!("/api/v1/volunteers/{volunteer_id}/approve"),
            json!({}),
            StatusCode::OK,
        )
        .await?;
        post(
            &format!("/api/v1/teams/{team_id}/members"),
            json!({"volunteer_id": volunteer_id}),
            StatusCode::CREATED,
        )
        .await?;
        let leader = login(client, base, &leader, PASSWORD).await?;
        cast.teams.push((team_id, leader, volunteer_id));
    }
    Ok(cast)
}

fn order_body() -> Value {
    json!({
        "theme": "farming_herding",
        "description": "请来讲讲羊的疫苗接种",
        "township": "xini",
        "contact_name": "巴特尔",
        "contact_phone": "13812345678",
        "expected_attendees": 30
    })
}

/// Latencies of each action, and of whole lifecycles.
#[derive(Default)]
struct Timings {
    per_action: [Vec<Duration>; 6],
    lifecycle: Vec<Duration>,
}

/// One lifecycle by team `t`; `n` is how many this team has run, which spreads the served
/// dates so that no member passes 24 h on a day.
async fn lifecycle(
    client: &Client,
    base: &str,
    cast: &Cast,
    t: usize,
    n: usize,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    const POST: reqwest::Method = reqwest::Method::POST;
    let (team_id, leader, member) = &cast.teams[t];
    let started = Instant::now();
    let mut step = |i: usize, since: Instant| timings.per_action[i].push(since.elapsed());

    let t0 = Instant::now();
    let order = call(
        client,
        POST,
        format!("{base}/api/v1/orders"),
        None,
        Some(&order_body()),
        StatusCode::CREATED,
    )
    .await?;
    step(0, t0);
    let id = order["id"].as_str().context("order id")?;
    let resident = format!(
        "Resident {}",
        order["resident_token"].as_str().context("token")?
    );
    let url = |action: &str| format!("{base}/api/v1/orders/{id}/{action}");

    let t0 = Instant::now();
    call(
        client,
        POST,
        url("dispatch"),
        Some(&cast.station),
        Some(&json!({"department_id": cast.department_id})),
        StatusCode::OK,
    )
    .await?;
    step(1, t0);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("accept"),
        Some(&cast.department),
        Some(&json!({"team_ids": [team_id]})),
        StatusCode::OK,
    )
    .await?;
    step(2, t0);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("claim"),
        Some(leader),
        Some(&json!({})),
        StatusCode::OK,
    )
    .await?;
    step(3, t0);
    let served_on = today_minus_days((n / 40) as i64);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("complete"),
        Some(leader),
        Some(&json!({"served_on": served_on, "attendees": 20, "summary": "讲解了疫苗接种", "hours": [{"volunteer_id": member, "hours": 0.5}]})),
        StatusCode::OK,
    )
    .await?;
    step(4, t0);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("rate"),
        Some(&resident),
        Some(&json!({"score": 5})),
        StatusCode::OK,
    )
    .await?;
    step(5, t0);
    timings.lifecycle.push(started.elapsed());
    Ok(())
}

/// A date `days` before today in Asia/Shanghai (the server's default zone), as `YYYY-MM-DD`.
fn today_minus_days(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let day = (now + 8 * 3600) / 86_400 - days;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn quantile(values: &[Duration], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort();
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// `pgbench` TPC-B with 8 clients against the same server: initialises a scratch database,
/// runs for `secs` seconds, and returns the tps it reports.
fn pgbench(server: &str, secs: u64) -> anyhow::Result<Option<f64>> {
    if Command::new("pgbench").arg("--version").output().is_err() {
        return Ok(None);
    }
    let url = url::Url::parse(server)?;
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port().unwrap_or(5432).to_string();
    let user = if url.username().is_empty() {
        "postgres"
    } else {
        url.username()
    }
    .to_owned();
    let psql = |sql: &str| {
        Command::new("psql")
            .args([
                "-h", &host, "-p", &port, "-U", &user, "-d", "postgres", "-qc", sql,
            ])
            .stdout(Stdio::null())
            .status()
    };
    psql("DROP DATABASE IF EXISTS kepu_pgbench WITH (FORCE)")?;
    psql("CREATE DATABASE kepu_pgbench")?;
    let init = Command::new("pgbench")
        .args([
            "-h",
            &host,
            "-p",
            &port,
            "-U",
            &user,
            "-i",
            "-q",
            "-s",
            "10",
            "kepu_pgbench",
        ])
        .output()?;
    if !init.status.success() {
        bail!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
    }
    let run = Command::new("pgbench")
        .args([
            "-h",
            &host,
            "-p",
            &port,
            "-U",
            &user,
            "-c",
            "8",
            "-j",
            "2",
            "-T",
            &secs.to_string(),
            "kepu_pgbench",
        ])
        .output()?;
    psql("DROP DATABASE IF EXISTS kepu_pgbench WITH (FORCE)")?;
    let out = String::from_utf8_lossy(&run.stdout);
    let tps = out
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no tps in pgbench's output: {out}"))?;
    Ok(Some(tps))
}

/// Runs the benchmark and prints its report.
pub async fn run(options: Options) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("kepu-lifecycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = fresh_database(&options, &dir).await?;
    let server = start_server(&options, &database_url, &dir).await?;
    let base = server.base.clone();
    let client = Client::builder()
        .pool_max_idle_per_host(options.clients.max(options.teams))
        .build()?;
    println!("setting up {} teams…", options.teams);
    let cast = Arc::new(setup(&client, &base, options.teams).await?);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = server.rss_kb()?;

    // Sample the RSS while the load runs.
    let peak = Arc::new(AtomicU64::new(rss_idle));
    let running = Arc::new(AtomicBool::new(true));
    let pid = server.child.id();
    let sampler = {
        let (peak, running) = (peak.clone(), running.clone());
        tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                    && let Some(kb) = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmRSS:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    println!(
        "running {} lifecycles with {} clients…",
        options.lifecycles, options.clients
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..options.clients).map(|w| {
        let (client, base, cast, next) = (client.clone(), base.clone(), cast.clone(), next.clone());
        let (total, teams) = (options.lifecycles, options.teams);
        async move {
            let mut timings = Timings::default();
            let mut n = 0;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                lifecycle(&client, &base, &cast, w % teams, n, &mut timings).await?;
                n += 1;
            }
            anyhow::Ok(timings)
        }
    });
    let mut timings = Timings::default();
    for result in join_all(workers).await {
        let t = result?;
        for (all, mine) in timings.per_action.iter_mut().zip(t.per_action) {
            all.extend(mine);
        }
        timings.lifecycle.extend(t.lifecycle);
    }
    let elapsed = started.elapsed();
    running.store(false, Ordering::Relaxed);
    sampler.await.ok();
    let rss_peak = peak.load(Ordering::Relaxed);

    let race = claim_race(&client, &base, &cast).await?;

    println!("letting the server settle for {} s…", options.settle);
    tokio::time::sleep(Duration::from_secs(options.settle)).await;
    let rss_after = server.rss_kb()?;
    drop(server);

    let pgbench_tps = if options.database == "sqlite" {
        None
    } else {
        println!("running pgbench for {} s…", options.pgbench_secs);
        pgbench(&options.database, options.pgbench_secs)?
    };

    let changes = timings.lifecycle.len() * ACTIONS.len();
    let per_second = changes as f64 / elapsed.as_secs_f64();
    let engine = if options.database == "sqlite" {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!(
        "\n{engine}: {} lifecycles ({changes} state changes) by {} clients in {:.1} s\n",
        timings.lifecycle.len(),
        options.clients,
        elapsed.as_secs_f64()
    );
    println!("| what | p50 ms | p99 ms |\n| --- | ---: | ---: |");
    for (name, values) in ACTIONS.iter().zip(&timings.per_action) {
        println!(
            "| {name} | {:.1} | {:.1} |",
            quantile(values, 0.5),
            quantile(values, 0.99)
        );
    }
    println!(
        "| whole lifecycle | {:.1} | {:.1} |",
        quantile(&timings.lifecycle, 0.5),
        quantile(&timings.lifecycle, 0.99)
    );
    println!(
        "| claim race ({} claims: {} × 200, {} × 409) | {:.1} | {:.1} |",
        race.latencies.len(),
        race.won,
        race.lost,
        quantile(&race.latencies, 0.5),
        quantile(&race.latencies, 0.99)
    );
    println!("\nstate changes per second: {per_second:.0}");
    match pgbench_tps {
        Some(tps) => println!(
            "pgbench TPC-B (8 clients, same server, same run): {tps:.0} tps; ratio {:.2} (budget ≥ 0.5)",
            per_second / tps
        ),
        None if options.database == "sqlite" => {
            println!("budget on SQLite: ≥ 5000 state changes per second")
        }
        None => println!("pgbench is not installed: no yardstick measured in this run"),
    }
    println!(
        "server RSS: idle {:.1} MB, peak {:.1} MB, {} s after {:.1} MB (budgets < 30, < 100, < 50)",
        rss_idle as f64 / 1024.0,
        rss_peak as f64 / 1024.0,
        options.settle,
        rss_after as f64 / 1024.0
    );
    if race.won != 1 {
        bail!("the claim race had {} winners", race.won);
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

struct Race {
    won: usize,
    lost: usize,
    latencies: Vec<Duration>,
}

/// One order offered to every team, claimed by every leader at once: exactly one may win.
async fn claim_race(client: &Client, base: &str, cast: &Cast) -> anyhow::Result<Race> {
    const POST: reqwest::Method = reqwest::Method::POST;
    let order = call(
        client,
        POST,
        format!("{base}/api/v1/orders"),
        None,
        Some(&order_body()),
        StatusCode::CREATED,
    )
    .await?;
    let id = order["id"].as_str().context("order id")?.to_owned();
    call(
        client,
        POST,
        format!("{base}/api/v1/orders/{id}/dispatch"),
        Some(&cast.station),
        Some(&json!({"department_id": cast.department_id})),
        StatusCode::OK,
    )
    .await?;
    call(
        client,
        POST,
        format!("{base}/api/v1/orders/{id}/accept"),
        Some(&cast.department),
        Some(&json!({})),
        StatusCode::OK,
    )
    .await?;
    let claims = cast.teams.iter().map(|(_, leader, _)| {
        let url = format!("{base}/api/v1/orders/{id}/claim");
        async move {
            let sent = Instant::now();
            let res = client
                .post(url)
                .header("Authorization", leader)
                .json(&json!({}))
                .send()
                .await?;
            let status = res.status();
            res.bytes().await?;
            anyhow::Ok((status, sent.elapsed()))
        }
    });
    let mut race = Race {
        won: 0,
        lost: 0,
        latencies: Vec::new(),
    };
    for result in join_all(claims).await {
        let (status, took) = result?;
        match status {
            StatusCode::OK => race.won += 1,
            StatusCode::CONFLICT => race.lost += 1,
            other => bail!("a claim answered {other}"),
        }
        race.latencies.push(took);
    }
    Ok(race)
}
