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
use pelita_stix::{Summary, parse, parse_pattern};
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

#[test]
fn validator_examples_strict() {
    let Some(dir) = samples("oasis-stix-validator/test-examples/v21") else {
        return;
    };
    for f in files_below(&dir) {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let (c, _) = run(&f, true);
        let errs: Vec<_> = c.errors().collect();
        if name.starts_with("invalid_") {
            assert!(!errs.is_empty(), "{name} accepted");
            if name == "invalid_braces.json" {
                assert_eq!(errs[0].code, "json.syntax");
                assert_eq!(errs[0].location.line, Some(1));
                assert!(errs[0].location.column.is_some());
            } else {
                for e in &errs {
                    // Names the object and the property.
                    assert!(e.message.contains("--"), "{e}");
                    let p = e.location.pointer.as_deref().unwrap_or_default();
                    assert!(p.matches('/').count() >= 1 && p.len() > 1, "{e}");
                }
            }
            eprintln!("{name}: {}", errs[0]);
        } else {
            assert!(errs.is_empty(), "{name}: {errs:#?}");
        }
    }
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
/// change the rules), and not invalid by best-practice `{NNN}` checks alone.
/// At the time of writing: 246 of 251 agree (98.0%); the five differences
/// are IANA character sets, RFC 5646 language codes, base64 payloads, and
/// custom pattern types without `x-` under `disabled: extensions-use`.
#[test]
fn replayed_validator_cases_agree() {
    let Some(dir) = samples("oasis-stix-validator/replayed-cases/v21") else {
        return;
    };
    let (mut agree, mut considered, mut skipped) = (0, 0, 0);
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
                .filter(|e| !has_code(e))
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
            let accepted = sink.errors().next().is_none();
            considered += 1;
            if accepted == valid {
                agree += 1;
            } else {
                disagreements.push(format!(
                    "{} valid={valid}: ours={:?} theirs={:?}",
                    r["test"],
                    sink.errors().map(|e| e.message.clone()).collect::<Vec<_>>(),
                    must
                ));
            }
        }
    }
    for d in &disagreements {
        eprintln!("DISAGREE {d}");
    }
    let rate = f64::from(agree) / f64::from(considered.max(1));
    eprintln!(
        "replayed cases: {agree}/{considered} agree ({:.1}%), {skipped} skipped (SHOULD-only or other options)",
        rate * 100.0
    );
    assert!(considered > 150);
    assert!(rate >= 0.95, "agreement {rate}");
}

fn has_code(e: &str) -> bool {
    // "{302} ..." best-practice codes.
    e.find('{').is_some_and(|i| {
        let rest = &e[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && rest.as_bytes().get(digits) == Some(&b'}')
    })
}

#[test]
fn pattern_spec_examples_and_test_cases() {
    let Some(dir) = samples("oasis-stix2-patterns") else {
        return;
    };
    let mut n = 0;
    for v in ["v20", "v21"] {
        let text = std::fs::read_to_string(dir.join(format!("spec_examples/{v}.txt"))).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let r = parse_pattern(line);
            assert!(r.is_ok(), "{line}: {r:?}");
            n += 1;
        }
    }
    let cases: Value =
        serde_json::from_slice(&std::fs::read(dir.join("test-cases/v21.json")).unwrap()).unwrap();
    for p in cases["valid"].as_array().unwrap() {
        let p = p.as_str().unwrap();
        assert!(parse_pattern(p).is_ok(), "{p}: {:?}", parse_pattern(p));
        n += 1;
    }
    for c in cases["invalid"].as_array().unwrap() {
        let p = c["pattern"].as_str().unwrap();
        let e = parse_pattern(p);
        assert!(e.is_err(), "{p} accepted");
        eprintln!(
            "{p}\n  ours:   {}\n  theirs: {}",
            e.unwrap_err(),
            c["expected_error_prefix"]
        );
        n += 1;
    }
    eprintln!("{n} pattern cases");
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
