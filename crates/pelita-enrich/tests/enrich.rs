#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]
//! Tests of pelita-enrich: IP tables, overrides, domain hints, warninglists,
//! RSIT classification and the site assessment.

use std::net::IpAddr;

use pelita_enrich::site::{MANY_PATHS, MANY_SOURCES, OLD_DOMAIN_DAYS};
use pelita_enrich::*;
use pelita_model::{Indicator, IndicatorKind, ParseOptions};
use proptest::prelude::*;

fn ind(s: &str) -> Indicator {
    Indicator::parse(s, None, &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .indicator
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const COUNTRY_CSV: &str = "\
1.0.0.0,1.0.0.255,AU
8.8.8.0,8.8.8.255,US
8.0.0.0,8.255.255.255,us
192.0.2.0,192.0.2.255,AU
2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US
2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,JP
";
const ASN_CSV: &str = "\
8.8.4.0,8.8.4.255,15169,Google LLC
8.8.8.0,8.8.8.255,15169,Google LLC
1.1.1.0,1.1.1.255,13335,\"Cloudflare, Inc.\"
8.0.0.0,8.255.255.255,3356,\"Level 3 Communications, Inc.\"
2001:4860::,2001:4860:4804:ffff:ffff:ffff:ffff:ffff,15169,Google LLC
";

fn small() -> IpTables {
    let bytes = build_tables([COUNTRY_CSV.as_bytes()], [ASN_CSV.as_bytes()], "test 1").unwrap();
    IpTables::decode(&bytes).unwrap()
}

#[test]
fn small_tables_longest_prefix_and_reserved() {
    let t = small();
    assert_eq!(t.version(), "test 1");
    let g = t.lookup(ip("8.8.8.8"));
    assert_eq!(
        (g.country, g.asn, g.as_name),
        (Some("US"), Some(15169), Some("Google LLC"))
    );
    // Inside the /8 but outside the more specific /24s.
    let l3 = t.lookup(ip("8.9.1.1"));
    assert_eq!((l3.country, l3.asn), (Some("US"), Some(3356)));
    assert_eq!(t.lookup(ip("8.8.4.4")).asn, Some(15169));
    assert_eq!(t.lookup(ip("8.8.5.1")).asn, Some(3356));
    assert_eq!(t.lookup(ip("1.1.1.1")).as_name, Some("Cloudflare, Inc."));
    assert_eq!(t.lookup(ip("1.1.1.1")).country, None);
    // IPv4-mapped IPv6 is IPv4.
    assert_eq!(t.lookup(ip("::ffff:8.8.8.8")).asn, Some(15169));
    let v6 = t.lookup(ip("2001:4860:4800::1"));
    assert_eq!((v6.country, v6.asn), (Some("US"), Some(15169)));
    let v6 = t.lookup(ip("2001:4860:4860::8888"));
    assert_eq!((v6.country, v6.asn), (Some("US"), None));
    // Documentation ranges are never given data, whatever the CSV says.
    assert_eq!(t.lookup(ip("192.0.2.1")), IpInfo::default());
    assert_eq!(t.lookup(ip("2001:db8::1")), IpInfo::default());
    assert_eq!(t.lookup(ip("9.9.9.9")), IpInfo::default());
}

#[test]
fn damaged_tables_are_errors() {
    assert!(IpTables::decode(b"not gzip").is_err());
    let mut bytes = build_tables([COUNTRY_CSV.as_bytes()], [ASN_CSV.as_bytes()], "x").unwrap();
    let n = bytes.len();
    bytes.truncate(n / 2);
    assert!(IpTables::decode(&bytes).is_err());
    assert!(build_tables(["1.2.3.4,zzz,US\n".as_bytes()], [&b""[..]], "x").is_err());
    assert!(build_tables(["1.2.3.4,1.2.3.0,US\n".as_bytes()], [&b""[..]], "x").is_err());
}

/// The shipped data agrees with the CSV it was built from (ip-location-db 2.3.2026061719):
/// `8.8.8.0,8.8.8.255,US` / `8.8.8.0,…,15169,Google LLC`, `1.1.1.0,1.1.1.255,AU` / `13335,"Cloudflare, Inc."`,
/// `2001:4860::,2001:4860:4804:…,15169,Google LLC`.
#[test]
fn shipped_tables() {
    let t = builtin_tables().expect("shipped IP data decodes");
    assert!(
        dataset_version().contains("@ip-location-db/asn@"),
        "{}",
        dataset_version()
    );
    let s = t.stats();
    assert!(
        s.country_v4 > 100_000 && s.asn_v4 > 100_000 && s.country_v6 > 10_000 && s.asn_v6 > 10_000
    );
    let g = t.lookup(ip("8.8.8.8"));
    assert_eq!(
        (g.country, g.asn, g.as_name),
        (Some("US"), Some(15169), Some("Google LLC"))
    );
    let c = t.lookup(ip("1.1.1.1"));
    assert_eq!(
        (c.country, c.asn, c.as_name),
        (Some("AU"), Some(13335), Some("Cloudflare, Inc."))
    );
    assert_eq!(t.lookup(ip("2001:4860:4860::8888")).asn, Some(15169));
    for doc in [
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.9",
        "10.1.2.3",
        "2001:db8::1",
        "fe80::1",
    ] {
        assert_eq!(t.lookup(ip(doc)), IpInfo::default(), "{doc}");
    }
}

#[test]
fn csv_overrides_longest_prefix() {
    let csv = "\
network,country,asn,as name
# comment
8.0.0.0/8,DE,,
8.8.0.0/16,,64500,Override Net
8.8.8.0/24,FR,,
2001:db8:1::/48,NL,64501,Doc Net
";
    let o = CsvOverrides::from_reader(csv.as_bytes()).unwrap();
    let v = o.lookup(ip("8.8.8.8"));
    assert_eq!((v.country.as_deref(), v.asn), (Some("FR"), Some(64500)));
    let v = o.lookup(ip("8.8.9.1"));
    assert_eq!(
        (v.country.as_deref(), v.asn, v.as_name.as_deref()),
        (Some("DE"), Some(64500), Some("Override Net"))
    );
    let v = o.lookup(ip("8.9.0.1"));
    assert_eq!((v.country.as_deref(), v.asn), (Some("DE"), None));
    assert_eq!(o.lookup(ip("2001:db8:1::5")).asn, Some(64501));
    assert_eq!(o.lookup(ip("9.9.9.9")).country, None);
    assert!(CsvOverrides::from_reader("8.8.8.0/33,US\n".as_bytes()).is_err());

    let dir = std::env::temp_dir().join(format!("pelita-enrich-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("overrides.csv");
    std::fs::write(&path, csv).unwrap();
    let e = Enricher::with_csv_overrides(&path).unwrap();
    // Country from the override, ASN from the override, falling through to the shipped data elsewhere.
    assert_eq!(
        e.lookup_ip(ip("8.8.8.8")),
        (Some("FR".into()), Some(64500), Some("Override Net".into()))
    );
    let (_, asn, _) = e.lookup_ip(ip("1.1.1.1"));
    assert_eq!(asn, Some(13335));
    assert!(Enricher::with_mmdb(&path).is_err(), "a CSV is not an mmdb");
    std::fs::remove_dir_all(&dir).ok();
}

/// A user's `.mmdb` (written here with the test-support writer, in both
/// layouts `Mmdb` reads) overrides the shipped data inside its networks,
/// field by field, and the shipped data answers everywhere else.
#[test]
fn mmdb_overrides_inside_its_networks_and_falls_back_outside() {
    use pelita_test_support::mmdb::{MmdbWriter, Network, Value};
    let net = |s: &str| s.parse::<Network>().unwrap();
    let iso = |c: &str| Value::map([("iso_code", Value::str(c))]);
    let mut w = MmdbWriter::new("Pelita-Test-Override").build_epoch(1_750_000_000);
    // GeoIP2 / GeoLite2 layout.
    w.insert(
        net("8.8.8.0/24"),
        Value::map([
            ("country", iso("fr")),
            ("autonomous_system_number", Value::U32(64500)),
            ("autonomous_system_organization", Value::str("Override Net")),
        ]),
    );
    // ip-location-db layout, a country only: the ASN comes from the shipped data.
    w.insert(
        net("1.1.1.0/24"),
        Value::map([("country_code", Value::str("NL"))]),
    );
    // The registered country when there is no country.
    w.insert(
        net("9.9.9.0/24"),
        Value::map([("registered_country", iso("CH"))]),
    );
    w.insert(
        net("2001:4860:4860::/48"),
        Value::map([
            ("country", iso("DE")),
            ("autonomous_system_number", Value::U32(64501)),
            ("autonomous_system_organization", Value::str("Override Six")),
        ]),
    );
    let dir = std::env::temp_dir().join(format!("pelita-enrich-mmdb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("override.mmdb");
    std::fs::write(&path, w.to_bytes().unwrap()).unwrap();

    let shipped = Enricher::builtin();
    let e = Enricher::with_mmdb(&path).unwrap();
    assert!(
        e.version()
            .contains("; mmdb Pelita-Test-Override@1750000000"),
        "{}",
        e.version()
    );
    let s = |ip_: &str| shipped.lookup_ip(ip(ip_));
    // What the shipped data says, so that the override visibly changes it.
    assert_eq!(
        s("8.8.8.8"),
        (Some("US".into()), Some(15169), Some("Google LLC".into()))
    );
    // Inside the override's networks: its answer.
    assert_eq!(
        e.lookup_ip(ip("8.8.8.8")),
        (Some("FR".into()), Some(64500), Some("Override Net".into()))
    );
    assert_eq!(
        e.lookup_ip(ip("2001:4860:4860::8888")),
        (Some("DE".into()), Some(64501), Some("Override Six".into()))
    );
    // Field by field: the override's country, the shipped ASN.
    assert_eq!(
        e.lookup_ip(ip("1.1.1.1")),
        (
            Some("NL".into()),
            Some(13335),
            Some("Cloudflare, Inc.".into())
        )
    );
    let (country, asn, _) = e.lookup_ip(ip("9.9.9.9"));
    assert_eq!((country.as_deref(), asn), (Some("CH"), s("9.9.9.9").1));
    // Outside them, even next door: the shipped data.
    for outside in [
        "8.8.4.4",
        "8.8.9.1",
        "1.0.0.1",
        "2001:4860:4801::1",
        "81.2.69.160",
    ] {
        assert_eq!(e.lookup_ip(ip(outside)), s(outside), "{outside}");
    }
    assert_ne!(s("8.8.4.4").0, None, "the fallback has data to show");
    // Through enrichment, for an address and a URL on it.
    assert_eq!(e.enrich(&ind("8.8.8.8")).country.as_deref(), Some("FR"));
    assert_eq!(e.enrich(&ind("http://8.8.8.8/x")).asn, Some(64500));
    assert_eq!(
        e.enrich(&ind("8.8.4.4")).country,
        shipped.enrich(&ind("8.8.4.4")).country
    );
    // A CSV override takes precedence over the .mmdb, field by field.
    let layered = e.add_csv_overrides_text("t", "8.8.8.0/24,JP,,\n").unwrap();
    assert_eq!(
        layered.lookup_ip(ip("8.8.8.8")),
        (Some("JP".into()), Some(64500), Some("Override Net".into()))
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn arb_ranges() -> impl Strategy<Value = Vec<(u32, u32, u8)>> {
    // Sorted cut points give non-overlapping ranges; some are skipped (gaps).
    proptest::collection::vec((any::<u32>(), 0u8..4, any::<bool>()), 0..60).prop_map(|mut v| {
        v.sort_by_key(|x| x.0);
        v.dedup_by_key(|x| x.0);
        let mut out = Vec::new();
        for w in v.windows(2) {
            let (a, val, keep) = w[0];
            let b = w[1].0 - 1;
            if keep {
                out.push((a, b, val));
            }
        }
        out
    })
}

fn in_reserved(x: u32) -> bool {
    let a = std::net::Ipv4Addr::from(x);
    let o = a.octets();
    matches!(o[0], 0 | 10 | 127 | 224..=255)
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || (o[0] == 169 && o[1] == 254)
        || (o[0] == 172 && (16..32).contains(&o[1]))
        || (o[0] == 192 && o[1] == 0 && (o[2] == 0 || o[2] == 2))
        || (o[0] == 192 && o[1] == 168)
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn lookup_equals_linear_search(ranges in arb_ranges(), probes in proptest::collection::vec(any::<u32>(), 40)) {
        const CC: [&str; 4] = ["AA", "BB", "CC", "DD"];
        let mut csv = String::new();
        for (a, b, v) in &ranges {
            csv.push_str(&format!("{},{},{}\n", std::net::Ipv4Addr::from(*a), std::net::Ipv4Addr::from(*b), CC[*v as usize]));
        }
        let t = IpTables::decode(&build_tables([csv.as_bytes()], [&b""[..]], "p").unwrap()).unwrap();
        let mut all: Vec<u32> = probes;
        for (a, b, _) in &ranges {
            all.extend([*a, *b, a.wrapping_sub(1), b.wrapping_add(1)]);
        }
        for x in all {
            let naive = if in_reserved(x) { None } else {
                ranges.iter().find(|(a, b, _)| *a <= x && x <= *b).map(|(_, _, v)| CC[*v as usize])
            };
            prop_assert_eq!(t.lookup(IpAddr::from(std::net::Ipv4Addr::from(x))).country, naive, "at {}", x);
        }
    }
}

#[test]
fn government_suffixes() {
    let cases = [
        ("portal.gov.sg", "gov.sg", "SG", Sector::Government),
        ("www.malaysia.gov.my", "gov.my", "MY", Sector::Government),
        ("kominfo.go.id", "go.id", "ID", Sector::Government),
        ("www.thaigov.go.th", "go.th", "TH", Sector::Government),
        ("www.dict.gov.ph", "gov.ph", "PH", Sector::Government),
        ("chinhphu.gov.vn", "gov.vn", "VN", Sector::Government),
        ("www.mptc.gov.kh", "gov.kh", "KH", Sector::Government),
        ("www.mofa.gov.la", "gov.la", "LA", Sector::Government),
        ("www.pmo.gov.bn", "gov.bn", "BN", Sector::Government),
        ("www.mofa.gov.mm", "gov.mm", "MM", Sector::Government),
        ("www.interieur.gouv.fr", "gouv.fr", "FR", Sector::Government),
        ("www.sat.gob.mx", "gob.mx", "MX", Sector::Government),
        ("www.cisa.gov", "gov", "US", Sector::Government),
        ("www.army.mil", "mil", "US", Sector::Military),
        ("www.ncsc.gov.uk", "gov.uk", "GB", Sector::Government),
        ("www.cyber.gov.au", "gov.au", "AU", Sector::Government),
        ("www.canada.gc.ca", "gc.ca", "CA", Sector::Government),
        ("www.forces.gc.ca", "forces.gc.ca", "CA", Sector::Military),
        ("www.cert-in.gov.in", "gov.in", "IN", Sector::Government),
        ("www.nisc.go.jp", "go.jp", "JP", Sector::Government),
        ("www.kisa.go.kr", "go.kr", "KR", Sector::Government),
        ("www.gov.br", "gov.br", "BR", Sector::Government),
        (
            "www.ccn-cert.cni.gob.es",
            "gob.es",
            "ES",
            Sector::Government,
        ),
        ("www.ncsc.admin.ch", "admin.ch", "CH", Sector::Government),
        ("www.mod.uk", "mod.uk", "GB", Sector::Military),
        ("gov.sg", "gov.sg", "SG", Sector::Government),
    ];
    for (name, suffix, cc, sector) in cases {
        let m = gov_match(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(
            (m.suffix.as_str(), m.country.as_str(), m.sector),
            (suffix, cc, sector),
            "{name}"
        );
    }
    for edu in [
        ("www.nus.edu.sg", "edu.sg", "SG"),
        ("www.ox.ac.uk", "ac.uk", "GB"),
        ("mit.edu", "edu", "US"),
        ("www.u-tokyo.ac.jp", "ac.jp", "JP"),
    ] {
        let m = gov_match(edu.0).unwrap();
        assert_eq!(
            (m.suffix.as_str(), m.country.as_str(), m.sector),
            (edu.1, edu.2, Sector::Education)
        );
    }
    for not in [
        "example.com",
        "government.com",
        "gov.example.com",
        "notgov.sg",
        "mygov.uk",
    ] {
        assert_eq!(gov_match(not), None, "{not}");
    }
}

#[test]
fn cctld_hints() {
    for (name, cc) in [
        ("bbc.co.uk", Some("GB")),
        ("example.sg", Some("SG")),
        ("a.b.de", Some("DE")),
        ("x.ac", Some("SH")),
        ("example.com", None),
        ("example.eu", None),
        ("EXAMPLE.SG.", Some("SG")),
    ] {
        assert_eq!(cctld_country(name), cc, "{name}");
    }
    // IDN ccTLDs, through the canonical A-label form.
    for (u, cc) in [
        ("пример.рф", "RU"),
        ("例子.中国", "CN"),
        ("ตัวอย่าง.ไทย", "TH"),
        ("例子.新加坡", "SG"),
        ("مثال.مليسيا", "MY"),
    ] {
        let d = ind(u);
        let e = Enricher::builtin().enrich(&d);
        assert_eq!(e.cctld_country.as_deref(), Some(cc), "{u} = {d}");
    }
}

#[test]
fn enrich_indicators() {
    let e = Enricher::builtin();
    let r = e.enrich(&ind("8.8.8.8"));
    assert_eq!(
        (r.country.as_deref(), r.asn, r.as_name.as_deref()),
        (Some("US"), Some(15169), Some("Google LLC"))
    );
    assert!(
        r.benign.iter().any(|m| m.list == "public-dns-v4"),
        "{:?}",
        r.benign
    );
    assert_eq!(r.dataset_version, dataset_version());
    let r = e.enrich(&ind("hxxp://1.1.1[.]1/x"));
    assert_eq!(r.asn, Some(13335));
    let r = e.enrich(&ind("phish@ministry.gov.my"));
    assert_eq!(r.government.unwrap().country, "MY");
    assert_eq!(r.cctld_country.as_deref(), Some("MY"));
    let r = e.enrich(&ind("192.0.2.0/24"));
    assert_eq!(r.country, None);
    assert!(
        r.benign.iter().any(|m| m.list == "rfc5735"),
        "{:?}",
        r.benign
    );
}

#[test]
fn shipped_warninglists() {
    let b = BenignLists::builtin();
    assert!(b.warnings().is_empty(), "{:?}", b.warnings());
    let ids = b.ids();
    for id in benign::shipped_list_ids() {
        assert!(ids.contains(id), "{id} not loaded");
    }
    let on = |s: &str, list: &str| b.matches(&ind(s)).iter().any(|m| m.list == list);
    assert!(on("10.1.2.3", "rfc1918"));
    assert!(on("192.168.0.0/24", "rfc1918"));
    assert!(
        !on("192.168.0.0/8", "rfc1918"),
        "a wider network is not inside the list's"
    );
    assert!(on("239.1.2.3", "multicast"));
    assert!(on("2001:4860:4860::8888", "public-dns-v6"));
    assert!(on("d41d8cd98f00b204e9800998ecf8427e", "empty-hashes"));
    assert!(on(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "empty-hashes"
    ));
    assert!(on("bit.ly", "url-shortener"));
    assert!(on("https://bit.ly/abc", "url-shortener"));
    assert!(on("google.com", "tranco10k"));
    assert!(!on("evil-google.com", "tranco10k"));
    assert!(b.matches(&ind("evil-phish-example-4711.com")).is_empty());
}

#[test]
fn warninglist_semantics() {
    let mut b = BenignLists::new();
    b.add_json("h", br#"{"name":"H","type":"hostname","matching_attributes":["hostname","domain","url"],"list":[".example.net","exact.org"]}"#).unwrap();
    b.add_json("s", br#"{"name":"S","type":"substring","matching_attributes":["email-src","domain"],"list":["mailinator"]}"#).unwrap();
    b.add_json("r", br#"{"name":"R","type":"regex","matching_attributes":["email-dst"],"list":["/^(security|noc|soc|abuse)\\@.*\\..*$/i"]}"#).unwrap();
    b.add_json("c", br#"{"name":"C","type":"cidr","matching_attributes":["ip-dst"],"list":["10.0.0.0/8","10.1.0.0/16","2001:db8::/32"]}"#).unwrap();
    b.add_json("x", br#"{"name":"X","type":"string","matching_attributes":["md5"],"list":["D41D8CD98F00B204E9800998ECF8427E"]}"#).unwrap();
    let hit = |s: &str| -> Vec<String> {
        b.matches(&ind(s))
            .into_iter()
            .map(|m| format!("{}:{}", m.list, m.entry))
            .collect()
    };
    assert_eq!(hit("a.b.example.net"), ["h:.example.net"]);
    assert_eq!(hit("example.net"), ["h:.example.net"]);
    assert_eq!(hit("EXACT.org"), ["h:exact.org"]);
    assert!(hit("sub.exact.org").is_empty());
    assert_eq!(hit("http://x.example.net/p"), ["h:.example.net"]);
    assert_eq!(hit("someone@mailinator.com"), ["s:mailinator"]);
    assert_eq!(
        hit("Abuse@example.org"),
        ["r:/^(security|noc|soc|abuse)\\@.*\\..*$/i"]
    );
    // Nested entries: the most specific is reported.
    assert_eq!(hit("10.1.2.3"), ["c:10.1.0.0/16"]);
    assert_eq!(hit("10.2.0.1"), ["c:10.0.0.0/8"]);
    assert_eq!(hit("10.1.0.0/16"), ["c:10.1.0.0/16"]);
    assert_eq!(hit("10.0.0.0/12"), ["c:10.0.0.0/8"]);
    assert_eq!(hit("2001:db8::1"), ["c:2001:db8::/32"]);
    assert_eq!(
        hit("d41d8cd98f00b204e9800998ecf8427e"),
        ["x:D41D8CD98F00B204E9800998ECF8427E"]
    );
    // matching_attributes: an md5 list does not apply to a domain.
    assert!(hit("mailinator.example").len() == 1);
    assert!(
        b.add_json("bad", b"{\"type\":\"nonsense\",\"list\":[]}")
            .is_err()
    );
}

/// Every list of the MISP warninglists checkout loads, and its first entries match themselves.
#[test]
fn sample_warninglists_load_and_self_match() {
    let Some(dir) = pelita_test_support::samples("misp-warninglists") else {
        return;
    };
    let b = BenignLists::load_dir(&dir).unwrap();
    let lists = b.lists();
    assert!(lists.len() >= 50, "{}", lists.len());
    let mut checked = 0;
    for l in &lists {
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("lists").join(&l.id).join("list.json")).unwrap(),
        )
        .unwrap();
        let entries = json["list"].as_array().cloned().unwrap_or_default();
        for e in entries.iter().take(5).filter_map(|e| e.as_str()) {
            let value = match l.kind {
                benign::ListType::Regex | benign::ListType::Substring => continue,
                benign::ListType::Hostname => e.trim_start_matches('.').to_string(),
                _ => e.to_string(),
            };
            let Ok(c) = Indicator::parse(&value, None, &ParseOptions::default()) else {
                continue;
            };
            // Only values that canonicalise to themselves can match themselves.
            let canon = c.indicator.value();
            if !canon.eq_ignore_ascii_case(value.trim_end_matches('.'))
                && !matches!(c.indicator, Indicator::Cidr(_))
            {
                continue;
            }
            let m = b.matches(&c.indicator);
            // Lists may restrict themselves to attribute types (ip-src only, e.g.); only check applicable ones.
            if m.iter().any(|m| m.list == l.id) {
                checked += 1;
            } else {
                let applicable = json["matching_attributes"].as_array().is_none_or(|a| {
                    a.iter().filter_map(|x| x.as_str()).any(|x| {
                        matches!(
                            c.indicator.kind(),
                            IndicatorKind::Ipv4 | IndicatorKind::Ipv6 | IndicatorKind::Cidr
                        ) && x.starts_with("ip-")
                            || c.indicator.kind() == IndicatorKind::Domain
                                && (x == "domain" || x == "hostname")
                            || x == c.indicator.kind().to_string()
                    })
                });
                assert!(
                    !applicable,
                    "list {} entry {e:?} ({}) does not match itself",
                    l.id,
                    c.indicator.key()
                );
            }
        }
    }
    assert!(checked > 100, "{checked}");
    // Regex entries compile.
    assert!(
        b.warnings().iter().all(|w| !w.contains("regex")),
        "{:?}",
        b.warnings()
    );
}

/// kind, hints, tags, malware family, expected class and type.
type Case = (
    IndicatorKind,
    &'static [&'static str],
    &'static [&'static str],
    Option<&'static str>,
    Option<(RsitClass, RsitType)>,
);

#[test]
fn classification_table() {
    use IndicatorKind as K;
    use RsitType as T;
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    let cases: &[Case] = &[
        (
            K::Url,
            &["feed:urlhaus"],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::MalwareDistribution)),
        ),
        (
            K::Ipv4,
            &["feed:feodotracker"],
            &[],
            Some("Emotet"),
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (
            K::Url,
            &["feed:phishtank"],
            &[],
            None,
            Some((RsitClass::Fraud, T::Phishing)),
        ),
        (
            K::Url,
            &["feed:openphish"],
            &[],
            None,
            Some((RsitClass::Fraud, T::Phishing)),
        ),
        (
            K::Ipv4,
            &["feed:shadowserver", "shadowserver:event4_sinkhole"],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::InfectedSystem)),
        ),
        (
            K::Ipv4,
            &["feed:shadowserver", "shadowserver:scan_redis"],
            &[],
            None,
            Some((RsitClass::Vulnerable, T::VulnerableSystem)),
        ),
        (
            K::Ipv4,
            &["shadowserver:scan_ssl", "rsit:vulnerable=\"weak-crypto\""],
            &[],
            None,
            Some((RsitClass::Vulnerable, T::WeakCrypto)),
        ),
        (
            K::Ipv4,
            &["shadowserver:event4_honeypot_brute_force"],
            &[],
            None,
            Some((RsitClass::IntrusionAttempts, T::BruteForce)),
        ),
        (
            K::Ipv4,
            &["shadowserver:honeypot_scan"],
            &[],
            None,
            Some((RsitClass::InformationGathering, T::Scanner)),
        ),
        (
            K::Ipv4,
            &["misp-category:Network activity", "misp-type:ip-dst"],
            &["misp-galaxy:malpedia=\"Cobalt Strike\""],
            None,
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (
            K::Ipv4,
            &[
                "misp-category:Network activity",
                "misp-type:ip-dst",
                "to_ids:false",
            ],
            &["misp-galaxy:malpedia=\"Cobalt Strike\""],
            None,
            None,
        ),
        (
            K::Ipv4,
            &["misp-category:Network activity", "misp-type:ip-dst"],
            &[],
            None,
            None,
        ),
        (
            K::Url,
            &["misp-category:Payload delivery", "misp-type:url"],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::MalwareDistribution)),
        ),
        (
            K::Domain,
            &[
                "stix-indicator-type:malicious-activity",
                "stix-malware-type:bot",
            ],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (
            K::Url,
            &[
                "stix-indicator-type:malicious-activity",
                "stix-malware-type:downloader",
            ],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::MalwareDistribution)),
        ),
        (
            K::Domain,
            &["stix-indicator-type:compromised"],
            &[],
            None,
            Some((RsitClass::Intrusions, T::SystemCompromise)),
        ),
        (
            K::Domain,
            &["rsit:malicious-code=\"c2-server\""],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (
            K::Domain,
            &["RSIT:Fraud=\"Phishing\""],
            &[],
            None,
            Some((RsitClass::Fraud, T::Phishing)),
        ),
        (K::Domain, &["rsit:fraud=\"c2-server\""], &[], None, None),
        (
            K::Domain,
            &["ecsirt:malicious-code=\"c2server\""],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (
            K::Url,
            &[],
            &["Phishing"],
            None,
            Some((RsitClass::Fraud, T::Phishing)),
        ),
        (
            K::Ipv4,
            &[],
            &["scanner"],
            None,
            Some((RsitClass::InformationGathering, T::Scanner)),
        ),
        (
            K::Ipv4,
            &[],
            &["C2"],
            None,
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (
            K::Email,
            &[],
            &["spam"],
            None,
            Some((RsitClass::AbusiveContent, T::Spam)),
        ),
        (
            K::Ipv4,
            &["threatfox-threat:botnet_cc"],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (
            K::Url,
            &[],
            &[],
            Some("AgentTesla"),
            Some((RsitClass::MaliciousCode, T::MalwareDistribution)),
        ),
        (
            K::Domain,
            &[],
            &[],
            Some("AgentTesla"),
            Some((RsitClass::MaliciousCode, T::C2Server)),
        ),
        (K::Sha256, &["feed:urlhaus"], &[], Some("AgentTesla"), None),
        (
            K::Sha256,
            &["rsit:malicious-code=\"malware-configuration\""],
            &[],
            None,
            Some((RsitClass::MaliciousCode, T::MalwareConfiguration)),
        ),
        (K::Domain, &[], &[], None, None),
    ];
    for (kind, hints, tags, malware, want) in cases {
        let got = classify(*kind, &s(hints), &s(tags), *malware);
        assert_eq!(
            got.map(|c| (c.class, c.rsit_type)),
            *want,
            "{kind} {hints:?} {tags:?} {malware:?} → {got:?}"
        );
        if let Some(c) = got {
            assert_eq!(c.rsit_type.class(), c.class);
        }
    }
    let c = classify(K::Url, &s(&["feed:urlhaus"]), &[], None).unwrap();
    assert_eq!(
        c.machinetag(),
        "rsit:malicious-code=\"malware-distribution\""
    );
    assert_eq!(c.rule, "urlhaus");
}

/// The enums are exactly the misp-taxonomies rsit machinetag vocabulary.
#[test]
fn rsit_vocabulary_matches_machinetag() {
    let Some(path) =
        pelita_test_support::samples("misp-taxonomies/taxonomies/rsit/machinetag.json")
    else {
        return;
    };
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut n = 0;
    for v in json["values"].as_array().unwrap() {
        let class: RsitClass = v["predicate"].as_str().unwrap().parse().unwrap();
        for e in v["entry"].as_array().unwrap() {
            let t = e["value"].as_str().unwrap();
            let ty = RsitType::from_machinetag(&format!("{class}=\"{t}\""))
                .unwrap_or_else(|| panic!("{class}={t}"));
            assert_eq!(ty.class(), class);
            n += 1;
        }
    }
    assert_eq!(n, RsitType::ALL.len());
    assert_eq!(
        json["values"].as_array().unwrap().len(),
        RsitClass::ALL.len()
    );
}

#[test]
fn site_assessment_table() {
    let base = SiteEvidence {
        host_is_domain: true,
        ..SiteEvidence::default()
    };
    let cases: Vec<(SiteEvidence, SiteVerdict, Vec<SiteReason>)> = vec![
        (base.clone(), SiteVerdict::LikelyAttackerOwned, vec![]),
        (
            SiteEvidence {
                public_sector_suffix: true,
                ..base.clone()
            },
            SiteVerdict::LikelyCompromised,
            vec![SiteReason::PublicSectorSuffix],
        ),
        (
            SiteEvidence {
                distinct_paths: MANY_PATHS,
                ..base.clone()
            },
            SiteVerdict::LikelyCompromised,
            vec![SiteReason::ManyPaths],
        ),
        (
            SiteEvidence {
                distinct_paths: MANY_PATHS - 1,
                ..base.clone()
            },
            SiteVerdict::LikelyAttackerOwned,
            vec![],
        ),
        (
            SiteEvidence {
                independent_sources: MANY_SOURCES,
                ..base.clone()
            },
            SiteVerdict::LikelyCompromised,
            vec![SiteReason::ManySources],
        ),
        (
            SiteEvidence {
                domain_age_days: Some(OLD_DOMAIN_DAYS),
                ..base.clone()
            },
            SiteVerdict::LikelyCompromised,
            vec![SiteReason::OldDomain],
        ),
        (
            SiteEvidence {
                domain_age_days: Some(3),
                ..base.clone()
            },
            SiteVerdict::LikelyAttackerOwned,
            vec![],
        ),
        (
            SiteEvidence {
                domain_age_days: Some(-400),
                ..base.clone()
            },
            SiteVerdict::LikelyAttackerOwned,
            vec![],
        ),
        (
            SiteEvidence {
                known_benign: true,
                public_sector_suffix: true,
                domain_age_days: Some(4000),
                ..base.clone()
            },
            SiteVerdict::LikelyCompromised,
            vec![
                SiteReason::PublicSectorSuffix,
                SiteReason::OldDomain,
                SiteReason::KnownBenign,
            ],
        ),
        (SiteEvidence::default(), SiteVerdict::Unknown, vec![]),
        (
            SiteEvidence {
                distinct_paths: 50,
                ..SiteEvidence::default()
            },
            SiteVerdict::LikelyCompromised,
            vec![SiteReason::ManyPaths],
        ),
    ];
    for (input, verdict, reasons) in cases {
        let a = site_assessment(&input);
        assert_eq!((a.verdict, a.reasons), (verdict, reasons), "{input:?}");
    }
}
