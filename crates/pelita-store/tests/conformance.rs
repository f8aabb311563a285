//! The SQLite backend against the store conformance suite, each check on a
//! fresh database file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::sync::atomic::{AtomicU64, Ordering};

use pelita_store::conformance::{CHECKS, Factory};
use pelita_store::{SqliteStore, Store};

fn temp_db() -> std::path::PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pelita-store-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("pelita.db")
}

/// Every check on fresh stores; with `bulk`, every submission is written
/// as a bulk load (indexes deferred, key hashes held in memory).
fn conformance(bulk: bool) {
    let mut dirs = Vec::new();
    let mut make = || -> Box<dyn Store> {
        let path = temp_db();
        dirs.push(path.parent().unwrap().to_path_buf());
        let mut store = SqliteStore::open(&path).unwrap();
        if bulk {
            store.set_bulk_min_bytes(0);
        }
        Box::new(store)
    };
    let factory: Factory<'_> = &mut make;
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(e) = check(&mut *factory) {
            failures.push(format!("{name}: {e}"));
        }
    }
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed (bulk: {bulk}):\n{}",
        failures.len(),
        CHECKS.len(),
        failures.join("\n")
    );
}

#[test]
fn sqlite_passes_every_conformance_check() {
    conformance(false);
}

#[test]
fn sqlite_passes_every_conformance_check_with_every_submission_a_bulk_load() {
    conformance(true);
}

#[test]
fn reopening_keeps_everything_and_migrations_are_versioned() {
    let path = temp_db();
    {
        let mut s = SqliteStore::open(&path).unwrap();
        pelita_store::conformance::submit(
            &mut s,
            &pelita_store::conformance::meta("k1", "cert-a", None, 0),
            vec![pelita_store::conformance::record("198.51.100.1", 1, None, 0).unwrap()],
        )
        .unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(
        s.stats(&pelita_store::SightingFilter::everything())
            .unwrap()
            .indicators,
        1
    );
    let conn = rusqlite_version(&path);
    assert_eq!(conn, pelita_store::schema_version());
    // A new store has 16 KiB pages (the file header's bytes 16..18, big-endian).
    let header = std::fs::read(&path).unwrap();
    assert_eq!(u16::from_be_bytes([header[16], header[17]]), 16_384);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

fn rusqlite_version(path: &std::path::Path) -> i64 {
    // Read user_version with the sqlite3 file header: bytes 60..64, big-endian.
    let bytes = std::fs::read(path).unwrap();
    i64::from(u32::from_be_bytes(bytes[60..64].try_into().unwrap()))
}
