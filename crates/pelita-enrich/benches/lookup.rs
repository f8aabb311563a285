//! IP lookup and known-benign matching.
//!
//! `cargo bench -p pelita-enrich --bench lookup`

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

use std::net::IpAddr;

use divan::{Bencher, black_box};
use pelita_enrich::{BenignLists, Enricher, builtin_tables};
use pelita_model::{Indicator, ParseOptions};

fn main() {
    divan::main();
}

/// Addresses spread over the IPv4 space (a fixed pseudo-random sequence).
fn addresses(n: usize) -> Vec<IpAddr> {
    let mut x: u32 = 0x9e37_79b9;
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
    b.bench_local(|| {
        i = (i + 1) & 1023;
        black_box(t.lookup(black_box(ips.get(i).copied().unwrap())))
    });
}

#[divan::bench(sample_count = 200, sample_size = 200)]
fn ip_lookup_v6(b: Bencher) {
    let t = builtin_tables().expect("tables");
    let ip: IpAddr = "2001:4860:4860::8888".parse().unwrap();
    b.bench_local(|| black_box(t.lookup(black_box(ip))));
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
