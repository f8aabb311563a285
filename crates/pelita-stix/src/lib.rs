//! STIX 2.1 ingest: read bundles, objects, lists of objects and JSON Lines of
//! STIX 2.1 (and 2.0, upgraded) content, validate them against the
//! specification, parse STIX patterns, and turn indicators and
//! cyber-observables into [`pelita_model::Observation`]s.
//!
//! # Layout
//!
//! - [`parse`] / [`parse_with`] (this file): the streaming driver. It reads
//!   the input with a serde visitor and hands objects to ingestion one at a
//!   time.
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
//! element is read as a raw JSON slice, checked for depth, parsed, validated,
//! reduced and dropped before the next one is read. What is remembered across
//! objects (malware names for `indicates`, TLP definitions, the domains and
//! addresses objects name and the statements waiting for them, for
//! `resolves-to` in either order) is capped. Input is any [`std::io::BufRead`]; a UTF-8
//! byte-order mark is skipped. Byte offsets and line numbers of each object
//! are tracked by counting what the JSON reader consumes.
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

mod ingest;
mod resolve;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Read};
use std::rc::Rc;

use pelita_model::{Location, ParseContext, Problem, Severity, Sink};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

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
            ReadError::TooLarge(_) => "limit.submission-too-large",
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
    mut input: impl BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    on_object: &mut dyn FnMut(&StixObject),
) -> Summary {
    // Skip a UTF-8 byte-order mark.
    let mut start = 0u64;
    if let Ok(buf) = input.fill_buf()
        && buf.starts_with(&[0xEF, 0xBB, 0xBF])
    {
        input.consume(3);
        start = 3;
    }
    let counter = Rc::new(Counter {
        bytes: Cell::new(start),
        lines: Cell::new(0),
        too_large: Cell::new(false),
    });
    let reader = Counting {
        inner: input,
        counter: Rc::clone(&counter),
        limit: ctx.limits.max_submission_bytes,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = State {
        ingest: ingest::Ingest::new(ctx, sink, on_object),
        counter: Rc::clone(&counter),
        abort: None,
        current: None,
    };
    let mut document = 0u64;
    loop {
        let res = Top { state: &mut state }.deserialize(&mut de);
        if let Err(e) = res {
            state.fail(&e, document);
            break;
        }
        if de.end().is_ok() {
            break;
        }
        document += 1;
    }
    state.ingest.finish();
    state.ingest.summary
}

struct Counter {
    bytes: Cell<u64>,
    lines: Cell<u64>,
    too_large: Cell<bool>,
}

/// Counts bytes and newlines read, and enforces the submission size limit.
///
/// serde_json's reader pulls its input one byte at a time (`Read::bytes`),
/// so this is on the hottest path of the parser: each call takes what it
/// can straight from the inner reader's buffer (`fill_buf`/`consume`)
/// rather than going through `Read::read` of the inner reader, which for a
/// one-byte buffer costs several times as much. The count stays exact: only
/// the bytes handed to the JSON reader are consumed and counted.
struct Counting<R> {
    inner: R,
    counter: Rc<Counter>,
    limit: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.inner.fill_buf()?;
        // The one-byte reads of `Read::bytes`: no `memcpy` call, no counting loop.
        if let ([dst], Some(&b)) = (&mut *buf, avail.first()) {
            let c = &self.counter;
            let total = c.bytes.get().saturating_add(1);
            if total > self.limit {
                c.too_large.set(true);
                return Err(std::io::Error::other("submission too large"));
            }
            c.bytes.set(total);
            c.lines.set(c.lines.get() + u64::from(b == b'\n'));
            *dst = b;
            self.inner.consume(1);
            return Ok(1);
        }
        let n = avail.len().min(buf.len());
        let (Some(src), Some(dst)) = (avail.get(..n), buf.get_mut(..n)) else {
            return Ok(0);
        };
        dst.copy_from_slice(src);
        let c = &self.counter;
        let total = c.bytes.get().saturating_add(n as u64);
        if total > self.limit {
            c.too_large.set(true);
            return Err(std::io::Error::other("submission too large"));
        }
        c.bytes.set(total);
        let nl = src.iter().filter(|&&x| x == b'\n').count();
        c.lines.set(c.lines.get() + nl as u64);
        self.inner.consume(n);
        Ok(n)
    }
}

struct State<'a> {
    ingest: ingest::Ingest<'a>,
    counter: Rc<Counter>,
    /// Why reading was stopped on purpose, if it was.
    abort: Option<ReadError>,
    /// The pointer of the object being read, for syntax errors.
    current: Option<String>,
}

impl State<'_> {
    fn base(&self) -> Location {
        self.ingest.ctx.location()
    }

    /// Reports the error that ended reading.
    fn fail(&mut self, e: &serde_json::Error, document: u64) {
        self.ingest.summary.stopped_early = true;
        let mut loc = self.base();
        if e.line() > 0 {
            loc = loc
                .with_line(e.line() as u64)
                .with_column(e.column() as u64);
        }
        if let Some(p) = self.current.take() {
            loc = loc.with_pointer(p);
        }
        let err = if let Some(a) = self.abort.take() {
            a
        } else if self.counter.too_large.get() {
            ReadError::TooLarge(self.ingest.ctx.limits.max_submission_bytes)
        } else if e.is_eof()
            && document == 0
            && self.ingest.summary.objects == 0
            && e.line() <= 1
            && e.column() == 0
        {
            ReadError::Syntax("the input is empty".to_owned())
        } else {
            ReadError::Syntax(e.to_string())
        };
        let code = err.code();
        self.ingest
            .problem(Problem::error(code, err.to_string(), loc));
    }

    fn abort<E: de::Error>(&mut self, err: ReadError) -> E {
        let msg = err.to_string();
        self.abort = Some(err);
        E::custom(msg)
    }

    /// Depth of nesting of a JSON text (strings skipped), and the number of
    /// newlines in it (one pass over the text instead of two).
    fn depth_and_newlines(text: &str) -> (usize, u64) {
        let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
        let mut newlines = 0u64;
        for b in text.bytes() {
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
                // A raw newline cannot occur inside a JSON string.
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => {
                    depth += 1;
                    max = max.max(depth);
                }
                b'}' | b']' => depth = depth.saturating_sub(1),
                b'\n' => newlines += 1,
                _ => {}
            }
        }
        (max, newlines)
    }

    /// One object read as raw JSON text, at `pointer`, nested `outer` levels deep.
    fn raw_object(&mut self, raw: &RawValue, pointer: String, outer: usize) {
        let text = raw.get();
        let end = self.counter.bytes.get();
        let start = end.saturating_sub(text.len() as u64);
        let (depth, newlines) = Self::depth_and_newlines(text);
        let line = self.counter.lines.get().saturating_sub(newlines) + 1;
        let loc = self
            .base()
            .with_line(line)
            .with_offset(start)
            .with_pointer(pointer.clone());
        let max = self.ingest.ctx.limits.max_json_depth;
        let depth = depth + outer;
        if depth > max {
            self.ingest.summary.objects += 1;
            self.ingest.summary.dropped += 1;
            self.ingest.problem(Problem::error(
                "limit.json-too-deep",
                format!("object at {pointer} is nested {depth} levels deep; the limit is {max}"),
                loc,
            ));
            return;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v) => self.ingest.object(v, &loc),
            Err(e) => {
                self.ingest.summary.objects += 1;
                self.ingest.summary.dropped += 1;
                self.ingest
                    .problem(Problem::error("json.syntax", e.to_string(), loc));
            }
        }
    }

    fn check_records<E: de::Error>(&mut self) -> Result<(), E> {
        let max = self.ingest.ctx.limits.max_records;
        if self.ingest.summary.objects >= max {
            return Err(self.abort(ReadError::TooManyRecords(max)));
        }
        Ok(())
    }
}

/// A top-level JSON document: a bundle, an object, or a list of objects.
struct Top<'s, 'a> {
    state: &'s mut State<'a>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX bundle, object or list of objects")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut rest = serde_json::Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "objects" {
                let kept = map.next_value_seed(Objects { state: &mut *state })?;
                match kept {
                    Some(v) => {
                        rest.insert(key, v);
                    }
                    None => streamed = true,
                }
            } else {
                let v: Value = map.next_value()?;
                rest.insert(key, v);
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
        check_records(state)?;
        let v = Value::Object(rest);
        let depth = value_depth(&v, 0);
        let max = state.ingest.ctx.limits.max_json_depth;
        // The object is complete: the line counted is that of its end.
        let loc = state
            .base()
            .with_pointer("")
            .with_line(state.counter.lines.get() + 1);
        if depth > max {
            state.ingest.summary.objects += 1;
            state.ingest.summary.dropped += 1;
            state.ingest.problem(Problem::error(
                "limit.json-too-deep",
                format!("the object is nested {depth} levels deep; the limit is {max}"),
                loc,
            ));
        } else {
            state.ingest.object(v, &loc);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut i = 0u64;
        loop {
            state.check_records()?;
            state.current = Some(format!("/{i}"));
            let Some(raw) = seq.next_element::<Box<RawValue>>()? else {
                break;
            };
            state.raw_object(&raw, format!("/{i}"), 1);
            i += 1;
        }
        state.current = None;
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.not_stix()
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.not_stix()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.not_stix()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.not_stix()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.not_stix()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_stix()
    }
}

impl Top<'_, '_> {
    fn not_stix<E: de::Error>(self) -> Result<(), E> {
        let loc = self
            .state
            .base()
            .with_line(self.state.counter.lines.get() + 1);
        self.state.ingest.problem(Problem::error(
            "stix.not-stix",
            "the input is not a STIX bundle, object or list of objects",
            loc,
        ));
        Ok(())
    }
}

fn check_records<E: de::Error>(state: &mut State<'_>) -> Result<(), E> {
    state.check_records()
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

/// The value of an `objects` key: streamed when it is a list (returns `None`),
/// kept as a value otherwise.
struct Objects<'s, 'a> {
    state: &'s mut State<'a>,
}

impl<'de> DeserializeSeed<'de> for Objects<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Objects<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of STIX objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let state = self.state;
        let mut i = 0u64;
        loop {
            state.check_records()?;
            let pointer = format!("/objects/{i}");
            state.current = Some(pointer.clone());
            let Some(raw) = seq.next_element::<Box<RawValue>>()? else {
                break;
            };
            state.raw_object(&raw, pointer, 2);
            i += 1;
        }
        state.current = None;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        let v = Value::deserialize_map_visitor(map)?;
        Ok(Some(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_owned())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

/// Reading a map into a [`Value`] from inside a visitor.
trait MapToValue {
    fn deserialize_map_visitor<'de, A: MapAccess<'de>>(map: A) -> Result<Value, A::Error>;
}

impl MapToValue for Value {
    fn deserialize_map_visitor<'de, A: MapAccess<'de>>(mut map: A) -> Result<Value, A::Error> {
        let mut m = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v: Value = map.next_value()?;
            m.insert(k, v);
        }
        Ok(Value::Object(m))
    }
}

/// Depth of nesting of a JSON value (serde_json's recursion limit bounds the recursion).
fn value_depth(v: &Value, d: usize) -> usize {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|x| value_depth(x, d + 1))
            .max()
            .unwrap_or(d + 1),
        Value::Object(m) => m
            .values()
            .map(|x| value_depth(x, d + 1))
            .max()
            .unwrap_or(d + 1),
        _ => d,
    }
}
