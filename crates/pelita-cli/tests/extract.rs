//! End to end: `pelita extract` on prose.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::io::Write;
use std::process::{Command, Stdio};

fn extract(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pelita"))
        .arg("extract")
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
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn finds_defanged_indicators_with_offsets_and_suppresses_false_positives() {
    let text = "The loader contacts hxxps://update-check[.]example[.]com/a.php and 198.51.100[.]23.\nSee invoice.pdf, version 1.2.3.4.\n";
    let out = extract(&["--json"], text);
    assert_eq!(out.status.code(), Some(0));
    let found: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let keys: Vec<&str> = found.iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "url:https://update-check.example.com/a.php",
            "ipv4:198.51.100.23"
        ]
    );
    for f in &found {
        let offset = f["offset"].as_u64().unwrap() as usize;
        let written = f["text"].as_str().unwrap();
        assert_eq!(
            &text[offset..offset + written.len()],
            written,
            "the offset points at the text as written"
        );
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("suppressed"));
}

#[test]
fn html_is_read_as_its_text() {
    let out = extract(
        &["--format", "html"],
        "<p>C2: <b>c2[.]example[.]net</b> &amp; AS64500</p>",
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("domain\tc2.example.net"), "{stdout}");
    assert!(stdout.contains("asn\t64500"), "{stdout}");
}
