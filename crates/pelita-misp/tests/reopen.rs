//! `parse_reopen` (streaming from a re-openable source, flat memory) must
//! give exactly what `parse` (whole document in memory) gives.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use pelita_model::{Collect, ParseContext};

fn both(bytes: &[u8]) -> (Collect, Collect) {
    let ctx = ParseContext::named("doc.json");
    let mut whole = Collect::default();
    let a = pelita_misp::parse(bytes, &ctx, &mut whole);
    let mut streamed = Collect::default();
    let b = pelita_misp::parse_reopen(|| Ok(std::io::Cursor::new(bytes)), &ctx, &mut streamed);
    assert_eq!(a.attributes_by_type, b.attributes_by_type);
    assert_eq!(
        (a.events, a.observations, a.errors),
        (b.events, b.observations, b.errors)
    );
    (whole, streamed)
}

#[test]
fn same_result_on_every_json_sample() {
    let Some(root) = pelita_test_support::samples("pymisp") else {
        return;
    };
    let mut files = pelita_test_support::files_below(&root);
    if let Some(eset) = pelita_test_support::samples("eset-malware-ioc") {
        files.extend(pelita_test_support::files_below(&eset));
    }
    let mut compared = 0;
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let bytes = std::fs::read(f).unwrap();
        let (whole, streamed) = both(&bytes);
        assert_eq!(whole.observations, streamed.observations, "{}", f.display());
        assert_eq!(whole.problems, streamed.problems, "{}", f.display());
        compared += 1;
    }
    assert!(compared > 30, "compared only {compared} files");
}

#[test]
fn same_result_on_broken_and_deep_input() {
    for doc in [
        &b"\xEF\xBB\xBF{\"Event\": {\"info\": \"x\", \"Attribute\": [{\"type\": \"ip-dst\", \"value\": \"192.0.2.1\"}]}}"[..],
        b"{\"Event\": {\"info\": \"x\", \"Attribute\": [{\"type\": \"ip-dst\", \"value\": \"192.0.2.1\"}, {\"type\": ",
        &[b'['; 500][..],
        b"",
        b"{}",
    ] {
        let (whole, streamed) = both(doc);
        assert_eq!(whole.observations, streamed.observations);
        assert_eq!(whole.problems, streamed.problems);
    }
}

#[test]
fn a_large_event_streams_from_a_reopened_source() {
    let mut doc = String::from("{\"Event\": {\"info\": \"big\", \"Attribute\": [");
    for i in 0..20_000u32 {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!(
            "{{\"type\": \"ip-dst\", \"value\": \"198.51.{}.{}\"}}",
            i / 250,
            i % 250
        ));
    }
    doc.push_str("], \"Tag\": [{\"name\": \"tlp:amber\"}]}}");
    let mut opened = 0;
    let mut sink = Collect::default();
    let s = pelita_misp::parse_reopen(
        || {
            opened += 1;
            Ok(std::io::Cursor::new(doc.as_bytes()))
        },
        &ParseContext::default(),
        &mut sink,
    );
    assert_eq!(opened, 3, "depth scan, metadata pass, attribute pass");
    assert_eq!(s.attributes, 20_000);
    assert!(
        sink.observations
            .iter()
            .all(|o| o.tlp == Some(pelita_model::Tlp::Amber)),
        "the event tag after the attributes applies"
    );
}

#[test]
fn an_open_failure_is_a_located_problem() {
    let mut sink = Collect::default();
    pelita_misp::parse_reopen(
        || Err::<std::io::Empty, _>(std::io::Error::other("disk gone")),
        &ParseContext::named("x.json"),
        &mut sink,
    );
    assert_eq!(sink.problems.len(), 1);
    assert_eq!(sink.problems[0].code, "misp.io");
}
