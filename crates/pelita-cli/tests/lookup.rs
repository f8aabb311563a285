//! End to end: the real `pelita` binary, `ingest --tag` then `lookup`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{TempDir, pelita, s, text};

use std::path::Path;

use serde_json::Value;

const TAG: &str = r#"rsit:malicious-code="c2-server""#;

/// Ingests `list` into a fresh store in `data`, with `--tag TAG` or without.
fn ingest(root: &Path, data: &Path, list: &Path, tagged: bool) {
    let mut args = vec!["ingest", "--data-dir", s(data), "--source", "x"];
    if tagged {
        args.extend(["--tag", TAG]);
    }
    args.push(s(list));
    let out = pelita(root, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn lookup_json(root: &Path, data: &Path, value: &str) -> (Option<i32>, Value) {
    let out = pelita(root, &["lookup", "--data-dir", s(data), "--json", value]);
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{value}: {e}: {}", text(&out.stdout))),
    )
}

#[test]
fn a_tag_on_every_record_classifies_what_lookup_shows() {
    let t = TempDir::new("tag");
    let root = &t.0;
    let list = root.join("list.txt");
    std::fs::write(&list, "198.51.100.7\n203.0.113.9\n").unwrap();
    let tagged = root.join("tagged");
    let plain = root.join("plain");
    ingest(root, &tagged, &list, true);
    ingest(root, &plain, &list, false);

    for value in ["198.51.100.7", "203[.]0[.]113[.]9"] {
        let (code, v) = lookup_json(root, &tagged, value);
        assert_eq!(code, Some(0), "{value}: {v}");
        let exact = &v["exact"];
        assert!(exact.is_object(), "{value}: {v}");
        assert_eq!(
            exact["classifications"],
            serde_json::json!(["malicious-code/c2-server"]),
            "{value}: {v}"
        );
        assert_eq!(exact["tags"], serde_json::json!([TAG]), "{value}: {v}");
        assert_eq!(exact["kind"], "ipv4");
        let sources = exact["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 1, "{v}");
        assert_eq!(sources[0]["source"], "x");
        assert_eq!(sources[0]["sightings"], 1);

        // Without the tag, the same list is not classified: the tag did it.
        let (code, v) = lookup_json(root, &plain, value);
        assert_eq!(code, Some(0), "{value}: {v}");
        assert_eq!(
            v["exact"]["classifications"],
            serde_json::json!([]),
            "{value}: {v}"
        );
    }
    let (code, v) = lookup_json(root, &tagged, "198.51.100.7");
    assert_eq!(code, Some(0));
    assert_eq!(v["key"], "ipv4:198.51.100.7");
    assert_eq!(v["exact"]["value"], "198.51.100.7");

    // The human form says so too.
    let out = pelita(root, &["lookup", "--data-dir", s(&tagged), "198.51.100.7"]);
    assert_eq!(out.status.code(), Some(0));
    let human = text(&out.stdout);
    assert!(
        human.contains("class       malicious-code/c2-server (ENISA RSIT)"),
        "{human}"
    );

    // Something never ingested is not found (exit 1), and gets no class.
    let (code, v) = lookup_json(root, &tagged, "198.51.100.8");
    assert_eq!(code, Some(1), "{v}");
    assert!(v["exact"].is_null(), "{v}");
}
