//! Ingest throughput on the Python peers' synthetic workload
//! (`shared/peers/gen_workload.py`, seed 1337): the STIX bundle of 100,000
//! indicators, streamed from the file through [`pelita_stix::parse_reopen`]
//! (as `pelita ingest` reads an archived bundle: a learning pass for the
//! `indicates` relationships, then the pass that turns objects into
//! observations).
//!
//! ```sh
//! PEERS_DATA=~/.cache/pelita-peers/data cargo bench -p pelita-stix --bench peers
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
    pelita_stix::parse_reopen(
        || File::open(path).map(|f| BufReader::with_capacity(64 << 10, f)),
        &ParseContext::named(path.display().to_string()),
        sink,
    )
    .objects
}

fn main() {
    peers::run("stix_bundle_100k.json", "objects", &parse);
}
