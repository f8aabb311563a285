//! End to end: the real `pelita` binary, `store check` and `store compact`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::path::Path;

use common::{TempDir, pelita, s, text};

use serde_json::Value;

fn check(dir: &Path) -> (i32, Value) {
    let out = pelita(dir, &["store", "check", "--data-dir", s(dir), "--json"]);
    let v: Value = serde_json::from_str(&text(&out.stdout))
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    (out.status.code().unwrap(), v)
}

/// A store just written agrees with itself; a changed or lost archive copy
/// is a problem that names the submission, and the exit code says so.
#[test]
fn check_finds_a_changed_or_missing_archive_copy() {
    let t = TempDir::new("store-check");
    let list = t.0.join("c2.txt");
    std::fs::write(&list, "198.51.100.7\nhxxp://bad[.]example/x\n").unwrap();
    let (cwd, dir) = (t.0.as_path(), s(&t.0));
    let out = pelita(
        cwd,
        &["ingest", "--data-dir", dir, "--source", "cert-a", s(&list)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let plain = pelita(cwd, &["store", "check", "--data-dir", dir]);
    assert!(
        plain.status.success(),
        "{}{}",
        text(&plain.stdout),
        text(&plain.stderr)
    );
    assert!(
        text(&plain.stdout).contains("everything agrees"),
        "{}",
        text(&plain.stdout)
    );
    let (code, v) = check(cwd);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["engine"].as_str(), v["archived"].as_u64()),
        (Some("ok"), Some(1)),
        "{v}"
    );
    assert!(v["audit_entries"].as_u64().unwrap() >= 1, "{v}");

    // The one archived copy: archive/<2 hex digits>/<its SHA-256>.
    let copy = std::fs::read_dir(t.0.join("archive"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .flat_map(|d| std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()))
        .next()
        .unwrap();
    let sha = copy.file_name().unwrap().to_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64, "{}", copy.display());
    let mut perms = std::fs::metadata(&copy).unwrap().permissions();
    #[allow(
        clippy::permissions_set_readonly_false,
        reason = "the test alters the copy"
    )]
    perms.set_readonly(false);
    std::fs::set_permissions(&copy, perms).unwrap();
    std::fs::write(&copy, "198.51.100.8\n").unwrap();
    let (code, v) = check(cwd);
    assert_eq!(code, 1, "{v}");
    let problems = v["problems"].to_string();
    assert!(
        problems.contains(&sha) && problems.contains("was changed"),
        "{v}"
    );

    std::fs::remove_file(&copy).unwrap();
    let (code, v) = check(cwd);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["problems"].to_string().contains("no archived copy"),
        "{v}"
    );
}

/// An archived copy no submission names (an ingest stopped before its
/// commit) and a stopped write's temporary file are reported, and are not
/// problems: nothing accepted is missing.
#[test]
fn check_reports_copies_not_stored_and_leftovers() {
    let t = TempDir::new("store-leftovers");
    let (cwd, dir) = (t.0.as_path(), s(&t.0));
    let list = t.0.join("c2.txt");
    std::fs::write(&list, "198.51.100.7\n").unwrap();
    let out = pelita(
        cwd,
        &["ingest", "--data-dir", dir, "--source", "cert-a", s(&list)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let archive = pelita_ingest::Archive::open(&t.0).unwrap();
    let extra = archive.put(&b"203.0.113.9\n"[..], 1 << 20).unwrap();
    std::fs::write(archive.root().join(".tmp-1-2-3"), "half").unwrap();
    let (code, v) = check(cwd);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["not_stored"], serde_json::json!([extra.sha256]), "{v}");
    assert_eq!(
        v["temporary_files"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    let plain = pelita(cwd, &["store", "check", "--data-dir", dir]);
    assert!(
        text(&plain.stdout).contains("in no submission"),
        "{}",
        text(&plain.stdout)
    );
}

/// `compact` rewrites the file and keeps everything; `check` agrees after.
#[test]
fn compact_keeps_the_store_whole() {
    let t = TempDir::new("store-compact");
    let list = t.0.join("c2.txt");
    let body: String = (1..=200)
        .map(|i| format!("198.51.100.{}\n", i % 250))
        .collect();
    std::fs::write(&list, body).unwrap();
    let (cwd, dir) = (t.0.as_path(), s(&t.0));
    let out = pelita(
        cwd,
        &["ingest", "--data-dir", dir, "--source", "cert-a", s(&list)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats = |d: &str| {
        let out = pelita(cwd, &["stats", "--data-dir", d, "--json"]);
        serde_json::from_str::<Value>(&text(&out.stdout)).unwrap()["indicators"].clone()
    };
    let before = stats(dir);
    let out = pelita(cwd, &["store", "compact", "--data-dir", dir, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let done: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(done["page_size"], 16_384, "{done}");
    assert_eq!(stats(dir), before);
    let (code, v) = check(cwd);
    assert_eq!(code, 0, "{v}");
}

/// `ingest --db` keeps the archive beside that store, where `pelita serve`
/// and `store check --db` look for it.
#[test]
fn ingest_with_db_archives_beside_the_store() {
    let t = TempDir::new("store-beside");
    let cwd = t.0.as_path();
    let db = t.0.join("elsewhere").join("pelita.db");
    let list = t.0.join("c2.txt");
    std::fs::write(&list, "198.51.100.7\n").unwrap();
    let out = pelita(
        cwd,
        &["ingest", "--db", s(&db), "--source", "cert-a", s(&list)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(t.0.join("elsewhere").join("archive").is_dir());
    let out = pelita(cwd, &["store", "check", "--db", s(&db), "--json"]);
    let v: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(
        (out.status.code(), v["archived"].as_u64()),
        (Some(0), Some(1)),
        "{v}"
    );
}
