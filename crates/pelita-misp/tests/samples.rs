//! The reader against real MISP documents from the shared samples
//! (`../shared/samples`; skipped when absent, see `pelita-test-support`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers: a panic is a failed test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pelita_misp::{parse, parse_feed_dir};
use pelita_model::{Collect, ParseContext, Severity};
use serde_json::Value;

/// The items of a value MISP writes as a list or, for one item, as the item itself.
fn as_items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

/// Counts `Attribute` entries by `type` the way MISP nests them, independently
/// of the reader: events (bare, `{"Event": …}`, lists, `response`), their
/// `Attribute` and `Object[].Attribute` (each a list or a single object).
fn expected_counts(v: &Value, out: &mut BTreeMap<String, u64>) {
    fn attribute(a: &Value, out: &mut BTreeMap<String, u64>) {
        if let Some(t) = a.get("type").and_then(Value::as_str) {
            *out.entry(t.to_owned()).or_insert(0) += 1;
        }
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| expected_counts(i, out)),
        Value::Object(map) => {
            if let Some(e) = map.get("Event") {
                expected_counts(e, out);
            }
            if let Some(r) = map.get("response") {
                expected_counts(r, out);
            }
            for a in as_items(map.get("Attribute")) {
                attribute(a, out);
            }
            for o in as_items(map.get("Object")) {
                for a in as_items(o.get("Attribute")) {
                    attribute(a, out);
                }
            }
        }
        _ => {}
    }
}

/// Whether a JSON document is MISP event JSON (or the empty `{}`), by content.
fn is_misp(v: &Value) -> bool {
    const KEYS: [&str; 5] = ["Event", "Attribute", "Object", "response", "info"];
    match v {
        Value::Object(m) => m.is_empty() || KEYS.iter().any(|k| m.contains_key(*k)),
        Value::Array(a) => !a.is_empty() && a.iter().all(is_misp),
        _ => false,
    }
}

fn json_files(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    pelita_test_support::files_below(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json") && keep(p))
        .collect()
}

/// Loads one file, checks no errors and the counts; returns whether it was MISP.
fn check_file(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
    if !is_misp(&value) {
        eprintln!("skipped (not MISP event JSON): {}", path.display());
        return false;
    }
    let ctx = ParseContext::named(path.display().to_string());
    let mut sink = Collect::default();
    let summary = parse(&bytes, &ctx, &mut sink);
    let errors: Vec<String> = sink.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    for w in sink
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
    {
        eprintln!("warning: {w}");
    }
    let mut expected = BTreeMap::new();
    expected_counts(&value, &mut expected);
    assert_eq!(
        summary.attributes_by_type,
        expected,
        "attribute counts by type in {}",
        path.display()
    );
    assert_eq!(summary.attributes, expected.values().sum::<u64>());
    let unsupported: u64 = summary.unsupported_by_type.values().sum();
    let unsupported_problems = sink
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Unsupported)
        .count() as u64;
    assert_eq!(unsupported, unsupported_problems, "{}", path.display());
    for o in &sink.observations {
        assert!(
            o.location
                .pointer
                .as_deref()
                .is_some_and(|p| p.ends_with("/value"))
        );
        assert!(!o.value.is_empty());
    }
    true
}

#[test]
fn pymisp_samples() {
    let Some(dir) = pelita_test_support::samples("pymisp") else {
        return;
    };
    let files = json_files(&dir, |_| true);
    let read = files.iter().filter(|f| check_file(f)).count();
    assert!(read >= 20, "only {read} MISP files in {}", dir.display());
}

#[test]
fn misp_stix_conversion_inputs() {
    let Some(dir) = pelita_test_support::samples("misp-stix/conversion-pairs") else {
        return;
    };
    let files = json_files(&dir, |p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with("_1.json") || name.ends_with("_2.json")
    });
    assert!(!files.is_empty());
    for f in &files {
        assert!(check_file(f), "{} should be MISP", f.display());
    }
}

#[test]
fn eset_malware_ioc_events() {
    let Some(dir) = pelita_test_support::samples("eset-malware-ioc") else {
        return;
    };
    let files = json_files(&dir, |_| true);
    let read = files.iter().filter(|f| check_file(f)).count();
    // 19 reports with MISP events, some with several; dnsbirthday is not MISP.
    assert!(read >= 40, "only {read} MISP files");
    assert_eq!(
        files.len() - read,
        1,
        "only the dnsbirthday blocklist is skipped"
    );
}

#[test]
fn eset_observations_carry_context() {
    let Some(file) =
        pelita_test_support::samples("eset-malware-ioc/reports/telebots/misp-telebots.json")
    else {
        return;
    };
    let bytes = std::fs::read(&file).unwrap();
    let mut sink = Collect::default();
    let s = parse(&bytes, &ParseContext::named("telebots.json"), &mut sink);
    assert_eq!(s.events, 1);
    assert!(!sink.observations.is_empty());
    for o in &sink.observations {
        assert!(
            o.context.as_deref().is_some_and(|c| c.contains("event: ")),
            "{o:?}"
        );
        assert!(o.tags.iter().any(|t| t == "tlp:white"), "{o:?}");
        assert_eq!(o.tlp, Some(pelita_model::Tlp::Clear));
        assert!(o.source_id.is_some());
        assert!(o.hints.iter().any(|h| h.starts_with("misp-category:")));
    }
}

#[test]
fn pymisp_existing_event_galaxies() {
    let Some(file) = pelita_test_support::samples("pymisp/mispevent_testfiles/existing_event.json")
    else {
        return;
    };
    let bytes = std::fs::read(&file).unwrap();
    let mut sink = Collect::default();
    let s = parse(
        &bytes,
        &ParseContext::named("existing_event.json"),
        &mut sink,
    );
    assert_eq!((s.events, s.objects), (1, 49));
    assert_eq!((s.galaxies, s.galaxy_clusters), (4, 14));
    // Seven malware families on the event: none is given to every attribute,
    // but all are kept as tags.
    for o in &sink.observations {
        assert_eq!(o.malware, None);
        assert!(
            o.tags
                .iter()
                .any(|t| t == "misp-galaxy:mitre-malware=\"CHOPSTICK\"")
        );
        assert_eq!(o.tlp, Some(pelita_model::Tlp::Clear));
    }
}

#[test]
fn misp_core_feed_directory() {
    let Some(dir) = pelita_test_support::samples("misp-core/feeds/misp") else {
        return;
    };
    let mut sink = Collect::default();
    let feed = parse_feed_dir(&dir, &ParseContext::default(), &mut sink);
    let errors: Vec<String> = sink.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let manifest: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<String> = manifest.keys().cloned().collect();
    assert_eq!(feed.manifest_events, listed);
    assert_eq!(feed.events_read, listed.len() as u64);
    assert_eq!(feed.summary.event_uuids, listed);
    assert!(feed.missing.is_empty() && feed.broken.is_empty() && feed.unlisted.is_empty());
    assert_eq!(feed.hash_rows, 0, "this feed has no hashes.csv");

    // Attribute counts by type over the whole feed, counted from the event
    // files the manifest lists, independently of the reader.
    let mut expected = BTreeMap::new();
    for uuid in &listed {
        let event: Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{uuid}.json"))).unwrap())
                .unwrap();
        expected_counts(&event, &mut expected);
    }
    assert_eq!(feed.summary.attributes_by_type, expected);
    assert_eq!(feed.summary.attributes, expected.values().sum::<u64>());
    // The one event: a link, TLP:WHITE (clear) from the event's tags.
    assert_eq!(feed.summary.attributes_by_type.get("link"), Some(&1));
    let o = &sink.observations[0];
    assert_eq!(o.tlp, Some(pelita_model::Tlp::Clear));
    assert!(o.hints.contains(&"misp-type:link".to_owned()));
    assert!(o.hints.contains(&"to_ids:false".to_owned()));
    assert!(
        o.location
            .file
            .as_deref()
            .is_some_and(|f| f.ends_with("56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json"))
    );
    assert_eq!(
        o.location.pointer.as_deref(),
        Some("/Event/Attribute/0/value")
    );
}

/// Collects the MISP sides (`"MISP": …`) of misp-stix's mapping tables.
fn misp_sides<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "MISP" {
                    out.push(x);
                } else {
                    misp_sides(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| misp_sides(x, out)),
        _ => {}
    }
}

#[test]
fn misp_stix_mapping_tables() {
    let Some(dir) = pelita_test_support::samples("misp-stix/mapping") else {
        return;
    };
    let mut attributes = Vec::new();
    let mut objects = Vec::new();
    let mut galaxies = Vec::new();
    let files = json_files(&dir, |_| true);
    let docs: Vec<Value> = files
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
        .collect();
    for doc in &docs {
        let mut sides = Vec::new();
        misp_sides(doc, &mut sides);
        let mut stack = sides;
        while let Some(side) = stack.pop() {
            match side {
                Value::Array(a) => stack.extend(a.iter()),
                Value::Object(m) if m.contains_key("GalaxyCluster") => galaxies.push(side.clone()),
                Value::Object(m) if m.contains_key("Attribute") => objects.push(side.clone()),
                Value::Object(m) if m.contains_key("type") && m.contains_key("value") => {
                    attributes.push(side.clone());
                }
                Value::Object(m) => {
                    // An event-shaped side: its parts.
                    for k in ["Attribute", "Object", "Galaxy"] {
                        if let Some(x) = m.get(k) {
                            stack.push(x);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        attributes.len() > 100 && objects.len() > 50,
        "{} {}",
        attributes.len(),
        objects.len()
    );
    let event = serde_json::json!({
        "Event": {"info": "misp-stix mapping tables", "Attribute": attributes,
                  "Object": objects, "Galaxy": galaxies}
    });
    let bytes = serde_json::to_vec(&event).unwrap();
    let mut sink = Collect::default();
    let summary = parse(&bytes, &ParseContext::named("mapping.json"), &mut sink);
    let errors: Vec<String> = sink.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut expected = BTreeMap::new();
    expected_counts(&event, &mut expected);
    assert_eq!(summary.attributes_by_type, expected);
    assert_eq!(summary.galaxies, galaxies.len() as u64);
    eprintln!(
        "{} attributes of {} types, {} observations, unsupported: {:?}",
        summary.attributes,
        summary.attributes_by_type.len(),
        summary.observations,
        summary.unsupported_by_type.keys().collect::<Vec<_>>()
    );
}

/// What a JSON sample that is not MISP event JSON is, by its content.
fn not_an_event(v: &Value) -> Option<&'static str> {
    let obj = v.as_object();
    let has = |k: &str| obj.is_some_and(|m| m.contains_key(k));
    let list_of = |k: &str| {
        v.as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|x| x.get(k).is_some()))
    };
    if has("$schema") {
        Some("JSON schema")
    } else if v.get("type").and_then(Value::as_str) == Some("bundle") {
        Some("STIX bundle (pelita-stix reads it)")
    } else if has("attributes") && has("meta-category") {
        Some("MISP object template")
    } else if v.pointer("/result/types").is_some() {
        Some("MISP describeTypes")
    } else if obj.is_some_and(|m| {
        !m.is_empty()
            && m.values()
                .all(|e| e.get("info").is_some() && e.get("Orgc").is_some())
    }) {
        Some("MISP feed manifest (misp_core_feed_directory reads it)")
    } else if list_of("Feed") {
        Some("MISP feed catalogue")
    } else if list_of("SharingGroup") {
        Some("MISP sharing groups")
    } else if has("GalaxyCluster") {
        Some("MISP galaxy, no event")
    } else if obj.is_some_and(|m| m.len() == 3 && has("timestamp") && has("type") && has("value")) {
        Some("MISP sighting, no event")
    } else {
        let mut sides = Vec::new();
        misp_sides(v, &mut sides);
        (!sides.is_empty()).then_some("misp-stix mapping table (misp_stix_mapping_tables reads it)")
    }
}

/// Every JSON file under the three MISP sample folders is either MISP event
/// JSON, which loads with no error and with the file's attribute counts by
/// type (`check_file`), or something else named by its content; a new kind
/// of file fails the test until it is accounted for.
#[test]
fn every_misp_json_sample_loads_or_is_accounted_for() {
    let mut events = 0;
    let mut other: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for folder in ["pymisp", "misp-core", "misp-stix"] {
        let Some(dir) = pelita_test_support::samples(folder) else {
            return;
        };
        for f in json_files(&dir, |_| true) {
            let bytes = std::fs::read(&f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
            let name = f.strip_prefix(&dir).unwrap().display().to_string();
            if is_misp(&value) {
                assert!(check_file(&f));
                events += 1;
            } else {
                let kind = not_an_event(&value).unwrap_or_else(|| {
                    panic!("{folder}/{name}: neither MISP event JSON nor a known kind")
                });
                // Not an event: the reader says so with a warning, never an error.
                let mut sink = Collect::default();
                let s = parse(&bytes, &ParseContext::named(name.as_str()), &mut sink);
                assert_eq!(s.attributes, 0, "{folder}/{name}");
                assert_eq!(sink.errors().count(), 0, "{folder}/{name}");
                other
                    .entry(kind)
                    .or_default()
                    .push(format!("{folder}/{name}"));
            }
        }
    }
    for (kind, files) in &other {
        eprintln!("{kind}: {}", files.join(", "));
    }
    eprintln!("{events} MISP event files");
    assert!(events >= 20, "only {events} event files");
}

/// Every `domain-ip` object in the samples relates each of its names to
/// each of its live addresses: the pairs counted from the JSON, apart from
/// the reader, are the relations the reader gives those objects' names.
#[test]
fn domain_ip_objects_in_the_samples_relate_their_names() {
    /// (name attributes, live address attributes) pairs of every
    /// `domain-ip` object below `v`.
    fn pairs(v: &Value) -> usize {
        match v {
            Value::Array(items) => items.iter().map(pairs).sum(),
            Value::Object(map) => {
                let mut n: usize = ["Event", "response"]
                    .iter()
                    .filter_map(|k| map.get(*k))
                    .map(pairs)
                    .sum();
                for o in as_items(map.get("Object")) {
                    if o.get("name").and_then(Value::as_str) != Some("domain-ip") {
                        continue;
                    }
                    let attrs = as_items(o.get("Attribute"));
                    fn ty(a: &Value) -> &str {
                        a.get("type").and_then(Value::as_str).unwrap_or("")
                    }
                    let live = |a: &Value| !a.get("deleted").is_some_and(|d| d == true || d == "1");
                    let names = attrs
                        .iter()
                        .filter(|a| matches!(ty(a), "domain" | "hostname"))
                        .count();
                    let addresses = attrs
                        .iter()
                        .filter(|a| matches!(ty(a), "ip-dst" | "ip-src") && live(a))
                        .count()
                        .min(16);
                    n += names * addresses;
                }
                n
            }
            _ => 0,
        }
    }
    let (mut expected, mut got) = (0usize, 0usize);
    for d in ["pymisp", "misp-stix/conversion-pairs", "misp-core"] {
        let Some(dir) = pelita_test_support::samples(d) else {
            return;
        };
        for f in json_files(&dir, |_| true) {
            let bytes = std::fs::read(&f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let Ok(value) = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}'))
            else {
                continue;
            };
            if !is_misp(&value) {
                continue;
            }
            let mut sink = Collect::default();
            parse(
                &bytes,
                &ParseContext::named(f.display().to_string()),
                &mut sink,
            );
            let want = pairs(&value);
            let have: usize = sink
                .observations
                .iter()
                .filter(|o| o.hints.iter().any(|h| h == "misp-object:domain-ip"))
                .map(|o| o.related.len())
                .sum();
            assert_eq!(have, want, "{}", f.display());
            expected += want;
            got += have;
        }
    }
    println!("domain-ip objects: {got} name-address relations");
    assert!(expected >= 10, "{expected}");
}
