//! End to end: the real `pelita` binary, `ingest --tag` then `lookup`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{TempDir, pelita, s, text};

use std::path::Path;

use serde_json::Value;

const TAG: &str = r#"rsit:malicious-code="c2-server""#;

/// Ingests `list` into a fresh store in `data`, with `--tag TAG` or without.
fn ingest(root: &Path, data: &Path, list: &Path, tagged: bool) {
    let mut args = vec!["ingest", "--data-dir", s(data), "--source", "x"];
    if tagged {
        args.extend(["--tag", TAG]);
    }
    args.push(s(list));
    let out = pelita(root, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn lookup_json(root: &Path, data: &Path, value: &str) -> (Option<i32>, Value) {
    let out = pelita(root, &["lookup", "--data-dir", s(data), "--json", value]);
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{value}: {e}: {}", text(&out.stdout))),
    )
}

#[test]
fn a_tag_on_every_record_classifies_what_lookup_shows() {
    let t = TempDir::new("tag");
    let root = &t.0;
    let list = root.join("list.txt");
    std::fs::write(&list, "198.51.100.7\n203.0.113.9\n").unwrap();
    let tagged = root.join("tagged");
    let plain = root.join("plain");
    ingest(root, &tagged, &list, true);
    ingest(root, &plain, &list, false);

    for value in ["198.51.100.7", "203[.]0[.]113[.]9"] {
        let (code, v) = lookup_json(root, &tagged, value);
        assert_eq!(code, Some(0), "{value}: {v}");
        let exact = &v["exact"];
        assert!(exact.is_object(), "{value}: {v}");
        assert_eq!(
            exact["classifications"],
            serde_json::json!(["malicious-code/c2-server"]),
            "{value}: {v}"
        );
        assert_eq!(exact["tags"], serde_json::json!([TAG]), "{value}: {v}");
        assert_eq!(exact["kind"], "ipv4");
        let sources = exact["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 1, "{v}");
        assert_eq!(sources[0]["source"], "x");
        assert_eq!(sources[0]["sightings"], 1);

        // Without the tag, the same list is not classified: the tag did it.
        let (code, v) = lookup_json(root, &plain, value);
        assert_eq!(code, Some(0), "{value}: {v}");
        assert_eq!(
            v["exact"]["classifications"],
            serde_json::json!([]),
            "{value}: {v}"
        );
    }
    let (code, v) = lookup_json(root, &tagged, "198.51.100.7");
    assert_eq!(code, Some(0));
    assert_eq!(v["key"], "ipv4:198.51.100.7");
    assert_eq!(v["exact"]["value"], "198.51.100.7");

    // The human form says so too.
    let out = pelita(root, &["lookup", "--data-dir", s(&tagged), "198.51.100.7"]);
    assert_eq!(out.status.code(), Some(0));
    let human = text(&out.stdout);
    assert!(
        human.contains("class       malicious-code/c2-server (ENISA RSIT)"),
        "{human}"
    );

    // Something never ingested is not found (exit 1), and gets no class.
    let (code, v) = lookup_json(root, &tagged, "198.51.100.8");
    assert_eq!(code, Some(1), "{v}");
    assert!(v["exact"].is_null(), "{v}");
}

/// Domain resolutions from a STIX bundle (a `resolves-to` relationship read
/// before the objects it names, and a domain's `resolves_to_refs` to an
/// address that comes after it) and from a MISP `domain|ip` attribute reach
/// the store: `lookup` shows the related address, and the address shows the
/// domain, with one sighting of each domain.
#[test]
fn domain_resolutions_from_stix_and_misp_are_related_in_lookup() {
    let t = TempDir::new("resolves");
    let root = &t.0;
    let data = root.join("data");
    let bundle = root.join("bundle.json");
    std::fs::write(
        &bundle,
        r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
  {"type":"relationship","spec_version":"2.1","id":"relationship--33333333-3333-4333-8333-333333333333","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"resolves-to","source_ref":"domain-name--11111111-1111-4111-8111-111111111111","target_ref":"ipv4-addr--22222222-2222-4222-8222-222222222222"},
  {"type":"domain-name","spec_version":"2.1","id":"domain-name--11111111-1111-4111-8111-111111111111","value":"c2.example.org"},
  {"type":"domain-name","spec_version":"2.1","id":"domain-name--44444444-4444-4444-8444-444444444444","value":"panel.example.net","resolves_to_refs":["ipv6-addr--55555555-5555-4555-8555-555555555555"]},
  {"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--22222222-2222-4222-8222-222222222222","value":"198.51.100.7"},
  {"type":"ipv6-addr","spec_version":"2.1","id":"ipv6-addr--55555555-5555-4555-8555-555555555555","value":"2001:db8::7"}
]}"#,
    )
    .unwrap();
    let event = root.join("event.json");
    std::fs::write(
        &event,
        r#"{"Event":{"info":"resolutions","uuid":"5a3b1bd4-0c7c-4a8a-9d3e-1b4c7c3f2a10","Attribute":[
  {"type":"domain|ip","category":"Network activity","value":"mail.example.com|203.0.113.9","uuid":"6b4c2ce5-1d8d-4b9b-8e4f-2c5d8d4f3b21"}
]}}"#,
    )
    .unwrap();
    ingest(root, &data, &bundle, false);
    ingest(root, &data, &event, false);

    for (domain, address) in [
        ("c2.example.org", "ipv4:198.51.100.7"),
        ("panel.example.net", "ipv6:2001:db8::7"),
        ("mail.example.com", "ipv4:203.0.113.9"),
    ] {
        let (code, v) = lookup_json(root, &data, domain);
        assert_eq!(code, Some(0), "{domain}: {v}");
        let exact = &v["exact"];
        assert!(
            exact["related"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["relation"] == "resolves-to"
                    && r["outgoing"] == true
                    && r["key"] == address),
            "{domain} does not resolve to {address}: {v}"
        );
        assert_eq!(exact["sources"][0]["sightings"], 1, "{domain}: {v}");

        let ip = address.split_once(':').unwrap().1;
        let (code, v) = lookup_json(root, &data, ip);
        assert_eq!(code, Some(0), "{ip}: {v}");
        assert!(
            v["exact"]["related"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["relation"] == "resolves-to"
                    && r["outgoing"] == false
                    && r["key"] == format!("domain:{domain}")),
            "{ip} is not resolved from {domain}: {v}"
        );
    }

    let out = pelita(root, &["lookup", "--data-dir", s(&data), "c2.example.org"]);
    let human = text(&out.stdout);
    assert!(
        human.contains("related     -> resolves-to ipv4:198.51.100.7"),
        "{human}"
    );
}

/// `pelita ingest --ip-overrides FILE.mmdb`: a user's MaxMind-format
/// database places the addresses inside its networks, and the shipped data
/// places the others.
#[test]
fn an_mmdb_override_reaches_lookup() {
    use pelita_test_support::mmdb::{MmdbWriter, Value};
    let t = TempDir::new("mmdb");
    let root = &t.0;
    let data = root.join("data");
    let mut w = MmdbWriter::new("Pelita-Test-Override");
    w.insert(
        "8.8.8.0/24".parse().unwrap(),
        Value::map([
            ("country", Value::map([("iso_code", Value::str("FR"))])),
            ("autonomous_system_number", Value::U32(64500)),
            ("autonomous_system_organization", Value::str("Override Net")),
        ]),
    );
    let mmdb = root.join("override.mmdb");
    std::fs::write(&mmdb, w.to_bytes().unwrap()).unwrap();
    let list = root.join("list.txt");
    std::fs::write(&list, "8.8.8.8\n8.8.4.4\n").unwrap();
    let out = pelita(
        root,
        &[
            "ingest",
            "--data-dir",
            s(&data),
            "--source",
            "x",
            "--ip-overrides",
            s(&mmdb),
            s(&list),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, v) = lookup_json(root, &data, "8.8.8.8");
    let e = &v["exact"]["enrichment"];
    assert_eq!(
        (&e["country"], &e["asn"], &e["as_name"]),
        (&"FR".into(), &64500.into(), &"Override Net".into()),
        "{v}"
    );
    assert!(
        e["dataset_version"]
            .as_str()
            .unwrap()
            .contains("mmdb Pelita-Test-Override@"),
        "{v}"
    );
    let (_, v) = lookup_json(root, &data, "8.8.4.4");
    let e = &v["exact"]["enrichment"];
    assert_eq!(
        (&e["country"], &e["asn"]),
        (&"US".into(), &15169.into()),
        "{v}"
    );
}

/// A bundle that lists its `indicates` relationships after the indicators
/// (the OASIS Poison Ivy report, as most bundles are written): what an
/// indicator indicates reaches the store and lookup, the malware family
/// (and from its type the classification) and the campaign among the hints.
#[test]
fn indicates_relationships_after_their_indicators_reach_lookup() {
    let Some(report) = pelita_test_support::samples(
        "oasis-stix2-json-schemas/examples/threat-reports/poisonivy.json",
    ) else {
        return;
    };
    let t = TempDir::new("indicates");
    let root = &t.0;
    let data = root.join("data");
    let out = pelita(
        root,
        &[
            "ingest",
            "--data-dir",
            s(&data),
            "--source",
            "x",
            s(&report),
        ],
    );
    // One value of the report is not a domain (`domain autuo.xicp.net`):
    // a located error, exit status 1; the other 64 are stored.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("64 new sightings"),
        "{}",
        text(&out.stdout)
    );
    let (_, v) = lookup_json(root, &data, "www.webserver.dynssl.com");
    let e = &v["exact"];
    assert_eq!(
        e["malware"],
        serde_json::json!(["PIVY Variant (8010cae3e8431bb11ed6dc9acabb93b7,)"]),
        "{v}"
    );
    let hints: Vec<&str> = e["hints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(hints.contains(&"stix-campaign:admin@338"), "{v}");
    assert!(
        hints.contains(&"stix-malware-type:remote-access-trojan"),
        "{v}"
    );
    assert_eq!(
        e["classifications"],
        serde_json::json!(["malicious-code/c2-server"]),
        "{v}"
    );
    let (_, v) = lookup_json(root, &data, "219.76.208.163");
    assert_eq!(
        v["exact"]["malware"],
        serde_json::json!(["PIVY Variant (808e21d6efa2884811fbd0adf67fda78)"]),
        "{v}"
    );
}
