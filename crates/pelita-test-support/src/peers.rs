//! The harness of the peers benchmarks (`crates/*/benches/peers.rs`):
//! each parser's bench passes its default file, its unit and how to parse a
//! file into a [`CountSink`]; this module reads the environment, times the
//! `read` / `parse` / `canonicalise` cases and prints them.
//!
//! Env: `PEERS_DATA` (the peers' generated workload; the bench skips without
//! it), `PELITA_BENCH_FILE` (another file in it), `PELITA_BENCH_REPS` (default
//! 5), `PELITA_BENCH_ONCE` = `read` | `parse` | `canonicalise` (run that case
//! once and exit, for `/usr/bin/time -v`). Cases: `read` = `std::fs::read` of
//! the file (the floor), `parse` = the parser into a counting sink,
//! `canonicalise` = the same with every observation canonicalised by
//! `Indicator::parse` (the full ingest path).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pelita_model::{Indicator, Observation, ParseOptions, Problem, Sink};

/// Counts observations and problems; with `canonicalise`, runs each
/// observation through `Indicator::parse`.
#[derive(Debug, Default)]
pub struct CountSink {
    /// Whether to canonicalise each observation.
    pub canonicalise: bool,
    /// Observations received.
    pub observations: u64,
    /// Observations that canonicalised.
    pub canonical: u64,
    /// Problems received.
    pub problems: u64,
}

impl Sink for CountSink {
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
fn run_case(
    case: &str,
    path: &Path,
    parse: &dyn Fn(&Path, &mut CountSink) -> u64,
) -> (u64, u64, u64, u64) {
    if case == "read" {
        let len = std::fs::read(path).map_or(0, |b| black_box(b.len()));
        return (len as u64, 0, 0, 0);
    }
    let mut sink = CountSink {
        canonicalise: case == "canonicalise",
        ..CountSink::default()
    };
    let items = parse(path, &mut sink);
    (items, sink.observations, sink.canonical, sink.problems)
}

/// Runs a peers benchmark: `default_file` in `$PEERS_DATA`, counted in `unit`s,
/// parsed by `parse` (which returns the number of items it read).
pub fn run(default_file: &str, unit: &str, parse: &dyn Fn(&Path, &mut CountSink) -> u64) {
    let Some(dir) = std::env::var_os("PEERS_DATA") else {
        eprintln!("peers bench skipped: PEERS_DATA is not set (see shared/peers/README.md)");
        return;
    };
    let file = std::env::var("PELITA_BENCH_FILE").unwrap_or_else(|_| default_file.to_owned());
    let path = PathBuf::from(dir).join(&file);
    let Ok(meta) = std::fs::metadata(&path) else {
        eprintln!("peers bench skipped: {} not found", path.display());
        return;
    };
    let mb = meta.len() as f64 / 1e6;
    if let Ok(case) = std::env::var("PELITA_BENCH_ONCE") {
        let t = Instant::now();
        let (items, obs, canon, problems) = run_case(&case, &path, parse);
        println!(
            "{file} {case} once: {items} {unit}, {obs} observations, {canon} canonical, {problems} problems, {:.3} s",
            t.elapsed().as_secs_f64()
        );
        return;
    }
    let reps: usize = std::env::var("PELITA_BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    println!("{file}: {mb:.1} MB, median of {reps} runs (min in brackets)");
    let mut read_median = None;
    for case in ["read", "parse", "canonicalise"] {
        run_case(case, &path, parse); // warm-up (page cache, allocator)
        let mut times: Vec<Duration> = Vec::new();
        let mut last = (0, 0, 0, 0);
        for _ in 0..reps {
            let t = Instant::now();
            last = run_case(case, &path, parse);
            times.push(t.elapsed());
        }
        times.sort();
        let med = times
            .get(times.len() / 2)
            .map_or(f64::NAN, Duration::as_secs_f64);
        let min = times.first().map_or(f64::NAN, Duration::as_secs_f64);
        if case == "read" {
            read_median = Some(med);
            println!("  {case:<13} {med:8.4} s [{min:.4}]  {:9.1} MB/s", mb / med);
        } else {
            let (items, obs, canon, problems) = last;
            let ratio = read_median.map_or(f64::NAN, |r| med / r);
            println!(
                "  {case:<13} {med:8.4} s [{min:.4}]  {:9.1} MB/s  {:>10.0} {unit}/s  {ratio:6.1}x read  ({items} {unit}, {obs} observations, {canon} canonical, {problems} problems)",
                mb / med,
                items as f64 / med
            );
        }
    }
}
