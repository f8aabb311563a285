//! Acceptance tests on the shared third-party samples (skipped when absent).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is the failure"
)]

use std::io::BufReader;
use std::path::Path;

use pelita_model::{Collect, ParseContext, Severity};
use pelita_stix::{Summary, parse, parse_pattern, parse_reopen};
use pelita_test_support::{files_below, samples};
use serde_json::Value;

fn run(path: &Path, strict: bool) -> (Collect, Summary) {
    let f = std::fs::File::open(path).unwrap();
    let mut ctx = ParseContext::named(path.display().to_string());
    ctx.strict = strict;
    let mut sink = Collect::default();
    let s = parse(BufReader::new(f), &ctx, &mut sink);
    (sink, s)
}

/// [`run`] in two passes ([`parse_reopen`]).
fn run_twice(path: &Path, strict: bool) -> (Collect, Summary) {
    let mut ctx = ParseContext::named(path.display().to_string());
    ctx.strict = strict;
    let mut sink = Collect::default();
    let s = parse_reopen(
        || std::fs::File::open(path).map(BufReader::new),
        &ctx,
        &mut sink,
    );
    (sink, s)
}

/// Read in two passes, every STIX sample gives the problems, summary and
/// observations of one pass, except that indicators named by `indicates`
/// relationships listed after them now carry the malware family and the
/// campaign, threat-actor and intrusion-set hints (in the OASIS threat
/// reports every such relationship comes after its indicator).
#[test]
fn two_passes_add_what_later_relationships_say_and_nothing_else() {
    let dirs = [
        "oasis-stix2-json-schemas/examples",
        "oasis-cti-documentation/examples",
        "oasis-python-stix2",
        "oasis-stix-validator/test-examples",
        "unit42-iocs/stix2-reports",
    ];
    let (mut files, mut with_malware, mut with_campaign) = (0, 0, 0);
    for d in dirs {
        let Some(dir) = samples(d) else { return };
        for f in files_below(&dir) {
            if f.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            for strict in [false, true] {
                let (once, once_summary) = run(&f, strict);
                let (twice, twice_summary) = run_twice(&f, strict);
                assert_eq!(twice.problems, once.problems, "{}", f.display());
                assert_eq!(twice_summary, once_summary, "{}", f.display());
                assert_eq!(
                    twice.observations.len(),
                    once.observations.len(),
                    "{}",
                    f.display()
                );
                for (a, b) in once.observations.iter().zip(&twice.observations) {
                    // What one pass knew, two passes know too.
                    if a.malware.is_some() {
                        assert_eq!(b.malware, a.malware, "{}", f.display());
                    }
                    assert!(
                        a.hints.iter().all(|h| b.hints.contains(h)),
                        "{}",
                        f.display()
                    );
                    let (mut a, mut b) = (a.clone(), b.clone());
                    for o in [&mut a, &mut b] {
                        o.malware = None;
                        o.hints.retain(|h| {
                            !h.starts_with("stix-malware-type:")
                                && !h.starts_with("stix-campaign:")
                                && !h.starts_with("stix-threat-actor:")
                                && !h.starts_with("stix-intrusion-set:")
                        });
                    }
                    assert_eq!(b, a, "{}", f.display());
                }
                if !strict {
                    with_malware += twice
                        .observations
                        .iter()
                        .filter(|o| o.malware.is_some())
                        .count()
                        - once
                            .observations
                            .iter()
                            .filter(|o| o.malware.is_some())
                            .count();
                    with_campaign += twice
                        .observations
                        .iter()
                        .filter(|o| o.hints.iter().any(|h| h.starts_with("stix-campaign:")))
                        .count();
                }
            }
            files += 1;
        }
    }
    println!(
        "{files} files: {with_malware} observations gained a malware family, {with_campaign} carry a campaign"
    );
    assert!(files > 50, "{files}");
    // poisonivy.json alone: 32 indicators indicate a PIVY variant or a campaign.
    assert!(with_malware >= 20, "{with_malware}");
    assert!(with_campaign >= 20, "{with_campaign}");
    let Some(dir) = samples("oasis-stix2-json-schemas/examples/threat-reports") else {
        return;
    };
    let (c, _) = run_twice(&dir.join("poisonivy.json"), false);
    let menupass = c
        .observations
        .iter()
        .filter(|o| o.hints.contains(&"stix-campaign:menuPass".to_owned()))
        .count();
    let pivy = c
        .observations
        .iter()
        .filter(|o| {
            o.malware
                .as_deref()
                .is_some_and(|m| m.starts_with("PIVY Variant"))
        })
        .count();
    assert!(menupass > 0 && pivy > 0, "{menupass} {pivy}");
}

fn errors(c: &Collect) -> Vec<String> {
    c.errors().map(ToString::to_string).collect()
}

#[test]
fn every_valid_sample_parses_without_errors_in_lenient_mode() {
    let dirs = [
        "oasis-stix2-json-schemas/examples",
        "oasis-cti-documentation/examples",
        "oasis-python-stix2",
        "oasis-stix-validator/test-literals",
        "unit42-iocs/stix2-reports",
    ];
    let mut files = 0;
    let mut observations = 0;
    for d in dirs {
        let Some(dir) = samples(d) else { return };
        for f in files_below(&dir) {
            if f.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let (c, s) = run(&f, false);
            assert!(errors(&c).is_empty(), "{}: {:#?}", f.display(), errors(&c));
            assert!(s.objects > 0, "{}", f.display());
            files += 1;
            observations += s.observations;
        }
    }
    // The valid files of the validator's examples too.
    let Some(dir) = samples("oasis-stix-validator/test-examples") else {
        return;
    };
    for f in files_below(&dir) {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with("invalid_") {
            continue;
        }
        let (c, _) = run(&f, false);
        assert!(errors(&c).is_empty(), "{}: {:#?}", f.display(), errors(&c));
        files += 1;
    }
    eprintln!("{files} sample files, {observations} observations");
    assert!(files > 100);
    assert!(observations > 500);
}

/// The validator's example files, STIX 2.1 and 2.0 (which Pelita reads and
/// upgrades), in strict mode: every `invalid_*` file is rejected, with the
/// object's id and the property's JSON pointer in each error; the others
/// pass. What each invalid file breaks is a MUST of both versions: the JSON
/// syntax, the required `modified`, and `modified >= created`.
#[test]
fn validator_examples_strict() {
    let mut invalid = 0;
    for version in ["v21", "v20"] {
        let Some(dir) = samples(&format!("oasis-stix-validator/test-examples/{version}")) else {
            return;
        };
        for f in files_below(&dir) {
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let (c, s) = run(&f, true);
            let errs: Vec<_> = c.errors().collect();
            if !name.starts_with("invalid_") {
                assert!(errs.is_empty(), "{version}/{name}: {errs:#?}");
                continue;
            }
            invalid += 1;
            assert!(!errs.is_empty(), "{version}/{name} accepted");
            eprintln!("{version}/{name}: {}", errs[0]);
            if name == "invalid_braces.json" {
                assert_eq!(errs[0].code, "json.syntax");
                assert_eq!(errs[0].location.line, Some(1));
                assert!(errs[0].location.column.is_some());
                continue;
            }
            for e in &errs {
                // Names the object and the property.
                assert!(e.message.starts_with("identity--"), "{e}");
                let p = e.location.pointer.as_deref().unwrap_or_default();
                assert!(p.matches('/').count() >= 1 && p.len() > 1, "{e}");
            }
            let expected = match name.as_str() {
                "invalid_identity.json" => ("stix.missing-property", "/modified"),
                "invalid_timestamp.json" => ("stix.bad-order", "/modified"),
                _ => panic!("{version}/{name}: a new invalid example; say what it breaks"),
            };
            assert!(
                errs.iter().any(|e| e.code == expected.0
                    && e.location
                        .pointer
                        .as_deref()
                        .is_some_and(|p| p.ends_with(expected.1))),
                "{version}/{name}: {errs:#?}"
            );
            // Dropped in strict mode; in lenient mode kept, with the same finding as a warning.
            assert_eq!(s.dropped, 1, "{version}/{name}");
            let (lenient, ls) = run(&f, false);
            assert_eq!(lenient.errors().count(), 0, "{version}/{name}");
            assert!(
                lenient
                    .problems
                    .iter()
                    .any(|p| p.severity == Severity::Warning && p.code == expected.0),
                "{version}/{name}"
            );
            assert_eq!(ls.dropped, 0);
            if version == "v20" {
                assert_eq!(ls.upgraded, 1, "{version}/{name}: read as 2.0 and upgraded");
            }
        }
    }
    assert!(invalid >= 6, "only {invalid} invalid examples");
}

#[test]
fn invalid_identity_names_the_missing_property() {
    let Some(f) = samples("oasis-stix-validator/test-examples/v21/invalid_identity.json") else {
        return;
    };
    let (c, s) = run(&f, true);
    let e = c
        .errors()
        .find(|e| e.code == "stix.missing-property")
        .unwrap();
    assert!(e.message.contains("\"modified\""), "{e}");
    assert!(e.message.starts_with("identity--"), "{e}");
    assert!(
        e.location
            .pointer
            .as_deref()
            .unwrap()
            .ends_with("/modified"),
        "{e}"
    );
    assert_eq!(s.dropped, 1);
}

/// The validator's own verdicts on the objects its test suite validates.
///
/// Considered: records run with only `strict`/`enabled`/`disabled` options
/// (others — `strict_properties`, `strict_types`, `interop`, `version` —
/// change the rules), and not invalid by best-practice checks alone: those
/// with a `{NNN}` code, and the `custom-prefix` checks (`should start with
/// 'x-'`, the specification's SHOULD for custom type names), which the
/// validator reports through its pattern check without a code (the same
/// record is valid with `custom-prefix` and `custom-prefix-lax` disabled).
///
/// Every considered case must agree, except the [`KNOWN_DIFFERENCES`], and
/// each of those must still occur (so that fixing one updates the list).
#[test]
fn replayed_validator_cases_agree() {
    let Some(dir) = samples("oasis-stix-validator/replayed-cases/v21") else {
        return;
    };
    let (mut agree, mut considered, mut skipped) = (0, 0, 0);
    let (mut rejected, mut invalid) = (0, 0);
    let mut known = vec![0; KNOWN_DIFFERENCES.len()];
    let mut disagreements = Vec::new();
    for f in files_below(&dir) {
        let records: Vec<Value> = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for r in records {
            let opts = r["options"].as_object().cloned().unwrap_or_default();
            // Only the options that do not change MUST-level rules.
            if opts
                .keys()
                .any(|k| !matches!(k.as_str(), "strict" | "enabled" | "disabled"))
            {
                skipped += 1;
                continue;
            }
            let valid = r["valid"].as_bool().unwrap();
            let must: Vec<&str> = r["errors"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .filter(|e| !best_practice(e))
                .collect();
            if !valid && must.is_empty() {
                skipped += 1; // invalid only by best-practice (SHOULD) checks
                continue;
            }
            let text = match (&r.get("object"), r.get("object_text")) {
                (Some(o), _) => o.to_string(),
                (None, Some(t)) => t.as_str().unwrap_or_default().to_owned(),
                _ => continue,
            };
            let ctx = ParseContext {
                strict: true,
                ..ParseContext::default()
            };
            let mut sink = Collect::default();
            parse(text.as_bytes(), &ctx, &mut sink);
            let ours: Vec<_> = sink.errors().collect();
            let accepted = ours.is_empty();
            considered += 1;
            if !valid {
                invalid += 1;
            }
            if accepted == valid {
                agree += 1;
                if !valid {
                    rejected += 1;
                    // Rejected with the object and the property named.
                    for e in &ours {
                        let named = e.message.contains("--")
                            || e.code.starts_with("json.")
                            || e.code == "stix.not-an-object";
                        assert!(named, "{}: {e}", r["test"]);
                    }
                }
                continue;
            }
            let line = format!(
                "{} valid={valid}: ours={:?} theirs={:?}",
                r["test"],
                ours.iter().map(|e| e.message.clone()).collect::<Vec<_>>(),
                must
            );
            match KNOWN_DIFFERENCES
                .iter()
                .position(|(marker, _)| !valid && must.iter().any(|m| m.contains(marker)))
            {
                Some(i) => {
                    known[i] += 1;
                    eprintln!("KNOWN {line}");
                }
                None => disagreements.push(line),
            }
        }
    }
    for d in &disagreements {
        eprintln!("DISAGREE {d}");
    }
    eprintln!(
        "replayed cases: {agree}/{considered} agree, {rejected}/{invalid} invalid rejected, \
         {} known differences, {skipped} skipped (SHOULD-only or other options)",
        known.iter().sum::<usize>()
    );
    assert!(considered > 150);
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    for ((marker, why), n) in KNOWN_DIFFERENCES.iter().zip(&known) {
        assert!(*n > 0, "{marker:?} no longer differs; remove it ({why})");
    }
}

/// Cases the reference validator rejects by a registry lookup that the
/// specification's own JSON schemas do not make, and that Pelita does not
/// make either: `(text of the validator's message, why)`.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "must be an IANA registered character set",
        "file `name_enc` \"bla.bla.bla\": the rule is the IANA character-set registry, \
         which Pelita does not ship; the OASIS schema (file.json) accepts \
         ^[a-zA-Z0-9/\\.+_:-]{2,250}$, and registered names such as \
         \"ISO_646.irv:1983\" have dots too (the validator, run offline, \
         fell back to a regular expression without them)",
    ),
    (
        "invalid language code",
        "software `languages` [\"bbb\"]: the validator checks a list of ISO 639-2 \
         codes; STIX 2.1 asks for RFC 5646, whose registry carries ISO 639-3 \
         codes, and the OASIS schema (software.json) accepts any [a-z]{3}",
    ),
];

fn best_practice(e: &str) -> bool {
    has_code(e) || e.contains("should start with 'x-'")
}

fn has_code(e: &str) -> bool {
    // "{302} ..." best-practice codes.
    e.find('{').is_some_and(|i| {
        let rest = &e[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && rest.as_bytes().get(digits) == Some(&b'}')
    })
}

/// The pattern validator's cases, STIX 2.1 and 2.0: the valid ones parse, the
/// invalid ones do not, and where the reference names a position (ANTLR's
/// 0-based column) ours is the same place (1-based).
#[test]
fn pattern_spec_examples_and_test_cases() {
    let Some(dir) = samples("oasis-stix2-patterns") else {
        return;
    };
    let mut n = 0;
    let mut invalid = 0;
    for v in ["v20", "v21"] {
        let text = std::fs::read_to_string(dir.join(format!("spec_examples/{v}.txt"))).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let r = parse_pattern(line);
            assert!(r.is_ok(), "{v}: {line}: {r:?}");
            n += 1;
        }
        let cases: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("test-cases/{v}.json"))).unwrap(),
        )
        .unwrap();
        for p in cases["valid"].as_array().unwrap() {
            let p = p.as_str().unwrap();
            assert!(parse_pattern(p).is_ok(), "{v}: {p}: {:?}", parse_pattern(p));
            n += 1;
        }
        for c in cases["invalid"].as_array().unwrap() {
            let p = c["pattern"].as_str().unwrap();
            let theirs = c["expected_error_prefix"].as_str().unwrap();
            let Err(e) = parse_pattern(p) else {
                panic!("{v}: {p} accepted (reference: {theirs})");
            };
            eprintln!("{v}: {p}\n  ours:   {e}\n  theirs: {theirs}");
            if let Some((line, col)) = reference_position(theirs) {
                assert_eq!(
                    (e.line, e.column),
                    (line, col + 1),
                    "{v}: {p}: ours {e}, theirs {theirs}"
                );
            }
            n += 1;
            invalid += 1;
        }
    }
    eprintln!("{n} pattern cases, {invalid} invalid");
    assert!(invalid >= 25, "only {invalid} invalid cases");
}

/// `FAIL: Error found at line 1:13. …` → (1, 13); `None` without a column.
fn reference_position(msg: &str) -> Option<(u64, u64)> {
    let rest = msg.split_once("at line ")?.1;
    let (line, rest) = rest.split_once(':')?;
    let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.parse().ok()?, col.parse().ok()?))
}

#[test]
fn unit42_patterns_reduce_and_defanged_values_pass_through() {
    let Some(dir) = samples("unit42-iocs/stix2-reports") else {
        return;
    };
    let (mut obs, mut unsupported, mut upgraded) = (0, 0, 0);
    let mut defanged = false;
    for f in files_below(&dir) {
        let (c, s) = run(&f, false);
        obs += c.observations.len();
        unsupported += c
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Unsupported)
            .count();
        upgraded += s.upgraded;
        defanged |= c.observations.iter().any(|o| o.value.contains("[.]"));
    }
    eprintln!("unit42: {obs} observations, {unsupported} unsupported, {upgraded} upgraded objects");
    assert!(obs > 500);
    assert!(unsupported > 0);
    assert!(upgraded > 0);
    let _ = defanged;
}

/// STIX exported by MISP (PyMISP's `stix2.json`, misp-stix's 2.0 and 2.1
/// conversions) is valid even in strict mode, and yields observations.
#[test]
fn stix_exported_by_misp_is_valid() {
    let (Some(pairs), Some(pymisp)) = (
        samples("misp-stix/conversion-pairs"),
        samples("pymisp/stix2.json"),
    ) else {
        return;
    };
    let mut files: Vec<_> = files_below(&pairs)
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("_stix2"))
        .collect();
    assert!(files.len() >= 6, "{files:?}");
    files.push(pymisp);
    for f in files {
        let (c, s) = run(&f, true);
        assert!(errors(&c).is_empty(), "{}: {:#?}", f.display(), errors(&c));
        assert!(s.observations > 0, "{}", f.display());
    }
}
