//! Indicators from prose: threat reports in plain text, Markdown and HTML.
//!
//! [`extract`] reads a report as a stream (line by line, bounded memory),
//! finds candidate tokens, lets the model decide what they are
//! ([`pelita_model::refang`] then [`pelita_model::Indicator::parse`]: PSL
//! suffix check, checksums, strict IPv4…), applies the suppression rules
//! below, and pushes one [`pelita_model::Observation`] per occurrence into a
//! [`pelita_model::Sink`]. [`extract_str`] is the in-memory convenience.
//!
//! ```
//! let found = pelita_extract::extract_str("C2 at hxxps[:]//evil[.]com/gate and 198.51.100.7.");
//! assert_eq!(found[0].value, "https://evil.com/gate");
//! assert_eq!(found[1].value, "198.51.100.7");
//! ```
//!
//! # What an observation holds
//! - `kind`: always `Some(kind)`, the kind the model validated.
//! - `value`: the candidate **as written** (still defanged, not
//!   canonicalised), except that spaces around a bracketed separator are
//!   removed (`evil [.] com` → `evil[.]com`) and HTML character references are
//!   decoded. `Indicator::parse(value, kind)` gives the same indicator again.
//! - `location`: 0-based byte `offset` into the **original** input, 1-based
//!   `line` and `column` (characters), the file name from the context.
//! - `context`: about 80 characters of the (tag-stripped) line around it, on one line.
//! - `port` when the value carried one (`192.0.2.1:443`), and for URLs and
//!   e-mail addresses a `related` host ([`pelita_model::Relation::HostedOn`]).
//!
//! # Formats
//! Plain text and Markdown are read as they are: Markdown code blocks are
//! just text, and link syntax `[text](url)` is split into its two halves.
//! HTML goes through a tolerant tag stripper: tags become a space,
//! comments and `<script>`/`<style>` bodies are dropped, common character
//! references are decoded, and every byte of text stays mapped to its
//! offset in the original. [`ProseFormat::Auto`] sniffs the first buffer.
//!
//! # Candidates
//! A token is a run of characters between white space and the hard
//! delimiters `" < > \` |`, typographic quotes and dashes. A bracketed
//! separator (`[.]`, `( dot )`, `{@}`, `[at]`, `[:]`, `[://]`, `[,]`…) is part
//! of a token, and the spaces around it join the tokens on either side
//! (`evil [.] com`). Tokens are then trimmed of wrapping and trailing
//! punctuation (`(evil.com).`, `"evil.com",`, `**evil.com**`; a closing
//! bracket stays when it is balanced, as in `wiki/Foo_(bar)`), cut before a
//! URL scheme (`url=hxxp://…`, `DownloadString('http://…')`), split on `,`
//! (and, outside URLs, on `;` and `=`), and a label before a colon
//! (`C2:1.2.3.4`) is dropped. Outside a URL, a token that is not an
//! indicator as a whole is split at a percent-encoded byte (`%` and two hex
//! digits, RFC 3986), which no host name, address or digest contains:
//! `evil.com%2Fpayload` yields `evil.com` (a URL keeps its encoding, and a
//! leading `%` is trimmed like other punctuation). `ASN 1234` and `AS 1234` (upper case, or
//! `asn`) are joined. Spelled-out ` at `/` dot ` between bare words are not
//! joined: in prose they are mostly English.
//!
//! Kinds found: URL (with a scheme or `host/path`), domain, IPv4, IPv6, CIDR,
//! e-mail, MD5, SHA-1, SHA-256, SHA-512, ssdeep, TLSH, ASN, Bitcoin,
//! Ethereum, Monero, onion v3. Phone numbers are not reported (prose is full
//! of numbers), and neither is anything the model has no kind for (CVE ids,
//! ATT&CK ids, file paths, registry keys).
//!
//! # Suppression rules
//! Each rule applies only to a value that was **not defanged**: defanging is
//! the author's statement that the value is an indicator (`evil[.]zip` is kept).
//! 1. **File names** — a bare domain (not in a URL) of one label plus a TLD that
//!    is also a common file extension (`.zip .mov .sh .py .rs .pl .pm .ps
//!    .md .ai .so .cc .one …`, see `FILE_TLDS`), or whose label before the
//!    TLD is a file extension (`invoice.pdf.zip`), is a file name.
//!    (TLDs that are not on the Public Suffix List — `setup.exe`,
//!    `payload.dll` — are already rejected by the model.)
//! 2. **Version numbers** — a dotted quad right after a version word
//!    (`version`, `v`, `build`, `release`, `firmware`, `Chrome`, `Windows`…)
//!    is a version. Dotted runs of five or more numbers (`1.2.3.4.5`) and
//!    quads with a part over 255 (`Chrome 120.0.6099.109`) are not IPv4 at all.
//! 3. **IPv6 shape** — an IPv6 candidate needs at least one decimal digit
//!    and two colons, so that `dead::beef` or `Foo::bar`-like words are not
//!    addresses; likewise an ssdeep candidate made of digits only (`12:30:45`)
//!    is a time of day.
//! 4. **Sentence joins** — a bare domain whose last label is Capitalised
//!    after a lower-case label (`was found.It`) is two sentences missing a space.
//! 5. **Boundaries** — a digest must be a whole token or a run of hex bounded by
//!    non-alphanumeric characters: 32 hex digits inside a 64-digit run or
//!    next to letters (`…e8x`) are not an MD5.
//! 6. **No double reporting** — each token yields at most one indicator: a
//!    URL's host and an e-mail's domain are not reported again as domains
//!    (they are in `related`); a domain is reported where it stands on its own.
//!    Every occurrence is reported (observations are located).

mod html;
mod scan;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::ops::Range;

use pelita_model::{
    Indicator, IndicatorKind, Observation, ParseContext, Problem, Related, Relation, Sink,
};

/// The format of the prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProseFormat {
    /// Plain text.
    Text,
    /// Markdown (and AsciiDoc): read as text, with `[text](url)` links split.
    Markdown,
    /// HTML: tags stripped, text kept, offsets mapped to the original.
    Html,
    /// Decide from the first buffer of input.
    #[default]
    Auto,
}

/// Why extraction reported a problem or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// Reading the input failed; extraction stopped there.
    #[error("reading the input failed after {offset} bytes: {source}")]
    Io {
        /// Bytes read successfully.
        offset: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line was longer than the limit and was cut into pieces (an
    /// indicator across a cut may be missed).
    #[error("line {line} is longer than {limit} bytes; it was read in pieces")]
    LineTooLong {
        /// The line.
        line: u64,
        /// `max_line_bytes`.
        limit: usize,
    },
    /// A line held bytes that are not UTF-8; they were read as spaces.
    #[error("line {line} has {bytes} bytes that are not UTF-8; they were read as spaces")]
    InvalidUtf8 {
        /// The line.
        line: u64,
        /// How many bytes.
        bytes: usize,
    },
    /// The input is larger than `max_submission_bytes`; the rest was not read.
    #[error("input is larger than {limit} bytes; the rest was not read")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// More indicators than `max_records`; the rest were not reported.
    #[error("more than {limit} indicators; the rest were not reported")]
    TooManyRecords {
        /// The limit.
        limit: u64,
    },
}

impl ExtractError {
    /// The stable problem code (`prose.io`; a limit's is `limit.*`, as in
    /// every parser).
    pub fn code(&self) -> &'static str {
        match self {
            ExtractError::Io { .. } => "prose.io",
            ExtractError::LineTooLong { .. } => "limit.line-too-long",
            ExtractError::InvalidUtf8 { .. } => "prose.invalid-utf8",
            ExtractError::TooLarge { .. } => "limit.too-large",
            ExtractError::TooManyRecords { .. } => "limit.too-many-records",
        }
    }
}

/// What one extraction did.
#[derive(Debug, Default)]
pub struct Summary {
    /// The format used (never [`ProseFormat::Auto`]).
    pub format: Option<ProseFormat>,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Observations reported.
    pub observations: u64,
    /// Observations per kind.
    pub by_kind: BTreeMap<IndicatorKind, u64>,
    /// Valid indicators dropped by a suppression rule, per rule.
    pub suppressed: BTreeMap<String, u64>,
    /// Problems reported to the sink.
    pub problems: u64,
    /// Why extraction stopped early, if it did.
    pub stopped: Option<ExtractError>,
}

/// One indicator found by [`extract_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its kind.
    pub kind: IndicatorKind,
    /// The canonical value ([`Indicator::value`]).
    pub value: String,
    /// The text as it stands in the input (`&input[range]`).
    pub text: String,
    /// Byte range in the input.
    pub range: Range<usize>,
}

/// An indicator located in the original input (internal form).
struct Hit {
    candidate: scan::Candidate,
    offset: u64,
    end: u64,
    line: u64,
    column: u64,
    context: String,
}

/// Finds the indicators in `input` and pushes one observation per
/// occurrence into `sink`; I/O and limit problems go to the sink too.
pub fn extract(
    input: impl BufRead,
    format: ProseFormat,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
) -> Summary {
    let mut problems: Vec<Problem> = Vec::new();
    let mut emitted = 0u64;
    let limit = ctx.limits.max_records;
    let mut too_many = false;
    let mut summary = run(
        input,
        format,
        ctx,
        &mut |hit: Hit| {
            if emitted >= limit {
                too_many = true;
                return;
            }
            emitted += 1;
            let c = &hit.candidate;
            let location = ctx
                .location()
                .with_line(hit.line)
                .with_column(hit.column)
                .with_offset(hit.offset);
            let mut o = Observation::new(
                Some(c.canonical.indicator.kind()),
                c.value.clone(),
                location,
            );
            o.context = Some(hit.context);
            o.port = c.canonical.port;
            match &c.canonical.indicator {
                Indicator::Url(_) | Indicator::Email(_) => {
                    let host = c
                        .canonical
                        .indicator
                        .domain()
                        .map(|d| (IndicatorKind::Domain, d.as_str().to_owned()))
                        .or_else(|| {
                            c.canonical.indicator.ip().map(|ip| {
                                let k = if ip.is_ipv4() {
                                    IndicatorKind::Ipv4
                                } else {
                                    IndicatorKind::Ipv6
                                };
                                (k, ip.to_string())
                            })
                        });
                    if let Some((kind, value)) = host {
                        o.related.push(Related {
                            relation: Relation::HostedOn,
                            kind: Some(kind),
                            value,
                        });
                    }
                }
                _ => {}
            }
            sink.observation(o);
        },
        &mut |p| problems.push(p),
    );
    if too_many {
        let e = ExtractError::TooManyRecords { limit };
        problems.push(Problem::error(e.code(), e.to_string(), ctx.location()));
        summary.observations = emitted;
        if summary.stopped.is_none() {
            summary.stopped = Some(e);
        }
    }
    summary.problems = u64::try_from(problems.len()).unwrap_or(u64::MAX);
    for p in problems {
        sink.problem(p);
    }
    summary
}

/// Finds the indicators in a string (format sniffed, as [`ProseFormat::Auto`]).
pub fn extract_str(text: &str) -> Vec<Found> {
    extract_str_as(text, ProseFormat::Auto)
}

/// Finds the indicators in a string of the given format.
pub fn extract_str_as(text: &str, format: ProseFormat) -> Vec<Found> {
    let mut out = Vec::new();
    let ctx = ParseContext::default();
    run(
        text.as_bytes(),
        format,
        &ctx,
        &mut |hit: Hit| {
            let (Ok(s), Ok(e)) = (usize::try_from(hit.offset), usize::try_from(hit.end)) else {
                return;
            };
            let Some(t) = text.get(s..e) else { return };
            out.push(Found {
                kind: hit.candidate.canonical.indicator.kind(),
                value: hit.candidate.canonical.indicator.value(),
                text: t.to_owned(),
                range: s..e,
            });
        },
        &mut |_| {},
    );
    out
}

/// Sniffs the format from the start of the input.
fn sniff(head: &[u8]) -> ProseFormat {
    let n = head.len().min(4096);
    let head = String::from_utf8_lossy(head.get(..n).unwrap_or_default()).to_ascii_lowercase();
    let t = head.trim_start_matches('\u{feff}').trim_start();
    let tags = [
        "<html", "<body", "<div", "<p>", "<p ", "<br", "<a href", "<table", "<span", "<h1", "<h2",
        "<meta", "<head",
    ];
    if t.starts_with("<!doctype html") || tags.iter().any(|x| head.contains(x)) {
        ProseFormat::Html
    } else if head.contains("](")
        || head.contains("```")
        || t.starts_with('#')
        || head.contains("\n#")
    {
        ProseFormat::Markdown
    } else {
        ProseFormat::Text
    }
}

/// Reads one line (through `\n`) into `buf`, at most `limit` bytes; true if cut at the limit.
fn read_line_limited(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<bool> {
    buf.clear();
    let limit = limit.max(1);
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(false);
        }
        let room = limit.saturating_sub(buf.len());
        if let Some(i) = memchr::memchr(b'\n', avail)
            && i < room
        {
            buf.extend_from_slice(avail.get(..=i).unwrap_or_default());
            r.consume(i + 1);
            return Ok(false);
        }
        let n = avail.len().min(room);
        buf.extend_from_slice(avail.get(..n).unwrap_or_default());
        r.consume(n);
        if buf.len() >= limit {
            return Ok(true);
        }
    }
}

/// One-line context around `text[start..end]`, about 80 characters.
fn context(text: &str, start: usize, end: usize) -> String {
    let want = 80usize.saturating_sub(end.saturating_sub(start)) / 2;
    let a = text.floor_char_boundary(start.saturating_sub(want.max(20)));
    let b = text.ceil_char_boundary((end + want.max(20)).min(text.len()));
    let mut out = String::with_capacity(b.saturating_sub(a));
    let mut space = false;
    for c in text.get(a..b).unwrap_or_default().chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// The shared driver: reads lines, strips HTML, scans, locates.
fn run(
    mut input: impl BufRead,
    format: ProseFormat,
    ctx: &ParseContext,
    on_hit: &mut dyn FnMut(Hit),
    on_problem: &mut dyn FnMut(Problem),
) -> Summary {
    let mut summary = Summary::default();
    let format = match format {
        ProseFormat::Auto => match input.fill_buf() {
            Ok(head) => sniff(head),
            Err(_) => ProseFormat::Text,
        },
        f => f,
    };
    summary.format = Some(format);
    let mut scanner = scan::Scanner::default();
    let mut stripper = html::HtmlStripper::default();
    let (mut raw, mut fixed, mut stripped, mut map) = (
        Vec::new(),
        String::new(),
        String::new(),
        html::ByteMap::new(),
    );
    let mut offset = 0u64;
    let mut line_no = 0u64;
    let mut continuing = false;
    let mut col_base = 0u64;
    let mut hits: Vec<scan::Candidate> = Vec::new();
    let mut suppressed: Vec<scan::Suppressed> = Vec::new();
    loop {
        let cut = match read_line_limited(&mut input, &mut raw, ctx.limits.max_line_bytes) {
            Ok(c) => c,
            Err(source) => {
                let e = ExtractError::Io { offset, source };
                on_problem(Problem::error(
                    e.code(),
                    e.to_string(),
                    ctx.location().with_offset(offset),
                ));
                summary.stopped = Some(e);
                break;
            }
        };
        if raw.is_empty() {
            break;
        }
        if !continuing {
            line_no += 1;
            col_base = 0;
        }
        let here = ctx.location().with_line(line_no).with_offset(offset);
        if offset.saturating_add(raw.len() as u64) > ctx.limits.max_submission_bytes {
            let e = ExtractError::TooLarge {
                limit: ctx.limits.max_submission_bytes,
            };
            on_problem(Problem::error(e.code(), e.to_string(), here));
            summary.stopped = Some(e);
            break;
        }
        if cut {
            let e = ExtractError::LineTooLong {
                line: line_no,
                limit: ctx.limits.max_line_bytes,
            };
            on_problem(Problem::warning(e.code(), e.to_string(), here.clone()));
        }
        // Text of this line, same length as the raw bytes.
        let line: &str = match std::str::from_utf8(&raw) {
            Ok(s) => s,
            Err(_) => {
                fixed.clear();
                let mut bad = 0;
                for chunk in raw.utf8_chunks() {
                    fixed.push_str(chunk.valid());
                    for _ in chunk.invalid() {
                        fixed.push(' ');
                        bad += 1;
                    }
                }
                let e = ExtractError::InvalidUtf8 {
                    line: line_no,
                    bytes: bad,
                };
                on_problem(Problem::warning(e.code(), e.to_string(), here));
                &fixed
            }
        };
        let (text, mapped): (&str, bool) = if format == ProseFormat::Html {
            stripper.feed(line, &mut stripped, &mut map);
            (&stripped, true)
        } else {
            (line, false)
        };
        hits.clear();
        scanner.scan(text, &mut |c| hits.push(c), &mut |s| suppressed.push(s));
        let (mut col_pos, mut col) = (0usize, col_base);
        for c in hits.drain(..) {
            let (s, e) = if mapped {
                match (
                    map.get(c.start),
                    c.end.checked_sub(1).and_then(|i| map.get(i)),
                ) {
                    (Some(a), Some(b)) => (a.0, b.1),
                    _ => continue,
                }
            } else {
                (c.start, c.end)
            };
            if s < col_pos {
                col_pos = 0;
                col = col_base;
            }
            col += line.get(col_pos..s).map_or(0, |p| p.chars().count()) as u64;
            col_pos = s;
            let hit = Hit {
                offset: offset + s as u64,
                end: offset + e as u64,
                line: line_no,
                column: col + 1,
                context: context(text, c.start, c.end),
                candidate: c,
            };
            summary.observations += 1;
            *summary
                .by_kind
                .entry(hit.candidate.canonical.indicator.kind())
                .or_default() += 1;
            on_hit(hit);
        }
        for s in suppressed.drain(..) {
            *summary.suppressed.entry(format!("{s:?}")).or_default() += 1;
        }
        col_base += line.chars().count() as u64;
        offset += raw.len() as u64;
        summary.bytes = offset;
        if !continuing || !cut {
            summary.lines += u64::from(!continuing);
        }
        continuing = cut;
    }
    summary
}
