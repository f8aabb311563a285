//! Turning one STIX object into observations and problems.
//!
//! [`Ingest`] sees the objects of a submission one at a time, in order. It
//! validates each ([`crate::validate`]), builds the typed view
//! ([`crate::model`]), and sends observations to the sink with their context
//! (TLP, times, labels, types, revocation, id, name/description, and the
//! `confidence` as an Admiralty credibility grade). What it
//! remembers between objects is bounded ([`MEMORY_CAP`] entries per table):
//! malware, campaign, threat-actor and intrusion-set names, `indicates`
//! relationships, TLP marking definitions, and the domains and addresses
//! objects name, for `resolves-to` statements ([`crate::resolve`]).
//!
//! Bundles usually list their relationships last, after the indicators
//! they concern. A source that can be read twice (an archived submission)
//! is therefore read first by a learning pass ([`Learned`]) that keeps only
//! the `indicates` relationships and the names they point to, so that the
//! second pass gives each indicator its malware family and attribution
//! whatever the order. In a single pass ([`crate::parse`]) context that
//! arrives *after* the object it concerns is not applied, except a
//! `resolves-to` statement, which is used whichever comes first.

use std::collections::HashMap;

use pelita_model::{
    IndicatorKind, Location, Observation, ParseContext, Problem, Related, Relation, Severity, Sink,
    Tlp,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::Summary;
use crate::model::{Body, MarkingDefinition, ObjectClass, Sco, SpecVersion, StixObject};
use crate::pattern::Pattern;
use crate::pattern::parse_pattern;
use crate::reduce::{domain_kind, hash_kind, ipv4_kind, ipv6_kind, reduce};
use crate::resolve::{End, Resolver, Role, Statement};
use crate::validate::{parse_timestamp, validate_object_keeping_pattern};

/// Most entries kept in each cross-object table.
pub const MEMORY_CAP: usize = 100_000;

/// Longest context text kept on an observation, in characters.
pub const CONTEXT_CHARS: usize = 500;

/// Most `indicates` targets kept for one indicator.
const TARGETS_CAP: usize = 16;

/// What a learning pass keeps of a submission for the pass that uses it:
/// each indicator's `indicates` targets, and the names of the malware,
/// campaigns, threat actors and intrusion sets they point to. Bounded
/// like every cross-object table ([`MEMORY_CAP`] entries each).
#[derive(Debug, Default)]
pub struct Learned {
    malware: HashMap<String, (String, Vec<String>)>,
    indicates: HashMap<String, Vec<String>>,
    attributions: HashMap<String, String>,
}

/// The types of object an `indicates` relationship is learned for, as its target.
const INDICATED: [&str; 4] = ["malware", "campaign", "threat-actor", "intrusion-set"];

impl Learned {
    /// Whether an object of this type (and relationship type) can add to
    /// what is learned; the learning pass skips every other object unread.
    pub(crate) fn wants(object_type: &str, relationship_type: Option<&str>) -> bool {
        match object_type {
            "relationship" => relationship_type == Some("indicates"),
            t => INDICATED.contains(&t),
        }
    }

    /// Keeps that indicator `source` indicates `target`, when the target is
    /// of a type in [`INDICATED`] (at most [`TARGETS_CAP`] targets each, in
    /// the order stated).
    fn indicate(&mut self, source: &str, target: &str) {
        let of_type = |prefix: &str| target.split_once("--").is_some_and(|(t, _)| t == prefix);
        if !source.starts_with("indicator--") || !INDICATED.iter().any(|t| of_type(t)) {
            return;
        }
        let known = self.indicates.len();
        match self.indicates.get_mut(source) {
            Some(targets)
                if targets.len() < TARGETS_CAP && !targets.iter().any(|x| x == target) =>
            {
                targets.push(target.to_owned());
            }
            Some(_) => {}
            None if known < MEMORY_CAP => {
                self.indicates
                    .insert(source.to_owned(), vec![target.to_owned()]);
            }
            None => {}
        }
    }
}

/// The per-submission state of ingestion.
pub(crate) struct Ingest<'a> {
    pub ctx: &'a ParseContext,
    pub sink: &'a mut dyn Sink,
    pub on_object: &'a mut dyn FnMut(&StixObject),
    pub summary: Summary,
    learned: Learned,
    tlp_defs: HashMap<String, Tlp>,
    resolver: Resolver,
}

/// Adds `rel` to what `o` is related to, once.
fn relate(o: &mut Observation, rel: Related) {
    if !o.related.contains(&rel) {
        o.related.push(rel);
    }
}

/// What an observation inherits from the object it came from.
#[derive(Clone)]
struct Context {
    tlp: Option<Tlp>,
    tags: Vec<String>,
    hints: Vec<String>,
    malware: Option<String>,
    /// From the object's `confidence`, by the specification's mapping.
    credibility: Option<pelita_model::Credibility>,
    withdrawn: bool,
    source_id: Option<String>,
    context: Option<String>,
    first_seen: Option<OffsetDateTime>,
    last_seen: Option<OffsetDateTime>,
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(CONTEXT_CHARS) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_owned(),
    }
}

fn join_context(name: Option<&str>, description: Option<&str>) -> Option<String> {
    match (name, description) {
        (Some(n), Some(d)) => Some(truncate(&format!("{n}: {d}"))),
        (Some(x), None) | (None, Some(x)) => Some(truncate(x)),
        (None, None) => None,
    }
}

fn ts(s: Option<&String>) -> Option<OffsetDateTime> {
    s.and_then(|s| parse_timestamp(s).ok())
}

/// Adds `hint` to `hints` unless it is there already.
fn push_new(hints: &mut Vec<String>, hint: String) {
    if !hints.contains(&hint) {
        hints.push(hint);
    }
}

fn remember<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, k: K, v: V) {
    if map.len() < MEMORY_CAP || map.contains_key(&k) {
        map.insert(k, v);
    }
}

impl<'a> Ingest<'a> {
    pub fn new(
        ctx: &'a ParseContext,
        sink: &'a mut dyn Sink,
        on_object: &'a mut dyn FnMut(&StixObject),
    ) -> Self {
        Ingest {
            ctx,
            sink,
            on_object,
            summary: Summary::default(),
            learned: Learned::default(),
            tlp_defs: HashMap::new(),
            resolver: Resolver::default(),
        }
    }

    /// Starts from what a learning pass over the same submission kept.
    pub fn with_learned(mut self, learned: Learned) -> Self {
        self.learned = learned;
        self
    }

    /// What this pass learned (for the pass after it).
    pub fn into_learned(self) -> Learned {
        self.learned
    }

    pub fn problem(&mut self, p: Problem) {
        match p.severity {
            Severity::Error => self.summary.errors += 1,
            Severity::Warning => self.summary.warnings += 1,
            Severity::Unsupported => self.summary.unsupported += 1,
        }
        self.sink.problem(p);
    }

    fn observation(&mut self, o: Observation) {
        self.summary.observations += 1;
        self.sink.observation(o);
    }

    /// Emits an object's own observations, and the observations of the
    /// `resolves-to` statements it completed: a statement that restates one
    /// of them (same value, location and marking) adds its related values to
    /// it instead of being a second observation.
    fn emit_all(&mut self, mut own: Vec<Observation>, restated: Vec<Observation>) {
        for r in restated {
            let same = own.iter_mut().find(|o| {
                o.value == r.value && o.kind == r.kind && o.location == r.location && o.tlp == r.tlp
            });
            match same {
                Some(o) => {
                    for rel in r.related {
                        relate(o, rel);
                    }
                }
                None => own.push(r),
            }
        }
        for o in own {
            self.observation(o);
        }
    }

    /// Ends the submission: reports the `resolves-to` statements not used.
    pub fn finish(&mut self) {
        self.resolver.finish();
        self.summary.resolves_to = self.resolver.resolved;
        self.summary.resolves_to_unused = self.resolver.unresolved;
        if let Some(loc) = self.resolver.first_unresolved.take() {
            let n = self.resolver.unresolved;
            self.problem(Problem::unsupported(
                "stix.resolves-to-unused",
                format!(
                    "{n} resolves-to statement(s) (relationships or resolves_to_refs) name no domain and address in this submission, or exceed what is remembered; not used"
                ),
                loc,
            ));
        }
    }

    fn violation_severity(&self) -> Severity {
        if self.ctx.strict {
            Severity::Error
        } else {
            Severity::Warning
        }
    }

    /// One object of the submission at `loc` (its pointer names the object).
    pub fn object(&mut self, raw: Value, loc: &Location) {
        self.summary.objects += 1;
        let pointer = loc.pointer.clone().unwrap_or_default();
        let type_name = raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("(no type)")
            .to_owned();
        *self.summary.by_type.entry(type_name.clone()).or_insert(0) += 1;
        let name = raw.get("id").and_then(Value::as_str).map_or_else(
            || {
                format!(
                    "object at {}",
                    if pointer.is_empty() { "/" } else { &pointer }
                )
            },
            str::to_owned,
        );

        let (violations, parsed) = validate_object_keeping_pattern(&raw);
        let severity = self.violation_severity();
        let unusable = !raw.is_object() || !raw.get("type").is_some_and(Value::is_string);
        let dropped = unusable || (self.ctx.strict && !violations.is_empty());
        for v in violations {
            let sev = if unusable { Severity::Error } else { severity };
            let l = loc.clone().with_pointer(format!("{pointer}{}", v.pointer));
            self.problem(Problem::new(
                sev,
                v.code,
                format!("{name}: {}", v.message),
                l,
            ));
        }
        if dropped {
            self.summary.dropped += 1;
            return;
        }
        let obj = match StixObject::from_raw(raw) {
            Ok(o) => o,
            Err(e) => {
                self.problem(Problem::error(
                    "stix.bad-property",
                    format!("{name}: cannot be read: {e}"),
                    loc.clone(),
                ));
                self.summary.dropped += 1;
                return;
            }
        };
        if obj.version == SpecVersion::V2_0 {
            self.summary.upgraded += 1;
        }
        if ObjectClass::of(&type_name) == ObjectClass::Custom {
            self.summary.custom_objects += 1;
        }
        self.use_object(&obj, loc, parsed);
        (self.on_object)(&obj);
    }

    fn tlp_of(&self, obj: &StixObject) -> Option<Tlp> {
        obj.common
            .object_marking_refs
            .iter()
            .filter_map(|r| Tlp::from_stix_id(r).or_else(|| self.tlp_defs.get(r).copied()))
            .max()
    }

    fn base_context(&self, obj: &StixObject) -> Context {
        Context {
            tlp: self.tlp_of(obj),
            tags: obj.common.labels.clone(),
            hints: Vec::new(),
            malware: None,
            credibility: obj
                .common
                .confidence
                .and_then(pelita_model::Credibility::from_stix_confidence),
            withdrawn: obj.common.revoked,
            source_id: obj.common.id.clone(),
            context: None,
            first_seen: None,
            last_seen: None,
        }
    }

    fn emit(
        &mut self,
        c: &Context,
        kind: Option<IndicatorKind>,
        value: &str,
        loc: Location,
        related: Vec<Related>,
    ) -> bool {
        match self.make(c, kind, value, loc) {
            Some(mut o) => {
                o.related = related;
                self.observation(o);
                true
            }
            None => false,
        }
    }

    /// The observation of `value` with the context `c`, or a located
    /// problem when the value is too long.
    fn make(
        &mut self,
        c: &Context,
        kind: Option<IndicatorKind>,
        value: &str,
        loc: Location,
    ) -> Option<Observation> {
        if value.len() > self.ctx.limits.max_value_bytes {
            self.problem(Problem::error(
                "limit.value-too-long",
                format!(
                    "{}: value of {} bytes is longer than the limit of {} bytes",
                    c.source_id.as_deref().unwrap_or("object"),
                    value.len(),
                    self.ctx.limits.max_value_bytes
                ),
                loc,
            ));
            return None;
        }
        let mut o = Observation::new(kind, value, loc);
        o.tlp = c.tlp;
        o.tags.clone_from(&c.tags);
        o.hints.clone_from(&c.hints);
        o.malware.clone_from(&c.malware);
        o.admiralty.credibility = c.credibility;
        o.withdrawn = c.withdrawn;
        o.source_id.clone_from(&c.source_id);
        o.context.clone_from(&c.context);
        o.first_seen = c.first_seen;
        o.last_seen = c.last_seen;
        Some(o)
    }

    /// `parsed`: the pattern as validation parsed it, if it did.
    fn use_object(
        &mut self,
        obj: &StixObject,
        loc: &Location,
        parsed: Option<Result<Pattern, ()>>,
    ) {
        match &obj.body {
            Body::Indicator(i) => self.indicator(obj, i, loc, parsed),
            Body::ObservedData(od) => {
                let mut c = self.base_context(obj);
                c.first_seen = ts(od.first_observed.as_ref());
                c.last_seen = ts(od.last_observed.as_ref());
                let objects = od.objects.clone();
                let base = loc.child("objects");
                for (k, o) in &objects {
                    let Some(t) = o.get("type").and_then(Value::as_str) else {
                        continue;
                    };
                    let Ok(sco) = crate::model::sco(t, o) else {
                        continue;
                    };
                    let related = resolves_in_dict(o, &objects);
                    self.sco(&c, t, &sco, &base.child(k), related);
                }
            }
            Body::Sco(s) => {
                let c = self.base_context(obj);
                let t = obj.common.object_type.clone();
                self.top_level_sco(obj, &c, &t, s, loc);
            }
            Body::Malware(m) => {
                if let (Some(id), Some(name)) = (&obj.common.id, &m.name) {
                    remember(
                        &mut self.learned.malware,
                        id.clone(),
                        (name.clone(), m.malware_types.clone()),
                    );
                }
            }
            Body::Campaign(n) | Body::ThreatActor(n) | Body::IntrusionSet(n) => {
                if let (Some(id), Some(name)) = (&obj.common.id, &n.name) {
                    let hint = format!("stix-{}:{name}", obj.common.object_type);
                    remember(&mut self.learned.attributions, id.clone(), hint);
                }
            }
            Body::Relationship(r) => {
                // A withdrawn statement is not used.
                if !obj.common.revoked
                    && let (Some(s), Some(t)) = (&r.source_ref, &r.target_ref)
                {
                    match r.relationship_type.as_deref() {
                        Some("indicates") => self.learned.indicate(s, t),
                        Some("resolves-to") => {
                            let restated = self.resolver.statement(Statement {
                                source: s.clone(),
                                target: t.clone(),
                                tlp: self.tlp_of(obj),
                                location: loc.clone(),
                                stated_by: obj.common.id.clone(),
                            });
                            self.emit_all(Vec::new(), restated);
                        }
                        _ => {}
                    }
                }
            }
            Body::MarkingDefinition(MarkingDefinition::Tlp(Some(t))) => {
                if let Some(id) = &obj.common.id {
                    remember(&mut self.tlp_defs, id.clone(), *t);
                }
            }
            _ => {}
        }
    }

    fn indicator(
        &mut self,
        obj: &StixObject,
        i: &crate::model::Indicator,
        loc: &Location,
        parsed: Option<Result<Pattern, ()>>,
    ) {
        let Some(pattern) = &i.pattern else { return };
        let ploc = loc.child("pattern");
        let id = obj.id().unwrap_or("indicator").to_owned();
        match i.pattern_type.as_deref() {
            None | Some("stix") => {}
            Some(other) => {
                self.summary.patterns_unsupported += 1;
                self.problem(Problem::unsupported(
                    "stix.pattern-type-unsupported",
                    format!("{id}: pattern_type {other:?} is not turned into indicators"),
                    ploc,
                ));
                return;
            }
        }
        if pattern.len() > self.ctx.limits.max_value_bytes {
            self.summary.patterns_invalid += 1;
            self.problem(Problem::error(
                "limit.value-too-long",
                format!(
                    "{id}: pattern of {} bytes is longer than the limit of {} bytes",
                    pattern.len(),
                    self.ctx.limits.max_value_bytes
                ),
                ploc,
            ));
            return;
        }
        // Validation parsed the same `pattern` string of the same object
        // whenever its `pattern_type` is absent or `stix`; parse only if it did not.
        let parsed = match parsed.unwrap_or_else(|| parse_pattern(pattern).map_err(|_| ())) {
            Ok(p) => p,
            Err(()) => {
                // Already reported by validation (stix.bad-pattern).
                self.summary.patterns_invalid += 1;
                return;
            }
        };
        self.summary.patterns_parsed += 1;
        let reduction = reduce(&parsed);
        let mut c = self.base_context(obj);
        c.first_seen = ts(i.valid_from.as_ref());
        c.context = join_context(i.name.as_deref(), i.description.as_deref());
        c.hints = i
            .indicator_types
            .iter()
            .map(|t| format!("stix-indicator-type:{t}"))
            .collect();
        // What the indicator indicates, in the order the relationships came:
        // the first malware named is its family, campaigns, threat actors
        // and intrusion sets are hints.
        let targets = obj.id().and_then(|id| self.learned.indicates.get(id));
        for t in targets.into_iter().flatten() {
            if let Some((name, types)) = self.learned.malware.get(t) {
                if c.malware.is_none() {
                    c.malware = Some(name.clone());
                }
                for t in types {
                    push_new(&mut c.hints, format!("stix-malware-type:{t}"));
                }
            } else if let Some(hint) = self.learned.attributions.get(t) {
                push_new(&mut c.hints, hint.clone());
            }
        }
        let mut own = Vec::new();
        let mut ends = Vec::new();
        for cand in &reduction.candidates {
            if let Some(mut o) = self.make(&c, cand.kind, &cand.value, ploc.clone()) {
                if cand.path == "domain-name:value" {
                    // What the pattern says this domain resolves to.
                    for r in reduction
                        .resolutions
                        .iter()
                        .filter(|r| r.domain == cand.value)
                    {
                        relate(
                            &mut o,
                            Related {
                                relation: Relation::ResolvesTo,
                                kind: r.target_kind,
                                value: r.target.clone(),
                            },
                        );
                    }
                }
                let role = match cand.path.as_str() {
                    "domain-name:value" => Some(Role::Domain),
                    "ipv4-addr:value" | "ipv6-addr:value" => Some(Role::Address),
                    _ => None,
                };
                if let Some(role) = role {
                    let mut end = o.clone();
                    end.related.clear();
                    ends.push(End {
                        role,
                        observation: end,
                    });
                }
                own.push(o);
            }
        }
        let emitted = own.len();
        let restated = match obj.id() {
            Some(key) => self.resolver.arrived(key, ends),
            None => Vec::new(),
        };
        self.emit_all(own, restated);
        if emitted > 0 {
            self.summary.patterns_reduced += 1;
        } else {
            self.summary.patterns_unsupported += 1;
        }
        if !reduction.unsupported.is_empty() {
            let mut list = reduction.unsupported.clone();
            list.sort();
            list.dedup();
            let what = if emitted == 0 {
                "yields no indicator"
            } else {
                "is only partly turned into indicators"
            };
            self.problem(Problem::unsupported(
                "stix.pattern-unsupported",
                format!("{id}: pattern {what}; not used: {}", list.join(", ")),
                ploc,
            ));
        }
    }

    /// The observation of an observable with a `value` (addresses, names,
    /// URLs); `None` for other observables, a missing value or one too long.
    fn value_observation(
        &mut self,
        c: &Context,
        t: &str,
        sco: &Sco,
        loc: &Location,
    ) -> Option<Observation> {
        let (Sco::Ipv4Addr(a)
        | Sco::Ipv6Addr(a)
        | Sco::DomainName(a)
        | Sco::Url(a)
        | Sco::EmailAddr(a)) = sco
        else {
            return None;
        };
        let v = a.value.as_ref()?;
        let kind = match sco {
            Sco::Ipv4Addr(_) => ipv4_kind(v),
            Sco::Ipv6Addr(_) => ipv6_kind(v),
            Sco::DomainName(_) => domain_kind(v),
            Sco::Url(_) => Some(IndicatorKind::Url),
            _ => Some(IndicatorKind::Email),
        };
        let mut c2 = c.clone();
        c2.hints.push(format!("stix-observable:{t}"));
        self.make(&c2, kind, v, loc.child("value"))
    }

    /// A top-level observable: a domain or an address is also remembered as
    /// an end of `resolves-to` statements, and a domain's `resolves_to_refs`
    /// are statements ([`crate::resolve`]).
    fn top_level_sco(&mut self, obj: &StixObject, c: &Context, t: &str, sco: &Sco, loc: &Location) {
        let (role, refs) = match sco {
            Sco::DomainName(a) => (Role::Domain, a.resolves_to_refs.as_slice()),
            Sco::Ipv4Addr(_) | Sco::Ipv6Addr(_) => (Role::Address, &[][..]),
            _ => {
                self.sco(c, t, sco, loc, Vec::new());
                return;
            }
        };
        let Some(o) = self.value_observation(c, t, sco, loc) else {
            return;
        };
        // An observable without an id (invalid in 2.1, kept in lenient mode)
        // is named by its place, which no reference can name.
        let key = obj.id().map_or_else(
            || format!("@{}", loc.pointer.as_deref().unwrap_or_default()),
            str::to_owned,
        );
        let mut restated = self.resolver.arrived(
            &key,
            vec![End {
                role,
                observation: o.clone(),
            }],
        );
        let refs_loc = loc.child("resolves_to_refs");
        for (i, target) in refs.iter().enumerate() {
            restated.extend(self.resolver.statement(Statement {
                source: key.clone(),
                target: target.clone(),
                tlp: o.tlp,
                location: refs_loc.child(i),
                stated_by: obj.common.id.clone(),
            }));
        }
        self.emit_all(vec![o], restated);
    }

    fn sco(&mut self, c: &Context, t: &str, sco: &Sco, loc: &Location, related: Vec<Related>) {
        let id = c.source_id.clone();
        match sco {
            Sco::Ipv4Addr(_)
            | Sco::Ipv6Addr(_)
            | Sco::DomainName(_)
            | Sco::Url(_)
            | Sco::EmailAddr(_) => {
                if let Some(mut o) = self.value_observation(c, t, sco, loc) {
                    o.related = related;
                    self.observation(o);
                }
            }
            Sco::File(f) => {
                let hloc = loc.child("hashes");
                for (algo, v) in &f.hashes {
                    match hash_kind(algo) {
                        Some(k) => {
                            self.emit(c, Some(k), v, hloc.child(algo), Vec::new());
                        }
                        None => self.problem(Problem::unsupported(
                            "stix.hash-unsupported",
                            format!(
                                "{}: hash algorithm {algo:?} is not turned into indicators",
                                id.as_deref().unwrap_or("file")
                            ),
                            hloc.child(algo),
                        )),
                    }
                }
            }
            Sco::AutonomousSystem(a) => {
                if let Some(n) = a.number {
                    self.emit(
                        c,
                        Some(IndicatorKind::Asn),
                        &format!("AS{n}"),
                        loc.child("number"),
                        Vec::new(),
                    );
                }
            }
            // Containers of references: the referenced observables are reported themselves.
            Sco::NetworkTraffic(_) => {}
            Sco::Other => {
                if t != "email-message" {
                    self.problem(Problem::unsupported(
                        "stix.observable-unsupported",
                        format!(
                            "{}: {t} observables are not turned into indicators",
                            id.as_deref().unwrap_or("observable")
                        ),
                        loc.clone(),
                    ));
                }
            }
        }
    }
}

/// `resolves_to_refs` of a 2.0 observable, resolved within its `objects` dictionary.
fn resolves_in_dict(o: &Value, objects: &serde_json::Map<String, Value>) -> Vec<Related> {
    let Some(refs) = o.get("resolves_to_refs").and_then(Value::as_array) else {
        return Vec::new();
    };
    refs.iter()
        .filter_map(Value::as_str)
        .filter_map(|k| objects.get(k))
        .filter_map(|target| {
            let t = target.get("type").and_then(Value::as_str)?;
            let v = target.get("value").and_then(Value::as_str)?;
            let kind = match t {
                "ipv4-addr" => ipv4_kind(v),
                "ipv6-addr" => ipv6_kind(v),
                "domain-name" => domain_kind(v),
                _ => return None,
            };
            Some(Related {
                relation: Relation::ResolvesTo,
                kind,
                value: v.to_owned(),
            })
        })
        .collect()
}
