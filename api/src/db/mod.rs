//! Connecting to the database and bringing its schema up to date.

use anyhow::Context;
use kepu_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{Settings, SqliteSynchronous};
use sea_orm::sqlx::sqlite as sqlx_sqlite;

pub mod group_sync;
mod split;

use group_sync::GroupSync;
pub use split::Db;

/// Opens the database. SQLite gets one writer connection, so transactions queue instead of
/// failing with "database is locked", a pool of read-only connections beside it (see
/// [`split`]), and with full durability the group sync of its log (see [`group_sync`]);
/// all in WAL mode. PostgreSQL gets one pool of `max_connections`.
pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let url = &settings.database_url;
    let connect = |options: ConnectOptions| async move {
        Database::connect(options)
            .await
            .with_context(|| format!("connecting to {}", redact(url)))
    };
    if !url.starts_with("sqlite:") {
        let mut options = common_options(url);
        options
            .max_connections(settings.max_connections)
            .min_connections(1);
        return Ok(Db::from(connect(options).await?));
    }
    let file = sqlite_file(url);
    if let Some(path) = &file {
        ensure_dir(path)?;
    }
    let mut options = common_options(url);
    options
        .max_connections(1)
        .min_connections(1)
        // The connection is never closed for age: its log and its sync belong together.
        .max_lifetime(None)
        .idle_timeout(None)
        // Commits write the log without flushing it. With full durability (the default) the
        // group sync flushes it before any change is acknowledged; at `normal` nothing does,
        // and a power cut may lose the last commits.
        .map_sqlx_sqlite_opts(|opts| {
            sqlite_options(opts).synchronous(sqlx_sqlite::SqliteSynchronous::Normal)
        });
    let writer = connect(options).await?;
    let Some(path) = file else {
        // An in-memory database exists only on its one connection.
        return Ok(Db::from(writer));
    };
    let mut options = common_options(url);
    options
        .max_connections(settings.max_connections.clamp(1, SQLITE_READERS))
        .min_connections(1)
        .map_sqlx_sqlite_opts(|opts| sqlite_options(opts).pragma("query_only", "ON"));
    let readers = connect(options).await?;
    let sync = if settings.sqlite_synchronous == SqliteSynchronous::Full {
        Some(GroupSync::start(&path).with_context(|| format!("syncing {}", path.display()))?)
    } else {
        None
    };
    Ok(Db::split(writer, Some(readers), sync))
}

/// Readers beyond this many only hold memory: two cores answer the reads of many clients.
const SQLITE_READERS: u32 = 4;

fn common_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        // Every statement is logged at debug (`RUST_LOG=sqlx::query=debug` shows them, each in
        // its request's span); statements slower than a second at warn.
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_secs(1))
        .acquire_timeout(Duration::from_secs(10));
    options
}

fn sqlite_options(opts: sqlx_sqlite::SqliteConnectOptions) -> sqlx_sqlite::SqliteConnectOptions {
    opts.journal_mode(sqlx_sqlite::SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .create_if_missing(true)
}

/// One round trip to the database (`SELECT 1`): whether it answers, for `/readyz`.
pub async fn ping(db: &Db) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    let backend = db.get_database_backend();
    db.execute_raw(sea_orm::Statement::from_string(backend, "SELECT 1"))
        .await
        .map(|_| ())
}

/// Applies every pending migration.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    Migrator::up(db.writer(), None)
        .await
        .context("running migrations")
}

/// The file of a file-backed SQLite URL; `None` for an in-memory database.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let in_memory =
        path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// Creates the directory of the database file, so `cargo run` works on a fresh clone.
fn ensure_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
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
