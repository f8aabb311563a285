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

fn main() {
    divan::main();
}

/// A small deterministic generator (SplitMix64), so the bench needs no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + (self.next() % 26) as u8))
            .collect()
    }
}

pub fn mixed_list(n: usize, seed: u64) -> Vec<String> {
    let mut r = Rng(seed);
    let tlds = [
        "com", "net", "org", "ru", "co.uk", "gov.sg", "go.id", "xyz", "top", "info",
    ];
    (0..n)
        .map(|i| {
            let tld = tlds[(r.next() % tlds.len() as u64) as usize];
            let v = match i % 8 {
                0 | 1 => {
                    let ip = r.next() as u32;
                    format!(
                        "{}.{}.{}.{}",
                        ip >> 24,
                        (ip >> 16) & 255,
                        (ip >> 8) & 255,
                        ip & 255
                    )
                }
                2 | 3 => format!("{}.{}.{tld}", r.word(5), r.word(8)),
                4 => format!(
                    "http://{}.{tld}/{}/{}.php?id={}",
                    r.word(9),
                    r.word(4),
                    r.word(6),
                    r.next() % 1000
                ),
                5 => format!("{:032x}", u128::from(r.next()) << 64 | u128::from(r.next())),
                6 => format!(
                    "{:016x}{:016x}{:016x}{:016x}",
                    r.next(),
                    r.next(),
                    r.next(),
                    r.next()
                ),
                _ => format!("{}@{}.{tld}", r.word(6), r.word(7)),
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
