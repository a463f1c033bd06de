//! The database handle every service receives: one writer, and on SQLite a pool of readers
//! beside it.
//!
//! SQLite has a single writer, so the service keeps one connection for writing. Before this
//! split every read queued behind it too: a session check waited for someone else's
//! transaction to commit. In WAL mode readers never block the writer nor each other, so a
//! `SELECT` outside a transaction goes to a read-only connection of its own pool and sees every
//! transaction committed before it began. Everything else — writes, transactions and every
//! statement inside one — goes to the writer. On PostgreSQL both are the same pool.

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, IsolationLevel, QueryResult, Statement, TransactionError, TransactionOptions,
    TransactionTrait,
};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::group_sync::GroupSync;

/// A cheap-to-clone handle on the database: the writer, the readers (SQLite), and the group
/// sync that makes SQLite commits durable before they are acknowledged.
#[derive(Clone, Debug)]
pub struct Db {
    writer: DatabaseConnection,
    readers: Option<DatabaseConnection>,
    sync: Option<Arc<GroupSync>>,
}

impl From<DatabaseConnection> for Db {
    /// One pool for everything (PostgreSQL, or a SQLite connection opened by a tool or test).
    fn from(conn: DatabaseConnection) -> Self {
        Self {
            writer: conn,
            readers: None,
            sync: None,
        }
    }
}

impl Db {
    /// A writer with a pool of read-only connections beside it, and the group sync of its WAL.
    pub(super) fn split(
        writer: DatabaseConnection,
        readers: Option<DatabaseConnection>,
        sync: Option<GroupSync>,
    ) -> Self {
        Self {
            writer,
            readers,
            sync: sync.map(Arc::new),
        }
    }

    /// The writer: what migrations and schema tools need.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.writer
    }

    /// Runs `work` (one request) and tells whether it used the writer: only then has it
    /// anything to wait for in [`durable`](Self::durable).
    pub async fn noting_writes<T>(work: impl Future<Output = T>) -> (T, bool) {
        WROTE
            .scope(Cell::new(false), async {
                let out = work.await;
                (out, WROTE.with(Cell::get))
            })
            .await
    }

    /// Waits until every transaction committed before this call is on disk. On SQLite with
    /// full durability this is a share of one `fdatasync` of the WAL, whoever else waits for
    /// it; elsewhere commits are durable already (PostgreSQL's own commit, or SQLite at
    /// `synchronous = normal` by the operator's choice) and it returns at once.
    pub async fn durable(&self) -> Result<(), DbErr> {
        match &self.sync {
            Some(sync) => sync.wait().await,
            None => Ok(()),
        }
    }

    /// Closes every pool.
    pub async fn close(self) -> Result<(), DbErr> {
        if let Some(readers) = self.readers {
            readers.close().await?;
        }
        self.writer.close().await
    }

    /// The connection a statement outside a transaction runs on.
    fn for_query(&self, stmt: &Statement) -> &DatabaseConnection {
        match &self.readers {
            Some(readers) if is_read_only(&stmt.sql) => readers,
            _ => self.write(),
        }
    }

    /// The writer, noting that the current request used it.
    fn write(&self) -> &DatabaseConnection {
        // Outside `noting_writes` (jobs, the command line) there is nobody to note it for.
        let _ = WROTE.try_with(|wrote| wrote.set(true));
        &self.writer
    }
}

tokio::task_local! {
    /// Whether the request being served has used the writer (see [`Db::noting_writes`]).
    static WROTE: Cell<bool>;
}

/// Whether a statement only reads: a plain `SELECT`. (`WITH` may carry a write, and an
/// `INSERT … RETURNING` reads back what it wrote; both stay on the writer.)
fn is_read_only(sql: &str) -> bool {
    let head = sql.trim_start();
    head.get(..6)
        .is_some_and(|word| word.eq_ignore_ascii_case("select"))
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.writer.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.write().execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.write().execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.for_query(&stmt).query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.for_query(&stmt).query_all_raw(stmt).await
    }
}

type Callback<'c, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>;

#[async_trait::async_trait]
impl TransactionTrait for Db {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.write().begin().await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.write()
            .begin_with_config(isolation_level, access_mode)
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.write().begin_with_options(options).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Callback<'c, T, E> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.write().transaction(callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Callback<'c, T, E> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.write()
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::Db;
    use super::is_read_only;
    use crate::config::Settings;
    use crate::db::connect;
    use sea_orm::{ConnectionTrait, TransactionTrait};

    #[tokio::test]
    async fn reads_go_to_readers_writes_are_noted_and_made_durable() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/kepu.db?mode=rwc", dir.path().display());
        let db = connect(&Settings::for_tests(&url)).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .unwrap();

        let (rows, wrote) = Db::noting_writes(db.query_all_raw(select(&db))).await;
        assert!(rows.unwrap().is_empty());
        assert!(!wrote, "a plain SELECT runs on a reader");

        let (done, wrote) = Db::noting_writes(async {
            let txn = db.begin().await?;
            txn.execute_unprepared("INSERT INTO t VALUES (1)").await?;
            txn.commit().await
        })
        .await;
        done.unwrap();
        assert!(wrote, "a transaction runs on the writer");
        db.durable().await.unwrap();

        // A reader sees what the writer committed before the read began.
        assert_eq!(db.query_all_raw(select(&db)).await.unwrap().len(), 1);
        // The readers refuse to write, whatever asks them to.
        let refused = db.readers.as_ref().unwrap();
        assert!(
            refused
                .execute_unprepared("INSERT INTO t VALUES (2)")
                .await
                .is_err()
        );
        db.close().await.unwrap();
    }

    fn select(db: &Db) -> sea_orm::Statement {
        sea_orm::Statement::from_string(db.get_database_backend(), "SELECT n FROM t")
    }

    #[test]
    fn only_plain_selects_go_to_the_readers() {
        assert!(is_read_only(r#"SELECT "orders"."id" FROM "orders""#));
        assert!(is_read_only("  select 1"));
        assert!(!is_read_only(
            r#"INSERT INTO "orders" VALUES (1) RETURNING "id""#
        ));
        assert!(!is_read_only(
            r#"UPDATE "orders" SET "state" = 'x' RETURNING *"#
        ));
        assert!(!is_read_only("WITH x AS (SELECT 1) DELETE FROM t"));
        assert!(!is_read_only("SEL"));
        assert!(!is_read_only(""));
    }
}
