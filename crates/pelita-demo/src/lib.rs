//! A deterministic synthetic regional operation for demonstrating Pelita.
//!
//! # The scenario
//!
//! Eight countries ([`COUNTRIES`]: SG, MY, ID, TH, PH, VN, KH, LA), each with
//! a national CERT and a police cyber unit, and seven private security firms:
//! 23 partners ([`organisations`]). A regional cybercrime operation runs about
//! 9,000 command-and-control servers (IPv4 and a few IPv6, with fictional
//! malware families such as `DemoBot` and `SyntheticRAT`), malicious URLs on a
//! few hundred compromised legitimate websites (among them 40 government
//! portals), phishing sites, scam phone numbers and e-mail addresses, crypto
//! wallets, and infected IoT devices. Each partner submits *packages* in its
//! own format ([`Scenario::packages`]): STIX 2.1 bundles (CERTs, firm-echo),
//! MISP events (police, firm-foxtrot), Feodo Tracker, ThreatFox, URLhaus and
//! Shadowserver `event4_sinkhole` CSV (firms), a defanged list (firm-golf) and
//! Markdown police reports. Sightings overlap (one C2 server is reported by one
//! to four partners, in different notations), markings conflict (GREEN from
//! one partner, AMBER or RED from another), real-world decoys (`8.8.8.8`,
//! `google.com`, RFC 1918 addresses, …) must be suppressed by the known-benign
//! lists, and five records are deliberately malformed. [`Scenario::truth`]
//! says what the generator intended, per country, without generating bytes.
//!
//! Everything is a pure function of `seed`, `scale` and `now` (a SplitMix64
//! generator, [`rng`]): the same three give byte-identical packages on every
//! platform. `scale` (1..=1000) multiplies C2 servers, IoT devices, phishing
//! and compromised sites; at 1000 the scenario holds about 10 million
//! indicators. Packages are generated lazily, one at a time, each bounded to
//! about 50,000 records ([`plan::CHUNK`]), so memory does not grow with scale.
//!
//! # Never a real value labelled malicious
//!
//! Every malicious value is reserved or for documentation, so it can never be
//! real infrastructure: IPv4 in `198.18.0.0/15` (benchmarking; `240.0.0.0/4`
//! above scale [`region::BENCHMARK_MAX_SCALE`]), IPv6 in `2001:db8::/32`,
//! ASNs 64496–64511, domains under `.test`, Ofcom drama phone numbers, and
//! Bitcoin testnet wallets. `pelita_model::Indicator::parse` flags each of
//! them (benchmarking, reserved, documentation, reserved-tld, fictitious,
//! testnet); the tests check it. The decoys are the only real-world values,
//! and each is on a shipped known-benign list or in RFC 1918 space.
//!
//! # The overlay
//!
//! Reserved ranges have no country, so the demo ships an enrichment overlay
//! that places them: [`ip_overlay_csv`] (the CSV override format of
//! `pelita-enrich`: two hosting networks per country with documentation
//! ASNs, and an IPv6 `/48`), [`domain_overlay`] (`<cc>.test`,
//! `com.<cc>.test`, `gov.<cc>.test`, `edu.<cc>.test`, to be treated as public
//! suffixes, with their sector) and [`phone_overlay`] (one drama-number block
//! per country).

mod formats;
pub mod plan;
pub mod region;
pub mod rng;
mod world;

use pelita_model::Tlp;
use time::OffsetDateTime;

pub use region::{
    COUNTRIES, Country, DomainOverlay, Org, OrgKind, domain_overlay, ip_overlay_csv,
    name_overlay_csv, organisations, phone_overlay,
};

use plan::Feed;
use world::World;

/// One submission of one partner: a file in the partner's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The submitting organisation ([`Org::name`]).
    pub org: String,
    /// The file name.
    pub file_name: String,
    /// The platform's format name: `stix`, `misp`, `csv:urlhaus`,
    /// `csv:feodotracker`, `csv:threatfox`, `csv:shadowserver:event4_sinkhole`,
    /// `list` or `text`.
    pub format: String,
    /// Tags for every record of the package (`pelita ingest --tag`): what a
    /// plain list's values are.
    pub tags: Vec<String>,
    /// The marking of the package as a whole (records in STIX and MISP carry their own).
    pub tlp: Option<Tlp>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A scenario: seed, scale and the moment it is generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// The seed: same seed, same scenario.
    pub seed: u64,
    /// The volume multiplier, 1..=1000 (clamped).
    pub scale: u32,
    /// "Now": every sighting is dated before it.
    pub now: OffsetDateTime,
}

/// What the generator intended for one country (distinct values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryTruth {
    /// Country code.
    pub country: &'static str,
    /// Distinct C2 server IPs (IPv4 and IPv6).
    pub c2_ips: u64,
    /// Of which IPv6.
    pub c2_ipv6: u64,
    /// Compromised legitimate websites.
    pub compromised_sites: u64,
    /// Malicious URLs on them.
    pub compromised_urls: u64,
    /// Government portals among the compromised sites.
    pub government_portals: u64,
    /// Attacker-owned phishing domains.
    pub phishing_domains: u64,
    /// Phishing URLs.
    pub phishing_urls: u64,
    /// Scam phone numbers.
    pub scam_phones: u64,
    /// Scam e-mail addresses.
    pub scam_emails: u64,
    /// Infected IoT devices (victim IPs).
    pub iot_devices: u64,
    /// Crypto wallets.
    pub wallets: u64,
}

/// What the generator intended: per country and overall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// Per country, in [`COUNTRIES`] order.
    pub countries: Vec<CountryTruth>,
    /// Distinct C2 IPs in all countries.
    pub c2_ips: u64,
    /// Distinct wallets.
    pub wallets: u64,
    /// Distinct decoy values (real-world values that must be suppressed).
    pub decoys: u64,
    /// Deliberately malformed records.
    pub malformed_records: u64,
    /// Packages [`Scenario::packages`] yields.
    pub packages: u64,
    /// Partner organisations.
    pub organisations: u64,
}

impl Scenario {
    /// A scenario (`scale` is clamped to 1..=1000).
    pub fn new(seed: u64, scale: u32, now: OffsetDateTime) -> Self {
        Scenario { seed, scale, now }
    }

    fn world(&self) -> World {
        World {
            seed: self.seed,
            scale: u64::from(self.scale.clamp(1, 1000)),
            now: self.now,
        }
    }

    /// The packages, generated lazily one at a time.
    pub fn packages(&self) -> impl Iterator<Item = Package> + use<> {
        let w = self.world();
        plan::feeds().into_iter().flat_map(move |feed| {
            let parts = feed.parts(&w);
            (0..parts).map(move |part| make(&w, &feed, part))
        })
    }

    /// What the generator intended, computed without generating packages.
    pub fn truth(&self) -> Truth {
        let w = self.world();
        let mut t = Truth::default();
        for (c, country) in COUNTRIES.iter().enumerate() {
            let sites = w.sites();
            let ct = CountryTruth {
                country: country.code,
                c2_ips: w.c2s(c),
                c2_ipv6: w.c2_v6(),
                compromised_sites: sites,
                compromised_urls: (0..sites).map(|s| w.site_urls(c, s)).sum(),
                government_portals: world::GOV_SITES,
                phishing_domains: w.phish_domains(),
                phishing_urls: (0..w.phish_domains()).map(|d| w.phish_urls(c, d)).sum(),
                scam_phones: w.phones(),
                scam_emails: w.emails(),
                iot_devices: w.iot(c),
                wallets: world::WALLETS,
            };
            t.c2_ips += ct.c2_ips;
            t.wallets += ct.wallets;
            t.countries.push(ct);
        }
        let feeds = plan::feeds();
        let mut decoys = std::collections::BTreeSet::new();
        for f in &feeds {
            let (d, m) = formats::extras(f);
            decoys.extend(d.iter().copied());
            t.malformed_records += u64::from(m.is_some());
            t.packages += f.parts(&w);
        }
        t.decoys = decoys.len() as u64;
        t.organisations = organisations().len() as u64;
        t
    }
}

fn make(w: &World, feed: &Feed, part: u64) -> Package {
    let items = if feed.kind == plan::FeedKind::PoliceReport {
        Vec::new()
    } else {
        feed.items(w, part)
    };
    Package {
        org: feed.org.clone(),
        file_name: feed.file_name(part),
        format: feed.format(),
        tags: feed.tags(),
        tlp: Some(feed.tlp()),
        bytes: formats::write(w, feed, part, &items),
    }
}
