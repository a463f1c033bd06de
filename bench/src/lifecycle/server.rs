//! The server process under load: a fresh database for it, starting it and reading its memory,
//! and `pgbench` on the same PostgreSQL as the yardstick.

use anyhow::{Context, bail};
use reqwest::Client;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{ADMIN_PASSWORD, Options};

/// The running server process.
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Server {
    /// The resident set size in kB, from `/proc/<pid>/status`.
    pub(super) fn rss_kb(&self) -> anyhow::Result<u64> {
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
pub(super) async fn fresh_database(
    options: &Options,
    dir: &std::path::Path,
) -> anyhow::Result<String> {
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

pub(super) async fn start_server(
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
        .env("RUST_LOG", &options.server_log)
        .stdout(log.try_clone()?)
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

/// `pgbench` TPC-B with 8 clients against the same server: initialises a scratch database,
/// runs for `secs` seconds, and returns the tps it reports.
pub(super) fn pgbench(server: &str, secs: u64) -> anyhow::Result<Option<f64>> {
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
