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
use std::path::Path;

use pelita_model::ParseContext;
use pelita_test_support::peers::{self, CountSink};

fn parse(path: &Path, sink: &mut CountSink) -> u64 {
    pelita_misp::parse_reopen(
        || File::open(path),
        &ParseContext::named(path.display().to_string()),
        sink,
    )
    .attributes
}

fn main() {
    peers::run("misp_event_100k.json", "attributes", &parse);
}
