//! The reader's state across both passes and what turns the framed,
//! parsed values into observations and problems (see the crate docs for
//! why two passes, and [`crate::walk`] for the walk itself).

use std::borrow::Cow;

use pelita_model::{
    Location, Observation, ParseContext, Problem, Related, Relation, Severity, Sink,
};

use crate::Summary;
use crate::error::MispError;
use crate::frame::FrameError;
use crate::json::{List, Obj, Scalar};
use crate::raw::{RawAttribute, RawGalaxy, RawObjectMeta, RawTag};
use crate::scope::{Scope, parse_time, threat_level_hint};
use crate::types::{Mapping, ip_kind, mapping};
use crate::walk::{Walker, event_value};

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
    pub scope: Scope,
    /// The object's template (`name`: `domain-ip`, `file`, …).
    pub template: Option<String>,
}

/// What the first pass learns about one event (any JSON object the reader
/// treats as a possible event, numbered in document order).
#[derive(Debug, Default)]
pub(crate) struct EventMeta {
    /// Has `Attribute`, `Object` or `info`.
    pub is_event: bool,
    pub uuid: Option<String>,
    pub scope: Scope,
    pub objects: Vec<ObjectMeta>,
}

/// An event's own fields that make its scope, gathered by the first pass
/// (they may come in any order, before or after the attributes).
#[derive(Debug, Default)]
pub(crate) struct EventFields {
    pub tags: Vec<String>,
    pub info: Option<String>,
    pub org: Option<String>,
    pub date: Option<String>,
    pub threat: Option<String>,
}

impl EventFields {
    /// The event's scope from its fields.
    pub(crate) fn finish(self, scope: &mut Scope) {
        scope.apply_tags(self.tags.iter().map(String::as_str));
        if let Some(h) = self.threat.as_deref().and_then(threat_level_hint) {
            scope.hint(h);
        }
        if let Some(org) = &self.org {
            scope.hint(format!("misp-org:{org}"));
        }
        if self.info.is_some() || self.org.is_some() || self.date.is_some() {
            let mut line = format!("event: {}", self.info.as_deref().unwrap_or("(no info)"));
            match (self.org, self.date) {
                (Some(o), Some(d)) => line.push_str(&format!(" ({o}, {d})")),
                (Some(x), None) | (None, Some(x)) => line.push_str(&format!(" ({x})")),
                (None, None) => {}
            }
            scope.context.push(line);
        }
    }
}

/// The reader's state across both passes.
pub(crate) struct State<'s> {
    pub mode: Mode,
    pub ctx: &'s ParseContext,
    sink: &'s mut dyn Sink,
    pub metas: Vec<EventMeta>,
    pub next_ordinal: usize,
    pub summary: Summary,
    records: u64,
    records_exhausted: bool,
    /// The observations of the object being streamed, held until its end
    /// when its template relates its attributes (`domain-ip`).
    held: Option<Vec<Observation>>,
}

/// Most observations of one object held back to relate them; a larger
/// object's go out as they come, unrelated.
const HOLD_CAP: usize = 1_000;

/// Most addresses a `domain-ip` object's names are related to.
const RELATED_CAP: usize = 16;

impl<'s> State<'s> {
    pub(crate) fn new(ctx: &'s ParseContext, sink: &'s mut dyn Sink) -> Self {
        State {
            mode: Mode::Skim,
            ctx,
            sink,
            metas: Vec::new(),
            next_ordinal: 0,
            summary: Summary::default(),
            held: None,
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
        if let Some(held) = &mut self.held {
            if held.len() < HOLD_CAP {
                held.push(o);
                return;
            }
            // Too many to hold: what was held goes out unrelated, and the
            // rest of the object as it comes.
            for h in std::mem::take(held) {
                self.sink.observation(h);
            }
            self.held = None;
        }
        self.sink.observation(o);
    }

    /// Holds back the observations of the object about to be streamed, for
    /// [`State::release_domain_ip`].
    pub(crate) fn hold(&mut self) {
        self.held = Some(Vec::new());
    }

    /// Sends the observations held back for a `domain-ip` object, each
    /// domain or host name related to the object's addresses as MISP's
    /// `domain|ip` attribute relates its two halves.
    pub(crate) fn release_domain_ip(&mut self) {
        let Some(mut held) = self.held.take() else {
            return;
        };
        let addresses: Vec<Related> = held
            .iter()
            .filter(|o| !o.withdrawn)
            .filter_map(|o| match o.kind {
                Some(
                    k @ (pelita_model::IndicatorKind::Ipv4 | pelita_model::IndicatorKind::Ipv6),
                ) => Some(Related {
                    relation: Relation::ResolvesTo,
                    kind: Some(k),
                    value: o.value.clone(),
                }),
                _ => None,
            })
            .take(RELATED_CAP)
            .collect();
        for o in &mut held {
            if o.kind == Some(pelita_model::IndicatorKind::Domain) {
                for a in &addresses {
                    if !o.related.contains(a) {
                        o.related.push(a.clone());
                    }
                }
            }
        }
        for o in held {
            self.sink.observation(o);
        }
    }

    /// Walks the whole document in the current mode.
    pub(crate) fn run<R: std::io::BufRead>(
        &mut self,
        input: R,
        start: u64,
        spans: Vec<crate::json::Span>,
        root: &Location,
    ) -> Result<(), FrameError> {
        self.next_ordinal = 0;
        let mut w = Walker::new(input, start, spans);
        event_value(self, &mut w, root, true)?;
        w.end()
    }
}

/// Tag names of a tag list, reporting malformed items (first pass for event
/// and object tags, second pass for attribute tags).
pub(crate) fn tag_names(st: &mut State<'_>, tags: List<RawTag>, loc: &Location) -> Vec<String> {
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
pub(crate) fn galaxy_tags(
    st: &mut State<'_>,
    galaxies: &List<RawGalaxy>,
    loc: &Location,
) -> Vec<String> {
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

/// An object's scope for its attributes, from its own fields.
pub(crate) fn object_meta(st: &mut State<'_>, o: RawObjectMeta<'_>, loc: &Location) -> ObjectMeta {
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
    ObjectMeta {
        scope,
        template: o.name,
    }
}

/// An object's scope on top of its event's (the first pass read the
/// object's without the event's: they are combined once per object).
pub(crate) fn object_scope(event: &Scope, object: Option<&Scope>) -> Scope {
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
    scope
}

impl State<'_> {
    /// Whether `max_records` was reached (the rest of the attributes are skipped).
    pub(crate) fn records_exhausted(&self) -> bool {
        self.records_exhausted
    }

    /// Counts one attribute against `max_records`; `false` (after reporting
    /// once) when the limit is reached and the attribute must be dropped.
    pub(crate) fn count_record(&mut self, loc: &Location) -> bool {
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

/// Counts one attribute of `misp_type` (allocating its key the first time only).
fn count_type(counts: &mut std::collections::BTreeMap<String, u64>, misp_type: &str) {
    match counts.get_mut(misp_type) {
        Some(n) => *n += 1,
        None => {
            counts.insert(misp_type.to_owned(), 1);
        }
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
pub(crate) fn emit_attribute(
    st: &mut State<'_>,
    raw: RawAttribute<'_>,
    loc: &Location,
    outer: &Scope,
) {
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
    count_type(&mut st.summary.attributes_by_type, misp_type);
    let map = mapping(misp_type);
    if map == Mapping::Unsupported {
        count_type(&mut st.summary.unsupported_by_type, misp_type);
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

    // The attribute's own scope on top of the event's (and object's),
    // copied only when the attribute has tags of its own.
    let mut tags = Vec::new();
    if !raw.tags.items.is_empty() || raw.tags.wrong.is_some() {
        tags = tag_names(st, raw.tags, &loc.child("Tag"));
    }
    if !raw.galaxies.items.is_empty() || raw.galaxies.wrong.is_some() {
        tags.extend(galaxy_tags(st, &raw.galaxies, &loc.child("Galaxy")));
    }
    let scope: Cow<'_, Scope> = if tags.is_empty() {
        Cow::Borrowed(outer)
    } else {
        let mut scope = outer.clone();
        scope.apply_tags(tags.iter().map(String::as_str));
        Cow::Owned(scope)
    };
    // The attribute's own hints, after the scope's (each once).
    let mut hints = scope.hints.clone();
    let mut hint = |h: String| {
        if !hints.contains(&h) {
            hints.push(h);
        }
    };
    if let Some(c) = raw.category.as_ref().and_then(Scalar::text).map(str::trim)
        && !c.is_empty()
    {
        hint(format!("misp-category:{c}"));
    }
    hint(format!("misp-type:{misp_type}"));
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
        hint("to_ids:false".to_owned());
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
        o.hints.clone_from(&hints);
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
