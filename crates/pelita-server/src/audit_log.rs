//! The audit log as the server writes it: reads are queued and committed
//! in batches by one thread, writes are recorded in their own transaction.
//!
//! Why a queue: every read the server answers is recorded, and a busy
//! server answers thousands a second. One transaction (and one `fsync`)
//! per read would make the audit log the server's bottleneck. The queue
//! thread appends everything waiting in one transaction (the hash chain is
//! the same as one append at a time), so a read never waits for a disk
//! flush. The log has a database file of its own
//! (`SqliteStore::audit_path_for`), so its commits neither wait behind a
//! partner's large submission nor make the store's readers drop their
//! page caches.
//!
//! What this costs, stated plainly: a read's entry is queued before its
//! answer is sent and committed within [`BATCH_INTERVAL`] (5 ms) plus one commit, but if the process is
//! killed in that window the last queued read entries are lost (the chain
//! stays valid: it is extended only by whole committed batches). Writes —
//! submissions, administration — are not queued: their entry is committed
//! before the answer. If an append ever fails, the server fails closed:
//! every later request that must be audited answers `500 internal`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use pelita_store::{AuditEntry, SqliteStore, Store as _};

use crate::error::ApiError;

/// Entries waiting at most (a stalled writer then slows readers down
/// instead of growing memory without bound).
const QUEUE_CAPACITY: usize = 65_536;
/// Entries committed in one transaction at most.
const BATCH_MAX: usize = 4_096;
/// How long the first queued entry waits for others to join its batch
/// (one commit, one `fsync`, for every read in the interval). A flush
/// commits at once.
const BATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(5);

enum Msg {
    Entry(AuditEntry),
    Flush(std::sync::mpsc::Sender<()>),
}

/// The queue in front of the audit log.
#[derive(Debug)]
pub struct AuditQueue {
    tx: SyncSender<Msg>,
    failed: Arc<AtomicBool>,
}

impl AuditQueue {
    /// Starts the thread that commits queued entries through `writer`: a
    /// handle of its own (`SqliteStore::twin`), not the store's writer, so
    /// that read entries are committed while a partner's large submission
    /// holds the writer (appends of several handles serialise on the audit
    /// file's lock, each reading the chain's head under it).
    pub fn start(writer: SqliteStore) -> AuditQueue {
        let (tx, rx) = sync_channel(QUEUE_CAPACITY);
        let failed = Arc::new(AtomicBool::new(false));
        let flag = failed.clone();
        let started = std::thread::Builder::new()
            .name("pelita-audit".into())
            .spawn(move || drain(&rx, writer, &flag));
        if started.is_err() {
            failed.store(true, Ordering::SeqCst);
        }
        AuditQueue { tx, failed }
    }

    /// Queues a read's entry (waits only if the queue is full).
    pub fn record(&self, entry: AuditEntry) -> Result<(), ApiError> {
        self.healthy()?;
        self.tx
            .send(Msg::Entry(entry))
            .map_err(|_| ApiError::Internal("the audit log writer has stopped".into()))
    }

    /// Waits until every entry queued before this call is committed.
    pub fn flush(&self) -> Result<(), ApiError> {
        let (done, wait) = std::sync::mpsc::channel();
        self.tx
            .send(Msg::Flush(done))
            .map_err(|_| ApiError::Internal("the audit log writer has stopped".into()))?;
        wait.recv()
            .map_err(|_| ApiError::Internal("the audit log writer has stopped".into()))?;
        self.healthy()
    }

    /// An error once an append has failed: nothing is answered unaudited.
    pub fn healthy(&self) -> Result<(), ApiError> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(ApiError::Internal(
                "the audit log cannot be written; refusing to answer unaudited".into(),
            ));
        }
        Ok(())
    }
}

fn drain(rx: &Receiver<Msg>, mut writer: SqliteStore, failed: &AtomicBool) {
    while let Ok(first) = rx.recv() {
        let mut entries = Vec::new();
        let mut waiting = Vec::new();
        // Sleep rather than wait on the queue: a sender wakes a waiting
        // receiver (a context switch per read), but not a sleeping one.
        if !matches!(first, Msg::Flush(_)) {
            std::thread::sleep(BATCH_INTERVAL);
        }
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Entry(e) => entries.push(e),
                Msg::Flush(done) => waiting.push(done),
            }
            next = if entries.len() >= BATCH_MAX {
                None
            } else {
                rx.try_recv().ok()
            };
        }
        if !entries.is_empty()
            && let Err(e) = writer.audit_append_all(entries)
        {
            eprintln!("pelita serve: cannot write the audit log: {e}");
            failed.store(true, Ordering::SeqCst);
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}
