//! Multipart submissions and the MISP feed export: a feed Pelita serves
//! reads back, through Pelita's own MISP feed reader, as exactly the
//! indicators its reader may see.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::collections::BTreeSet;

use common::{config, http, http_with, serve_with, submit, token};
use pelita_auth::{Role, Scope};
use pelita_enrich::Enricher;
use pelita_model::{Collect, ParseContext};
use pelita_store::{SqliteStore, Store as _};

/// Two documentation /24s placed in two countries for this test.
const OVERRIDES: &str = "network,country,asn,as name
198.18.0.0/24,SG,64496,Test Hosting SG (synthetic)
198.18.64.0/24,MY,64498,Test Hosting MY (synthetic)
";

fn setup() -> (tempfile::TempDir, std::net::SocketAddr, [String; 3]) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store.set_enricher(
        Enricher::builtin()
            .add_csv_overrides_text("test", OVERRIDES)
            .unwrap()
            .without_benign_lists(&["rfc5735"]),
    );
    store.mark_synthetic().unwrap();
    store.put_organisation("cert-sg", Role::Analyst).unwrap();
    store.put_organisation("firm-b", Role::Analyst).unwrap();
    store.put_organisation("firm-c", Role::Analyst).unwrap();
    store
        .put_operation(&pelita_store::OperationSpec {
            name: "op-x".into(),
            title: "Operation X (synthetic)".into(),
            starts_at: None,
            ends_at: None,
            countries: vec!["SG".into(), "MY".into()],
            organisations: vec!["cert-sg".into(), "firm-b".into()],
            scope: "C2 takedown".into(),
        })
        .unwrap();
    let scopes = [Scope::Read, Scope::Submit, Scope::Report];
    let a = token(&mut store, 1, "cert-sg", Role::Analyst, &scopes);
    let b = token(&mut store, 2, "firm-b", Role::Analyst, &scopes);
    let c = token(&mut store, 3, "firm-c", Role::Analyst, &scopes);
    let (addr, _state) = serve_with(store, config(dir.path(), 1 << 20, 1000.0));
    (dir, addr, [a, b, c])
}

/// A multipart/form-data body with a file and text fields.
fn form(boundary: &str, file_name: &str, file: &[u8], fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

fn post_form(addr: std::net::SocketAddr, t: &str, body: &[u8]) -> common::Reply {
    http_with(
        addr,
        "POST",
        "/api/v1/submissions",
        Some(t),
        &[("Content-Type", "multipart/form-data; boundary=XyZ")],
        body,
    )
}

#[test]
fn a_multipart_upload_is_a_submission_with_its_options_and_file_name() {
    let (_dir, addr, [a, _b, _c]) = setup();
    let body = form(
        "XyZ",
        "sg-c2.txt",
        b"198.18.0.1\n198.18.0.2\nnot an indicator at all\n",
        &[("format", "list"), ("tlp", "green")],
    );
    let r = post_form(addr, &a, &body);
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["report"]["name"], "sg-c2.txt");
    assert_eq!(r.body["stored"]["sightings_added"], 2);
    let bad = &r.body["report"]["errors"]["indicator.invalid"];
    assert_eq!(
        (&bad["count"], &bad["first"][0]["location"]["line"]),
        (&1.into(), &3.into()),
        "{}",
        r.text
    );
    // The submission's status says where the bad record was.
    let sha = r.body["submission"].as_str().unwrap();
    let s = http(
        addr,
        "GET",
        &format!("/api/v1/submissions/{sha}"),
        Some(&a),
        b"",
    );
    assert_eq!(s.status, 200);
    assert_eq!(
        s.body["errors"]["indicator.invalid"]["first"][0]["location"]["line"], 3,
        "{}",
        s.text
    );
    // And lists every error in order, each with its code and place.
    let located = s.body["located"].as_array().unwrap();
    assert_eq!(located.len(), 1, "{}", s.text);
    assert_eq!(
        (&located[0]["code"], &located[0]["location"]["line"]),
        (&"indicator.invalid".into(), &3.into())
    );

    // A form without a file, with an unknown field, or unauthenticated.
    let r = post_form(
        addr,
        &a,
        b"--XyZ\r\nContent-Disposition: form-data; name=\"tlp\"\r\n\r\ngreen\r\n--XyZ--\r\n",
    );
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{}",
        r.text
    );
    let r = post_form(
        addr,
        &a,
        &form("XyZ", "x.txt", b"198.18.0.9\n", &[("colour", "blue")]),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("colour"), "{}", r.text);
    let r = http_with(
        addr,
        "POST",
        "/api/v1/submissions",
        None,
        &[("Content-Type", "multipart/form-data; boundary=XyZ")],
        &body,
    );
    assert_eq!(r.status, 401);
}

#[test]
fn the_misp_feed_reads_back_as_what_its_reader_may_see() {
    let (dir, addr, [a, b, _c]) = setup();
    for (t, tlp, values) in [
        (&a, "green", "198.18.0.1\n198.18.0.2\n198.18.64.1\n"),
        (&a, "amber", "198.18.0.3\n198.18.64.2\n"),
        (&b, "green", "198.18.64.3\n"),
    ] {
        let r = submit(
            addr,
            t,
            &format!("format=list&tlp={tlp}"),
            values.as_bytes(),
        );
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let visible = |t: &str| -> BTreeSet<String> {
        let r = http(addr, "GET", "/api/v1/exports/blocklist", Some(t), b"");
        r.text.lines().map(str::to_owned).collect()
    };
    for (who, t) in [("cert-sg", &a), ("firm-b", &b)] {
        // Fetch the feed as MISP would, into a folder.
        let feed = dir.path().join(format!("feed-{who}"));
        std::fs::create_dir_all(&feed).unwrap();
        let m = http(
            addr,
            "GET",
            "/api/v1/exports/misp-feed/manifest.json",
            Some(t),
            b"",
        );
        assert_eq!(m.status, 200, "{}", m.text);
        std::fs::write(feed.join("manifest.json"), &m.text).unwrap();
        let uuids: Vec<String> = m.body.as_object().unwrap().keys().cloned().collect();
        assert_eq!(uuids.len(), 2, "{who}: one event per country: {}", m.text);
        for u in &uuids {
            let e = http(
                addr,
                "GET",
                &format!("/api/v1/exports/misp-feed/{u}.json"),
                Some(t),
                b"",
            );
            assert_eq!(
                (e.status, e.body["Event"]["uuid"].as_str()),
                (200, Some(u.as_str())),
                "{}",
                e.text
            );
            std::fs::write(feed.join(format!("{u}.json")), &e.text).unwrap();
        }
        let h = http(
            addr,
            "GET",
            "/api/v1/exports/misp-feed/hashes.csv",
            Some(t),
            b"",
        );
        assert_eq!(h.status, 200);
        std::fs::write(feed.join("hashes.csv"), &h.text).unwrap();

        // Pelita's own feed reader takes it, and it holds exactly the view.
        let mut sink = Collect::default();
        let summary = pelita_misp::parse_feed_dir(&feed, &ParseContext::default(), &mut sink);
        assert!(
            sink.problems.is_empty(),
            "{who}: {:?} {summary:?}",
            sink.problems
        );
        let got: BTreeSet<String> = sink.observations.iter().map(|o| o.value.clone()).collect();
        assert_eq!(got, visible(t), "{who}");
        assert_eq!(
            h.text.lines().count(),
            got.len(),
            "{who}: one hash per attribute"
        );
    }
    // firm-b does not get cert-sg's AMBER values, not even as hashes.
    let h = http(
        addr,
        "GET",
        "/api/v1/exports/misp-feed/hashes.csv",
        Some(&b),
        b"",
    );
    assert_eq!(h.text.lines().count(), 4, "{}", h.text);
    let e = http(
        addr,
        "GET",
        "/api/v1/exports/misp-feed/00000000-0000-8000-8000-000000000000.json",
        Some(&b),
        b"",
    );
    assert_eq!(e.status, 404);
}

#[test]
fn search_finds_every_value_in_pasted_prose_defanged_or_not() {
    let (_dir, addr, [a, b, _c]) = setup();
    let r = submit(
        addr,
        &a,
        "format=list&tlp=amber",
        b"198.18.0.7\nhttp://login.bank-sg.com.sg.test/x\n",
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let text = "Victims reported hxxp://login[.]bank-sg[.]com[.]sg[.]test/x and C2 198[.]18[.]0[.]7;\nalso 198.18.0.8 (unknown), and 198.18.0.7 again.";
    let r = http(addr, "POST", "/api/v1/search", Some(&a), text.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.body["values"], &r.body["found"]),
        (&3.into(), &2.into()),
        "{}",
        r.text
    );
    let keys: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"ipv4:198.18.0.7") && keys.contains(&"ipv4:198.18.0.8"),
        "{keys:?}"
    );
    // Another organisation finds nothing: AMBER is the submitter's.
    let r = http(addr, "POST", "/api/v1/search", Some(&b), text.as_bytes());
    assert_eq!(
        (&r.body["values"], &r.body["found"]),
        (&3.into(), &0.into()),
        "{}",
        r.text
    );
}

#[test]
fn an_operation_report_is_for_its_members_only() {
    let (_dir, addr, [a, b, c]) = setup();
    let r = submit(
        addr,
        &a,
        "format=list&tlp=amber&operation=op-x",
        b"198.18.0.1\n198.18.64.1\n",
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let r = http(addr, "GET", "/api/v1/reports/operation/op-x", Some(&a), b"");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["operation"]["name"], "op-x");
    assert_eq!(r.body["submissions"], 1, "{}", r.text);
    // A member that submitted nothing sees the operation's AMBER (same operation).
    let r = http(addr, "GET", "/api/v1/reports/operation/op-x", Some(&b), b"");
    assert_eq!(r.status, 200, "{}", r.text);
    // A non-member gets what it gets for an operation that does not exist.
    let hidden = http(addr, "GET", "/api/v1/reports/operation/op-x", Some(&c), b"");
    let absent = http(addr, "GET", "/api/v1/reports/operation/op-y", Some(&c), b"");
    assert_eq!((hidden.status, absent.status), (404, 404));
    assert_eq!(hidden.body["error"]["code"], absent.body["error"]["code"]);
}

#[test]
fn only_members_file_submissions_under_an_operation() {
    let (_dir, addr, [a, _b, c]) = setup();
    // firm-c is not in op-x: filing under it would share its AMBER with
    // op-x's members and put its data in their report.
    let outsider = submit(
        addr,
        &c,
        "format=list&tlp=amber&operation=op-x",
        b"198.18.0.9\n",
    );
    let absent = submit(
        addr,
        &c,
        "format=list&tlp=amber&operation=op-y",
        b"198.18.0.9\n",
    );
    assert_eq!(
        (outsider.status, absent.status),
        (400, 400),
        "{}",
        outsider.text
    );
    // The same answer as for an operation that does not exist, name aside.
    assert_eq!(outsider.body["error"]["code"], absent.body["error"]["code"]);
    assert_eq!(
        outsider.body["error"]["message"]
            .as_str()
            .map(|m| m.replace("op-x", "op-y")),
        absent.body["error"]["message"].as_str().map(str::to_owned),
    );
    // Nothing was archived or stored for the refused submission.
    let r = http(addr, "GET", "/api/v1/reports/operation/op-x", Some(&a), b"");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["submissions"], 0, "{}", r.text);
    let r = http(addr, "POST", "/api/v1/search", Some(&c), b"198.18.0.9");
    assert_eq!(r.body["found"], 0, "{}", r.text);
    // A member may.
    let member = submit(
        addr,
        &a,
        "format=list&tlp=amber&operation=op-x",
        b"198.18.0.9\n",
    );
    assert_eq!(member.status, 202, "{}", member.text);
}
