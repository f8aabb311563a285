//! IP → country/ASN lookup (the shipped tables alone, through `Enricher`,
//! and under a user's `.mmdb` override), domain → ccTLD country and
//! government-suffix hints, and known-benign matching.
//!
//! `cargo bench -p pelita-enrich --bench lookup`

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

use std::net::IpAddr;

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use pelita_enrich::{BenignLists, Enricher, builtin_tables, cctld_country, gov_match};
use pelita_model::{Indicator, ParseOptions};
use pelita_test_support::mmdb::{MmdbWriter, Value};

fn main() {
    divan::main();
}

/// Addresses spread over the IPv4 space (a fixed pseudo-random sequence).
fn addresses(n: usize) -> Vec<IpAddr> {
    addresses_from(0x9e37_79b9, n)
}

/// [`addresses`] from another seed (not zero).
fn addresses_from(seed: u32, n: usize) -> Vec<IpAddr> {
    let mut x: u32 = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            IpAddr::from(std::net::Ipv4Addr::from(x))
        })
        .collect()
}

#[divan::bench(sample_count = 200, sample_size = 200)]
fn ip_lookup_v4(b: Bencher) {
    let t = builtin_tables().expect("tables");
    let ips = addresses(1024);
    let mut i = 0usize;
    b.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) & 1023;
        black_box(t.lookup(black_box(ips.get(i).copied().unwrap())))
    });
}

/// As `ip_lookup_v4` over 1,048,576 addresses instead of 1,024: a feed's
/// addresses seldom repeat, so the tables' pages are mostly not in the CPU
/// caches (what ingest sees).
#[divan::bench(sample_count = 200, sample_size = 200)]
fn ip_lookup_v4_spread(b: Bencher) {
    let t = builtin_tables().expect("tables");
    let ips = addresses(1 << 20);
    let mut i = 0usize;
    b.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) & ((1 << 20) - 1);
        black_box(t.lookup(black_box(ips.get(i).copied().unwrap())))
    });
}

/// What enrichment pays per address: `Enricher::lookup_ip` (override layers
/// checked, owned strings returned) over the shipped tables.
#[divan::bench(sample_count = 200, sample_size = 200)]
fn enricher_lookup_ip_v4(b: Bencher) {
    let e = Enricher::builtin();
    let ips = addresses(1024);
    let mut i = 0usize;
    b.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) & 1023;
        black_box(e.lookup_ip(black_box(ips.get(i).copied().unwrap())))
    });
}

/// The same under a user's `.mmdb` of 4,096 /24 networks with a country and
/// an ASN each, among them the /24 of every other probed address: half the
/// look-ups are answered by the `.mmdb`, half fall through to the shipped
/// tables after it.
#[divan::bench(sample_count = 200, sample_size = 200)]
fn enricher_lookup_ip_v4_mmdb(b: Bencher) {
    let ips = addresses(1024);
    let networks = ips
        .iter()
        .step_by(2)
        .copied()
        .chain(addresses_from(0x1234_5678, 4096 - 512));
    let mut w = MmdbWriter::new("Bench-Override");
    for (n, ip) in (0u32..).zip(networks) {
        let IpAddr::V4(a) = ip else { continue };
        let [x, y, z, _] = a.octets();
        w.insert(
            format!("{x}.{y}.{z}.0/24").parse().unwrap(),
            Value::map([
                ("country_code", Value::str("SG")),
                ("autonomous_system_number", Value::U32(64_512 + n)),
                ("autonomous_system_organization", Value::str("Bench Net")),
            ]),
        );
    }
    let path = std::env::temp_dir().join(format!("pelita-bench-{}.mmdb", std::process::id()));
    std::fs::write(&path, w.to_bytes().unwrap()).unwrap();
    let e = Enricher::with_mmdb(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let mut i = 0usize;
    b.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) & 1023;
        black_box(e.lookup_ip(black_box(ips.get(i).copied().unwrap())))
    });
}

#[divan::bench(sample_count = 200, sample_size = 200)]
fn ip_lookup_v6(b: Bencher) {
    let t = builtin_tables().expect("tables");
    let ip: IpAddr = "2001:4860:4860::8888".parse().unwrap();
    b.counter(ItemsCount::new(1usize))
        .bench_local(|| black_box(t.lookup(black_box(ip))));
}

/// Domain → country hint from the ccTLD and the government / military /
/// education suffix (longest suffix wins), for a name under a government
/// suffix, a deep name under one, and names under none.
#[divan::bench(sample_count = 200, sample_size = 200, args = ["portal.gov.sg", "a.b.kominfo.go.id", "forces.gc.ca", "c2-panel.example.com", "login.secure-bank.xyz"])]
fn domain_hints(b: Bencher, name: &str) {
    b.counter(ItemsCount::new(1usize)).bench_local(|| {
        let n = black_box(name);
        black_box((cctld_country(n), gov_match(n)))
    });
}

fn parse(s: &str) -> Indicator {
    Indicator::parse(s, None, &ParseOptions::default())
        .unwrap()
        .indicator
}

#[divan::bench(sample_count = 200, sample_size = 200, args = ["8.8.8.8", "203.0.114.9", "www.example-evil.com", "https://bit.ly/x", "d41d8cd98f00b204e9800998ecf8427e"])]
fn benign_match(b: Bencher, value: &str) {
    let lists = BenignLists::builtin();
    let i = parse(value);
    b.bench_local(|| black_box(lists.matches(black_box(&i))));
}

/// Known-benign matching of a feed's usual values, on no list: addresses
/// spread over the IPv4 space (every CIDR list searched) and URLs on
/// distinct hosts (each parent name looked up).
#[divan::bench(sample_count = 200, sample_size = 200, args = ["ip", "url"])]
fn benign_miss(b: Bencher, what: &str) {
    let lists = BenignLists::builtin();
    let values: Vec<Indicator> = addresses(4096)
        .into_iter()
        .enumerate()
        .map(|(n, ip)| match what {
            "ip" => parse(&ip.to_string()),
            _ => parse(&format!(
                "http://cdn{n}.shop-{}.example-evil.com/a/b.php",
                n % 97
            )),
        })
        .collect();
    let mut i = 0usize;
    b.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) & 4095;
        black_box(lists.matches(black_box(values.get(i).unwrap())))
    });
}

#[divan::bench(sample_count = 200, sample_size = 200)]
fn enrich_url(b: Bencher) {
    let e = Enricher::builtin();
    let i = parse("https://portal.gov.sg/login");
    b.bench_local(|| black_box(e.enrich(black_box(&i))));
}

/// The one-time decode of the shipped IP tables (what the first lookup pays).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn decode_ip_tables() -> Option<pelita_enrich::IpTables> {
    pelita_enrich::IpTables::decode(black_box(include_bytes!("../../../data/ipdb.bin.gz"))).ok()
}
