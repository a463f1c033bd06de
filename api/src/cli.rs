//! The `kepu` command line: `serve` (the default) and the operators' subcommands.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kepu_domain::Role;
use kepu_domain::value::{Password, PersonName, Username};

use crate::config::Settings;
use crate::service::people::{self, NewUser};
use crate::startup::Application;
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
            let user = people::create_user(&conn, new)
                .await
                .map_err(|e| anyhow::anyhow!("{:?}", e.problem()))?;
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
    }
}
