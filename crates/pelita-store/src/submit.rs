//! The one path from an archived submission into the store: parse it with
//! `pelita-ingest` and write every record in one transaction. `pelita
//! ingest`, `pelita demo` and the server's submission endpoint all call
//! [`store_submission`], so they cannot drift apart.
//!
//! Parsing and writing run on two threads: the parser (reading,
//! canonicalising) hands records over in batches through a bounded
//! channel, and this thread writes them in its transaction. A large
//! submission costs the slower of the two, not their sum, and memory stays
//! bounded by the channel (a few batches), whatever the file's size.

use std::io;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use pelita_enrich::Enricher;
use pelita_ingest::{
    Archive, IngestError, IngestOptions, Progress, Record, RecordSink, Submission,
    SubmissionReport, ingest,
};
use time::OffsetDateTime;

use crate::{
    CommitStats, OperationId, PreparedRecord, Store, StoreError, SubmissionMeta, SubmissionOutcome,
    SubmissionSink,
};

/// The source recorded when a submission names none.
pub const UNATTRIBUTED: &str = "unattributed";

/// Why a submission could not be stored (a bad record is not such a
/// reason: it is a located error in the report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// Reading or parsing stopped.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records handed from the parser thread to the writer per batch: large
/// enough that the store writes in bulk, small enough that a few in flight
/// stay a few megabytes.
const BATCH: usize = 4096;
/// Batches the parser may run ahead of the writer.
const IN_FLIGHT: usize = 4;

/// The parser thread's sink: prepares each record (enrichment and the
/// rest of [`PreparedRecord`]), fills a batch, sends it when full.
struct Batcher<'e> {
    /// Batches the writer is done with, to be freed here: memory is
    /// returned to the thread that allocated it (cheaper for the
    /// allocator than freeing on the writer's thread).
    spent: Receiver<Vec<PreparedRecord>>,
    enricher: &'e Enricher,
    /// The submission's name (the file its records' locations name).
    submission: &'e str,
    out: SyncSender<Vec<PreparedRecord>>,
    batch: Vec<PreparedRecord>,
}

impl Batcher<'_> {
    fn send(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let mut next = Vec::new();
        while let Ok(mut spent) = self.spent.try_recv() {
            spent.clear();
            next = spent;
        }
        next.reserve(BATCH);
        let full = std::mem::replace(&mut self.batch, next);
        // The writer only hangs up when it failed; its error is the one reported.
        self.out
            .send(full)
            .map_err(|_| io::Error::other("the store stopped taking records"))
    }
}

impl RecordSink for Batcher<'_> {
    fn record(&mut self, record: Record) -> io::Result<()> {
        let prepared = PreparedRecord::new(record, self.enricher, self.submission)
            .map_err(io::Error::other)?;
        self.batch.push(prepared);
        if self.batch.len() >= BATCH {
            self.send()?;
        }
        Ok(())
    }
}

/// Writes every batch (and copies its records to `also`) until the parser
/// is done or the first failure; returning drops the receiver, which stops
/// the parser handing over more.
fn write_all(
    batches: Receiver<Vec<PreparedRecord>>,
    spent: Sender<Vec<PreparedRecord>>,
    store: &mut dyn SubmissionSink,
    mut also: Option<&mut dyn RecordSink>,
) -> Result<(), SubmitError> {
    for batch in batches {
        if let Some(also) = &mut also {
            for p in &batch {
                also.record(p.record.clone()).map_err(IngestError::Sink)?;
            }
        }
        store.prepared(&batch)?;
        // The parser may have finished: then this thread frees it.
        let _ = spent.send(batch);
    }
    Ok(())
}

/// Where a submission goes besides the parse options: its operation, when
/// it was received, and an optional second sink (JSON Lines) for its records.
pub struct Destination<'x> {
    /// The operation it is made to.
    pub operation: Option<OperationId>,
    /// When it was received (the default first/last seen of its records).
    pub received_at: OffsetDateTime,
    /// The organisations the submitter names as recipients (see the sharing policy).
    pub recipients: Vec<String>,
    /// Also send every record here.
    pub also: Option<&'x mut dyn RecordSink>,
}

/// Parses an archived submission and stores all its records at once.
pub fn store_submission(
    store: &mut dyn Store,
    archive: &Archive,
    submission: &Submission,
    options: &IngestOptions,
    dest: Destination<'_>,
    progress: &mut (dyn Progress + Send),
) -> Result<(SubmissionReport, CommitStats), SubmitError> {
    let meta = SubmissionMeta {
        sha256: submission.stored.sha256.clone(),
        name: submission.name.clone(),
        size: submission.size(),
        format: "auto".into(),
        source: options
            .source
            .clone()
            .unwrap_or_else(|| UNATTRIBUTED.into()),
        tlp: options.tlp,
        received_at: dest.received_at,
        operation: dest.operation,
        recipients: dest.recipients,
    };
    let enricher = store.enricher();
    let mut sink = store.begin(&meta)?;
    let (parsed, written) = std::thread::scope(|scope| {
        let (out, batches) = sync_channel(IN_FLIGHT);
        let (give_back, spent) = channel();
        let enricher = &*enricher;
        let parser = scope.spawn(move || {
            let mut batcher = Batcher {
                spent,
                enricher,
                submission: &submission.name,
                out,
                batch: Vec::with_capacity(BATCH),
            };
            let report = ingest(archive, submission, options, &mut batcher, progress)?;
            batcher.send().map_err(IngestError::Sink)?;
            Ok::<_, IngestError>(report)
        });
        let written = write_all(batches, give_back, &mut *sink, dest.also);
        let parsed = parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (parsed, written)
    });
    // A store failure is the cause of the parser's "stopped taking records".
    written?;
    let report = parsed?;
    let outcome = SubmissionOutcome {
        format: report.format.clone(),
        errors: report.errors.values().map(|e| e.count).sum(),
        report: serde_json::to_string(&report).ok(),
    };
    let stored = sink.commit(&outcome)?;
    Ok((report, stored))
}
