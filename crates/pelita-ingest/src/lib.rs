//! Pelita's ingest stage: every submission is archived verbatim, its format
//! detected, the archived copy parsed by the format crates, and every
//! observation canonicalised into a [`Record`].
//!
//! # Pipeline
//!
//! ```text
//! input ──▶ archive ──▶ detect ──▶ parse ──▶ canonicalise ──▶ RecordSink
//!          (SHA-256,    (head +    (stix,    (Indicator::     (JSON Lines,
//!           atomic)      name)      misp,     parse)            the store)
//!                                   feeds…)
//! ```
//!
//! 1. **Archive** ([`archive`]): [`submit_path`] / [`submit_reader`] stream
//!    the bytes through SHA-256 into `<data-dir>/archive/<2 hex>/<64 hex>`
//!    (temp file, fsync, rename), enforcing
//!    [`Limits::max_submission_bytes`](pelita_model::Limits). Same bytes,
//!    same path, no rewrite ([`Stored::new`] is false). A MISP feed
//!    directory is one [`Submission`] of several archived parts.
//! 2. **Detect** ([`detect()`]): the first 64 KiB and the name choose a
//!    [`Format`] and say why; or `--format` ([`FormatChoice`]) fixes it.
//! 3. **Parse** ([`ingest`]): the *archived* file is read by
//!    `pelita-stix`, `pelita-misp`, `pelita-feeds` or `pelita-extract` into a
//!    [`pelita_model::Sink`].
//! 4. **Canonicalise** ([`canonicalise`]): each observation goes through
//!    [`pelita_model::Indicator::parse`]; success is a [`Record`] sent to the
//!    [`RecordSink`], failure an `indicator.invalid` error at the
//!    observation's location.
//! 5. **Report** ([`SubmissionReport`]): format and reason, records by kind,
//!    unsupported by code, errors by code with their first locations, warnings.
//!
//! # Invariants
//!
//! - **Archive before parse**: nothing is parsed that is not archived first,
//!   and what is parsed is the archived copy, byte for byte.
//! - **A failing record never drops others**: parsers and canonicalisation
//!   report a located problem and go on; only an I/O failure of the archive
//!   or the sink stops a submission ([`IngestError`]).
//! - **Every record has its submission and location**: [`Record::submission`]
//!   (the SHA-256) and [`Record::location`] (file, line, offset, JSON pointer
//!   as the format allows); a feed's records also name their part.
//!
//! Prose (`text`: plain text, Markdown, HTML) is read by `pelita-extract` (see [`text`]).
//!
//! ```no_run
//! use pelita_ingest::{Archive, IngestOptions, JsonLines, NoProgress, ingest_file};
//! let archive = Archive::open(std::path::Path::new("/var/lib/pelita"))?;
//! let mut out = JsonLines::new(std::io::stdout().lock());
//! let report = ingest_file(&archive, "bundle.json".as_ref(), &IngestOptions::default(), &mut out, &mut NoProgress)?;
//! println!("{} records, {} errors", report.records, report.error_count());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod archive;
pub mod detect;
pub mod pipeline;
pub mod record;
pub mod report;
pub mod text;

pub use archive::{Archive, ArchiveError, Stored, Verified, default_data_dir};
pub use detect::{
    DetectError, Detection, Format, FormatChoice, FormatError, HEAD_BYTES, NamedMapping, detect,
};
pub use pipeline::{
    IngestError, IngestOptions, NoProgress, Part, Progress, Submission, ingest, ingest_file,
    submit_path, submit_reader,
};
pub use record::{JsonLines, Provenance, Record, RecordSink, RelatedRecord, canonicalise};
pub use report::{ErrorCount, FIRST_LOCATIONS, MAX_LOCATED, PartReport, SubmissionReport, Totals};
