//! The TAXII 2.1 server over real HTTP on loopback: the resources have the
//! shapes of the OASIS examples, paging walks every object once, the
//! filters, manifest and versions agree with the objects, the inbox stores
//! envelopes as submissions under the sharing policy, the media-type and
//! access errors, and view-equivalence: what an organisation reads equals
//! what a server holding only the sightings it may see answers.
//!
//! The end-to-end test with the reference client `taxii2-client` runs only
//! with `PELITA_TAXII_CLIENT=1` (it needs Python and PyPI; see
//! `scripts/taxii-client-test.sh`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

use common::{Reply, config, http_with, serve_with, token};
use pelita_auth::{Role, Scope};
use pelita_ingest::{Archive, FormatChoice, IngestOptions, NoProgress};
use pelita_model::Tlp;
use pelita_store::{
    Destination, OperationId, OperationSpec, OrgId, Reader, SightingFacts, SqliteStore, Store as _,
    may_see, store_submission,
};
use pelita_test_support::SplitMix64;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

const TAXII: &str = "application/taxii+json;version=2.1";
const ORGS: [&str; 3] = ["cert-a", "firm-b", "firm-c"];
const ALL: [Scope; 3] = [Scope::Read, Scope::Submit, Scope::Report];

fn get(addr: SocketAddr, path: &str, t: &str) -> Reply {
    http_with(addr, "GET", path, Some(t), &[("Accept", TAXII)], b"")
}

fn post(addr: SocketAddr, path: &str, t: &str, body: &[u8]) -> Reply {
    http_with(
        addr,
        "POST",
        path,
        Some(t),
        &[("Accept", TAXII), ("Content-Type", TAXII)],
        body,
    )
}

fn base() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap() // 2026-01-01
}

/// One submission of a generated store.
#[derive(Debug, Clone)]
struct Sub {
    org: &'static str,
    tlp: Option<Tlp>,
    recipients: Vec<String>,
    in_op: bool,
    at: OffsetDateTime,
    body: String,
}

fn op_spec() -> OperationSpec {
    OperationSpec {
        name: "alpha".into(),
        title: "Operation Alpha".into(),
        starts_at: None,
        ends_at: None,
        countries: vec!["SG".into()],
        organisations: vec!["cert-a".into(), "firm-b".into()],
        scope: "test".into(),
    }
}

/// A store holding `subs` (documentation addresses, so marked synthetic),
/// with the three organisations, the operation, and a token each
/// (token n+1 for `ORGS[n]`); the archive is in `dir`.
fn build(dir: &Path, subs: &[Sub]) -> (SqliteStore, Vec<String>, OperationId) {
    let mut store = SqliteStore::open(&dir.join("pelita.db")).unwrap();
    for org in ORGS {
        store.put_organisation(org, Role::Analyst).unwrap();
    }
    store.mark_synthetic().unwrap();
    let op = store.put_operation(&op_spec()).unwrap();
    let tokens = ORGS
        .iter()
        .zip(1u8..)
        .map(|(org, n)| token(&mut store, n, org, Role::Analyst, &ALL))
        .collect();
    let archive = Archive::open(dir).unwrap();
    for (n, s) in subs.iter().enumerate() {
        let options = IngestOptions {
            format: FormatChoice::parse_untrusted("list").unwrap(),
            source: Some(s.org.into()),
            tlp: s.tlp,
            ..IngestOptions::default()
        };
        let sub = pelita_ingest::submit_reader(
            &archive,
            &format!("s{n}.txt"),
            s.body.as_bytes(),
            &options.limits,
        )
        .unwrap();
        store_submission(
            &mut store,
            &archive,
            &sub,
            &options,
            Destination {
                operation: s.in_op.then_some(op),
                received_at: s.at,
                recipients: s.recipients.clone(),
                also: None,
            },
            &mut NoProgress,
        )
        .unwrap();
    }
    (store, tokens, op)
}

/// Random submissions: each from a random organisation, a random marking
/// (or none), maybe naming recipients, maybe to the operation (members
/// only), of 1 to 4 addresses out of 16, received on the hour (often two
/// in the same hour, so ordering ties are broken by id).
fn generate(seed: u64, n: usize) -> Vec<Sub> {
    let mut rng = SplitMix64(seed);
    let mut pick = |k: u64| rng.next_u64() % k;
    let markings = [
        None,
        Some(Tlp::Clear),
        Some(Tlp::Green),
        Some(Tlp::Amber),
        Some(Tlp::AmberStrict),
        Some(Tlp::Red),
    ];
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let org = ORGS[pick(3) as usize];
        let tlp = markings[pick(6) as usize];
        let recipients: Vec<String> = ORGS
            .iter()
            .filter(|o| **o != org && pick(4) == 0)
            .map(|o| (*o).to_owned())
            .collect();
        let in_op = org != "firm-c" && pick(3) == 0;
        let count = 1 + pick(4);
        let mut ips = BTreeSet::new();
        for _ in 0..count {
            ips.insert(format!("198.51.100.{}", 1 + pick(16)));
        }
        let body: String = ips.iter().map(|ip| format!("{ip}\n")).collect();
        // The same bytes from the same organisation are one submission.
        if !seen.insert((org, body.clone())) {
            continue;
        }
        let at = base() + Duration::hours(out.len() as i64 / 2);
        out.push(Sub {
            org,
            tlp,
            recipients,
            in_op,
            at,
            body,
        });
    }
    out
}

/// Every page of a listing (objects or manifest) walked with `limit`.
fn walk(addr: SocketAddr, path: &str, t: &str, limit: usize) -> Vec<Reply> {
    let mut pages = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(n) => format!("{path}?limit={limit}&next={n}"),
            None => format!("{path}?limit={limit}"),
        };
        let r = get(addr, &url, t);
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        let more = r.body["more"].as_bool().unwrap();
        next = r.body["next"].as_str().map(str::to_owned);
        assert_eq!(more, next.is_some(), "{url}: next iff more");
        pages.push(r);
        if !more {
            return pages;
        }
        assert!(pages.len() < 1000, "{path}: the walk does not end");
    }
}

/// `X-TAXII-Date-Added-First` or `-Last` (the test client lower-cases heads).
fn date_header(r: &Reply, which: &str) -> Option<String> {
    r.header(&format!("x-taxii-date-added-{which}"))
        .map(str::to_ascii_uppercase)
}

fn items<'a>(pages: &'a [Reply], key: &str) -> Vec<&'a Value> {
    pages
        .iter()
        .flat_map(|p| p.body[key].as_array().into_iter().flatten())
        .collect()
}

// ------------------------------------------------------------ shapes

/// The JSON type of a value, for shape comparisons.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `ours` has every key of `example` but those in `optional`, each with
/// the same JSON type (and list items shaped like the example's first).
fn same_shape(example: &Value, ours: &Value, optional: &[&str], at: &str) {
    assert_eq!(kind(example), kind(ours), "{at}: {ours}");
    match (example, ours) {
        (Value::Object(e), Value::Object(o)) => {
            for (k, ev) in e {
                match o.get(k) {
                    Some(ov) => same_shape(ev, ov, optional, &format!("{at}.{k}")),
                    None => assert!(optional.contains(&k.as_str()), "{at}: no {k:?} in {ours}"),
                }
            }
        }
        (Value::Array(e), Value::Array(o)) => {
            if let (Some(e), Some(o)) = (e.first(), o.first()) {
                same_shape(e, o, optional, &format!("{at}[0]"));
            }
        }
        _ => {}
    }
}

fn sample(rel: &str) -> Option<Value> {
    let path = pelita_test_support::samples(rel)?;
    Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn taxii_answer(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(TAXII), "{}", r.headers);
    assert_eq!(
        r.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn resources_have_the_shapes_of_the_oasis_examples() {
    let Some(medallion) = sample("oasis-taxii/medallion/default_data.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (store, tokens, _) = build(dir.path(), &generate(1, 12));
    let (addr, _state) = serve_with(store, config(dir.path(), 1 << 20, 1000.0));
    let a = &tokens[0];

    let r = get(addr, "/taxii2/", a);
    taxii_answer(&r, 200);
    for example in [
        sample("oasis-taxii/client-responses/v21/DISCOVERY_RESPONSE.json").unwrap(),
        medallion["/discovery"].clone(),
    ] {
        same_shape(&example, &r.body, &["contact"], "discovery");
    }
    assert_eq!(r.body["default"], "/taxii2/api/");
    assert!(
        r.body["api_roots"]
            .as_array()
            .unwrap()
            .contains(&r.body["default"])
    );

    let r = get(addr, "/taxii2/api/", a);
    taxii_answer(&r, 200);
    same_shape(
        &medallion["trustgroup1"]["information"],
        &r.body,
        &[],
        "api root",
    );
    assert_eq!(r.body["versions"], json!([TAXII]));
    assert_eq!(r.body["max_content_length"], 1 << 20);

    let r = get(addr, "/taxii2/api/collections/", a);
    taxii_answer(&r, 200);
    same_shape(
        &sample("oasis-taxii/client-responses/v21/COLLECTIONS_RESPONSE.json").unwrap(),
        &r.body,
        &[],
        "collections",
    );
    let ids: Vec<&str> = r.body["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "tlp-clear",
            "tlp-green",
            "tlp-amber",
            "tlp-amber-strict",
            "tlp-red",
            "op-alpha",
            "inbox"
        ]
    );
    // firm-c is not in the operation: it does not exist for it.
    let c_ids: Vec<Value> = get(addr, "/taxii2/api/collections/", &tokens[2]).body["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert!(!c_ids.contains(&json!("op-alpha")), "{c_ids:?}");

    let inbox = get(addr, "/taxii2/api/collections/inbox/", a);
    taxii_answer(&inbox, 200);
    let writable = sample("oasis-taxii/client-responses/v21/WRITABLE_COLLECTION.json").unwrap();
    same_shape(&writable, &inbox.body, &[], "inbox");
    assert_eq!(
        (
            inbox.body["can_read"].clone(),
            inbox.body["can_write"].clone()
        ),
        (json!(false), json!(true))
    );
    for c in medallion["trustgroup1"]["collections"].as_array().unwrap() {
        let mut c = c.clone();
        let m = c.as_object_mut().unwrap();
        m.remove("objects");
        m.remove("manifest");
        same_shape(&c, &inbox.body, &["description"], "collection");
    }

    // Objects and manifest records (of the first collection with any).
    let (coll, objects) = Tlp::ALL
        .into_iter()
        .map(|t| {
            let id = format!("tlp-{}", t.as_str().replace('+', "-"));
            let r = get(addr, &format!("/taxii2/api/collections/{id}/objects/"), a);
            (t, r)
        })
        .find(|(_, r)| r.body["objects"].is_array())
        .unwrap();
    taxii_answer(&objects, 200);
    let first = &objects.body["objects"][0];
    same_shape(
        &sample("oasis-taxii/client-responses/v21/STIX_OBJECT.json").unwrap(),
        first,
        &[],
        "object",
    );
    assert_eq!(first["type"], "indicator");
    assert_eq!(
        first["object_marking_refs"],
        json!([coll.stix_id()]),
        "an object of a marking's collection has that marking"
    );
    let manifest = get(
        addr,
        &format!(
            "/taxii2/api/collections/tlp-{}/manifest/",
            coll.as_str().replace('+', "-")
        ),
        a,
    );
    taxii_answer(&manifest, 200);
    let tg = medallion["trustgroup1"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["manifest"].as_array().unwrap().is_empty())
        .unwrap();
    same_shape(
        &tg["manifest"][0],
        &manifest.body["objects"][0],
        &[],
        "manifest record",
    );
}

// ------------------------------------------------------------ listings

/// Pages after the first of a walk may come from what the first page's
/// read found (`taxii::Runs`); a commit between two pages is still seen
/// by the next: a new indicator, and one sighted again (its new version),
/// arrive at the end of the walk.
#[test]
fn a_walk_sees_what_is_committed_between_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let subs = generate(9, 30);
    let (store, tokens, _) = build(dir.path(), &subs);
    let (addr, _state) = serve_with(store, config(dir.path(), 1 << 20, 10_000.0));
    let a = &tokens[0];
    let path = "/taxii2/api/collections/tlp-clear/objects/";
    let page = |next: Option<&str>| {
        let url = match next {
            Some(n) => format!("{path}?limit=2&next={n}"),
            None => format!("{path}?limit=2"),
        };
        let r = get(addr, &url, a);
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        r
    };
    let ids = |r: &Reply| -> Vec<(String, String)> {
        r.body["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                (
                    o["id"].as_str().unwrap().to_owned(),
                    o["pattern"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let first = page(None);
    assert_eq!(first.body["more"], true, "{}", first.text);
    let before = ids(&first);
    // Sight the first page's first indicator again, and a new one.
    let again = before[0].1.split('\'').nth(1).unwrap().to_owned();
    let r = common::submit(
        addr,
        a,
        "format=list&tlp=clear",
        format!("{again}\n203.0.113.77\n").as_bytes(),
    );
    assert_eq!(r.status, 202, "{:?}", r.body);
    let mut walked = before.clone();
    let mut next = first.body["next"].as_str().map(str::to_owned);
    while let Some(n) = next {
        let r = page(Some(&n));
        walked.extend(ids(&r));
        next = r.body["next"].as_str().map(str::to_owned);
        assert!(walked.len() < 1000, "the walk does not end");
    }
    let tail: Vec<&str> = walked
        .iter()
        .rev()
        .take(2)
        .map(|(_, p)| p.as_str())
        .collect();
    assert!(
        tail.iter().any(|p| p.contains("203.0.113.77")) && tail.iter().any(|p| p.contains(&again)),
        "the last two objects are not the new and the re-sighted one: {tail:?}"
    );
    assert_eq!(
        walked.iter().filter(|(id, _)| *id == before[0].0).count(),
        2,
        "the re-sighted indicator's first and new version"
    );
}

#[test]
fn paging_filters_manifest_and_versions_agree() {
    let dir = tempfile::tempdir().unwrap();
    let subs = generate(7, 40);
    let (store, tokens, _) = build(dir.path(), &subs);
    let (addr, _state) = serve_with(store, config(dir.path(), 1 << 20, 10_000.0));
    let a = &tokens[0];
    for coll in ["tlp-clear", "tlp-green", "tlp-amber", "tlp-red", "op-alpha"] {
        let objects_path = format!("/taxii2/api/collections/{coll}/objects/");
        let manifest_path = format!("/taxii2/api/collections/{coll}/manifest/");
        let everything = get(addr, &objects_path, a);
        assert_eq!(everything.status, 200);
        assert_eq!(everything.body["more"], false);
        let all: Vec<Value> = everything.body["objects"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let manifest = get(addr, &manifest_path, a);
        let records: Vec<Value> = manifest.body["objects"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!all.is_empty() || coll == "tlp-red", "{coll} is empty");
        assert_eq!(all.len(), records.len(), "{coll}");
        // Ordered by (date_added, id); the manifest says each object's version.
        for (o, m) in all.iter().zip(&records) {
            assert_eq!(o["id"], m["id"]);
            assert_eq!(o["modified"], m["version"]);
            assert_eq!(m["date_added"], m["version"]);
            assert_eq!(m["media_type"], "application/stix+json;version=2.1");
            assert!(o["created"].as_str() <= o["modified"].as_str());
        }
        let keys: Vec<(String, String)> = records
            .iter()
            .map(|m| {
                (
                    m["date_added"].as_str().unwrap().to_owned(),
                    m["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{coll}: not ordered by (date_added, id)");
        if let (Some(first), Some(last)) = (records.first(), records.last()) {
            assert_eq!(
                date_header(&everything, "first"),
                first["date_added"].as_str().map(str::to_owned)
            );
            assert_eq!(
                date_header(&everything, "last"),
                last["date_added"].as_str().map(str::to_owned)
            );
        }

        // Pages of 3 see every object exactly once, in the same order, and
        // each page's date headers are its own first and last.
        for (path, key) in [(&objects_path, "objects"), (&manifest_path, "objects")] {
            let pages = walk(addr, path, a, 3);
            let walked: Vec<&Value> = items(&pages, key);
            let expected: Vec<&Value> = if path == &objects_path {
                all.iter().collect()
            } else {
                records.iter().collect()
            };
            assert_eq!(walked, expected, "{path}: paging changed the listing");
            for p in &pages {
                let list = p.body[key].as_array().cloned().unwrap_or_default();
                assert!(list.len() <= 3);
                let date = |v: &Value| -> Option<String> {
                    let id = v["id"].as_str()?;
                    records
                        .iter()
                        .find(|m| m["id"] == id)
                        .and_then(|m| m["date_added"].as_str().map(str::to_owned))
                };
                assert_eq!(date_header(p, "first"), list.first().and_then(date));
                assert_eq!(date_header(p, "last"), list.last().and_then(date));
            }
        }
        if records.len() < 3 {
            continue;
        }

        // added_after: strictly after.
        let cut = records[records.len() / 2]["date_added"].as_str().unwrap();
        let after = get(addr, &format!("{objects_path}?added_after={cut}"), a);
        let expected: Vec<&Value> = all
            .iter()
            .zip(&records)
            .filter(|(_, m)| m["date_added"].as_str().unwrap() > cut)
            .map(|(o, _)| o)
            .collect();
        let got: Vec<&Value> = after.body["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(got, expected, "{coll}: added_after={cut}");

        // match[id], match[type], match[version].
        let (x, y) = (&all[0], &all[2]);
        let ids = format!(
            "{},{}",
            x["id"].as_str().unwrap(),
            y["id"].as_str().unwrap()
        );
        let r = get(addr, &format!("{objects_path}?match[id]={ids}"), a);
        assert_eq!(r.body["objects"], json!([x, y]), "{coll}: match[id]");
        let r = get(addr, &format!("{objects_path}?match[type]=malware"), a);
        assert!(r.body["objects"].is_null(), "{coll}: match[type]=malware");
        assert_eq!(r.body["more"], false);
        let r = get(
            addr,
            &format!("{objects_path}?match[type]=malware,indicator"),
            a,
        );
        assert_eq!(r.body["objects"].as_array().unwrap().len(), all.len());
        for v in ["first", "last", "all", "first,last"] {
            let r = get(addr, &format!("{objects_path}?match[version]={v}"), a);
            assert_eq!(
                r.body["objects"].as_array().unwrap().len(),
                all.len(),
                "{v}"
            );
        }
        let version = y["modified"].as_str().unwrap();
        let r = get(
            addr,
            &format!("{manifest_path}?match[version]={version}"),
            a,
        );
        assert!(
            r.body["objects"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["version"] == version)
        );

        // One object, its versions.
        let one = format!("{objects_path}{}/", y["id"].as_str().unwrap());
        let r = get(addr, &one, a);
        taxii_answer(&r, 200);
        assert_eq!(r.body["objects"], json!([y]));
        let r = get(addr, &format!("{one}versions/"), a);
        taxii_answer(&r, 200);
        assert_eq!(r.body, json!({"more": false, "versions": [version]}));
        let r = get(
            addr,
            &format!("{one}?match[version]=2001-01-01T00:00:00.000Z"),
            a,
        );
        assert_eq!(r.body, json!({"more": false}));
        let r = get(
            addr,
            &format!("{objects_path}indicator--00000000-0000-8000-8000-000000000000/"),
            a,
        );
        taxii_answer(&r, 404);
    }

    // Bad parameters are 400 in TAXII's shape; a limit over the server's is capped.
    let path = "/taxii2/api/collections/tlp-green/objects/";
    for bad in [
        "limit=0",
        "limit=x",
        "next=garbage",
        "added_after=yesterday",
    ] {
        let r = get(addr, &format!("{path}?{bad}"), a);
        taxii_answer(&r, 400);
        assert_eq!(r.body["http_status"], "400", "{bad}");
        assert_eq!(r.body["error_code"], "bad_request");
    }
    let r = get(addr, &format!("{path}?limit=100000"), a);
    assert_eq!(r.status, 200);
}

// ------------------------------------------------------------ the inbox

/// A STIX bundle as an envelope.
fn envelope_of(bundle: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "objects": bundle["objects"] })).unwrap()
}

fn all_object_ids(addr: SocketAddr, t: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let colls = get(addr, "/taxii2/api/collections/", t);
    for c in colls.body["collections"].as_array().unwrap() {
        if c["can_read"] != true {
            continue;
        }
        let id = c["id"].as_str().unwrap();
        for page in walk(
            addr,
            &format!("/taxii2/api/collections/{id}/objects/"),
            t,
            50,
        ) {
            for o in page.body["objects"].as_array().into_iter().flatten() {
                out.insert((id.to_owned(), o["pattern"].as_str().unwrap().to_owned()));
            }
        }
    }
    out
}

#[test]
fn the_inbox_stores_envelopes_under_the_sharing_policy() {
    let Some(bundle) = sample("oasis-stix2-json-schemas/examples/indicators-for-C2-with-COA.json")
    else {
        return;
    };
    let Some(c2) = sample("oasis-stix2-json-schemas/examples/indicator-for-c2-ip-address.json")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut store, tokens, _) = build(dir.path(), &[]);
    let read_only = token(&mut store, 9, "firm-c", Role::ReadOnly, &[Scope::Read]);
    let submit_only = token(&mut store, 10, "firm-c", Role::Analyst, &[Scope::Submit]);
    let (addr, _state) = serve_with(store, config(dir.path(), 1 << 20, 1000.0));
    let (a, b) = (&tokens[0], &tokens[1]);
    let inbox = "/taxii2/api/collections/inbox/objects/";

    // Unmarked: AMBER, for the submitter only.
    let r = post(addr, inbox, a, &envelope_of(&bundle));
    taxii_answer(&r, 202);
    let status = r.body.clone();
    let example = sample("oasis-taxii/client-responses/v21/STATUS_RESPONSE.json").unwrap();
    same_shape(
        &example,
        &status,
        &["request_timestamp", "failures", "pendings"],
        "status",
    );
    let objects = bundle["objects"].as_array().unwrap();
    assert_eq!(status["status"], "complete");
    assert_eq!(status["total_count"], objects.len());
    assert_eq!(status["pending_count"], 0);
    let succeeded = status["successes"].as_array().unwrap();
    let failed = status["failures"].as_array().cloned().unwrap_or_default();
    assert_eq!(status["success_count"], succeeded.len());
    assert_eq!(status["failure_count"], failed.len());
    let reported: BTreeSet<&str> = succeeded
        .iter()
        .chain(&failed)
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    let sent: BTreeSet<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(reported, sent, "every object is a success or a failure");
    assert!(failed.is_empty(), "an OASIS example failed: {failed:?}");

    // The status again, for the submitter only.
    let id = status["id"].as_str().unwrap();
    let again = get(addr, &format!("/taxii2/api/status/{id}/"), a);
    taxii_answer(&again, 200);
    assert_eq!(again.body, status);
    let other = get(addr, &format!("/taxii2/api/status/{id}/"), b);
    taxii_answer(&other, 404);
    let random = get(addr, &format!("/taxii2/api/status/{}/", "ab".repeat(32)), b);
    assert_eq!(
        other.body["description"].as_str().unwrap().replace(id, "x"),
        random.body["description"]
            .as_str()
            .unwrap()
            .replace(&"ab".repeat(32), "x")
    );

    // The indicators, in the submitter's AMBER collection, nowhere for firm-b.
    let sha256 = "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']";
    let mine = all_object_ids(addr, a);
    assert!(
        mine.contains(&("tlp-amber".into(), sha256.into())),
        "{mine:?}"
    );
    assert!(all_object_ids(addr, b).is_empty());
    let amber = get(addr, "/taxii2/api/collections/tlp-amber/objects/", a);
    let private = amber.body["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["pattern"] == "[ipv4-addr:value = '10.0.0.0']")
        .expect("the private address is served");
    assert_eq!(
        private["revoked"], true,
        "a non-routable address is revoked"
    );

    // GREEN: firm-b sees it too; posting the same envelope again changes nothing.
    let green = format!("{inbox}?tlp=green");
    let r = post(addr, &green, a, &envelope_of(&c2));
    taxii_answer(&r, 202);
    let again = post(addr, &green, a, &envelope_of(&c2));
    assert_eq!(again.body, r.body);
    let theirs = all_object_ids(addr, b);
    assert_eq!(
        theirs,
        [(
            "tlp-green".to_owned(),
            "[ipv4-addr:value = '10.0.0.0']".to_owned()
        )]
        .into()
    );

    // The API's sharing options in the query: AMBER named for firm-b, and
    // AMBER in operation alpha (cert-a and firm-b), never for firm-c.
    let one = |n: u8| {
        let ip = format!("198.51.100.{n}");
        let envelope = json!({"objects": [{
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--a6a6e4a2-6b5c-4b2c-8d2b-1f6f3b1d0e{n:02x}"),
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z"}]});
        (
            serde_json::to_vec(&envelope).unwrap(),
            format!("[ipv4-addr:value = '{ip}']"),
        )
    };
    let c = &tokens[2];
    let (shared, shared_pattern) = one(201);
    let r = post(
        addr,
        &format!("{inbox}?tlp=amber&share_with=firm-b"),
        a,
        &shared,
    );
    taxii_answer(&r, 202);
    let (in_op, op_pattern) = one(202);
    let r = post(
        addr,
        &format!("{inbox}?tlp=amber&operation=alpha"),
        a,
        &in_op,
    );
    taxii_answer(&r, 202);
    let theirs = all_object_ids(addr, b);
    assert!(
        theirs.contains(&("tlp-amber".into(), shared_pattern.clone())),
        "{theirs:?}"
    );
    assert!(
        theirs.contains(&("op-alpha".into(), op_pattern.clone())),
        "{theirs:?}"
    );
    let outsider = all_object_ids(addr, c);
    assert!(
        !outsider
            .iter()
            .any(|(_, p)| *p == shared_pattern || *p == op_pattern),
        "{outsider:?}"
    );
    let r = post(
        addr,
        &format!("{inbox}?operation=no-such-op"),
        a,
        &one(203).0,
    );
    taxii_answer(&r, 400);
    let r = post(addr, &format!("{inbox}?tlp=purple"), a, &one(204).0);
    taxii_answer(&r, 400);

    // A bad object is a failure with its id and message; the rest go in.
    let bad = json!({"objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--a6a6e4a2-6b5c-4b2c-8d2b-1f6f3b1d0f01",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
         "pattern": "[ipv4-addr:value = '999.1.2.3']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--a6a6e4a2-6b5c-4b2c-8d2b-1f6f3b1d0f02",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
         "pattern": "[ipv4-addr:value = '198.51.100.200']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
    ]});
    let r = post(addr, inbox, a, &serde_json::to_vec(&bad).unwrap());
    taxii_answer(&r, 202);
    assert_eq!(r.body["total_count"], 2, "{}", r.body);
    assert_eq!(r.body["failure_count"], 1, "{}", r.body);
    assert_eq!(
        r.body["failures"][0]["id"],
        "indicator--a6a6e4a2-6b5c-4b2c-8d2b-1f6f3b1d0f01"
    );
    assert!(r.body["failures"][0]["message"].is_string());
    assert_eq!(
        r.body["successes"][0]["id"],
        "indicator--a6a6e4a2-6b5c-4b2c-8d2b-1f6f3b1d0f02"
    );

    // Scopes: adding needs submit, reading needs read.
    let r = post(addr, inbox, &read_only, &envelope_of(&c2));
    taxii_answer(&r, 403);
    assert_eq!(r.body["error_code"], "forbidden");
    let r = get(
        addr,
        "/taxii2/api/collections/tlp-green/objects/",
        &submit_only,
    );
    taxii_answer(&r, 403);
    let r = get(addr, "/taxii2/api/collections/", &submit_only);
    taxii_answer(&r, 200);
    let r = post(addr, inbox, &submit_only, &envelope_of(&c2));
    taxii_answer(&r, 202);
    // Read-only collections, and the unreadable inbox.
    let r = post(
        addr,
        "/taxii2/api/collections/tlp-green/objects/",
        a,
        &envelope_of(&c2),
    );
    taxii_answer(&r, 403);
    let r = get(addr, inbox, a);
    taxii_answer(&r, 403);
    // Envelopes that are not.
    for body in [&b"not json"[..], br#"{"objects": []}"#, br#"{"type": "x"}"#] {
        let r = post(addr, inbox, a, body);
        taxii_answer(&r, 400);
    }
}

#[test]
fn media_types_authentication_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (store, tokens, _) = build(dir.path(), &generate(3, 6));
    let (addr, _state) = serve_with(store, config(dir.path(), 64 << 10, 1000.0));
    let a = &tokens[0];
    let c = &tokens[2];
    let objects = "/taxii2/api/collections/tlp-green/objects/";

    // Accept.
    for ok in [
        TAXII,
        "application/taxii+json",
        "*/*",
        "application/json, application/taxii+json;version=2.1",
        "application/*",
    ] {
        let r = http_with(addr, "GET", objects, Some(a), &[("Accept", ok)], b"");
        assert_eq!(r.status, 200, "Accept: {ok}");
    }
    let r = http_with(addr, "GET", objects, Some(a), &[], b"");
    assert_eq!(r.status, 200, "no Accept header");
    for bad in [
        "application/json",
        "application/taxii+json;version=2.0",
        "text/html",
        "application/taxii+json;version=2.1;q=0",
    ] {
        let r = http_with(addr, "GET", objects, Some(a), &[("Accept", bad)], b"");
        taxii_answer(&r, 406);
        assert_eq!(r.body["error_code"], "not_acceptable", "{bad}");
        assert_eq!(r.body["http_status"], "406");
        assert!(r.body["title"].is_string());
    }

    // Content-Type of an envelope.
    let inbox = "/taxii2/api/collections/inbox/objects/";
    let body = br#"{"objects": [{"type": "indicator"}]}"#;
    for bad in [
        "application/json",
        "text/plain",
        "application/taxii+json;version=2.0",
        "",
    ] {
        let mut h = vec![("Accept", TAXII)];
        if !bad.is_empty() {
            h.push(("Content-Type", bad));
        }
        let r = http_with(addr, "POST", inbox, Some(a), &h, body);
        taxii_answer(&r, 415);
        assert_eq!(r.body["error_code"], "unsupported_media_type");
    }

    // 401: no token, a bad one; WWW-Authenticate as for the API.
    for t in [None, Some("pelita_0000000000000001_nope")] {
        let r = http_with(addr, "GET", objects, t, &[("Accept", TAXII)], b"");
        taxii_answer(&r, 401);
        assert_eq!(r.body["error_code"], "unauthenticated");
        assert!(r.header("www-authenticate").is_some());
    }
    let r = http_with(addr, "GET", "/taxii2/", None, &[], b"");
    taxii_answer(&r, 401);

    // 404: an operation firm-c is not in reads exactly like a made-up id.
    let hidden = get(addr, "/taxii2/api/collections/op-alpha/objects/", c);
    let made_up = get(addr, "/taxii2/api/collections/op-nothing/objects/", c);
    taxii_answer(&hidden, 404);
    taxii_answer(&made_up, 404);
    assert_eq!(
        hidden.body["description"]
            .as_str()
            .unwrap()
            .replace("alpha", "x"),
        made_up.body["description"]
            .as_str()
            .unwrap()
            .replace("nothing", "x")
    );
    for path in [
        "/taxii2/api/collections/op-alpha/",
        "/taxii2/api/collections/op-alpha/manifest/",
    ] {
        taxii_answer(&get(addr, path, c), 404);
    }
    let r = post(addr, "/taxii2/api/collections/op-alpha/objects/", c, body);
    taxii_answer(&r, 404);
    assert_eq!(
        get(addr, "/taxii2/api/collections/op-alpha/", a).status,
        200
    );
    taxii_answer(&get(addr, "/taxii2/api/nothing/", a), 404);
    // The API keeps its own error shape.
    let r = get(addr, "/api/v1/nothing", a);
    assert_eq!(r.body["error"]["code"], "not_found");

    // Limits: the body, and the objects of one envelope.
    let big = vec![b' '; 70 << 10];
    let r = post(addr, inbox, a, &big);
    taxii_answer(&r, 413);
    assert_eq!(r.body["error_code"], "too_large");
    let many = format!(
        "{{\"objects\": [{}]}}",
        vec!["{}"; pelita_server::taxii::ENVELOPE_MAX_OBJECTS + 1].join(",")
    );
    let r = post(addr, inbox, a, many.as_bytes());
    taxii_answer(&r, 413);
    assert!(
        r.body["description"].as_str().unwrap().contains("at most"),
        "{}",
        r.body
    );
}

// ------------------------------------------------------------ view-equivalence

/// One answer: what was asked, the status, the body, the date headers.
type Answer = (String, u16, Value, Option<String>, Option<String>);

/// Everything an organisation can read over TAXII: the collection list,
/// and every page of every readable collection's objects and manifest
/// (pages of 2, bodies and date headers).
fn everything(addr: SocketAddr, t: &str) -> Vec<Answer> {
    let mut out = Vec::new();
    let colls = get(addr, "/taxii2/api/collections/", t);
    out.push((
        "collections".into(),
        colls.status,
        colls.body.clone(),
        None,
        None,
    ));
    for c in colls.body["collections"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        if c["can_read"] != true {
            continue;
        }
        for what in ["objects", "manifest"] {
            let path = format!("/taxii2/api/collections/{id}/{what}/");
            for p in walk(addr, &path, t, 2) {
                out.push((
                    path.clone(),
                    p.status,
                    p.body.clone(),
                    date_header(&p, "first"),
                    date_header(&p, "last"),
                ));
            }
            // And filtered: after the middle of the listing.
            let all = get(addr, &format!("/taxii2/api/collections/{id}/manifest/"), t);
            if let Some(mid) = all.body["objects"]
                .as_array()
                .and_then(|l| l.get(l.len() / 2))
            {
                let cut = mid["date_added"].as_str().unwrap();
                let r = get(addr, &format!("{path}?added_after={cut}"), t);
                out.push((format!("{path}?added_after"), r.status, r.body, None, None));
            }
        }
    }
    out
}

#[test]
fn each_organisation_reads_what_a_store_of_only_its_sightings_answers() {
    for seed in [11u64, 12, 13] {
        let subs = generate(seed, 24);
        let dir = tempfile::tempdir().unwrap();
        let (store, tokens, _) = build(dir.path(), &subs);
        let ids: Vec<OrgId> = ORGS
            .iter()
            .map(|o| store.org_id(o).unwrap().unwrap())
            .collect();
        let id_of = |name: &str| ids[ORGS.iter().position(|o| *o == name).unwrap()];
        let members: Vec<OrgId> = op_spec().organisations.iter().map(|o| id_of(o)).collect();
        let (addr, _state) = serve_with(store, config(dir.path(), 1 << 20, 100_000.0));
        for (n, viewer) in ORGS.iter().enumerate() {
            let visible: Vec<Sub> = subs
                .iter()
                .filter(|s| {
                    let recipients: Vec<OrgId> = s.recipients.iter().map(|r| id_of(r)).collect();
                    let facts = SightingFacts {
                        tlp: s.tlp,
                        submitter: id_of(s.org),
                        recipients: &recipients,
                        operation_members: if s.in_op { &members } else { &[] },
                    };
                    may_see(Reader::Member(ids[n]), Tlp::Amber, &facts)
                })
                .cloned()
                .collect();
            let ref_dir = tempfile::tempdir().unwrap();
            let (ref_store, ref_tokens, _) = build(ref_dir.path(), &visible);
            let (ref_addr, _ref_state) =
                serve_with(ref_store, config(ref_dir.path(), 1 << 20, 100_000.0));
            let got = everything(addr, &tokens[n]);
            let want = everything(ref_addr, &ref_tokens[n]);
            assert!(
                got.iter().any(|(p, ..)| p.contains("objects")),
                "seed {seed}: {viewer} reads nothing"
            );
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "seed {seed}, {viewer}: {}", g.0);
            }
            assert_eq!(got.len(), want.len(), "seed {seed}, {viewer}");
        }
    }
}

// ------------------------------------------------------------ taxii2-client

/// The reference Python client, end to end (only with `PELITA_TAXII_CLIENT=1`;
/// `PELITA_REQUIRE_TOOLS=1` turns a skip into a failure).
#[test]
fn the_reference_client_taxii2_client_works_end_to_end() {
    let wanted = std::env::var("PELITA_TAXII_CLIENT").is_ok_and(|v| v == "1");
    let required = std::env::var("PELITA_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    if !wanted {
        assert!(
            !required,
            "PELITA_REQUIRE_TOOLS=1 but PELITA_TAXII_CLIENT is not 1: the taxii2-client test would be skipped"
        );
        eprintln!("SKIPPED: set PELITA_TAXII_CLIENT=1 to run taxii2-client against the server");
        return;
    }
    let root = pelita_test_support::workspace_root();
    let venv = root.join("target/taxii-venv");
    let script = root.join("scripts/taxii-client-test.sh");
    let dir = tempfile::tempdir().unwrap();
    // Ten GREEN indicators from firm-b, two an hour, and some noise.
    let mut subs: Vec<Sub> = (0..10)
        .map(|n| Sub {
            org: "firm-b",
            tlp: Some(Tlp::Green),
            recipients: Vec::new(),
            in_op: false,
            at: base() + Duration::hours(n / 2),
            body: format!("198.51.100.{}\n", 100 + n),
        })
        .collect();
    subs.extend(generate(5, 10));
    let (store, tokens, _) = build(dir.path(), &subs);
    let (addr, _state) = serve_with(store, config(dir.path(), 1 << 20, 10_000.0));
    let expected = {
        let r = get(
            addr,
            "/taxii2/api/collections/tlp-green/manifest/",
            &tokens[0],
        );
        r.body["objects"].as_array().map_or(0, Vec::len)
    };
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(format!("http://{addr}/taxii2/"))
        .env("TAXII_TOKEN", &tokens[0])
        .env("TAXII_VENV", &venv)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the client failed:\n{stdout}\n{stderr}"
    );
    let result: Value = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap_or_else(|| panic!("no RESULT line:\n{stdout}\n{stderr}"));
    assert_eq!(result["title"], "Pelita TAXII 2.1 server");
    assert_eq!(result["api_root_versions"], json!([TAXII]));
    let colls: Vec<&str> = result["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        colls.contains(&"tlp-green") && colls.contains(&"inbox"),
        "{colls:?}"
    );
    assert!(expected > 3, "too few objects to page: {expected}");
    assert_eq!(result["paged_objects"], expected);
    assert_eq!(result["distinct_paged_objects"], expected);
    assert!(result["pages"].as_u64().unwrap() > 1);
    assert_eq!(result["manifest_records"], expected);
    assert_eq!(result["got_object_matches"], true);
    assert_eq!(result["status"], "complete");
    assert_eq!(result["status_total"], 2);
    assert_eq!(result["status_success"], 2);
    assert_eq!(result["status_again_matches"], true);
    assert_eq!(result["added_visible"], true);
}
