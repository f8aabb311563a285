//! Canonical records: what ingest produces, one per accepted observation.

use std::io::{self, Write};

use pelita_model::{
    Admiralty, Flags, Indicator, IndicatorKind, Location, Observation, ParseOptions, Problem,
    Relation, Tlp,
};
use serde::Serialize;
use time::OffsetDateTime;

/// One canonical indicator sighting: an observation that canonicalised,
/// with the submission it came from and where in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// SHA-256 of the submission (for a MISP feed, of its part list).
    pub submission: String,
    /// SHA-256 of the archived file the record was read from, when the
    /// submission has several parts (a MISP feed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Where in the submission.
    pub location: Location,
    /// The canonical kind.
    pub kind: IndicatorKind,
    /// The canonical value.
    pub value: String,
    /// The deduplication key, `kind:value`: [`Indicator::key`] of
    /// `indicator` (the store takes it as that, without rendering it again).
    pub key: String,
    /// The canonical indicator itself (kind, value and key are its
    /// renderings): a store writes this, so what it holds is canonical by
    /// construction, with no second parse.
    #[serde(skip)]
    pub indicator: Indicator,
    /// The value as written in the submission.
    pub raw: String,
    /// Flags: intrinsic facts and what canonicalisation did.
    #[serde(skip_serializing_if = "flags_empty")]
    pub flags: Flags,
    /// The marking: the observation's, else the submission's default; absent when neither says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// The organisation that shared the submission (`--source`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Admiralty grades stated by the format.
    #[serde(skip_serializing_if = "admiralty_default")]
    pub admiralty: Admiralty,
    /// When the partner first saw it.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub first_seen: Option<OffsetDateTime>,
    /// When the partner last saw it.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub last_seen: Option<OffsetDateTime>,
    /// Free tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Malware family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malware: Option<String>,
    /// Classification hints (`feed:urlhaus`, `misp-type:ip-dst`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// The source withdrew it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
    /// Related values, canonicalised where they could be.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedRecord>,
    /// A port stated with the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Free-text context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The record's identifier in its source format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

/// A related value: canonical when it canonicalised, else kept as written with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedRecord {
    /// How it relates.
    pub relation: Relation,
    /// The canonical kind, or the kind hint when it did not canonicalise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<IndicatorKind>,
    /// The canonical value, or the value as written when it did not canonicalise.
    pub value: String,
    /// The key, when it canonicalised: [`Indicator::key`] of `indicator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The canonical indicator, when it canonicalised.
    #[serde(skip)]
    pub indicator: Option<Indicator>,
    /// Why it did not canonicalise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RelatedRecord {
    /// A related value that canonicalised.
    pub fn canonical(relation: Relation, indicator: Indicator) -> RelatedRecord {
        let value = indicator.value();
        RelatedRecord {
            relation,
            kind: Some(indicator.kind()),
            key: Some(indicator.key_with_value(&value)),
            value,
            indicator: Some(indicator),
            error: None,
        }
    }
}

fn flags_empty(f: &Flags) -> bool {
    f.is_empty()
}

fn admiralty_default(a: &Admiralty) -> bool {
    *a == Admiralty::default()
}

/// What every record of a submission shares.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// SHA-256 of the submission.
    pub submission: String,
    /// The default marking (`--tlp`).
    pub tlp: Option<Tlp>,
    /// The sharing organisation (`--source`).
    pub source: Option<String>,
    /// Tags the submitter gives the whole submission (`--tag`), before the
    /// record's own: how IntelMQ configures a feed's classification, e.g.
    /// `rsit:malicious-code="c2-server"` for a plain list of C2 servers.
    pub tags: Vec<String>,
}

/// The problem code of an observation that did not canonicalise.
pub const INVALID_CODE: &str = "indicator.invalid";

/// Longest stretch of a value quoted in a problem message.
const QUOTE_CHARS: usize = 200;

fn quote(value: &str) -> String {
    if value.chars().count() <= QUOTE_CHARS {
        format!("{value:?}")
    } else {
        let cut: String = value.chars().take(QUOTE_CHARS).collect();
        format!("{cut:?}…")
    }
}

/// Canonicalises one observation: a [`Record`], or an `indicator.invalid`
/// error at the observation's location naming the kind hint, the value as
/// written and the reason.
pub fn canonicalise(
    obs: Observation,
    provenance: &Provenance,
    part: Option<String>,
    options: &ParseOptions,
) -> Result<Record, Box<Problem>> {
    let canonical = match Indicator::parse(&obs.value, obs.kind, options) {
        Ok(c) => c,
        Err(e) => {
            let what = obs
                .kind
                .map_or_else(|| "value".to_owned(), |k| format!("{k} value"));
            return Err(Box::new(Problem::error(
                INVALID_CODE,
                format!("{what} {}: {e}", quote(&obs.value)),
                obs.location,
            )));
        }
    };
    let related = obs
        .related
        .into_iter()
        .map(|r| match Indicator::parse(&r.value, r.kind, options) {
            Ok(c) => RelatedRecord::canonical(r.relation, c.indicator),
            Err(e) => RelatedRecord {
                relation: r.relation,
                kind: r.kind,
                value: r.value,
                key: None,
                indicator: None,
                error: Some(e.to_string()),
            },
        })
        .collect();
    let indicator = canonical.indicator;
    let value = indicator.value();
    Ok(Record {
        submission: provenance.submission.clone(),
        part,
        location: obs.location,
        kind: indicator.kind(),
        key: indicator.key_with_value(&value),
        value,
        indicator,
        raw: obs.value,
        flags: canonical.flags,
        tlp: obs.tlp.or(provenance.tlp),
        source: provenance.source.clone(),
        admiralty: obs.admiralty,
        first_seen: obs.first_seen,
        last_seen: obs.last_seen,
        tags: if provenance.tags.is_empty() {
            obs.tags
        } else {
            provenance.tags.iter().cloned().chain(obs.tags).collect()
        },
        malware: obs.malware,
        hints: obs.hints,
        withdrawn: obs.withdrawn,
        related,
        port: obs.port.or(canonical.port),
        context: obs.context,
        source_id: obs.source_id,
    })
}

/// Where records go. The CLI writes JSON Lines; the store will implement it too.
pub trait RecordSink {
    /// Takes one record. An error stops the submission (nothing more is accepted).
    fn record(&mut self, record: Record) -> io::Result<()>;
}

impl RecordSink for Vec<Record> {
    fn record(&mut self, record: Record) -> io::Result<()> {
        self.push(record);
        Ok(())
    }
}

impl<S: RecordSink + ?Sized> RecordSink for &mut S {
    fn record(&mut self, record: Record) -> io::Result<()> {
        (**self).record(record)
    }
}

/// Writes each record as one line of JSON.
#[derive(Debug)]
pub struct JsonLines<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> JsonLines<W> {
    /// Writes to `out` (buffer it).
    pub fn new(out: W) -> Self {
        JsonLines { out, written: 0 }
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> RecordSink for JsonLines<W> {
    fn record(&mut self, record: Record) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &record).map_err(io::Error::from)?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelita_model::Related;

    #[test]
    fn canonicalises_value_and_related() {
        let mut o = Observation::new(
            Some(IndicatorKind::Domain),
            "Example[.]COM",
            Location::in_file("f").with_line(2),
        );
        o.related.push(Related {
            relation: Relation::ResolvesTo,
            kind: Some(IndicatorKind::Ipv4),
            value: "198.51.100[.]7".into(),
        });
        o.related.push(Related {
            relation: Relation::ResolvesTo,
            kind: Some(IndicatorKind::Ipv4),
            value: "999.1.1.1".into(),
        });
        let p = Provenance {
            submission: "ab".repeat(32),
            tlp: Some(Tlp::Green),
            source: Some("CERT-X".into()),
            tags: vec!["feed:x".into()],
        };
        let r = canonicalise(o, &p, None, &ParseOptions::default()).unwrap();
        assert_eq!(r.key, "domain:example.com");
        assert_eq!(r.raw, "Example[.]COM");
        assert_eq!(r.tlp, Some(Tlp::Green));
        assert_eq!(r.tags.first().map(String::as_str), Some("feed:x"));
        assert_eq!(r.related[0].key.as_deref(), Some("ipv4:198.51.100.7"));
        assert_eq!(r.related[1].value, "999.1.1.1");
        assert!(r.related[1].error.is_some());
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["location"]["line"], 2);
        assert_eq!(json["source"], "CERT-X");
    }

    #[test]
    fn failure_is_a_located_problem() {
        let o = Observation::new(
            Some(IndicatorKind::Ipv4),
            "999.1.1.1",
            Location::in_file("f").with_line(9),
        );
        let e =
            canonicalise(o, &Provenance::default(), None, &ParseOptions::default()).unwrap_err();
        assert_eq!(e.code, INVALID_CODE);
        assert_eq!(e.location.line, Some(9));
        assert!(
            e.message.starts_with("ipv4 value \"999.1.1.1\": "),
            "{}",
            e.message
        );
    }
}
