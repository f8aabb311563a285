//! Ingest throughput on the Python peers' synthetic workload
//! (`shared/peers/gen_workload.py`, seed 1337): the MISP event of 100,000
//! attributes, streamed from the file by [`pelita_misp::parse_reopen`] (as
//! `pelita ingest` does: one pass for depth and size, one for event metadata,
//! one for attributes), in memory that does not grow with the file.
//!
//! ```sh
//! PEERS_DATA=~/.cache/pelita-peers/data cargo bench -p pelita-misp --bench peers
//! # one run of one case, for `/usr/bin/time -v` (peak RSS):
//! PEERS_DATA=… PELITA_BENCH_ONCE=canonicalise target/release/deps/peers-…
//! ```
//!
//! Env: `PEERS_DATA` (skips without it), `PELITA_BENCH_FILE` (default
//! `misp_event_100k.json`), `PELITA_BENCH_REPS` (default 5),
//! `PELITA_BENCH_ONCE` = `read` | `parse` | `canonicalise` (run that case once
//! and exit). Cases: `read` = `std::fs::read` of the file (the floor),
//! `parse` = stream the file into a counting
//! sink, `canonicalise` = the same with every observation canonicalised by
//! `Indicator::parse` (the full ingest path).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pelita_model::{Indicator, Observation, ParseContext, ParseOptions, Problem, Sink};

const DEFAULT_FILE: &str = "misp_event_100k.json";
const UNIT: &str = "attributes";

/// Counts observations and problems; with `canonicalise`, runs each
/// observation through `Indicator::parse`.
#[derive(Default)]
struct Count {
    canonicalise: bool,
    observations: u64,
    canonical: u64,
    problems: u64,
}

impl Sink for Count {
    fn observation(&mut self, o: Observation) {
        self.observations += 1;
        if self.canonicalise {
            if let Ok(c) = Indicator::parse(&o.value, o.kind, &ParseOptions::default()) {
                black_box(&c);
                self.canonical += 1;
            }
        } else {
            black_box(&o);
        }
    }
    fn problem(&mut self, p: Problem) {
        black_box(&p);
        self.problems += 1;
    }
}

/// One run of a case: (items, observations, canonical, problems).
fn run(case: &str, path: &Path) -> (u64, u64, u64, u64) {
    match case {
        "read" => {
            let bytes = std::fs::read(path).unwrap();
            (black_box(bytes.len()) as u64, 0, 0, 0)
        }
        _ => {
            let mut sink = Count {
                canonicalise: case == "canonicalise",
                ..Count::default()
            };
            let ctx = ParseContext::named(path.display().to_string());
            let summary = pelita_misp::parse_reopen(|| std::fs::File::open(path), &ctx, &mut sink);
            (
                summary.attributes,
                sink.observations,
                sink.canonical,
                sink.problems,
            )
        }
    }
}

fn main() {
    let Some(dir) = std::env::var_os("PEERS_DATA") else {
        eprintln!("peers bench skipped: PEERS_DATA is not set (see shared/peers/README.md)");
        return;
    };
    let file = std::env::var("PELITA_BENCH_FILE").unwrap_or_else(|_| DEFAULT_FILE.to_owned());
    let path = PathBuf::from(dir).join(&file);
    let Ok(meta) = std::fs::metadata(&path) else {
        eprintln!("peers bench skipped: {} not found", path.display());
        return;
    };
    let mb = meta.len() as f64 / 1e6;
    if let Ok(case) = std::env::var("PELITA_BENCH_ONCE") {
        let t = Instant::now();
        let (items, obs, canon, problems) = run(&case, &path);
        println!(
            "{file} {case} once: {items} {UNIT}, {obs} observations, {canon} canonical, {problems} problems, {:.3} s",
            t.elapsed().as_secs_f64()
        );
        return;
    }
    let reps: usize = std::env::var("PELITA_BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    println!("{file}: {mb:.1} MB, median of {reps} runs (min in brackets)");
    let mut read_median = None;
    for case in ["read", "parse", "canonicalise"] {
        run(case, &path); // warm-up (page cache, allocator)
        let mut times: Vec<Duration> = Vec::new();
        let mut last = (0, 0, 0, 0);
        for _ in 0..reps {
            let t = Instant::now();
            last = run(case, &path);
            times.push(t.elapsed());
        }
        times.sort();
        let med = times[times.len() / 2].as_secs_f64();
        let min = times[0].as_secs_f64();
        if case == "read" {
            read_median = Some(med);
            println!("  {case:<13} {med:8.4} s [{min:.4}]  {:9.1} MB/s", mb / med);
        } else {
            let (items, obs, canon, problems) = last;
            let ratio = read_median.map_or(f64::NAN, |r| med / r);
            println!(
                "  {case:<13} {med:8.4} s [{min:.4}]  {:9.1} MB/s  {:>10.0} {UNIT}/s  {ratio:6.1}x read  ({items} {UNIT}, {obs} observations, {canon} canonical, {problems} problems)",
                mb / med,
                items as f64 / med
            );
        }
    }
}
