//! The walk over one document, in either pass.
//!
//! The [`Framer`] steps through the structure MISP gives meaning to (the
//! top-level value, lists of events, an event's keys, `Object` lists and
//! each object's keys, `Attribute` lists); every value below that (one
//! attribute, a `Tag` list, `Orgc`, `info`) is framed into a buffer and
//! parsed from the slice by serde_json into the lenient types of
//! [`crate::raw`] and [`crate::json`], or skipped without copying.
//!
//! Which pass parses what, so that every byte is checked by serde exactly
//! once: the first (skim) pass parses the event's and each object's own
//! fields, unknown ones included (as `IgnoredAny`), and skips attributes;
//! the second (stream) pass parses attributes and whatever is not an object
//! where an event, object or attribute is expected, and skips the rest.
//!
//! A syntax error inside a framed value is that value's located problem
//! (for an attribute: its pointer, line, column and byte offset) and the
//! walk goes on after it, since the framer found where the value ends. A
//! syntax error in the structure the walk steps through (a missing `,`, a
//! value cut short) ends the pass.

use std::io::BufRead;

use pelita_model::{Location, Problem};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::MispError;
use crate::frame::{Frame, FrameError, Framer, json_type};
use crate::json::{JsonType, List, Obj, Scalar, Span, Text};
use crate::raw::{RawAttribute, RawGalaxy, RawObjectMeta, RawOrg, RawTag, Skipped};
use crate::reader::{EventMeta, Mode, ObjectMeta, State};
use crate::scope::Scope;

/// serde_json's own recursion limit, kept for the levels the walk steps
/// through itself (a document of events wrapped in events).
const MAX_NESTING: usize = 128;

/// The keys the walk gives meaning to, at any level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Event,
    Response,
    Attribute,
    Object,
    Tag,
    Galaxy,
    Sighting,
    Orgc,
    Info,
    Uuid,
    Date,
    ThreatLevel,
    Name,
    Comment,
    FirstSeen,
    LastSeen,
    Other,
}

fn key_of(name: &[u8]) -> Key {
    match name {
        b"Event" => Key::Event,
        b"response" => Key::Response,
        b"Attribute" => Key::Attribute,
        b"Object" => Key::Object,
        b"Tag" => Key::Tag,
        b"Galaxy" => Key::Galaxy,
        b"Sighting" => Key::Sighting,
        b"Orgc" => Key::Orgc,
        b"info" => Key::Info,
        b"uuid" => Key::Uuid,
        b"date" => Key::Date,
        b"threat_level_id" => Key::ThreatLevel,
        b"name" => Key::Name,
        b"comment" => Key::Comment,
        b"first_seen" => Key::FirstSeen,
        b"last_seen" => Key::LastSeen,
        _ => Key::Other,
    }
}

/// The framer with its reused buffers.
pub(crate) struct Walker<R> {
    fr: Framer<R>,
    /// The value being parsed.
    buf: Vec<u8>,
    /// The key being read.
    key: Vec<u8>,
    /// Objects and lists the walk is inside.
    depth: usize,
}

impl<R: BufRead> Walker<R> {
    /// Walks `input`, whose first `start` bytes (a byte-order mark) were already consumed.
    pub(crate) fn new(input: R, start: u64, spans: Vec<Span>) -> Self {
        Walker {
            fr: Framer::new(input, start, spans),
            buf: Vec::new(),
            key: Vec::new(),
            depth: 0,
        }
    }

    /// Frames the next value into `buf`.
    fn frame(&mut self) -> Result<Frame, FrameError> {
        self.buf.clear();
        self.fr.value(Some(&mut self.buf))
    }

    /// Skips the next value.
    fn skip(&mut self) -> Result<(), FrameError> {
        self.fr.value(None).map(drop)
    }

    /// Consumes the `{` or `[` the caller peeked.
    fn enter(&mut self) -> Result<(), FrameError> {
        self.depth += 1;
        if self.depth >= MAX_NESTING {
            return Err(self.fr.error("recursion limit exceeded"));
        }
        self.fr.bump();
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// The next key of the object being walked, or `None` at its end.
    fn next_key(&mut self, first: &mut bool) -> Result<Option<Key>, FrameError> {
        let Some(frame) = self.fr.next_key(first, &mut self.key)? else {
            return Ok(None);
        };
        let inner = self
            .key
            .get(1..self.key.len().saturating_sub(1))
            .unwrap_or_default();
        if inner
            .iter()
            .all(|b| (0x20..0x7F).contains(b) && *b != b'\\')
        {
            return Ok(Some(key_of(inner)));
        }
        // Escapes or non-ASCII: serde decodes (and checks) the key.
        match serde_json::from_slice::<Text<'_>>(&self.key) {
            Ok(t) => Ok(Some(key_of(t.as_str().as_bytes()))),
            Err(e) => {
                let (line, column, offset) = frame.place_of(&e, &self.key);
                Err(FrameError::Syntax {
                    message: bare(&e),
                    line,
                    column,
                    offset,
                })
            }
        }
    }

    /// After the whole document: nothing but whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<(), FrameError> {
        match self.fr.peek()? {
            None => Ok(()),
            Some(_) => Err(self.fr.error("trailing characters")),
        }
    }
}

/// serde's message without its " at line … column …".
pub(crate) fn bare(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

/// A syntax error inside a framed value, at `loc` (the value's pointer).
fn slice_problem(e: &serde_json::Error, frame: Frame, bytes: &[u8], loc: &Location) -> Problem {
    let (line, column, offset) = frame.place_of(e, bytes);
    let err = MispError::Syntax(bare(e));
    Problem::new(
        err.severity(),
        err.code(),
        err.to_string(),
        loc.clone()
            .with_line(line)
            .with_column(column)
            .with_offset(offset),
    )
}

/// Frames the next value and parses it as `T`; a syntax error is a
/// problem at `loc` and `None`.
fn parse_next<R: BufRead, T: for<'b> Deserialize<'b>>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
) -> Result<Option<T>, FrameError> {
    let frame = w.frame()?;
    match serde_json::from_slice::<T>(&w.buf) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            st.problem(slice_problem(&e, frame, &w.buf, loc));
            Ok(None)
        }
    }
}

/// Frames the next value and checks it is JSON; its type if it is.
fn check_next<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
) -> Result<Option<JsonType>, FrameError> {
    let first = w.fr.peek_value()?;
    Ok(parse_next::<R, IgnoredAny>(st, w, loc)?.map(|_| json_type(first)))
}

/// Frames the next value and parses it as a scalar, owned.
fn scalar_next<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
) -> Result<Option<Scalar<'static>>, FrameError> {
    let frame = w.frame()?;
    match serde_json::from_slice::<Scalar<'_>>(&w.buf) {
        Ok(v) => Ok(Some(v.into_owned())),
        Err(e) => {
            st.problem(slice_problem(&e, frame, &w.buf, loc));
            Ok(None)
        }
    }
}

/// Walks a value that should be an event (or, where `allow_list`, a list of events).
pub(crate) fn event_value<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
    allow_list: bool,
) -> Result<(), FrameError> {
    match w.fr.peek_value()? {
        b'{' => {
            let ord = st.next_ordinal;
            st.next_ordinal += 1;
            match st.mode {
                Mode::Skim => skim_event(st, w, ord, loc),
                Mode::Stream => stream_event(st, w, ord, loc),
            }
        }
        b'[' if allow_list => {
            w.enter()?;
            let mut first = true;
            let mut i = 0usize;
            while w.fr.next_element(&mut first)? {
                event_value(st, w, &loc.child(i), false)?;
                i += 1;
            }
            w.leave();
            Ok(())
        }
        _ if st.mode == Mode::Skim => w.skip(),
        _ => {
            // Reported once, in the second pass.
            if let Some(found) = check_next(st, w, loc)?
                && found != JsonType::Null
            {
                st.error(&MispError::NotAnEvent(found), loc.clone());
            }
            Ok(())
        }
    }
}

/// The first pass over one event object.
fn skim_event<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    ord: usize,
    loc: &Location,
) -> Result<(), FrameError> {
    // The slot for this event, filled when the object ends (nested events
    // take later slots meanwhile).
    st.metas.push(EventMeta::default());
    let mut meta = EventMeta::default();
    let mut fields = crate::reader::EventFields::default();
    w.enter()?;
    let mut first = true;
    while let Some(key) = w.next_key(&mut first)? {
        match key {
            Key::Event => event_value(st, w, &loc.child("Event"), false)?,
            Key::Response => event_value(st, w, &loc.child("response"), true)?,
            Key::Attribute => {
                meta.is_event = true;
                w.skip()?;
            }
            Key::Object => {
                meta.is_event = true;
                skim_objects(st, w, &loc.child("Object"), &mut meta.objects)?;
            }
            Key::Tag => {
                let at = loc.child("Tag");
                if let Some(list) = parse_next::<R, List<RawTag>>(st, w, &at)? {
                    let names = crate::reader::tag_names(st, list, &at);
                    fields.tags.extend(names);
                }
            }
            Key::Galaxy => {
                let at = loc.child("Galaxy");
                if let Some(list) = parse_next::<R, List<RawGalaxy>>(st, w, &at)? {
                    let tags = crate::reader::galaxy_tags(st, &list, &at);
                    fields.tags.extend(tags);
                }
            }
            Key::Sighting => {
                let at = loc.child("Sighting");
                if let Some(list) = parse_next::<R, List<Skipped>>(st, w, &at)? {
                    st.summary.sightings += list.items.len() as u64;
                }
            }
            Key::Orgc => {
                if let Some(Obj::Ok(o)) = parse_next::<R, Obj<RawOrg>>(st, w, &loc.child("Orgc"))? {
                    fields.org = o.name;
                }
            }
            Key::Info => {
                meta.is_event = true;
                fields.info = scalar_next(st, w, &loc.child("info"))?
                    .as_ref()
                    .and_then(Scalar::non_empty_text);
            }
            Key::Uuid => {
                meta.uuid = scalar_next(st, w, &loc.child("uuid"))?
                    .as_ref()
                    .and_then(Scalar::non_empty_text);
            }
            Key::Date => {
                fields.date = scalar_next(st, w, &loc.child("date"))?
                    .as_ref()
                    .and_then(Scalar::non_empty_text);
            }
            Key::ThreatLevel => {
                fields.threat = scalar_next(st, w, &loc.child("threat_level_id"))?
                    .as_ref()
                    .and_then(Scalar::non_empty_text);
            }
            Key::Name | Key::Comment | Key::FirstSeen | Key::LastSeen | Key::Other => {
                check_next(st, w, loc)?;
            }
        }
    }
    w.leave();
    fields.finish(&mut meta.scope);
    if let Some(slot) = st.metas.get_mut(ord) {
        *slot = meta;
    }
    Ok(())
}

/// The first pass over an event's `Object` value: each object's metadata.
fn skim_objects<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
    metas: &mut Vec<ObjectMeta>,
) -> Result<(), FrameError> {
    match w.fr.peek_value()? {
        b'[' => {
            w.enter()?;
            let mut first = true;
            let mut i = 0usize;
            while w.fr.next_element(&mut first)? {
                if w.fr.peek_value()? == b'{' {
                    metas.push(skim_object(st, w, &loc.child(i))?);
                } else {
                    // Not an object: the second pass says so.
                    w.skip()?;
                    metas.push(ObjectMeta::default());
                }
                i += 1;
            }
            w.leave();
            Ok(())
        }
        b'{' => {
            metas.push(skim_object(st, w, loc)?);
            Ok(())
        }
        // Not a list: the second pass says so.
        _ => w.skip(),
    }
}

/// The first pass over one object: its own fields, its attributes skipped.
fn skim_object<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
) -> Result<ObjectMeta, FrameError> {
    let mut raw = RawObjectMeta::default();
    w.enter()?;
    let mut first = true;
    while let Some(key) = w.next_key(&mut first)? {
        match key {
            Key::Name => {
                raw.name = scalar_next(st, w, &loc.child("name"))?
                    .as_ref()
                    .and_then(Scalar::non_empty_text);
            }
            Key::Comment => {
                raw.comment = scalar_next(st, w, &loc.child("comment"))?
                    .as_ref()
                    .and_then(Scalar::non_empty_text);
            }
            Key::FirstSeen => raw.first_seen = scalar_next(st, w, &loc.child("first_seen"))?,
            Key::LastSeen => raw.last_seen = scalar_next(st, w, &loc.child("last_seen"))?,
            Key::Tag => {
                raw.tags = parse_next(st, w, &loc.child("Tag"))?.unwrap_or_default();
            }
            Key::Attribute => w.skip()?,
            _ => {
                check_next(st, w, loc)?;
            }
        }
    }
    w.leave();
    Ok(crate::reader::object_meta(st, raw, loc))
}

/// The second pass over one event object.
fn stream_event<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    ord: usize,
    loc: &Location,
) -> Result<(), FrameError> {
    let meta = st
        .metas
        .get_mut(ord)
        .map(std::mem::take)
        .unwrap_or_default();
    let mut objects = 0usize;
    w.enter()?;
    let mut first = true;
    while let Some(key) = w.next_key(&mut first)? {
        match key {
            Key::Event => event_value(st, w, &loc.child("Event"), false)?,
            Key::Response => event_value(st, w, &loc.child("response"), true)?,
            Key::Attribute => attributes(st, w, &loc.child("Attribute"), &meta.scope)?,
            Key::Object => stream_objects(st, w, &loc.child("Object"), &meta, &mut objects)?,
            _ => w.skip()?,
        }
    }
    w.leave();
    if meta.is_event {
        st.summary.events += 1;
        if let Some(u) = meta.uuid {
            st.summary.event_uuids.push(u);
        }
    }
    Ok(())
}

/// The second pass over an event's `Object` value: a list of objects or a single one.
fn stream_objects<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
    event: &EventMeta,
    // Objects of this event seen so far (indexes the first pass's metadata).
    next: &mut usize,
) -> Result<(), FrameError> {
    match w.fr.peek_value()? {
        b'[' => {
            w.enter()?;
            let mut first = true;
            let mut i = 0usize;
            while w.fr.next_element(&mut first)? {
                let object = event.objects.get(*next);
                let at = loc.child(i);
                if w.fr.peek_value()? == b'{' {
                    stream_object(st, w, &at, &event.scope, object)?;
                } else if let Some(found) = check_next(st, w, &at)? {
                    st.error(&MispError::NotAnObject("object", found), at);
                }
                *next += 1;
                i += 1;
            }
            w.leave();
            Ok(())
        }
        b'{' => {
            let object = event.objects.get(*next);
            *next += 1;
            stream_object(st, w, loc, &event.scope, object)
        }
        _ => {
            if let Some(found) = check_next(st, w, loc)?
                && found != JsonType::Null
            {
                st.error(&MispError::BadList("Object", found), loc.clone());
            }
            Ok(())
        }
    }
}

/// The second pass over one object: its attributes, in its scope.
fn stream_object<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
    event: &Scope,
    object: Option<&ObjectMeta>,
) -> Result<(), FrameError> {
    st.summary.objects += 1;
    let scope = crate::reader::object_scope(event, object.map(|o| &o.scope));
    // A `domain-ip` object relates its names to its addresses: its
    // observations are held until its end (and sent then even when the
    // walk stops inside it: nothing accepted is lost).
    let relates = object.and_then(|o| o.template.as_deref()) == Some("domain-ip");
    if relates {
        st.hold();
    }
    let walked = object_attributes(st, w, loc, &scope);
    if relates {
        st.release_domain_ip();
    }
    walked
}

/// The keys of one object: its attributes streamed, the rest skipped.
fn object_attributes<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
    scope: &Scope,
) -> Result<(), FrameError> {
    w.enter()?;
    let mut first = true;
    while let Some(key) = w.next_key(&mut first)? {
        if key == Key::Attribute {
            attributes(st, w, &loc.child("Attribute"), scope)?;
        } else {
            w.skip()?;
        }
    }
    w.leave();
    Ok(())
}

/// An `Attribute` value: a list of attributes or a single one.
fn attributes<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
    scope: &Scope,
) -> Result<(), FrameError> {
    match w.fr.peek_value()? {
        b'[' => {
            w.enter()?;
            let mut first = true;
            let mut i = 0usize;
            while w.fr.next_element(&mut first)? {
                attribute(st, w, &loc.child(i), scope)?;
                i += 1;
            }
            w.leave();
            Ok(())
        }
        b'{' => attribute(st, w, loc, scope),
        _ => {
            if let Some(found) = check_next(st, w, loc)?
                && found != JsonType::Null
            {
                st.error(&MispError::BadList("Attribute", found), loc.clone());
            }
            Ok(())
        }
    }
}

/// An attribute that is a JSON object (anything else is an error).
struct AttributeMap<'de>(RawAttribute<'de>);

impl<'de> Deserialize<'de> for AttributeMap<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawAttribute::deserialize_map(d).map(AttributeMap)
    }
}

/// The bytes checked as UTF-8 at once for an attribute parsed in place:
/// more than almost every attribute takes (a few hundred bytes), little
/// enough that checking them costs less than serde checking each string.
const IN_PLACE_WINDOW: usize = 768;

/// Parses the attribute at the start of `buf`; what it used, or `None` when
/// it is not whole in `buf` or not a JSON object.
///
/// The first [`IN_PLACE_WINDOW`] bytes are checked as UTF-8 in one go and
/// parsed as `str`, where serde does not check every string again (a tenth
/// of the reader's time when it did); an attribute that does not end in
/// the window, or fails there for any reason, is parsed from the bytes
/// (where serde reports what is wrong, and where).
fn in_place(buf: &[u8]) -> Option<(AttributeMap<'_>, usize)> {
    let window = buf.get(..IN_PLACE_WINDOW).unwrap_or(buf);
    let text = match std::str::from_utf8(window) {
        Ok(text) => Some(text),
        // A character cut by the window's end, or a bad byte: the part before.
        Err(e) => window
            .get(..e.valid_up_to())
            .and_then(|w| std::str::from_utf8(w).ok()),
    };
    if let Some(text) = text {
        let mut de = serde_json::Deserializer::from_str(text).into_iter::<AttributeMap<'_>>();
        if let Some(Ok(map)) = de.next() {
            return Some((map, de.byte_offset()));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(buf).into_iter::<AttributeMap<'_>>();
    match de.next() {
        Some(Ok(map)) => Some((map, de.byte_offset())),
        _ => None,
    }
}

/// One attribute, parsed in place or framed and parsed from the slice.
fn attribute<R: BufRead>(
    st: &mut State<'_>,
    w: &mut Walker<R>,
    loc: &Location,
    scope: &Scope,
) -> Result<(), FrameError> {
    if st.records_exhausted() {
        check_next(st, w, loc)?;
        return Ok(());
    }
    if w.fr.peek_value()? == b'{' {
        // Parsed in place when the attribute is whole in the read buffer
        // (always, for a document in memory): its bytes are read once.
        let parsed = {
            let buf = w.fr.buffered()?;
            match in_place(buf) {
                Some((AttributeMap(raw), n)) => {
                    if st.count_record(loc) {
                        crate::reader::emit_attribute(st, raw, loc, scope);
                    }
                    Some(n)
                }
                // Cut by the buffer's end, or not JSON: framed below.
                None => None,
            }
        };
        if let Some(n) = parsed {
            w.fr.consume_parsed(n);
            return Ok(());
        }
    }
    let frame = w.frame()?;
    match serde_json::from_slice::<Obj<RawAttribute<'_>>>(&w.buf) {
        Ok(Obj::Ok(raw)) => {
            if st.count_record(loc) {
                crate::reader::emit_attribute(st, raw, loc, scope);
            }
        }
        Ok(Obj::Wrong(found)) => {
            if st.count_record(loc) {
                st.summary.attributes += 1;
                st.error(&MispError::NotAnObject("attribute", found), loc.clone());
            }
        }
        Err(e) => {
            // The framer found where the attribute ends: the rest goes on.
            if st.count_record(loc) {
                st.summary.attributes += 1;
                st.problem(slice_problem(&e, frame, &w.buf, loc));
            }
        }
    }
    Ok(())
}
