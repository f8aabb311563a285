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

use std::net::{IpAddr, Ipv6Addr};

use pelita_enrich::{Classification, Enricher, classify};
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
    /// Where in the submission, as the JSON the sightings table keeps.
    pub location: String,
    /// The sighting's ENISA class and type.
    pub class: Option<Classification>,
}

/// The columns of an indicator's row, but its id.
#[derive(Debug, Clone)]
pub struct PreparedIndicator {
    /// `kind:value`.
    pub key: String,
    /// FNV-1a 64 of the key (the indexed column).
    pub khash: i64,
    /// Intrinsic flags, as a JSON list of names.
    pub flags: String,
    /// For a network: its first and last address, 16-byte big-endian.
    pub range: Option<([u8; 16], [u8; 16])>,
    /// Hosting country, else a government suffix's, else the ccTLD's.
    pub country: Option<String>,
    /// The ASN.
    pub asn: Option<u32>,
    /// The whole enrichment result, as JSON.
    pub enrichment: Option<String>,
    /// For URLs and domains: the registrable domain.
    pub site: Option<String>,
}

impl PreparedRecord {
    /// Derives what the store needs from `record`.
    pub fn new(record: Record, enricher: &Enricher) -> Result<PreparedRecord, StoreError> {
        let related = record.related.iter().filter_map(|r| r.indicator.as_ref());
        let indicators = std::iter::once(&record.indicator)
            .chain(related)
            .map(|i| PreparedIndicator::new(i, enricher))
            .collect();
        let location = serde_json::to_string(&record.location)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let class = classify(
            record.kind,
            &record.hints,
            &record.tags,
            record.malware.as_deref(),
        );
        Ok(PreparedRecord {
            record,
            indicators,
            location,
            class,
        })
    }
}

impl PreparedIndicator {
    /// Enriches `indicator` and renders its row.
    pub fn new(indicator: &Indicator, enricher: &Enricher) -> PreparedIndicator {
        let key = indicator.key();
        let kind = indicator.kind();
        // Only networks get a stored range (for containment queries): a
        // lookup computes an address's range from the probe itself, and
        // keeping addresses out keeps the range index small.
        let range = if kind == IndicatorKind::Cidr {
            net_range(indicator)
        } else {
            None
        };
        let e = enricher.enrich(indicator);
        let site = match kind {
            IndicatorKind::Url | IndicatorKind::Domain => {
                indicator.domain().map(|d| enricher.site(d))
            }
            _ => None,
        };
        let country = e
            .country
            .clone()
            .or_else(|| e.government.as_ref().map(|g| g.country.clone()))
            .or_else(|| e.cctld_country.clone());
        PreparedIndicator {
            khash: key_hash(&key),
            key,
            flags: serde_json::to_string(&indicator.intrinsic_flags())
                .unwrap_or_else(|_| "[]".into()),
            range,
            country,
            asn: e.asn,
            enrichment: serde_json::to_string(&e).ok(),
            site,
        }
    }
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
