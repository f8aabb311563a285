//! What format parsers produce: raw observations and located problems.
//!
//! Every format parser (STIX, MISP, feeds, prose) turns bytes into a stream of
//! [`Observation`]s — a value *as the partner wrote it* (possibly defanged,
//! upper-case, with a kind hint or none) plus everything the format says
//! about it — and [`Problem`]s, each with a [`Location`]. Parsers never
//! canonicalise: one stage does that for all formats, so that the same rules
//! apply whatever the source. Parsers push into a [`Sink`], which lets them
//! stream a multi-gigabyte input in bounded memory.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Admiralty, IndicatorKind, Location, Tlp};

/// One value a partner reported, before canonicalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The kind the format states, if it states one; `None` means "infer from the value".
    pub kind: Option<IndicatorKind>,
    /// The value as written in the submission.
    pub value: String,
    /// Where in the submission it was found.
    pub location: Location,
    /// The marking the format attaches to this value, if any (the submission's
    /// default applies otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// Admiralty grades stated by the format (MISP `admiralty-scale` tags).
    #[serde(default, skip_serializing_if = "is_default_admiralty")]
    pub admiralty: Admiralty,
    /// When the partner first saw it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub first_seen: Option<OffsetDateTime>,
    /// When the partner last saw it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub last_seen: Option<OffsetDateTime>,
    /// Free tags (MISP tags, STIX labels, feed "threat" columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Malware family, when the format names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malware: Option<String>,
    /// Facts used to classify the value (ENISA taxonomy), in a namespaced
    /// form: `feed:urlhaus`, `misp-category:Network activity`,
    /// `misp-type:ip-dst`, `stix-indicator-type:malicious-activity`,
    /// `stix-malware-type:bot`, `rsit:malicious-code="c2-server"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// The source withdrew it (STIX `revoked`, MISP `deleted`, `to_ids` false is not withdrawal).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
    /// Values related to this one (`domain|ip`, STIX `resolves-to`, a URL's host).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// A port, when the format pairs one with the value (`ip-dst|port`, feed columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Free-text context: a MISP comment, a STIX description, a prose snippet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The identifier of the record in its source format (STIX id, MISP attribute uuid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

fn is_default_admiralty(a: &Admiralty) -> bool {
    *a == Admiralty::default()
}

impl Observation {
    /// An observation of `value`, with an optional kind hint, at `location`, and no context.
    pub fn new(kind: Option<IndicatorKind>, value: impl Into<String>, location: Location) -> Self {
        Observation {
            kind,
            value: value.into(),
            location,
            tlp: None,
            admiralty: Admiralty::default(),
            first_seen: None,
            last_seen: None,
            tags: Vec::new(),
            malware: None,
            hints: Vec::new(),
            withdrawn: false,
            related: Vec::new(),
            port: None,
            context: None,
            source_id: None,
        }
    }
}

/// A value related to an observation, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    /// How the two relate.
    pub relation: Relation,
    /// The kind of the related value, if known.
    pub kind: Option<IndicatorKind>,
    /// The related value as written.
    pub value: String,
}

/// How two indicators relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// The observation (a domain) resolves to the related value (an IP).
    ResolvesTo,
    /// The observation (a URL or e-mail) is hosted on the related value (its domain or IP).
    HostedOn,
    /// The observation (a file hash) was downloaded from / delivered by the related value.
    DeliveredBy,
    /// The observation communicates with the related value (C2).
    CommunicatesWith,
    /// Any other relationship the source states.
    RelatedTo,
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Something valid that Pelita does not turn into indicators (a STIX
    /// process pattern, a MISP `regkey` attribute). Counted, never an error.
    Unsupported,
    /// The record was used, but something about it is off (lenient mode).
    Warning,
    /// The record could not be used. The rest of the submission goes on.
    Error,
}

/// A located problem with one record of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// How bad.
    pub severity: Severity,
    /// A stable, low-cardinality code, `area.what` (`stix.missing-property`,
    /// `csv.bad-row`, `json.syntax`), for counting and for the error table.
    pub code: String,
    /// A sentence for a person, saying what is wrong; lower case, no final period.
    pub message: String,
    /// Where.
    pub location: Location,
}

impl Problem {
    /// A problem of the given severity.
    pub fn new(
        severity: Severity,
        code: impl Into<String>,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Problem {
            severity,
            code: code.into(),
            message: message.into(),
            location,
        }
    }

    /// An error: the record is not used.
    pub fn error(code: impl Into<String>, message: impl Into<String>, location: Location) -> Self {
        Self::new(Severity::Error, code, message, location)
    }

    /// A warning: the record is used.
    pub fn warning(
        code: impl Into<String>,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Self::new(Severity::Warning, code, message, location)
    }

    /// Something valid but not turned into indicators.
    pub fn unsupported(
        code: impl Into<String>,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Self::new(Severity::Unsupported, code, message, location)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Unsupported => "unsupported",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{}: {sev}[{}]: {}",
            self.location, self.code, self.message
        )
    }
}

/// Where a parser sends what it finds. Parsers call it as they go, so a
/// caller decides whether to collect, count, or write straight to the store.
pub trait Sink {
    /// A value was found.
    fn observation(&mut self, observation: Observation);
    /// A record had a problem.
    fn problem(&mut self, problem: Problem);
}

/// A [`Sink`] that keeps everything in memory; for tests and small inputs.
#[derive(Debug, Default, Clone)]
pub struct Collect {
    /// The observations, in the order found.
    pub observations: Vec<Observation>,
    /// The problems, in the order found.
    pub problems: Vec<Problem>,
}

impl Collect {
    /// The problems of severity [`Severity::Error`].
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }
}

impl Sink for Collect {
    fn observation(&mut self, observation: Observation) {
        self.observations.push(observation);
    }
    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn observation(&mut self, observation: Observation) {
        (**self).observation(observation);
    }
    fn problem(&mut self, problem: Problem) {
        (**self).problem(problem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observation_json_leaves_out_empty_context() {
        let o = Observation::new(
            Some(IndicatorKind::Ipv4),
            "192.0.2.1",
            Location::new().with_line(1),
        );
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"ipv4","value":"192.0.2.1","location":{"line":1}}"#
        );
        let back: Observation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn problem_display_names_place_and_code() {
        let p = Problem::error(
            "csv.bad-row",
            "expected 8 columns, found 3",
            Location::in_file("f.csv").with_line(7),
        );
        assert_eq!(
            p.to_string(),
            "f.csv:7: error[csv.bad-row]: expected 8 columns, found 3"
        );
    }
}
