//! Connecting to the database and bringing its schema up to date.

use anyhow::Context;
use kepu_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::time::Duration;

use crate::config::{Settings, SqliteSynchronous};
use sea_orm::sqlx::sqlite as sqlx_sqlite;

/// Opens the pool. SQLite gets one connection in WAL mode: it has a single writer anyway, and
/// one connection means transactions queue instead of failing with "database is locked". Its
/// `synchronous` pragma comes from the settings (`full` unless the operator chose otherwise).
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = &settings.database_url;
    let mut options = ConnectOptions::new(url.clone());
    options
        // Every statement is logged at debug (`RUST_LOG=sqlx::query=debug` shows them, each in
        // its request's span); statements slower than a second at warn.
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_secs(1))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        ensure_sqlite_dir(url)?;
        let synchronous = settings.sqlite_synchronous;
        options
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(move |opts| {
                opts.journal_mode(sqlx_sqlite::SqliteJournalMode::Wal)
                    .synchronous(match synchronous {
                        SqliteSynchronous::Full => sqlx_sqlite::SqliteSynchronous::Full,
                        SqliteSynchronous::Normal => sqlx_sqlite::SqliteSynchronous::Normal,
                    })
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .create_if_missing(true)
            });
    } else {
        options
            .max_connections(settings.max_connections)
            .min_connections(1);
    }
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

/// One round trip to the database (`SELECT 1`): whether it answers, for `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    let backend = db.get_database_backend();
    db.execute_raw(sea_orm::Statement::from_string(backend, "SELECT 1"))
        .await
        .map(|_| ())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")
}

/// Creates the directory of a file-backed SQLite URL, so `cargo run` works on a fresh clone.
fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// A database URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            super::redact("sqlite://data/kepu.db"),
            "sqlite://data/kepu.db"
        );
    }
}
