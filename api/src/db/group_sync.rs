//! Group commit for SQLite: many commits, one `fdatasync`.
//!
//! At `synchronous = FULL` SQLite syncs its write-ahead log inside every commit, while the one
//! writer connection waits: each commit pays a whole disk flush and nobody else can write
//! meanwhile. Here the writer commits at `synchronous = NORMAL` (the log is written but not
//! flushed), and an acknowledged change waits for [`GroupSync::wait`] before it is answered:
//! the request takes a ticket, and a sync thread flushes the log once for every ticket taken
//! before the flush began. Whatever committed before a ticket is on disk when its wait returns,
//! which is what `FULL` promises, but concurrent requests share one flush and the writer never
//! waits for the disk. (Checkpoints at `NORMAL` sync the log before copying it into the
//! database and the database after, so a checkpoint never loses a synced commit.)

use sea_orm::DbErr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use tokio::sync::watch;

/// How far the flushes have come, in tickets.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    /// Every ticket up to this one is on disk.
    synced: u64,
    /// A flush covering every ticket up to this one failed: their durability is unknown.
    failed: u64,
}

/// The sync thread of one SQLite database's write-ahead log.
#[derive(Debug)]
pub struct GroupSync {
    tickets: Arc<AtomicU64>,
    nudge: SyncSender<()>,
    progress: watch::Receiver<Progress>,
}

impl GroupSync {
    /// Starts the sync thread for the database file at `database`; its log is `<file>-wal`.
    /// The thread ends when the handle is dropped.
    pub fn start(database: &Path) -> std::io::Result<Self> {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        // The log's directory entry must be durable too; SQLite syncs it only at `FULL`.
        if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        let tickets = Arc::new(AtomicU64::new(0));
        let (nudge, nudged) = mpsc::sync_channel(1);
        let (report, progress) = watch::channel(Progress::default());
        let counted = tickets.clone();
        std::thread::Builder::new()
            .name("kepu-wal-sync".into())
            .spawn(move || run(&wal, &counted, &nudged, &report))?;
        Ok(Self {
            tickets,
            nudge,
            progress,
        })
    }

    /// Returns once everything committed before the call is on disk.
    pub async fn wait(&self) -> Result<(), DbErr> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        match self.nudge.try_send(()) {
            // Full: a flush is already asked for, and it will read the ticket count after this.
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => return Err(gone()),
        }
        let mut progress = self.progress.clone();
        let reached = progress
            .wait_for(|p| p.synced >= ticket || p.failed >= ticket)
            .await
            .map_err(|_| gone())?;
        if reached.failed >= ticket {
            return Err(DbErr::Custom(
                "the database log could not be flushed to disk".into(),
            ));
        }
        Ok(())
    }
}

fn gone() -> DbErr {
    DbErr::Custom("the database log's sync thread has stopped".into())
}

/// The sync thread: on every nudge, flush once for all tickets taken so far, until none is left.
fn run(
    wal: &Path,
    tickets: &AtomicU64,
    nudged: &mpsc::Receiver<()>,
    report: &watch::Sender<Progress>,
) {
    let mut progress = Progress::default();
    while nudged.recv().is_ok() {
        loop {
            let upto = tickets.load(Ordering::SeqCst);
            if upto <= progress.synced.max(progress.failed) {
                break;
            }
            match sync_data(wal) {
                Ok(()) => progress.synced = upto,
                Err(err) => {
                    tracing::error!(error = %err, wal = %wal.display(), "flushing the SQLite log failed");
                    progress.failed = upto;
                }
            }
            metrics::counter!("kepu_sqlite_log_flushes_total").increment(1);
            report.send_replace(progress);
        }
    }
}

/// `fdatasync` of the log, opened afresh each time: SQLite may delete the file (when its last
/// connection closes, after a full checkpoint that synced the database) and make a new one.
fn sync_data(wal: &Path) -> std::io::Result<()> {
    match File::open(wal) {
        Ok(file) => file.sync_data(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::GroupSync;

    #[tokio::test]
    async fn every_concurrent_wait_is_answered() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kepu.db");
        std::fs::write(dir.path().join("kepu.db-wal"), b"log").unwrap();
        let sync = std::sync::Arc::new(GroupSync::start(&db).unwrap());
        let waits = (0..200).map(|_| {
            let sync = sync.clone();
            tokio::spawn(async move { sync.wait().await })
        });
        for wait in futures_util::future::join_all(waits).await {
            wait.unwrap().unwrap();
        }
        let progress = *sync.progress.borrow();
        assert_eq!(progress.synced, 200);
        assert_eq!(progress.failed, 0);
    }

    #[tokio::test]
    async fn a_missing_log_has_nothing_to_flush() {
        let dir = tempfile::tempdir().unwrap();
        let sync = GroupSync::start(&dir.path().join("kepu.db")).unwrap();
        sync.wait().await.unwrap();
        sync.wait().await.unwrap();
    }
}
