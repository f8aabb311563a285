//! Prose extraction on the Python peers' synthetic prose (`shared/peers/gen_workload.py`,
//! seed 1337): throughput, and precision/recall against its truth file, on the
//! same bytes iocextract and ioc-finder were measured on.
//!
//! ```sh
//! PEERS_DATA=~/.cache/pelita-peers/data cargo bench -p pelita-extract --bench peers
//! ```
//!
//! Env: `PEERS_DATA` (skips without it), `PELITA_BENCH_FILE` (default
//! `prose_20mb.txt`; its truth is the `.truth.tsv` beside it),
//! `PELITA_BENCH_REPS` (default 3).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "benchmark harness on generated input"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use pelita_extract::ProseFormat;
use pelita_model::{Collect, Indicator, ParseContext, ParseOptions};

fn main() {
    let Some(dir) = std::env::var_os("PEERS_DATA") else {
        eprintln!("peers bench skipped: PEERS_DATA is not set (see shared/peers/README.md)");
        return;
    };
    let file = std::env::var("PELITA_BENCH_FILE").unwrap_or_else(|_| "prose_20mb.txt".to_owned());
    let path = PathBuf::from(dir).join(&file);
    let Ok(text) = std::fs::read(&path) else {
        eprintln!("peers bench skipped: {} not found", path.display());
        return;
    };
    let reps: usize = std::env::var("PELITA_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut times = Vec::new();
    let mut found = Collect::default();
    for _ in 0..reps.max(1) {
        let mut sink = Collect::default();
        let t = Instant::now();
        pelita_extract::extract(
            &text[..],
            ProseFormat::Text,
            &ParseContext::named(file.clone()),
            &mut sink,
        );
        times.push(t.elapsed().as_secs_f64());
        found = sink;
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let mb = text.len() as f64 / 1e6;
    // Truth: `type<TAB>value`, values refanged. Compare canonical keys.
    let truth_path = path.with_extension("truth.tsv");
    let key = |v: &str| {
        Indicator::parse(v, None, &ParseOptions::default())
            .map(|c| c.indicator.key())
            .ok()
    };
    let truth: BTreeSet<String> = std::fs::read_to_string(&truth_path)
        .map(|t| {
            t.lines()
                .filter_map(|l| l.split_once('\t'))
                .filter_map(|(_, v)| key(v))
                .collect()
        })
        .unwrap_or_default();
    let got: BTreeSet<String> = found
        .observations
        .iter()
        .filter_map(|o| key(&o.value))
        .collect();
    let tp = got.intersection(&truth).count() as f64;
    println!(
        "{file}: {mb:.1} MB, median of {reps}: {median:.3} s, {:.1} MB/s, {} observations",
        mb / median,
        found.observations.len()
    );
    if !truth.is_empty() {
        println!(
            "  against {} truth values: precision {:.4}, recall {:.4} ({} distinct found)",
            truth.len(),
            tp / got.len().max(1) as f64,
            tp / truth.len() as f64,
            got.len()
        );
    }
}
