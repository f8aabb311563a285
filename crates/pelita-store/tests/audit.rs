//! The audit log detects tampering with the database: an edited, deleted,
//! inserted or reordered entry, and removed newest entries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use pelita_store::{AuditEntry, SqliteStore, Store};
use rusqlite::{Connection, params};
use time::OffsetDateTime;

fn entry(i: u64) -> AuditEntry {
    AuditEntry {
        at: OffsetDateTime::from_unix_timestamp(1_780_000_000 + i as i64).unwrap(),
        org: if i.is_multiple_of(2) {
            "cert-sg"
        } else {
            "firm-a"
        }
        .into(),
        token: format!("{i:016x}"),
        action: if i.is_multiple_of(3) {
            "submit"
        } else {
            "read"
        }
        .into(),
        detail: format!("country=SG tlp<=amber page={i}"),
        result_size: i * 7,
    }
}

/// A store with `n` audit entries, and its path.
fn logged(n: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pelita.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let mut prev = pelita_store::audit::GENESIS.to_owned();
    for i in 1..=n {
        let r = store.audit_append(&entry(i)).unwrap();
        assert_eq!(r.seq, i as i64);
        assert_eq!(r.prev, prev);
        prev = r.hash;
    }
    let v = store.audit_verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(v.entries, n);
    (dir, path)
}

fn verdict_after(
    n: u64,
    tamper: &str,
    args: &[&dyn rusqlite::ToSql],
) -> pelita_store::AuditVerdict {
    let (_dir, path) = logged(n);
    let c = Connection::open(SqliteStore::audit_path_for(&path)).unwrap();
    c.execute(tamper, args).unwrap();
    drop(c);
    SqliteStore::open(&path).unwrap().audit_verify().unwrap()
}

#[test]
fn an_intact_log_verifies_and_reads_back() {
    let (_dir, path) = logged(12);
    let store = SqliteStore::open(&path).unwrap();
    let all = store.audit_entries(1, 100).unwrap();
    assert_eq!(all.len(), 12);
    assert_eq!(all[3].entry, entry(4));
    assert_eq!(store.audit_entries(5, 2).unwrap().len(), 2);
    let other = tempfile::tempdir().unwrap();
    let empty = SqliteStore::open(&other.path().join("x.db")).unwrap();
    assert!(empty.audit_verify().unwrap().is_ok());
}

#[test]
fn every_kind_of_tampering_is_detected() {
    let cases = [
        (
            "edited detail",
            "UPDATE audit SET detail = 'country=MY' WHERE seq = 5",
        ),
        (
            "edited size",
            "UPDATE audit SET result_size = 0 WHERE seq = 9",
        ),
        (
            "edited org",
            "UPDATE audit SET org = 'someone-else' WHERE seq = 1",
        ),
        ("deleted middle", "DELETE FROM audit WHERE seq = 6"),
        ("deleted first", "DELETE FROM audit WHERE seq = 1"),
        ("deleted newest", "DELETE FROM audit WHERE seq = 12"),
        ("deleted all", "DELETE FROM audit"),
        ("swapped", ""),
        (
            "renumbered",
            "UPDATE audit SET seq = seq + 100 WHERE seq > 10",
        ),
    ];
    for (what, sql) in cases {
        // Swapping needs a temporary key to dodge the primary key.
        let v = if what == "swapped" {
            let (_dir, path) = logged(12);
            let c = Connection::open(SqliteStore::audit_path_for(&path)).unwrap();
            c.execute_batch(
                "UPDATE audit SET seq = -3 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -3;",
            )
            .unwrap();
            drop(c);
            SqliteStore::open(&path).unwrap().audit_verify().unwrap()
        } else {
            verdict_after(12, sql, &[])
        };
        assert!(!v.is_ok(), "{what}: not detected");
        println!("{what}: {:?}", v.problems);
    }
    // An inserted entry with a correct-looking hash of its own still breaks the chain after it.
    let (_dir, path) = logged(6);
    let c = Connection::open(SqliteStore::audit_path_for(&path)).unwrap();
    let forged = entry(99);
    let prev: String = c
        .query_row("SELECT hash FROM audit WHERE seq = 3", [], |r| r.get(0))
        .unwrap();
    c.execute_batch(
        "UPDATE audit SET seq = -seq WHERE seq > 3; UPDATE audit SET seq = 1 - seq WHERE seq < 0;",
    )
    .unwrap();
    let hash = pelita_store::audit::entry_hash(&prev, 4, &forged);
    c.execute(
        "INSERT INTO audit (seq, at, org, token, action, detail, result_size, prev, hash) VALUES (4, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![forged.at.unix_timestamp(), forged.org, forged.token, forged.action, forged.detail, 0, prev, hash],
    )
    .unwrap();
    // The forger also moves the head to the new newest entry.
    let last: String = c
        .query_row("SELECT hash FROM audit WHERE seq = 7", [], |r| r.get(0))
        .unwrap();
    c.execute(
        "UPDATE settings SET value = ?1 WHERE key = 'audit_head'",
        params![format!("7 {last}")],
    )
    .unwrap();
    drop(c);
    let v = SqliteStore::open(&path).unwrap().audit_verify().unwrap();
    assert!(!v.is_ok(), "an inserted entry was not detected");
}

#[test]
fn a_batch_appends_the_same_chain_as_one_at_a_time() {
    let (_d1, one_path) = logged(9);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pelita.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let entries: Vec<AuditEntry> = (1..=9).map(entry).collect();
    let (a, b) = entries.split_at(4);
    let mut batched = store.audit_append_all(a.to_vec()).unwrap();
    batched.extend(store.audit_append_all(b.to_vec()).unwrap());
    assert!(store.audit_append_all(Vec::new()).unwrap().is_empty());
    let single = SqliteStore::open(&one_path)
        .unwrap()
        .audit_entries(1, 100)
        .unwrap();
    assert_eq!(batched, single);
    assert_eq!(store.audit_entries(1, 100).unwrap(), single);
    assert!(store.audit_verify().unwrap().is_ok());
}

#[test]
fn a_log_kept_in_the_store_moves_to_the_audit_file_once() {
    // Schema 6 and 7 kept the log in the store itself: put one there.
    let (_d1, source) = logged(5);
    let records = SqliteStore::open(&source)
        .unwrap()
        .audit_entries(1, 100)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pelita.db");
    drop(SqliteStore::open(&path).unwrap());
    std::fs::remove_file(SqliteStore::audit_path_for(&path)).unwrap();
    let c = Connection::open(&path).unwrap();
    for r in &records {
        c.execute(
            "INSERT INTO audit (seq, at, org, token, action, detail, result_size, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![r.seq, r.entry.at.unix_timestamp(), r.entry.org, r.entry.token, r.entry.action, r.entry.detail, r.entry.result_size as i64, r.prev, r.hash],
        )
        .unwrap();
    }
    let last = records.last().unwrap();
    c.execute(
        "INSERT INTO settings (key, value) VALUES ('audit_head', ?1)",
        params![format!("{} {}", last.seq, last.hash)],
    )
    .unwrap();
    drop(c);
    for _ in 0..2 {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.audit_entries(1, 100).unwrap(), records);
        assert!(store.audit_verify().unwrap().is_ok());
    }
    let c = Connection::open(&path).unwrap();
    let left: i64 = c
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "the store still holds the old log");
}
