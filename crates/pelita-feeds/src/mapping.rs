//! The generic, mapping-driven CSV reader.
//!
//! A [`CsvMapping`] says how to read one CSV layout: the delimiter, quoting,
//! comment prefixes, where the header is, and which column feeds which
//! [`Observation`] field. The CSV presets (URLhaus, ThreatFox CSV, Spamhaus,
//! Shadowserver) are built-in mappings read by the same code.
//!
//! A mapping file is TOML (or JSON, with the same structure):
//!
//! ```toml
//! delimiter = ","
//! header = "yes"            # "yes", "no" or "commented"
//! time_format = "auto"
//! hints = ["feed:my-partner"]
//!
//! [[columns]]
//! column = "url"            # a header name, a 0-based index, or a list of names (first present wins)
//! field = "value"
//! kind = "url"
//!
//! [[columns]]
//! column = 0
//! field = "first-seen"
//! time_format = "[year]-[month]-[day] [hour]:[minute]:[second]"
//! ```
//!
//! Rows are read one at a time from a [`BufRead`], so memory stays bounded
//! by the longest accepted line. Each bad row or cell is a located
//! [`Problem`]; the other rows go through.

use std::io::BufRead;

use pelita_model::{
    IndicatorKind, Location, Observation, ParseContext, Problem, Related, Relation, Sink, Tlp,
};
use serde::{Deserialize, Serialize};

use crate::lines::{LineInfo, LineReader, decode, line_location, too_long_problem};
use crate::timefmt::{CompiledTime, TimeFormat};
use crate::{Counting, FeedError, Summary};

/// How one CSV layout maps onto observations. Every field has a default, so
/// a mapping file needs only `columns`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// The field separator (default `,`; write `"\t"` for tab).
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// The quote character; an empty string turns quoting off (default `"`).
    /// A doubled quote inside a quoted field is one quote.
    #[serde(default = "default_quote")]
    pub quote: String,
    /// Prefixes that mark a comment line, after leading blanks (default `["#"]`).
    #[serde(default = "default_comment")]
    pub comment: Vec<String>,
    /// Where the column names are (default `yes`).
    #[serde(default)]
    pub header: HeaderMode,
    /// Physical lines to skip before anything else (banners), default 0.
    #[serde(default)]
    pub skip_lines: u64,
    /// Trim blanks around cells (default true).
    #[serde(default = "default_true")]
    pub trim: bool,
    /// Accept rows whose column count differs from the header's, with a
    /// warning, reading missing cells as empty (default false: such a row is
    /// a `csv.bad-row` error).
    #[serde(default)]
    pub flexible: bool,
    /// How date columns are written unless a column says otherwise (default `auto`).
    #[serde(default)]
    pub time_format: TimeFormat,
    /// Cells that mean "no value" (compared after trimming, case-insensitively;
    /// default `["", "-", "null", "none", "n/a"]`).
    #[serde(default = "default_nulls")]
    pub null_values: Vec<String>,
    /// Hints added to every observation (`feed:my-partner`).
    #[serde(default)]
    pub hints: Vec<String>,
    /// Tags added to every observation.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The marking of every observation, unless a `tlp` column says otherwise.
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// The column mappings. At least one must be a `value` column.
    pub columns: Vec<ColumnMapping>,
    /// A preset's fix-up applied to each observation before it is sent.
    #[serde(skip)]
    pub(crate) hook: Option<fn(&mut Observation)>,
}

/// Where a mapping's column names come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderMode {
    /// The first non-comment line holds the column names.
    #[default]
    Yes,
    /// There are no column names; columns are referred to by index.
    No,
    /// The column names are in the last comment line before the first data
    /// line (URLhaus, ThreatFox: `# id,dateadded,url,...`).
    Commented,
}

/// Which cell a [`ColumnMapping`] reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    /// A 0-based column index.
    Index(usize),
    /// A header name (compared case-insensitively, blanks trimmed).
    Name(String),
    /// Several header names; the first one the header has is used (for
    /// layouts that renamed a column over time).
    AnyOf(Vec<String>),
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    /// An indicator: each `value` column of a row yields an observation
    /// (several when `split` is set). An empty cell is a
    /// `feed.missing-value` error unless the column is `optional`.
    Value,
    /// A value related to the row's observations (`kind`, `relation`).
    Related,
    /// When the source first saw it.
    FirstSeen,
    /// When the source last saw it.
    LastSeen,
    /// Tags (use `split` for lists in one cell).
    Tags,
    /// The malware family.
    Malware,
    /// A port number.
    Port,
    /// Free text, put into the observation's context (several are joined with `; `).
    Comment,
    /// The record's identifier in the source.
    SourceId,
    /// A TLP marking (`TLP:AMBER`, `white`, ...).
    Tlp,
    /// An autonomous system number (`1234` or `AS1234`), kept as hint `feed-asn:1234`.
    Asn,
    /// A country code, kept as hint `feed-country:XX`.
    Country,
    /// Any fact for the classifier: the hint is `prefix` followed by the cell.
    Hint,
    /// The kind of the row's value columns that set no `kind` (`ip`, `domain`,
    /// ThreatFox's `ip:port`, `md5_hash`, ...); an unknown kind leaves the kind to inference.
    Kind,
    /// Read and ignored.
    Ignore,
}

/// One column of a [`CsvMapping`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    /// Which cell.
    pub column: ColumnRef,
    /// What it holds.
    pub field: Field,
    /// For `value` and `related`: the kind of the values; absent means "infer".
    #[serde(default)]
    pub kind: Option<IndicatorKind>,
    /// An empty cell, or a named column the header lacks, is not a problem.
    #[serde(default)]
    pub optional: bool,
    /// Split the cell on any of these characters (`"|"`, `",;"`).
    #[serde(default)]
    pub split: Option<String>,
    /// For `hint` and `tags`: text put in front of the cell (`"threat:"`).
    #[serde(default)]
    pub prefix: Option<String>,
    /// For `first-seen` and `last-seen`: overrides the mapping's `time_format`.
    #[serde(default)]
    pub time_format: Option<TimeFormat>,
    /// For `related`: how the value relates (default `related-to`).
    #[serde(default)]
    pub relation: Option<Relation>,
}

impl ColumnMapping {
    /// A mapping of `column` to `field` with every option at its default.
    pub fn new(column: ColumnRef, field: Field) -> Self {
        ColumnMapping {
            column,
            field,
            kind: None,
            optional: false,
            split: None,
            prefix: None,
            time_format: None,
            relation: None,
        }
    }
}

fn default_delimiter() -> char {
    ','
}
fn default_quote() -> String {
    "\"".to_owned()
}
fn default_comment() -> Vec<String> {
    vec!["#".to_owned()]
}
fn default_true() -> bool {
    true
}
fn default_nulls() -> Vec<String> {
    ["", "-", "null", "none", "n/a"].map(str::to_owned).to_vec()
}

impl Default for CsvMapping {
    fn default() -> Self {
        CsvMapping {
            delimiter: default_delimiter(),
            quote: default_quote(),
            comment: default_comment(),
            header: HeaderMode::Yes,
            skip_lines: 0,
            trim: true,
            flexible: false,
            time_format: TimeFormat::Auto,
            null_values: default_nulls(),
            hints: Vec::new(),
            tags: Vec::new(),
            tlp: None,
            columns: Vec::new(),
            hook: None,
        }
    }
}

impl CsvMapping {
    /// Reads a mapping from TOML and checks it.
    pub fn from_toml(text: &str) -> Result<Self, FeedError> {
        let m: CsvMapping =
            toml::from_str(text).map_err(|e| FeedError::Mapping(e.message().to_owned()))?;
        m.validate()?;
        Ok(m)
    }

    /// Reads a mapping from JSON and checks it.
    pub fn from_json(text: &str) -> Result<Self, FeedError> {
        let m: CsvMapping =
            serde_json::from_str(text).map_err(|e| FeedError::Mapping(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// Checks what serde cannot: one quote character at most, a value
    /// column, index references with `header = "no"`, valid time formats.
    pub fn validate(&self) -> Result<(), FeedError> {
        self.compile().map(|_| ())
    }

    fn quote_char(&self) -> Result<Option<char>, FeedError> {
        let mut chars = self.quote.chars();
        match (chars.next(), chars.next()) {
            (None, _) => Ok(None),
            (Some(c), None) => Ok(Some(c)),
            _ => Err(FeedError::Mapping(format!(
                "quote must be one character or empty, not {:?}",
                self.quote
            ))),
        }
    }

    fn compile(&self) -> Result<Compiled<'_>, FeedError> {
        let quote = self.quote_char()?;
        if Some(self.delimiter) == quote {
            return Err(FeedError::Mapping(
                "the delimiter and the quote are the same".into(),
            ));
        }
        if !self.columns.iter().any(|c| c.field == Field::Value) {
            return Err(FeedError::Mapping(
                "no column is mapped to field \"value\"".into(),
            ));
        }
        let base_time = CompiledTime::new(&self.time_format)?;
        let mut columns = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            if self.header == HeaderMode::No && !matches!(c.column, ColumnRef::Index(_)) {
                return Err(FeedError::Mapping(format!(
                    "column {:?} is named but the mapping has header = \"no\"",
                    c.column
                )));
            }
            let time = match &c.time_format {
                Some(f) => CompiledTime::new(f)?,
                None => base_time.clone(),
            };
            let index = match c.column {
                ColumnRef::Index(i) => Some(i),
                _ => None,
            };
            columns.push(CompiledColumn {
                map: c,
                index,
                time,
            });
        }
        let nulls = self
            .null_values
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        Ok(Compiled {
            mapping: self,
            quote,
            columns,
            nulls,
        })
    }
}

struct CompiledColumn<'a> {
    map: &'a ColumnMapping,
    /// The resolved index (after the header for named columns).
    index: Option<usize>,
    time: CompiledTime,
}

struct Compiled<'a> {
    mapping: &'a CsvMapping,
    quote: Option<char>,
    columns: Vec<CompiledColumn<'a>>,
    nulls: Vec<String>,
}

/// A cell and where it starts in its record (byte index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub start: usize,
    pub text: String,
}

/// Splits one record into cells (RFC 4180 quoting, quotes recognised at the
/// start of a cell only). Returns whether a quoted cell is still open at
/// the end (a record continued on the next line).
pub(crate) fn split_record(
    line: &str,
    delimiter: char,
    quote: Option<char>,
    trim: bool,
    out: &mut Vec<Cell>,
) -> bool {
    out.clear();
    let mut chars = line.char_indices().peekable();
    loop {
        // Start of a cell.
        let mut start = chars.peek().map_or(line.len(), |(i, _)| *i);
        if trim {
            while let Some(&(i, c)) = chars.peek() {
                if c != delimiter && (c == ' ' || c == '\t') {
                    chars.next();
                    start = i + c.len_utf8();
                } else {
                    break;
                }
            }
        }
        let mut text = String::new();
        let mut ended_by_delim = false;
        if quote.is_some() && chars.peek().map(|(_, c)| Some(*c)) == Some(quote) {
            chars.next();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                if Some(c) == quote {
                    if chars.peek().map(|(_, c)| Some(*c)) == Some(quote) {
                        chars.next();
                        text.push(c);
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    text.push(c);
                }
            }
            if !closed {
                out.push(Cell { start, text });
                return true;
            }
            // Anything between the closing quote and the delimiter is kept.
            for (_, c) in chars.by_ref() {
                if c == delimiter {
                    ended_by_delim = true;
                    break;
                }
                if !(trim && (c == ' ' || c == '\t')) {
                    text.push(c);
                }
            }
        } else {
            for (_, c) in chars.by_ref() {
                if c == delimiter {
                    ended_by_delim = true;
                    break;
                }
                text.push(c);
            }
            if trim {
                let t = text.trim_end_matches([' ', '\t']).len();
                text.truncate(t);
            }
        }
        out.push(Cell { start, text });
        if !ended_by_delim {
            return false;
        }
    }
}

/// Most physical lines one quoted cell may span.
const MAX_CONTINUATION_LINES: usize = 64;

/// Reads `input` as CSV laid out as `mapping` says, sending observations
/// and problems to `sink`.
///
/// Problem codes: `csv.bad-mapping` (the mapping is invalid; nothing is
/// read), `csv.missing-header`, `csv.missing-column`, `csv.bad-row` (wrong
/// column count, unterminated quote), `csv.column-count` (warning, flexible
/// mappings), `csv.bad-date`, `csv.bad-port`, `csv.bad-tlp`,
/// `feed.missing-value`, `feed.bad-value`, `feed.not-utf8`, `feed.io`, and
/// the limit codes `limit.value-too-long`, `limit.line-too-long`,
/// `limit.too-many-records`, `limit.too-large`. Bad dates, ports and markings are warnings
/// that keep the row in lenient mode and errors that drop it in strict mode.
pub fn parse_csv(
    mapping: &CsvMapping,
    input: impl BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
) -> Summary {
    let mut out = Counting::new(sink, ctx);
    match mapping.compile() {
        Ok(mut compiled) => run(&mut compiled, input, ctx, &mut out),
        Err(e) => out.problem(Problem::error(
            "csv.bad-mapping",
            e.to_string(),
            ctx.location(),
        )),
    }
    out.summary
}

fn is_comment(line: &str, prefixes: &[String]) -> Option<usize> {
    let t = line.trim_start();
    let lead = line.len() - t.len();
    prefixes
        .iter()
        .filter(|p| !p.is_empty())
        .find(|p| t.starts_with(p.as_str()))
        .map(|p| lead + p.len())
}

fn run<R: BufRead>(c: &mut Compiled<'_>, input: R, ctx: &ParseContext, out: &mut Counting<'_>) {
    let m = c.mapping;
    let mut reader = LineReader::new(input, ctx);
    let mut cells: Vec<Cell> = Vec::new();
    let mut header_len: Option<usize> = None;
    let mut need_header = m.header != HeaderMode::No;
    let mut last_comment: Option<(String, LineInfo)> = None;
    let mut record = String::new();
    loop {
        let info = match reader.next_line() {
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(stop) => {
                out.problem(stop.problem(ctx, ctx.location().with_offset(reader.consumed())));
                return;
            }
        };
        if info.number <= m.skip_lines {
            continue;
        }
        if info.too_long {
            out.problem(too_long_problem(ctx, info));
            continue;
        }
        let line = match decode(reader.bytes(), ctx, info) {
            Ok(s) => s,
            Err(p) => {
                out.problem(*p);
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        if let Some(body) = is_comment(line, &m.comment) {
            if need_header && m.header == HeaderMode::Commented {
                let text = line.get(body..).unwrap_or_default().trim().to_owned();
                last_comment = Some((text, info));
            }
            continue;
        }
        record.clear();
        record.push_str(line);
        let mut open = split_record(&record, m.delimiter, c.quote, m.trim, &mut cells);
        let mut extra = 0;
        while open && extra < MAX_CONTINUATION_LINES {
            match reader.next_line() {
                Ok(Some(next)) if !next.too_long => match decode(reader.bytes(), ctx, next) {
                    Ok(s) if record.len() + s.len() < ctx.limits.max_line_bytes => {
                        record.push('\n');
                        record.push_str(s);
                    }
                    _ => break,
                },
                _ => break,
            }
            extra += 1;
            open = split_record(&record, m.delimiter, c.quote, m.trim, &mut cells);
        }
        let loc = line_location(ctx, info);
        if open {
            out.problem(Problem::error(
                "csv.bad-row",
                "a quoted cell is not closed; the row is skipped",
                loc,
            ));
            continue;
        }
        if need_header {
            need_header = false;
            let names = match m.header {
                HeaderMode::Commented => match last_comment.take() {
                    Some((text, hinfo)) => {
                        let mut hcells = Vec::new();
                        split_record(&text, m.delimiter, c.quote, true, &mut hcells);
                        Some((hcells, line_location(ctx, hinfo)))
                    }
                    None => {
                        out.problem(Problem::error(
                            "csv.missing-header",
                            "no commented header line before the first row",
                            loc.clone(),
                        ));
                        None
                    }
                },
                _ => Some((std::mem::take(&mut cells), loc.clone())),
            };
            if let Some((names, hloc)) = names {
                header_len = Some(names.len());
                if !resolve(c, &names, &hloc, out) {
                    return;
                }
                if m.header == HeaderMode::Yes {
                    continue;
                }
            } else if !resolve(c, &[], &loc, out) {
                return;
            }
        }
        if !out.row(&loc) {
            return;
        }
        if let Some(n) = header_len
            && cells.len() != n
        {
            let msg = format!("expected {n} columns, found {}", cells.len());
            if m.flexible {
                out.problem(Problem::warning("csv.column-count", msg, loc.clone()));
            } else {
                out.problem(Problem::error(
                    "csv.bad-row",
                    format!("{msg}; the row is skipped"),
                    loc,
                ));
                continue;
            }
        }
        row(c, &record, &cells, info, ctx, out);
    }
}

/// Resolves named columns against the header; false when nothing can be read.
fn resolve(c: &mut Compiled<'_>, names: &[Cell], loc: &Location, out: &mut Counting<'_>) -> bool {
    let lower: Vec<String> = names.iter().map(|n| n.text.trim().to_lowercase()).collect();
    let find = |n: &str| lower.iter().position(|h| *h == n.trim().to_lowercase());
    for col in &mut c.columns {
        col.index = match &col.map.column {
            ColumnRef::Index(i) => Some(*i),
            ColumnRef::Name(n) => find(n),
            ColumnRef::AnyOf(ns) => ns.iter().find_map(|n| find(n)),
        };
        if col.index.is_none() && !col.map.optional {
            out.problem(Problem::error(
                "csv.missing-column",
                format!("the header has no column {:?}", col.map.column),
                loc.clone(),
            ));
        }
    }
    if !c
        .columns
        .iter()
        .any(|col| col.map.field == Field::Value && col.index.is_some())
    {
        out.problem(Problem::error(
            "csv.missing-column",
            "the header has none of the value columns; nothing is read",
            loc.clone(),
        ));
        return false;
    }
    true
}

fn cell_location(ctx: &ParseContext, record: &str, cell: &Cell, info: LineInfo) -> Location {
    let before = record.get(..cell.start).unwrap_or_default();
    // Continuation lines: count lines and columns from the last newline.
    let extra_lines = before.matches('\n').count() as u64;
    let col_text = before.rsplit('\n').next().unwrap_or_default();
    let mut l = ctx
        .location()
        .with_line(info.number + extra_lines)
        .with_column(col_text.chars().count() as u64 + 1)
        .with_offset(info.offset + cell.start as u64);
    if extra_lines > 0 {
        l.column = Some(col_text.chars().count() as u64 + 1);
    }
    l
}

/// Splits a cell on any of `split`'s characters, dropping empty parts.
fn parts<'s>(text: &'s str, split: Option<&str>) -> Vec<&'s str> {
    match split {
        Some(seps) if !seps.is_empty() => text
            .split(|ch| seps.contains(ch))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect(),
        _ => vec![text.trim()],
    }
}

/// A ThreatFox-style or plain kind name.
pub(crate) fn kind_from_cell(s: &str) -> Option<IndicatorKind> {
    let s = s.trim().to_ascii_lowercase();
    let s = s.strip_suffix("_hash").unwrap_or(&s);
    match s {
        "ip:port" | "ip_port" | "ipv4:port" => Some(IndicatorKind::Ipv4),
        "ipv6:port" => Some(IndicatorKind::Ipv6),
        "sha3_384" => None,
        other => other.parse().ok(),
    }
}

/// Adjusts a stated IP kind to what the value obviously is (an IPv4 column
/// holding an IPv6 address or a CIDR). Not canonicalisation: the value is untouched.
pub(crate) fn refine_kind(kind: Option<IndicatorKind>, value: &str) -> Option<IndicatorKind> {
    match kind {
        Some(IndicatorKind::Ipv4 | IndicatorKind::Ipv6) => {
            if value.contains('/') {
                Some(IndicatorKind::Cidr)
            } else if value.matches(':').count() >= 2 {
                Some(IndicatorKind::Ipv6)
            } else {
                kind
            }
        }
        other => other,
    }
}

/// Splits `a.b.c.d:port` and `[v6]:port` into address and port.
pub(crate) fn split_host_port(value: &str) -> Option<(&str, u16)> {
    let (host, port) = value.rsplit_once(':')?;
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port: u16 = port.parse().ok()?;
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return Some((v6, port));
    }
    let dotted = host.split('.').count() == 4
        && host
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    dotted.then_some((host, port))
}

/// Whether a value could be an indicator at all (not `.` or `-`): it has a
/// letter, a digit or a non-ASCII character.
pub(crate) fn plausible(value: &str) -> bool {
    value.chars().any(|c| c.is_alphanumeric())
}

/// `AS1234` / `1234` → `1234`.
pub(crate) fn asn_digits(s: &str) -> Option<&str> {
    let s = s.trim();
    let d = s
        .strip_prefix("AS")
        .or_else(|| s.strip_prefix("as"))
        .or_else(|| s.strip_prefix("As"))
        .unwrap_or(s)
        .trim();
    (!d.is_empty() && d.len() <= 10 && d.bytes().all(|b| b.is_ascii_digit())).then_some(d)
}

/// Sends one observation, or the problem that stops it.
pub(crate) fn emit_value(
    mut obs: Observation,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
    hook: Option<fn(&mut Observation)>,
) {
    if obs.value.len() > ctx.limits.max_value_bytes {
        out.problem(Problem::error(
            "limit.value-too-long",
            format!(
                "the value is {} bytes, over the limit of {}",
                obs.value.len(),
                ctx.limits.max_value_bytes
            ),
            obs.location,
        ));
        return;
    }
    if !plausible(&obs.value) {
        out.problem(Problem::error(
            "feed.bad-value",
            format!("{:?} is not an indicator", obs.value),
            obs.location,
        ));
        return;
    }
    if matches!(
        obs.kind,
        None | Some(IndicatorKind::Ipv4 | IndicatorKind::Ipv6)
    ) && obs.port.is_none()
        && let Some((host, port)) = split_host_port(&obs.value).map(|(h, p)| (h.to_owned(), p))
    {
        obs.value.clone_from(&host);
        obs.port = Some(port);
        if obs.kind.is_none() {
            obs.kind = Some(if host.contains(':') {
                IndicatorKind::Ipv6
            } else {
                IndicatorKind::Ipv4
            });
        }
    }
    obs.kind = refine_kind(obs.kind, &obs.value);
    if let Some(h) = hook {
        h(&mut obs);
    }
    out.observation(obs);
}

/// Reports a bad non-value cell; returns whether the row must be dropped.
fn soft_problem(
    ctx: &ParseContext,
    out: &mut Counting<'_>,
    code: &str,
    msg: String,
    loc: Location,
) -> bool {
    if ctx.strict {
        out.problem(Problem::error(
            code,
            format!("{msg}; the row is skipped"),
            loc,
        ));
        true
    } else {
        out.problem(Problem::warning(code, format!("{msg}; ignored"), loc));
        false
    }
}

fn row(
    c: &Compiled<'_>,
    record: &str,
    cells: &[Cell],
    info: LineInfo,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
) {
    let m = c.mapping;
    let row_loc = line_location(ctx, info);
    let mut base = Observation::new(None, String::new(), row_loc.clone());
    base.hints.clone_from(&m.hints);
    base.tags.clone_from(&m.tags);
    base.tlp = m.tlp;
    let mut row_kind: Option<IndicatorKind> = None;
    let mut drop_row = false;
    // The null values are stored lowercased; an ASCII cell (nearly every
    // one) is compared without lowercasing it into a new string.
    let is_null = |s: &str| {
        let t = s.trim();
        if t.is_ascii() {
            c.nulls.iter().any(|n| n.eq_ignore_ascii_case(t))
        } else {
            c.nulls.contains(&t.to_lowercase())
        }
    };
    for col in &c.columns {
        let Some(cell) = col.index.and_then(|i| cells.get(i)) else {
            continue;
        };
        if is_null(&cell.text) {
            continue;
        }
        let text = cell.text.as_str();
        let split = col.map.split.as_deref();
        match col.map.field {
            Field::Value | Field::Ignore => {}
            Field::Related => {
                for p in parts(text, split) {
                    let kind = refine_kind(col.map.kind, p);
                    base.related.push(Related {
                        relation: col.map.relation.unwrap_or(Relation::RelatedTo),
                        kind,
                        value: p.to_owned(),
                    });
                }
            }
            Field::FirstSeen | Field::LastSeen => match col.time.parse(text) {
                Some(t) => {
                    if col.map.field == Field::FirstSeen {
                        base.first_seen = Some(t);
                    } else {
                        base.last_seen = Some(t);
                    }
                }
                None => {
                    drop_row |= soft_problem(
                        ctx,
                        out,
                        "csv.bad-date",
                        format!("{text:?} is not a date in the format {}", time_name(col, m)),
                        cell_location(ctx, record, cell, info),
                    );
                }
            },
            Field::Tags => {
                let prefix = col.map.prefix.as_deref().unwrap_or("");
                for p in parts(text, split) {
                    let tag = [prefix, p].concat();
                    if !base.tags.contains(&tag) {
                        base.tags.push(tag);
                    }
                }
            }
            Field::Malware => base.malware = Some(text.trim().to_owned()),
            Field::Port => match text.trim().parse::<u16>() {
                Ok(p) => base.port = Some(p),
                Err(_) => {
                    drop_row |= soft_problem(
                        ctx,
                        out,
                        "csv.bad-port",
                        format!("{text:?} is not a port number"),
                        cell_location(ctx, record, cell, info),
                    );
                }
            },
            Field::Comment => {
                let t = text.trim();
                base.context = Some(match base.context.take() {
                    Some(prev) => format!("{prev}; {t}"),
                    None => t.to_owned(),
                });
            }
            Field::SourceId => base.source_id = Some(text.trim().to_owned()),
            Field::Tlp => match text.trim().parse::<Tlp>() {
                Ok(t) => base.tlp = Some(t),
                Err(_) => {
                    drop_row |= soft_problem(
                        ctx,
                        out,
                        "csv.bad-tlp",
                        format!("{text:?} is not a TLP marking"),
                        cell_location(ctx, record, cell, info),
                    );
                }
            },
            Field::Asn => {
                for p in parts(text, split) {
                    if let Some(d) = asn_digits(p) {
                        base.hints.push(format!("feed-asn:{d}"));
                    }
                }
            }
            Field::Country => {
                for p in parts(text, split) {
                    base.hints.push(["feed-country:", p].concat());
                }
            }
            Field::Hint => {
                let prefix = col.map.prefix.as_deref().unwrap_or("");
                for p in parts(text, split) {
                    base.hints.push([prefix, p].concat());
                }
            }
            Field::Kind => row_kind = kind_from_cell(text),
        }
    }
    if drop_row {
        return;
    }
    let mut sent = false;
    let mut reported = false;
    let mut missing_reported = false;
    // Each value goes out as a copy of `base`, but the last one takes it:
    // one value per row (nearly every feed) copies nothing.
    let mut pending: Option<(Option<IndicatorKind>, &str, Location)> = None;
    let mut send = |obs: Observation, out: &mut Counting<'_>| {
        let before = out.summary.observations;
        emit_value(obs, ctx, out, m.hook);
        if out.summary.observations > before {
            sent = true;
        } else {
            reported = true;
        }
    };
    for col in c.columns.iter().filter(|col| col.map.field == Field::Value) {
        let Some(index) = col.index else { continue };
        let cell = cells.get(index);
        let text = cell.map_or("", |c| c.text.as_str());
        let loc = cell.map_or_else(
            || row_loc.clone(),
            |cl| cell_location(ctx, record, cl, info),
        );
        if is_null(text) {
            if !col.map.optional {
                // What came before goes out first, in the row's order.
                if let Some((kind, value, location)) = pending.take() {
                    send(observation(base.clone(), kind, value, location), out);
                }
                out.problem(Problem::error(
                    "feed.missing-value",
                    format!("the value column {:?} is empty", col.map.column),
                    loc,
                ));
                missing_reported = true;
            }
            continue;
        }
        for p in parts(text, col.map.split.as_deref()) {
            if let Some((kind, value, location)) = pending.take() {
                send(observation(base.clone(), kind, value, location), out);
            }
            pending = Some((col.map.kind.or(row_kind), p, loc.clone()));
        }
    }
    if let Some((kind, value, location)) = pending {
        send(observation(base, kind, value, location), out);
    }
    if !sent && !reported && !missing_reported {
        out.problem(Problem::error(
            "feed.missing-value",
            "the row has no value",
            row_loc,
        ));
    }
}

/// One value of a row: `base` with its kind, value and location.
fn observation(
    mut base: Observation,
    kind: Option<IndicatorKind>,
    value: &str,
    location: Location,
) -> Observation {
    base.kind = kind;
    base.value = value.to_owned();
    base.location = location;
    base
}

fn time_name(col: &CompiledColumn<'_>, m: &CsvMapping) -> String {
    col.map
        .time_format
        .as_ref()
        .unwrap_or(&m.time_format)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelita_model::{Collect, Severity};

    fn split(s: &str) -> (Vec<String>, bool) {
        let mut v = Vec::new();
        let open = split_record(s, ',', Some('"'), true, &mut v);
        (v.into_iter().map(|c| c.text).collect(), open)
    }

    #[test]
    fn splitter_handles_quotes_blanks_and_empties() {
        assert_eq!(split(r#""a", "b""c" ,,d"#).0, vec!["a", "b\"c", "", "d"]);
        assert_eq!(split("").0, vec![""]);
        assert_eq!(split("a,").0, vec!["a", ""]);
        assert!(split(r#"a,"open"#).1);
        assert_eq!(split(r#"x"y,z"#).0, vec!["x\"y", "z"]);
    }

    #[test]
    fn host_port_split() {
        assert_eq!(split_host_port("1.2.3.4:443"), Some(("1.2.3.4", 443)));
        assert_eq!(
            split_host_port("[2001:db8::1]:80"),
            Some(("2001:db8::1", 80))
        );
        assert_eq!(split_host_port("http://x:80"), None);
        assert_eq!(split_host_port("1.2.3.4:99999"), None);
    }

    #[test]
    fn toml_mapping_reads_and_rejects_unknown_fields() {
        let m = CsvMapping::from_toml(
            r#"
            header = "no"
            [[columns]]
            column = 1
            field = "value"
            kind = "ipv4"
            "#,
        )
        .unwrap();
        assert_eq!(m.columns.len(), 1);
        assert!(CsvMapping::from_toml("colums = []").is_err());
        assert!(
            CsvMapping::from_toml("columns = []").is_err(),
            "no value column"
        );
        assert!(
            CsvMapping::from_toml(
                "header = \"no\"\n[[columns]]\ncolumn = \"ip\"\nfield = \"value\""
            )
            .is_err()
        );
    }

    #[test]
    fn rows_cells_and_problems_are_located() {
        let m = CsvMapping::from_toml(
            r#"
            [[columns]]
            column = "ip"
            field = "value"
            kind = "ip"
            [[columns]]
            column = "seen"
            field = "first-seen"
            [[columns]]
            column = "tags"
            field = "tags"
            split = "|"
            "#,
        )
        .unwrap();
        let input = "ip,seen,tags\n192.0.2.1,2024-01-02 03:04:05,a|b\n192.0.2.2,garbage,\n-,2024-01-02,x\n1,2\n\"2001:db8::1\",,\n";
        let mut sink = Collect::default();
        let s = parse_csv(
            &m,
            input.as_bytes(),
            &ParseContext::named("t.csv"),
            &mut sink,
        );
        assert_eq!(s.rows, 5);
        assert_eq!(sink.observations.len(), 3);
        assert_eq!(sink.observations[0].tags, vec!["a", "b"]);
        assert_eq!(sink.observations[0].location.column, Some(1));
        assert_eq!(sink.observations[2].kind, Some(IndicatorKind::Ipv6));
        let codes: Vec<(&str, Severity, Option<u64>, Option<u64>)> = sink
            .problems
            .iter()
            .map(|p| {
                (
                    p.code.as_str(),
                    p.severity,
                    p.location.line,
                    p.location.column,
                )
            })
            .collect();
        assert_eq!(
            codes,
            vec![
                ("csv.bad-date", Severity::Warning, Some(3), Some(11)),
                ("feed.missing-value", Severity::Error, Some(4), Some(1)),
                ("csv.bad-row", Severity::Error, Some(5), None),
            ]
        );
        let mut strict = ParseContext::named("t.csv");
        strict.strict = true;
        let mut sink = Collect::default();
        parse_csv(&m, input.as_bytes(), &strict, &mut sink);
        assert_eq!(sink.observations.len(), 2);
    }

    /// Null cells are matched without regard to case (ASCII cells without
    /// a lowercased copy, others through Unicode lowercasing); a row with
    /// two values sends both, each with the row's tags, in order.
    #[test]
    fn null_cells_and_rows_of_two_values() {
        let m = CsvMapping {
            columns: vec![
                ColumnMapping::new(ColumnRef::Name("a".into()), Field::Value),
                ColumnMapping::new(ColumnRef::Name("b".into()), Field::Value),
                ColumnMapping::new(ColumnRef::Name("c".into()), Field::Comment),
            ],
            null_values: vec!["N/A".into(), "Ünknown".into()],
            tags: vec!["feed:t".into()],
            ..CsvMapping::default()
        };
        let input = "a,b,c
example.com,example.org,NULL
 n/a ,example.net,ünknown
ÜNKNOWN,example.info,ok
";
        let mut sink = Collect::default();
        parse_csv(&m, input.as_bytes(), &ParseContext::default(), &mut sink);
        let values: Vec<(&str, Option<&str>, &[String])> = sink
            .observations
            .iter()
            .map(|o| (o.value.as_str(), o.context.as_deref(), o.tags.as_slice()))
            .collect();
        let tags = ["feed:t".to_owned()];
        assert_eq!(
            values,
            vec![
                ("example.com", Some("NULL"), &tags[..]),
                ("example.org", Some("NULL"), &tags[..]),
                ("example.net", None, &tags[..]),
                ("example.info", Some("ok"), &tags[..]),
            ],
            "{:?}",
            sink.problems
        );
        // The empty value columns of rows 3 and 4 are reported, row by row.
        let missing: Vec<Option<u64>> = sink
            .problems
            .iter()
            .filter(|p| p.code == "feed.missing-value")
            .map(|p| p.location.line)
            .collect();
        assert_eq!(missing, vec![Some(3), Some(4)]);
    }

    #[test]
    fn multi_line_quoted_cells_and_limits() {
        let m = CsvMapping {
            columns: vec![
                ColumnMapping::new(ColumnRef::Name("v".into()), Field::Value),
                ColumnMapping::new(ColumnRef::Name("c".into()), Field::Comment),
            ],
            ..CsvMapping::default()
        };
        let input = "v,c\nexample.com,\"two\nlines\"\nexample.org,x\n";
        let mut sink = Collect::default();
        parse_csv(&m, input.as_bytes(), &ParseContext::default(), &mut sink);
        assert_eq!(sink.observations.len(), 2, "{:?}", sink.problems);
        assert_eq!(sink.observations[0].context.as_deref(), Some("two\nlines"));
        assert_eq!(sink.observations[1].location.line, Some(4));

        let mut ctx = ParseContext::default();
        ctx.limits.max_records = 1;
        let mut sink = Collect::default();
        let s = parse_csv(&m, input.as_bytes(), &ctx, &mut sink);
        assert_eq!(sink.observations.len(), 1);
        assert_eq!(s.count("limit.too-many-records"), 1);
    }
}
