//! Administration over the API (organisations, tokens, the audit log),
//! breaking the glass, anonymous reading, and what a caller may not make
//! the server do (read its files).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{config, http, http_with, serve_with, submit, token};
use pelita_auth::{Role, Scope};
use pelita_store::{SqliteStore, Store as _};
use serde_json::json;

/// A store with an administrator, an analyst and a RED sighting that only
/// its submitter may see.
fn setup(
    anonymous: bool,
) -> (
    tempfile::TempDir,
    std::net::SocketAddr,
    pelita_server::AppState,
    [String; 3],
) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store
        .put_organisation("admin", Role::Administrator)
        .unwrap();
    store.put_organisation("cert-a", Role::Analyst).unwrap();
    store.mark_synthetic().unwrap();
    let admin = token(
        &mut store,
        1,
        "admin",
        Role::Administrator,
        &Role::Administrator.default_scopes(),
    );
    let glass = token(
        &mut store,
        2,
        "admin",
        Role::Administrator,
        &[Scope::Read, Scope::BreakGlass],
    );
    let analyst = token(
        &mut store,
        3,
        "cert-a",
        Role::Analyst,
        &Role::Analyst.scopes(),
    );
    let mut cfg = config(dir.path(), 1 << 20, 1000.0);
    cfg.anonymous_read = anonymous;
    let (addr, state) = serve_with(store, cfg);
    let r = submit(addr, &analyst, "format=list&tlp=red", b"198.51.100.66\n");
    assert_eq!(r.status, 202, "{}", r.text);
    let r = submit(addr, &analyst, "format=list&tlp=clear", b"203.0.113.77\n");
    assert_eq!(r.status, 202, "{}", r.text);
    (dir, addr, state, [admin, glass, analyst])
}

#[test]
fn administrators_manage_organisations_and_tokens_over_the_api() {
    let (dir, addr, state, [admin, _glass, analyst]) = setup(false);

    // Only administrators.
    for (method, path) in [
        ("GET", "/api/v1/organisations"),
        ("GET", "/api/v1/tokens"),
        ("GET", "/api/v1/audit"),
    ] {
        let r = http(addr, method, path, Some(&analyst), b"");
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
    }
    let r = http(
        addr,
        "PUT",
        "/api/v1/organisations/police-b",
        Some(&analyst),
        br#"{"role":"analyst"}"#,
    );
    assert_eq!(r.status, 403);

    // Add an organisation; a bad name or body is a 400 that says why.
    let r = http(
        addr,
        "PUT",
        "/api/v1/organisations/police-b",
        Some(&admin),
        br#"{"role":"read-only"}"#,
    );
    assert_eq!(
        (r.status, &r.body),
        (200, &json!({"name": "police-b", "role": "read-only"}))
    );
    let r = http(
        addr,
        "PUT",
        "/api/v1/organisations/bad%20name",
        Some(&admin),
        br#"{"role":"analyst"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = http(
        addr,
        "PUT",
        "/api/v1/organisations/x",
        Some(&admin),
        br#"{"role":"emperor"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = http(addr, "GET", "/api/v1/organisations", Some(&admin), b"");
    let names: Vec<&str> = r.body["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "cert-a", "police-b"]);

    // Issue a token: the role bounds the scopes; the secret is shown once.
    let r = http(
        addr,
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        br#"{"org":"police-b","scopes":["submit"]}"#,
    );
    assert_eq!(
        r.status, 400,
        "a read-only organisation cannot submit: {}",
        r.text
    );
    assert!(
        r.text.contains("does not allow the scope submit"),
        "{}",
        r.text
    );
    let r = http(
        addr,
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        br#"{"org":"nobody"}"#,
    );
    assert_eq!(r.status, 404);
    let r = http(
        addr,
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        br#"{"org":"police-b","name":"laptop","max_tlp":"green"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["token"].as_str().unwrap().to_owned();
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body["details"]["grant"]["scopes"],
        json!(["read", "report"])
    );
    let me = http(addr, "GET", "/api/v1/me", Some(&secret), b"");
    assert_eq!(
        (me.status, me.body["organisation"].as_str()),
        (200, Some("police-b"))
    );

    // Listing never shows a secret or a hash.
    let r = http(addr, "GET", "/api/v1/tokens", Some(&admin), b"");
    assert_eq!(r.status, 200);
    assert!(
        r.body["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str())
    );
    assert!(
        !r.text.contains(&secret[24..]) && !r.text.contains("argon2"),
        "{}",
        r.text
    );

    // Revoked: it stops working at once.
    let r = http(
        addr,
        "DELETE",
        &format!("/api/v1/tokens/{id}"),
        Some(&admin),
        b"",
    );
    assert_eq!(r.status, 204);
    let r = http(
        addr,
        "DELETE",
        &format!("/api/v1/tokens/{id}"),
        Some(&admin),
        b"",
    );
    assert_eq!(r.status, 204, "revoking is idempotent");
    let r = http(
        addr,
        "DELETE",
        "/api/v1/tokens/00000000000000ff",
        Some(&admin),
        b"",
    );
    assert_eq!(r.status, 404);
    let me = http(addr, "GET", "/api/v1/me", Some(&secret), b"");
    assert_eq!(me.status, 401);

    // The audit log over the API: every change, in pages, intact.
    state.audit.flush().unwrap();
    let r = http(addr, "GET", "/api/v1/audit?limit=2", Some(&admin), b"");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["entries"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["next"], 3);
    let mut actions = Vec::new();
    let mut from = 1;
    loop {
        let r = http(
            addr,
            "GET",
            &format!("/api/v1/audit?from={from}&limit=3"),
            Some(&admin),
            b"",
        );
        for e in r.body["entries"].as_array().unwrap() {
            actions.push(format!(
                "{} {}",
                e["org"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            ));
        }
        match r.body["next"].as_i64() {
            Some(n) => from = n,
            None => break,
        }
    }
    for want in [
        "admin org.put",
        "admin token.create",
        "admin token.revoke",
        "cert-a submit",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} not in {actions:?}"
        );
    }
    let r = http(addr, "GET", "/api/v1/audit/verify", Some(&admin), b"");
    assert_eq!(
        (r.status, &r.body["intact"]),
        (200, &json!(true)),
        "{}",
        r.text
    );
    drop(dir);
}

#[test]
fn breaking_the_glass_is_a_scope_of_its_own_and_is_audited_first() {
    let (_dir, addr, state, [admin, glass, _analyst]) = setup(false);
    let path = "/api/v1/indicators/198.51.100.66";
    let why = [(
        "Pelita-Break-Glass",
        "incident 2026-117: victim notification",
    )];

    // An administrator sees the policy applied to itself.
    assert_eq!(http(addr, "GET", path, Some(&admin), b"").status, 404);
    // Asking to break the glass without the scope is refused, not ignored.
    let r = http_with(addr, "GET", path, Some(&admin), &why, b"");
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    // With the scope but no reason: a 400 that says what is missing.
    let r = http_with(
        addr,
        "GET",
        path,
        Some(&glass),
        &[("Pelita-Break-Glass", " ")],
        b"",
    );
    assert_eq!(r.status, 400, "{}", r.text);
    // Without the header, the break-glass token is an ordinary reader.
    assert_eq!(http(addr, "GET", path, Some(&glass), b"").status, 404);
    // With the scope and a reason, the RED sighting is visible...
    let r = http_with(addr, "GET", path, Some(&glass), &why, b"");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["exact"]["value"], "198.51.100.66", "{}", r.text);

    // ...and the log has the reason before the read.
    state.audit.flush().unwrap();
    let store = SqliteStore::open(&_dir.path().join("pelita.db")).unwrap();
    let log = store.audit_entries(1, 1000).unwrap();
    let glass_at = log
        .iter()
        .position(|e| {
            e.entry.action == "break-glass" && e.entry.detail.contains("incident 2026-117")
        })
        .expect("the reason is logged");
    let read_at = log
        .iter()
        .position(|e| {
            e.entry.action == "read.indicator" && e.entry.detail.starts_with("break-glass ")
        })
        .expect("the read is logged as a break-glass read");
    assert!(glass_at < read_at);
    assert_eq!(
        log.iter()
            .filter(|e| e.entry.action == "break-glass")
            .count(),
        1
    );
}

#[test]
fn anonymous_reading_is_off_by_default_and_clear_only_when_on() {
    let (_d, addr, _s, _) = setup(false);
    assert_eq!(
        http(addr, "GET", "/api/v1/indicators/203.0.113.77", None, b"").status,
        401
    );

    let (_d, addr, _s, _) = setup(true);
    let r = http(addr, "GET", "/api/v1/indicators/203.0.113.77", None, b"");
    assert_eq!(r.status, 200, "CLEAR is public: {}", r.text);
    let r = http(addr, "GET", "/api/v1/indicators/198.51.100.66", None, b"");
    assert_eq!(r.status, 404, "RED is not: {}", r.text);
    let r = http(addr, "GET", "/api/v1/stats", None, b"");
    assert_eq!(
        (r.status, &r.body["indicators"]),
        (200, &json!(1)),
        "{}",
        r.text
    );
    let r = http(addr, "GET", "/api/v1/exports/blocklist", None, b"");
    assert_eq!((r.status, r.text.as_str()), (200, "203.0.113.77\n"));
    // Reading only: no reports, no submissions, no administration.
    for (method, path) in [
        ("GET", "/api/v1/reports/country/TH"),
        ("POST", "/api/v1/submissions"),
        ("GET", "/api/v1/tokens"),
    ] {
        assert_eq!(
            http(addr, method, path, None, b"x").status,
            401,
            "{method} {path}"
        );
    }
}

#[test]
fn a_caller_cannot_make_the_server_read_its_files() {
    let (dir, addr, _s, [_admin, _glass, analyst]) = setup(false);
    let mapping = dir.path().join("secret-mapping.toml");
    std::fs::write(&mapping, "delimiter = \",\"\n").unwrap();
    for spec in [
        format!("csv:{}", mapping.display()),
        "csv:/etc/passwd.json".into(),
        "feed:../x.toml".into(),
    ] {
        let r = submit(addr, &analyst, &format!("format={spec}"), b"a,b\n");
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{spec}: {}",
            r.text
        );
        assert!(r.text.contains("feed preset"), "{}", r.text);
        assert!(
            !r.text.contains("delimiter") && !r.text.contains("No such file"),
            "{}",
            r.text
        );
    }
    // Presets still work.
    let r = submit(addr, &analyst, "format=csv:feodo", b"# comment\n");
    assert_ne!(r.status, 400, "{}", r.text);
}
