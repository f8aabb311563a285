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
    assert!(
        text(&out.stderr).contains("(a limit: raise it with --max-size)"),
        "{}",
        text(&out.stderr)
    );
    // The rest of the inputs still go through.
    let small = t.0.join("small.txt");
    std::fs::write(&small, "198.51.100.9\n").unwrap();
    let out = pelita(&[
        "ingest",
        "--data-dir",
        s(&t.0),
        "--max-size",
        "1K",
        "--json",
        s(&input),
        s(&small),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["submissions"][0]["records"], 1, "{summary}");
    assert!(
        summary["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("--max-size"),
        "{summary}"
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

/// A STIX 2.1 bundle of indicators, one per pattern, with `extra` JSON
/// properties added to the indicator at the same index.
fn bundle(patterns: &[&str], extra: &[(usize, &str)]) -> String {
    let objects: Vec<String> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let more = extra
                .iter()
                .find(|(j, _)| *j == i)
                .map_or(String::new(), |(_, e)| format!(", {e}"));
            format!(
                r#"{{"type": "indicator", "spec_version": "2.1",
  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd{i:02x}",
  "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
  "pattern": "{p}", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"{more}}}"#
            )
        })
        .collect();
    format!(
        "{{\"type\": \"bundle\", \"id\": \"bundle--d6a999f2-849c-4d1b-aba4-4445c4444444\",\n\"objects\": [\n{}\n]}}\n",
        objects.join(",\n")
    )
}

/// Runs `pelita ingest --json` with `limit_args` on one file; returns the
/// exit code, the submission's JSON summary and the human summary of a
/// second run (same arguments, no `--json`).
fn ingest_with_limits(name: &str, content: &str, limit_args: &[&str]) -> (i32, Value, String) {
    let t = TempDir::new(name);
    let input = t.0.join(name);
    std::fs::write(&input, content).unwrap();
    let data = t.0.join("data");
    let mut args = vec!["ingest", "--data-dir", s(&data), "--json"];
    args.extend_from_slice(limit_args);
    args.push(s(&input));
    let out = pelita(&args);
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    args.retain(|a| *a != "--json");
    let human = text(&pelita(&args).stdout);
    (
        out.status.code().unwrap(),
        summary["submissions"][0].clone(),
        human,
    )
}

#[test]
fn max_depth_drops_the_deep_object_and_keeps_the_rest() {
    let nested = format!("\"x_nested\": {}1{}", "[".repeat(12), "]".repeat(12));
    let content = bundle(
        &[
            "[ipv4-addr:value = '198.51.100.1']",
            "[ipv4-addr:value = '198.51.100.2']",
            "[ipv4-addr:value = '198.51.100.3']",
        ],
        &[(1, &nested)],
    );
    let (code, sub, human) = ingest_with_limits("deep.json", &content, &["--max-depth", "8"]);
    assert_eq!(code, 1, "{sub}");
    assert_eq!(sub["records"], 2, "{sub}");
    let e = &sub["errors"]["limit.too-deep"];
    assert_eq!(e["count"], 1, "{sub}");
    let first = &e["first"][0];
    assert_eq!(first["location"]["pointer"], "/objects/1", "{first}");
    assert!(first["location"]["line"].as_u64().unwrap() >= 3, "{first}");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("the limit is 8"),
        "{first}"
    );
    assert!(
        human.contains("limit.too-deep: 1 (a limit: raise it with --max-depth)"),
        "{human}"
    );
    // Under the default limit the same bundle is read whole.
    let (code, sub, _) = ingest_with_limits("deep.json", &content, &[]);
    assert_eq!((code, sub["records"].as_u64()), (0, Some(3)), "{sub}");
}

#[test]
fn max_line_skips_the_long_line_and_keeps_the_rest() {
    let content = format!(
        "198.51.100.1\nhttp://example.com/{}\n198.51.100.2\n",
        "a".repeat(100)
    );
    let (code, sub, human) = ingest_with_limits("lines.txt", &content, &["--max-line", "64"]);
    assert_eq!(code, 1, "{sub}");
    assert_eq!(sub["format"], "list");
    assert_eq!(sub["records"], 2, "{sub}");
    let e = &sub["errors"]["limit.line-too-long"];
    assert_eq!(e["count"], 1, "{sub}");
    assert_eq!(e["first"][0]["location"]["line"], 2);
    assert_eq!(e["first"][0]["location"]["offset"], 13);
    assert!(
        e["first"][0]["message"]
            .as_str()
            .unwrap()
            .contains("longer than the limit of 64 bytes"),
        "{e}"
    );
    assert!(
        human.contains("(a limit: raise it with --max-line)"),
        "{human}"
    );
    let (code, sub, _) = ingest_with_limits("lines.txt", &content, &["--max-line", "1K"]);
    assert_eq!((code, sub["records"].as_u64()), (0, Some(3)), "{sub}");
}

#[test]
fn max_records_stops_reading_and_keeps_what_came_before() {
    // A list: values after the third are not read.
    let list = "198.51.100.1\n198.51.100.2\n198.51.100.3\n198.51.100.4\n198.51.100.5\n";
    let (code, sub, human) = ingest_with_limits("many.txt", list, &["--max-records", "3"]);
    assert_eq!(code, 1, "{sub}");
    assert_eq!(sub["records"], 3, "{sub}");
    let e = &sub["errors"]["limit.too-many-records"];
    assert_eq!(e["count"], 1, "{sub}");
    assert_eq!(e["first"][0]["location"]["line"], 4, "{e}");
    assert!(
        human.contains("(a limit: raise it with --max-records)"),
        "{human}"
    );

    // A STIX bundle: objects after the second are not read.
    let content = bundle(
        &[
            "[ipv4-addr:value = '198.51.100.1']",
            "[ipv4-addr:value = '198.51.100.2']",
            "[ipv4-addr:value = '198.51.100.3']",
            "[ipv4-addr:value = '198.51.100.4']",
        ],
        &[],
    );
    let (code, sub, _) = ingest_with_limits("many.json", &content, &["--max-records", "2"]);
    assert_eq!(code, 1, "{sub}");
    assert_eq!(sub["records"], 2, "{sub}");
    let e = &sub["errors"]["limit.too-many-records"];
    assert_eq!(e["count"], 1, "{sub}");
    assert!(
        e["first"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 2 objects"),
        "{e}"
    );
    assert!(e["first"][0]["location"]["line"].is_u64(), "{e}");
}

#[test]
fn max_value_rejects_the_long_value_only() {
    let long = format!("[url:value = 'http://example.com/{}']", "a".repeat(100));
    let content = bundle(
        &[
            "[ipv4-addr:value = '198.51.100.1']",
            &long,
            "[ipv4-addr:value = '198.51.100.3']",
        ],
        &[],
    );
    let (code, sub, human) = ingest_with_limits("values.json", &content, &["--max-value", "64"]);
    assert_eq!(code, 1, "{sub}");
    assert_eq!(sub["records"], 2, "{sub}");
    let e = &sub["errors"]["limit.value-too-long"];
    assert_eq!(e["count"], 1, "{sub}");
    let first = &e["first"][0];
    assert_eq!(
        first["location"]["pointer"], "/objects/1/pattern",
        "{first}"
    );
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .starts_with("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd01: pattern of"),
        "{first}"
    );
    assert!(
        human.contains("(a limit: raise it with --max-value)"),
        "{human}"
    );
}

#[test]
fn limit_options_are_checked_and_explained() {
    let t = TempDir::new("limit-usage");
    let input = t.0.join("x.txt");
    std::fs::write(&input, "198.51.100.1\n").unwrap();
    for bad in [
        ["--max-depth", "0"],
        ["--max-records", "none"],
        ["--max-line", "1X"],
    ] {
        let out = pelita(&["ingest", "--data-dir", s(&t.0), bad[0], bad[1], s(&input)]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(text(&out.stderr).contains(bad[0]), "{}", text(&out.stderr));
    }
    let help = text(&pelita(&["ingest", "--help"]).stdout);
    for option in [
        "--max-size",
        "--max-depth",
        "--max-line",
        "--max-records",
        "--max-value",
    ] {
        assert!(help.contains(option), "{option}: {help}");
    }
    assert!(help.contains("what came before"), "{help}");
}
