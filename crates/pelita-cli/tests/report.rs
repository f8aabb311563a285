//! End to end: the real `pelita` binary, `report` on small stores made by `pelita ingest`.
//! (The reports on the demo store are in `demo.rs`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{TempDir, pelita, s, text};

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A store in `root/data` with the lines of `list` ingested as C2 servers from partner x.
fn store_with(root: &Path, list: &str) -> PathBuf {
    let file = root.join("list.txt");
    std::fs::write(&file, list).unwrap();
    let data = root.join("data");
    let out = pelita(
        root,
        &[
            "ingest",
            "--data-dir",
            s(&data),
            "--source",
            "x",
            "--tag",
            r#"rsit:malicious-code="c2-server""#,
            s(&file),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    data
}

#[test]
fn usage_errors_exit_two_and_say_what_is_wrong() {
    let t = TempDir::new("usage");
    let root = &t.0;
    // No store yet: say how to make one, and make nothing.
    let none = root.join("none");
    let out = pelita(root, &["report", "--data-dir", s(&none), "--country", "SG"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no store at"), "{err}");
    assert!(!none.exists());

    let data = store_with(root, "198.51.100.7\n");
    let d = s(&data);
    // Nothing to report on.
    let out = pelita(root, &["report", "--data-dir", d]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    // An unknown operation names itself and where to look.
    let out = pelita(root, &["report", "--data-dir", d, "--operation", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no operation named \"nope\""), "{err}");
    assert!(err.contains("pelita operation list"), "{err}");
    // An unknown format lists the known ones.
    let out = pelita(
        root,
        &[
            "report",
            "--data-dir",
            d,
            "--country",
            "SG",
            "--format",
            "docx",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("\"docx\"") && err.contains("md, html, json"),
        "{err}"
    );
    // Nothing was written into the working directory by the failures.
    assert!(!root.join("pelita-reports").exists());
}

/// `pelita report --help` says --all writes "one report per country with
/// indicators", and `operation_report` leaves out a country whose only
/// indicators are suppressed; `all_reports` does not: a store whose only
/// indicator is a known-benign address (8.8.8.8, placed in US) gets a US
/// report with 0 indicators (the demo store gets AU and US reports this way).
#[test]
fn report_all_leaves_out_countries_with_only_suppressed_indicators() {
    let t = TempDir::new("all");
    let root = &t.0;
    let data = store_with(root, "8.8.8.8\n198.51.100.7\n");
    let out_dir = root.join("out");
    let out = pelita(
        root,
        &[
            "report",
            "--data-dir",
            s(&data),
            "--all",
            "--out",
            s(&out_dir),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out_dir.join("index.json").is_file());
    let index: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("index.json")).unwrap()).unwrap();
    for c in index["countries"].as_array().unwrap() {
        assert!(
            c["summary"]["indicators"].as_u64().unwrap() > 0,
            "a country with no indicators is in the index: {c}"
        );
    }
    assert!(
        !out_dir.join("US.json").exists(),
        "US.json written for a suppressed decoy only: {}",
        text(&out.stdout)
    );
}

/// `--now` fixes the report's time: two runs give the same files byte for
/// byte (confidence decays to it, so without it figures move run to run),
/// and it is the report's generation time.
#[test]
fn report_now_makes_runs_reproducible() {
    let t = TempDir::new("now");
    let root = &t.0;
    let data = store_with(root, "c2.evil-panel.com.sg\npanel.bad-host.co.th\n");
    let run = |out: &str| -> PathBuf {
        let dir = root.join(out);
        let res = pelita(
            root,
            &[
                "report",
                "--data-dir",
                s(&data),
                "--all",
                "--now",
                "2030-01-01T00:00:00Z",
                "--out",
                s(&dir),
            ],
        );
        assert_eq!(res.status.code(), Some(0), "{}", text(&res.stderr));
        dir
    };
    let (a, b) = (run("a"), run("b"));
    let mut names: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() > 3, "{names:?}");
    for name in &names {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name:?} differs between two runs with the same --now"
        );
    }
    let index: Value =
        serde_json::from_slice(&std::fs::read(a.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["generated_at"], "2030-01-01T00:00:00Z", "{index}");
    let bad = pelita(
        root,
        &[
            "report",
            "--data-dir",
            s(&data),
            "--all",
            "--now",
            "someday",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("--now"), "{}", text(&bad.stderr));
}
