//! End-to-end checks of the synthetic scenario: determinism, parsing with the
//! platform's own parsers, the reserved-value rule, counts against the truth,
//! scale, and the overlay.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use pelita_demo::{COUNTRIES, Package, Scenario, Truth};
use pelita_enrich::{BenignLists, CsvOverrides, NameOverlay, RsitType, classify};
use pelita_model::{Flag, Indicator, IndicatorKind};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-30 12:00:00 UTC);

fn scenario(seed: u64, scale: u32) -> Scenario {
    Scenario::new(seed, scale, NOW)
}

const ALLOWED: [Flag; 7] = [
    Flag::Documentation,
    Flag::Benchmarking,
    Flag::Reserved,
    Flag::ReservedTld,
    Flag::Fictitious,
    Flag::Testnet,
    Flag::PrivateAsn,
];

const DECOYS: [&str; 9] = [
    "8.8.8.8",
    "1.1.1.1",
    "9.9.9.9",
    "google.com",
    "microsoft.com",
    "en.wikipedia.org",
    "10.0.0.5",
    "192.168.1.1",
    "172.16.0.10",
];

/// Distinct canonical values seen over a scenario, by role.
#[derive(Default)]
struct Seen {
    c2: HashSet<IpAddr>,
    /// C2 IPs by the country the IP overlay places them in.
    c2_by_country: BTreeMap<String, HashSet<IpAddr>>,
    iot: HashSet<IpAddr>,
    urls: HashSet<String>,
    phones: HashSet<String>,
    emails: HashSet<String>,
    wallets: HashSet<String>,
    decoys: BTreeSet<String>,
    malformed: usize,
    packages: u64,
    max_records: usize,
    max_bytes: usize,
    /// Per C2 IP: the reporting organisations and the markings they gave.
    c2_sources: HashMap<IpAddr, (BTreeSet<String>, BTreeSet<pelita_model::Tlp>)>,
}

fn is_decoy(c: &pelita_model::Canonical) -> bool {
    let v = c.indicator.value();
    DECOYS.contains(&v.as_str())
}

fn collect(s: &Scenario, check_classes: bool) -> Seen {
    let mut seen = Seen::default();
    let benign = BenignLists::builtin();
    let overlay = CsvOverrides::from_reader(pelita_demo::ip_overlay_csv().as_bytes()).unwrap();
    for p in s.packages() {
        seen.packages += 1;
        let parsed = common::parse(&p);
        seen.max_records = seen.max_records.max(parsed.records.len());
        seen.max_bytes = seen.max_bytes.max(p.bytes.len());
        seen.malformed += parsed.malformed();
        for pr in &parsed.problems {
            eprintln!("{}: {} {}", p.file_name, pr.code, pr.message);
        }
        let iot_package = p.format.starts_with("csv:shadowserver");
        for (o, c) in &parsed.records {
            let Some(c) = c else { continue };
            let key = c.indicator.value();
            if is_decoy(c) {
                assert!(
                    benign.is_benign(&c.indicator) || c.flags.contains(Flag::Private),
                    "decoy {key} is neither on a known-benign list nor private"
                );
                seen.decoys.insert(key);
                continue;
            }
            assert!(
                ALLOWED.iter().any(|f| c.flags.contains(*f)),
                "{}: {key} ({:?}) carries no reserved flag: {:?}",
                p.file_name,
                c.indicator.kind(),
                c.flags
            );
            if check_classes {
                check_class(&p, o, c);
            }
            match c.indicator.kind() {
                IndicatorKind::Ipv4 | IndicatorKind::Ipv6 => {
                    let ip = c.indicator.ip().unwrap();
                    let placed = overlay.lookup(ip);
                    let country = placed
                        .country
                        .unwrap_or_else(|| panic!("the overlay does not place {ip}"));
                    assert!(placed.asn.is_some_and(|a| (64496..=64511).contains(&a)));
                    if iot_package {
                        seen.iot.insert(ip);
                    } else {
                        // A STIX partner names each C2's family by an
                        // `indicates` relationship listed after the indicator
                        // (the C2 indicators, labelled `botnet`; the
                        // deliberately malformed ones have no relationship).
                        if p.format == "stix" && o.tags.iter().any(|t| t == "botnet") {
                            assert!(
                                o.malware.is_some(),
                                "{}: C2 {ip} without its malware family",
                                p.file_name
                            );
                        }
                        seen.c2.insert(ip);
                        let e = seen.c2_sources.entry(ip).or_default();
                        e.0.insert(p.org.clone());
                        e.1.extend(o.tlp.or(p.tlp));
                        seen.c2_by_country.entry(country).or_default().insert(ip);
                    }
                }
                IndicatorKind::Url => {
                    seen.urls.insert(key);
                }
                IndicatorKind::Phone => {
                    seen.phones.insert(key);
                }
                IndicatorKind::Email => {
                    seen.emails.insert(key);
                }
                IndicatorKind::Bitcoin => {
                    seen.wallets.insert(key);
                }
                other => panic!("{}: unexpected kind {other:?} ({key})", p.file_name),
            }
        }
    }
    seen
}

/// What the platform's RSIT rules make of each sighting (prose carries no hints).
fn check_class(p: &Package, o: &pelita_model::Observation, c: &pelita_model::Canonical) {
    if p.format == "text" || p.format == "list" {
        return;
    }
    let kind = c.indicator.kind();
    let got = classify(kind, &o.hints, &o.tags, o.malware.as_deref())
        .unwrap_or_else(|| panic!("{}: {} is not classified", p.file_name, o.value));
    let t = got.rsit_type;
    let ok = match kind {
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 if p.format.starts_with("csv:shadowserver") => {
            t == RsitType::InfectedSystem
        }
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 => t == RsitType::C2Server,
        IndicatorKind::Url => matches!(
            t,
            RsitType::Phishing | RsitType::SystemCompromise | RsitType::MalwareDistribution
        ),
        IndicatorKind::Phone | IndicatorKind::Email | IndicatorKind::Bitcoin => {
            got.class == pelita_enrich::RsitClass::Fraud
        }
        _ => false,
    };
    assert!(ok, "{}: {} classified {:?}", p.file_name, o.value, got);
    if kind == IndicatorKind::Url && o.value.contains("secure-login") {
        assert_eq!(t, RsitType::Phishing, "{}", o.value);
    }
}

#[test]
fn same_inputs_same_bytes_and_another_seed_differs() {
    let a: Vec<Package> = scenario(1, 1).packages().collect();
    let b: Vec<Package> = scenario(1, 1).packages().collect();
    assert_eq!(a, b);
    let c: Vec<Package> = scenario(2, 1).packages().collect();
    assert_eq!(a.len(), c.len());
    assert_ne!(a, c);
    assert!(a.iter().zip(&c).filter(|(x, y)| x.bytes != y.bytes).count() > a.len() / 2);
}

#[test]
fn truth_counts_at_scale_1() {
    let t: Truth = scenario(1, 1).truth();
    eprintln!("{t:#?}");
    assert_eq!(t.organisations, 23);
    assert_eq!(t.c2_ips, 9000);
    assert_eq!(
        t.countries
            .iter()
            .map(|c| c.government_portals)
            .sum::<u64>(),
        40
    );
    let sites: u64 = t.countries.iter().map(|c| c.compromised_sites).sum();
    assert!((200..=500).contains(&sites), "{sites}");
    assert_eq!(t.decoys, 9);
    assert_eq!(t.malformed_records, 5);
    assert_eq!(t.packages, scenario(1, 1).packages().count() as u64);
}

#[test]
fn every_package_parses_and_every_value_is_reserved() {
    let s = scenario(1, 1);
    let t = s.truth();
    let seen = collect(&s, true);
    let sum = |f: fn(&pelita_demo::CountryTruth) -> u64| t.countries.iter().map(f).sum::<u64>();
    assert_eq!(seen.packages, t.packages);
    assert_eq!(
        seen.malformed as u64, t.malformed_records,
        "malformed records found"
    );
    assert_eq!(seen.c2.len() as u64, t.c2_ips, "distinct C2 IPs");
    assert_eq!(seen.iot.len() as u64, sum(|c| c.iot_devices));
    assert_eq!(
        seen.urls.len() as u64,
        sum(|c| c.compromised_urls) + sum(|c| c.phishing_urls)
    );
    assert_eq!(seen.phones.len() as u64, sum(|c| c.scam_phones));
    assert_eq!(seen.emails.len() as u64, sum(|c| c.scam_emails));
    assert_eq!(seen.wallets.len() as u64, t.wallets);
    assert_eq!(seen.decoys.len() as u64, t.decoys, "{:?}", seen.decoys);
    assert!(seen.max_records <= 50_000);
    assert_overlay_countries(&t, &seen);
    // Overlap: one to four partners per C2, and conflicting markings.
    let per_ip: Vec<usize> = seen.c2_sources.values().map(|v| v.0.len()).collect();
    assert!(per_ip.iter().all(|n| (1..=4).contains(n)));
    assert!(per_ip.iter().filter(|n| **n >= 3).count() > 500);
    let conflicting = seen
        .c2_sources
        .values()
        .filter(|v| {
            v.1.contains(&pelita_model::Tlp::Green)
                && v.1.iter().any(|t| *t >= pelita_model::Tlp::Amber)
        })
        .count();
    assert!(conflicting > 500, "{conflicting}");
}

#[test]
fn scale_10_has_ten_times_the_c2s_in_bounded_packages() {
    let one = scenario(3, 1).truth();
    let s = scenario(3, 10);
    let t = s.truth();
    assert_eq!(t.c2_ips, 10 * one.c2_ips);
    let seen = collect(&s, false);
    assert_eq!(seen.c2.len() as u64, t.c2_ips);
    assert_eq!(seen.malformed as u64, t.malformed_records);
    // Above the benchmarking range's capacity the scenario uses 240.0.0.0/4.
    assert!(
        seen.c2
            .iter()
            .any(|ip| matches!(ip, IpAddr::V4(a) if a.octets()[0] >= 240))
    );
    assert_overlay_countries(&t, &seen);
    assert!(seen.max_records <= 50_000, "{}", seen.max_records);
    for p in s.packages() {
        assert!(
            p.bytes.len() < 64 << 20,
            "{} is {} bytes",
            p.file_name,
            p.bytes.len()
        );
    }
}

#[test]
fn large_scales_are_lazy_and_bounded() {
    // The first packages of the largest scenario come at once and stay bounded.
    let s = scenario(1, 1000);
    let t = s.truth();
    let indicators: u64 = t
        .countries
        .iter()
        .map(|c| {
            c.c2_ips
                + c.iot_devices
                + c.compromised_urls
                + c.phishing_urls
                + c.scam_phones
                + c.scam_emails
        })
        .sum();
    assert!(
        (9_000_000..13_000_000).contains(&indicators),
        "{indicators}"
    );
    for p in s.packages().take(2) {
        let parsed = common::parse(&p);
        assert!(parsed.records.len() <= 50_000, "{}", parsed.records.len());
        for (_, c) in &parsed.records {
            let c = c.as_ref().unwrap();
            assert!(
                is_decoy(c) || ALLOWED.iter().any(|f| c.flags.contains(*f)),
                "{:?}",
                c
            );
        }
    }
}

/// The IP overlay places every C2 IP in the country the truth says.
fn assert_overlay_countries(t: &Truth, seen: &Seen) {
    for ct in &t.countries {
        assert_eq!(
            seen.c2_by_country.get(ct.country).map_or(0, HashSet::len) as u64,
            ct.c2_ips,
            "{}",
            ct.country
        );
    }
}

#[test]
fn ip_overlay_is_read_by_the_enricher() {
    let csv = pelita_demo::ip_overlay_csv();
    // Two networks per country in two IPv4 schemes, one IPv6 /48 per country.
    assert_eq!(
        csv.lines().filter(|l| !l.starts_with('#')).count(),
        1 + 8 * 2 * 2 + 8
    );
    let path = std::env::temp_dir().join(format!("pelita-demo-overlay-{}.csv", std::process::id()));
    std::fs::write(&path, &csv).unwrap();
    let enricher = pelita_enrich::Enricher::with_csv_overrides(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    for (ip, cc, asn) in [
        ("198.18.0.1", "SG", 64496),
        ("198.18.32.1", "SG", 64497),
        ("198.19.255.254", "LA", 64511),
        ("240.0.0.1", "SG", 64496),
        ("255.255.255.254", "LA", 64511),
        ("2001:db8:3::1", "ID", 64500),
    ] {
        let (country, a, name) = enricher.lookup_ip(ip.parse().unwrap());
        assert_eq!((country.as_deref(), a), (Some(cc), Some(asn)), "{ip}");
        assert!(name.unwrap().contains("(synthetic)"));
    }
}

#[test]
fn name_overlay_places_suffixes_and_phones() {
    let o = NameOverlay::from_csv(&pelita_demo::name_overlay_csv()).unwrap();
    assert_eq!(
        o.registrable("www.moh.gov.sg.test").as_deref(),
        Some("moh.gov.sg.test")
    );
    assert!(o.gov_match("moh.gov.sg.test").is_some());
    assert_eq!(o.phone_country("+442079460123"), Some("SG"));
    assert_eq!(pelita_demo::domain_overlay().len(), 32);
    let phones: HashMap<String, String> = pelita_demo::phone_overlay().into_iter().collect();
    assert_eq!(phones.len(), 8);
    for (prefix, _) in phones {
        let c = Indicator::parse(&format!("{prefix}123"), None, &Default::default()).unwrap();
        assert!(c.flags.contains(Flag::Fictitious), "{prefix}");
    }
    assert_eq!(COUNTRIES.len(), 8);
}
