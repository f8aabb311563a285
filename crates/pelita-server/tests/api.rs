//! The API over real HTTP on loopback: two organisations with different
//! markings see exactly what the sharing policy lets them see; a hidden
//! indicator answers exactly like an absent one; tokens, scopes, roles,
//! revocation, the body limit, security headers and the audit log.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;

use common::{config, head_only, http, serve, serve_with, submit, token};
use pelita_auth::{Role, Scope};
use pelita_store::{SqliteStore, Store as _};
use serde_json::Value;

#[test]
fn each_organisation_sees_exactly_what_the_policy_allows() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    for (org, role) in [
        ("cert-a", Role::Analyst),
        ("firm-b", Role::Analyst),
        ("viewer-c", Role::ReadOnly),
    ] {
        store.put_organisation(org, role).unwrap();
    }
    // The values are documentation addresses: a synthetic store treats them as
    // the infrastructure they stand for (else exports leave them out as non-routable).
    store.mark_synthetic().unwrap();
    let all = [Scope::Read, Scope::Submit, Scope::Report];
    let a = token(&mut store, 1, "cert-a", Role::Analyst, &all);
    let b = token(&mut store, 2, "firm-b", Role::Analyst, &all);
    let c = token(
        &mut store,
        3,
        "viewer-c",
        Role::ReadOnly,
        &[Scope::Read, Scope::Report],
    );
    let revoked = token(&mut store, 4, "firm-b", Role::Analyst, &all);
    store.revoke_token(&format!("{:016x}", 4)).unwrap();
    let (addr, state) = serve_with(store, config(dir.path(), 1 << 20, 1000.0));

    // cert-a shares an AMBER C2, firm-b a GREEN one.
    let r = submit(
        addr,
        &a,
        "format=list&tlp=amber&name=a.txt",
        b"198.51.100.7\n300.1.2.3\n",
    );
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert_eq!(r.body["stored"]["sightings_added"], 1);
    assert_eq!(
        r.body["report"]["records"], 1,
        "the bad record is an error, the rest goes through"
    );
    let r = submit(
        addr,
        &b,
        "format=list&tlp=green&name=b.txt",
        b"203.0.113.9\n",
    );
    assert_eq!(r.status, 202, "{:?}", r.body);

    // The submitter sees its AMBER sighting; the other partner gets exactly
    // the answer it gets for a value nobody ever submitted.
    let mine = http(
        addr,
        "GET",
        "/api/v1/indicators/198.51.100.7",
        Some(&a),
        b"",
    );
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["exact"]["sources"][0]["source"], "cert-a");
    let hidden = http(
        addr,
        "GET",
        "/api/v1/indicators/198.51.100.7",
        Some(&b),
        b"",
    );
    let absent = http(
        addr,
        "GET",
        "/api/v1/indicators/198.51.100.99",
        Some(&b),
        b"",
    );
    assert_eq!(hidden.status, 404);
    assert_eq!(absent.status, 404);
    assert_eq!(hidden.body["error"]["code"], absent.body["error"]["code"]);
    let strip = |v: &Value| {
        v["error"]["message"]
            .as_str()
            .unwrap()
            .replace("198.51.100.99", "198.51.100.7")
    };
    assert_eq!(
        strip(&hidden.body),
        strip(&absent.body),
        "hidden and absent must read the same"
    );
    // GREEN is for every member, in any notation.
    for t in [&a, &b, &c] {
        let r = http(
            addr,
            "GET",
            "/api/v1/indicators/203.0.113%5B.%5D9",
            Some(t),
            b"",
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    // Counts follow the same policy.
    let count = |t: &str| {
        http(addr, "GET", "/api/v1/stats", Some(t), b"").body["indicators"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(&a), 2);
    assert_eq!(count(&b), 1);
    assert_eq!(count(&c), 1);
    // A named recipient sees AMBER.
    let r = submit(
        addr,
        &a,
        "format=list&tlp=amber&share_with=firm-b&name=c.txt",
        b"198.51.100.8\n",
    );
    assert_eq!(r.status, 202);
    assert_eq!(
        http(
            addr,
            "GET",
            "/api/v1/indicators/198.51.100.8",
            Some(&b),
            b""
        )
        .status,
        200
    );
    assert_eq!(
        http(
            addr,
            "GET",
            "/api/v1/indicators/198.51.100.8",
            Some(&c),
            b""
        )
        .status,
        404
    );
    // A submission's status is its submitter's.
    let sha = r.body["submission"].as_str().unwrap().to_owned();
    let st = http(
        addr,
        "GET",
        &format!("/api/v1/submissions/{sha}"),
        Some(&a),
        b"",
    );
    assert_eq!(st.status, 200, "{:?}", st.body);
    assert_eq!(st.body["records"], 1);
    let other = http(
        addr,
        "GET",
        &format!("/api/v1/submissions/{sha}"),
        Some(&b),
        b"",
    );
    assert_eq!(
        (other.status, other.body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let first = submit(
        addr,
        &a,
        "format=list&tlp=clear&name=d.txt",
        b"192.0.2.44\n999.1.1.1\n",
    );
    let st = http(
        addr,
        "GET",
        &format!(
            "/api/v1/submissions/{}",
            first.body["submission"].as_str().unwrap()
        ),
        Some(&a),
        b"",
    );
    assert!(
        st.body["errors"].to_string().contains("999.1.1.1"),
        "located errors in the status: {:?}",
        st.body
    );
    // Exports follow the policy too.
    let list = |t: &str| {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(format!("GET /api/v1/exports/blocklist?kind=ipv4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {t}\r\n\r\n").as_bytes()).unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        raw.split_once("\r\n\r\n").unwrap().1.to_owned()
    };
    let for_a = list(&a);
    let for_c = list(&c);
    assert!(for_a.lines().any(|l| l == "198.51.100.7"), "{for_a}");
    assert!(
        !for_c.lines().any(|l| l == "198.51.100.7"),
        "an AMBER value in another's export: {for_c}"
    );
    assert!(for_c.lines().any(|l| l == "203.0.113.9"), "{for_c}");
    assert_eq!(
        http(addr, "GET", "/api/v1/exports/stix", Some(&a), b"").body["error"]["code"],
        "bad_request"
    );
    assert_eq!(
        http(addr, "GET", "/api/v1/exports/docx", Some(&a), b"").status,
        404
    );

    // Reports, for the caller.
    let r = http(addr, "GET", "/api/v1/reports/country/ZZ", Some(&b), b"");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["country"], "ZZ");
    assert_eq!(
        http(addr, "GET", "/api/v1/reports/country/zzz", Some(&b), b"").body["error"]["code"],
        "bad_request"
    );

    // Tokens: none, malformed, unknown, revoked → 401; a role without the scope → 403.
    let none = http(addr, "GET", "/api/v1/stats", None, b"");
    assert_eq!(
        (none.status, none.body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    assert!(none.headers.contains("www-authenticate: bearer"));
    assert_eq!(
        http(addr, "GET", "/api/v1/stats", Some("pelita_nope"), b"").status,
        401
    );
    let unknown = format!("pelita_{:016x}_{}A", 9, "Z".repeat(42));
    assert_eq!(
        http(addr, "GET", "/api/v1/stats", Some(&unknown), b"").status,
        401
    );
    let wrong_secret = format!("{}A", &a[..a.len() - 2]);
    assert_eq!(
        http(addr, "GET", "/api/v1/stats", Some(&wrong_secret), b"").status,
        401
    );
    assert_eq!(
        http(addr, "GET", "/api/v1/stats", Some(&revoked), b"").status,
        401
    );
    let ro = submit(addr, &c, "format=list", b"192.0.2.1\n");
    assert_eq!(
        (ro.status, ro.body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        http(addr, "GET", "/api/v1/nothing-here", Some(&a), b"").status,
        404
    );

    // Every answer carries the security headers.
    for h in [
        "x-content-type-options: nosniff",
        "cache-control: no-store",
        "content-security-policy: default-src 'none'",
        "x-frame-options: deny",
    ] {
        assert!(mine.headers.contains(h), "{h} missing in {}", mine.headers);
        assert!(none.headers.contains(h), "{h} missing on errors");
    }
    assert!(
        !mine.headers.contains("access-control-allow-origin"),
        "no CORS by default"
    );

    // Bodies over the limit are refused.
    let big = vec![b'1'; (1 << 20) + 10];
    let r = submit(addr, &a, "format=list", &big);
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (413, Some("too_large"))
    );

    // The audit log has every call, by organisation and token, and is intact
    // (reads are committed by the audit queue: wait for it).
    state.audit.flush().unwrap();
    let store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    let v = store.audit_verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    let log = store.audit_entries(1, 1000).unwrap();
    assert!(log.iter().any(|e| e.entry.org == "firm-b"
        && e.entry.action == "read.indicator"
        && e.entry.result_size == 0));
    assert!(log.iter().any(|e| e.entry.org == "cert-a"
        && e.entry.action == "submit"
        && e.entry.token == format!("{:016x}", 1)));
    assert!(
        log.iter().all(|e| !e.entry.detail.contains(&a[23..])),
        "a secret in the audit log"
    );
}

#[test]
fn each_token_has_a_request_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store.put_organisation("cert-a", Role::Analyst).unwrap();
    store.put_organisation("firm-b", Role::Analyst).unwrap();
    let a = token(&mut store, 1, "cert-a", Role::Analyst, &[Scope::Read]);
    let b = token(&mut store, 2, "firm-b", Role::Analyst, &[Scope::Read]);
    // 2 requests per second, bursts of 4.
    let addr = serve(store, dir.path(), 1 << 20, 2.0);
    let statuses: Vec<u16> = (0..8)
        .map(|_| http(addr, "GET", "/api/v1/stats", Some(&a), b"").status)
        .collect();
    assert!(statuses.iter().take(4).all(|s| *s == 200), "{statuses:?}");
    let limited = http(addr, "GET", "/api/v1/stats", Some(&a), b"");
    assert_eq!(
        (limited.status, limited.body["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert!(limited.headers.contains("retry-after: 1"));
    // Another token's budget is its own.
    assert_eq!(
        http(addr, "GET", "/api/v1/stats", Some(&b), b"").status,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        http(addr, "GET", "/api/v1/stats", Some(&a), b"").status,
        200,
        "the budget refills"
    );
}

/// A submission's caller is checked before its body is read: a client
/// without a valid submit token cannot make the server receive, buffer or
/// parse a package (it is answered at once, with the body still unsent).
#[test]
fn submissions_are_refused_before_their_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store.put_organisation("cert-a", Role::Analyst).unwrap();
    store.put_organisation("viewer-c", Role::ReadOnly).unwrap();
    let submit = token(&mut store, 1, "cert-a", Role::Analyst, &[Scope::Submit]);
    let read_only = token(&mut store, 2, "viewer-c", Role::ReadOnly, &[Scope::Read]);
    let addr = serve(store, dir.path(), 64 << 20, 1000.0);
    let big = 32 << 20;
    let path = "/api/v1/submissions?format=list";
    let multipart = ("Content-Type", "multipart/form-data; boundary=x");
    let bearer = |t: &str| format!("Bearer {t}");
    for extra in [None, Some(multipart)] {
        let with = |auth: Option<&str>| {
            let mut h: Vec<(&str, &str)> = extra.into_iter().collect();
            if let Some(a) = auth {
                h.push(("Authorization", a));
            }
            head_only(addr, path, &h, big)
        };
        assert_eq!(with(None), Some(401), "no token, {extra:?}");
        assert_eq!(
            with(Some("Bearer pelita_nope")),
            Some(401),
            "bad token, {extra:?}"
        );
        assert_eq!(
            with(Some(&bearer(&read_only))),
            Some(403),
            "no submit scope, {extra:?}"
        );
        // A caller who may submit is waited for (no answer before the body).
        assert_eq!(
            with(Some(&bearer(&submit))),
            None,
            "a valid submitter, {extra:?}"
        );
    }
    // The TAXII inbox likewise.
    let inbox = "/taxii2/api/collections/inbox/objects/";
    let taxii = [
        ("Content-Type", "application/taxii+json;version=2.1"),
        ("Accept", "application/taxii+json;version=2.1"),
    ];
    let taxii_with = |auth: Option<&str>| {
        let mut h = taxii.to_vec();
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        head_only(addr, inbox, &h, big)
    };
    assert_eq!(taxii_with(None), Some(401));
    assert_eq!(taxii_with(Some(&bearer(&read_only))), Some(403));
    assert_eq!(taxii_with(Some(&bearer(&submit))), None);
    // And a whole, authorised submission still goes through.
    let r = http(addr, "POST", path, Some(&submit), b"198.51.100.7\n");
    assert_eq!(r.status, 202, "{:?}", r.body);
}

/// A search (which may carry a whole report) is refused before its body
/// is read, like a submission; an administration request, which carries
/// no package, may send at most `FORM_BODY_MAX` bytes, whoever sends it.
#[test]
fn searches_are_refused_before_their_body_and_admin_bodies_are_small() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store.put_organisation("cert-a", Role::Analyst).unwrap();
    store.put_organisation("ops", Role::Administrator).unwrap();
    let reader = token(&mut store, 1, "cert-a", Role::Analyst, &[Scope::Read]);
    let admin = token(&mut store, 2, "ops", Role::Administrator, &[Scope::Admin]);
    let addr = serve(store, dir.path(), 64 << 20, 1000.0);
    let bearer = |t: &str| format!("Bearer {t}");
    let big = 32 << 20;
    let search = |auth: Option<&str>| {
        let mut h = vec![("Content-Type", "text/plain")];
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        head_only(addr, "/api/v1/search", &h, big)
    };
    assert_eq!(search(None), Some(401), "no token");
    assert_eq!(search(Some("Bearer pelita_nope")), Some(401), "bad token");
    assert_eq!(search(Some(&bearer(&admin))), Some(403), "no read scope");
    assert_eq!(
        search(Some(&bearer(&reader))),
        None,
        "a reader is waited for"
    );
    let r = http(
        addr,
        "POST",
        "/api/v1/search",
        Some(&reader),
        b"see 198.51.100.7",
    );
    assert_eq!(r.status, 200, "{:?}", r.body);

    let over = vec![b' '; pelita_server::routes::FORM_BODY_MAX + 1];
    for (method, path) in [
        ("PUT", "/api/v1/organisations/firm-z"),
        ("POST", "/api/v1/tokens"),
    ] {
        for auth in [None, Some(admin.as_str())] {
            let r = http(addr, method, path, auth, &over);
            assert_eq!(
                r.status,
                413,
                "{method} {path}, token {}: {:?}",
                auth.is_some(),
                r.body
            );
            assert_eq!(r.body["error"]["code"], "too_large", "{:?}", r.body);
        }
    }
    // Within the limit, the request is read and answered as before.
    let r = http(
        addr,
        "PUT",
        "/api/v1/organisations/firm-z",
        Some(&admin),
        br#"{"role": "analyst"}"#,
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
}

/// Reads are answered and their audit entries committed while the store's
/// writer is held (as a partner's large submission holds it): the audit
/// thread appends through a handle of its own.
#[test]
fn reads_are_audited_while_the_writer_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store.put_organisation("cert-a", Role::Analyst).unwrap();
    let t = token(&mut store, 1, "cert-a", Role::Analyst, &[Scope::Read]);
    let (addr, state) = serve_with(store, config(dir.path(), 1 << 20, 1000.0));
    let before = state.reader.audit_entries(0, 10_000).unwrap().len();
    let held = state.writer.lock().unwrap();
    let r = http(addr, "GET", "/api/v1/stats", Some(&t), b"");
    assert_eq!(r.status, 200, "{:?}", r.body);
    let audit = state.audit.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(audit.flush().is_ok()));
    let flushed = rx.recv_timeout(std::time::Duration::from_secs(10));
    assert_eq!(flushed, Ok(true), "the audit log waited for the writer");
    let after = state.reader.audit_entries(0, 10_000).unwrap();
    assert!(after.len() > before, "the read's entry is committed");
    assert!(
        after.iter().any(|e| e.entry.org == "cert-a"),
        "{:?}",
        after.last()
    );
    drop(held);
}
