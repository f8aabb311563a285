//! End to end: the real `pelita` binary, `ingest` subcommand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{TempDir, s, text};

use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn pelita(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pelita"))
        .args(args)
        .env_remove("PELITA_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn json_lines(b: &[u8]) -> Vec<Value> {
    text(b)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn stix_and_misp_samples_to_stdout() {
    let (Some(stix), Some(misp)) = (
        pelita_test_support::samples(
            "oasis-stix2-json-schemas/examples/indicator-for-c2-ip-address.json",
        ),
        pelita_test_support::samples("pymisp/misp_event.json"),
    ) else {
        return;
    };
    let t = TempDir::new("samples");
    let out = pelita(&[
        "ingest",
        "--data-dir",
        s(&t.0),
        "--out",
        "-",
        "--source",
        "CERT-T",
        "--tlp",
        "green",
        s(&stix),
        s(&misp),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let records = json_lines(&out.stdout);
    assert!(records.len() >= 2, "{records:?}");
    let mut submissions = std::collections::BTreeSet::new();
    for r in &records {
        let key = r["key"].as_str().unwrap();
        let (kind, value) = key.split_once(':').unwrap();
        assert_eq!(r["kind"], kind);
        assert_eq!(r["value"], value);
        assert_eq!(r["submission"].as_str().unwrap().len(), 64);
        assert!(r["location"]["file"].is_string());
        assert_eq!(r["source"], "CERT-T");
        submissions.insert(r["submission"].as_str().unwrap().to_owned());
    }
    assert_eq!(submissions.len(), 2);
    assert!(records.iter().any(|r| r["key"] == "ipv4:10.0.0.0"));
    assert!(
        records
            .iter()
            .any(|r| r["key"] == "url:http://fake.website.com/malware/is/here")
    );
    // The summary goes to stderr when records go to stdout, and says why each format.
    assert!(
        stderr.contains("stix (JSON with \"type\": \"bundle\")"),
        "{stderr}"
    );
    assert!(stderr.contains("misp (JSON with"), "{stderr}");
    // Both archived under their SHA-256.
    for sha in &submissions {
        assert!(t.0.join("archive").join(&sha[..2]).join(sha).is_file());
    }
}

#[test]
fn a_bad_record_exits_one_names_its_location_and_keeps_the_rest() {
    let t = TempDir::new("bad");
    let input = t.0.join("mixed.txt");
    std::fs::write(
        &input,
        "# partner list\n198.51.100.7\nhxxp://bad[.]example[.]com/x\n300.1.2.3\nexample.org",
    )
    .unwrap();
    let data = t.0.join("data");
    let out = pelita(&["ingest", "--data-dir", s(&data), "--json", s(&input)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sub = &summary["submissions"][0];
    assert_eq!(sub["format"], "list");
    assert_eq!(sub["records"], 3);
    let err = &sub["errors"]["indicator.invalid"];
    assert_eq!(err["count"], 1);
    assert_eq!(err["first"][0]["location"]["line"], 4);
    assert!(
        err["first"][0]["message"]
            .as_str()
            .unwrap()
            .contains("300.1.2.3")
    );
    assert_eq!(summary["totals"]["errors"], 1);
    // The good records are in the store (the default place), the bad one is not.
    let db = data.join("pelita.db");
    assert_eq!(sub["records_file"], s(&db));
    assert_eq!(sub["stored"]["sightings_added"], 3);
    for (value, found) in [
        ("198.51.100[.]7", true),
        ("http://bad.example.com/x", true),
        ("example.org", true),
        ("300.1.2.4", false),
    ] {
        let out = pelita(&["lookup", "--data-dir", s(&data), "--json", value]);
        assert_eq!(
            out.status.code(),
            Some(if found { 0 } else { 1 }),
            "{value}"
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["exact"].is_object(), found, "{value}: {v}");
    }

    // Human summary names the error and its location.
    let out = pelita(&["ingest", "--data-dir", s(&data), s(&input)]);
    assert_eq!(out.status.code(), Some(1));
    let human = text(&out.stdout);
    assert!(human.contains("indicator.invalid: 1"), "{human}");
    assert!(human.contains(&format!("{}:4", input.display())), "{human}");
}

#[test]
fn the_same_file_twice_is_already_archived_with_the_same_records() {
    let t = TempDir::new("twice");
    let input = t.0.join("list.txt");
    std::fs::write(&input, "192.0.2.44\r\nexample.net\r\n").unwrap();
    let data = t.0.join("data");
    let first = pelita(&["ingest", "--data-dir", s(&data), s(&input)]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let first_summary = text(&first.stdout);
    assert!(
        !first_summary.contains("already archived"),
        "{first_summary}"
    );
    let stats =
        |data: &std::path::Path| text(&pelita(&["stats", "--data-dir", s(data), "--json"]).stdout);
    let before = stats(&data);
    assert!(before.contains("\"indicators\": 2"), "{before}");

    let second = pelita(&["ingest", "--data-dir", s(&data), s(&input)]);
    assert_eq!(second.status.code(), Some(0));
    let summary = text(&second.stdout);
    assert!(summary.contains("already archived"), "{summary}");
    assert!(
        summary
            .contains("0 new sightings, 0 new indicators (submission already stored: unchanged)"),
        "{summary}"
    );
    assert_eq!(stats(&data), before, "re-ingesting changed the store");
}

#[test]
fn unknown_format_and_unreadable_input_exit_two() {
    let t = TempDir::new("usage");
    let input = t.0.join("x.txt");
    std::fs::write(&input, "1.2.3.4\n").unwrap();
    let out = pelita(&[
        "ingest",
        "--data-dir",
        s(&t.0),
        "--format",
        "yaml",
        s(&input),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown format"),
        "{}",
        text(&out.stderr)
    );

    let missing = t.0.join("does-not-exist.json");
    let out = pelita(&["ingest", "--data-dir", s(&t.0), s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does-not-exist.json"));
}

#[test]
fn over_the_size_limit_is_a_clear_error() {
    let t = TempDir::new("size");
    let input = t.0.join("big.txt");
    std::fs::write(&input, "1.2.3.4\n".repeat(1000)).unwrap();
    let out = pelita(&[
        "ingest",
        "--data-dir",
        s(&t.0),
        "--max-size",
        "1K",
        s(&input),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("larger than the limit of 1024 bytes"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn forced_format_and_misp_feed_directory() {
    let Some(feed) = pelita_test_support::samples("misp-core/feeds/misp") else {
        return;
    };
    let t = TempDir::new("feed");
    let out_file = t.0.join("records.jsonl");
    let out = pelita(&[
        "ingest",
        "--data-dir",
        s(&t.0),
        "--format",
        "misp-feed",
        "--out",
        s(&out_file),
        "--json",
        s(&feed),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sub = &summary["submissions"][0];
    assert_eq!(sub["format"], "misp-feed");
    assert_eq!(sub["reason"], "chosen with --format");
    assert!(sub["parts"].as_array().unwrap().len() >= 2);
    let records = json_lines(&std::fs::read(&out_file).unwrap());
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r["part"].is_string()));
}
