//! STIX 2.1 ingest: read bundles, objects, lists of objects and JSON Lines of
//! STIX 2.1 (and 2.0, upgraded) content, validate them against the
//! specification, parse STIX patterns, and turn indicators and
//! cyber-observables into [`pelita_model::Observation`]s.
//!
//! # Layout
//!
//! - [`parse`] / [`parse_with`] (this file): the streaming driver. It walks
//!   the top-level documents and hands objects to ingestion one at a time.
//!   [`parse_reopen`] (or [`learn`] then [`parse_learned`]) reads a source
//!   that can be opened twice in two passes: the first keeps only what
//!   indicators' `indicates` relationships point to ([`Learned`]), so that
//!   relationships listed after their indicators still apply.
//! - `frame` (private): byte-level framing of JSON values (where each one
//!   begins and ends), so that serde_json parses each object from a slice.
//! - [`model`]: Pelita's own serde model of STIX objects, with the raw JSON of
//!   every object kept, and the 2.0 → 2.1 upgrade.
//! - [`validate`]: the specification's MUST-level rules, as located
//!   [`validate::Violation`]s.
//! - [`pattern`]: a hand-written lexer and parser for the full STIX
//!   patterning grammar, with line/column errors.
//! - [`reduce`]: from a pattern to the indicator values it names.
//! - `ingest` (private): from an object to observations with context.
//!
//! # Design
//!
//! **Our own model.** The STIX crates available model every object in full
//! and reject what does not fit; a fusion centre needs the opposite: read
//! whatever partners send (2.0, 2.1, mixtures, custom objects and
//! properties), keep all of it, and say precisely what is wrong. So the model
//! is small, every typed field is optional, and validation is separate from
//! deserialisation.
//!
//! **Streaming.** A bundle can be gigabytes. The driver never builds the
//! bundle in memory: the `objects` array is visited element by element, each
//! element is framed into one reused buffer (its depth measured on the way),
//! parsed from that slice, validated, reduced and dropped before the next one
//! is read. What is remembered across
//! objects (malware names for `indicates`, TLP definitions, the domains and
//! addresses objects name and the statements waiting for them, for
//! `resolves-to` in either order) is capped. Input is any [`std::io::BufRead`]; a UTF-8
//! byte-order mark is skipped. Byte offsets and line numbers of each object
//! are tracked by the framer. A syntax error inside one object of a list is
//! that object's error (the list goes on, the framer found where it ends);
//! one in the structure around the objects ends reading.
//!
//! **Strict and lenient.** [`ParseContext::strict`] decides what a
//! specification violation does: in strict mode it is a
//! [`Severity::Error`] and the object is dropped; in lenient mode it is a
//! [`Severity::Warning`] and the object is used anyway (partners' feeds are
//! imperfect; unit42 mixes 2.0 bundles with 2.1 properties). Whatever cannot be
//! read at all (broken JSON, an object without a type, a limit hit) is an
//! error in both modes. Valid content Pelita does not turn into indicators
//! (a `process:` pattern, a `sigma` pattern, a mutex) is
//! [`Severity::Unsupported`]: counted, never an error.
//!
//! Every problem names the object (its id, or its JSON pointer) and carries a
//! [`Location`] whose pointer goes down to the property
//! (`/objects/3/valid_from`).

pub mod model;
pub mod pattern;
pub mod reduce;
pub mod validate;

mod frame;
mod ingest;
mod resolve;

use std::collections::BTreeMap;
use std::io::BufRead;

use frame::{Frame, FrameError, Framer};
use pelita_model::{Location, ParseContext, Problem, Severity, Sink};
use serde_json::Value;

pub use ingest::Learned;
pub use model::{SpecVersion, StixObject};
pub use pattern::{Pattern, PatternError, parse_pattern};
pub use validate::{Violation, validate_object};

/// What one submission contained and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Objects seen (bundle contents or top-level objects).
    pub objects: u64,
    /// Objects seen, by `type`.
    pub by_type: BTreeMap<String, u64>,
    /// Objects not used (strict-mode violations, unreadable objects).
    pub dropped: u64,
    /// Objects of custom or unknown types (kept, passed to the object callback).
    pub custom_objects: u64,
    /// Objects read as STIX 2.0 and upgraded.
    pub upgraded: u64,
    /// Observations sent to the sink.
    pub observations: u64,
    /// STIX patterns that parsed.
    pub patterns_parsed: u64,
    /// Patterns that yielded at least one observation.
    pub patterns_reduced: u64,
    /// Valid patterns that yielded none, and patterns in other languages.
    pub patterns_unsupported: u64,
    /// Patterns that did not parse or were too long.
    pub patterns_invalid: u64,
    /// `resolves-to` statements (relationships, `resolves_to_refs`) turned
    /// into related values, whichever came first of the statement and its ends.
    pub resolves_to: u64,
    /// `resolves-to` statements not used: an end not in the submission or
    /// naming no domain and address, or more than is remembered.
    pub resolves_to_unused: u64,
    /// Problems of severity error.
    pub errors: u64,
    /// Problems of severity warning.
    pub warnings: u64,
    /// Problems of severity unsupported.
    pub unsupported: u64,
    /// Whether reading stopped before the end (broken JSON, a limit hit).
    pub stopped_early: bool,
}

/// Errors of the streaming reader that end a submission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The input is not valid JSON.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// The input is larger than the submission limit.
    #[error("the submission is larger than the limit of {0} bytes")]
    TooLarge(u64),
    /// More objects than the record limit.
    #[error("more than {0} objects (the record limit)")]
    TooManyRecords(u64),
}

impl ReadError {
    /// The problem code.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Syntax(_) => "json.syntax",
            ReadError::TooLarge(_) => "limit.too-large",
            ReadError::TooManyRecords(_) => "limit.too-many-records",
        }
    }
}

/// Reads a STIX submission (a bundle, one object, a list of objects, or
/// several of these as JSON Lines), sending observations and problems to
/// `sink`. Never panics; always returns what it did.
pub fn parse(input: impl BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Summary {
    parse_with(input, ctx, sink, &mut |_| {})
}

/// [`parse`], also handing every object used (custom and unknown ones included,
/// with their raw JSON) to `on_object`.
pub fn parse_with(
    input: impl BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    on_object: &mut dyn FnMut(&StixObject),
) -> Summary {
    run(input, ctx, sink, on_object, Learned::default(), false).summary
}

/// [`parse`], starting from what [`learn`] kept of the same bytes: every
/// indicator gets the malware family and the campaign, threat-actor and
/// intrusion-set hints its `indicates` relationships name, wherever in the
/// submission they are.
pub fn parse_learned(
    input: impl BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    learned: Learned,
) -> Summary {
    run(input, ctx, sink, &mut |_| {}, learned, false).summary
}

/// The learning pass: reads `input` as [`parse`] would, but parses only
/// the objects that can add to [`Learned`] (malware, campaigns, threat
/// actors, intrusion sets, `indicates` relationships); reports nothing
/// (the pass that uses what it learned reports every problem).
pub fn learn(input: impl BufRead, ctx: &ParseContext) -> Learned {
    struct Nothing;
    impl Sink for Nothing {
        fn observation(&mut self, _: pelita_model::Observation) {}
        fn problem(&mut self, _: Problem) {}
    }
    run(
        input,
        ctx,
        &mut Nothing,
        &mut |_| {},
        Learned::default(),
        true,
    )
    .learned
}

/// [`learn`] from a source that can be opened again: the bytes are first
/// searched for `"indicates"` (and for `\u`, with which a writer could
/// spell it otherwise), and only a submission that holds one is read by
/// the learning pass. A feed of bare indicators, the common case, costs one
/// search of its bytes instead of a framing of every object. `open` must
/// give the same bytes each time; a failure learns nothing (the pass that
/// reads the submission reports it).
pub fn learn_reopen<R: BufRead>(
    mut open: impl FnMut() -> std::io::Result<R>,
    ctx: &ParseContext,
) -> Learned {
    match open().and_then(might_indicate) {
        Ok(true) => open().map(|r| learn(r, ctx)).unwrap_or_default(),
        Ok(false) | Err(_) => Learned::default(),
    }
}

/// Whether `input` holds `"indicates"` or `\u` anywhere: a submission
/// without either has no `indicates` relationship to learn from.
fn might_indicate(mut input: impl BufRead) -> std::io::Result<bool> {
    const NEEDLES: [&[u8]; 2] = [b"\"indicates\"", b"\\u"];
    let finders = NEEDLES.map(memchr::memmem::Finder::new);
    // The stream's last bytes before the current buffer (at most `keep`),
    // so that a needle cut by buffer boundaries is still found.
    let keep = NEEDLES.iter().map(|n| n.len()).max().unwrap_or(0) - 1;
    let mut carry: Vec<u8> = Vec::with_capacity(2 * keep);
    let mut joint: Vec<u8> = Vec::with_capacity(2 * keep);
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        joint.clear();
        joint.extend_from_slice(&carry);
        joint.extend_from_slice(buf.get(..keep.min(buf.len())).unwrap_or(buf));
        if finders
            .iter()
            .any(|f| f.find(buf).is_some() || f.find(&joint).is_some())
        {
            return Ok(true);
        }
        carry.extend_from_slice(buf.get(buf.len().saturating_sub(keep)..).unwrap_or(buf));
        let excess = carry.len().saturating_sub(keep);
        carry.drain(..excess);
        let n = buf.len();
        input.consume(n);
    }
}

/// Reads a STIX submission from a source that can be opened twice (an
/// archived file): [`learn_reopen`], then [`parse_learned`]. `open` must
/// give the same bytes each time. An `open` failure is a located `stix.io`
/// error.
pub fn parse_reopen<R: BufRead>(
    mut open: impl FnMut() -> std::io::Result<R>,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
) -> Summary {
    let learned = learn_reopen(&mut open, ctx);
    match open() {
        Ok(r) => parse_learned(r, ctx, sink, learned),
        Err(e) => {
            sink.problem(Problem::error(
                "stix.io",
                format!("cannot read the submission: {e}"),
                ctx.location(),
            ));
            Summary {
                errors: 1,
                stopped_early: true,
                ..Summary::default()
            }
        }
    }
}

/// What one pass gives back.
struct Ran {
    summary: Summary,
    learned: Learned,
}

/// One pass over `input`; `learning`: the learning pass of [`learn`].
fn run(
    mut input: impl BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    on_object: &mut dyn FnMut(&StixObject),
    learned: Learned,
    learning: bool,
) -> Ran {
    // Skip a UTF-8 byte-order mark.
    let mut start = 0u64;
    if let Ok(buf) = input.fill_buf()
        && buf.starts_with(&[0xEF, 0xBB, 0xBF])
    {
        input.consume(3);
        start = 3;
    }
    let mut framer = Framer::new(input, start, ctx.limits.max_submission_bytes);
    let mut state = State {
        ingest: ingest::Ingest::new(ctx, sink, on_object).with_learned(learned),
        buf: Vec::new(),
        learning,
    };
    if let Err(stop) = documents(&mut framer, &mut state) {
        state.stop(stop);
    }
    state.ingest.finish();
    let summary = std::mem::take(&mut state.ingest.summary);
    Ran {
        summary,
        learned: state.ingest.into_learned(),
    }
}

/// What ended reading early, with the pointer of the value being read.
struct Stop {
    error: ReadError,
    line: Option<u64>,
    column: Option<u64>,
    pointer: Option<String>,
}

impl Stop {
    /// serde's error in a framed value, placed in the input.
    fn serde(e: &serde_json::Error, frame: Frame, pointer: Option<String>) -> Stop {
        let (line, column) = frame.place_of(e);
        Stop {
            error: ReadError::Syntax(format!("{} at line {line} column {column}", bare(e))),
            line: Some(line),
            column: Some(column),
            pointer,
        }
    }

    fn framing(e: FrameError, ctx: &ParseContext, pointer: Option<String>) -> Stop {
        let (error, line, column) = match e {
            FrameError::Syntax {
                message,
                line,
                column,
            } => (
                ReadError::Syntax(format!("{message} at line {line} column {column}")),
                Some(line),
                Some(column),
            ),
            FrameError::TooLarge => (
                ReadError::TooLarge(ctx.limits.max_submission_bytes),
                None,
                None,
            ),
            FrameError::Io(m) => (ReadError::Syntax(m), None, None),
        };
        Stop {
            error,
            line,
            column,
            pointer,
        }
    }
}

/// Every top-level document: one, or several (JSON Lines, concatenated JSON).
fn documents<R: BufRead>(fr: &mut Framer<R>, state: &mut State<'_>) -> Result<(), Stop> {
    let ctx = state.ingest.ctx;
    let mut documents = 0u64;
    loop {
        let next = fr.skip_ws().map_err(|e| Stop::framing(e, ctx, None))?;
        match next {
            None if documents == 0 => {
                return Err(Stop {
                    error: ReadError::Syntax("the input is empty".to_owned()),
                    line: Some(fr.line()),
                    column: None,
                    pointer: None,
                });
            }
            None => return Ok(()),
            Some(b'{') => object_document(fr, state)?,
            Some(b'[') => list(fr, state, "", 1)?,
            Some(_) => {
                state.buf.clear();
                let frame = fr
                    .value(&mut state.buf)
                    .map_err(|e| Stop::framing(e, ctx, None))?;
                if let Err(e) = serde_json::from_slice::<Value>(&state.buf) {
                    return Err(Stop::serde(&e, frame, None));
                }
                let loc = state.base().with_line(frame.line);
                state.ingest.problem(Problem::error(
                    "stix.not-stix",
                    "the input is not a STIX bundle, object or list of objects",
                    loc,
                ));
            }
        }
        documents += 1;
    }
}

/// A top-level object: a bundle (its `objects` list streamed), or one STIX object.
fn object_document<R: BufRead>(fr: &mut Framer<R>, state: &mut State<'_>) -> Result<(), Stop> {
    let ctx = state.ingest.ctx;
    let syntax = |e| Stop::framing(e, ctx, None);
    fr.bump().map_err(syntax)?;
    let mut rest = serde_json::Map::new();
    let mut streamed = false;
    let mut depth = 1usize;
    if fr.skip_ws().map_err(syntax)? == Some(b'}') {
        fr.bump().map_err(syntax)?;
    } else {
        loop {
            if fr.skip_ws().map_err(syntax)? != Some(b'"') {
                return Err(syntax(fr.syntax("expected a key")));
            }
            state.buf.clear();
            fr.value(&mut state.buf).map_err(syntax)?;
            let key: String = serde_json::from_slice(&state.buf)
                .map_err(|e| syntax(fr.syntax(format!("bad key: {e}"))))?;
            if fr.skip_ws().map_err(syntax)? != Some(b':') {
                return Err(syntax(fr.syntax("expected `:`")));
            }
            fr.bump().map_err(syntax)?;
            let pointer = validate::ptr(&key);
            if key == "objects" && fr.skip_ws().map_err(syntax)? == Some(b'[') {
                list(fr, state, &pointer, 2)?;
                streamed = true;
            } else {
                state.buf.clear();
                let frame = fr
                    .value(&mut state.buf)
                    .map_err(|e| Stop::framing(e, ctx, Some(pointer.clone())))?;
                depth = depth.max(frame.depth + 1);
                let v: Value = serde_json::from_slice(&state.buf)
                    .map_err(|e| Stop::serde(&e, frame, Some(pointer)))?;
                rest.insert(key, v);
            }
            match fr.skip_ws().map_err(syntax)? {
                Some(b',') => fr.bump().map_err(syntax)?,
                Some(b'}') => {
                    fr.bump().map_err(syntax)?;
                    break;
                }
                _ => return Err(syntax(fr.syntax("expected `,` or `}`"))),
            }
        }
    }
    let is_bundle = rest.get("type").and_then(Value::as_str) == Some("bundle");
    if is_bundle {
        bundle_checks(state, &rest);
        return Ok(());
    }
    if streamed {
        // A non-bundle object whose `objects` was a list: its elements were
        // read as objects; report the wrapper.
        state.ingest.problem(Problem::new(
            if state.ingest.ctx.strict { Severity::Error } else { Severity::Warning },
            "stix.not-a-bundle",
            "a JSON object with an \"objects\" list is not a bundle (its type is not \"bundle\"); its objects were read",
            state.base().with_pointer(""),
        ));
        return Ok(());
    }
    state.check_records(fr.line(), "")?;
    let max = state.ingest.ctx.limits.max_json_depth;
    // The object is complete: the line counted is that of its end.
    let loc = state.base().with_pointer("").with_line(fr.line());
    if depth > max {
        state.too_deep("the object".to_owned(), depth, max, loc);
    } else {
        state.ingest.object(Value::Object(rest), &loc);
    }
    Ok(())
}

/// A list of objects (at `prefix`, nested `outer` levels deep), each read,
/// used and dropped before the next.
fn list<R: BufRead>(
    fr: &mut Framer<R>,
    state: &mut State<'_>,
    prefix: &str,
    outer: usize,
) -> Result<(), Stop> {
    let ctx = state.ingest.ctx;
    let at = |i: u64| format!("{prefix}/{i}");
    fr.bump().map_err(|e| Stop::framing(e, ctx, None))?;
    if fr.skip_ws().map_err(|e| Stop::framing(e, ctx, None))? == Some(b']') {
        return fr.bump().map_err(|e| Stop::framing(e, ctx, None));
    }
    let mut i = 0u64;
    loop {
        let pointer = at(i);
        fr.skip_ws()
            .map_err(|e| Stop::framing(e, ctx, Some(pointer.clone())))?;
        state.check_records(fr.line(), &pointer)?;
        let mut buf = std::mem::take(&mut state.buf);
        buf.clear();
        let frame = fr
            .value(&mut buf)
            .map_err(|e| Stop::framing(e, ctx, Some(pointer.clone())))?;
        state.raw_object(&buf, frame, pointer, outer);
        state.buf = buf;
        i += 1;
        match fr
            .skip_ws()
            .map_err(|e| Stop::framing(e, ctx, Some(at(i))))?
        {
            Some(b',') => fr.bump().map_err(|e| Stop::framing(e, ctx, None))?,
            Some(b']') => return fr.bump().map_err(|e| Stop::framing(e, ctx, None)),
            _ => {
                return Err(Stop::framing(
                    fr.syntax("expected `,` or `]`"),
                    ctx,
                    Some(at(i)),
                ));
            }
        }
    }
}

/// serde's message without its own (value-relative) place.
fn bare(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text,
    }
}

struct State<'a> {
    ingest: ingest::Ingest<'a>,
    /// The buffer each value is framed into (reused).
    buf: Vec<u8>,
    /// The learning pass: objects that cannot add to [`Learned`] are skipped unparsed.
    learning: bool,
}

impl State<'_> {
    fn base(&self) -> Location {
        self.ingest.ctx.location()
    }

    /// Reports what ended reading.
    fn stop(&mut self, stop: Stop) {
        self.ingest.summary.stopped_early = true;
        let mut loc = self.base();
        if let Some(line) = stop.line {
            loc = loc.with_line(line);
        }
        if let Some(column) = stop.column {
            loc = loc.with_column(column);
        }
        if let Some(p) = stop.pointer {
            loc = loc.with_pointer(p);
        }
        let code = stop.error.code();
        self.ingest
            .problem(Problem::error(code, stop.error.to_string(), loc));
    }

    /// An object dropped for nesting deeper than the limit.
    fn too_deep(&mut self, what: String, depth: usize, max: usize, loc: Location) {
        self.ingest.summary.objects += 1;
        self.ingest.summary.dropped += 1;
        self.ingest.problem(Problem::error(
            "limit.too-deep",
            format!("{what} is nested {depth} levels deep; the limit is {max}"),
            loc,
        ));
    }

    /// One object framed as raw JSON, at `pointer`, nested `outer` levels deep.
    fn raw_object(&mut self, raw: &[u8], frame: Frame, pointer: String, outer: usize) {
        let loc = self
            .base()
            .with_line(frame.line)
            .with_offset(frame.start)
            .with_pointer(pointer.clone());
        let max = self.ingest.ctx.limits.max_json_depth;
        let depth = frame.depth + outer;
        if depth > max {
            self.too_deep(format!("object at {pointer}"), depth, max, loc);
            return;
        }
        if self.learning {
            /// Just enough of an object to know whether to learn from it.
            #[derive(serde::Deserialize)]
            struct Kind<'a> {
                #[serde(rename = "type", borrow)]
                object_type: Option<std::borrow::Cow<'a, str>>,
                #[serde(borrow)]
                relationship_type: Option<std::borrow::Cow<'a, str>>,
            }
            let wanted = serde_json::from_slice::<Kind<'_>>(raw).is_ok_and(|k| {
                k.object_type
                    .is_some_and(|t| Learned::wants(&t, k.relationship_type.as_deref()))
            });
            if !wanted {
                return;
            }
        }
        match serde_json::from_slice::<Value>(raw) {
            Ok(v) => self.ingest.object(v, &loc),
            Err(e) => {
                self.ingest.summary.objects += 1;
                self.ingest.summary.dropped += 1;
                let (line, column) = frame.place_of(&e);
                let message = format!("{} at line {line} column {column}", bare(&e));
                let loc = loc.with_line(line).with_column(column);
                self.ingest
                    .problem(Problem::error("json.syntax", message, loc));
            }
        }
    }

    /// Stops before the object at `line` (and `pointer`) when the record
    /// limit is reached.
    fn check_records(&mut self, line: u64, pointer: &str) -> Result<(), Stop> {
        let max = self.ingest.ctx.limits.max_records;
        if self.ingest.summary.objects >= max {
            return Err(Stop {
                error: ReadError::TooManyRecords(max),
                line: Some(line),
                column: None,
                pointer: Some(pointer.to_owned()),
            });
        }
        Ok(())
    }
}

/// Checks the bundle wrapper itself.
fn bundle_checks(state: &mut State<'_>, rest: &serde_json::Map<String, Value>) {
    let sev = if state.ingest.ctx.strict {
        Severity::Error
    } else {
        Severity::Warning
    };
    let base = state.base();
    match rest.get("id").and_then(Value::as_str) {
        None => state.ingest.problem(Problem::new(
            sev,
            "stix.missing-property",
            "bundle: required property \"id\" is missing",
            base.child("id"),
        )),
        Some(id) => match validate::check_identifier(id) {
            Ok("bundle") => {}
            Ok(_) => state.ingest.problem(Problem::new(
                sev,
                "stix.bad-identifier",
                format!("bundle: id {id:?} does not start with \"bundle--\""),
                base.child("id"),
            )),
            Err(e) => state.ingest.problem(Problem::new(
                sev,
                "stix.bad-identifier",
                format!("bundle: {e}"),
                base.child("id"),
            )),
        },
    }
    if let Some(sv) = rest.get("spec_version")
        && sv.as_str() != Some("2.0")
        && sv.as_str() != Some("2.1")
    {
        state.ingest.problem(Problem::new(
            sev,
            "stix.bad-value",
            format!("bundle: spec_version must be \"2.0\", not {sv}"),
            base.child("spec_version"),
        ));
    }
    if let Some(objs) = rest.get("objects") {
        // `objects` present but not a list.
        if !objs.is_array() {
            state.ingest.problem(Problem::error(
                "stix.bad-type",
                "bundle: \"objects\" must be a list",
                base.child("objects"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::might_indicate;

    fn plain(data: &[u8]) -> bool {
        let has = |n: &[u8]| data.windows(n.len()).any(|w| w == n);
        has(b"\"indicates\"") || has(b"\\u")
    }

    proptest::proptest! {
        /// Whatever the bytes and wherever the buffer boundaries fall, the
        /// search finds a needle exactly when the bytes hold one.
        #[test]
        fn the_search_finds_a_needle_cut_by_any_buffer_boundary(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"\"indicates\""[..], b"indicates", b"\"", b"\\", b"u", b"x", b"\"indicate",
                ]),
                0..12,
            ),
            capacity in 1usize..16,
        ) {
            let data = parts.concat();
            let reader = std::io::BufReader::with_capacity(capacity, data.as_slice());
            proptest::prop_assert_eq!(might_indicate(reader).unwrap(), plain(&data));
        }
    }
}
