//! `kepu-bench`: measures the dashboards at national scale (`stats`), and whole order
//! lifecycles over HTTP with the claim race and the server's memory (`lifecycle`, see
//! `lifecycle.rs`).
//!
//! ```text
//! cargo run --release -p kepu-bench -- stats \
//!     --database-url postgres://postgres@127.0.0.1:5432/kepu_bench \
//!     --volunteers 1000000 --records 10000000 --townships 1000
//! ```
//!
//! It migrates the database, loads the reference data, generates the volunteers, orders and
//! service records (once; a second run reuses them), rebuilds the running totals, starts the
//! real service in-process on a free port and sends concurrent requests to
//! `/api/v1/stats/volunteers` and `/api/v1/stats/indicators`, to the association's console
//! dashboard (`/console/dashboard`, signed in with the console's cookie), and to `/readyz` (one
//! database round trip) as the baseline measured in the same run.

mod console;
mod generate;
mod lifecycle;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use futures::future::join_all;
use kepu_api::config::Settings;
use kepu_api::startup::Application;
use kepu_api::state::{Clock, SystemClock};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(name = "kepu-bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate national-scale data (once) and measure the dashboards under concurrent load.
    Stats {
        /// `postgres://…` (the budget's engine) or `sqlite://…?mode=rwc`.
        #[arg(long)]
        database_url: String,
        /// Approved volunteers to generate.
        #[arg(long, default_value_t = 1_000_000)]
        volunteers: u64,
        /// Service records to generate (one order per ten).
        #[arg(long, default_value_t = 10_000_000)]
        records: u64,
        /// Townships to spread them over.
        #[arg(long, default_value_t = 1_000)]
        townships: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Requests per endpoint.
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
    },
    /// Whole lifecycles (submit → dispatch → accept → claim → complete → rate) over HTTP
    /// against the real `kepu` binary, the claim race, the server's RSS, and pgbench.
    Lifecycle {
        /// `sqlite`, or a PostgreSQL server URL such as `postgres://postgres@127.0.0.1:5432`
        /// (a fresh `kepu_lifecycle` database is made on it).
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// The `kepu` binary to run (build it with `cargo build --release --bin kepu`).
        #[arg(long, default_value = "target/release/kepu")]
        kepu_bin: std::path::PathBuf,
        /// Lifecycles to run.
        #[arg(long, default_value_t = 2_000)]
        lifecycles: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Teams to create; the claim race uses all of them.
        #[arg(long, default_value_t = 100)]
        teams: usize,
        /// Seconds to wait after the load before reading the server's RSS again.
        #[arg(long, default_value_t = 60)]
        settle: u64,
        /// Seconds pgbench runs for (PostgreSQL only).
        #[arg(long, default_value_t = 20)]
        pgbench_secs: u64,
        /// The server's log filter (`RUST_LOG`). Anything but `warn` keeps the server's log
        /// and prints where it is: `warn,sqlx::query=debug` logs every statement in the span
        /// of its request, to count statements per action.
        #[arg(long, default_value = "warn")]
        server_log: String,
    },
}

/// Latencies of one endpoint.
struct Measured {
    name: &'static str,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Measured {
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(i).copied().unwrap_or_default()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How a request is signed: not at all, with the API's bearer token, or with the console's
/// session cookie.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str),
}

async fn hammer(
    client: &reqwest::Client,
    name: &'static str,
    url: String,
    auth: Auth<'_>,
    concurrency: usize,
    requests: usize,
) -> anyhow::Result<Measured> {
    let url = Arc::new(url);
    let per_client = requests.div_ceil(concurrency);
    let started = Instant::now();
    let runs = (0..concurrency).map(|_| {
        let (client, url) = (client.clone(), url.clone());
        let auth = match auth {
            Auth::None => None,
            Auth::Bearer(t) => Some((true, t.to_owned())),
            Auth::Cookie(c) => Some((false, c.to_owned())),
        };
        async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let mut req = client.get(url.as_str());
                match &auth {
                    Some((true, t)) => req = req.bearer_auth(t),
                    Some((false, c)) => req = req.header(reqwest::header::COOKIE, c.as_str()),
                    None => {}
                }
                let sent = Instant::now();
                let res = req.send().await?;
                let status = res.status();
                res.bytes().await?;
                if !status.is_success() {
                    bail!("{url} answered {status}");
                }
                latencies.push(sent.elapsed());
            }
            Ok(latencies)
        }
    });
    let mut latencies = Vec::new();
    for run in join_all(runs).await {
        latencies.extend(run?);
    }
    Ok(Measured {
        name,
        latencies,
        elapsed: started.elapsed(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Stats {
            database_url,
            volunteers,
            records,
            townships,
            concurrency,
            requests,
        } => {
            stats(
                database_url,
                generate::Scale {
                    volunteers,
                    records,
                    townships,
                },
                concurrency,
                requests,
            )
            .await
        }
        Command::Lifecycle {
            database,
            kepu_bin,
            lifecycles,
            clients,
            teams,
            settle,
            pgbench_secs,
            server_log,
        } => {
            lifecycle::run(lifecycle::Options {
                database,
                kepu_bin,
                lifecycles,
                clients,
                teams,
                settle,
                pgbench_secs,
                server_log,
            })
            .await
        }
    }
}

async fn stats(
    database_url: String,
    scale: generate::Scale,
    concurrency: usize,
    requests: usize,
) -> anyhow::Result<()> {
    let generate::Scale {
        volunteers,
        records,
        townships,
    } = scale;
    let mut settings = Settings::for_tests(&database_url);
    settings.max_connections = 20;
    let db = kepu_api::db::connect(&settings).await?;
    kepu_api::db::migrate(&db).await?;
    // One instant for the data this run writes, from the system clock (a one-shot tool).
    let now = SystemClock.now();
    kepu_api::seed::ensure_defaults(&db, &settings, now).await?;
    generate::generate(&db, scale, now).await?;
    db.close().await.ok();

    let app = Application::build(settings.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({
            "username": "admin",
            "password": settings.admin_password.clone().unwrap_or_default(),
        }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("login failed")?
        .to_owned();
    let admin_password = settings.admin_password.clone().unwrap_or_default();
    let cookie = console::sign_in(&base, "admin", &admin_password).await?;
    // Warm up connections and caches.
    for (path, auth) in [
        ("/readyz", Auth::None),
        ("/api/v1/stats/volunteers", Auth::Bearer(&token)),
        ("/api/v1/stats/indicators", Auth::Bearer(&token)),
        ("/console/dashboard", Auth::Cookie(&cookie)),
    ] {
        hammer(
            &client,
            "warm-up",
            format!("{base}{path}"),
            auth,
            concurrency,
            concurrency * 4,
        )
        .await?;
    }
    let baseline = hammer(
        &client,
        "/readyz (baseline: one DB round trip)",
        format!("{base}/readyz"),
        Auth::None,
        concurrency,
        requests,
    )
    .await?;
    let results = [
        hammer(
            &client,
            "/api/v1/stats/volunteers",
            format!("{base}/api/v1/stats/volunteers"),
            Auth::Bearer(&token),
            concurrency,
            requests,
        )
        .await?,
        hammer(
            &client,
            "/api/v1/stats/indicators",
            format!("{base}/api/v1/stats/indicators"),
            Auth::Bearer(&token),
            concurrency,
            requests,
        )
        .await?,
        hammer(
            &client,
            "/api/v1/stats/indicators?township=b1",
            format!("{base}/api/v1/stats/indicators?township=b1"),
            Auth::Bearer(&token),
            concurrency,
            requests,
        )
        .await?,
        hammer(
            &client,
            "/console/dashboard (association, HTML with SVG charts)",
            format!("{base}/console/dashboard"),
            Auth::Cookie(&cookie),
            concurrency,
            requests,
        )
        .await?,
        hammer(
            &client,
            "/console/dashboard?township=b1",
            format!("{base}/console/dashboard?township=b1"),
            Auth::Cookie(&cookie),
            concurrency,
            requests,
        )
        .await?,
    ];
    println!(
        "\n{} volunteers, {} service records, {} townships; {} concurrent clients, {} requests per endpoint\n",
        volunteers, records, townships, concurrency, requests
    );
    println!(
        "| endpoint | p50 ms | p99 ms | max ms | req/s | p99 ÷ baseline p99 |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    let b99 = ms(baseline.quantile(0.99));
    for m in std::iter::once(&baseline).chain(results.iter()) {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.0} | {:.2} |",
            m.name,
            ms(m.quantile(0.5)),
            ms(m.quantile(0.99)),
            ms(m.quantile(1.0)),
            m.latencies.len() as f64 / m.elapsed.as_secs_f64(),
            ms(m.quantile(0.99)) / b99
        );
    }
    // The budget is the API's (`/stats/*`); the console page is reported beside it.
    let worst = results
        .iter()
        .take(3)
        .map(|m| ms(m.quantile(0.99)))
        .fold(0.0, f64::max);
    server.abort();
    println!("\nbudget: p99 < 100 ms; worst /stats p99 = {worst:.1} ms");
    if worst >= 100.0 && database_url.starts_with("postgres") {
        bail!("over budget");
    }
    Ok(())
}
