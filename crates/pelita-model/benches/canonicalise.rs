//! Canonicalisation throughput on a mixed list, one core.
//!
//! `cargo bench -p pelita-model --bench canonicalise`. The list is generated
//! from a fixed seed: the mix a fusion centre sees in feeds (IPs, domains,
//! URLs, hashes, e-mail), a quarter of it defanged. Goal: ≥ 1 M indicators/s.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark code on generated input"
)]

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use pelita_model::{Indicator, ParseOptions};
use pelita_test_support::SplitMix64;

fn main() {
    divan::main();
}

/// A random lower-case word.
fn word(r: &mut SplitMix64, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'a' + (r.next_u64() % 26) as u8))
        .collect()
}

pub fn mixed_list(n: usize, seed: u64) -> Vec<String> {
    let mut r = SplitMix64(seed);
    let tlds = [
        "com", "net", "org", "ru", "co.uk", "gov.sg", "go.id", "xyz", "top", "info",
    ];
    (0..n)
        .map(|i| {
            let tld = tlds[(r.next_u64() % tlds.len() as u64) as usize];
            let v = match i % 8 {
                0 | 1 => {
                    let ip = r.next_u64() as u32;
                    format!(
                        "{}.{}.{}.{}",
                        ip >> 24,
                        (ip >> 16) & 255,
                        (ip >> 8) & 255,
                        ip & 255
                    )
                }
                2 | 3 => format!("{}.{}.{tld}", word(&mut r, 5), word(&mut r, 8)),
                4 => format!(
                    "http://{}.{tld}/{}/{}.php?id={}",
                    word(&mut r, 9),
                    word(&mut r, 4),
                    word(&mut r, 6),
                    r.next_u64() % 1000
                ),
                5 => format!(
                    "{:032x}",
                    u128::from(r.next_u64()) << 64 | u128::from(r.next_u64())
                ),
                6 => format!(
                    "{:016x}{:016x}{:016x}{:016x}",
                    r.next_u64(),
                    r.next_u64(),
                    r.next_u64(),
                    r.next_u64()
                ),
                _ => format!("{}@{}.{tld}", word(&mut r, 6), word(&mut r, 7)),
            };
            if i % 4 == 3 {
                v.replace('.', "[.]").replacen("http", "hxxp", 1)
            } else {
                v
            }
        })
        .collect()
}

#[divan::bench]
fn mixed_100k(bencher: Bencher) {
    let list = mixed_list(100_000, 1337);
    let opts = ParseOptions::default();
    bencher.counter(ItemsCount::new(list.len())).bench(|| {
        let mut ok = 0usize;
        for s in &list {
            ok += usize::from(Indicator::parse(black_box(s), None, &opts).is_ok());
        }
        assert_eq!(ok, list.len());
        ok
    });
}

#[divan::bench(args = ["198.51.100.23", "c2-panel.example.com", "hxxp://c2[.]example[.]com/gate.php", "d41d8cd98f00b204e9800998ecf8427e"])]
fn one(bencher: Bencher, s: &str) {
    let opts = ParseOptions::default();
    bencher.bench(|| Indicator::parse(black_box(s), None, &opts).map(|c| c.indicator.kind()));
}
