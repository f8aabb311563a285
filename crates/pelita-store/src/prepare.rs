//! What a store derives from a record alone, computed before the writer
//! sees it.
//!
//! Enriching an indicator (IP tables, suffix data, known-benign lists),
//! classifying a sighting and rendering the JSON columns need no database:
//! [`crate::store_submission`] runs them on the parser's thread, beside
//! reading and canonicalising, so that the one writer thread only finds
//! ids and inserts rows. The price is that an indicator already stored is
//! enriched again and the result unused (a few microseconds; the stored
//! enrichment is always the one from its first sight).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use pelita_enrich::{Classification, Enricher, Enrichment, classify};
use pelita_ingest::Record;
use pelita_model::{Indicator, IndicatorKind};

use crate::StoreError;

/// A record with everything derived from it alone.
#[derive(Debug, Clone)]
pub struct PreparedRecord {
    /// The record.
    pub record: Record,
    /// Its own indicator, then each related indicator that canonicalised,
    /// in the order of `record.related`.
    pub indicators: Vec<PreparedIndicator>,
    /// Where in the submission, as the JSON the sightings table keeps
    /// (without the file when it is the submission's own).
    pub location: String,
    /// The sighting's ENISA class and type.
    pub class: Option<Classification>,
    /// Its tags, as a JSON list (none when empty).
    pub tags: Option<String>,
    /// Its classification hints, as a JSON list (none when empty).
    pub hints: Option<String>,
}

/// The columns of an indicator's row, but its id.
#[derive(Debug, Clone)]
pub struct PreparedIndicator {
    /// FNV-1a 64 of the key (the record's `key`, or its related one's).
    pub khash: i64,
    /// Intrinsic flags, as a JSON list of names.
    pub flags: Cow<'static, str>,
    /// For a network: its first and last address, 16-byte big-endian.
    pub range: Option<([u8; 16], [u8; 16])>,
    /// Hosting country, else a government suffix's, else the ccTLD's.
    pub country: Option<String>,
    /// The ASN.
    pub asn: Option<u32>,
    /// What enrichment found, as JSON without its dataset version and
    /// without empty fields.
    pub enrichment: Option<String>,
    /// The enrichment's dataset version (one for all of a submission's).
    pub dataset: Arc<str>,
    /// For URLs and domains: the registrable domain.
    pub site: Option<String>,
}

impl PreparedRecord {
    /// Derives what the store needs from `record`, a record of the
    /// submission named `submission` (the file its locations name).
    pub fn new(
        record: Record,
        enricher: &Enricher,
        submission: &str,
    ) -> Result<PreparedRecord, StoreError> {
        let indicators = canonical(&record)
            .map(|(i, key)| PreparedIndicator::new(i, key, enricher))
            .collect();
        let location = if record.location.file.as_deref() == Some(submission) {
            let mut own = record.location.clone();
            own.file = None;
            serde_json::to_string(&own)
        } else {
            serde_json::to_string(&record.location)
        }
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let class = classify(
            record.kind,
            &record.hints,
            &record.tags,
            record.malware.as_deref(),
        );
        let json_list = |v: &[String]| {
            if v.is_empty() {
                None
            } else {
                serde_json::to_string(v).ok()
            }
        };
        Ok(PreparedRecord {
            tags: json_list(&record.tags),
            hints: json_list(&record.hints),
            record,
            indicators,
            location,
            class,
        })
    }
}

impl PreparedRecord {
    /// The record's indicators with the key and the row of each, in the
    /// order of [`PreparedRecord::indicators`].
    pub(crate) fn indicators_with_rows(
        &self,
    ) -> impl Iterator<Item = (&Indicator, &str, &PreparedIndicator)> {
        canonical(&self.record)
            .zip(&self.indicators)
            .map(|((indicator, key), row)| (indicator, key, row))
    }
}

/// A record's own indicator, then each related one that canonicalised,
/// each with its key (rendered once, by the ingest stage).
fn canonical(record: &Record) -> impl Iterator<Item = (&Indicator, &str)> {
    let related = record
        .related
        .iter()
        .filter_map(|r| Some((r.indicator.as_ref()?, r.key.as_deref()?)));
    std::iter::once((&record.indicator, record.key.as_str())).chain(related)
}

impl PreparedIndicator {
    /// Enriches `indicator`, whose key is `key`, and renders its row.
    pub fn new(indicator: &Indicator, key: &str, enricher: &Enricher) -> PreparedIndicator {
        debug_assert_eq!(key, indicator.key(), "the key of this indicator");
        let kind = indicator.kind();
        // Only networks get a stored range (for containment queries): a
        // lookup computes an address's range from the probe itself, and
        // keeping addresses out keeps the range index small.
        let range = if kind == IndicatorKind::Cidr {
            net_range(indicator)
        } else {
            None
        };
        let e = enricher.enrich_unversioned(indicator);
        let site = match kind {
            IndicatorKind::Url | IndicatorKind::Domain => {
                indicator.domain().map(|d| enricher.site(d))
            }
            _ => None,
        };
        let enrichment = compact_json(&e);
        let asn = e.asn;
        let country = e
            .country
            .or_else(|| e.government.map(|g| g.country))
            .or(e.cctld_country);
        let flags = indicator.intrinsic_flags();
        PreparedIndicator {
            khash: key_hash(key),
            // Most indicators have none: no allocation for them.
            flags: if flags.is_empty() {
                Cow::Borrowed("[]")
            } else {
                Cow::Owned(serde_json::to_string(&flags).unwrap_or_else(|_| "[]".into()))
            },
            range,
            country,
            asn,
            enrichment,
            dataset: enricher.shared_version(),
            site,
        }
    }
}

/// An enrichment result as stored: only the fields that say something
/// (the dataset version is a column of its own), written straight from
/// the result. (It went through a `serde_json::Value` before, a map built
/// and sorted per indicator: a tenth of preparing a record. The top-level
/// keys keep that sorted order.)
fn compact_json(e: &Enrichment) -> Option<String> {
    #[derive(serde::Serialize)]
    struct Stored<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        as_name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        asn: Option<u32>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        benign: &'a [pelita_enrich::BenignMatch],
        #[serde(skip_serializing_if = "Option::is_none")]
        cctld_country: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        country: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        government: Option<&'a pelita_enrich::GovMatch>,
    }
    // Every field but the version: a field added to `Enrichment` fails
    // to compile here until it is stored too.
    let Enrichment {
        country,
        asn,
        as_name,
        cctld_country,
        government,
        benign,
        dataset_version: _,
    } = e;
    serde_json::to_string(&Stored {
        as_name: as_name.as_deref(),
        asn: *asn,
        benign,
        cctld_country: cctld_country.as_deref(),
        country: country.as_deref(),
        government: government.as_ref(),
    })
    .ok()
}

/// FNV-1a 64 of a key, as stored in `indicators.khash`. Stable across
/// versions and platforms (it is persisted), unlike `std`'s hasher.
pub(crate) fn key_hash(key: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

/// A network's first and last address as 16-byte big-endian values (IPv4
/// mapped into `::ffff:0:0/96`), for containment queries.
pub(crate) fn net_range(indicator: &Indicator) -> Option<([u8; 16], [u8; 16])> {
    let as16 = |ip: IpAddr| match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    };
    match indicator {
        Indicator::Ipv4(_) | Indicator::Ipv6(_) => indicator.ip().map(|ip| (as16(ip), as16(ip))),
        Indicator::Cidr(c) => {
            let lo = u128::from_be_bytes(as16(c.addr()));
            let host_bits = match c.addr() {
                IpAddr::V4(_) => 32 - u32::from(c.prefix()),
                IpAddr::V6(_) => 128 - u32::from(c.prefix()),
            };
            let hi = lo | 1u128.checked_shl(host_bits).map_or(u128::MAX, |b| b - 1);
            Some((lo.to_be_bytes(), Ipv6Addr::from(hi).octets()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use pelita_enrich::{BenignMatch, Enrichment, GovMatch, Sector};

    use super::compact_json;

    /// The way the column was written before: through a `Value`, nulls,
    /// empty lists and the version dropped.
    fn through_value(e: &Enrichment) -> String {
        let serde_json::Value::Object(mut fields) = serde_json::to_value(e).unwrap() else {
            panic!("an object")
        };
        fields.retain(|name, v| {
            name != "dataset_version" && !v.is_null() && !v.as_array().is_some_and(Vec::is_empty)
        });
        serde_json::to_string(&fields).unwrap()
    }

    #[test]
    fn the_stored_enrichment_is_what_the_value_route_wrote() {
        let ip = Enrichment {
            country: Some("US".into()),
            asn: Some(749),
            as_name: Some("United States \"DoD\"".into()),
            dataset_version: "v1".into(),
            ..Enrichment::default()
        };
        let domain = Enrichment {
            cctld_country: Some("SG".into()),
            government: Some(GovMatch {
                country: "SG".into(),
                suffix: "gov.sg".into(),
                sector: Sector::Government,
            }),
            benign: vec![BenignMatch {
                list: "top".into(),
                name: "Top domains".into(),
                entry: "example.gov.sg".into(),
            }],
            dataset_version: "v1".into(),
            ..Enrichment::default()
        };
        let nothing = Enrichment::default();
        // Top-level fields only: the same bytes as before.
        for e in [&ip, &nothing] {
            assert_eq!(compact_json(e).unwrap(), through_value(e));
        }
        // Nested objects keep their own field order now: the same JSON value.
        for e in [&ip, &domain, &nothing] {
            let now: serde_json::Value = serde_json::from_str(&compact_json(e).unwrap()).unwrap();
            let before: serde_json::Value = serde_json::from_str(&through_value(e)).unwrap();
            assert_eq!(now, before);
            let back: Enrichment = serde_json::from_value(now).unwrap();
            assert_eq!(
                back,
                Enrichment {
                    dataset_version: String::new(),
                    ..e.clone()
                }
            );
        }
    }
}
