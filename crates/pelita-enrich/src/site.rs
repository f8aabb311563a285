//! Compromised website or attacker-owned? A pure rule function.
//!
//! A malicious URL is either on a legitimate site that was broken into
//! (notify the owner; do not block the whole domain) or on a domain the
//! attacker registered (block it). [`site_assessment`] decides from facts
//! the store already has, with the reasons:
//!
//! | evidence                                                                                   | reason                    |
//! |--------------------------------------------------------------------------------------------|---------------------------|
//! | the domain is under a government, military or education suffix                            | [`SiteReason::PublicSectorSuffix`] |
//! | at least [`MANY_PATHS`] distinct URL paths seen on the registrable domain                   | [`SiteReason::ManyPaths`] |
//! | at least [`MANY_SOURCES`] independent sources reported the registrable domain, not all of it as fraud | [`SiteReason::ManySources`] |
//! | the domain was first seen at least [`OLD_DOMAIN_DAYS`] days before the malicious sighting   | [`SiteReason::OldDomain`] |
//! | the domain is on a known-benign (top sites) list                                            | [`SiteReason::KnownBenign`] |
//!
//! Many partners reporting a phishing domain is no sign that it is a
//! legitimate site: phishing kits on attacker-registered lookalikes are
//! exactly what every partner's feed carries. So [`SiteReason::ManySources`]
//! does not count when every classified sighting on the domain is
//! `fraud/*` ([`SiteEvidence::fraud_only`]).
//!
//! Any one reason makes the verdict [`SiteVerdict::LikelyCompromised`];
//! none makes it [`SiteVerdict::LikelyAttackerOwned`]. An IP-address host
//! has no registrable domain: the verdict is [`SiteVerdict::Unknown`] unless
//! one of the count-based reasons holds.

use serde::{Deserialize, Serialize};

/// Distinct URL paths on a registrable domain from which it counts as a site with content.
pub const MANY_PATHS: u32 = 10;
/// Independent sources from which a domain counts as widely seen.
pub const MANY_SOURCES: u32 = 3;
/// Days between first sighting of the domain and the malicious sighting from which it counts as old.
pub const OLD_DOMAIN_DAYS: i64 = 365;

/// What is known about the site a malicious URL is on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteEvidence {
    /// Whether the host is a domain name (false for an IP address host).
    pub host_is_domain: bool,
    /// Distinct URL paths seen on the registrable domain (all sightings, all sources).
    pub distinct_paths: u32,
    /// Independent sources that reported anything on the registrable domain.
    pub independent_sources: u32,
    /// Days from the domain's first sighting (or registration) to the malicious
    /// sighting, when known; negative or `None` when unknown.
    pub domain_age_days: Option<i64>,
    /// Whether the domain is under a government, military or education suffix.
    pub public_sector_suffix: bool,
    /// Whether the domain is on a known-benign (top sites) list.
    pub known_benign: bool,
    /// Whether every classified sighting on the registrable domain is
    /// `fraud/*` (phishing, masquerade…), and at least one is.
    #[serde(default)]
    pub fraud_only: bool,
}

/// Why a site looks compromised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteReason {
    /// Under a government, military or education suffix.
    PublicSectorSuffix,
    /// Many distinct URL paths.
    ManyPaths,
    /// Many independent sources.
    ManySources,
    /// First seen long before the malicious sighting.
    OldDomain,
    /// On a known-benign list.
    KnownBenign,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteVerdict {
    /// A legitimate site, likely broken into.
    LikelyCompromised,
    /// Likely registered or run by the attacker.
    LikelyAttackerOwned,
    /// Not enough to say (an IP host with nothing else known).
    Unknown,
}

/// The verdict with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAssessment {
    /// The verdict.
    pub verdict: SiteVerdict,
    /// The reasons for "likely compromised", in the table's order; empty otherwise.
    pub reasons: Vec<SiteReason>,
}

/// Applies the rules in the module documentation.
pub fn site_assessment(input: &SiteEvidence) -> SiteAssessment {
    let mut reasons = Vec::new();
    if input.host_is_domain && input.public_sector_suffix {
        reasons.push(SiteReason::PublicSectorSuffix);
    }
    if input.distinct_paths >= MANY_PATHS {
        reasons.push(SiteReason::ManyPaths);
    }
    if input.independent_sources >= MANY_SOURCES && !input.fraud_only {
        reasons.push(SiteReason::ManySources);
    }
    if input.host_is_domain && input.domain_age_days.is_some_and(|d| d >= OLD_DOMAIN_DAYS) {
        reasons.push(SiteReason::OldDomain);
    }
    if input.host_is_domain && input.known_benign {
        reasons.push(SiteReason::KnownBenign);
    }
    let verdict = if !reasons.is_empty() {
        SiteVerdict::LikelyCompromised
    } else if input.host_is_domain {
        SiteVerdict::LikelyAttackerOwned
    } else {
        SiteVerdict::Unknown
    };
    SiteAssessment { verdict, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(sources: u32, fraud_only: bool) -> SiteEvidence {
        SiteEvidence {
            host_is_domain: true,
            distinct_paths: 2,
            independent_sources: sources,
            domain_age_days: Some(10),
            fraud_only,
            ..SiteEvidence::default()
        }
    }

    #[test]
    fn many_sources_of_phishing_alone_is_attacker_owned() {
        let a = site_assessment(&domain(5, true));
        assert_eq!(a.verdict, SiteVerdict::LikelyAttackerOwned);
        assert!(a.reasons.is_empty());
        let b = site_assessment(&domain(5, false));
        assert_eq!(b.verdict, SiteVerdict::LikelyCompromised);
        assert_eq!(b.reasons, vec![SiteReason::ManySources]);
        // Other reasons still hold for a fraud-only domain.
        let mut c = domain(5, true);
        c.public_sector_suffix = true;
        assert_eq!(site_assessment(&c).verdict, SiteVerdict::LikelyCompromised);
        let mut d = domain(1, true);
        d.domain_age_days = Some(OLD_DOMAIN_DAYS);
        assert_eq!(site_assessment(&d).reasons, vec![SiteReason::OldDomain]);
    }
}
