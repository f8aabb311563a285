//! Fusion: one indicator, many sightings, one fused view.
//!
//! A fusion centre hears about the same server from many partners, at
//! different times, with different reliability. [`fuse`] turns the set of
//! sightings of one indicator into a [`Fused`] view: confidence, number of
//! independent sources, first and last seen, and why it is suppressed, if it
//! is. It is a pure function of the *set* of sightings it is given, so:
//!
//! - the result does not depend on the order in which partners submitted
//!   (sources are grouped in a sorted map and combined in a fixed order, so
//!   even floating-point rounding is order-free), and re-ingesting the same
//!   sightings changes nothing;
//! - every aggregate can be computed over exactly the sightings a given viewer
//!   may see: the store filters by marking first and fuses what is left, so a
//!   RED sighting can never leak into a GREEN viewer's confidence.
//!
//! # The confidence formula
//!
//! 1. **One sighting.** `p = sqrt(w_r · w_c)`, the geometric mean of the
//!    weight of the source's reliability grade (A 0.95, B 0.80, C 0.60,
//!    D 0.40, E 0.20) and of the information's credibility grade (1 0.95 …
//!    5 0.20). A grade that is absent, F or 6 ("cannot be judged") counts as
//!    [`Policy::unknown_weight`] (0.5): unknown, not bad. The geometric mean
//!    keeps an A1 report at 0.95 and an unknown one at 0.5, where a product
//!    would punish every report for carrying two grades.
//! 2. **Decay.** `p` is multiplied by `0.5^(age / half_life)`, where `age` is
//!    the time since the sighting's last-seen date and the half-life depends
//!    on the kind ([`Policy::half_life`]): an IP address is re-used within
//!    weeks, a domain within months, a file hash identifies its file for ever.
//! 3. **One source.** A source's probability is the best of its sightings.
//!    Reporting the same thing ten times does not make one partner ten
//!    witnesses: repeated reports from one source are not independent.
//! 4. **Independent sources.** `confidence = 1 − Π (1 − p_source)` (noisy-OR).
//!    Each independent source can only raise confidence, a weak source never
//!    drags a strong one down, two B sources give 0.96, and the result stays
//!    below 1.
//!
//! Withdrawn sightings (STIX `revoked`, MISP `deleted`) do not count; if every
//! sighting is withdrawn the indicator is suppressed with the reason, and kept.
//! Other suppressions (known-benign lists, non-routable values) are decided by
//! enrichment and recorded with [`Fused::suppress`].

use std::collections::BTreeMap;

use pelita_model::{Credibility, IndicatorKind, SourceReliability};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// What fusion needs to know about one sighting.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting<'a> {
    /// The organisation that reported it. Sightings with the same source are
    /// not independent.
    pub source: &'a str,
    /// The source's reliability grade, if stated.
    pub reliability: Option<SourceReliability>,
    /// The information's credibility grade, if stated.
    pub credibility: Option<Credibility>,
    /// When the source first saw it.
    pub first_seen: OffsetDateTime,
    /// When the source last saw it.
    pub last_seen: OffsetDateTime,
    /// How many times this sighting was reported.
    pub count: u64,
    /// The source withdrew it.
    pub withdrawn: bool,
}

/// Tunable parts of the formula. Every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Weight of a grade that is absent or "cannot be judged" (default 0.5).
    pub unknown_weight: f64,
    /// Half-life of IPv4 and IPv6 addresses, in days (default 30).
    pub ip_days: f64,
    /// Half-life of networks, in days (default 90).
    pub cidr_days: f64,
    /// Half-life of URLs, in days (default 30).
    pub url_days: f64,
    /// Half-life of domains and onion services, in days (default 90).
    pub domain_days: f64,
    /// Half-life of e-mail addresses and phone numbers, in days (default 180).
    pub contact_days: f64,
    /// Half-life of ASNs and wallet addresses, in days (default 365).
    pub slow_days: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            unknown_weight: 0.5,
            ip_days: 30.0,
            cidr_days: 90.0,
            url_days: 30.0,
            domain_days: 90.0,
            contact_days: 180.0,
            slow_days: 365.0,
        }
    }
}

impl Policy {
    /// The half-life of a kind; `None` means it never decays (file digests).
    pub fn half_life(&self, kind: IndicatorKind) -> Option<Duration> {
        let days = match kind {
            IndicatorKind::Ipv4 | IndicatorKind::Ipv6 => self.ip_days,
            IndicatorKind::Cidr => self.cidr_days,
            IndicatorKind::Url => self.url_days,
            IndicatorKind::Domain | IndicatorKind::Onion => self.domain_days,
            IndicatorKind::Email | IndicatorKind::Phone => self.contact_days,
            IndicatorKind::Asn
            | IndicatorKind::Bitcoin
            | IndicatorKind::Ethereum
            | IndicatorKind::Monero => self.slow_days,
            IndicatorKind::Md5
            | IndicatorKind::Sha1
            | IndicatorKind::Sha256
            | IndicatorKind::Sha512
            | IndicatorKind::Ssdeep
            | IndicatorKind::Tlsh => return None,
        };
        Some(Duration::seconds_f64(days * 86_400.0))
    }

    /// The probability that one sighting is right, before decay.
    pub fn sighting_weight(
        &self,
        reliability: Option<SourceReliability>,
        credibility: Option<Credibility>,
    ) -> f64 {
        let r = reliability
            .and_then(SourceReliability::weight)
            .unwrap_or(self.unknown_weight);
        let c = credibility
            .and_then(Credibility::weight)
            .unwrap_or(self.unknown_weight);
        (r * c).sqrt()
    }

    /// The decay factor for a sighting last seen `age` ago.
    pub fn decay(&self, kind: IndicatorKind, age: Duration) -> f64 {
        match self.half_life(kind) {
            Some(h) if age > Duration::ZERO && h > Duration::ZERO => 0.5f64.powf(age / h),
            _ => 1.0,
        }
    }
}

/// Why an indicator is kept but not acted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Suppression {
    /// Every source that reported it withdrew it.
    WithdrawnBySources,
    /// It is on a known-benign list.
    KnownBenign {
        /// The list, e.g. `misp-warninglists:public-dns-v4`.
        list: String,
    },
    /// It can never be real infrastructure (a documentation or private range, a reserved TLD).
    NonRoutable {
        /// The flag that says so.
        flag: String,
    },
}

/// The fused view of one indicator over a set of sightings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fused {
    /// Confidence now, with decay, in `[0, 1)`.
    pub confidence: f64,
    /// Confidence without decay: what the sources said when they said it.
    pub base_confidence: f64,
    /// Independent sources that reported it and did not withdraw it.
    pub sources: u32,
    /// Sightings counted (reports, including repeats), withdrawn ones excluded.
    pub sightings: u64,
    /// Earliest first-seen.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// Latest last-seen.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// Why it is suppressed, if it is; sorted, no duplicates.
    pub suppressed: Vec<Suppression>,
}

impl Fused {
    /// Records a suppression decided outside fusion (known-benign, non-routable).
    pub fn suppress(&mut self, why: Suppression) {
        if let Err(at) = self.suppressed.binary_search(&why) {
            self.suppressed.insert(at, why);
        }
    }

    /// Whether it is suppressed for any reason.
    pub fn is_suppressed(&self) -> bool {
        !self.suppressed.is_empty()
    }
}

/// Fuses the sightings of one indicator of `kind`, as of `now`. `None` when
/// there are no sightings.
pub fn fuse(
    kind: IndicatorKind,
    sightings: &[Sighting<'_>],
    now: OffsetDateTime,
    policy: &Policy,
) -> Option<Fused> {
    let all_withdrawn = sightings.iter().all(|s| s.withdrawn);
    // Dates come from live sightings, or from all of them if every one was withdrawn.
    let dated = sightings.iter().filter(|s| all_withdrawn || !s.withdrawn);
    let first_seen = dated.clone().map(|s| s.first_seen.min(s.last_seen)).min()?;
    let last_seen = dated.map(|s| s.last_seen.max(s.first_seen)).max()?;
    // Best (base, decayed) probability per source, in a sorted map so that the
    // combination below runs in the same order whatever the input order.
    let mut per_source: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut count = 0u64;
    for s in sightings.iter().filter(|s| !s.withdrawn) {
        let base = policy.sighting_weight(s.reliability, s.credibility);
        let decayed = base * policy.decay(kind, now - s.last_seen.max(s.first_seen));
        let entry = per_source.entry(s.source).or_insert((0.0, 0.0));
        entry.0 = entry.0.max(base);
        entry.1 = entry.1.max(decayed);
        count = count.saturating_add(s.count.max(1));
    }
    let noisy_or = |pick: fn(&(f64, f64)) -> f64| {
        1.0 - per_source.values().map(|p| 1.0 - pick(p)).product::<f64>()
    };
    let mut fused = Fused {
        confidence: noisy_or(|p| p.1),
        base_confidence: noisy_or(|p| p.0),
        sources: u32::try_from(per_source.len()).unwrap_or(u32::MAX),
        sightings: count,
        first_seen,
        last_seen,
        suppressed: Vec::new(),
    };
    if all_withdrawn {
        fused.suppress(Suppression::WithdrawnBySources);
    }
    Some(fused)
}
