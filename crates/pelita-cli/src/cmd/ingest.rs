//! `pelita ingest`: archive submissions, detect their format, parse and canonicalise them.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use pelita_ingest::{
    Archive, ArchiveError, FormatChoice, IngestError, IngestOptions, JsonLines, Progress,
    RecordSink, Submission, SubmissionReport, Totals, submit_path, submit_reader,
};
use pelita_model::{Limits, Tlp};
use pelita_store::{
    CommitStats, Destination, OperationId, SqliteStore, Store, SubmitError, UNATTRIBUTED,
    store_submission,
};
use serde::Serialize;
use time::OffsetDateTime;

/// Inputs larger than this get a progress bar (when standard error is a terminal).
const PROGRESS_MIN_BYTES: u64 = 8 << 20;

/// Ingest submissions: archive, detect, parse, canonicalise.
///
/// Every input is first archived verbatim under DATA-DIR/archive, named by
/// its SHA-256 (ingesting the same bytes again says "already archived" and
/// rewrites nothing); the archived copy is then parsed. The format is
/// detected (the summary says what was chosen and why) unless --format
/// says it. A MISP feed directory (with manifest.json) is one submission of
/// several archived files.
///
/// Every observation is canonicalised and stored as a sighting in the
/// fusion store (DATA-DIR/pelita.db, or --db), with the submission's
/// SHA-256 and its location; a submission is stored all at once or not at
/// all. --out also writes the records as JSON Lines (`-`: standard
/// output). A record that fails is an error in the summary, with its
/// location, and the rest goes through. Ingesting the same file from the
/// same source again changes nothing.
///
/// Formats: auto, stix, misp, misp-feed, csv:PRESET (urlhaus, threatfox,
/// feodotracker, spamhaus-drop, spamhaus-asndrop, phishtank, openphish,
/// shadowserver[:REPORT]), csv:MAPPING.toml or csv:MAPPING.json, list, text.
///
/// Data directory: --data-dir, else $PELITA_DATA_DIR, else
/// $XDG_DATA_HOME/pelita, else ~/.local/share/pelita.
///
/// Limits keep one submission from taking the machine (each has a default
/// that suits real feeds; a limit hit is a located error that names it):
///
///   --max-size     the whole submission; over it, nothing is archived
///   --max-depth    JSON nesting; a deeper STIX object is dropped, a deeper
///                  MISP document is rejected
///   --max-line     one line of a list, CSV or text, or one entry of a JSON
///                  feed; a longer CSV or list line is skipped, prose is
///                  read in pieces
///   --max-records  STIX objects, MISP attributes, CSV rows, list values or
///                  prose indicators; reading stops there, what came before
///                  is kept
///   --max-value    one value (an indicator, a STIX pattern); a longer one is
///                  an error for its record only
///
/// Exit status: 0 when everything was read, 1 when some records (or a
/// whole submission's format) failed, 2 on usage errors and when an input
/// could not be read or archived.
///
/// Examples:
///
///   pelita ingest --source CERT-XY --tlp amber bundle.json events.json
///
///   pelita ingest --format csv:urlhaus --out - urlhaus.csv | head
///
///   pelita lookup 198.51.100.7        (then: what the store knows)
///
///   pelita ingest --json feeds/misp/
///
///   pelita ingest --max-size 64M --max-depth 16 --max-records 100000 partner.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Files or MISP feed directories to ingest; `-` reads standard input.
    #[arg(required = true, value_name = "FILE|DIR|-")]
    inputs: Vec<PathBuf>,
    /// The format: auto, stix, misp, misp-feed, csv:PRESET, csv:MAPPING.toml, list or text.
    #[arg(long, default_value = "auto", value_name = "FORMAT")]
    format: String,
    /// The organisation that shared the submissions, recorded on every record.
    #[arg(long, value_name = "ORG")]
    source: Option<String>,
    /// The marking of records whose submission states none (clear, green, amber, amber+strict, red).
    #[arg(long, value_name = "TLP")]
    tlp: Option<Tlp>,
    /// A tag for every record, before its own (repeatable): how a feed's
    /// classification is configured, e.g. --tag 'rsit:malicious-code="c2-server"'
    /// for a plain list of C2 servers.
    #[arg(long, value_name = "TAG")]
    tag: Vec<String>,
    /// Organisations the submitter names as recipients, comma-separated: they
    /// see its AMBER, AMBER+STRICT and RED sightings (docs/specs/sharing-policy.md).
    #[arg(long, value_name = "ORG,ORG", value_delimiter = ',')]
    share_with: Vec<String>,
    /// The operation the submissions are made to (create it first with `pelita operation create`).
    #[arg(long, value_name = "NAME")]
    operation: Option<String>,
    /// Strict mode: specification violations drop the record instead of warning.
    #[arg(long)]
    strict: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the records as JSON Lines to FILE; `-` for standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The data directory (archive and store; default: the folder of --db,
    /// else $PELITA_DATA_DIR, else $XDG_DATA_HOME/pelita, else ~/.local/share/pelita).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The store (default DATA-DIR/pelita.db; created on first use).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// IP→country/ASN overrides consulted before the shipped data: a MaxMind-format `.mmdb`, or a CSV of `network,country,asn,as name`.
    #[arg(long, value_name = "FILE")]
    ip_overrides: Option<PathBuf>,
    /// Largest submission accepted (bytes, or with K, M, G suffix; default 8G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_size: Option<u64>,
    /// Load a submission at least this large (bytes, or with K, M, G suffix; default 32M)
    /// in bulk when it could double the store: two secondary indexes are built once at
    /// the end instead of row by row, and, when no other process has the store open, pages
    /// are written once through a rollback journal instead of the WAL (same result, all in
    /// one transaction; another process opening the store meanwhile waits; 0: always).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    bulk_min_size: Option<u64>,
    /// Deepest JSON nesting accepted, in levels (default 64; STIX and MISP need under 10).
    #[arg(long, value_name = "LEVELS", value_parser = clap::value_parser!(u32).range(1..))]
    max_depth: Option<u32>,
    /// Longest line accepted in lists, CSV and text, and longest entry of a JSON feed
    /// (bytes, or with K, M suffix; default 1M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_line: Option<u64>,
    /// Most records read from one submission: STIX objects, MISP attributes, CSV rows,
    /// list values, prose indicators (default 100000000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_records: Option<u64>,
    /// Longest single value accepted, an indicator or a STIX pattern (bytes, or with K suffix;
    /// default 64K).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_value: Option<u64>,
}

impl Args {
    /// The default limits with the ones given on the command line.
    fn limits(&self) -> anyhow::Result<Limits> {
        let mut limits = Limits::default();
        if let Some(max) = self.max_size {
            limits.max_submission_bytes = max;
        }
        if let Some(max) = self.max_depth {
            limits.max_json_depth = usize::try_from(max).context("--max-depth")?;
        }
        if let Some(max) = self.max_line {
            limits.max_line_bytes = usize::try_from(max).context("--max-line is too large")?;
        }
        if let Some(max) = self.max_records {
            limits.max_records = max;
        }
        if let Some(max) = self.max_value {
            limits.max_value_bytes = usize::try_from(max).context("--max-value is too large")?;
        }
        Ok(limits)
    }
}

/// The option that sets the limit a problem code reports, if it is a limit
/// (every parser reports its limits with these codes: `pelita_model::limits`).
fn limit_option(code: &str) -> Option<&'static str> {
    match code {
        "limit.too-deep" => Some("--max-depth"),
        "limit.line-too-long" => Some("--max-line"),
        "limit.value-too-long" => Some("--max-value"),
        "limit.too-many-records" => Some("--max-records"),
        "limit.too-large" => Some("--max-size"),
        _ => None,
    }
}

/// What a limit error adds to its message: the option that raises it.
fn limit_hint(option: &str) -> String {
    format!(" (a limit: raise it with {option})")
}

/// Reads `123`, `64K`, `100M`, `8G` (binary multiples).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("unknown size suffix in {s:?} (use K, M, G or T)")),
            };
            (t.get(..i).unwrap_or_default(), shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {s:?}"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

/// A progress bar on standard error, only for large inputs on a terminal.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(name: &str, size: u64) -> Self {
        if size < PROGRESS_MIN_BYTES || !io::stderr().is_terminal() {
            return Bar(None);
        }
        let style = ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = ProgressBar::new(size).with_style(style);
        bar.set_message(name.to_owned());
        Bar(Some(bar))
    }
}

impl Progress for Bar {
    fn start(&mut self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn advance(&mut self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
    /// Parsing is done, but the store may still be writing the last
    /// batches and committing (a bulk load builds its indexes then: seconds
    /// on a large file), so the bar turns into a spinner that says so.
    fn finish(&mut self) {
        if let Some(b) = &self.0 {
            let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            b.set_style(style);
            b.set_message(format!("{}: writing to the store", b.message()));
            b.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// One submission in the JSON summary.
#[derive(Serialize)]
struct Entry {
    #[serde(flatten)]
    report: SubmissionReport,
    /// Where its records went.
    records_file: String,
    /// What the store wrote.
    stored: CommitStats,
}

/// An input that could not be read, archived or written.
#[derive(Serialize)]
struct Failure {
    input: String,
    error: String,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    submissions: &'a [Entry],
    failed: &'a [Failure],
    totals: &'a Totals,
}

/// Where records go.
enum Out {
    /// The store only.
    StoreOnly,
    /// The store, and JSON Lines to one writer (a file, or standard output).
    Also(Box<dyn Write>, String),
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let format = FormatChoice::parse(&args.format).context("--format")?;
    // The archive and the imported data live beside the store, as
    // `pelita serve` and `pelita store check` find them.
    let data_dir = super::store_args::data_dir_of(args.data_dir.as_deref(), args.db.as_deref())?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| data_dir.join("pelita.db"));
    // An operation can only exist in a store that exists: say so before
    // anything is archived or a store is created for nothing.
    if let Some(name) = &args.operation
        && !db.exists()
    {
        anyhow::bail!(
            "no operation named {name:?}: there is no store at {} yet; create the operation with `pelita operation create {name}` first",
            db.display()
        );
    }
    let archive = Archive::open(&data_dir)?;
    let limits = args.limits()?;
    let options = IngestOptions {
        format,
        source: args.source.clone(),
        tlp: args.tlp,
        tags: args.tag.clone(),
        strict: args.strict,
        limits,
        ..IngestOptions::default()
    };
    let records_to_stdout = args.out.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let mut store = SqliteStore::open(&db)
        .with_context(|| format!("cannot open the store {}", db.display()))?;
    store.set_enricher(super::data::enricher(
        &data_dir,
        args.ip_overrides.as_deref(),
    )?);
    if let Some(bytes) = args.bulk_min_size {
        store.set_bulk_min_bytes(bytes);
    }
    let operation = match &args.operation {
        Some(name) => Some(
            store
                .operation(name)?
                .with_context(|| {
                    format!("no operation named {name:?}: create it with `pelita operation create {name}`")
                })?
                .id,
        ),
        None => None,
    };
    let mut out = match &args.out {
        None => Out::StoreOnly,
        Some(_) if records_to_stdout => Out::Also(
            Box::new(BufWriter::with_capacity(1 << 16, io::stdout())),
            "standard output".into(),
        ),
        Some(p) => {
            let f = File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
            Out::Also(
                Box::new(BufWriter::with_capacity(1 << 16, f)),
                p.display().to_string(),
            )
        }
    };

    let mut entries: Vec<Entry> = Vec::new();
    let mut failures: Vec<Failure> = Vec::new();
    for input in &args.inputs {
        let name = input.display().to_string();
        let submitted = if input.as_os_str() == "-" {
            submit_reader(&archive, "-", io::stdin().lock(), &options.limits)
        } else {
            submit_path(&archive, input, &options.limits)
        };
        let result = submitted.and_then(|s| {
            let mut bar = Bar::new(&name, s.size());
            let mut target = Target {
                store: &mut store,
                db: &db,
                operation,
                recipients: &args.share_with,
            };
            ingest_one(&archive, &s, &options, &mut target, &mut out, &mut bar)
        });
        match result {
            Ok(entry) => {
                super::audit::record(
                    &mut store,
                    "submit",
                    format!(
                        "{} sha256={} source={} format={}",
                        entry.report.name,
                        entry.report.sha256,
                        options.source.as_deref().unwrap_or(UNATTRIBUTED),
                        entry.report.format.as_deref().unwrap_or("none")
                    ),
                    entry.stored.sightings_added,
                )?;
                entries.push(entry);
            }
            Err(e) => {
                let hint = match &e {
                    IngestError::Archive(ArchiveError::TooLarge { .. }) => limit_hint("--max-size"),
                    _ => String::new(),
                };
                eprintln!("pelita ingest: error: {name}: {e:#}{hint}");
                failures.push(Failure {
                    input: name,
                    error: format!("{e:#}{hint}"),
                });
            }
        }
    }
    if let Out::Also(w, _) = &mut out {
        match w.flush() {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                return Err(e).context("cannot write records");
            }
            _ => {}
        }
    }

    let mut totals = Totals::default();
    for e in &entries {
        totals.add(&e.report);
    }
    let summary = if args.json {
        let mut s = serde_json::to_string_pretty(&JsonSummary {
            submissions: &entries,
            failed: &failures,
            totals: &totals,
        })?;
        s.push('\n');
        s
    } else {
        human_summary(&entries, &failures, &totals)
    };
    let written = if records_to_stdout {
        io::stderr().write_all(summary.as_bytes())
    } else {
        io::stdout().write_all(summary.as_bytes())
    };
    if let Err(e) = written
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(e).context("cannot write the summary");
    }
    Ok(if !failures.is_empty() {
        ExitCode::from(2)
    } else if totals.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Where a submission's records are stored.
struct Target<'a> {
    store: &'a mut SqliteStore,
    db: &'a Path,
    operation: Option<OperationId>,
    recipients: &'a [String],
}

/// Parses one archived submission into the store (one transaction) and the chosen output.
fn ingest_one(
    archive: &Archive,
    submission: &Submission,
    options: &IngestOptions,
    target: &mut Target<'_>,
    out: &mut Out,
    bar: &mut Bar,
) -> Result<Entry, IngestError> {
    let (mut json, also) = match out {
        Out::StoreOnly => (None, None),
        Out::Also(w, label) => (
            Some(JsonLines::new(&mut **w as &mut dyn Write)),
            Some(label.clone()),
        ),
    };
    let dest = Destination {
        operation: target.operation,
        recipients: target.recipients.to_vec(),
        received_at: OffsetDateTime::now_utc(),
        also: json.as_mut().map(|j| j as &mut dyn RecordSink),
    };
    let (report, stored) = store_submission(target.store, archive, submission, options, dest, bar)
        .map_err(|e| match e {
            SubmitError::Ingest(e) => e,
            other => IngestError::Sink(io::Error::other(other)),
        })?;
    let records_file = match also {
        Some(label) => format!("{} and {label}", target.db.display()),
        None => target.db.display().to_string(),
    };
    Ok(Entry {
        report,
        records_file,
        stored,
    })
}

fn join_counts<K: std::fmt::Display>(items: impl Iterator<Item = (K, u64)>) -> String {
    items
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn human_summary(entries: &[Entry], failures: &[Failure], totals: &Totals) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for Entry {
        report: r,
        records_file,
        stored,
    } in entries
    {
        let _ = writeln!(s, "{}", r.name);
        let _ = writeln!(s, "  sha256       {}", r.sha256);
        let archived = if r.already_archived {
            "already archived"
        } else {
            "archived"
        };
        let _ = writeln!(s, "  size         {} bytes, {archived}", r.size);
        if !r.parts.is_empty() {
            let _ = writeln!(s, "  parts        {} files", r.parts.len());
        }
        match (&r.format, &r.reason) {
            (Some(f), Some(why)) => {
                let _ = writeln!(s, "  format       {f} ({why})");
            }
            _ => {
                let _ = writeln!(s, "  format       none");
            }
        }
        let _ = writeln!(
            s,
            "  records      {} of {} observations, stored in {records_file}",
            r.records, r.observations
        );
        let _ = writeln!(
            s,
            "  store        {} new sightings, {} new indicators{}",
            stored.sightings_added,
            stored.indicators_added,
            if stored.new_submission {
                ""
            } else {
                " (submission already stored: unchanged)"
            }
        );
        if !r.by_kind.is_empty() {
            let kinds = join_counts(r.by_kind.iter().map(|(k, n)| (k, *n)));
            let _ = writeln!(s, "  by kind      {kinds}");
        }
        if !r.unsupported.is_empty() {
            let unsupported = join_counts(r.unsupported.iter().map(|(k, n)| (k, *n)));
            let _ = writeln!(s, "  unsupported  {unsupported}");
        }
        for (code, e) in &r.errors {
            let hint = limit_option(code).map(limit_hint).unwrap_or_default();
            let _ = writeln!(s, "  error        {code}: {}{hint}", e.count);
            for p in &e.first {
                let _ = writeln!(s, "                 {}: {}", p.location, p.message);
            }
        }
        if r.warnings > 0 {
            let _ = writeln!(s, "  warnings     {}", r.warnings);
        }
    }
    for f in failures {
        let _ = writeln!(s, "{}\n  failed       {}", f.input, f.error);
    }
    let _ = writeln!(
        s,
        "total: {} submissions{}, {} bytes, {} records, {} errors, {} warnings, {} unsupported{}",
        totals.submissions,
        if totals.already_archived == 0 {
            String::new()
        } else {
            format!(" ({} already archived)", totals.already_archived)
        },
        totals.bytes,
        totals.records,
        totals.errors,
        totals.warnings,
        totals.unsupported,
        if failures.is_empty() {
            String::new()
        } else {
            format!(", {} inputs failed", failures.len())
        }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("M").is_err());
    }

    #[test]
    fn limit_codes_name_their_option() {
        for (code, option) in [
            ("limit.too-deep", Some("--max-depth")),
            ("limit.line-too-long", Some("--max-line")),
            ("limit.too-many-records", Some("--max-records")),
            ("limit.value-too-long", Some("--max-value")),
            ("limit.too-large", Some("--max-size")),
            ("json.syntax", None),
            ("indicator.invalid", None),
        ] {
            assert_eq!(limit_option(code), option, "{code}");
        }
    }
}
