//! Ingest throughput on the Python peers' synthetic workload
//! (`shared/peers/gen_workload.py`, seed 1337): the URLhaus CSV of 1,000,000
//! rows, streamed from the file through [`pelita_feeds::parse_preset`] with
//! [`Preset::Urlhaus`](pelita_feeds::Preset::Urlhaus).
//!
//! ```sh
//! PEERS_DATA=~/.cache/pelita-peers/data cargo bench -p pelita-feeds --bench peers
//! # one run of one case, for `/usr/bin/time -v` (peak RSS):
//! PEERS_DATA=… PELITA_BENCH_ONCE=canonicalise target/release/deps/peers-…
//! ```
//!
//! The harness (environment variables, cases, output) is
//! `pelita_test_support::peers`.

#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "benchmark harness on generated input"
)]

/// The allocator the `pelita` binary uses, so that the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use pelita_model::ParseContext;
use pelita_test_support::peers::{self, CountSink};

fn parse(path: &Path, sink: &mut CountSink) -> u64 {
    let input = BufReader::with_capacity(64 << 10, File::open(path).expect("bench input"));
    pelita_feeds::parse_preset(
        pelita_feeds::Preset::Urlhaus,
        input,
        &ParseContext::named(path.display().to_string()),
        sink,
    )
    .rows
}

fn main() {
    peers::run("urlhaus_1m.csv", "rows", &parse);
}
