//! The store at scale: write throughput, in-process lookup latency (p50,
//! p99), and bytes per indicator, on a seeded synthetic store.
//!
//! ```sh
//! cargo bench -p pelita-store --bench store                                 # 1 M indicators
//! PELITA_BENCH_INDICATORS=10000000 cargo bench -p pelita-store --bench store  # the issue's 10 M
//! ```
//!
//! Indicators are IPv4 addresses and domains (half each), written in
//! submissions of 250 k records from four sources with mixed markings, one
//! sighting each. Lookups pick seeded random stored keys (hits) and
//! never-stored keys (misses).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "benchmark harness on generated input"
)]

use std::net::Ipv4Addr;
use std::time::Instant;

use pelita_model::Tlp;
use pelita_store::conformance::{meta, record};
use pelita_store::{SightingFilter, SqliteStore, Store};
use pelita_test_support::SplitMix64;

/// The i-th synthetic value: a public-looking IPv4 (from 11.0.0.0 upward) or a domain.
fn value(i: u64) -> String {
    if i.is_multiple_of(2) {
        Ipv4Addr::from(0x0B00_0000u32.wrapping_add((i / 2) as u32)).to_string()
    } else {
        format!("host{i}.bench-{}.com", i % 997)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let n: u64 = std::env::var("PELITA_BENCH_INDICATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("pelita-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("pelita.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let sources = ["cert-sg", "police-my", "firm-a", "firm-b"];
    let tlps = [
        Some(Tlp::Clear),
        Some(Tlp::Green),
        Some(Tlp::Amber),
        Some(Tlp::Red),
    ];
    let batch = 250_000u64;
    let t = Instant::now();
    let mut i = 0u64;
    let mut sub = 0u64;
    while i < n {
        let end = (i + batch).min(n);
        let m = meta(&format!("{sub:x}"), sources[(sub % 4) as usize], None, 0);
        let mut sink = store.begin(&m).unwrap();
        for j in i..end {
            sink.record(record(&value(j), j, tlps[(j % 4) as usize], (j % 90) as i64).unwrap())
                .unwrap();
        }
        sink.commit(&pelita_store::SubmissionOutcome::default())
            .unwrap();
        i = end;
        sub += 1;
    }
    let write = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).unwrap().len()
        + std::fs::metadata(dir.join("pelita.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "store of {n} indicators: written in {write:.1} s ({:.0} records/s), {:.1} MB on disk, {:.0} bytes per indicator (table rows, sightings and indexes)",
        n as f64 / write,
        size as f64 / 1e6,
        size as f64 / n as f64
    );

    // Per-table and per-index sizes, where this SQLite build has the dbstat table.
    if let Ok(conn) = rusqlite::Connection::open(&path) {
        let sizes: Result<Vec<(String, i64)>, _> = conn
            .prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
            .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect());
        match sizes {
            Ok(sizes) => {
                for (name, bytes) in sizes {
                    println!(
                        "  {name:<28} {:>10.1} MB  {:>6.1} bytes per indicator",
                        bytes as f64 / 1e6,
                        bytes as f64 / n as f64
                    );
                }
            }
            Err(e) => println!("  (no per-index sizes: {e})"),
        }
    }

    let mut rng = SplitMix64(1337);
    let now = pelita_store::conformance::now();
    for (label, filter) in [
        ("everything", SightingFilter::everything()),
        ("GREEN reader", SightingFilter::up_to(Tlp::Green)),
    ] {
        for (case, hit) in [("hit", true), ("miss", false)] {
            let mut lat = Vec::with_capacity(20_000);
            for _ in 0..20_000 {
                let v = if hit {
                    value(rng.next_u64() % n)
                } else {
                    format!("absent{}.example.net", rng.next_u64())
                };
                let t = Instant::now();
                let r = store.lookup(&v, &filter, now).unwrap();
                lat.push(t.elapsed().as_secs_f64() * 1e6);
                std::hint::black_box(r);
            }
            lat.sort_by(f64::total_cmp);
            println!(
                "lookup ({label}, {case}): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                lat[lat.len() - 1]
            );
        }
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
