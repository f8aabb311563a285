//! Feed directories built on the fly: missing and broken event files, hashes.csv.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers: a panic is a failed test"
)]

use std::path::PathBuf;

use pelita_misp::parse_feed_dir;
use pelita_model::{Collect, ParseContext};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pelita-misp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const A: &str = "11111111-1111-4111-8111-111111111111";
const B: &str = "22222222-2222-4222-8222-222222222222";
const C: &str = "33333333-3333-4333-8333-333333333333";
const D: &str = "44444444-4444-4444-8444-444444444444";

fn event(uuid: &str, value: &str) -> String {
    format!(
        r#"{{"Event": {{"uuid": "{uuid}", "info": "e", "Attribute": [{{"type": "domain", "value": "{value}"}}]}}}}"#
    )
}

#[test]
fn missing_and_broken_events_do_not_stop_the_feed() {
    let dir = TempDir::new("broken");
    dir.write(
        "manifest.json",
        &format!(
            r#"{{"{A}": {{"info": "a"}}, "{B}": {{}}, "{C}": {{}}, "../../etc/passwd": {{}}}}"#
        ),
    );
    dir.write(&format!("{A}.json"), &event(A, "a.example"));
    // B is missing; C is cut short; D is not listed.
    dir.write(&format!("{C}.json"), r#"{"Event": {"uuid": "33333333-3333-4333-8333-333333333333", "Attribute": [{"type": "domain", "value": "c.example"}, {"#);
    dir.write(&format!("{D}.json"), &event(D, "d.example"));
    dir.write(
        "hashes.csv",
        &format!("0123456789abcdef0123456789abcdef,{A}\nnot-a-hash,{A}\n0123456789abcdef0123456789abcdef,{D}\n"),
    );
    let mut sink = Collect::default();
    let feed = parse_feed_dir(&dir.0, &ParseContext::default(), &mut sink);
    assert_eq!(feed.manifest_events, vec![A, B, C]);
    assert_eq!(feed.events_read, 1);
    assert_eq!(feed.missing, vec![B]);
    assert_eq!(feed.broken, vec![C]);
    assert_eq!(feed.unlisted, vec![D]);
    assert_eq!(feed.hash_rows, 3);
    let values: Vec<&str> = sink.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, vec!["a.example", "c.example"]);
    let codes: Vec<&str> = sink.problems.iter().map(|p| p.code.as_str()).collect();
    for code in [
        "misp.feed-bad-uuid",
        "misp.feed-missing-event",
        "json.syntax",
        "misp.feed-unlisted-event",
        "misp.feed-bad-hash-row",
        "misp.feed-hash-unlisted-event",
    ] {
        assert!(codes.contains(&code), "{code} not in {codes:?}");
    }
    let missing = sink
        .problems
        .iter()
        .find(|p| p.code == "misp.feed-missing-event")
        .unwrap();
    assert!(
        missing
            .location
            .file
            .as_deref()
            .unwrap()
            .ends_with("manifest.json")
    );
    assert_eq!(
        missing.location.pointer.as_deref(),
        Some(format!("/{B}").as_str())
    );
    let bad_row = sink
        .problems
        .iter()
        .find(|p| p.code == "misp.feed-bad-hash-row")
        .unwrap();
    assert_eq!(bad_row.location.line, Some(2));
}

#[test]
fn no_manifest_is_one_error() {
    let dir = TempDir::new("empty");
    let mut sink = Collect::default();
    let feed = parse_feed_dir(&dir.0, &ParseContext::default(), &mut sink);
    assert_eq!(sink.errors().count(), 1);
    assert!(feed.manifest_events.is_empty());
    dir.write("manifest.json", "[1, 2]");
    let mut sink = Collect::default();
    parse_feed_dir(&dir.0, &ParseContext::default(), &mut sink);
    assert_eq!(sink.errors().next().unwrap().code, "misp.feed-bad-manifest");
}
