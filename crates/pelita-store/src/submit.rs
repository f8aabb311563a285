//! The one path from an archived submission into the store: parse it with
//! `pelita-ingest` and write every record in one transaction. `pelita
//! ingest`, `pelita demo` and (next) the server's submission endpoint all
//! call [`store_submission`], so they cannot drift apart.

use std::io;

use pelita_ingest::{
    Archive, IngestError, IngestOptions, Progress, Record, RecordSink, Submission,
    SubmissionReport, ingest,
};
use time::OffsetDateTime;

use crate::{
    CommitStats, OperationId, Store, StoreError, SubmissionMeta, SubmissionOutcome, SubmissionSink,
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

/// Sends each record to the store and, when given, to a second sink.
struct Tee<'s, 'x> {
    store: Box<dyn SubmissionSink + 's>,
    also: Option<&'x mut dyn RecordSink>,
}

impl RecordSink for Tee<'_, '_> {
    fn record(&mut self, record: Record) -> io::Result<()> {
        if let Some(also) = &mut self.also {
            also.record(record.clone())?;
        }
        self.store.record(record)
    }
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
    progress: &mut dyn Progress,
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
    let mut tee = Tee {
        store: store.begin(&meta)?,
        also: dest.also,
    };
    let report = ingest(archive, submission, options, &mut tee, progress)?;
    let Tee { store: sink, .. } = tee;
    let outcome = SubmissionOutcome {
        format: report.format.clone(),
        errors: report.errors.values().map(|e| e.count).sum(),
        report: serde_json::to_string(&report).ok(),
    };
    let stored = sink.commit(&outcome)?;
    Ok((report, stored))
}
