//! The two-pass streaming reader (see the crate docs for why two passes).

use std::fmt;

use pelita_model::{
    Location, Observation, ParseContext, Problem, Related, Relation, Severity, Sink,
};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::Summary;
use crate::error::MispError;
use crate::json::{FromMap, JsonType, List, Obj, Scalar, Text, drain_map, drain_seq};
use crate::raw::{RawAttribute, RawGalaxy, RawObjectMeta, RawOrg, RawTag, Skipped};
use crate::scope::{Scope, parse_time, threat_level_hint};
use crate::types::{Mapping, ip_kind, mapping};

/// The `visit_*` methods for JSON scalars (bool, number, string, null), for a
/// visitor that expects a container: each reports the type it found through
/// the visitor's `wrong` method and lets the rest of the document go on.
macro_rules! reject_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            self.wrong(JsonType::Bool);
            Ok(())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            self.wrong(JsonType::Number);
            Ok(())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            self.wrong(JsonType::Number);
            Ok(())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            self.wrong(JsonType::Number);
            Ok(())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            self.wrong(JsonType::String);
            Ok(())
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            self.wrong(JsonType::Null);
            Ok(())
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            self.wrong(JsonType::Null);
            Ok(())
        }
    };
}

/// Which pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// First pass: event- and object-level metadata; attributes skipped.
    Skim,
    /// Second pass: attributes, one at a time, into observations.
    Stream,
}

/// What the first pass learns about one object.
#[derive(Debug, Default)]
pub(crate) struct ObjectMeta {
    scope: Scope,
}

/// What the first pass learns about one event (any JSON object the reader
/// treats as a possible event, numbered in document order).
#[derive(Debug, Default)]
pub(crate) struct EventMeta {
    /// Has `Attribute`, `Object` or `info`.
    is_event: bool,
    uuid: Option<String>,
    scope: Scope,
    objects: Vec<ObjectMeta>,
}

/// The reader's state across both passes.
pub(crate) struct State<'s> {
    pub mode: Mode,
    pub ctx: &'s ParseContext,
    sink: &'s mut dyn Sink,
    metas: Vec<EventMeta>,
    pub next_ordinal: usize,
    pub summary: Summary,
    records: u64,
    records_exhausted: bool,
}

impl<'s> State<'s> {
    pub(crate) fn new(ctx: &'s ParseContext, sink: &'s mut dyn Sink) -> Self {
        State {
            mode: Mode::Skim,
            ctx,
            sink,
            metas: Vec::new(),
            next_ordinal: 0,
            summary: Summary::default(),
            records: 0,
            records_exhausted: false,
        }
    }

    /// Reports a problem and counts it.
    pub(crate) fn problem(&mut self, p: Problem) {
        match p.severity {
            Severity::Error => self.summary.errors += 1,
            Severity::Warning => self.summary.warnings += 1,
            Severity::Unsupported => {}
        }
        self.sink.problem(p);
    }

    /// Reports a typed error at `location`.
    pub(crate) fn error(&mut self, e: &MispError, location: Location) {
        let p = Problem::new(e.severity(), e.code(), e.to_string(), location);
        self.problem(p);
    }

    /// A specification violation: a warning in lenient mode (the record is
    /// kept, returns `false`), an error in strict mode (dropped, returns `true`).
    fn violation(&mut self, e: &MispError, location: Location) -> bool {
        let severity = if self.ctx.strict {
            Severity::Error
        } else {
            Severity::Warning
        };
        self.problem(Problem::new(severity, e.code(), e.to_string(), location));
        self.ctx.strict
    }

    fn observation(&mut self, o: Observation) {
        self.summary.observations += 1;
        self.sink.observation(o);
    }

    /// Reads the whole document in the current mode.
    pub(crate) fn run(&mut self, input: &[u8], root: &Location) -> Result<(), serde_json::Error> {
        self.run_with(serde_json::Deserializer::from_slice(input), root)
    }

    /// Reads the whole document from a stream in the current mode.
    pub(crate) fn run_reader(
        &mut self,
        input: impl std::io::Read,
        root: &Location,
    ) -> Result<(), serde_json::Error> {
        self.run_with(serde_json::Deserializer::from_reader(input), root)
    }

    fn run_with<'de, R: serde_json::de::Read<'de>>(
        &mut self,
        mut de: serde_json::Deserializer<R>,
        root: &Location,
    ) -> Result<(), serde_json::Error> {
        self.next_ordinal = 0;
        EventSeed {
            st: self,
            loc: root.clone(),
            allow_list: true,
        }
        .deserialize(&mut de)?;
        de.end()
    }
}

/// A value that should be an event (or, where `allow_list`, a list of events).
struct EventSeed<'a, 's> {
    st: &'a mut State<'s>,
    loc: Location,
    allow_list: bool,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl EventSeed<'_, '_> {
    fn wrong(self, found: JsonType) {
        // Reported once, in the second pass.
        if self.st.mode == Mode::Stream && found != JsonType::Null {
            self.st
                .error(&MispError::NotAnEvent(found), self.loc.clone());
        }
    }
}

impl<'de> Visitor<'de> for EventSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MISP event")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let ord = self.st.next_ordinal;
        self.st.next_ordinal += 1;
        match self.st.mode {
            Mode::Skim => skim_event(self.st, ord, &self.loc, map),
            Mode::Stream => stream_event(self.st, ord, &self.loc, map),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.allow_list {
            drain_seq(seq)?;
            self.wrong(JsonType::Array);
            return Ok(());
        }
        let mut i = 0usize;
        while seq
            .next_element_seed(EventSeed {
                st: &mut *self.st,
                loc: self.loc.child(i),
                allow_list: false,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.wrong(JsonType::Bool);
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.wrong(JsonType::String);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Tag names of a tag list, reporting malformed items (first pass for event
/// and object tags, second pass for attribute tags).
fn tag_names(st: &mut State<'_>, tags: List<RawTag>, loc: &Location) -> Vec<String> {
    if let Some(found) = tags.wrong {
        st.error(&MispError::BadTagList(found), loc.clone());
    }
    let mut names = Vec::with_capacity(tags.items.len());
    let single = tags.single;
    for (i, item) in tags.items.into_iter().enumerate() {
        let at = || if single { loc.clone() } else { loc.child(i) };
        match item {
            Obj::Ok(RawTag { name: Some(n), .. }) => names.push(n),
            Obj::Ok(RawTag {
                bad_name: Some(found),
                ..
            }) => {
                st.error(&MispError::BadTag(found), at().child("name"));
            }
            Obj::Ok(RawTag { .. }) => st.error(&MispError::TagWithoutName, at()),
            Obj::Wrong(found) => st.error(&MispError::BadTag(found), at()),
        }
    }
    names
}

/// Galaxy cluster tags of a galaxy list, counting galaxies and clusters.
fn galaxy_tags(st: &mut State<'_>, galaxies: &List<RawGalaxy>, loc: &Location) -> Vec<String> {
    if let Some(found) = galaxies.wrong {
        st.error(&MispError::BadList("Galaxy", found), loc.clone());
    }
    let mut tags = Vec::new();
    for g in &galaxies.items {
        if let Obj::Ok(g) = g {
            st.summary.galaxies += 1;
            st.summary.galaxy_clusters += g.clusters.items.len() as u64;
            tags.extend(g.tags());
        }
    }
    tags
}

/// Reads a time field, reporting an unreadable one (a warning, or with
/// `record` in strict mode an error, and then `Err`: drop the record).
fn time_field(
    st: &mut State<'_>,
    value: Option<&Scalar<'_>>,
    loc: &Location,
    field: &'static str,
    record: bool,
) -> Result<Option<time::OffsetDateTime>, ()> {
    let Some(value) = value else {
        return Ok(None);
    };
    parse_time(value).or_else(|()| {
        let shown = value
            .text()
            .map_or_else(|| value.found().to_string(), short);
        let e = MispError::BadTime(field, shown);
        if record {
            if st.violation(&e, loc.child(field)) {
                return Err(());
            }
        } else {
            st.error(&e, loc.child(field));
        }
        Ok(None)
    })
}

/// The first pass over one event object.
fn skim_event<'de, A: MapAccess<'de>>(
    st: &mut State<'_>,
    ord: usize,
    loc: &Location,
    mut map: A,
) -> Result<(), A::Error> {
    // The slot for this event, filled when the object ends (nested events
    // take later slots meanwhile).
    st.metas.push(EventMeta::default());
    let mut meta = EventMeta::default();
    let mut tags: Vec<String> = Vec::new();
    let mut info = None;
    let mut org = None;
    let mut date = None;
    let mut threat = None;
    while let Some(key) = map.next_key::<Text<'de>>()? {
        match key.as_str() {
            "Event" => map.next_value_seed(EventSeed {
                st: &mut *st,
                loc: loc.child("Event"),
                allow_list: false,
            })?,
            "response" => map.next_value_seed(EventSeed {
                st: &mut *st,
                loc: loc.child("response"),
                allow_list: true,
            })?,
            "Attribute" => {
                meta.is_event = true;
                map.next_value::<IgnoredAny>()?;
            }
            "Object" => {
                meta.is_event = true;
                let objects: List<RawObjectMeta<'de>> = map.next_value()?;
                let oloc = loc.child("Object");
                let single = objects.single;
                for (i, o) in objects.items.into_iter().enumerate() {
                    let at = if single { oloc.clone() } else { oloc.child(i) };
                    meta.objects.push(skim_object(st, o, &at));
                }
            }
            "Tag" => {
                let list: List<RawTag> = map.next_value()?;
                tags.extend(tag_names(st, list, &loc.child("Tag")));
            }
            "Galaxy" => {
                let list: List<RawGalaxy> = map.next_value()?;
                tags.extend(galaxy_tags(st, &list, &loc.child("Galaxy")));
            }
            "Sighting" => {
                let list: List<Skipped> = map.next_value()?;
                st.summary.sightings += list.items.len() as u64;
            }
            "Orgc" => {
                if let Obj::Ok(o) = map.next_value::<Obj<RawOrg>>()? {
                    org = o.name;
                }
            }
            "info" => {
                meta.is_event = true;
                info = map.next_value::<Scalar<'de>>()?.non_empty_text();
            }
            "uuid" => meta.uuid = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            "date" => date = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            "threat_level_id" => threat = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    meta.scope.apply_tags(tags.iter().map(String::as_str));
    if let Some(h) = threat.as_deref().and_then(threat_level_hint) {
        meta.scope.hint(h);
    }
    if let Some(org) = &org {
        meta.scope.hint(format!("misp-org:{org}"));
    }
    if info.is_some() || org.is_some() || date.is_some() {
        let mut line = format!("event: {}", info.as_deref().unwrap_or("(no info)"));
        match (org, date) {
            (Some(o), Some(d)) => line.push_str(&format!(" ({o}, {d})")),
            (Some(x), None) | (None, Some(x)) => line.push_str(&format!(" ({x})")),
            (None, None) => {}
        }
        meta.scope.context.push(line);
    }
    if let Some(slot) = st.metas.get_mut(ord) {
        *slot = meta;
    }
    Ok(())
}

/// The first pass over one object: its scope for its attributes.
fn skim_object(st: &mut State<'_>, o: Obj<RawObjectMeta<'_>>, loc: &Location) -> ObjectMeta {
    let Obj::Ok(o) = o else {
        return ObjectMeta::default();
    };
    let mut scope = Scope::default();
    let tags = tag_names(st, o.tags, &loc.child("Tag"));
    scope.apply_tags(tags.iter().map(String::as_str));
    if let Some(name) = &o.name {
        scope.hint(format!("misp-object:{name}"));
    }
    if let Some(c) = o.comment {
        scope.context.push(c);
    }
    scope.first_seen =
        time_field(st, o.first_seen.as_ref(), loc, "first_seen", false).unwrap_or_default();
    scope.last_seen =
        time_field(st, o.last_seen.as_ref(), loc, "last_seen", false).unwrap_or_default();
    ObjectMeta { scope }
}

/// The second pass over one event object.
fn stream_event<'de, A: MapAccess<'de>>(
    st: &mut State<'_>,
    ord: usize,
    loc: &Location,
    mut map: A,
) -> Result<(), A::Error> {
    let meta = st
        .metas
        .get_mut(ord)
        .map(std::mem::take)
        .unwrap_or_default();
    let mut objects = 0usize;
    while let Some(key) = map.next_key::<Text<'de>>()? {
        match key.as_str() {
            "Event" => map.next_value_seed(EventSeed {
                st: &mut *st,
                loc: loc.child("Event"),
                allow_list: false,
            })?,
            "response" => map.next_value_seed(EventSeed {
                st: &mut *st,
                loc: loc.child("response"),
                allow_list: true,
            })?,
            "Attribute" => map.next_value_seed(AttributesSeed {
                st: &mut *st,
                loc: loc.child("Attribute"),
                scope: &meta.scope,
            })?,
            "Object" => map.next_value_seed(ObjectsSeed {
                st: &mut *st,
                loc: loc.child("Object"),
                event: &meta,
                next: &mut objects,
            })?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    if meta.is_event {
        st.summary.events += 1;
        if let Some(u) = meta.uuid {
            st.summary.event_uuids.push(u);
        }
    }
    Ok(())
}

/// An event's `Object` value: a list of objects or a single one.
struct ObjectsSeed<'a, 's> {
    st: &'a mut State<'s>,
    loc: Location,
    event: &'a EventMeta,
    /// Objects of this event seen so far (indexes the first pass's metadata).
    next: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for ObjectsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl ObjectsSeed<'_, '_> {
    fn wrong(self, found: JsonType) {
        if found != JsonType::Null {
            self.st
                .error(&MispError::BadList("Object", found), self.loc.clone());
        }
    }
}

impl<'de> Visitor<'de> for ObjectsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MISP objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let scope = self.event.objects.get(*self.next).map(|o| &o.scope);
            let seed = ObjectSeed {
                st: &mut *self.st,
                loc: self.loc.child(i),
                event: &self.event.scope,
                object: scope,
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            *self.next += 1;
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let scope = self.event.objects.get(*self.next).map(|o| &o.scope);
        *self.next += 1;
        stream_object(self.st, &self.loc, &self.event.scope, scope, map)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.wrong(JsonType::Bool);
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.wrong(JsonType::String);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// One object in a list.
struct ObjectSeed<'a, 's> {
    st: &'a mut State<'s>,
    loc: Location,
    event: &'a Scope,
    object: Option<&'a Scope>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl ObjectSeed<'_, '_> {
    fn wrong(self, found: JsonType) {
        self.st
            .error(&MispError::NotAnObject("object", found), self.loc.clone());
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MISP object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        stream_object(self.st, &self.loc, self.event, self.object, map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        drain_seq(seq)?;
        self.wrong(JsonType::Array);
        Ok(())
    }
    reject_scalars!();
}

/// The second pass over one object: its attributes, in its scope.
fn stream_object<'de, A: MapAccess<'de>>(
    st: &mut State<'_>,
    loc: &Location,
    event: &Scope,
    object: Option<&Scope>,
    mut map: A,
) -> Result<(), A::Error> {
    st.summary.objects += 1;
    // The object's scope was read without the event's: combine them once.
    let mut scope = event.clone();
    if let Some(object) = object {
        scope.apply_tags(object.tags.iter().map(String::as_str));
        for h in &object.hints {
            scope.hint(h.clone());
        }
        scope.first_seen = object.first_seen.or(scope.first_seen);
        scope.last_seen = object.last_seen.or(scope.last_seen);
        let mut context = object.context.clone();
        context.append(&mut scope.context);
        scope.context = context;
    }
    while let Some(key) = map.next_key::<Text<'de>>()? {
        if key.as_str() == "Attribute" {
            map.next_value_seed(AttributesSeed {
                st: &mut *st,
                loc: loc.child("Attribute"),
                scope: &scope,
            })?;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// An `Attribute` value: a list of attributes or a single one.
struct AttributesSeed<'a, 's> {
    st: &'a mut State<'s>,
    loc: Location,
    scope: &'a Scope,
}

impl<'de> DeserializeSeed<'de> for AttributesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl AttributesSeed<'_, '_> {
    fn wrong(self, found: JsonType) {
        if found != JsonType::Null {
            self.st
                .error(&MispError::BadList("Attribute", found), self.loc.clone());
        }
    }
}

impl<'de> Visitor<'de> for AttributesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MISP attributes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(AttributeSeed {
                st: &mut *self.st,
                loc: self.loc.child(i),
                scope: self.scope,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        AttributeSeed {
            st: self.st,
            loc: self.loc,
            scope: self.scope,
        }
        .visit_map(map)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.wrong(JsonType::Bool);
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong(JsonType::Number);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.wrong(JsonType::String);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// One attribute.
struct AttributeSeed<'a, 's> {
    st: &'a mut State<'s>,
    loc: Location,
    scope: &'a Scope,
}

impl<'de> DeserializeSeed<'de> for AttributeSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.st.records_exhausted {
            <IgnoredAny as serde::Deserialize>::deserialize(d)?;
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

impl AttributeSeed<'_, '_> {
    fn wrong(self, found: JsonType) {
        if self.st.count_record(&self.loc) {
            self.st.summary.attributes += 1;
            self.st.error(
                &MispError::NotAnObject("attribute", found),
                self.loc.clone(),
            );
        }
    }
}

impl<'de> Visitor<'de> for AttributeSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MISP attribute")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        if self.st.records_exhausted {
            return drain_map(map);
        }
        let raw = RawAttribute::from_map(map)?;
        if self.st.count_record(&self.loc) {
            emit_attribute(self.st, raw, &self.loc, self.scope);
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        drain_seq(seq)?;
        self.wrong(JsonType::Array);
        Ok(())
    }
    reject_scalars!();
}

impl State<'_> {
    /// Counts one attribute against `max_records`; `false` (after reporting
    /// once) when the limit is reached and the attribute must be dropped.
    fn count_record(&mut self, loc: &Location) -> bool {
        if self.records_exhausted {
            return false;
        }
        if self.records >= self.ctx.limits.max_records {
            self.records_exhausted = true;
            self.error(
                &MispError::TooManyRecords(self.ctx.limits.max_records),
                loc.clone(),
            );
            return false;
        }
        self.records += 1;
        true
    }
}

/// A value for a message: at most 80 characters.
pub(crate) fn short(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{:?}…", s.get(..i).unwrap_or_default()),
        None => format!("{s:?}"),
    }
}

/// Turns one attribute into observations.
fn emit_attribute(st: &mut State<'_>, raw: RawAttribute<'_>, loc: &Location, outer: &Scope) {
    st.summary.attributes += 1;
    let misp_type = match &raw.misp_type {
        Some(Scalar::Str(t)) => t.as_ref(),
        Some(other) => {
            st.error(
                &MispError::BadField("type", other.found()),
                loc.child("type"),
            );
            return;
        }
        None => {
            st.error(&MispError::MissingField("type"), loc.clone());
            return;
        }
    };
    *st.summary
        .attributes_by_type
        .entry(misp_type.to_owned())
        .or_insert(0) += 1;
    let map = mapping(misp_type);
    if map == Mapping::Unsupported {
        *st.summary
            .unsupported_by_type
            .entry(misp_type.to_owned())
            .or_insert(0) += 1;
        st.error(
            &MispError::UnsupportedType(short(misp_type)),
            loc.child("type"),
        );
        return;
    }
    let value_loc = loc.child("value");
    let value = match &raw.value {
        Some(Scalar::Str(v)) => v.as_ref(),
        Some(other) => {
            st.error(&MispError::BadField("value", other.found()), value_loc);
            return;
        }
        None => {
            st.error(&MispError::MissingField("value"), loc.clone());
            return;
        }
    };
    let max = st.ctx.limits.max_value_bytes;
    if value.len() > max {
        st.error(&MispError::ValueTooLong(value.len(), max), value_loc);
        return;
    }
    if value.trim().is_empty() {
        st.error(&MispError::EmptyValue, value_loc);
        return;
    }

    // The attribute's own scope on top of the event's (and object's).
    let mut scope = outer.clone();
    let mut tags = tag_names(st, raw.tags, &loc.child("Tag"));
    tags.extend(galaxy_tags(st, &raw.galaxies, &loc.child("Galaxy")));
    scope.apply_tags(tags.iter().map(String::as_str));
    if let Some(c) = raw.category.as_ref().and_then(Scalar::non_empty_text) {
        scope.hint(format!("misp-category:{c}"));
    }
    scope.hint(format!("misp-type:{misp_type}"));
    // Specification violations: warnings that keep the record, or in strict
    // mode errors that drop it (all are reported before dropping).
    let mut drop = false;
    let shown = |s: &Scalar<'_>| s.text().map_or_else(|| s.found().to_string(), short);
    let mut flag = |st: &mut State<'_>, field: &'static str, value: Option<&Scalar<'_>>| {
        let value = value?;
        let f = value.flag();
        if f.is_none() {
            drop |= st.violation(&MispError::BadFlag(field, shown(value)), loc.child(field));
        }
        f
    };
    if flag(st, "to_ids", raw.to_ids.as_ref()) == Some(false) {
        scope.hint("to_ids:false".to_owned());
    }
    let withdrawn = flag(st, "deleted", raw.deleted.as_ref()).unwrap_or(false);
    if let Some(ts) = &raw.timestamp
        && !matches!(ts, Scalar::Null)
        && ts.integer().is_none()
    {
        let e = MispError::BadTime("timestamp", shown(ts));
        drop |= st.violation(&e, loc.child("timestamp"));
    }
    let first_seen = time_field(st, raw.first_seen.as_ref(), loc, "first_seen", true);
    let last_seen = time_field(st, raw.last_seen.as_ref(), loc, "last_seen", true);
    let (Ok(mut first_seen), Ok(mut last_seen)) = (first_seen, last_seen) else {
        return;
    };
    if drop {
        return;
    }
    if let Some(found) = raw.sightings.wrong {
        st.error(
            &MispError::BadList("Sighting", found),
            loc.child("Sighting"),
        );
    }
    st.summary.sightings += raw.sightings.items.len() as u64;
    let mut seen = raw.sightings.items.iter().filter_map(|s| match s {
        // Type 0 (or none) is a sighting; 1 false positive and 2 expiration are not.
        Obj::Ok(s) if s.kind.unwrap_or(0) == 0 => s.date,
        _ => None,
    });
    if let Some(first) = seen.next() {
        let (lo, hi) = seen.fold((first, first), |(lo, hi), d| (lo.min(d), hi.max(d)));
        let at = |secs| time::OffsetDateTime::from_unix_timestamp(secs).ok();
        first_seen = first_seen.or_else(|| at(lo));
        last_seen = last_seen.or_else(|| at(hi));
    }
    let first_seen = first_seen.or(scope.first_seen);
    let last_seen = last_seen.or(scope.last_seen);

    let mut context: Vec<String> = Vec::new();
    if let Some(c) = raw.comment.as_ref().and_then(Scalar::non_empty_text) {
        context.push(c);
    }

    let source_id = raw.uuid.as_ref().and_then(Scalar::non_empty_text);
    let base = |kind, value: &str, context: &[String]| {
        let mut o = Observation::new(Some(kind), value, value_loc.clone());
        o.tlp = scope.tlp;
        o.admiralty = scope.admiralty;
        o.first_seen = first_seen;
        o.last_seen = last_seen;
        o.tags.clone_from(&scope.tags);
        o.malware.clone_from(&scope.malware);
        o.hints.clone_from(&scope.hints);
        o.withdrawn = withdrawn;
        o.source_id.clone_from(&source_id);
        let lines: Vec<&str> = context
            .iter()
            .chain(scope.context.iter())
            .map(String::as_str)
            .collect();
        o.context = (!lines.is_empty()).then(|| lines.join("\n"));
        o
    };

    let split = |first: bool| {
        let parts = if first {
            value.split_once('|')
        } else {
            value.rsplit_once('|')
        };
        parts
            .map(|(a, b)| (a.trim(), b.trim()))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
    };
    let bad_composite = |st: &mut State<'_>| {
        st.error(
            &MispError::BadComposite(misp_type.to_owned(), short(value)),
            value_loc.clone(),
        );
    };
    match map {
        Mapping::Unsupported => {}
        Mapping::Plain(target) => {
            let o = base(target.kind(value), value, &context);
            st.observation(o);
        }
        Mapping::WithPort(target) => {
            let Some((host, port)) = split(false) else {
                return bad_composite(st);
            };
            let port = match port.parse::<u16>() {
                Ok(p) => Some(p),
                Err(_) => {
                    if st.violation(&MispError::BadPort(short(port)), value_loc.clone()) {
                        return;
                    }
                    None
                }
            };
            let mut o = base(target.kind(host), host, &context);
            o.port = port;
            st.observation(o);
        }
        Mapping::DomainIp => {
            let Some((domain, ip)) = split(true) else {
                return bad_composite(st);
            };
            let ip_kind = ip_kind(ip);
            let mut d = base(pelita_model::IndicatorKind::Domain, domain, &context);
            d.related.push(Related {
                relation: Relation::ResolvesTo,
                kind: Some(ip_kind),
                value: ip.to_owned(),
            });
            st.observation(d);
            let i = base(ip_kind, ip, &context);
            st.observation(i);
        }
        Mapping::FileHash(kind) => {
            let Some((file, hash)) = split(false) else {
                return bad_composite(st);
            };
            context.insert(0, format!("file name: {file}"));
            let o = base(kind, hash, &context);
            st.observation(o);
        }
    }
}
