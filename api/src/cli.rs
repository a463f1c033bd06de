//! The `kepu` command line: `serve` (the default) and the operators' subcommands.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kepu_domain::Role;
use kepu_domain::value::{Password, PersonName, Username};

use crate::config::Settings;
use crate::service::people::{self, NewUser};
use crate::service::{import, stats};
use crate::startup::Application;
use crate::state::{Clock, SystemClock};
use crate::{db, telemetry};

/// Kepu Dispatch: the order-claim model of grassroots science popularization.
#[derive(Debug, Parser)]
#[command(name = "kepu", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (migrates and loads defaults first).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an account.
    CreateUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Password (8–128 characters).
        #[arg(long, env = "KEPU_NEW_USER_PASSWORD")]
        password: String,
        /// association_admin, station_staff, department_staff, team_leader or volunteer.
        #[arg(long)]
        role: String,
        /// Name shown to others.
        #[arg(long)]
        display_name: String,
        /// Station (station staff).
        #[arg(long)]
        station_id: Option<uuid::Uuid>,
        /// Department (department staff).
        #[arg(long)]
        department_id: Option<uuid::Uuid>,
        /// Team (team leaders).
        #[arg(long)]
        team_id: Option<uuid::Uuid>,
    },
    /// Verify every order's event hash chain; exits non-zero if any is broken.
    VerifyEvents,
    /// The running totals behind the association's figures.
    Stats {
        /// What to do with them.
        #[command(subcommand)]
        action: StatsCommand,
    },
    /// Bulk imports.
    Import {
        /// What to import.
        #[command(subcommand)]
        what: ImportCommand,
    },
}

/// `kepu stats …`.
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Recompute every total from the ledger and report drift; exits non-zero on any.
    Verify,
    /// Replace every total with its recomputation from the ledger.
    Rebuild,
}

/// `kepu import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import volunteers from an .xlsx or .csv with columns 姓名, 手机号, 苏木镇 (and optionally
    /// 技能, 身份证号), as approved volunteers. Rows are all checked first; rejected rows are
    /// listed with their reasons.
    Volunteers {
        /// The spreadsheet.
        file: std::path::PathBuf,
        /// Import nothing if any row is rejected.
        #[arg(long)]
        strict: bool,
        /// Also write the per-row report of rejected rows to this CSV file.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
}

/// Runs the command line.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    telemetry::init_logs(settings.json_logs);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(listen = %settings.listen, port = app.port(), database = %db::redact(&settings.database_url), "kepu is serving");
            println!(
                "Kepu Dispatch is listening on http://{}  (API docs: /api/docs/)",
                settings.listen
            );
            app.run_until_stopped().await.context("serving")
        }
        Command::Migrate => {
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            conn.durable().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateUser {
            username,
            password,
            role,
            display_name,
            station_id,
            department_id,
            team_id,
        } => {
            // One instant for the whole command, from the system clock: a one-shot process
            // has no injected clock, and everything it writes happened "now".
            let now = SystemClock.now();
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            let new = NewUser {
                username: Username::parse(&username)?.as_ref().to_owned(),
                password: Password::parse(&password)?.expose().to_owned(),
                role: role
                    .parse::<Role>()
                    .map_err(|_| anyhow::anyhow!("unknown role {role}"))?,
                display_name: PersonName::parse(&display_name)?.into_inner(),
                email: None,
                station_id,
                department_id,
                team_id,
                volunteer_id: None,
            };
            let user = people::create_user(&conn, new, now)
                .await
                .map_err(|e| anyhow::anyhow!("{:?}", e.problem()))?;
            conn.durable().await?;
            println!(
                "created user {} ({}) with id {}",
                user.username, user.role, user.id
            );
            Ok(())
        }
        Command::VerifyEvents => {
            let conn = db::connect(&settings).await?;
            let (checked, broken) = crate::service::orders::verify_all(&conn)
                .await
                .map_err(|e| anyhow::anyhow!("{:?}", e.problem()))?;
            println!(
                "checked {checked} order(s); {} broken chain(s)",
                broken.len()
            );
            for id in &broken {
                println!("broken: {id}");
            }
            if broken.is_empty() {
                Ok(())
            } else {
                anyhow::bail!("{} event chain(s) do not verify", broken.len())
            }
        }
        Command::Stats { action } => {
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            let problem = |e: crate::error::ApiError| anyhow::anyhow!("{:?}", e.problem());
            match action {
                StatsCommand::Verify => {
                    let drift = stats::verify(&conn).await.map_err(problem)?;
                    print!("{drift}");
                    if drift.is_empty() {
                        Ok(())
                    } else {
                        anyhow::bail!(
                            "the running totals drifted from the ledger; `kepu stats rebuild` repairs them"
                        )
                    }
                }
                StatsCommand::Rebuild => {
                    let started = std::time::Instant::now();
                    stats::rebuild(&conn).await.map_err(problem)?;
                    conn.durable().await?;
                    println!(
                        "totals rebuilt from the ledger in {:.1?}",
                        started.elapsed()
                    );
                    Ok(())
                }
            }
        }
        Command::Import {
            what:
                ImportCommand::Volunteers {
                    file,
                    strict,
                    report,
                },
        } => {
            // One instant for the whole command (see `CreateUser`): the seeded rows and every
            // imported volunteer carry the same time.
            let now = SystemClock.now();
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            crate::seed::ensure_defaults(&conn, &settings, now).await?;
            let rows = import::read_file(&file)?;
            let bar = Bar(indicatif::ProgressBar::new(rows.len() as u64).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} 行  {elapsed_precise}",
                )?,
            ));
            let result = import::import_volunteers(&conn, &rows, strict, now, &bar).await?;
            conn.durable().await?;
            bar.0.finish_and_clear();
            for r in &result.rejected {
                println!(
                    "第{}行 {} {}：{}",
                    r.line,
                    r.real_name,
                    kepu_domain::value::mask_phone(&r.phone),
                    r.reasons.join("；")
                );
            }
            if let Some(path) = report {
                std::fs::write(&path, result.to_csv()?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            println!(
                "read {} row(s): imported {}, rejected {}{}",
                result.read,
                result.imported,
                result.rejected.len(),
                if result.aborted {
                    " (--strict: nothing imported)"
                } else {
                    ""
                }
            );
            if result.aborted {
                anyhow::bail!(
                    "{} row(s) rejected; nothing imported",
                    result.rejected.len()
                )
            }
            Ok(())
        }
    }
}

/// The import's progress bar.
struct Bar(indicatif::ProgressBar);

impl import::Progress for Bar {
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}
