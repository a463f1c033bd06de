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

mod load;
mod server;

use anyhow::bail;
use futures::future::join_all;
use reqwest::Client;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use load::{Timings, claim_race, lifecycle, setup};
use server::{fresh_database, pgbench, start_server};

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
    /// The server's `RUST_LOG`; anything but `warn` keeps its log.
    pub server_log: String,
}

const ADMIN_PASSWORD: &str = "bench-admin-password-1";
const PASSWORD: &str = "bench-password-1";
const ACTIONS: [&str; 6] = ["submit", "dispatch", "accept", "claim", "complete", "rate"];

/// How many GETs of `url` per second `clients` concurrent clients complete (2,000 per client),
/// measured with the dashboards' `hammer`.
async fn requests_per_second(client: &Client, url: &str, clients: usize) -> anyhow::Result<f64> {
    let measured = crate::hammer(
        client,
        "floor",
        url.to_owned(),
        crate::Auth::None,
        clients,
        clients * 2_000,
    )
    .await?;
    Ok(measured.latencies.len() as f64 / measured.elapsed.as_secs_f64())
}

fn quantile(values: &[Duration], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort();
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
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
    // At rest: the set-up's 400 password hashes are over and their memory given back.
    tokio::time::sleep(Duration::from_secs(5)).await;
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

    // The floor under every request, through the same server and clients: no database at all,
    // and one statement.
    let no_db = requests_per_second(&client, &format!("{base}/healthz"), options.clients).await?;
    let one_statement =
        requests_per_second(&client, &format!("{base}/readyz"), options.clients).await?;

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
    // The server inherits this process's environment, so its SQLite mode is ours.
    let engine = if options.database == "sqlite" {
        match std::env::var("KEPU_SQLITE_SYNCHRONOUS").as_deref() {
            Ok("normal") => "SQLite (KEPU_SQLITE_SYNCHRONOUS=normal: no flush before answers)",
            _ => "SQLite (full durability: group commit, one log flush per group)",
        }
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
    println!(
        "\nfloor, same server and clients: /healthz (no database) {no_db:.0} req/s; \
         /readyz (one statement) {one_statement:.0} req/s: one database round trip takes \
         {:.0} µs of the machine",
        1e6 / one_statement - 1e6 / no_db
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
    if options.server_log == "warn" {
        std::fs::remove_dir_all(&dir).ok();
    } else {
        println!("\nthe server's log: {}", dir.join("server.log").display());
    }
    Ok(())
}
