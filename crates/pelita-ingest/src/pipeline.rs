//! The pipeline: submit (archive) → detect → parse the archived copy → canonicalise → sink.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pelita_model::{Limits, Location, Observation, ParseContext, ParseOptions, Problem, Sink, Tlp};
use serde::Serialize;

use crate::archive::{Archive, ArchiveError, Stored, unique_suffix};
use crate::detect::{Detection, Format, FormatChoice, HEAD_BYTES, detect};
use crate::record::{Provenance, RecordSink, canonicalise};
use crate::report::{PartReport, SubmissionReport};

/// How to ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Detect, or read as one format.
    pub format: FormatChoice,
    /// The sharing organisation, put into every record.
    pub source: Option<String>,
    /// The default marking for records whose observation has none.
    pub tlp: Option<Tlp>,
    /// Tags put on every record, before its own (see [`Provenance::tags`]).
    pub tags: Vec<String>,
    /// Strict mode: specification violations drop the record.
    pub strict: bool,
    /// Limits; `max_submission_bytes` is enforced while archiving.
    pub limits: Limits,
    /// Options for canonicalisation (default phone region).
    pub parse: ParseOptions,
}

/// Told how far parsing got, in bytes of the archived submission.
pub trait Progress {
    /// Parsing starts; `total` bytes to read.
    fn start(&mut self, total: u64) {
        let _ = total;
    }
    /// `bytes` more were read.
    fn advance(&mut self, bytes: u64) {
        let _ = bytes;
    }
    /// Parsing ended.
    fn finish(&mut self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Why ingest stopped (as opposed to a located problem in a submission's report).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Archiving failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The archived copy could not be read back.
    #[error("cannot read the archived copy {}: {source}", path.display())]
    ReadArchived {
        /// The archived file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A directory could not be listed or staged.
    #[error("cannot read directory {}: {source}", path.display())]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The record sink failed; records after the failure were not written.
    #[error("cannot write records: {0}")]
    Sink(#[source] io::Error),
}

/// One archived file of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// The file name inside the submitted directory.
    pub name: String,
    /// Where and how it was archived.
    pub stored: Stored,
}

/// An archived submission, ready to ingest.
///
/// A MISP feed directory is **one submission of several parts**: every
/// regular file at its top level is archived on its own (content-addressed),
/// and a small JSON part list (`{"submission":"misp-feed","parts":[{name,
/// sha256, size}…]}`, sorted by name) is archived too; the part list's
/// SHA-256 is the submission's, so the same feed content is the same
/// submission wherever it sits, and each record also names its part.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The name given (a path, or `-` for standard input).
    pub name: String,
    /// The archived file (for a MISP feed, the part list).
    pub stored: Stored,
    /// The parts of a multi-file submission; empty for a single file.
    pub parts: Vec<Part>,
    /// Whether this is a directory (MISP feed) submission.
    pub is_dir: bool,
}

impl Submission {
    /// Bytes of content (all parts for a feed).
    pub fn size(&self) -> u64 {
        if self.is_dir {
            self.parts.iter().map(|p| p.stored.size).sum()
        } else {
            self.stored.size
        }
    }

    /// Whether everything was archived before.
    pub fn already_archived(&self) -> bool {
        !self.stored.new && self.parts.iter().all(|p| !p.stored.new)
    }
}

/// Archives what `reader` yields (standard input, a network body) as the submission `name`.
pub fn submit_reader(
    archive: &Archive,
    name: &str,
    reader: impl Read,
    limits: &Limits,
) -> Result<Submission, IngestError> {
    let stored = archive
        .put(reader, limits.max_submission_bytes)
        .map_err(|e| match e {
            ArchiveError::Read { source, .. } => ArchiveError::Read {
                name: name.to_owned(),
                source,
            },
            other => other,
        })?;
    Ok(Submission {
        name: name.to_owned(),
        stored,
        parts: Vec::new(),
        is_dir: false,
    })
}

#[derive(Serialize)]
struct PartList {
    submission: &'static str,
    parts: Vec<PartReport>,
}

/// Archives a file, or every regular file at the top of a directory (a MISP
/// feed; see [`Submission`]).
pub fn submit_path(
    archive: &Archive,
    path: &Path,
    limits: &Limits,
) -> Result<Submission, IngestError> {
    let name = path.display().to_string();
    if !path.is_dir() {
        let stored = archive.put_file(path, limits.max_submission_bytes)?;
        return Ok(Submission {
            name,
            stored,
            parts: Vec::new(),
            is_dir: false,
        });
    }
    let dir_err = |source| IngestError::Dir {
        path: path.to_path_buf(),
        source,
    };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(path).map_err(dir_err)? {
        let entry = entry.map_err(dir_err)?;
        let p = entry.path();
        if p.is_file() {
            files.push((entry.file_name().to_string_lossy().into_owned(), p));
        }
    }
    files.sort();
    let mut parts = Vec::with_capacity(files.len());
    let mut total = 0u64;
    for (file_name, p) in files {
        let stored = archive.put_file(&p, limits.max_submission_bytes)?;
        total += stored.size;
        if total > limits.max_submission_bytes {
            return Err(ArchiveError::TooLarge {
                limit: limits.max_submission_bytes,
            }
            .into());
        }
        parts.push(Part {
            name: file_name,
            stored,
        });
    }
    let list = PartList {
        submission: "misp-feed",
        parts: parts.iter().map(part_report).collect(),
    };
    let bytes = serde_json::to_vec_pretty(&list).map_err(|e| IngestError::Sink(e.into()))?;
    let stored = archive.put(bytes.as_slice(), u64::MAX)?;
    Ok(Submission {
        name,
        stored,
        parts,
        is_dir: true,
    })
}

fn part_report(p: &Part) -> PartReport {
    PartReport {
        name: p.name.clone(),
        sha256: p.stored.sha256.clone(),
        size: p.stored.size,
    }
}

/// [`submit_path`] then [`ingest`].
pub fn ingest_file(
    archive: &Archive,
    path: &Path,
    options: &IngestOptions,
    sink: &mut dyn RecordSink,
    progress: &mut dyn Progress,
) -> Result<SubmissionReport, IngestError> {
    let submission = submit_path(archive, path, &options.limits)?;
    ingest(archive, &submission, options, sink, progress)
}

/// The observation sink of the pipeline: canonicalises, counts, forwards.
struct Canon<'a> {
    sink: &'a mut dyn RecordSink,
    report: &'a mut SubmissionReport,
    provenance: Provenance,
    options: &'a ParseOptions,
    /// For a feed: the staging directory's prefix and the submitted directory's.
    rename: Option<(String, String)>,
    /// For a feed: location file → part SHA-256.
    parts: HashMap<String, String>,
    failed: Option<io::Error>,
}

impl Canon<'_> {
    fn relocate(&self, loc: &mut Location) {
        if let (Some((from, to)), Some(file)) = (&self.rename, &loc.file)
            && let Some(rest) = file.strip_prefix(from.as_str())
        {
            loc.file = Some(Arc::from(format!("{to}{rest}")));
        }
    }
}

impl Sink for Canon<'_> {
    fn observation(&mut self, mut obs: Observation) {
        self.report.observations += 1;
        self.relocate(&mut obs.location);
        let part = obs
            .location
            .file
            .as_deref()
            .and_then(|f| self.parts.get(f))
            .cloned();
        match canonicalise(obs, &self.provenance, part, self.options) {
            Ok(record) => {
                if self.failed.is_some() {
                    return;
                }
                let kind = record.kind;
                match self.sink.record(record) {
                    Ok(()) => {
                        self.report.records += 1;
                        *self.report.by_kind.entry(kind).or_insert(0) += 1;
                    }
                    Err(e) => self.failed = Some(e),
                }
            }
            Err(problem) => self.report.add_problem(*problem),
        }
    }

    fn problem(&mut self, mut problem: Problem) {
        self.relocate(&mut problem.location);
        self.report.add_problem(problem);
    }
}

/// Counts bytes read for a [`Progress`].
struct Counted<'a, R> {
    inner: R,
    progress: &'a mut dyn Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

/// Reads up to [`HEAD_BYTES`] from the start of a file.
fn read_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    File::open(path)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// Parses an archived submission (never the original: what is parsed is
/// exactly what was kept), canonicalising every observation into `sink`.
///
/// A record that fails is a located error in the report and the rest goes
/// through; a submission whose format cannot be chosen is a located error
/// at its start. Only I/O on the archive or the sink stops it.
pub fn ingest(
    archive: &Archive,
    submission: &Submission,
    options: &IngestOptions,
    sink: &mut dyn RecordSink,
    progress: &mut dyn Progress,
) -> Result<SubmissionReport, IngestError> {
    let mut report = SubmissionReport {
        name: submission.name.clone(),
        sha256: submission.stored.sha256.clone(),
        size: submission.size(),
        already_archived: submission.already_archived(),
        parts: submission.parts.iter().map(part_report).collect(),
        ..SubmissionReport::default()
    };
    let start = Location::in_file(submission.name.as_str()).with_offset(0);
    let detection = if submission.is_dir {
        match &options.format {
            FormatChoice::Auto | FormatChoice::Fixed(Format::MispFeed) => {
                if submission.parts.iter().any(|p| p.name == "manifest.json") {
                    Ok(Detection {
                        format: Format::MispFeed,
                        reason: if matches!(options.format, FormatChoice::Auto) {
                            "directory with manifest.json".into()
                        } else {
                            "chosen with --format".into()
                        },
                    })
                } else {
                    Err(Problem::error(
                        "ingest.not-a-feed",
                        "a directory without manifest.json is not a MISP feed; give its files instead",
                        start.clone(),
                    ))
                }
            }
            FormatChoice::Fixed(f) => Err(Problem::error(
                "ingest.not-a-feed",
                format!("a directory can only be read as misp-feed, not {f}"),
                start.clone(),
            )),
        }
    } else {
        match &options.format {
            FormatChoice::Fixed(Format::MispFeed) => Err(Problem::error(
                "ingest.not-a-feed",
                "misp-feed is a directory format; this is a file",
                start.clone(),
            )),
            FormatChoice::Fixed(f) => Ok(Detection {
                format: f.clone(),
                reason: "chosen with --format".into(),
            }),
            FormatChoice::Auto => {
                let head = read_head(&submission.stored.path).map_err(|source| {
                    IngestError::ReadArchived {
                        path: submission.stored.path.clone(),
                        source,
                    }
                })?;
                detect(&head, Some(Path::new(&submission.name)))
                    .map_err(|e| Problem::error(e.code, e.message, start.clone()))
            }
        }
    };
    let detection = match detection {
        Ok(d) => d,
        Err(p) => {
            report.add_problem(p);
            return Ok(report);
        }
    };
    report.format = Some(detection.format.to_string());
    report.reason = Some(detection.reason.clone());

    let ctx = ParseContext {
        file: Some(Arc::from(submission.name.as_str())),
        limits: options.limits,
        strict: options.strict,
    };
    let mut canon = Canon {
        sink,
        report: &mut report,
        provenance: Provenance {
            submission: submission.stored.sha256.clone(),
            tlp: options.tlp,
            source: options.source.clone(),
            tags: options.tags.clone(),
        },
        options: &options.parse,
        rename: None,
        parts: HashMap::new(),
        failed: None,
    };
    progress.start(submission.size());
    if let Format::MispFeed = detection.format {
        parse_feed(archive, submission, &ctx, &mut canon)?;
        progress.advance(submission.size());
    } else if let Format::Misp = detection.format {
        // MISP needs two passes (event tags may follow the attributes): the
        // archived file is opened once per pass, so memory stays flat.
        let path = &submission.stored.path;
        pelita_misp::parse_reopen(|| File::open(path), &ctx, &mut canon);
        progress.advance(submission.size());
    } else {
        let path = &submission.stored.path;
        let read_err = |source| IngestError::ReadArchived {
            path: path.clone(),
            source,
        };
        // STIX bundles usually list their relationships after the
        // indicators they concern: a learning pass over the archived file
        // first keeps what each indicator indicates (bounded tables).
        let learned = match detection.format {
            Format::Stix => pelita_stix::learn_reopen(
                || File::open(path).map(|f| BufReader::with_capacity(1 << 16, f)),
                &ctx,
            ),
            _ => pelita_stix::Learned::default(),
        };
        let file = File::open(path).map_err(read_err)?;
        let reader = BufReader::with_capacity(
            1 << 16,
            Counted {
                inner: file,
                progress: &mut *progress,
            },
        );
        parse_one(&detection.format, reader, &ctx, &mut canon, learned).map_err(read_err)?;
    }
    progress.finish();
    if let Some(e) = canon.failed.take() {
        return Err(IngestError::Sink(e));
    }
    Ok(report)
}

/// Parses one archived file as `format` (STIX from what its learning pass kept).
fn parse_one(
    format: &Format,
    mut reader: impl io::BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    learned: pelita_stix::Learned,
) -> io::Result<()> {
    match format {
        Format::Stix => {
            pelita_stix::parse_learned(reader, ctx, sink, learned);
        }
        Format::Misp => {
            // Archived MISP files are streamed with `parse_reopen` by the caller;
            // this arm serves any other reader.
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            pelita_misp::parse(&bytes, ctx, sink);
        }
        Format::Feed(p) => {
            pelita_feeds::parse_preset(*p, reader, ctx, sink);
        }
        Format::Csv(m) => {
            pelita_feeds::parse_csv(&m.mapping, reader, ctx, sink);
        }
        Format::List => {
            pelita_feeds::parse_list(reader, ctx, sink);
        }
        Format::Text => crate::text::extract(reader, ctx, sink),
        Format::MispFeed => sink.problem(Problem::error(
            "ingest.not-a-feed",
            "misp-feed is a directory format; this is a file",
            ctx.location(),
        )),
    }
    Ok(())
}

/// Removes a staging directory when dropped.
struct StagingDir(PathBuf);

impl Drop for StagingDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Parses a MISP feed from the archive: its parts are linked (or copied)
/// from the archive into a staging directory under their original names,
/// read with [`pelita_misp::parse_feed_dir`], and locations are renamed back
/// to the submitted directory.
fn parse_feed(
    archive: &Archive,
    submission: &Submission,
    ctx: &ParseContext,
    canon: &mut Canon<'_>,
) -> Result<(), IngestError> {
    let staging = archive.root().join(format!(".feed-{}", unique_suffix()));
    let dir_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IngestError::Dir { path, source }
    };
    fs::create_dir(&staging).map_err(dir_err(&staging))?;
    let guard = StagingDir(staging.clone());
    for part in &submission.parts {
        let to = staging.join(&part.name);
        if fs::hard_link(&part.stored.path, &to).is_err() {
            fs::copy(&part.stored.path, &to).map_err(dir_err(&to))?;
        }
    }
    let from = staging.display().to_string();
    let to = submission.name.trim_end_matches(['/', '\\']).to_owned();
    canon.parts = submission
        .parts
        .iter()
        .map(|p| {
            (
                Path::new(&to).join(&p.name).display().to_string(),
                p.stored.sha256.clone(),
            )
        })
        .collect();
    canon.rename = Some((from, to));
    pelita_misp::parse_feed_dir(&staging, ctx, canon);
    drop(guard);
    Ok(())
}
