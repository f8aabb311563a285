//! A report's indicators as a MISP feed: the layout a MISP instance
//! fetches from a feed URL (`manifest.json`, one `{uuid}.json` per event,
//! `hashes.csv`), one event per country report.
//!
//! Written here, beside the STIX appendix, so that the feed and the
//! report say the same thing: the same indicators (the report's, as its
//! reader may see them), the same markings, the same deterministic
//! identifiers across runs (an instance that pulls the feed again updates
//! its events rather than duplicating them).

use std::fmt::Write as _;

use pelita_model::{IndicatorKind, Tlp};
use serde_json::{Value, json};

use crate::CountryReport;
use crate::render::uuid_from;

/// The namespace of feed identifiers.
const NS: &str = "pelita-misp-feed";

/// The MISP attribute type and category of a kind.
fn attribute_type(kind: IndicatorKind) -> (&'static str, &'static str) {
    match kind {
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 | IndicatorKind::Cidr => {
            ("ip-dst", "Network activity")
        }
        IndicatorKind::Domain | IndicatorKind::Onion => ("domain", "Network activity"),
        IndicatorKind::Url => ("url", "Network activity"),
        IndicatorKind::Email => ("email-src", "Payload delivery"),
        IndicatorKind::Md5 => ("md5", "Payload delivery"),
        IndicatorKind::Sha1 => ("sha1", "Payload delivery"),
        IndicatorKind::Sha256 => ("sha256", "Payload delivery"),
        IndicatorKind::Sha512 => ("sha512", "Payload delivery"),
        IndicatorKind::Ssdeep => ("ssdeep", "Payload delivery"),
        IndicatorKind::Tlsh => ("tlsh", "Payload delivery"),
        IndicatorKind::Asn => ("AS", "Network activity"),
        IndicatorKind::Bitcoin => ("btc", "Financial fraud"),
        IndicatorKind::Ethereum => ("dash", "Financial fraud"),
        IndicatorKind::Monero => ("xmr", "Financial fraud"),
        IndicatorKind::Phone => ("phone-number", "Financial fraud"),
    }
}

/// MISP's TLP tag of a marking (the `tlp` taxonomy, TLP 2.0 names).
fn tlp_tag(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "tlp:clear",
        Tlp::Green => "tlp:green",
        Tlp::Amber => "tlp:amber",
        Tlp::AmberStrict => "tlp:amber+strict",
        Tlp::Red => "tlp:red",
    }
}

/// The feed event's UUID for a country (the same for every reader and run).
pub fn event_uuid(country: &str) -> String {
    uuid_from(NS, &format!("country:{country}"))
}

/// The event's timestamp: its newest sighting.
fn timestamp(r: &CountryReport) -> i64 {
    r.indicators()
        .map(|i| i.last_seen.unix_timestamp())
        .max()
        .unwrap_or_else(|| r.generated_at.unix_timestamp())
}

/// The event of one country report, as `{uuid}.json` holds it.
pub fn event(r: &CountryReport) -> Value {
    let uuid = event_uuid(&r.country);
    let attributes: Vec<Value> = r
        .indicators()
        .map(|i| {
            let (kind, category) = attribute_type(i.kind);
            let mut tags = vec![json!({"name": tlp_tag(i.marking)})];
            tags.extend(
                i.classifications
                    .iter()
                    .map(|c| json!({"name": format!("rsit:{c}")})),
            );
            tags.extend(
                i.malware
                    .iter()
                    .map(|m| json!({"name": format!("malware:{m}")})),
            );
            let value = if i.kind == IndicatorKind::Asn {
                i.value.trim_start_matches("AS").to_owned()
            } else {
                i.value.clone()
            };
            json!({
                "uuid": uuid_from(NS, &i.key),
                "type": kind,
                "category": category,
                "value": value,
                "to_ids": true,
                "timestamp": i.last_seen.unix_timestamp().to_string(),
                "first_seen": crate::render::rfc3339(i.first_seen),
                "last_seen": crate::render::rfc3339(i.last_seen),
                "comment": format!(
                    "confidence {:.0}%, {} independent source(s)",
                    i.confidence * 100.0,
                    i.sources
                ),
                "distribution": "5",
                "Tag": tags,
            })
        })
        .collect();
    let mut tags = vec![json!({"name": tlp_tag(r.marking)})];
    if r.synthetic {
        tags.push(json!({"name": "pelita:synthetic"}));
    }
    let info = format!(
        "Pelita Cyber Activity Report: {}{}",
        r.country_name.as_deref().unwrap_or(&r.country),
        if r.synthetic { " (SYNTHETIC)" } else { "" }
    );
    json!({
        "Event": {
            "uuid": uuid,
            "info": info,
            "date": r.generated_at.date().to_string(),
            "timestamp": timestamp(r).to_string(),
            "publish_timestamp": timestamp(r).to_string(),
            "published": true,
            "analysis": "2",
            "threat_level_id": "2",
            "distribution": "5",
            "Orgc": {"name": "Pelita fusion centre", "uuid": uuid_from(NS, "orgc")},
            "Tag": tags,
            "Attribute": attributes,
        }
    })
}

/// The manifest entry of one country report (`manifest.json` maps each
/// event UUID to one of these).
pub fn manifest_entry(r: &CountryReport) -> Value {
    let mut tags = vec![json!({"name": tlp_tag(r.marking)})];
    if r.synthetic {
        tags.push(json!({"name": "pelita:synthetic"}));
    }
    json!({
        "info": format!(
            "Pelita Cyber Activity Report: {}",
            r.country_name.as_deref().unwrap_or(&r.country)
        ),
        "date": r.generated_at.date().to_string(),
        "timestamp": timestamp(r).to_string(),
        "analysis": "2",
        "threat_level_id": "2",
        "Orgc": {"name": "Pelita fusion centre", "uuid": uuid_from(NS, "orgc")},
        "Tag": tags,
    })
}

/// The `hashes.csv` lines of one report: the MD5 of each attribute value
/// and the event it is in (MISP uses them to look values up without
/// fetching every event).
pub fn hash_lines(r: &CountryReport, out: &mut String) {
    use md5::Digest as _;
    let uuid = event_uuid(&r.country);
    for i in r.indicators() {
        for b in md5::Md5::digest(i.value.as_bytes()) {
            let _ = write!(out, "{b:02x}");
        }
        out.push(',');
        out.push_str(&uuid);
        out.push('\n');
    }
}
