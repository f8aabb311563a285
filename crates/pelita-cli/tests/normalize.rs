//! End to end: the real `pelita` binary, `normalize` subcommand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pelita(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pelita"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn all_good_lines_exit_zero_with_one_line_each() {
    let out = pelita(
        &["normalize"],
        "hxxp://Example[.]com/x\n\n# comment\r\n198.51.100[.]7\r\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "url\thttp://example.com/x\tdocumentation,refanged\nipv4\t198.51.100.7\tdocumentation,refanged\n"
    );
}

#[test]
fn a_bad_line_does_not_stop_the_run_and_exits_one() {
    let out = pelita(
        &["normalize", "--json", "-"],
        "127.1\nexample.org\n\u{FEFF}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line"], 1);
    assert!(lines[0]["error"].as_str().unwrap().contains("ambiguous"));
    assert_eq!(lines[1]["kind"], "domain");
    assert_eq!(lines[1]["key"], "domain:example.org");
    assert_eq!(lines[1]["flags"], serde_json::json!(["documentation"]));
    assert!(
        lines[2]["error"].is_string(),
        "a BOM alone on line 3 is not stripped and not an indicator"
    );
}

#[test]
fn non_utf8_line_is_a_located_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pelita"))
        .args(["normalize"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"example.com\nexa\xffmple.com\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("error\tline 2: line is not valid UTF-8"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        pelita(&["normalize", "--kind", "sha3"], "").status.code(),
        Some(2)
    );
    assert_eq!(
        pelita(&["normalize", "--default-region", "QQ"], "")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        pelita(&["normalize", "/nonexistent/file"], "")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(pelita(&["frobnicate"], "").status.code(), Some(2));
}

#[test]
fn default_region_and_kind() {
    let out = pelita(
        &["normalize", "--default-region", "GB", "--kind", "phone"],
        "020 7946 0123\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "phone\t+442079460123\tfictitious\n"
    );
}

#[test]
fn the_shipped_example_runs() {
    let path = pelita_test_support::workspace_root().join("examples/indicators.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_pelita"))
        .args(["normalize", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    // The example deliberately ends with lines that are not indicators.
    assert_eq!(out.status.code(), Some(1));
    let keys: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            serde_json::from_str::<serde_json::Value>(l).ok()?["key"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let c2 = keys
        .iter()
        .filter(|k| *k == "url:http://c2-panel.example.com/gate.php")
        .count();
    assert_eq!(c2, 4, "the four notations of the C2 URL have one key");
}
