//! Behaviour of `parse` on small hand-written inputs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is the failure"
)]

use pelita_model::{Collect, IndicatorKind, Limits, ParseContext, Severity, Tlp};
use pelita_stix::{StixObject, Summary, parse, parse_pattern, parse_reopen, parse_with};
use proptest::prelude::*;

fn lenient() -> ParseContext {
    ParseContext::named("t.json")
}

fn strict() -> ParseContext {
    ParseContext {
        strict: true,
        ..lenient()
    }
}

fn run(ctx: &ParseContext, text: &str) -> (Collect, Summary) {
    let mut c = Collect::default();
    let s = parse(text.as_bytes(), ctx, &mut c);
    (c, s)
}

/// A STIX object of `type` with id `type--{uuid}` and the extra properties `extra`.
fn sdo(object_type: &str, uuid: &str, extra: &str) -> String {
    format!(
        r#"{{"type":"{object_type}","spec_version":"2.1","id":"{object_type}--{uuid}","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"{extra}}}"#
    )
}

fn indicator(id: &str, pattern: &str, extra: &str) -> String {
    sdo(
        "indicator",
        id,
        &format!(
            r#","pattern":{},"pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"{extra}"#,
            serde_json::to_string(pattern).unwrap()
        ),
    )
}

const ID1: &str = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const ID2: &str = "aaaaaaaa-17d4-4cbf-938f-98ee46b3cd3f";

fn bundle(objects: &[String]) -> String {
    format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{}]}}"#,
        objects.join(",\n")
    )
}

#[test]
fn two_observations_from_an_or_pattern_with_context() {
    let ind = indicator(
        ID1,
        "[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'x.example']",
        r#","name":"C2","indicator_types":["malicious-activity"],"labels":["apt"],"revoked":true,"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]"#,
    );
    let (c, s) = run(&strict(), &bundle(&[ind]));
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.observations.len(), 2);
    let o = &c.observations[0];
    assert_eq!(
        (o.kind, o.value.as_str()),
        (Some(IndicatorKind::Ipv4), "198.51.100.1")
    );
    assert_eq!(c.observations[1].kind, Some(IndicatorKind::Domain));
    assert_eq!(o.tlp, Some(Tlp::Amber));
    assert!(o.withdrawn);
    assert_eq!(o.tags, vec!["apt"]);
    assert_eq!(o.hints, vec!["stix-indicator-type:malicious-activity"]);
    assert_eq!(o.context.as_deref(), Some("C2"));
    assert_eq!(o.source_id.as_deref(), Some(&*format!("indicator--{ID1}")));
    assert!(o.first_seen.is_some());
    assert_eq!(o.location.pointer.as_deref(), Some("/objects/0/pattern"));
    assert_eq!(o.location.offset, Some(80)); // the first byte of the object
    assert_eq!((s.patterns_parsed, s.patterns_reduced), (1, 1));
}

#[test]
fn hashes_unsupported_and_defanged() {
    let a = indicator(
        ID1,
        "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "",
    );
    let b = indicator(ID2, "[process:name = 'x']", "");
    let c3 = indicator(
        "bbbbbbbb-17d4-4cbf-938f-98ee46b3cd3f",
        "[url:value = 'hxxp://172.233.228[.]93/']",
        "",
    );
    let (c, s) = run(&strict(), &bundle(&[a, b, c3]));
    assert_eq!(c.errors().count(), 0, "{:?}", c.problems);
    assert_eq!(c.observations.len(), 2);
    assert_eq!(c.observations[0].kind, Some(IndicatorKind::Sha256));
    assert_eq!(c.observations[1].value, "hxxp://172.233.228[.]93/");
    let u: Vec<_> = c
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Unsupported)
        .collect();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].code, "stix.pattern-unsupported");
    assert_eq!(u[0].location.pointer.as_deref(), Some("/objects/1/pattern"));
    assert_eq!(s.patterns_unsupported, 1);
}

#[test]
fn strict_drops_and_lenient_warns_with_located_messages() {
    let bad = format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{ID1}","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern":"[url:value = 'http://a.example/']","pattern_type":"stix"}}"#
    );
    let input = bundle(&[indicator(ID2, "[url:value = 'http://b.example/']", ""), bad]);
    let (c, s) = run(&strict(), &input);
    let e: Vec<_> = c.errors().collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, "stix.missing-property");
    assert_eq!(
        e[0].message,
        format!("indicator--{ID1}: required property \"valid_from\" is missing")
    );
    assert_eq!(
        e[0].location.pointer.as_deref(),
        Some("/objects/1/valid_from")
    );
    assert_eq!(e[0].location.line, Some(2));
    assert_eq!(c.observations.len(), 1);
    assert_eq!(s.dropped, 1);

    let (c, s) = run(&lenient(), &input);
    assert_eq!(c.errors().count(), 0);
    assert_eq!(
        c.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count(),
        1
    );
    assert_eq!(c.observations.len(), 2);
    assert_eq!(s.dropped, 0);
}

#[test]
fn stix_2_0_bundle_is_upgraded() {
    let input = r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.0","objects":[
      {"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","labels":["malicious-activity"],"pattern":"[domain-name:value = 'evil.example']","valid_from":"2017-01-01T00:00:00Z"},
      {"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","first_observed":"2017-01-01T00:00:00Z","last_observed":"2017-01-02T00:00:00Z","number_observed":1,
       "objects":{"0":{"type":"domain-name","value":"a.example","resolves_to_refs":["1"]},"1":{"type":"ipv4-addr","value":"203.0.113.9"},"2":{"type":"file","hashes":{"MD5":"79054025255fb1a26e4bc422aef54eb4"}}}}]}"#;
    let mut seen = Vec::new();
    let mut c = Collect::default();
    let s = parse_with(
        input.as_bytes(),
        &strict(),
        &mut c,
        &mut |o: &StixObject| {
            seen.push((o.version, o.common.object_type.clone()));
        },
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(s.upgraded, 2);
    assert_eq!(seen[0].0, pelita_stix::SpecVersion::V2_0);
    let o = &c.observations[0];
    assert_eq!(o.value, "evil.example");
    assert_eq!(o.hints, vec!["stix-indicator-type:malicious-activity"]);
    let values: Vec<_> = c.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(
        values,
        [
            "evil.example",
            "a.example",
            "203.0.113.9",
            "79054025255fb1a26e4bc422aef54eb4"
        ]
    );
    assert_eq!(c.observations[1].related[0].value, "203.0.113.9");
    assert!(c.observations[1].last_seen.is_some());
    assert_eq!(
        c.observations[3].location.pointer.as_deref(),
        Some("/objects/1/objects/2/hashes/MD5")
    );
}

#[test]
fn custom_objects_are_kept_and_counted() {
    let custom = r#"{"type":"x-acme-widget","spec_version":"2.1","id":"x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","x_acme_colour":"blue"}"#;
    let input = format!("[{custom}]");
    let mut kept = Vec::new();
    let mut c = Collect::default();
    let s = parse_with(
        input.as_bytes(),
        &strict(),
        &mut c,
        &mut |o: &StixObject| kept.push(o.raw.clone()),
    );
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(s.custom_objects, 1);
    assert_eq!(s.by_type.get("x-acme-widget"), Some(&1));
    assert_eq!(kept[0]["x_acme_colour"], "blue");
}

#[test]
fn single_objects_lists_and_json_lines() {
    let a = indicator(ID1, "[ipv4-addr:value = '198.51.100.1']", "");
    let b = indicator(ID2, "[ipv4-addr:value = '198.51.100.2']", "");
    let (c, _) = run(&strict(), &a);
    assert_eq!(c.observations.len(), 1);
    assert_eq!(
        c.observations[0].location.pointer.as_deref(),
        Some("/pattern")
    );
    let (c, _) = run(&strict(), &format!("[{a},{b}]"));
    assert_eq!(
        c.observations[1].location.pointer.as_deref(),
        Some("/1/pattern")
    );
    let (c, s) = run(&strict(), &format!("\u{feff}{a}\n{b}\n"));
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!((c.observations.len(), s.objects), (2, 2));
}

#[test]
fn broken_json_and_limits_are_located_errors() {
    let (c, s) = run(&lenient(), "{\"type\":\"bundle\",\"objects\":[{\"type\":");
    let e: Vec<_> = c.errors().collect();
    assert_eq!(e[0].code, "json.syntax");
    assert!(e[0].location.line.is_some());
    assert_eq!(e[0].location.pointer.as_deref(), Some("/objects/0"));
    assert!(s.stopped_early);

    let (c, _) = run(&lenient(), "");
    assert_eq!(c.errors().next().unwrap().code, "json.syntax");
    let (c, _) = run(&lenient(), "\"hello\"");
    assert_eq!(c.errors().next().unwrap().code, "stix.not-stix");

    let objs: Vec<String> = (0..5)
        .map(|i| {
            indicator(
                &format!("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3{i}"),
                "[url:value = 'http://a/']",
                "",
            )
        })
        .collect();
    let ctx = ParseContext {
        limits: Limits {
            max_records: 3,
            ..Limits::default()
        },
        ..lenient()
    };
    let (c, s) = run(&ctx, &bundle(&objs));
    assert_eq!(s.objects, 3);
    let limit = c.errors().next().unwrap();
    assert_eq!(limit.code, "limit.too-many-records");
    // Placed at the first object not read (one object per line).
    assert_eq!(limit.location.line, Some(4));
    assert_eq!(limit.location.pointer.as_deref(), Some("/objects/3"));

    let deep = format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{{"type":"x-deep","x_deep":{}1{}}}]}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    let ctx = ParseContext {
        limits: Limits {
            max_json_depth: 20,
            ..Limits::default()
        },
        ..lenient()
    };
    let (c, _) = run(&ctx, &deep);
    let e = c.errors().next().unwrap();
    assert_eq!(
        (e.code.as_str(), e.location.pointer.as_deref()),
        ("limit.too-deep", Some("/objects/0"))
    );

    let ctx = ParseContext {
        limits: Limits {
            max_value_bytes: 10,
            ..Limits::default()
        },
        ..lenient()
    };
    let (c, _) = run(
        &ctx,
        &bundle(&[indicator(ID1, "[url:value = 'http://a.example/long']", "")]),
    );
    assert_eq!(c.errors().next().unwrap().code, "limit.value-too-long");

    let ctx = ParseContext {
        limits: Limits {
            max_submission_bytes: 100,
            ..Limits::default()
        },
        ..lenient()
    };
    let (c, _) = run(&ctx, &bundle(&objs));
    assert_eq!(c.errors().next().unwrap().code, "limit.too-large");
}

#[test]
fn other_pattern_types_are_unsupported() {
    let ind = indicator(ID1, "title: x\ndetection: y", "")
        .replace("\"pattern_type\":\"stix\"", "\"pattern_type\":\"sigma\"");
    let (c, s) = run(&strict(), &bundle(&[ind]));
    assert_eq!(c.errors().count(), 0);
    assert_eq!(c.problems[0].severity, Severity::Unsupported);
    assert_eq!(c.problems[0].code, "stix.pattern-type-unsupported");
    assert_eq!(s.patterns_unsupported, 1);
}

#[test]
fn malware_named_by_an_earlier_indicates_relationship() {
    let mal = r#"{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Poison Ivy","is_family":true,"malware_types":["remote-access-trojan"]}"#;
    let rel = format!(
        r#"{{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--{ID1}","target_ref":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}}"#
    );
    let ind = indicator(ID1, "[ipv4-addr:value = '198.51.100.1']", "");
    let (c, _) = run(&strict(), &bundle(&[mal.to_owned(), rel, ind]));
    assert_eq!(c.observations[0].malware.as_deref(), Some("Poison Ivy"));
    assert!(
        c.observations[0]
            .hints
            .contains(&"stix-malware-type:remote-access-trojan".to_owned())
    );
}

/// An `indicates` relationship from indicator `ID1` to `target`.
fn indicates(uuid: &str, target: &str, extra: &str) -> String {
    sdo(
        "relationship",
        uuid,
        &format!(
            r#","relationship_type":"indicates","source_ref":"indicator--{ID1}","target_ref":"{target}"{extra}"#
        ),
    )
}

/// Relationships listed after the indicator they concern (the usual order
/// of a bundle): one pass cannot use them, two passes do, and the second
/// pass reports exactly what one pass reports.
#[test]
fn indicates_relationships_after_the_indicator_apply_when_read_twice() {
    const MAL: &str = "0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061";
    const MAL2: &str = "1c7b5b88-8ff7-4a4d-aa9d-feb398cd0061";
    const CAMPAIGN: &str = "2c7b5b88-8ff7-4a4d-aa9d-feb398cd0061";
    const ACTOR: &str = "3c7b5b88-8ff7-4a4d-aa9d-feb398cd0061";
    let text = bundle(&[
        indicator(ID1, "[ipv4-addr:value = '198.51.100.1']", ""),
        indicator(ID2, "[ipv4-addr:value = '198.51.100.2']", ""),
        // Withdrawn: not used, though listed first.
        indicates(
            "a4298a74-ba52-4f0c-87a3-1824e67d7fad",
            &format!("malware--{MAL2}"),
            r#","revoked":true"#,
        ),
        indicates(
            "b4298a74-ba52-4f0c-87a3-1824e67d7fad",
            &format!("malware--{MAL}"),
            "",
        ),
        indicates(
            "c4298a74-ba52-4f0c-87a3-1824e67d7fad",
            &format!("campaign--{CAMPAIGN}"),
            "",
        ),
        indicates(
            "d4298a74-ba52-4f0c-87a3-1824e67d7fad",
            &format!("threat-actor--{ACTOR}"),
            "",
        ),
        sdo(
            "malware",
            MAL,
            r#","name":"Poison Ivy","is_family":true,"malware_types":["remote-access-trojan"]"#,
        ),
        sdo(
            "malware",
            MAL2,
            r#","name":"Withdrawn Family","is_family":true"#,
        ),
        sdo("campaign", CAMPAIGN, r#","name":"Harbour Light""#),
        sdo(
            "threat-actor",
            ACTOR,
            r#","name":"Example Group","threat_actor_types":["crime-syndicate"]"#,
        ),
    ]);
    for ctx in [lenient(), strict()] {
        let (once, once_summary) = run(&ctx, &text);
        let mut twice = Collect::default();
        let twice_summary = parse_reopen(|| Ok(text.as_bytes()), &ctx, &mut twice);
        assert_eq!(once.observations[0].malware, None);
        let first = &twice.observations[0];
        assert_eq!(first.malware.as_deref(), Some("Poison Ivy"));
        for hint in [
            "stix-malware-type:remote-access-trojan",
            "stix-campaign:Harbour Light",
            "stix-threat-actor:Example Group",
        ] {
            assert!(first.hints.contains(&hint.to_owned()), "{:?}", first.hints);
        }
        assert!(
            !first.hints.iter().any(|h| h.contains("Withdrawn")),
            "{:?}",
            first.hints
        );
        // The other indicator is named by no relationship.
        assert_eq!(twice.observations[1].malware, None);
        assert_eq!(twice.observations[1].hints, once.observations[1].hints);
        assert_eq!(twice.problems, once.problems);
        assert_eq!(twice_summary, once_summary);
    }
    // A source that cannot be opened is a located error.
    let mut c = Collect::default();
    let s = parse_reopen(
        || Err::<&[u8], _>(std::io::Error::other("gone")),
        &lenient(),
        &mut c,
    );
    assert_eq!(c.errors().count(), 1);
    assert_eq!(c.problems[0].code, "stix.io");
    assert!(s.stopped_early);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut c = Collect::default();
        let _ = parse(&bytes[..], &lenient(), &mut c);
        let _ = parse(&bytes[..], &strict(), &mut c);
    }

    #[test]
    fn parse_never_panics_on_stix_like_text(s in r#"[\[\]{}",:a-z0-9 \-'=]{0,300}"#) {
        let text = format!("{{\"type\":\"bundle\",\"objects\":[{{\"type\":\"indicator\",\"pattern\":\"{s}\"}},{s}]}}");
        let mut c = Collect::default();
        let _ = parse(text.as_bytes(), &lenient(), &mut c);
    }

    #[test]
    fn parse_pattern_never_panics(s in "\\PC{0,200}") {
        let _ = parse_pattern(&s);
    }

    #[test]
    fn parse_pattern_never_panics_on_pattern_like_text(
        s in r#"[\[\]()':a-z_\-.*0-9 =!<>]{0,40}( (AND|OR|FOLLOWEDBY|WITHIN|REPEATS|START|STOP|NOT|IN|LIKE|MATCHES|t'|h'|b') [\[\]()':a-z_\-.*0-9 =!<>]{0,40}){0,6}"#
    ) {
        let _ = parse_pattern(&s);
    }
}

#[test]
fn a_broken_object_in_a_bundle_is_its_own_error_and_the_rest_goes_through() {
    let good = indicator(ID1, "[ipv4-addr:value = '198.51.100.1']", "");
    let after = indicator(ID2, "[ipv4-addr:value = '198.51.100.2']", "");
    // A missing comma between two properties, on the second line of the bundle.
    let broken = r#"{"type":"indicator" "id":"indicator--x"}"#.to_owned();
    let (c, s) = run(&lenient(), &bundle(&[good, broken, after]));
    let errors: Vec<_> = c.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "json.syntax");
    assert_eq!(errors[0].location.pointer.as_deref(), Some("/objects/1"));
    assert_eq!(errors[0].location.line, Some(2));
    // The column is that of the missing comma in the input, not in the object.
    assert_eq!(errors[0].location.column, Some(21));
    assert!(!s.stopped_early);
    assert_eq!((s.objects, s.dropped, c.observations.len()), (3, 1, 2));
}

/// An object's `confidence` becomes its observations' Admiralty
/// credibility, by the specification's mapping; left out, none.
#[test]
fn confidence_becomes_credibility() {
    use pelita_model::Credibility;
    let text = bundle(&[
        indicator(
            ID1,
            "[ipv4-addr:value = '198.51.100.1']",
            r#","confidence":85"#,
        ),
        indicator(
            ID2,
            "[ipv4-addr:value = '198.51.100.2']",
            r#","confidence":15"#,
        ),
        indicator(
            "bbbbbbbb-17d4-4cbf-938f-98ee46b3cd3f",
            "[ipv4-addr:value = '198.51.100.3']",
            "",
        ),
    ]);
    let (c, _) = run(&strict(), &text);
    assert_eq!(c.errors().count(), 0, "{:#?}", c.problems);
    let grades: Vec<Option<Credibility>> = c
        .observations
        .iter()
        .map(|o| o.admiralty.credibility)
        .collect();
    assert_eq!(
        grades,
        vec![
            Some(Credibility::Confirmed),
            Some(Credibility::Improbable),
            None
        ]
    );
    assert!(
        c.observations
            .iter()
            .all(|o| o.admiralty.reliability.is_none())
    );
}
