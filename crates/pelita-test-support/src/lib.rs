//! Test helpers shared by Pelita's crates. Used only as a dev-dependency.
//!
//! The real third-party samples live beside the project in
//! `../shared/samples/` and are never copied into it (licences). Tests find
//! them with [`samples`]: when the folder is absent the test prints a notice
//! and skips, unless `PELITA_REQUIRE_SAMPLES=1` (set by `.ci/run`), in which
//! case a missing folder is a failure, so CI can never silently skip.
//!
//! ```no_run
//! let Some(dir) = pelita_test_support::samples("ioc-fanger") else { return };
//! assert!(dir.join("fanged.txt").exists());
//! ```

pub mod mmdb;
pub mod peers;

use std::path::{Path, PathBuf};

/// The environment variable that turns a missing samples folder into a failure.
pub const REQUIRE_ENV: &str = "PELITA_REQUIRE_SAMPLES";
/// The environment variable that points at another samples folder.
pub const SAMPLES_ENV: &str = "PELITA_SAMPLES";

/// The workspace root (the folder holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // This crate is at <root>/crates/pelita-test-support.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .components()
        .collect()
}

/// The shared samples folder, wherever it is, if it exists.
pub fn samples_root() -> Option<PathBuf> {
    let candidate = match std::env::var_os(SAMPLES_ENV) {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("../shared/samples"),
    };
    candidate.is_dir().then_some(candidate)
}

/// Whether a missing samples folder must fail the test (`PELITA_REQUIRE_SAMPLES=1`).
pub fn samples_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// The samples sub-folder (or file) `rel`, e.g. `"ioc-fanger"` or
/// `"oasis-stix2-patterns/test-cases/v21.json"`.
///
/// Returns `None` after printing a notice when it is absent; panics instead
/// when [`samples_required`], so CI fails rather than skipping.
#[allow(
    clippy::panic,
    reason = "test helper: a panic is the test failure CI must see"
)]
pub fn samples(rel: &str) -> Option<PathBuf> {
    let path = samples_root().map(|root| root.join(rel));
    match path {
        Some(p) if p.exists() => Some(p),
        _ => {
            let msg = format!(
                "shared sample {rel:?} not found (looked beside the project in ../shared/samples, or ${SAMPLES_ENV})"
            );
            if samples_required() {
                panic!("{msg}; {REQUIRE_ENV}=1 makes this a failure");
            }
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// All files below `dir` (recursively), sorted, for data-driven tests.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// SplitMix64: a small, fast, seeded generator for benchmarks and generated
/// test data (the same seed gives the same data on every machine).
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_has_the_top_manifest() {
        let root = workspace_root();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }
}
