//! Behaviour of the MISP reader on small hand-written documents.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers: a panic is a failed test"
)]

use pelita_misp::{Summary, parse};
use pelita_model::{
    Collect, Credibility, IndicatorKind, Observation, ParseContext, Relation, Severity,
    SourceReliability, Tlp,
};

fn run(json: &str) -> (Collect, Summary) {
    run_with(json, &ParseContext::named("t.json"))
}

fn run_with(json: &str, ctx: &ParseContext) -> (Collect, Summary) {
    let mut sink = Collect::default();
    let summary = parse(json.as_bytes(), ctx, &mut sink);
    (sink, summary)
}

fn no_errors(c: &Collect) {
    let errors: Vec<String> = c.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn find<'c>(c: &'c Collect, value: &str) -> &'c Observation {
    c.observations
        .iter()
        .find(|o| o.value == value)
        .unwrap_or_else(|| panic!("no observation {value:?} in {:#?}", c.observations))
}

#[test]
fn domain_ip_gives_two_observations_and_a_relation() {
    let (c, s) = run(r#"{"Event": {"info": "x", "Attribute": [
            {"type": "domain|ip", "category": "Network activity", "value": "evil.example|192.0.2.7", "uuid": "u-1"}
        ]}}"#);
    no_errors(&c);
    assert_eq!(c.observations.len(), 2);
    let d = find(&c, "evil.example");
    assert_eq!(d.kind, Some(IndicatorKind::Domain));
    assert_eq!(d.related.len(), 1);
    assert_eq!(d.related[0].relation, Relation::ResolvesTo);
    assert_eq!(d.related[0].value, "192.0.2.7");
    assert_eq!(d.related[0].kind, Some(IndicatorKind::Ipv4));
    let ip = find(&c, "192.0.2.7");
    assert_eq!(ip.kind, Some(IndicatorKind::Ipv4));
    assert_eq!(ip.source_id.as_deref(), Some("u-1"));
    assert_eq!(
        d.location.pointer.as_deref(),
        Some("/Event/Attribute/0/value")
    );
    assert_eq!(d.location.file.as_deref(), Some("t.json"));
    assert!(d.hints.contains(&"misp-type:domain|ip".to_owned()));
    assert!(
        d.hints
            .contains(&"misp-category:Network activity".to_owned())
    );
    assert_eq!(s.attributes_by_type.get("domain|ip"), Some(&1));
    assert_eq!(s.events, 1);
}

#[test]
fn ip_port_gives_the_port() {
    let (c, _) = run(r#"{"Attribute": [
            {"type": "ip-dst|port", "value": "198.51.100.4|8443"},
            {"type": "ip-src|port", "value": "2001:db8::1|53"},
            {"type": "hostname|port", "value": "c2.example|443"},
            {"type": "ip-dst|port", "value": "198.51.100.5|http"}
        ]}"#);
    no_errors(&c);
    let o = find(&c, "198.51.100.4");
    assert_eq!(o.port, Some(8443));
    assert_eq!(o.kind, Some(IndicatorKind::Ipv4));
    let o = find(&c, "2001:db8::1");
    assert_eq!((o.port, o.kind), (Some(53), Some(IndicatorKind::Ipv6)));
    let o = find(&c, "c2.example");
    assert_eq!((o.port, o.kind), (Some(443), Some(IndicatorKind::Domain)));
    // A bad port is a warning; the IP is kept without it.
    let o = find(&c, "198.51.100.5");
    assert_eq!(o.port, None);
    assert!(c.problems.iter().any(|p| p.code == "misp.bad-port"
        && p.severity == Severity::Warning
        && p.location.pointer.as_deref() == Some("/Attribute/3/value")));
}

#[test]
fn strict_mode_drops_a_bad_port() {
    let ctx = ParseContext {
        strict: true,
        ..ParseContext::default()
    };
    let (c, _) = run_with(
        r#"{"Attribute": [{"type": "ip-dst|port", "value": "198.51.100.5|http"}]}"#,
        &ctx,
    );
    assert!(c.observations.is_empty());
    assert_eq!(c.errors().count(), 1);
    let doc = r#"{"Attribute": [
        {"type": "domain", "value": "a.example", "first_seen": "soon"},
        {"type": "domain", "value": "b.example", "deleted": "perhaps"},
        {"type": "domain", "value": "c.example"}]}"#;
    let (c, _) = run_with(doc, &ctx);
    let values: Vec<&str> = c.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, vec!["c.example"]);
    let codes: Vec<&str> = c.errors().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, vec!["misp.bad-time", "misp.bad-field"]);
    // Lenient: the same document keeps all three, with warnings.
    let (c, _) = run(doc);
    assert_eq!(c.observations.len(), 3);
    assert_eq!(
        c.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count(),
        2
    );
}

#[test]
fn event_tlp_applies_and_attribute_tlp_overrides() {
    // The event's Tag comes after its Attribute, as in MISP's sorted exports.
    let (c, _) = run(r#"{"Event": {"Attribute": [
            {"type": "domain", "value": "a.example"},
            {"type": "domain", "value": "b.example", "Tag": [{"name": "tlp:red"}]},
            {"type": "domain", "value": "c.example", "Tag": [{"name": "tlp:clear"}, {"name": "PAP:GREEN"}]}
        ], "Tag": [{"name": "tlp:amber"}, {"name": "type:OSINT"}], "info": "tags"}}"#);
    no_errors(&c);
    let a = find(&c, "a.example");
    assert_eq!(a.tlp, Some(Tlp::Amber));
    assert_eq!(a.tags, vec!["tlp:amber", "type:OSINT"]);
    let b = find(&c, "b.example");
    assert_eq!(b.tlp, Some(Tlp::Red));
    assert_eq!(b.tags, vec!["tlp:amber", "type:OSINT", "tlp:red"]);
    // Override means override, also to a less restrictive marking.
    let cc = find(&c, "c.example");
    assert_eq!(cc.tlp, Some(Tlp::Clear));
    assert!(cc.tags.contains(&"PAP:GREEN".to_owned()));
}

#[test]
fn tlp_white_and_amber_strict() {
    let (c, _) = run(r#"{"Tag": [{"name": "tlp:white"}], "Attribute": [
            {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
            {"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709", "Tag": [{"name": "tlp:amber+strict"}]}
        ]}"#);
    assert_eq!(c.observations[0].tlp, Some(Tlp::Clear));
    assert_eq!(c.observations[1].tlp, Some(Tlp::AmberStrict));
}

#[test]
fn admiralty_tags_at_event_and_attribute_level() {
    let (c, _) = run(
        r#"{"Tag": [{"name": "admiralty-scale:source-reliability=\"b\""},
                    {"name": "admiralty-scale:information-credibility=\"3\""}],
            "Attribute": [
              {"type": "url", "value": "hxxp://a.example/x"},
              {"type": "url", "value": "hxxp://b.example/y",
               "Tag": [{"name": "admiralty-scale:information-credibility=\"1\""}]}
            ]}"#,
    );
    no_errors(&c);
    let a = find(&c, "hxxp://a.example/x");
    assert_eq!(a.admiralty.reliability, Some(SourceReliability::B));
    assert_eq!(a.admiralty.credibility, Some(Credibility::PossiblyTrue));
    let b = find(&c, "hxxp://b.example/y");
    assert_eq!(b.admiralty.to_string(), "B1");
    assert_eq!(b.kind, Some(IndicatorKind::Url));
}

#[test]
fn deleted_is_withdrawn_and_to_ids_false_is_a_hint() {
    let (c, _) = run(r#"{"Attribute": [
            {"type": "ip-dst", "value": "192.0.2.1", "deleted": true, "to_ids": false},
            {"type": "ip-dst", "value": "192.0.2.2", "deleted": "1", "to_ids": "1"},
            {"type": "ip-dst", "value": "192.0.2.3", "deleted": false, "to_ids": true}
        ]}"#);
    no_errors(&c);
    let one = find(&c, "192.0.2.1");
    assert!(one.withdrawn);
    assert!(one.hints.contains(&"to_ids:false".to_owned()));
    let two = find(&c, "192.0.2.2");
    assert!(two.withdrawn);
    assert!(!two.hints.contains(&"to_ids:false".to_owned()));
    assert!(!find(&c, "192.0.2.3").withdrawn);
}

#[test]
fn unsupported_types_are_counted_not_errors() {
    let (c, s) = run(r#"{"Attribute": [
            {"type": "regkey", "value": "HKLM\\Software\\Evil"},
            {"type": "text", "value": "hello"},
            {"type": "text", "value": "again"},
            {"type": "sha256", "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
        ]}"#);
    no_errors(&c);
    assert_eq!(c.observations.len(), 1);
    assert_eq!(s.unsupported_by_type.get("text"), Some(&2));
    assert_eq!(s.unsupported_by_type.get("regkey"), Some(&1));
    assert_eq!(s.attributes, 4);
    let unsupported: Vec<_> = c
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Unsupported)
        .collect();
    assert_eq!(unsupported.len(), 3);
    assert!(
        unsupported
            .iter()
            .all(|p| p.code == "misp.unsupported-type")
    );
    assert_eq!(
        unsupported[0].location.pointer.as_deref(),
        Some("/Attribute/0/type")
    );
}

#[test]
fn numbers_as_strings_or_numbers() {
    let as_strings = r#"{"Event": {"analysis": "2", "threat_level_id": "1", "timestamp": "1503930272",
        "info": "s", "Attribute": [{"type": "AS", "value": "AS64496", "timestamp": "1503930272",
        "to_ids": "0", "deleted": "0", "first_seen": "1503930272"}]}}"#;
    let as_numbers = r#"{"Event": {"analysis": 2, "threat_level_id": 1, "timestamp": 1503930272,
        "info": "s", "Attribute": [{"type": "AS", "value": "AS64496", "timestamp": 1503930272,
        "to_ids": 0, "deleted": 0, "first_seen": 1503930272}]}}"#;
    let (a, _) = run(as_strings);
    let (b, _) = run(as_numbers);
    no_errors(&a);
    no_errors(&b);
    assert!(
        a.problems.iter().all(|p| p.severity != Severity::Warning),
        "{:?}",
        a.problems
    );
    assert_eq!(a.observations, b.observations);
    let o = &a.observations[0];
    assert_eq!(o.kind, Some(IndicatorKind::Asn));
    assert_eq!(
        o.first_seen.map(|t| t.unix_timestamp()),
        Some(1_503_930_272)
    );
    assert!(o.hints.contains(&"misp-threat-level:high".to_owned()));
    assert!(o.hints.contains(&"to_ids:false".to_owned()));
}

#[test]
fn broken_attribute_is_located_and_the_rest_goes_through() {
    let (c, s) = run(r#"{"response": [{"Event": {"info": "b", "Attribute": [
            {"type": "domain", "value": "ok-1.example"},
            {"type": "domain", "value": {"not": "a string"}},
            {"type": "domain", "value": 12},
            {"value": "no-type.example"},
            "just a string",
            {"type": "domain", "value": "ok-2.example"}
        ]}}]}"#);
    let values: Vec<&str> = c.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, vec!["ok-1.example", "ok-2.example"]);
    let errors: Vec<(&str, &str)> = c
        .errors()
        .map(|p| (p.code.as_str(), p.location.pointer.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        errors,
        vec![
            ("misp.bad-attribute", "/response/0/Event/Attribute/1/value"),
            ("misp.bad-attribute", "/response/0/Event/Attribute/2/value"),
            ("misp.bad-attribute", "/response/0/Event/Attribute/3"),
            ("misp.bad-shape", "/response/0/Event/Attribute/4"),
        ]
    );
    let msg = c.errors().next().unwrap().to_string();
    assert!(
        msg.contains("value is an object, expected a string"),
        "{msg}"
    );
    assert_eq!(s.attributes, 6);
    assert_eq!(s.errors, 4);
}

#[test]
fn objects_attributes_and_object_tags_after_attributes() {
    let (c, s) = run(r#"{"Event": {"Object": [
            {"Attribute": [
                {"type": "filename|sha256", "value": "bad.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "comment": "dropper"},
                {"type": "filename", "value": "bad.exe"}
             ],
             "Tag": [{"name": "tlp:green"}], "name": "file", "comment": "the dropper"},
            {"name": "domain-ip", "Attribute": {"type": "domain", "value": "x.example"}}
        ], "Orgc": {"name": "CIRCL"}, "date": "2015-12-18", "info": "OSINT thing",
           "Tag": [{"name": "tlp:amber"}, {"name": "misp-galaxy:malpedia=\"Emotet\""}]}}"#);
    no_errors(&c);
    assert_eq!(s.objects, 2);
    let h = find(
        &c,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert_eq!(h.kind, Some(IndicatorKind::Sha256));
    assert_eq!(h.tlp, Some(Tlp::Green));
    assert_eq!(h.malware.as_deref(), Some("Emotet"));
    assert!(h.hints.contains(&"misp-object:file".to_owned()));
    assert!(h.hints.contains(&"misp-org:CIRCL".to_owned()));
    assert_eq!(
        h.context.as_deref(),
        Some("file name: bad.exe\ndropper\nthe dropper\nevent: OSINT thing (CIRCL, 2015-12-18)")
    );
    assert_eq!(
        h.location.pointer.as_deref(),
        Some("/Event/Object/0/Attribute/0/value")
    );
    let d = find(&c, "x.example");
    assert_eq!(d.tlp, Some(Tlp::Amber));
    assert_eq!(
        d.location.pointer.as_deref(),
        Some("/Event/Object/1/Attribute/value")
    );
    assert!(d.hints.contains(&"misp-object:domain-ip".to_owned()));
}

#[test]
fn galaxies_and_sightings() {
    let (c, s) = run(
        r#"{"Event": {"info": "g", "Galaxy": [{"type": "mitre-malware", "GalaxyCluster": [
                {"type": "mitre-malware", "value": "Zebrocy - S0251",
                 "tag_name": "misp-galaxy:mitre-malware=\"Zebrocy - S0251\""}]}],
            "Attribute": [{"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
              "Sighting": [{"date_sighting": "1500000000", "type": "0"},
                           {"date_sighting": 1400000000, "type": "0"},
                           {"date_sighting": "1300000000", "type": "1"}],
              "Galaxy": [{"type": "malpedia", "GalaxyCluster": [{"type": "malpedia", "value": "Sofacy"}]}]}]}}"#,
    );
    no_errors(&c);
    assert_eq!(s.galaxies, 2);
    assert_eq!(s.galaxy_clusters, 2);
    assert_eq!(s.sightings, 3);
    let o = &c.observations[0];
    assert_eq!(o.malware.as_deref(), Some("Sofacy"));
    assert!(
        o.tags
            .contains(&"misp-galaxy:mitre-malware=\"Zebrocy - S0251\"".to_owned())
    );
    assert!(
        o.tags
            .contains(&"misp-galaxy:malpedia=\"Sofacy\"".to_owned())
    );
    assert_eq!(
        o.first_seen.map(|t| t.unix_timestamp()),
        Some(1_400_000_000)
    );
    assert_eq!(o.last_seen.map(|t| t.unix_timestamp()), Some(1_500_000_000));
}

#[test]
fn rsit_hints_and_every_shape() {
    let event = r#"{"info": "e", "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}],
        "Attribute": [{"type": "ip-dst", "value": "203.0.113.9"}]}"#;
    for doc in [
        event.to_owned(),
        format!(r#"{{"Event": {event}}}"#),
        format!("[{event}]"),
        format!(r#"[{{"Event": {event}}}]"#),
        format!(r#"{{"response": [{{"Event": {event}}}]}}"#),
        format!(r#"{{"response": {event}}}"#),
    ] {
        let (c, s) = run(&doc);
        no_errors(&c);
        assert_eq!(s.events, 1, "{doc}");
        assert_eq!(c.observations.len(), 1, "{doc}");
        assert!(
            c.observations[0]
                .hints
                .contains(&"rsit:malicious-code=\"c2-server\"".to_owned())
        );
    }
    // An attribute search.
    let (c, s) = run(
        r#"{"response": {"Attribute": [{"type": "ip-dst", "value": "203.0.113.9", "Event": {"info": "x"}}]}}"#,
    );
    no_errors(&c);
    assert_eq!((s.attributes, c.observations.len()), (1, 1));
}

#[test]
fn empty_and_non_event_documents() {
    let (c, s) = run("{}");
    no_errors(&c);
    assert_eq!(s.events, 0);
    assert!(c.problems.iter().any(|p| p.code == "misp.no-event"));
    let (c, _) = run("");
    assert_eq!(c.errors().count(), 1);
    assert_eq!(c.problems[0].code, "json.syntax");
    let (c, _) = run("42");
    assert!(c.problems.iter().any(|p| p.code == "misp.not-an-event"));
}

#[test]
fn syntax_error_keeps_what_came_before() {
    let (c, _) = run(
        r#"{"Attribute": [{"type": "domain", "value": "a.example"}, {"type": "domain", "value": "b.example"}, {"type"#,
    );
    assert_eq!(c.observations.len(), 2);
    let e: Vec<_> = c.errors().collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, "json.syntax");
    assert_eq!(e[0].location.line, Some(1));
}

#[test]
fn limits_are_located_problems() {
    let mut ctx = ParseContext::named("l.json");
    ctx.limits.max_records = 2;
    ctx.limits.max_value_bytes = 20;
    let (c, s) = run_with(
        r#"{"Attribute": [
            {"type": "domain", "value": "a.example"},
            {"type": "domain", "value": "a-very-long-name.example"},
            {"type": "domain", "value": "c.example"},
            {"type": "domain", "value": "d.example"}
        ]}"#,
        &ctx,
    );
    assert_eq!(c.observations.len(), 1);
    let e: Vec<(&str, &str)> = c
        .errors()
        .map(|p| (p.code.as_str(), p.location.pointer.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        e,
        vec![
            ("limit.value-too-long", "/Attribute/1/value"),
            ("limit.too-many-records", "/Attribute/2"),
        ]
    );
    assert_eq!(s.attributes, 2);

    let mut ctx = ParseContext::named("d.json");
    ctx.limits.max_json_depth = 5;
    let (c, _) = run_with(
        r#"{"Attribute": [{"type": "domain", "value": [[[["x"]]]]}]}"#,
        &ctx,
    );
    assert!(c.observations.is_empty());
    let p = c.errors().next().unwrap();
    assert_eq!(p.code, "limit.too-deep");
    assert_eq!(p.location.offset, Some(45));

    let mut ctx = ParseContext::named("s.json");
    ctx.limits.max_submission_bytes = 10;
    let (c, _) = run_with(r#"{"Attribute": []}"#, &ctx);
    assert_eq!(c.errors().next().unwrap().code, "limit.too-large");
}

#[test]
fn deep_nesting_within_serde_limit_does_not_crash() {
    let mut ctx = ParseContext::default();
    ctx.limits.max_json_depth = 100_000;
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let (c, _) = run_with(&deep, &ctx);
    assert_eq!(c.errors().count(), 1);
}

#[test]
fn deeply_wrapped_events_do_not_overflow_the_stack() {
    let mut ctx = ParseContext::default();
    ctx.limits.max_json_depth = 10_000;
    for depth in [100usize, 126, 127, 128, 200, 5_000] {
        let inner =
            r#"{"info": "deep", "Attribute": [{"type": "domain", "value": "deep.example"}]}"#;
        let doc = format!(
            "{}{inner}{}",
            r#"{"Event": "#.repeat(depth),
            "}".repeat(depth)
        );
        let ctx = ctx.clone();
        // Run on a thread with a small stack, like a worker pool might.
        let result = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let (c, s) = run_with(&doc, &ctx);
                (c.observations.len(), c.errors().count(), s.events)
            })
            .unwrap()
            .join()
            .unwrap();
        // Either read, or one error (serde_json's own recursion limit).
        assert!(
            result == (1, 0, 1) || (result.0 == 0 && result.1 == 1),
            "{depth}: {result:?}"
        );
    }
}

#[test]
fn wrong_shapes_of_lists_and_tags() {
    let (c, _) = run(r##"{"Tag": "tlp:red", "Attribute": [
            {"type": "domain", "value": "a.example", "Tag": [{"name": 5}, "tlp:green", {"colour": "#fff"}]},
            {"type": "domain", "value": "b.example", "Sighting": 3, "first_seen": "yesterday"}
        ], "Object": 7}"##);
    let a = find(&c, "a.example");
    assert_eq!(a.tlp, Some(Tlp::Green));
    let b = find(&c, "b.example");
    assert_eq!(b.first_seen, None);
    let codes: Vec<(&str, &str)> = c
        .problems
        .iter()
        .map(|p| (p.code.as_str(), p.location.pointer.as_deref().unwrap_or("")))
        .collect();
    assert!(codes.contains(&("misp.bad-tag", "/Tag")), "{codes:?}");
    assert!(
        codes.contains(&("misp.bad-tag", "/Attribute/0/Tag/0/name")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("misp.bad-tag", "/Attribute/0/Tag/2")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("misp.bad-shape", "/Attribute/1/Sighting")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("misp.bad-time", "/Attribute/1/first_seen")),
        "{codes:?}"
    );
    assert!(codes.contains(&("misp.bad-shape", "/Object")), "{codes:?}");
}

/// A sink that only counts, to read a large event without keeping it.
#[derive(Default)]
struct Count {
    observations: u64,
    errors: u64,
    last: Option<Observation>,
}

impl pelita_model::Sink for Count {
    fn observation(&mut self, o: Observation) {
        self.observations += 1;
        self.last = Some(o);
    }
    fn problem(&mut self, p: pelita_model::Problem) {
        if p.severity == Severity::Error {
            self.errors += 1;
        }
    }
}

#[test]
fn large_event_streams_with_late_event_tags() {
    const N: usize = 100_000;
    let mut doc = String::from(r#"{"Event": {"Attribute": ["#);
    for i in 0..N {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!(
            r#"{{"type": "ip-dst", "category": "Network activity", "to_ids": true, "uuid": "{i}", "value": "10.{}.{}.{}", "timestamp": "1503930272"}}"#,
            i >> 16,
            (i >> 8) & 255,
            i & 255
        ));
    }
    doc.push_str(r#"], "Tag": [{"name": "tlp:amber"}], "info": "big"}}"#);
    let mut sink = Count::default();
    let s = parse(doc.as_bytes(), &ParseContext::default(), &mut sink);
    assert_eq!(sink.errors, 0);
    assert_eq!(sink.observations, N as u64);
    assert_eq!(s.attributes_by_type.get("ip-dst"), Some(&(N as u64)));
    let last = sink.last.unwrap();
    assert_eq!(last.tlp, Some(Tlp::Amber));
    assert_eq!(last.value, "10.1.134.159");
}

/// A `domain-ip` object (MISP's successor to the `domain|ip` attribute)
/// relates each of its names to each of its live addresses; an object of
/// another template relates nothing, and the observations come out in the
/// same order either way.
#[test]
fn a_domain_ip_object_relates_its_names_to_its_addresses() {
    let doc = r#"{"Event": {"info": "objects", "Object": [
        {"name": "domain-ip", "Attribute": [
            {"type": "domain", "object_relation": "domain", "value": "c2.example"},
            {"type": "hostname", "object_relation": "hostname", "value": "www.c2.example"},
            {"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.7"},
            {"type": "ip-dst", "object_relation": "ip", "value": "2001:db8::7"},
            {"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.8", "deleted": true}
        ]},
        {"name": "url", "Attribute": [
            {"type": "domain", "object_relation": "domain", "value": "other.example"},
            {"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.9"}
        ]}
    ]}}"#;
    let (c, s) = run(doc);
    no_errors(&c);
    assert_eq!(s.observations, 7);
    let values: Vec<&str> = c.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(
        values,
        vec![
            "c2.example",
            "www.c2.example",
            "198.51.100.7",
            "2001:db8::7",
            "198.51.100.8",
            "other.example",
            "198.51.100.9"
        ]
    );
    for name in ["c2.example", "www.c2.example"] {
        let related: Vec<(Relation, Option<IndicatorKind>, &str)> = find(&c, name)
            .related
            .iter()
            .map(|r| (r.relation, r.kind, r.value.as_str()))
            .collect();
        assert_eq!(
            related,
            vec![
                (
                    Relation::ResolvesTo,
                    Some(IndicatorKind::Ipv4),
                    "198.51.100.7"
                ),
                (
                    Relation::ResolvesTo,
                    Some(IndicatorKind::Ipv6),
                    "2001:db8::7"
                ),
            ],
            "{name}"
        );
    }
    assert!(find(&c, "198.51.100.7").related.is_empty());
    assert!(find(&c, "other.example").related.is_empty());
}

/// A document cut short inside a `domain-ip` object: every observation
/// read comes out, with the cut as the error. (The first pass never saw
/// the object end, so its template is not known and nothing is related.)
#[test]
fn a_domain_ip_object_cut_short_loses_nothing_held() {
    let (c, s) = run(
        r#"{"Event": {"Object": [{"name": "domain-ip", "Attribute": [
        {"type": "domain", "value": "c2.example"},
        {"type": "ip-dst", "value": "198.51.100.7"},
        {"type": "ip-dst", "value": "198.51.1"#,
    );
    assert!(c.errors().count() >= 1, "{:#?}", c.problems);
    let values: Vec<&str> = c.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, vec!["c2.example", "198.51.100.7"], "{s:?}");
}
