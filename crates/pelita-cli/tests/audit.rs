//! End to end: what the console does is audited, `pelita audit verify`
//! passes on an intact log and fails (exit 1, saying where) after the
//! database is tampered with.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::process::Output;

/// `pelita ARGS --data-dir DIR`.
fn pelita(dir: &std::path::Path, args: &[&str]) -> Output {
    common::command(dir, args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn console_actions_are_audited_and_tampering_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "198.51.100.7\n203.0.113.9\n").unwrap();
    let d = dir.path();
    assert!(
        pelita(d, &["ingest", "--source", "cert-a", list.to_str().unwrap()])
            .status
            .success()
    );
    assert!(
        pelita(d, &["operation", "create", "op1", "--countries", "SG"])
            .status
            .success()
    );
    assert!(
        pelita(
            d,
            &[
                "operation",
                "action",
                "op1",
                "c2-takedown:SG:AS64496",
                "sent"
            ]
        )
        .status
        .success()
    );
    let ok = pelita(d, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("audit log intact: 3 entries"),
        "{}",
        text(&ok)
    );
    let show = pelita(d, &["audit", "show", "--json"]);
    let entries: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["submit", "operation.put", "action.set"]);
    assert_eq!(entries[0]["result_size"], 2);
    assert!(
        entries[0]["detail"]
            .as_str()
            .unwrap()
            .contains("source=cert-a")
    );
    let head = text(&pelita(d, &["audit", "head"]));
    assert!(head.starts_with("3 "), "{head}");

    // Someone with the audit file edits what was submitted.
    let c = rusqlite::Connection::open(d.join("pelita.audit.db")).unwrap();
    c.execute(
        "UPDATE audit SET detail = 'nothing to see' WHERE seq = 1",
        [],
    )
    .unwrap();
    drop(c);
    let bad = pelita(d, &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains("TAMPERED"), "{}", text(&bad));
    assert!(
        text(&bad).contains("entry 1: its content does not match its hash"),
        "{}",
        text(&bad)
    );
}
