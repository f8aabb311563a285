//! `resolves-to` statements (relationship objects and `resolves_to_refs`)
//! become related values, whichever order the statement and its ends come in.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is the failure"
)]

use std::collections::BTreeSet;

use pelita_model::{Collect, Observation, ParseContext, Relation, Severity, Tlp};
use pelita_stix::{Summary, parse};
use pelita_test_support::samples;

const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";

const DOMAIN: &str = "domain-name--11111111-1111-4111-8111-111111111111";
const IP: &str = "ipv4-addr--22222222-2222-4222-8222-222222222222";
const REL: &str = "relationship--33333333-3333-4333-8333-333333333333";
const IND_D: &str = "indicator--44444444-4444-4444-8444-444444444444";
const IND_IP: &str = "indicator--55555555-5555-4555-8555-555555555555";

fn run(objects: &[String]) -> (Collect, Summary) {
    let text = format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{}]}}"#,
        objects.join(",\n")
    );
    let mut c = Collect::default();
    let s = parse(text.as_bytes(), &ParseContext::named("t.json"), &mut c);
    (c, s)
}

fn markings(m: Option<&str>) -> String {
    m.map_or_else(String::new, |m| {
        format!(r#","object_marking_refs":["{m}"]"#)
    })
}

fn domain(refs: &[&str], m: Option<&str>) -> String {
    let refs = if refs.is_empty() {
        String::new()
    } else {
        format!(
            r#","resolves_to_refs":{}"#,
            serde_json::to_string(refs).unwrap()
        )
    };
    format!(
        r#"{{"type":"domain-name","spec_version":"2.1","id":"{DOMAIN}","value":"c2.example.org"{refs}{}}}"#,
        markings(m)
    )
}

fn ip(m: Option<&str>) -> String {
    format!(
        r#"{{"type":"ipv4-addr","spec_version":"2.1","id":"{IP}","value":"198.51.100.7"{}}}"#,
        markings(m)
    )
}

fn relationship(id: &str, source: &str, target: &str, extra: &str) -> String {
    format!(
        r#"{{"type":"relationship","spec_version":"2.1","id":"{id}","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"resolves-to","source_ref":"{source}","target_ref":"{target}"{extra}}}"#
    )
}

fn indicator(id: &str, pattern: &str) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"{id}","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":{},"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}}"#,
        serde_json::to_string(pattern).unwrap()
    )
}

/// What the store keeps of a submission's observations: the sightings (value,
/// place, marking: the first at a place wins, as in the store) and the
/// relationships (source, target, marking).
type Kept = (
    BTreeSet<(String, String, Option<Tlp>)>,
    BTreeSet<(String, String, Option<Tlp>)>,
);

fn kept(obs: &[Observation]) -> Kept {
    let mut places = BTreeSet::new();
    let mut sightings = BTreeSet::new();
    let mut relations = BTreeSet::new();
    for o in obs {
        let place = (
            o.value.clone(),
            o.location.pointer.clone().unwrap_or_default(),
        );
        if places.insert(place.clone()) {
            sightings.insert((place.0, place.1, o.tlp));
        }
        for r in &o.related {
            assert_eq!(r.relation, Relation::ResolvesTo);
            relations.insert((o.value.clone(), r.value.clone(), o.tlp));
        }
    }
    (sightings, relations)
}

/// Every order of `objects` (pointers renumbered to the first order's).
fn every_order(objects: &[String]) -> Vec<Kept> {
    fn permutations(v: &[usize]) -> Vec<Vec<usize>> {
        if v.len() <= 1 {
            return vec![v.to_vec()];
        }
        let mut out = Vec::new();
        for (i, x) in v.iter().enumerate() {
            let mut rest = v.to_vec();
            rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, *x);
                out.push(p);
            }
        }
        out
    }
    let idx: Vec<usize> = (0..objects.len()).collect();
    permutations(&idx)
        .into_iter()
        .map(|order| {
            let objs: Vec<String> = order.iter().map(|&i| objects[i].clone()).collect();
            let (c, s) = run(&objs);
            assert!(
                c.problems.iter().all(|p| p.severity != Severity::Error),
                "{order:?}: {:?}",
                c.problems
            );
            assert_eq!(s.resolves_to, 1, "{order:?}");
            assert_eq!(s.resolves_to_unused, 0, "{order:?}");
            // Back to the pointers of the first order.
            let mut obs = c.observations;
            for o in &mut obs {
                let p = o.location.pointer.clone().unwrap_or_default();
                let rest = p.strip_prefix("/objects/").unwrap();
                let (n, tail) = rest
                    .split_once('/')
                    .map_or((rest, String::new()), |(n, t)| (n, format!("/{t}")));
                let n: usize = n.parse().unwrap();
                o.location.pointer = Some(format!("/objects/{}{tail}", order[n]));
            }
            kept(&obs)
        })
        .collect()
}

fn set(items: &[(&str, &str, Option<Tlp>)]) -> BTreeSet<(String, String, Option<Tlp>)> {
    items
        .iter()
        .map(|(a, b, t)| ((*a).to_owned(), (*b).to_owned(), *t))
        .collect()
}

#[test]
fn a_relationship_before_or_after_its_ends_relates_the_domain_to_the_address() {
    let objects = [
        domain(&[], None),
        ip(None),
        relationship(REL, DOMAIN, IP, ""),
    ];
    let (c, _) = run(&objects);
    // The domain's own observation, stated again with the related address:
    // the same place and marking, so the store keeps one sighting.
    let with = c
        .observations
        .iter()
        .find(|o| !o.related.is_empty())
        .expect("a related value");
    assert_eq!(with.value, "c2.example.org");
    assert_eq!(with.location.pointer.as_deref(), Some("/objects/0/value"));
    assert_eq!(with.related[0].value, "198.51.100.7");
    let expected = (
        set(&[
            ("c2.example.org", "/objects/0/value", None),
            ("198.51.100.7", "/objects/1/value", None),
        ]),
        set(&[("c2.example.org", "198.51.100.7", None)]),
    );
    for k in every_order(&objects) {
        assert_eq!(k, expected);
    }
}

#[test]
fn resolves_to_refs_before_or_after_the_address() {
    let objects = [domain(&[IP], Some(GREEN)), ip(Some(GREEN))];
    let expected = (
        set(&[
            ("c2.example.org", "/objects/0/value", Some(Tlp::Green)),
            ("198.51.100.7", "/objects/1/value", Some(Tlp::Green)),
        ]),
        set(&[("c2.example.org", "198.51.100.7", Some(Tlp::Green))]),
    );
    for k in every_order(&objects) {
        assert_eq!(k, expected);
    }
    // The address first: one observation of the domain, carrying the relation.
    let (c, _) = run(&[ip(Some(GREEN)), domain(&[IP], Some(GREEN))]);
    assert_eq!(c.observations.len(), 2);
    assert_eq!(c.observations[1].related[0].value, "198.51.100.7");
}

#[test]
fn indicators_whose_patterns_name_a_domain_and_an_address() {
    let objects = [
        indicator(IND_D, "[domain-name:value = 'c2[.]example.org']"),
        relationship(REL, IND_D, IND_IP, ""),
        indicator(IND_IP, "[ipv4-addr:value = '198.51.100.7']"),
    ];
    let expected = (
        set(&[
            ("c2[.]example.org", "/objects/0/pattern", None),
            ("198.51.100.7", "/objects/2/pattern", None),
        ]),
        set(&[("c2[.]example.org", "198.51.100.7", None)]),
    );
    for k in every_order(&objects) {
        assert_eq!(k, expected);
    }
}

#[test]
fn a_more_restrictive_statement_is_its_own_sighting_under_its_marking() {
    // A RED relationship between GREEN observables: a GREEN reader must not
    // learn it, and the domain's GREEN sighting stays GREEN.
    let red = format!(r#","object_marking_refs":["{RED}"]"#);
    let objects = [
        domain(&[], Some(GREEN)),
        ip(Some(GREEN)),
        relationship(REL, DOMAIN, IP, &red),
    ];
    let expected = (
        set(&[
            ("c2.example.org", "/objects/0/value", Some(Tlp::Green)),
            ("198.51.100.7", "/objects/1/value", Some(Tlp::Green)),
            ("c2.example.org", "/objects/2", Some(Tlp::Red)),
        ]),
        set(&[("c2.example.org", "198.51.100.7", Some(Tlp::Red))]),
    );
    for k in every_order(&objects) {
        assert_eq!(k, expected);
    }
    let (c, _) = run(&objects);
    let stated = c
        .observations
        .iter()
        .find(|o| o.tlp == Some(Tlp::Red))
        .unwrap();
    assert_eq!(stated.source_id.as_deref(), Some(REL));
    // A RED address behind a GREEN domain's resolves_to_refs.
    let (c, _) = run(&[domain(&[IP], Some(GREEN)), ip(Some(RED))]);
    let (sightings, relations) = kept(&c.observations);
    assert!(sightings.contains(&(
        "c2.example.org".into(),
        "/objects/0/resolves_to_refs/0".into(),
        Some(Tlp::Red)
    )));
    assert_eq!(
        relations,
        set(&[("c2.example.org", "198.51.100.7", Some(Tlp::Red))])
    );
    // Marked and unmarked parts: the default marking is not known here, so RED.
    let (c, _) = run(&[
        domain(&[], None),
        ip(None),
        relationship(
            REL,
            DOMAIN,
            IP,
            &format!(r#","object_marking_refs":["{GREEN}"]"#),
        ),
    ]);
    let (_, relations) = kept(&c.observations);
    assert_eq!(
        relations,
        set(&[("c2.example.org", "198.51.100.7", Some(Tlp::Red))])
    );
}

#[test]
fn withdrawn_and_dangling_statements_are_not_used() {
    let (c, s) = run(&[
        domain(&[], None),
        ip(None),
        relationship(REL, DOMAIN, IP, r#","revoked":true"#),
    ]);
    assert!(c.observations.iter().all(|o| o.related.is_empty()));
    assert_eq!((s.resolves_to, s.resolves_to_unused), (0, 0));

    // An end that is not in the submission, and one that names no domain.
    let other = "relationship--66666666-6666-4666-8666-666666666666";
    let (c, s) = run(&[
        domain(&[], None),
        relationship(
            REL,
            DOMAIN,
            "ipv4-addr--77777777-7777-4777-8777-777777777777",
            "",
        ),
        ip(None),
        relationship(other, IP, DOMAIN, ""),
    ]);
    assert!(c.observations.iter().all(|o| o.related.is_empty()));
    assert_eq!((s.resolves_to, s.resolves_to_unused), (0, 2));
    let unused: Vec<_> = c
        .problems
        .iter()
        .filter(|p| p.code == "stix.resolves-to-unused")
        .collect();
    assert_eq!(unused.len(), 1, "{:?}", c.problems);
    assert_eq!(unused[0].severity, Severity::Unsupported);
    assert!(unused[0].message.starts_with("2 "), "{}", unused[0].message);
}

#[test]
fn samples_with_forward_resolves_to_refs() {
    for (file, domain, address) in [
        (
            "oasis-python-stix2/bundles/sco-examples-bundle.json",
            "example.com",
            "198.51.100.3",
        ),
        (
            "misp-stix/conversion-pairs/test_event2_stix21.json",
            "circl.lu",
            "149.13.33.14",
        ),
    ] {
        let Some(path) = samples(file) else { return };
        let bytes = std::fs::read(&path).unwrap();
        let mut c = Collect::default();
        let s = parse(&bytes[..], &ParseContext::named(file), &mut c);
        assert!(s.resolves_to >= 1, "{file}: {s:?}");
        assert!(
            c.observations.iter().any(|o| o.value == domain
                && o.related
                    .iter()
                    .any(|r| r.value == address && r.relation == Relation::ResolvesTo)),
            "{file}: {domain} does not resolve to {address}"
        );
    }
}

/// MISP exports a `domain|ip` attribute as one pattern naming both: the
/// domain's observation carries the address.
#[test]
fn a_pattern_naming_a_domain_and_what_it_resolves_to() {
    let (c, s) = run(&[indicator(
        IND_D,
        "[domain-name:value = 'c2.example.org' AND domain-name:resolves_to_refs[*].value = '198.51.100.7']",
    )]);
    assert_eq!(s.patterns_reduced, 1);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    let values: Vec<_> = c.observations.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["c2.example.org", "198.51.100.7"]);
    let r = &c.observations[0].related;
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].relation, r[0].kind, r[0].value.as_str()),
        (
            Relation::ResolvesTo,
            Some(pelita_model::IndicatorKind::Ipv4),
            "198.51.100.7"
        )
    );
    assert!(c.observations[1].related.is_empty());

    let Some(path) = samples("misp-stix/conversion-pairs/test_event2_stix21.json") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let mut c = Collect::default();
    parse(&bytes[..], &ParseContext::named("event2"), &mut c);
    assert!(
        c.observations.iter().any(|o| o.value == "circl.lu"
            && o.location
                .pointer
                .as_deref()
                .is_some_and(|p| p.ends_with("/pattern"))
            && o.related.iter().any(|r| r.value == "149.13.33.14")),
        "the indicator's pattern names circl.lu resolving to 149.13.33.14"
    );
}
