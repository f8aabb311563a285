//! Syntax errors inside one value are that value's located problem; the
//! rest of the document goes through, in memory and streamed alike.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use pelita_model::{Collect, ParseContext, Problem, Tlp};

/// Both readers on `doc` (the streamed one through a small read buffer, so
/// that attributes straddle its end); they must agree.
fn both(doc: &str) -> Collect {
    let ctx = ParseContext::named("f.json");
    let mut whole = Collect::default();
    pelita_misp::parse(doc.as_bytes(), &ctx, &mut whole);
    let mut streamed = Collect::default();
    pelita_misp::parse_reopen(
        || Ok(std::io::Cursor::new(doc.as_bytes())),
        &ctx,
        &mut streamed,
    );
    assert_eq!(whole.observations, streamed.observations);
    assert_eq!(whole.problems, streamed.problems);
    whole
}

fn syntax(c: &Collect) -> Vec<&Problem> {
    c.problems
        .iter()
        .filter(|p| p.code == "json.syntax")
        .collect()
}

#[test]
fn a_broken_attribute_is_located_and_the_rest_goes_through() {
    let doc = "{\"Event\": {\"info\": \"x\", \"Attribute\": [\n  {\"type\": \"domain\", \"value\": \"a.example\"},\n  {\"type\": \"domain\" \"value\": \"b.example\"},\n  {\"type\": \"domain\", \"value\": \"c.example\"}\n], \"Tag\": [{\"name\": \"tlp:amber\"}]}}";
    let c = both(doc);
    let values: Vec<&str> = c.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["a.example", "c.example"]);
    assert!(c.observations.iter().all(|o| o.tlp == Some(Tlp::Amber)));
    let e = syntax(&c);
    assert_eq!(e.len(), 1, "{:?}", c.problems);
    let at = &e[0].location;
    assert_eq!(at.pointer.as_deref(), Some("/Event/Attribute/1"));
    assert_eq!((at.line, at.column), (Some(3), Some(21)));
    // The byte offset is the offending byte's (the `"` of "value").
    let offset = usize::try_from(at.offset.unwrap()).unwrap();
    assert!(doc[offset..].starts_with("\"value\": \"b.example\""));
    assert_eq!(e[0].message, "expected `,` or `}`");
}

#[test]
fn a_broken_event_tag_list_is_located_and_the_attributes_are_read() {
    let c = both(
        r#"{"Event": {"Tag": [{"name": "tlp:red"} {"name": "x"}], "Attribute": [{"type": "domain", "value": "a.example"}]}}"#,
    );
    assert_eq!(c.observations.len(), 1);
    let e = syntax(&c);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location.pointer.as_deref(), Some("/Event/Tag"));
}

#[test]
fn a_broken_structure_stops_the_document_with_its_place() {
    let doc = "{\"Attribute\": [{\"type\": \"domain\", \"value\": \"a.example\"}\n {\"type\": \"domain\", \"value\": \"b.example\"}]}";
    let c = both(doc);
    assert_eq!(c.observations.len(), 1);
    let e = syntax(&c);
    assert_eq!(e.len(), 1);
    let at = &e[0].location;
    assert_eq!(at.pointer, None);
    assert_eq!(
        (at.line, at.column, at.offset),
        (Some(2), Some(2), Some(57))
    );
}

#[test]
fn places_after_a_large_list_are_right_in_both_readers() {
    // More than 256 KiB of attributes (skipped in one jump by the metadata
    // pass), with broken values before and after the list's end.
    let mut doc = String::from("{\"Event\": {\"Attribute\": [\n");
    let mut i = 0u32;
    while doc.len() < 600 << 10 {
        doc.push_str(&format!(
            "  {{\"type\": \"ip-dst\", \"comment\": \"a \\\"quote\\\" [\", \"value\": \"198.51.{}.{}\"}},\n",
            (i / 250) % 250,
            i % 250
        ));
        i += 1;
    }
    doc.push_str("  {\"type\": \"ip-dst\", \"value\": nul}\n],\n \"Tag\": [{\"name\": \"tlp:green\"}], \"Orgc\": {\"name\": tru},\n \"info\": \"big\"}}");
    let c = both(&doc);
    assert_eq!(c.observations.len(), i as usize);
    assert!(c.observations.iter().all(|o| o.tlp == Some(Tlp::Green)));
    let e = syntax(&c);
    assert_eq!(e.len(), 2, "{e:?}");
    let lines = doc.lines().count() as u64;
    let tag = e
        .iter()
        .find(|p| p.location.pointer.as_deref() == Some("/Event/Orgc"))
        .unwrap();
    assert_eq!(tag.location.line, Some(lines - 1));
    let last = e
        .iter()
        .find(|p| p.location.pointer.as_deref() == Some(&*format!("/Event/Attribute/{i}")))
        .unwrap();
    assert_eq!(last.location.line, Some(lines - 3));
}

#[test]
fn offsets_count_the_byte_order_mark() {
    let mut ctx = ParseContext::named("b.json");
    ctx.limits.max_json_depth = 3;
    for (doc, expected) in [
        ("\u{feff}{\"Attribute\": [[[1]]]}", ("limit.too-deep", 19)),
        ("\u{feff}{\"Attribute\": [1 2]}", ("json.syntax", 20)),
    ] {
        let mut whole = Collect::default();
        pelita_misp::parse(doc.as_bytes(), &ctx, &mut whole);
        let mut streamed = Collect::default();
        pelita_misp::parse_reopen(
            || Ok(std::io::Cursor::new(doc.as_bytes())),
            &ctx,
            &mut streamed,
        );
        assert_eq!(whole.problems, streamed.problems);
        let p = whole.errors().find(|p| p.code == expected.0).unwrap();
        assert_eq!(
            (p.code.as_str(), p.location.offset),
            (expected.0, Some(expected.1))
        );
        let at = usize::try_from(expected.1).unwrap();
        assert!(b"[2".contains(&doc.as_bytes()[at]), "{doc}");
    }
}
