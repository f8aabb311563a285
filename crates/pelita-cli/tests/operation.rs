//! End to end: the real `pelita` binary, `operation` with `ingest --operation`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{TempDir, pelita, s, text};

use std::process::Output;

use serde_json::Value;

fn assert_ok(out: &Output, what: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A MISP event from partner b: one address partner a also reports, one only b has.
const MISP_B: &str = r#"{"Event": {"info": "[SYNTHETIC] partner b", "date": "2026-11-10",
 "Tag": [{"name": "tlp:green"}],
 "Attribute": [
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.51.100.7",
   "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-18T00:00:00Z",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}]},
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "192.0.2.55",
   "first_seen": "2026-11-02T00:00:00Z", "last_seen": "2026-11-19T00:00:00Z",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}]}
 ]}}"#;

/// The figures after a partner's name in `operation show`'s table.
fn partner_row(show: &str, org: &str) -> Vec<u64> {
    let line = show
        .lines()
        .find(|l| l.split_whitespace().next() == Some(org))
        .unwrap_or_else(|| panic!("no row for partner {org:?} in:\n{show}"));
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// The count on `operation show`'s line `  N partner(s)  COUNT`.
fn overlap(show: &str, partners: u64) -> Option<u64> {
    show.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next()? == partners.to_string() && w.next()? == "partner(s)")
            .then(|| w.next()?.parse().ok())
            .flatten()
    })
}

#[test]
fn operation_lifecycle_with_two_partners() {
    let t = TempDir::new("life");
    let root = &t.0;
    let data = root.join("data");
    let d = s(&data);
    let list_a = root.join("a.txt");
    std::fs::write(&list_a, "198.51.100.7\n203.0.113.9\n").unwrap();
    let misp_b = root.join("b.json");
    std::fs::write(&misp_b, MISP_B).unwrap();
    // Outside the operation: must not count in it.
    let list_c = root.join("c.txt");
    std::fs::write(&list_c, "198.51.100.7\n198.51.100.99\n").unwrap();

    // Ingesting into an operation that does not exist says how to make it.
    let out = pelita(
        root,
        &[
            "ingest",
            "--data-dir",
            d,
            "--operation",
            "nope",
            "--source",
            "a",
            s(&list_a),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("no operation named \"nope\""), "{err}");
    assert!(err.contains("pelita operation create nope"), "{err}");

    let out = pelita(
        root,
        &[
            "operation",
            "create",
            "op1",
            "--data-dir",
            d,
            "--title",
            "T",
            "--start",
            "2026-10-01",
            "--countries",
            "SG,MY",
            "--orgs",
            "a,b",
        ],
    );
    let created = assert_ok(&out, "operation create");
    assert!(created.contains("operation op1 saved"), "{created}");

    let list = assert_ok(
        &pelita(root, &["operation", "list", "--data-dir", d]),
        "operation list",
    );
    let line = list
        .lines()
        .find(|l| l.starts_with("op1 "))
        .unwrap_or_else(|| panic!("op1 not listed:\n{list}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words, ["op1", "T", "0", "submissions", "SG,MY"], "{line:?}");
    let list: Value = serde_json::from_str(&assert_ok(
        &pelita(root, &["operation", "list", "--data-dir", d, "--json"]),
        "operation list --json",
    ))
    .unwrap();
    let ops = list.as_array().unwrap();
    assert_eq!(ops.len(), 1, "{list}");
    assert_eq!(ops[0]["name"], "op1");
    assert_eq!(ops[0]["title"], "T");
    assert_eq!(ops[0]["starts_at"], "2026-10-01T00:00:00Z");
    assert_eq!(ops[0]["countries"], serde_json::json!(["SG", "MY"]));
    assert_eq!(ops[0]["organisations"], serde_json::json!(["a", "b"]));

    for (source, file) in [("a", &list_a), ("b", &misp_b)] {
        let out = pelita(
            root,
            &[
                "ingest",
                "--data-dir",
                d,
                "--operation",
                "op1",
                "--source",
                source,
                s(file),
            ],
        );
        assert_ok(&out, &format!("ingest --operation op1 --source {source}"));
    }
    let out = pelita(
        root,
        &["ingest", "--data-dir", d, "--source", "c", s(&list_c)],
    );
    assert_ok(&out, "ingest outside the operation");

    // a: 198.51.100.7, 203.0.113.9; b: 198.51.100.7, 192.0.2.55. Three indicators, one by both.
    let show = assert_ok(
        &pelita(root, &["operation", "show", "op1", "--data-dir", d]),
        "operation show",
    );
    assert!(show.starts_with("T (op1)\n"), "{show}");
    assert!(
        show.contains("2 submissions, 3 indicators, 4 sightings; countries SG,MY"),
        "{show}"
    );
    // submissions, indicators, sightings, only this partner
    assert_eq!(partner_row(&show, "a"), [1, 2, 2, 1], "{show}");
    assert_eq!(partner_row(&show, "b"), [1, 2, 2, 1], "{show}");
    assert!(
        !show
            .lines()
            .any(|l| l.split_whitespace().next() == Some("c")),
        "a partner outside the operation is in it:\n{show}"
    );
    assert_eq!(overlap(&show, 1), Some(2), "{show}");
    assert_eq!(overlap(&show, 2), Some(1), "{show}");
    assert_eq!(overlap(&show, 3), None, "{show}");
    assert!(!show.contains("actions with a recorded status"), "{show}");

    let v: Value = serde_json::from_str(&assert_ok(
        &pelita(
            root,
            &["operation", "show", "op1", "--data-dir", d, "--json"],
        ),
        "operation show --json",
    ))
    .unwrap();
    assert_eq!(v["operation"]["name"], "op1");
    assert_eq!(v["operation"]["submissions"], 2);
    assert_eq!(v["stats"]["indicators"], 3);
    assert_eq!(v["stats"]["sightings"], 4);
    assert_eq!(
        v["stats"]["by_source_count"],
        serde_json::json!({"1": 2, "2": 1})
    );
    for org in ["a", "b"] {
        let c = &v["stats"]["by_source"][org];
        assert_eq!(c["submissions"], 1, "{org}: {c}");
        assert_eq!(c["indicators"], 2, "{org}: {c}");
        assert_eq!(c["unique"], 1, "{org}: {c}");
    }
    assert!(v["stats"]["by_source"].get("c").is_none(), "{v}");
    assert_eq!(v["actions"], serde_json::json!({}));

    // Where an action stands.
    let id = "c2-takedown:SG:AS64496";
    let out = pelita(
        root,
        &[
            "operation",
            "action",
            "op1",
            id,
            "done",
            "--note",
            "x",
            "--data-dir",
            d,
        ],
    );
    let said = assert_ok(&out, "operation action");
    assert_eq!(said, format!("{id}: done\n"));
    let show = assert_ok(
        &pelita(root, &["operation", "show", "op1", "--data-dir", d]),
        "operation show after action",
    );
    let (_, actions) = show
        .split_once("actions with a recorded status:")
        .unwrap_or_else(|| panic!("no actions in:\n{show}"));
    let words: Vec<&str> = actions.split_whitespace().collect();
    assert_eq!(words, ["done", id, "x"], "{show}");
    let v: Value = serde_json::from_str(&assert_ok(
        &pelita(
            root,
            &["operation", "show", "op1", "--data-dir", d, "--json"],
        ),
        "operation show --json after action",
    ))
    .unwrap();
    assert_eq!(v["actions"][id]["status"], "done", "{v}");
    assert_eq!(v["actions"][id]["note"], "x", "{v}");

    // An unknown status is a usage error.
    let out = pelita(
        root,
        &[
            "operation",
            "action",
            "op1",
            id,
            "finished",
            "--data-dir",
            d,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("open, sent, acknowledged, done, declined"),
        "{}",
        text(&out.stderr)
    );

    // A bad name is refused and nothing is created.
    let out = pelita(root, &["operation", "create", "bad name!", "--data-dir", d]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("operation names are"), "{err}");
    assert!(err.contains("\"bad name!\""), "{err}");
    let list: Value = serde_json::from_str(&assert_ok(
        &pelita(root, &["operation", "list", "--data-dir", d, "--json"]),
        "operation list --json at the end",
    ))
    .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["op1"]);
}

#[test]
fn operation_commands_on_a_missing_store_say_how_to_make_one() {
    let t = TempDir::new("missing");
    let root = &t.0;
    let data = root.join("nothing-here");
    for args in [vec!["operation", "list"], vec!["operation", "show", "op1"]] {
        let mut args = args;
        args.extend(["--data-dir", s(&data)]);
        let out = pelita(root, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("no store at"), "{args:?}: {err}");
        assert!(err.contains("pelita ingest"), "{args:?}: {err}");
    }
    assert!(!data.exists(), "a read-only command created the store");
}

#[test]
fn ingest_to_an_operation_of_a_store_not_yet_made_creates_nothing() {
    let t = TempDir::new("no-store");
    let root = &t.0;
    let data = root.join("data");
    let list = root.join("c2.txt");
    std::fs::write(&list, "198.51.100.9\n").unwrap();
    let out = pelita(
        root,
        &[
            "ingest",
            "--data-dir",
            s(&data),
            "--operation",
            "nope",
            s(&list),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("no operation named \"nope\""), "{err}");
    assert!(err.contains("pelita operation create nope"), "{err}");
    assert!(!data.exists(), "nothing archived, no store made");
}
