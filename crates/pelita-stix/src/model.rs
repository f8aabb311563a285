//! Pelita's own serde model of the STIX objects a fusion centre uses.
//!
//! Every object keeps its raw JSON ([`StixObject::raw`]), so custom
//! properties and unknown or custom object types are never dropped; the typed
//! [`Body`] is a convenient view of the properties Pelita reads. Typed fields
//! are optional even where the specification requires them: whether they are
//! present is [`crate::validate`]'s business, not the deserialiser's.
//! Timestamps are kept as written (strings); [`crate::validate`] checks them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The STIX version an object was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecVersion {
    /// STIX 2.0: objects carry no `spec_version`; bundles do.
    V2_0,
    /// STIX 2.1.
    V2_1,
}

impl SpecVersion {
    /// `"2.0"` or `"2.1"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V2_0 => "2.0",
            SpecVersion::V2_1 => "2.1",
        }
    }

    /// The version an object is written in: its `spec_version`, else 2.1 for
    /// a cyber-observable (optional there in 2.1), else 2.0 (2.0 objects have none).
    pub fn of(obj: &Map<String, Value>) -> SpecVersion {
        match obj.get("spec_version").and_then(Value::as_str) {
            Some("2.0") => SpecVersion::V2_0,
            Some(_) => SpecVersion::V2_1,
            None => {
                let is_sco = obj
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| ObjectClass::of(t) == ObjectClass::Sco);
                if is_sco {
                    SpecVersion::V2_1
                } else {
                    SpecVersion::V2_0
                }
            }
        }
    }
}

/// The class of a STIX type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectClass {
    /// A STIX Domain Object (indicator, malware, …).
    Sdo,
    /// A STIX Relationship Object (relationship, sighting).
    Sro,
    /// A STIX Cyber-observable Object (ipv4-addr, file, …).
    Sco,
    /// A meta object (marking-definition, language-content, extension-definition).
    Meta,
    /// The bundle wrapper.
    Bundle,
    /// A type the specification does not define (custom or unknown).
    Custom,
}

/// The SDO types of STIX 2.1 (2.0's are a subset).
pub const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// The SCO types of STIX 2.1.
pub const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

impl ObjectClass {
    /// The class of the type name `t`.
    pub fn of(t: &str) -> ObjectClass {
        if SDO_TYPES.contains(&t) {
            ObjectClass::Sdo
        } else if SCO_TYPES.contains(&t) {
            ObjectClass::Sco
        } else {
            match t {
                "relationship" | "sighting" => ObjectClass::Sro,
                "marking-definition" | "language-content" | "extension-definition" => {
                    ObjectClass::Meta
                }
                "bundle" => ObjectClass::Bundle,
                _ => ObjectClass::Custom,
            }
        }
    }
}

/// One STIX object: its raw JSON, the properties common to all objects, and a typed view.
#[derive(Debug, Clone, PartialEq)]
pub struct StixObject {
    /// The version the object was written in (before upgrading).
    pub version: SpecVersion,
    /// The properties common to all objects.
    pub common: Common,
    /// The typed view of the type-specific properties.
    pub body: Body,
    /// The object exactly as read (a JSON object): every property, custom ones included.
    pub raw: Value,
}

/// Properties common to STIX objects (all optional here; see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Common {
    /// `type`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// `id`.
    pub id: Option<String>,
    /// `spec_version`.
    pub spec_version: Option<String>,
    /// `created`.
    pub created: Option<String>,
    /// `modified`.
    pub modified: Option<String>,
    /// `created_by_ref`.
    pub created_by_ref: Option<String>,
    /// `revoked`.
    #[serde(default)]
    pub revoked: bool,
    /// `labels`.
    #[serde(default)]
    pub labels: Vec<String>,
    /// `confidence` (0–100).
    pub confidence: Option<i64>,
    /// `lang`.
    pub lang: Option<String>,
    /// `external_references`.
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    /// `object_marking_refs`.
    #[serde(default)]
    pub object_marking_refs: Vec<String>,
    /// `granular_markings`.
    #[serde(default)]
    pub granular_markings: Vec<GranularMarking>,
}

/// An `external_references` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ExternalReference {
    /// `source_name`.
    pub source_name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `url`.
    pub url: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `hashes`.
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
}

/// A granular marking: a marking (or language) applied to some properties.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct GranularMarking {
    /// The properties marked, as selectors (`description`, `external_references.[0].url`).
    #[serde(default)]
    pub selectors: Vec<String>,
    /// The marking definition applied.
    pub marking_ref: Option<String>,
    /// The language applied (2.1).
    pub lang: Option<String>,
}

/// The typed, type-specific part of an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `indicator`.
    Indicator(Indicator),
    /// `observed-data`.
    ObservedData(ObservedData),
    /// `malware`.
    Malware(Malware),
    /// `threat-actor`.
    ThreatActor(Named),
    /// `intrusion-set`.
    IntrusionSet(Named),
    /// `campaign`.
    Campaign(Named),
    /// `infrastructure`.
    Infrastructure(Named),
    /// `report`.
    Report(Report),
    /// `identity`.
    Identity(Named),
    /// `location`.
    Location(LocationObject),
    /// `sighting`.
    Sighting(Sighting),
    /// `relationship`.
    Relationship(Relationship),
    /// `marking-definition`.
    MarkingDefinition(MarkingDefinition),
    /// A cyber-observable.
    Sco(Sco),
    /// A STIX type Pelita does not model (attack-pattern, course-of-action, …): only `raw`.
    Other,
    /// A custom or unknown type: only `raw`.
    Custom,
}

/// An indicator.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Indicator {
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `indicator_types` (2.0: upgraded from `labels`).
    #[serde(default)]
    pub indicator_types: Vec<String>,
    /// `pattern`.
    pub pattern: Option<String>,
    /// `pattern_type` (2.0: `stix` when absent).
    pub pattern_type: Option<String>,
    /// `pattern_version`.
    pub pattern_version: Option<String>,
    /// `valid_from`.
    pub valid_from: Option<String>,
    /// `valid_until`.
    pub valid_until: Option<String>,
}

/// Observed data.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ObservedData {
    /// `first_observed`.
    pub first_observed: Option<String>,
    /// `last_observed`.
    pub last_observed: Option<String>,
    /// `number_observed`.
    pub number_observed: Option<i64>,
    /// `object_refs` (2.1).
    #[serde(default)]
    pub object_refs: Vec<String>,
    /// `objects` (2.0, deprecated in 2.1): cyber-observables keyed by a local name; raw.
    #[serde(default)]
    pub objects: Map<String, Value>,
}

/// Malware.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Malware {
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `malware_types` (2.0: upgraded from `labels`).
    #[serde(default)]
    pub malware_types: Vec<String>,
    /// `is_family`.
    pub is_family: Option<bool>,
    /// `aliases`.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// An object that is mostly a name (threat actor, intrusion set, campaign, infrastructure, identity).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Named {
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `aliases`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `first_seen`.
    pub first_seen: Option<String>,
    /// `last_seen`.
    pub last_seen: Option<String>,
}

/// A report.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Report {
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `report_types` (2.0: upgraded from `labels`).
    #[serde(default)]
    pub report_types: Vec<String>,
    /// `published`.
    pub published: Option<String>,
    /// `object_refs`.
    #[serde(default)]
    pub object_refs: Vec<String>,
}

/// A location.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LocationObject {
    /// `name`.
    pub name: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// `country`.
    pub country: Option<String>,
    /// `latitude`.
    pub latitude: Option<f64>,
    /// `longitude`.
    pub longitude: Option<f64>,
}

/// A sighting.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Sighting {
    /// `sighting_of_ref`.
    pub sighting_of_ref: Option<String>,
    /// `first_seen`.
    pub first_seen: Option<String>,
    /// `last_seen`.
    pub last_seen: Option<String>,
    /// `count`.
    pub count: Option<i64>,
    /// `observed_data_refs`.
    #[serde(default)]
    pub observed_data_refs: Vec<String>,
    /// `where_sighted_refs`.
    #[serde(default)]
    pub where_sighted_refs: Vec<String>,
}

/// A relationship.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Relationship {
    /// `relationship_type`.
    pub relationship_type: Option<String>,
    /// `source_ref`.
    pub source_ref: Option<String>,
    /// `target_ref`.
    pub target_ref: Option<String>,
}

/// A marking definition.
#[derive(Debug, Clone, PartialEq)]
pub enum MarkingDefinition {
    /// A TLP marking; `None` when the definition names no known TLP.
    Tlp(Option<pelita_model::Tlp>),
    /// A statement (copyright, terms of use).
    Statement(String),
    /// Another kind (an extension-defined marking).
    Other,
}

/// A cyber-observable object.
#[derive(Debug, Clone, PartialEq)]
pub enum Sco {
    /// `ipv4-addr`.
    Ipv4Addr(AddressSco),
    /// `ipv6-addr`.
    Ipv6Addr(AddressSco),
    /// `domain-name`.
    DomainName(AddressSco),
    /// `url`.
    Url(AddressSco),
    /// `email-addr`.
    EmailAddr(AddressSco),
    /// `file`.
    File(FileSco),
    /// `autonomous-system`.
    AutonomousSystem(AutonomousSystemSco),
    /// `network-traffic`.
    NetworkTraffic(NetworkTrafficSco),
    /// Another observable type (process, mutex, …): only `raw`.
    Other,
}

/// An observable with a `value` (addresses, names, URLs).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AddressSco {
    /// `value`.
    pub value: Option<String>,
    /// `resolves_to_refs`.
    #[serde(default)]
    pub resolves_to_refs: Vec<String>,
    /// `display_name` (e-mail addresses).
    pub display_name: Option<String>,
}

/// A file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct FileSco {
    /// `name`.
    pub name: Option<String>,
    /// `size`.
    pub size: Option<u64>,
    /// `hashes`.
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
}

/// An autonomous system.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AutonomousSystemSco {
    /// `number`.
    pub number: Option<u64>,
    /// `name`.
    pub name: Option<String>,
}

/// Network traffic.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct NetworkTrafficSco {
    /// `src_ref`.
    pub src_ref: Option<String>,
    /// `dst_ref`.
    pub dst_ref: Option<String>,
    /// `src_port`.
    pub src_port: Option<u16>,
    /// `dst_port`.
    pub dst_port: Option<u16>,
    /// `protocols`.
    #[serde(default)]
    pub protocols: Vec<String>,
}

/// A typed view that does not fit the JSON (a property of the wrong type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ModelError(pub String);

fn typed<T: for<'de> Deserialize<'de>>(raw: &Value) -> Result<T, ModelError> {
    T::deserialize(raw).map_err(|e| ModelError(e.to_string()))
}

/// Moves 2.0 `labels` into the 2.1 `*_types` property when that is absent.
fn upgrade_types(types: &mut Vec<String>, common: &Common, version: SpecVersion) {
    if version == SpecVersion::V2_0 && types.is_empty() {
        types.clone_from(&common.labels);
    }
}

impl StixObject {
    /// Builds the typed view of a raw object (already validated or not),
    /// upgrading STIX 2.0 to 2.1 terms: `labels` become `indicator_types`,
    /// `malware_types`, `report_types`, and an indicator without
    /// `pattern_type` gets `stix`.
    pub fn from_raw(raw: Value) -> Result<StixObject, ModelError> {
        let Some(map) = raw.as_object() else {
            return Err(ModelError("a STIX object must be a JSON object".to_owned()));
        };
        let version = SpecVersion::of(map);
        let common: Common = typed(&raw)?;
        let body = match common.object_type.as_str() {
            "indicator" => {
                let mut i: Indicator = typed(&raw)?;
                upgrade_types(&mut i.indicator_types, &common, version);
                if i.pattern_type.is_none() && version == SpecVersion::V2_0 {
                    i.pattern_type = Some("stix".to_owned());
                }
                Body::Indicator(i)
            }
            "observed-data" => Body::ObservedData(typed(&raw)?),
            "malware" => {
                let mut m: Malware = typed(&raw)?;
                upgrade_types(&mut m.malware_types, &common, version);
                Body::Malware(m)
            }
            "threat-actor" => Body::ThreatActor(typed(&raw)?),
            "intrusion-set" => Body::IntrusionSet(typed(&raw)?),
            "campaign" => Body::Campaign(typed(&raw)?),
            "infrastructure" => Body::Infrastructure(typed(&raw)?),
            "identity" => Body::Identity(typed(&raw)?),
            "report" => {
                let mut r: Report = typed(&raw)?;
                upgrade_types(&mut r.report_types, &common, version);
                Body::Report(r)
            }
            "location" => Body::Location(typed(&raw)?),
            "sighting" => Body::Sighting(typed(&raw)?),
            "relationship" => Body::Relationship(typed(&raw)?),
            "marking-definition" => Body::MarkingDefinition(marking(map, common.id.as_deref())),
            t => match ObjectClass::of(t) {
                ObjectClass::Sco => Body::Sco(sco(t, &raw)?),
                ObjectClass::Custom => Body::Custom,
                _ => Body::Other,
            },
        };
        Ok(StixObject {
            version,
            common,
            body,
            raw,
        })
    }

    /// The object's id, or `None`.
    pub fn id(&self) -> Option<&str> {
        self.common.id.as_deref()
    }
}

/// The typed view of a cyber-observable of type `t`.
pub fn sco(t: &str, raw: &Value) -> Result<Sco, ModelError> {
    Ok(match t {
        "ipv4-addr" => Sco::Ipv4Addr(typed(raw)?),
        "ipv6-addr" => Sco::Ipv6Addr(typed(raw)?),
        "domain-name" => Sco::DomainName(typed(raw)?),
        "url" => Sco::Url(typed(raw)?),
        "email-addr" => Sco::EmailAddr(typed(raw)?),
        "file" => Sco::File(typed(raw)?),
        "autonomous-system" => Sco::AutonomousSystem(typed(raw)?),
        "network-traffic" => Sco::NetworkTraffic(typed(raw)?),
        _ => Sco::Other,
    })
}

fn marking(raw: &Map<String, Value>, id: Option<&str>) -> MarkingDefinition {
    let def = raw.get("definition");
    match raw.get("definition_type").and_then(Value::as_str) {
        Some("tlp") => {
            let by_id = id.and_then(pelita_model::Tlp::from_stix_id);
            let by_name = def
                .and_then(|d| d.get("tlp"))
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok());
            MarkingDefinition::Tlp(by_id.or(by_name))
        }
        Some("statement") => MarkingDefinition::Statement(
            def.and_then(|d| d.get("statement"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ),
        _ => {
            // TLP 2.0 markings use an extension instead of definition_type.
            match id.and_then(pelita_model::Tlp::from_stix_id) {
                Some(t) => MarkingDefinition::Tlp(Some(t)),
                None => MarkingDefinition::Other,
            }
        }
    }
}
