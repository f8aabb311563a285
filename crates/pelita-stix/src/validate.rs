//! Validation of one STIX object against the specification's MUST-level rules.
//!
//! [`validate_object`] checks a raw JSON object and returns every
//! [`Violation`] it finds, each with a stable code and a JSON pointer
//! relative to the object (`/valid_from`). It never decides what to do about
//! them: [`crate::parse`] turns them into errors (strict mode: the object is
//! dropped) or warnings (lenient mode: the object is kept).
//!
//! Checked: `type` and `id` form (`type--UUID`, matching type), timestamps
//! (RFC 3339 in UTC with `Z`, calendar-valid; `created`/`modified` to the
//! millisecond in 2.1) and their order (`modified >= created`,
//! `valid_until > valid_from`, …), required properties per type and
//! version, property name form, reserved property names, references (form and
//! target type: `created_by_ref` → identity, markings → marking-definition,
//! relationship ends, sighting references), markings (TLP definitions,
//! statements, granular marking selectors, no self-reference), value ranges
//! (`confidence`, `number_observed`, `count`, latitude/longitude), the
//! `binary` and `hex` types of cyber-observable properties (`*_bin` base64,
//! `*_hex` hex digits), the artifact's `decryption_key` only with an
//! `encryption_algorithm`, and the indicator's pattern (parsed when
//! `pattern_type` is `stix`).
//! Best-practice ("SHOULD") checks are not made, nor look-ups in IANA
//! registries (character sets, language subtags), which Pelita does not ship.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{ObjectClass, SpecVersion};
use crate::pattern;

/// One rule an object breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// A stable code: `stix.missing-property`, `stix.bad-timestamp`, ….
    pub code: &'static str,
    /// A JSON pointer relative to the object (`""` for the object itself, `/valid_from`).
    pub pointer: String,
    /// What is wrong, for a person; does not repeat the object's id.
    pub message: String,
}

/// Validates one object, read as the version its `spec_version` says
/// (none: 2.0, except cyber-observables, where it is optional in 2.1).
pub fn validate_object(obj: &Value) -> Vec<Violation> {
    validate_object_keeping_pattern(obj).0
}

/// [`validate_object`], also returning the indicator's parsed pattern when
/// validation parsed one (`Some(Err(()))`: it did not parse), so that
/// ingestion does not parse the same pattern a second time (parsing is a
/// large share of the cost of an indicator).
pub(crate) fn validate_object_keeping_pattern(
    obj: &Value,
) -> (Vec<Violation>, Option<Result<pattern::Pattern, ()>>) {
    let Some(map) = obj.as_object() else {
        return (
            vec![Violation {
                code: "stix.not-an-object",
                pointer: String::new(),
                message: "a STIX object must be a JSON object".to_owned(),
            }],
            None,
        );
    };
    let mut v = Validator {
        obj: map,
        version: SpecVersion::of(map),
        out: Vec::new(),
        parsed: None,
        times: Vec::new(),
    };
    v.run();
    (v.out, v.parsed)
}

/// Validates a STIX 2.0 cyber-observable held in an observed-data `objects`
/// dictionary (no `id`; references are dictionary keys).
pub fn validate_observable(obj: &Value) -> Vec<Violation> {
    let Some(map) = obj.as_object() else {
        return vec![Violation {
            code: "stix.not-an-object",
            pointer: String::new(),
            message: "a cyber-observable must be a JSON object".to_owned(),
        }];
    };
    let mut v = Validator {
        obj: map,
        version: SpecVersion::V2_0,
        out: Vec::new(),
        parsed: None,
        times: Vec::new(),
    };
    let Some(t) = v.string("type") else {
        v.missing("type");
        return v.out;
    };
    let t = t.to_owned();
    v.sco(&t, false);
    v.out
}

/// Checks the form of an identifier, `type--UUID`; returns its type.
pub fn check_identifier(id: &str) -> Result<&str, String> {
    let Some((t, uuid)) = id.split_once("--") else {
        return Err(format!("{id:?} is not an identifier (type--UUID)"));
    };
    if let Err(e) = check_type_name(t) {
        return Err(format!("{id:?} is not an identifier (type--UUID): {e}"));
    }
    if !valid_uuid(uuid) {
        return Err(format!(
            "{id:?} is not an identifier (type--UUID): {uuid:?} is not an RFC 4122 UUID"
        ));
    }
    Ok(t)
}

/// Checks the form of a reference: `type--` and a UUID-like tail (hex digits and
/// hyphens; the version and length are not checked, as real data gets them wrong).
pub fn check_reference(r: &str) -> Result<&str, String> {
    let Some((t, uuid)) = r.split_once("--") else {
        return Err(format!("{r:?} is not an identifier (type--UUID)"));
    };
    if let Err(e) = check_type_name(t) {
        return Err(format!("{r:?} is not an identifier (type--UUID): {e}"));
    }
    if uuid.is_empty() || !uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(format!("{r:?} is not an identifier (type--UUID)"));
    }
    Ok(t)
}

/// Checks the form of a type name: 3–250 characters, lower-case ASCII
/// letters, digits and single hyphens, starting with a letter.
pub fn check_type_name(t: &str) -> Result<(), String> {
    let ok_chars = t
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let starts = t.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if !ok_chars || !starts || t.contains("--") || t.ends_with('-') {
        return Err(format!(
            "type {t:?} must be lower-case ASCII letters, digits and single hyphens, starting with a letter"
        ));
    }
    if !(3..=250).contains(&t.len()) {
        return Err(format!("type {t:?} must be 3 to 250 characters long"));
    }
    Ok(())
}

fn valid_uuid(u: &str) -> bool {
    let b = u.as_bytes();
    if b.len() != 36 {
        return false;
    }
    for (i, c) in b.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => *c == b'-',
            14 => (b'1'..=b'8').contains(c),
            19 => matches!(c, b'8' | b'9' | b'a' | b'b' | b'A' | b'B'),
            _ => c.is_ascii_hexdigit(),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Parses a STIX timestamp: `YYYY-MM-DDTHH:MM:SS[.s+]Z`, calendar-valid.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime, String> {
    if !pattern::valid_timestamp(s) {
        return Err(format!(
            "{s:?} is not a STIX timestamp (RFC 3339, UTC, YYYY-MM-DDTHH:MM:SS[.s+]Z)"
        ));
    }
    // A leap second (":60") is allowed by the format; read it as :59 for ordering.
    let fixed;
    let text = if s.get(17..19) == Some("60") {
        fixed = format!(
            "{}59{}",
            s.get(..17).unwrap_or_default(),
            s.get(19..).unwrap_or_default()
        );
        fixed.as_str()
    } else {
        s
    };
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("{s:?} is not a valid timestamp: {e}"))
}

const EXTENSION_TYPES: &[&str] = &[
    "new-sdo",
    "new-sco",
    "new-sro",
    "property-extension",
    "toplevel-property-extension",
];

const RESERVED: &[&str] = &["severity", "action", "username", "phone_numbers"];

const TLP1: &[(&str, &str)] = &[
    (
        "white",
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    ),
    (
        "green",
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    ),
    (
        "amber",
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    ),
    (
        "red",
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    ),
];

fn required(t: &str, version: SpecVersion) -> &'static [&'static str] {
    match version {
        SpecVersion::V2_1 => match t {
            "attack-pattern" | "campaign" | "course-of-action" | "identity" | "incident"
            | "infrastructure" | "intrusion-set" | "threat-actor" | "tool" | "vulnerability" => {
                &["name"]
            }
            "grouping" => &["context", "object_refs"],
            "indicator" => &["pattern", "pattern_type", "valid_from"],
            "malware" => &["is_family"],
            "malware-analysis" => &["product"],
            "note" => &["content", "object_refs"],
            "observed-data" => &["first_observed", "last_observed", "number_observed"],
            "opinion" => &["opinion", "object_refs"],
            "report" => &["name", "published", "object_refs"],
            "relationship" => &["relationship_type", "source_ref", "target_ref"],
            "sighting" => &["sighting_of_ref"],
            "language-content" => &["object_ref", "object_modified", "contents"],
            "extension-definition" => &[
                "name",
                "schema",
                "version",
                "extension_types",
                "created_by_ref",
            ],
            _ => &[],
        },
        SpecVersion::V2_0 => match t {
            "attack-pattern" | "campaign" | "course-of-action" | "intrusion-set"
            | "vulnerability" => &["name"],
            "identity" => &["name", "identity_class"],
            "indicator" => &["labels", "pattern", "valid_from"],
            "malware" | "threat-actor" | "tool" => &["name", "labels"],
            "observed-data" => &[
                "first_observed",
                "last_observed",
                "number_observed",
                "objects",
            ],
            "report" => &["name", "published", "object_refs", "labels"],
            "relationship" => &["relationship_type", "source_ref", "target_ref"],
            "sighting" => &["sighting_of_ref"],
            "marking-definition" => &["definition_type", "definition"],
            _ => &[],
        },
    }
}

fn sco_required(t: &str) -> &'static [&'static str] {
    match t {
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url" => &["value"],
        "mutex" | "software" => &["name"],
        "email-message" => &["is_multipart"],
        "network-traffic" => &["protocols"],
        _ => &[],
    }
}

struct Validator<'a> {
    obj: &'a Map<String, Value>,
    version: SpecVersion,
    out: Vec<Violation>,
    /// The pattern parsed by [`Validator::pattern`], kept for ingestion.
    parsed: Option<Result<pattern::Pattern, ()>>,
    /// Timestamps already parsed by [`Validator::timestamp`], by their text,
    /// so that [`Validator::order`] does not parse them again.
    times: Vec<(&'a str, OffsetDateTime)>,
}

/// The JSON pointer `/name` (RFC 6901 escaping).
pub(crate) fn ptr(name: &str) -> String {
    let mut s = String::from("/");
    for c in name.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

impl<'a> Validator<'a> {
    fn push(&mut self, code: &'static str, pointer: String, message: String) {
        self.out.push(Violation {
            code,
            pointer,
            message,
        });
    }

    fn missing(&mut self, name: &str) {
        self.push(
            "stix.missing-property",
            ptr(name),
            format!("required property {name:?} is missing"),
        );
    }

    fn wrong_type(&mut self, name: &str, want: &str) {
        self.push(
            "stix.bad-type",
            ptr(name),
            format!("property {name:?} must be {want}"),
        );
    }

    fn has(&self, name: &str) -> bool {
        self.obj.contains_key(name)
    }

    /// The property as a string; a violation if present but not a string.
    fn string(&mut self, name: &str) -> Option<&'a str> {
        match self.obj.get(name) {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.wrong_type(name, "a string");
                None
            }
        }
    }

    fn list(&mut self, name: &str) -> Option<&'a Vec<Value>> {
        match self.obj.get(name) {
            None => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                self.wrong_type(name, "a list");
                None
            }
        }
    }

    fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.obj.get(name) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.wrong_type(name, "a boolean (true or false)");
                None
            }
        }
    }

    fn integer_in(&mut self, name: &str, lo: i64, hi: i64) {
        match self.obj.get(name) {
            None => {}
            Some(Value::Number(n)) if n.as_i64().is_some_and(|n| (lo..=hi).contains(&n)) => {}
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => self.push(
                "stix.bad-value",
                ptr(name),
                format!("property {name:?} must be between {lo} and {hi}, not {n}"),
            ),
            Some(_) => self.wrong_type(name, "an integer"),
        }
    }

    fn timestamp(&mut self, name: &str, millis: bool) -> Option<OffsetDateTime> {
        let s = self.string(name)?;
        match parse_timestamp(s) {
            Ok(t) => {
                self.times.push((s, t));
                if millis {
                    let frac = s
                        .split_once('.')
                        .map_or(0, |(_, f)| f.len().saturating_sub(1));
                    if frac < 3 {
                        self.push(
                            "stix.bad-timestamp",
                            ptr(name),
                            format!("{name:?} must be precise to the millisecond, not {s:?}"),
                        );
                    }
                }
                Some(t)
            }
            Err(e) => {
                self.push(
                    "stix.bad-timestamp",
                    ptr(name),
                    format!("property {name:?}: {e}"),
                );
                None
            }
        }
    }

    /// The property as a valid timestamp, if it is one (from the cache if
    /// [`Validator::timestamp`] parsed it already).
    fn time_of(&self, name: &str) -> Option<OffsetDateTime> {
        let s = self.obj.get(name).and_then(Value::as_str)?;
        match self.times.iter().find(|(text, _)| *text == s) {
            Some((_, t)) => Some(*t),
            None => parse_timestamp(s).ok(),
        }
    }

    /// `later` must be after (`strictly`) or not before `earlier`.
    fn order(&mut self, earlier: &str, later: &str, strictly: bool) {
        // `later` first: it is the one usually absent (`valid_until`), and
        // then `earlier` need not be looked at.
        let Some(b) = self.time_of(later) else {
            return;
        };
        let Some(a) = self.time_of(earlier) else {
            return;
        };
        let bad = if strictly { b <= a } else { b < a };
        if bad {
            let how = if strictly {
                "later than"
            } else {
                "later than or equal to"
            };
            self.push(
                "stix.bad-order",
                ptr(later),
                format!("{later:?} must be {how} {earlier:?}"),
            );
        }
    }

    /// Checks one reference value; `types` empty means any type.
    fn reference(&mut self, pointer: String, name: &str, value: &Value, types: &[&str]) {
        let Some(s) = value.as_str() else {
            self.push(
                "stix.bad-type",
                pointer,
                format!("{name:?} must hold identifiers (strings)"),
            );
            return;
        };
        match check_reference(s) {
            Err(e) => self.push("stix.bad-reference", pointer, format!("{name:?}: {e}")),
            Ok(t) if !types.is_empty() && !types.contains(&t) => self.push(
                "stix.bad-reference",
                pointer,
                format!("{name:?} must refer to {}, not {s:?}", types.join(" or ")),
            ),
            Ok(_) => {}
        }
    }

    fn ref_prop(&mut self, name: &str, types: &[&str]) {
        if let Some(v) = self.obj.get(name) {
            self.reference(ptr(name), name, v, types);
        }
    }

    fn refs_prop(&mut self, name: &str, types: &[&str]) {
        if let Some(list) = self.list(name) {
            for (i, v) in list.iter().enumerate() {
                self.reference(format!("{}/{i}", ptr(name)), name, v, types);
            }
        }
    }

    fn run(&mut self) {
        let Some(t) = self.string("type") else {
            if !self.has("type") {
                self.missing("type");
            }
            return;
        };
        if let Err(e) = check_type_name(t) {
            self.push("stix.bad-type-name", ptr("type"), e);
        }
        let class = ObjectClass::of(t);
        if class == ObjectClass::Bundle {
            self.push(
                "stix.nested-bundle",
                String::new(),
                "a bundle cannot be an object of a bundle".to_owned(),
            );
            return;
        }
        // id
        match self.string("id") {
            None if !self.has("id") => self.missing("id"),
            None => {}
            Some(id) => match check_identifier(id) {
                Err(e) => self.push("stix.bad-identifier", ptr("id"), e),
                Ok(idt) if idt != t => self.push(
                    "stix.bad-identifier",
                    ptr("id"),
                    format!("id {id:?} does not start with the object's type \"{t}--\""),
                ),
                Ok(_) => {}
            },
        }
        if let Some(sv) = self.string("spec_version")
            && sv != "2.1"
            && sv != "2.0"
        {
            self.push(
                "stix.bad-value",
                ptr("spec_version"),
                format!("spec_version must be \"2.1\" (or \"2.0\"), not {sv:?}"),
            );
        }
        self.property_names(class);
        self.common(t, class);
        if class == ObjectClass::Sco {
            self.sco(t, true);
            return;
        }
        for name in required(t, self.version) {
            if !self.has(name) {
                self.missing(name);
            }
        }
        self.specific(t);
    }

    fn property_names(&mut self, class: ObjectClass) {
        let keys: Vec<&String> = self.obj.keys().collect();
        for k in keys {
            let ok_chars = k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok_chars || !(k == "id" || (3..=250).contains(&k.len())) {
                self.push(
                    "stix.bad-property-name",
                    ptr(k),
                    format!(
                        "property name {k:?} must be 3 to 250 ASCII letters, digits or underscores"
                    ),
                );
            }
            if self.version == SpecVersion::V2_1
                && matches!(
                    class,
                    ObjectClass::Sdo | ObjectClass::Sro | ObjectClass::Sco
                )
                && RESERVED.contains(&k.as_str())
            {
                self.push(
                    "stix.reserved-property",
                    ptr(k),
                    format!("property name {k:?} is reserved by the specification"),
                );
            }
        }
    }

    fn common(&mut self, t: &str, class: ObjectClass) {
        let v21 = self.version == SpecVersion::V2_1;
        let needs_created = !matches!(class, ObjectClass::Sco);
        let needs_modified = needs_created && t != "marking-definition";
        if needs_created && !self.has("created") {
            self.missing("created");
        }
        if needs_modified && !self.has("modified") {
            self.missing("modified");
        }
        self.timestamp("created", v21);
        self.timestamp("modified", v21);
        self.order("created", "modified", false);
        self.ref_prop("created_by_ref", &[]);
        self.boolean("revoked");
        self.boolean("defanged");
        if let Some(labels) = self.list("labels")
            && labels.iter().any(|l| !l.is_string())
        {
            self.wrong_type("labels", "a list of strings");
        }
        self.integer_in("confidence", 0, 100);
        self.string("lang");
        if let Some(refs) = self.list("external_references") {
            for (i, r) in refs.iter().enumerate() {
                self.external_reference(i, r);
            }
        }
        self.refs_prop("object_marking_refs", &["marking-definition"]);
        if let Some(list) = self.list("granular_markings") {
            for (i, g) in list.iter().enumerate() {
                self.granular_marking(i, g);
            }
        }
        if let Some(ext) = self.obj.get("extensions") {
            match ext.as_object() {
                None => self.wrong_type("extensions", "a dictionary"),
                Some(m) => {
                    for (k, e) in m {
                        if k.starts_with("extension-definition--")
                            && let Some(et) = e.get("extension_type")
                            && !et.as_str().is_some_and(|s| EXTENSION_TYPES.contains(&s))
                        {
                            self.push(
                                "stix.bad-value",
                                format!("/extensions{}/extension_type", ptr(k)),
                                format!(
                                    "extension_type must be one of {}",
                                    EXTENSION_TYPES.join(", ")
                                ),
                            );
                        }
                        if !e.is_object() {
                            self.push(
                                "stix.bad-type",
                                format!("/extensions{}", ptr(k)),
                                format!("extension {k:?} must be a dictionary"),
                            );
                        }
                    }
                }
            }
        }
        // Any other *_ref / *_refs property must hold identifiers.
        let names: Vec<&String> = self.obj.keys().collect();
        for k in names {
            if matches!(
                k.as_str(),
                "created_by_ref" | "object_marking_refs" | "sighting_of_ref"
            ) {
                continue;
            }
            if k.ends_with("_ref") {
                self.ref_prop(k, &[]);
            } else if k.ends_with("_refs") {
                self.refs_prop(k, &[]);
            }
        }
    }

    fn external_reference(&mut self, i: usize, r: &Value) {
        let p = format!("/external_references/{i}");
        let Some(m) = r.as_object() else {
            self.push(
                "stix.bad-type",
                p,
                "external references must be dictionaries".to_owned(),
            );
            return;
        };
        match m.get("source_name") {
            Some(Value::String(name)) => {
                let ext_id = m.get("external_id").and_then(Value::as_str);
                if name == "cve" && !ext_id.is_some_and(is_cve) {
                    self.push(
                        "stix.bad-value",
                        format!("{p}/external_id"),
                        "a \"cve\" external reference needs an external_id in the form CVE-YYYY-NNNN"
                            .to_owned(),
                    );
                }
                if name == "capec"
                    && !ext_id.is_some_and(|e| {
                        e.strip_prefix("CAPEC-")
                            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    })
                {
                    self.push(
                        "stix.bad-value",
                        format!("{p}/external_id"),
                        "a \"capec\" external reference needs an external_id in the form CAPEC-N"
                            .to_owned(),
                    );
                }
            }
            Some(_) => self.push(
                "stix.bad-type",
                format!("{p}/source_name"),
                "\"source_name\" must be a string".to_owned(),
            ),
            None => self.push(
                "stix.missing-property",
                format!("{p}/source_name"),
                format!("external_references[{i}]: required property \"source_name\" is missing"),
            ),
        }
        if let Some(h) = m.get("hashes") {
            self.hashes(&format!("{p}/hashes"), h);
        }
    }

    fn granular_marking(&mut self, i: usize, g: &Value) {
        let p = format!("/granular_markings/{i}");
        let Some(m) = g.as_object() else {
            self.push(
                "stix.bad-type",
                p,
                "granular markings must be dictionaries".to_owned(),
            );
            return;
        };
        let has_ref = m.contains_key("marking_ref");
        let has_lang = m.contains_key("lang");
        if has_ref == has_lang {
            self.push(
                "stix.bad-marking",
                p.clone(),
                format!(
                    "granular_markings[{i}] must have exactly one of \"marking_ref\" and \"lang\""
                ),
            );
        }
        if let Some(r) = m.get("marking_ref") {
            self.reference(
                format!("{p}/marking_ref"),
                "marking_ref",
                r,
                &["marking-definition"],
            );
            if r.as_str().is_some() && r.as_str() == self.obj.get("id").and_then(Value::as_str) {
                self.push(
                    "stix.bad-marking",
                    format!("{p}/marking_ref"),
                    "a marking definition cannot mark itself".to_owned(),
                );
            }
        }
        match m.get("selectors").and_then(Value::as_array) {
            Some(sel) if !sel.is_empty() => {
                for (j, s) in sel.iter().enumerate() {
                    let ok = s.as_str().is_some_and(|s| selector_resolves(self.obj, s));
                    if !ok {
                        self.push(
                            "stix.bad-marking",
                            format!("{p}/selectors/{j}"),
                            format!(
                                "granular_markings[{i}].selectors[{j}] {s} does not select a property of the object"
                            ),
                        );
                    }
                }
            }
            _ => self.push(
                "stix.missing-property",
                format!("{p}/selectors"),
                format!("granular_markings[{i}]: \"selectors\" must be a non-empty list"),
            ),
        }
    }

    fn hashes(&mut self, p: &str, h: &Value) {
        let Some(m) = h.as_object() else {
            self.push(
                "stix.bad-type",
                p.to_owned(),
                "hashes must be a dictionary".to_owned(),
            );
            return;
        };
        for (k, v) in m {
            let ok_key = (3..=250).contains(&k.len())
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok_key {
                self.push(
                    "stix.bad-value",
                    format!("{p}{}", ptr(k)),
                    format!("hash algorithm name {k:?} is not valid"),
                );
            }
            if !v.is_string() {
                self.push(
                    "stix.bad-type",
                    format!("{p}{}", ptr(k)),
                    format!("hash value for {k:?} must be a string"),
                );
            }
        }
    }

    /// The `binary` and `hex` common data types, by the property-name
    /// suffixes the specification requires of them (2.0 and 2.1): a property
    /// whose name ends in `_bin` holds base64 (RFC 4648, padded), one ending
    /// in `_hex` an even number of hex digits. The suffix is what pattern matching relies on (`b'…'` and
    /// `h'…'` literals compare against them), so it is checked wherever it
    /// appears in a cyber-observable, extensions included.
    fn encoded_values(&mut self) {
        let mut stack: Vec<(String, &'a Value)> =
            self.obj.iter().map(|(k, v)| (ptr(k), v)).collect();
        while let Some((p, v)) = stack.pop() {
            let name = p.rsplit('/').next().unwrap_or_default().to_owned();
            let kind = if name.ends_with("_bin") {
                Some(("base64 (RFC 4648)", true))
            } else if name.ends_with("_hex") {
                Some(("an even number of hexadecimal digits", false))
            } else {
                None
            };
            match (kind, v) {
                (Some((want, bin)), Value::String(s)) => {
                    let ok = if bin {
                        !s.is_empty() && pattern::valid_base64(s)
                    } else {
                        !s.is_empty()
                            && s.len().is_multiple_of(2)
                            && s.bytes().all(|b| b.is_ascii_hexdigit())
                    };
                    if !ok {
                        self.push(
                            "stix.bad-value",
                            p,
                            format!("property {name:?} must be {want}"),
                        );
                    }
                }
                (Some((want, _)), _) => {
                    self.push(
                        "stix.bad-type",
                        p,
                        format!("property {name:?} must be a string of {want}"),
                    );
                }
                (None, Value::Object(m)) => {
                    stack.extend(m.iter().map(|(k, v)| (format!("{p}{}", ptr(k)), v)));
                }
                (None, Value::Array(a)) => {
                    stack.extend(a.iter().enumerate().map(|(i, v)| (format!("{p}/{i}"), v)));
                }
                (None, _) => {}
            }
        }
    }

    fn specific(&mut self, t: &str) {
        let v21 = self.version == SpecVersion::V2_1;
        match t {
            "indicator" => {
                self.timestamp("valid_from", false);
                self.timestamp("valid_until", false);
                self.order("valid_from", "valid_until", true);
                let pt = self.string("pattern_type");
                let pat = self.string("pattern");
                if let Some(p) = pat
                    && pt.is_none_or(|pt| pt == "stix")
                {
                    self.pattern(p);
                }
            }
            "observed-data" => {
                self.timestamp("first_observed", false);
                self.timestamp("last_observed", false);
                self.order("first_observed", "last_observed", false);
                self.integer_in("number_observed", 1, 999_999_999);
                if v21 && !self.has("objects") && !self.has("object_refs") {
                    self.push(
                        "stix.missing-property",
                        ptr("object_refs"),
                        "one of \"object_refs\" and \"objects\" is required".to_owned(),
                    );
                }
                if let Some(refs) = self.list("object_refs") {
                    for (i, r) in refs.iter().enumerate() {
                        let p = format!("/object_refs/{i}");
                        let class = r
                            .as_str()
                            .and_then(|s| check_identifier(s).ok())
                            .map(ObjectClass::of);
                        match class {
                            Some(ObjectClass::Sco | ObjectClass::Sro | ObjectClass::Custom) => {}
                            _ => self.push(
                                "stix.bad-reference",
                                p,
                                format!(
                                    "object_refs[{i}] must refer to a cyber-observable or relationship, not {r}"
                                ),
                            ),
                        }
                    }
                }
                if let Some(objs) = self.obj.get("objects") {
                    match objs.as_object() {
                        None => self.wrong_type("objects", "a dictionary"),
                        Some(m) => {
                            for (k, o) in m {
                                for mut v in validate_observable(o) {
                                    v.pointer = format!("/objects{}{}", ptr(k), v.pointer);
                                    v.message = format!("objects[{k:?}]: {}", v.message);
                                    self.out.push(v);
                                }
                            }
                        }
                    }
                }
            }
            "malware" => {
                let fam = self.boolean("is_family");
                if fam == Some(true) && !self.has("name") {
                    self.missing("name");
                }
                self.seen_order();
            }
            "threat-actor" | "campaign" | "intrusion-set" | "infrastructure" => self.seen_order(),
            "report" => {
                self.timestamp("published", false);
            }
            "relationship" => {
                self.timestamp("start_time", false);
                self.timestamp("stop_time", false);
                self.order("start_time", "stop_time", true);
                for end in ["source_ref", "target_ref"] {
                    let Some(s) = self.obj.get(end).and_then(Value::as_str) else {
                        continue;
                    };
                    if let Ok(et) = check_identifier(s)
                        && matches!(
                            et,
                            "bundle"
                                | "marking-definition"
                                | "sighting"
                                | "relationship"
                                | "language-content"
                                | "extension-definition"
                        )
                    {
                        self.push(
                            "stix.bad-reference",
                            ptr(end),
                            format!(
                                "{end:?} cannot refer to a {et}: relationships link SDOs and SCOs"
                            ),
                        );
                    }
                }
            }
            "sighting" => {
                self.ref_prop("sighting_of_ref", &[]);
                self.timestamp("first_seen", false);
                self.timestamp("last_seen", false);
                self.order("first_seen", "last_seen", false);
                self.integer_in("count", 0, 999_999_999);
                self.refs_prop("observed_data_refs", &["observed-data"]);
                self.refs_prop("where_sighted_refs", &["identity", "location"]);
            }
            "location" => self.location(),
            "language-content" => self.language_content(),
            "extension-definition" => {
                let types: Vec<&str> = self
                    .obj
                    .get("extension_types")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (i, ty) in types.iter().enumerate() {
                    if !EXTENSION_TYPES.contains(ty) {
                        self.push(
                            "stix.bad-value",
                            format!("/extension_types/{i}"),
                            format!(
                                "extension type {ty:?} is not one of {}",
                                EXTENSION_TYPES.join(", ")
                            ),
                        );
                    }
                }
                if self.has("extension_properties")
                    && !types.contains(&"toplevel-property-extension")
                {
                    self.push(
                        "stix.bad-value",
                        ptr("extension_properties"),
                        "\"extension_properties\" is only for toplevel-property-extension definitions".to_owned(),
                    );
                }
            }
            "marking-definition" => self.marking_definition(),
            "malware-analysis" => {
                if !self.has("result") && !self.has("analysis_sco_refs") {
                    self.push(
                        "stix.missing-property",
                        ptr("result"),
                        "one of \"result\" and \"analysis_sco_refs\" is required".to_owned(),
                    );
                }
                self.ref_prop("host_vm_ref", &["software"]);
                self.ref_prop("operating_system_ref", &["software"]);
            }
            _ => {}
        }
    }

    fn seen_order(&mut self) {
        self.timestamp("first_seen", false);
        self.timestamp("last_seen", false);
        self.order("first_seen", "last_seen", false);
    }

    fn pattern(&mut self, p: &str) {
        match pattern::parse_pattern(p) {
            Err(e) => {
                self.parsed = Some(Err(()));
                self.push(
                    "stix.bad-pattern",
                    ptr("pattern"),
                    format!("pattern does not parse: {e}"),
                );
            }
            Ok(parsed) => {
                for path in pattern::object_paths(&parsed.expression) {
                    let t = path.object_type.as_str();
                    if check_type_name(t).is_err() {
                        self.push(
                            "stix.bad-pattern",
                            ptr("pattern"),
                            format!("pattern: {t:?} is not a valid observable type name"),
                        );
                    }
                    if let Some(pattern::PathComponent::Property(first)) = path.components.first() {
                        let ok = (3..=250).contains(&first.len())
                            && first
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                        if !ok {
                            self.push(
                                "stix.bad-pattern",
                                ptr("pattern"),
                                format!(
                                    "pattern: {first:?} is not a valid observable property name"
                                ),
                            );
                        }
                    }
                }
                self.parsed = Some(Ok(parsed));
            }
        }
    }

    fn location(&mut self) {
        let num = |v: &Value| v.as_f64();
        let lat = self.obj.get("latitude");
        let lon = self.obj.get("longitude");
        if let Some(l) = lat
            && !num(l).is_some_and(|x| (-90.0..=90.0).contains(&x))
        {
            self.push(
                "stix.bad-value",
                ptr("latitude"),
                "latitude must be a number from -90 to 90".to_owned(),
            );
        }
        if let Some(l) = lon
            && !num(l).is_some_and(|x| (-180.0..=180.0).contains(&x))
        {
            self.push(
                "stix.bad-value",
                ptr("longitude"),
                "longitude must be a number from -180 to 180".to_owned(),
            );
        }
        if lat.is_some() != lon.is_some() {
            self.push(
                "stix.missing-property",
                ptr(if lat.is_some() {
                    "longitude"
                } else {
                    "latitude"
                }),
                "latitude and longitude must be given together".to_owned(),
            );
        }
        if self.has("precision") && lat.is_none() {
            self.push(
                "stix.missing-property",
                ptr("latitude"),
                "precision needs latitude and longitude".to_owned(),
            );
        }
        if self.version == SpecVersion::V2_1
            && !self.has("region")
            && !self.has("country")
            && (lat.is_none() || lon.is_none())
        {
            self.push(
                "stix.missing-property",
                ptr("region"),
                "a location needs \"region\", \"country\", or \"latitude\" and \"longitude\""
                    .to_owned(),
            );
        }
    }

    fn language_content(&mut self) {
        let Some(contents) = self.obj.get("contents") else {
            return;
        };
        let Some(m) = contents.as_object() else {
            self.wrong_type("contents", "a dictionary");
            return;
        };
        for (lang, props) in m {
            let ok = !lang.is_empty()
                && lang.len() <= 250
                && lang
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                self.push(
                    "stix.bad-value",
                    format!("/contents{}", ptr(lang)),
                    format!("contents key {lang:?} must be an RFC 5646 language code"),
                );
            }
            if let Some(pm) = props.as_object() {
                for k in pm.keys() {
                    let ok = (3..=250).contains(&k.len())
                        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                    if !ok {
                        self.push(
                            "stix.bad-property-name",
                            format!("/contents{}{}", ptr(lang), ptr(k)),
                            format!("{k:?} in contents[{lang:?}] is not a valid property name"),
                        );
                    }
                }
            }
        }
    }

    fn marking_definition(&mut self) {
        let id = self.obj.get("id").and_then(Value::as_str);
        if let (Some(id), Some(refs)) = (
            id,
            self.obj
                .get("object_marking_refs")
                .and_then(Value::as_array),
        ) && refs.iter().any(|r| r.as_str() == Some(id))
        {
            self.push(
                "stix.bad-marking",
                ptr("object_marking_refs"),
                "a marking definition cannot mark itself".to_owned(),
            );
        }
        let dt = self.string("definition_type");
        let def = self.obj.get("definition");
        if self.version == SpecVersion::V2_1 && !self.has("extensions") {
            if dt.is_none() && !self.has("definition_type") {
                self.missing("definition_type");
            }
            if def.is_none() {
                self.missing("definition");
            }
        }
        let Some(dt) = dt else { return };
        let Some(def) = def else { return };
        let Some(def) = def.as_object() else {
            self.wrong_type("definition", "a dictionary");
            return;
        };
        match dt {
            "tlp" => {
                let tlp = def.get("tlp").and_then(Value::as_str);
                match TLP1.iter().find(|(n, _)| Some(*n) == tlp) {
                    None => self.push(
                        "stix.bad-marking",
                        "/definition/tlp".to_owned(),
                        "a TLP definition must name white, green, amber or red".to_owned(),
                    ),
                    Some((n, want)) => {
                        if id.is_some_and(|id| id != *want) {
                            self.push(
                                "stix.bad-marking",
                                ptr("id"),
                                format!(
                                    "TLP marking definitions must be those of the specification: TLP {n} is {want}"
                                ),
                            );
                        }
                    }
                }
            }
            "statement" if !def.get("statement").is_some_and(Value::is_string) => {
                self.push(
                    "stix.missing-property",
                    "/definition/statement".to_owned(),
                    "a statement marking needs a \"statement\" string".to_owned(),
                );
            }
            _ => {}
        }
    }

    /// A cyber-observable; `top_level` for 2.1 SCOs with ids and identifier references.
    fn sco(&mut self, t: &str, top_level: bool) {
        for name in sco_required(t) {
            if !self.has(name) {
                self.missing(name);
            }
        }
        if !top_level && let Err(e) = check_type_name(t) {
            self.push("stix.bad-type-name", ptr("type"), e);
        }
        if let Some(h) = self.obj.get("hashes") {
            self.hashes("/hashes", h);
        }
        self.encoded_values();
        match t {
            "file" if !self.has("hashes") && !self.has("name") => {
                self.push(
                    "stix.missing-property",
                    ptr("name"),
                    "a file needs \"hashes\" or \"name\"".to_owned(),
                );
            }
            "artifact" => {
                let (bin, url) = (self.has("payload_bin"), self.has("url"));
                if bin == url {
                    self.push(
                        "stix.missing-property",
                        ptr("payload_bin"),
                        "an artifact needs exactly one of \"payload_bin\" and \"url\"".to_owned(),
                    );
                }
                if url && !self.has("hashes") {
                    self.missing("hashes");
                }
                // 2.1, artifact: decryption_key "MUST NOT be present when the
                // encryption_algorithm property is absent".
                if self.has("decryption_key") && !self.has("encryption_algorithm") {
                    self.push(
                        "stix.bad-value",
                        ptr("decryption_key"),
                        "\"decryption_key\" is not allowed without \"encryption_algorithm\""
                            .to_owned(),
                    );
                }
            }
            "network-traffic" => {
                if !self.has("src_ref") && !self.has("dst_ref") {
                    self.push(
                        "stix.missing-property",
                        ptr("dst_ref"),
                        "network traffic needs \"src_ref\" or \"dst_ref\"".to_owned(),
                    );
                }
                self.timestamp("start", false);
                self.timestamp("end", false);
                self.order("start", "end", false);
                if self.boolean("is_active") == Some(true) && self.has("end") {
                    self.push(
                        "stix.bad-value",
                        ptr("end"),
                        "active network traffic cannot have an \"end\"".to_owned(),
                    );
                }
                for p in ["src_port", "dst_port"] {
                    self.integer_in(p, 0, 65535);
                }
            }
            "email-addr" => {
                if let Some(v) = self.string("value") {
                    let ok = v.contains('@')
                        && !v.contains(char::is_whitespace)
                        && !v.contains(['<', '>']);
                    if !ok {
                        self.push(
                            "stix.bad-value",
                            ptr("value"),
                            format!("{v:?} is not an e-mail address"),
                        );
                    }
                }
            }
            "url" => {
                if let Some(v) = self.string("value")
                    && !looks_like_uri(v)
                {
                    self.push(
                        "stix.bad-value",
                        ptr("value"),
                        format!("{v:?} is not a URL"),
                    );
                }
            }
            "email-message"
                if self.boolean("is_multipart") == Some(false) && self.has("body_multipart") =>
            {
                self.push(
                    "stix.bad-value",
                    ptr("body_multipart"),
                    "\"body_multipart\" is not allowed when \"is_multipart\" is false".to_owned(),
                );
            }
            "autonomous-system" => self.integer_in("number", 0, i64::from(u32::MAX)),
            "ipv4-addr" | "ipv6-addr" => {
                if let Some(v) = self.string("value")
                    && !ip_value(v, t == "ipv6-addr")
                {
                    self.push(
                        "stix.bad-value",
                        ptr("value"),
                        format!("{v:?} is not an {t} value (an address or CIDR network)"),
                    );
                }
            }
            "windows-registry-key" => {
                if let Some(k) = self.string("key") {
                    let abbreviated = ["HKLM", "HKCC", "HKCR", "HKCU", "HKU"]
                        .iter()
                        .any(|h| k.get(..h.len()).is_some_and(|p| p.eq_ignore_ascii_case(h)));
                    if abbreviated {
                        self.push(
                            "stix.bad-value",
                            ptr("key"),
                            format!("registry key {k:?} must name the hive in full (HKEY_LOCAL_MACHINE, …)"),
                        );
                    }
                }
            }
            "software" => {
                if let Some(cpe) = self.string("cpe") {
                    let ok = cpe.strip_prefix("cpe:2.3:").is_some_and(|r| {
                        r.starts_with(['a', 'h', 'o', '*', '-']) && r.matches(':').count() >= 10
                    });
                    if !ok {
                        self.push(
                            "stix.bad-value",
                            ptr("cpe"),
                            format!("{cpe:?} is not a CPE 2.3 name"),
                        );
                    }
                }
            }
            _ => {}
        }
        if t == "artifact"
            && let Some(m) = self.string("mime_type")
        {
            let ok = m.split_once('/').is_some_and(|(ty, sub)| {
                matches!(
                    ty,
                    "application"
                        | "audio"
                        | "font"
                        | "image"
                        | "message"
                        | "model"
                        | "multipart"
                        | "text"
                        | "video"
                ) && !sub.is_empty()
                    && sub
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".+_-".contains(&b))
            });
            if !ok {
                self.push(
                    "stix.bad-value",
                    ptr("mime_type"),
                    format!("{m:?} is not a MIME type"),
                );
            }
        }
        if t == "artifact"
            && let Some(a) = self.string("encryption_algorithm")
            && !matches!(
                a,
                "AES-256-GCM" | "ChaCha20-Poly1305" | "mime-type-indicated"
            )
        {
            self.push(
                "stix.bad-value",
                ptr("encryption_algorithm"),
                format!("encryption_algorithm {a:?} is not in the specification's enumeration"),
            );
        }
    }
}

/// An IP address value: an address, optionally with a prefix length.
fn ip_value(v: &str, v6: bool) -> bool {
    let (addr, prefix) = match v.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (v, None),
    };
    let max = if v6 { 128 } else { 32 };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && !(p.len() > 1 && p.starts_with('0'))
            && p.parse::<u32>().is_ok_and(|n| n <= max)
    });
    let addr_ok = if v6 {
        addr.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        addr.parse::<std::net::Ipv4Addr>().is_ok()
    };
    prefix_ok && addr_ok
}

fn looks_like_uri(v: &str) -> bool {
    let Some((scheme, _)) = v.split_once(':') else {
        return false;
    };
    let mut b = scheme.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a granular-marking selector (`description`, `external_references.[0].url`)
/// names something present in the object.
fn selector_resolves(obj: &Map<String, Value>, selector: &str) -> bool {
    let mut steps = selector.split('.');
    let Some(first) = steps.next() else {
        return false;
    };
    let Some(mut cur) = obj.get(first) else {
        return false;
    };
    for step in steps {
        let next = if let Some(idx) = step.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            idx.parse::<usize>()
                .ok()
                .and_then(|i| cur.as_array().and_then(|a| a.get(i)))
        } else {
            cur.as_object().and_then(|m| m.get(step))
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(v: &Value) -> Vec<(&'static str, String)> {
        validate_object(v)
            .into_iter()
            .map(|x| (x.code, x.pointer))
            .collect()
    }

    #[test]
    fn a_valid_indicator_passes() {
        let v = json!({"type":"indicator","spec_version":"2.1",
            "id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",
            "pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix",
            "valid_from":"2016-04-06T20:03:48Z"});
        assert_eq!(codes(&v), vec![]);
    }

    #[test]
    fn finds_missing_and_bad_properties() {
        let v = json!({"type":"indicator","spec_version":"2.1",
            "id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created":"2016-04-31T20:03:48.000Z","modified":"2016-04-06T20:03:48Z",
            "pattern":"[ipv4-addr:value = ]","pattern_type":"stix", "severity": 3});
        let c = codes(&v);
        assert!(
            c.contains(&("stix.missing-property", "/valid_from".into())),
            "{c:?}"
        );
        assert!(c.contains(&("stix.bad-identifier", "/id".into())));
        assert!(c.contains(&("stix.bad-timestamp", "/created".into())));
        assert!(c.contains(&("stix.bad-timestamp", "/modified".into())));
        assert!(c.contains(&("stix.bad-pattern", "/pattern".into())));
        assert!(c.contains(&("stix.reserved-property", "/severity".into())));
    }

    #[test]
    fn binary_and_hex_values_and_artifact_keys() {
        let v = json!({"type":"artifact","spec_version":"2.1",
            "id":"artifact--ff1e0780-358c-5808-a8c7-d0fca4ef6ef4",
            "payload_bin":"VBORw0KGgoAAAANSUhEUgAAADI==",
            "x_sample_hex":"0a0B",
            "extensions":{"x-ext":{"magic_hex":"abc","key_bin":"not base64!"}}});
        assert_eq!(
            codes(&v),
            vec![
                ("stix.bad-value", "/extensions/x-ext/magic_hex".into()),
                ("stix.bad-value", "/extensions/x-ext/key_bin".into()),
            ]
        );
        let v = json!({"type":"artifact","spec_version":"2.1",
            "id":"artifact--ff1e0780-358c-5808-a8c7-d0fca4ef6ef4",
            "payload_bin":"====", "decryption_key":"secret"});
        let c = codes(&v);
        assert!(
            c.contains(&("stix.bad-value", "/payload_bin".into())),
            "{c:?}"
        );
        assert!(
            c.contains(&("stix.bad-value", "/decryption_key".into())),
            "{c:?}"
        );
        let v = json!({"type":"artifact","spec_version":"2.1",
            "id":"artifact--ff1e0780-358c-5808-a8c7-d0fca4ef6ef4",
            "payload_bin":"AAAA", "decryption_key":"secret",
            "encryption_algorithm":"AES-256-GCM"});
        assert_eq!(codes(&v), vec![]);
    }

    #[test]
    fn timestamps_and_identifiers() {
        assert!(parse_timestamp("2016-04-06T20:03:48.123456Z").is_ok());
        assert!(parse_timestamp("2016-02-30T20:03:48Z").is_err());
        assert!(parse_timestamp("2016-04-06T20:03:48+00:00").is_err());
        assert!(check_identifier("tool--blablabla").is_err());
        assert_eq!(
            check_identifier("x-foo--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            Ok("x-foo")
        );
    }
}
