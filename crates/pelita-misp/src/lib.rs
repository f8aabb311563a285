//! MISP ingest: MISP event JSON and MISP feed directories, streamed into
//! Pelita [`Observation`](pelita_model::Observation)s and located
//! [`Problem`]s.
//!
//! # What is read
//!
//! [`parse`] takes one JSON document in any shape MISP emits:
//!
//! - a bare event `{"info": …, "Attribute": […], "Object": […], …}`;
//! - a wrapped event `{"Event": {…}}`;
//! - a list of either;
//! - a restSearch response `{"response": [{"Event": {…}}, …]}`, including
//!   object searches (`{"response": [{"Object": {…}}]}`) and attribute
//!   searches (`{"response": {"Attribute": […]}}`).
//!
//! Numbers may be written as strings (`"analysis": "2"`, `"timestamp":
//! "1503930272"`), booleans as `"0"`/`"1"`, and `Attribute`, `Object`, `Tag`,
//! `Galaxy` and `Sighting` as a single object instead of a list of one.
//!
//! [`parse_feed_dir`] reads a MISP feed directory: `manifest.json` (event
//! UUID → summary), one `<uuid>.json` event file per manifest entry, and the
//! optional `hashes.csv` (`<md5 of an attribute value>,<event uuid>` rows, as
//! PyMISP's feed generator writes them), whose rows are checked and counted.
//!
//! # Attributes → observations
//!
//! Every attribute, top-level or inside `Object[].Attribute[]`, is one
//! record. Its value is passed on *as written* (defanged, upper-case, …):
//! canonicalisation is a later stage. The MISP type gives the kind hint:
//!
//! | MISP type | Observation |
//! |---|---|
//! | `ip-src`, `ip-dst` | IP: `ipv4`, `ipv6` or `cidr`, from the value's shape |
//! | `ip-src\|port`, `ip-dst\|port` | IP, with `port` |
//! | `hostname\|port` | `domain`, with `port` |
//! | `domain`, `hostname` | `domain` |
//! | `domain\|ip` | `domain` with a [`ResolvesTo`](pelita_model::Relation::ResolvesTo) relation to the IP, and the IP as its own observation |
//! | `url`, `uri`, `link` | `url` (a `link` is a reference, not necessarily an indicator: its hint `misp-type:link` says so) |
//! | `email`, `email-src`, `email-dst`, `email-reply-to`, `whois-registrant-email`, `dns-soa-email` | `email` |
//! | `md5`, `sha1`, `sha256`, `sha512`, `ssdeep`, `tlsh` | that hash |
//! | `filename\|md5`, `…\|sha1`, `…\|sha256`, `…\|sha512`, `…\|ssdeep`, `…\|tlsh` | the hash; `file name: …` goes into the context |
//! | `btc`, `xmr`, `eth` | `btc`, `xmr`, `eth` |
//! | `onion-address` | `onion` |
//! | `phone-number`, `whois-registrant-phone`, `prtn` | `phone` |
//! | `AS` | `asn` |
//! | any other type (`text`, `regkey`, `filename`, `port`, …) | an [`Unsupported`](pelita_model::Severity::Unsupported) problem `misp.unsupported-type`, counted in [`Summary::unsupported_by_type`] |
//!
//! A `domain-ip` object, MISP's successor to the `domain|ip` attribute,
//! relates the same way: each of its `domain` and `hostname` observations
//! [`ResolvesTo`](pelita_model::Relation::ResolvesTo) each of its addresses
//! that is not deleted (up to 16). Its observations are held until the
//! object ends (up to 1,000; a larger object's go out as they come,
//! unrelated).
//!
//! Each observation also gets:
//!
//! - `location`: the file from the [`ParseContext`]
//!   and the JSON pointer of the value (`/Event/Object/2/Attribute/0/value`);
//! - `tags`: every tag as written — the event's, then the object's, then the
//!   attribute's — plus the `tag_name` of every galaxy cluster attached;
//! - `tlp`: from a `tlp:` tag; an attribute's overrides its object's, which
//!   overrides the event's (several at one level: the strictest);
//! - `admiralty`: from `admiralty-scale:` tags, inner levels overriding;
//! - `malware`: from a malware-family galaxy cluster (`misp-galaxy:malpedia`,
//!   `mitre-malware`, `ransomware`, `rat`, `banker`, `botnet`, `stealer`,
//!   `backdoor`, `android`, `tool`), the innermost level's, MITRE's `- S0251`
//!   suffix removed; when a level's best-ranked galaxy names several
//!   families (an event tagged with seven), none is chosen at that level —
//!   the clusters stay in `tags`;
//! - `hints`: `misp-category:<category>`, `misp-type:<type>`, every `rsit:` and
//!   `ecsirt:` tag, `to_ids:false` when the attribute is not for detection,
//!   `misp-object:<name>`, `misp-threat-level:<high|medium|low|undefined>`,
//!   `misp-org:<Orgc name>`;
//! - `context`: the attribute's comment, the object's comment, and
//!   `event: <info> (<Orgc>, <date>)`, one per line;
//! - `first_seen` / `last_seen`: the attribute's, else its object's, else the
//!   earliest and latest of its sightings (type 0);
//! - `withdrawn`: MISP `deleted`; `source_id`: the attribute UUID.
//!
//! Proposals (`ShadowAttribute`) are not read: they are not accepted data.
//!
//! # Streaming in two passes
//!
//! A 100 000-attribute event is read in memory bounded by one attribute plus
//! the event-level metadata, never by the document: no `serde_json::Value` is
//! built. A byte-level framer (`frame`, private) steps through the structure
//! MISP gives meaning to (lists of events, an event's keys, `Object` lists,
//! `Attribute` lists), skipping string contents with `memchr`; each value
//! below that (one attribute, a `Tag` list, `Orgc`) is parsed by serde_json
//! from a slice into one small typed record (strings without escapes are
//! borrowed, unknown fields such as base64 `data` are skipped without
//! allocating). An attribute that is whole in the read buffer is parsed in
//! place, so its bytes are read once; serde's byte-at-a-time stream reader,
//! which tracked line and column on every byte, is not used (`walk`, private,
//! says which pass parses what).
//!
//! The catch is that an event's `Tag`, `Galaxy`, `Orgc` and `info` apply to
//! all its attributes but may come *after* `Attribute` in the JSON (MISP
//! exports sort keys, and `"Attribute" < "Tag"`), and the same holds for an
//! object's `Tag` and `name`. So the input is read twice: [`parse`] takes
//! the whole input as `&[u8]`, and [`parse_reopen`] opens a source (the
//! archived submission on disk) once per pass, so that memory does not grow
//! with the document at all:
//!
//! 0. a *depth* scan checks the size and the nesting limit before anything is
//!    parsed, and remembers where arrays and objects of 256 KiB or more end;
//! 1. a *skim* pass reads the event- and object-level fields and skips every
//!    attribute (a large `Attribute` list in one jump, with what pass 0 saw);
//! 2. a *stream* pass skips those fields and turns attributes into
//!    observations one by one, with the event's and object's scope from pass 1.
//!
//! Events and objects are matched between the passes by their order in the
//! document. Buffering attributes until the event's tags are known was the
//! alternative; it needs memory proportional to the event, which is what
//! streaming is for.
//!
//! # Robustness
//!
//! Untrusted input never panics the reader (a property test feeds it
//! arbitrary bytes). Every field is read leniently, so a field of the wrong
//! JSON type is a located problem for its attribute while the rest goes
//! through. So is a JSON syntax error inside one attribute (or inside any
//! other value the framer delimits, such as a `Tag` list): a `json.syntax`
//! problem with the value's pointer, line, column and byte offset, and the
//! rest of the document goes on. A syntax error in the structure between
//! values (a missing `,`, a document cut short) stops the document, with
//! its line, column and byte offset (what was read before it stays read).
//! The [`Limits`](pelita_model::Limits) of the context are
//! enforced: `max_submission_bytes` and `max_json_depth` (checked by a byte
//! scan before parsing) reject the document, `max_records` stops reading
//! attributes after that many, `max_value_bytes` drops the one attribute.
//! Each is a located [`Problem`]; the codes are listed
//! on [`MispError::code`].

mod error;
mod feed;
mod frame;
mod json;
mod raw;
mod reader;
mod scope;
mod types;
mod walk;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use pelita_model::{ParseContext, Problem, Sink};
use serde::Serialize;

pub use error::MispError;
pub use feed::{FeedSummary, parse_feed_dir};
pub use json::JsonType;

use reader::{Mode, State};

/// What one MISP document (or feed) held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Events read (objects with `Attribute`, `Object` or `info`).
    pub events: u64,
    /// The UUIDs of the events read, in document order.
    pub event_uuids: Vec<String>,
    /// Attributes read (top-level and inside objects; proposals excluded).
    pub attributes: u64,
    /// Attributes by MISP type, as written.
    pub attributes_by_type: BTreeMap<String, u64>,
    /// MISP objects read.
    pub objects: u64,
    /// Attributes of types Pelita does not turn into indicators, by type.
    pub unsupported_by_type: BTreeMap<String, u64>,
    /// Galaxies attached to events and attributes.
    pub galaxies: u64,
    /// Galaxy clusters in those galaxies.
    pub galaxy_clusters: u64,
    /// Sightings (event- and attribute-level).
    pub sightings: u64,
    /// Observations sent to the sink.
    pub observations: u64,
    /// Problems of severity error sent to the sink.
    pub errors: u64,
    /// Problems of severity warning sent to the sink.
    pub warnings: u64,
}

impl Summary {
    /// Adds another summary's counts to this one.
    pub fn merge(&mut self, other: Summary) {
        self.events += other.events;
        self.event_uuids.extend(other.event_uuids);
        self.attributes += other.attributes;
        for (k, v) in other.attributes_by_type {
            *self.attributes_by_type.entry(k).or_insert(0) += v;
        }
        self.objects += other.objects;
        for (k, v) in other.unsupported_by_type {
            *self.unsupported_by_type.entry(k).or_insert(0) += v;
        }
        self.galaxies += other.galaxies;
        self.galaxy_clusters += other.galaxy_clusters;
        self.sightings += other.sightings;
        self.observations += other.observations;
        self.errors += other.errors;
        self.warnings += other.warnings;
    }
}

/// Reads one MISP JSON document (any shape MISP emits; see the crate docs),
/// sending observations and problems to `sink` as it goes.
///
/// Never fails and never panics: whatever is wrong is a located problem in
/// the sink, and the returned [`Summary`] counts what was read.
pub fn parse(input: &[u8], ctx: &ParseContext, sink: &mut dyn Sink) -> Summary {
    let mut st = State::new(ctx, sink);
    let root = ctx.location().with_pointer("");
    let limits = ctx.limits;
    let len = input.len() as u64;
    if len > limits.max_submission_bytes {
        st.error(&MispError::TooLarge(len, limits.max_submission_bytes), root);
        return st.summary;
    }
    // A UTF-8 byte order mark is not JSON, but editors write it.
    let (input, start) = match input.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len() as u64),
        None => (input, 0),
    };
    let mut scan = json::DepthScan::new(limits.max_json_depth);
    if let Some((offset, line, column)) = scan.feed(input) {
        // Offsets count from the file's first byte, byte order mark included.
        let at = ctx
            .location()
            .with_line(line)
            .with_column(column)
            .with_offset(offset + start);
        st.error(&MispError::TooDeep(limits.max_json_depth), at);
        return st.summary;
    }
    st.mode = Mode::Skim;
    let spans = scan.into_spans();
    let skim = st.run(input, start, spans.clone(), &root).err();
    st.mode = Mode::Stream;
    let stream = st.run(input, start, spans, &root).err();
    // Both passes read the same bytes; the second pass's error is the one
    // that cut observations short, the first pass's (in a field only it
    // reads) is reported when the second pass got through.
    if let Some(e) = stream.or(skim) {
        st.problem(stop_problem(e, ctx));
    } else if st.summary.events == 0 {
        st.error(&MispError::NoEvent, root);
    }
    st.summary
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads one MISP document from a source that can be opened more than once
/// (an archived submission on disk), in memory that does not grow with the
/// document: one pass scans the nesting depth and the size, one reads event
/// metadata, one streams the attributes. `open` is called once per pass and
/// must return the same bytes each time.
///
/// Gives the same observations and problems as [`parse`] on the same bytes.
/// An `open` or read failure is a located `misp.io` problem.
pub fn parse_reopen<R: Read>(
    mut open: impl FnMut() -> std::io::Result<R>,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
) -> Summary {
    let mut st = State::new(ctx, sink);
    let root = ctx.location().with_pointer("");
    let limits = ctx.limits;
    let io_problem = |e: std::io::Error| {
        Box::new(Problem::error(
            "misp.io",
            format!("cannot read the document: {e}"),
            ctx.location(),
        ))
    };
    // Pass 0: size and depth, in fixed-size chunks.
    let mut scan = json::DepthScan::new(limits.max_json_depth);
    let mut total = 0u64;
    let mut first = true;
    let mut bom = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let mut reader = match open() {
        Ok(r) => r,
        Err(e) => {
            st.problem(*io_problem(e));
            return st.summary;
        }
    };
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                st.problem(*io_problem(e));
                return st.summary;
            }
        };
        let mut chunk = buf.get(..n).unwrap_or(&[]);
        if first {
            if let Some(rest) = chunk.strip_prefix(BOM) {
                chunk = rest;
                bom = BOM.len() as u64;
            }
            first = false;
        }
        total += n as u64;
        if total > limits.max_submission_bytes {
            st.error(
                &MispError::TooLarge(total, limits.max_submission_bytes),
                root,
            );
            return st.summary;
        }
        if let Some((offset, line, column)) = scan.feed(chunk) {
            let at = ctx
                .location()
                .with_line(line)
                .with_column(column)
                .with_offset(offset + bom);
            st.error(&MispError::TooDeep(limits.max_json_depth), at);
            return st.summary;
        }
    }
    drop(reader);
    let spans = scan.into_spans();
    // Passes 1 and 2: event metadata, then attributes.
    let mut pass =
        |st: &mut State<'_>, mode: Mode| -> Result<Option<frame::FrameError>, Box<Problem>> {
            st.mode = mode;
            let mut r = BufReader::with_capacity(64 * 1024, open().map_err(io_problem)?);
            // A UTF-8 byte order mark is not JSON, but editors write it.
            let mut start = 0;
            if r.fill_buf().is_ok_and(|b| b.starts_with(BOM)) {
                r.consume(BOM.len());
                start = BOM.len() as u64;
            }
            // The spans' offsets are pass 0's: usable only if it saw the
            // same byte order mark (a short first read could hide it).
            let spans = if start == bom {
                spans.clone()
            } else {
                Vec::new()
            };
            Ok(st.run(r, start, spans, &root).err())
        };
    let (skim, stream) =
        match pass(&mut st, Mode::Skim).and_then(|skim| Ok((skim, pass(&mut st, Mode::Stream)?))) {
            Ok(errors) => errors,
            Err(p) => {
                st.problem(*p);
                return st.summary;
            }
        };
    if let Some(e) = stream.or(skim) {
        st.problem(stop_problem(e, ctx));
    } else if st.summary.events == 0 {
        st.error(&MispError::NoEvent, root);
    }
    st.summary
}

/// What stopped a pass, as a located problem.
fn stop_problem(e: frame::FrameError, ctx: &ParseContext) -> Problem {
    match e {
        frame::FrameError::Syntax {
            message,
            line,
            column,
            offset,
        } => {
            let err = MispError::Syntax(message);
            let at = ctx
                .location()
                .with_line(line)
                .with_column(column)
                .with_offset(offset);
            Problem::new(err.severity(), err.code(), err.to_string(), at)
        }
        frame::FrameError::Io(e) => Problem::error(
            "misp.io",
            format!("cannot read the document: {e}"),
            ctx.location(),
        ),
    }
}
