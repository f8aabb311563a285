//! The OpenAPI document at `/openapi.json` and the API explorer at
//! `/api/docs`, over real HTTP on loopback: the document is OpenAPI 3.1
//! (valid against the official schema, every `$ref` resolving, unique
//! operation ids…), documents exactly the routes the server serves and
//! exactly the error codes of `error.rs`, and describes what the server
//! really answers; the explorer loads nothing from another origin and has
//! its own, narrower-than-nothing-else CSP while the API keeps the strict one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use common::{Reply, http, serve, token};
use pelita_auth::{Role, Scope};
use pelita_server::error::ErrorCode;
use pelita_server::routes::{ROUTES, STRICT_CSP};
use pelita_store::{SqliteStore, Store as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A server with one organisation and a token with every scope it may use.
fn server() -> (tempfile::TempDir, SocketAddr, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store.put_organisation("cert-a", Role::Analyst).unwrap();
    // Documentation addresses stand for real infrastructure in a synthetic store.
    store.mark_synthetic().unwrap();
    let t = token(
        &mut store,
        1,
        "cert-a",
        Role::Analyst,
        &[Scope::Read, Scope::Submit, Scope::Report],
    );
    let addr = serve(store, dir.path(), 1 << 20, 1000.0);
    (dir, addr, t)
}

fn document(addr: SocketAddr) -> Value {
    let r = http(addr, "GET", "/openapi.json", None, b"");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.body.is_object(), "not JSON: {}", r.text);
    r.body
}

/// Every operation: (method upper case, path, operation object).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_ascii_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

/// The value a local `$ref` (`#/a/b`) points at.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// `v` itself, or what it refers to.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, r).unwrap_or_else(|| panic!("unresolved {r}")),
        None => v,
    }
}

/// Every `$ref` in `v`, with where it is.
fn refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(r) = x.as_str()
                {
                    out.push((at.to_owned(), r.to_owned()));
                }
                refs(x, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                refs(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_document_is_openapi_3_1_valid_against_the_official_schema() {
    let (_dir, addr, _) = server();
    let doc = document(addr);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    // The official JSON Schema of OpenAPI 3.1 documents (tests/fixtures/README.md).
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/openapi-3.1-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a valid OpenAPI 3.1 document:\n{}",
        errors.join("\n")
    );

    // Its Schema Objects are JSON Schema 2020-12 (the dialect of OpenAPI 3.1),
    // which the official document schema leaves unchecked.
    for (name, s) in doc["components"]["schemas"].as_object().unwrap() {
        let mut s = s.clone();
        s["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        if let Err(e) = jsonschema::meta::validate(&s) {
            panic!("schema {name} is not JSON Schema 2020-12: {e}");
        }
    }
    // No keyword of OpenAPI 3.0's schema dialect that 3.1 dropped.
    assert!(!doc.to_string().contains("\"nullable\""));
}

#[test]
fn the_document_is_structurally_sound() {
    let (_dir, addr, _) = server();
    let doc = document(addr);

    // Every $ref is local and resolves.
    let mut found = Vec::new();
    refs(&doc, "#", &mut found);
    assert!(!found.is_empty());
    for (at, r) in &found {
        assert!(r.starts_with("#/"), "{at}: non-local $ref {r}");
        assert!(
            resolve(&doc, r).is_some(),
            "{at}: $ref {r} resolves to nothing"
        );
    }
    // Component names are the ones OpenAPI allows.
    for kind in ["schemas", "responses", "securitySchemes"] {
        for name in doc["components"][kind].as_object().unwrap().keys() {
            assert!(
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                "components/{kind}/{name}"
            );
        }
    }

    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let scopes: BTreeSet<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        assert!(path.starts_with("/api/v1/"), "{at}");
        // A unique operationId, a summary, a declared tag.
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{at}: no operationId");
        assert!(ids.insert(id.to_owned()), "{at}: operationId {id} twice");
        assert!(op["summary"].is_string(), "{at}: no summary");
        for t in op["tags"].as_array().unwrap() {
            assert!(
                tags.contains(t.as_str().unwrap()),
                "{at}: undeclared tag {t}"
            );
        }
        // Responses: at least one success, each with a description.
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{at}: no success response"
        );
        for (status, r) in responses {
            assert!(
                status.len() == 3 && status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)),
                "{at}: status {status}"
            );
            assert!(
                deref(&doc, r)["description"].is_string(),
                "{at}: {status} has no description"
            );
        }
        // Security: the bearer scheme, with the scopes the route accepts.
        let security = op["security"].as_array().unwrap();
        assert!(!security.is_empty(), "{at}: no security requirement");
        for req in security {
            for (scheme, roles) in req.as_object().unwrap() {
                assert!(
                    schemes.contains_key(scheme),
                    "{at}: undeclared scheme {scheme}"
                );
                for r in roles.as_array().unwrap() {
                    assert!(scopes.contains(r.as_str().unwrap()), "{at}: scope {r}");
                }
            }
        }
        // Parameters: unique; path parameters are exactly the template's, required.
        let params: Vec<&Value> = op["parameters"]
            .as_array()
            .map(|a| a.iter().map(|p| deref(&doc, p)).collect())
            .unwrap_or_default();
        let mut seen = BTreeSet::new();
        for p in &params {
            let key = (p["name"].as_str().unwrap(), p["in"].as_str().unwrap());
            assert!(seen.insert(key), "{at}: parameter {key:?} twice");
            assert!(
                p["schema"].is_object(),
                "{at}: parameter {key:?} has no schema"
            );
        }
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let in_path: BTreeSet<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{at}: a path parameter is required");
                p["name"].as_str().unwrap()
            })
            .collect();
        assert_eq!(in_template, in_path, "{at}: path parameters");
        if let Some(body) = op.get("requestBody") {
            assert!(!deref(&doc, body)["content"].as_object().unwrap().is_empty());
        }
    }
    assert_eq!(ids.len(), ROUTES.len());

    // Object schemas only require properties they define.
    fn required_are_defined(v: &Value, at: &str) {
        match v {
            Value::Object(m) => {
                if let (Some(req), Some(props)) = (m.get("required"), m.get("properties"))
                    && let (Some(req), Some(props)) = (req.as_array(), props.as_object())
                {
                    for r in req {
                        assert!(
                            props.contains_key(r.as_str().unwrap()),
                            "{at}: requires {r}, which it does not define"
                        );
                    }
                }
                for (k, x) in m {
                    required_are_defined(x, &format!("{at}/{k}"));
                }
            }
            Value::Array(a) => a.iter().for_each(|x| required_are_defined(x, at)),
            _ => {}
        }
    }
    required_are_defined(&doc["components"]["schemas"], "#/components/schemas");
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_served() {
    let (_dir, addr, _) = server();
    let doc = document(addr);
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(served.len(), ROUTES.len(), "a route listed twice");
    for r in &served {
        assert!(
            documented.contains(r),
            "route {r:?} is not in /openapi.json"
        );
    }
    for r in &documented {
        assert!(
            served.contains(r),
            "/openapi.json documents {r:?}, which is not a route"
        );
    }

    // And the server does serve each: without a token, each answers 401
    // (not 404 "no such route", not 405).
    for (method, path) in ROUTES {
        let concrete = path
            .replace("{value}", "198.51.100.7")
            .replace("{cc}", "ZZ")
            .replace("{sha}", &"ab".repeat(32))
            .replace("{format}", "blocklist")
            .replace("{name}", "cert-zz")
            .replace("{file}", "manifest.json")
            .replace("{id}", &"0".repeat(16));
        assert!(
            !concrete.contains('{'),
            "a path parameter this test does not know: {path}"
        );
        let r = http(addr, method, &concrete, None, b"");
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (401, Some("unauthenticated")),
            "{method} {concrete}: {}",
            r.text
        );
    }
}

#[test]
fn the_documented_error_codes_are_the_table_of_error_rs() {
    let (_dir, addr, _) = server();
    let doc = document(addr);
    let table: Vec<&str> = ErrorCode::ALL.iter().map(|e| e.as_str()).collect();

    // The error body's `code` enum.
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], json!(["error"]));
    assert_eq!(
        error["properties"]["error"]["required"],
        json!(["code", "message"])
    );
    let codes: Vec<&str> = error["properties"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes, table);

    // One reusable response per code, and each used under its own status.
    let responses: Vec<&str> = doc["components"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        responses.iter().copied().collect::<BTreeSet<_>>(),
        table.iter().copied().collect::<BTreeSet<_>>()
    );
    let mut used = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        for (status, r) in op["responses"].as_object().unwrap() {
            let Some(name) = r["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/responses/"))
            else {
                continue;
            };
            let e = ErrorCode::ALL
                .iter()
                .find(|e| e.as_str() == name)
                .unwrap_or_else(|| panic!("{method} {path}: no error code {name}"));
            assert_eq!(
                status,
                e.status().as_str(),
                "{method} {path}: {name} under the wrong status"
            );
            used.insert(name);
        }
    }
    for e in ErrorCode::ALL {
        // TAXII's media-type errors are never answered under /api/v1.
        assert_eq!(
            used.contains(e.as_str()),
            !e.taxii_only(),
            "the error {} is documented under an operation iff /api/v1 answers it",
            e.as_str()
        );
    }
    let unauth = &doc["components"]["responses"]["unauthenticated"];
    assert!(unauth["headers"]["WWW-Authenticate"].is_object());
    assert!(doc["components"]["responses"]["rate_limited"]["headers"]["Retry-After"].is_object());

    // The table in error.rs's documentation says what the code does.
    let rows: Vec<(String, u16, String)> = include_str!("../src/error.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .map(|row| {
            let cells: Vec<&str> = row.trim_end_matches('|').split(" | ").collect();
            (
                cells[0].trim_end_matches('`').to_owned(),
                cells[1].parse().unwrap(),
                cells[2].trim().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, u16, String)> = ErrorCode::ALL
        .iter()
        .map(|e| {
            (
                e.as_str().to_owned(),
                e.status().as_u16(),
                e.when().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows, expected,
        "error.rs's documentation table and its error_table!"
    );
}

/// Validates `instance` against `schema` (a Schema Object of `doc`, whose
/// `$ref`s point into `doc`'s components).
fn check(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the answer does not match its documented schema:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// Checks an answer to `method template` against the document: its status is
/// documented, its content type is one documented for that status, and a
/// JSON body matches the documented schema.
fn conforms(doc: &Value, method: &str, template: &str, r: &Reply) {
    let what = format!("{method} {template} → {}", r.status);
    let op = &doc["paths"][template][method.to_ascii_lowercase()];
    assert!(op.is_object(), "{what}: not documented");
    let response = op["responses"]
        .get(r.status.to_string())
        .map(|x| deref(doc, x))
        .unwrap_or_else(|| panic!("{what}: status not documented: {}", r.text));
    let content_type = r.header("content-type").unwrap();
    let content = response["content"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(content_type))
        .map(|(_, c)| c)
        .unwrap_or_else(|| panic!("{what}: content type {content_type} not documented"));
    if content_type == "application/json" {
        check(doc, &content["schema"], &r.body, &what);
    }
}

#[test]
fn live_answers_match_the_documented_schemas() {
    let (_dir, addr, t) = server();
    let doc = document(addr);
    let t = Some(t.as_str());

    let submitted = http(
        addr,
        "POST",
        "/api/v1/submissions?format=list&tlp=amber&name=a.txt",
        t,
        b"198.51.100.7\n300.1.2.3\nexample.test\n",
    );
    assert_eq!(submitted.status, 202, "{}", submitted.text);
    conforms(&doc, "POST", "/api/v1/submissions", &submitted);
    let sha = submitted.body["submission"].as_str().unwrap().to_owned();

    let cases: Vec<(&str, &str, String, Option<&str>)> = vec![
        ("GET", "/api/v1/me", "/api/v1/me".into(), t),
        ("GET", "/api/v1/me", "/api/v1/me".into(), None),
        (
            "GET",
            "/api/v1/indicators/{value}",
            "/api/v1/indicators/198.51.100%5B.%5D7".into(),
            t,
        ),
        (
            "GET",
            "/api/v1/indicators/{value}",
            "/api/v1/indicators/192.0.2.200".into(),
            t,
        ),
        ("GET", "/api/v1/stats", "/api/v1/stats".into(), t),
        (
            "GET",
            "/api/v1/reports/country/{cc}",
            "/api/v1/reports/country/ZZ".into(),
            t,
        ),
        (
            "GET",
            "/api/v1/reports/country/{cc}",
            "/api/v1/reports/country/ZZ?since=yesterday".into(),
            t,
        ),
        (
            "GET",
            "/api/v1/submissions/{sha}",
            format!("/api/v1/submissions/{sha}"),
            t,
        ),
        (
            "GET",
            "/api/v1/submissions/{sha}",
            "/api/v1/submissions/not-a-digest".into(),
            t,
        ),
        (
            "GET",
            "/api/v1/exports/{format}",
            "/api/v1/exports/blocklist?kind=ipv4".into(),
            t,
        ),
        (
            "GET",
            "/api/v1/exports/{format}",
            "/api/v1/exports/csv?country=ZZ".into(),
            t,
        ),
        (
            "GET",
            "/api/v1/exports/{format}",
            "/api/v1/exports/stix?country=ZZ".into(),
            t,
        ),
        (
            "GET",
            "/api/v1/exports/{format}",
            "/api/v1/exports/docx".into(),
            t,
        ),
    ];
    let mut statuses = BTreeMap::<u16, usize>::new();
    for (method, template, path, token) in &cases {
        let r = http(addr, method, path, *token, b"");
        conforms(&doc, method, template, &r);
        *statuses.entry(r.status).or_default() += 1;
        if path.contains("stix") {
            // The STIX export is JSON too: check it against its documented schema.
            let c = &doc["paths"][*template]["get"]["responses"]["200"]["content"]["application/stix+json;version=2.1"];
            check(
                &doc,
                &c["schema"],
                &serde_json::from_str(&r.text).unwrap(),
                path,
            );
        }
    }
    // The cases did see successes and errors of several kinds.
    for s in [200, 400, 401, 404] {
        assert!(statuses.contains_key(&s), "no {s} among {statuses:?}");
    }
    let bad = http(addr, "POST", "/api/v1/submissions?tlp=purple", t, b"x");
    assert_eq!(bad.status, 400);
    conforms(&doc, "POST", "/api/v1/submissions", &bad);
}

/// Every `src` and `href` attribute value of an HTML page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap();
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn the_api_explorer_loads_only_its_own_files() {
    let (_dir, addr, t) = server();
    let page = http(addr, "GET", "/api/docs", None, b"");
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = &page.text;
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("http://") && !lower.contains("https://") && !lower.contains("//cdn"),
        "a reference to another origin in the page:\n{html}"
    );
    // No inline script, no inline event handlers: the CSP may forbid them.
    assert_eq!(lower.matches("<script").count(), 2);
    assert_eq!(lower.matches("<script src=\"").count(), 2);
    assert_eq!(lower.matches("></script>").count(), 2);
    assert!(
        !["onload=", "onclick=", "onerror=", "javascript:"]
            .iter()
            .any(|h| lower.contains(h))
    );

    let links = links(html);
    for want in [
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
        "/api/docs/init.js",
        "/openapi.json",
    ] {
        assert!(
            links.iter().any(|l| l == want),
            "the page does not load {want}"
        );
    }
    for l in &links {
        assert!(
            l.starts_with('/') && !l.starts_with("//"),
            "not a same-origin path: {l}"
        );
        let r = http(addr, "GET", l, None, b"");
        assert_eq!(r.status, 200, "{l}: {}", r.text);
        let ct = r.header("content-type").unwrap().to_owned();
        let expected = if l.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else if l.ends_with(".css") {
            "text/css; charset=utf-8"
        } else if l.ends_with(".json") {
            "application/json"
        } else if l.ends_with(".png") {
            "image/png"
        } else {
            "text/plain; charset=utf-8"
        };
        assert_eq!(ct, expected, "{l}");
    }

    // The start-up script: this origin's document, no outside validator.
    let init = http(addr, "GET", "/api/docs/init.js", None, b"").text;
    assert!(init.contains("url: \"/openapi.json\""), "{init}");
    assert!(init.contains("validatorUrl: null"), "{init}");
    assert!(
        !init.contains("http://") && !init.contains("https://"),
        "{init}"
    );

    // The vendored files are served as they are, and are those of the package.
    let readme = include_str!("../assets/swagger-ui/README.md");
    let sums: BTreeMap<&str, &str> = readme
        .lines()
        .filter_map(|l| {
            let mut cells = l.strip_prefix("| `")?.split("` | `");
            Some((cells.next()?, cells.next()?.strip_suffix("` |")?))
        })
        .collect();
    assert!(sums.contains_key("swagger-ui-bundle.js") && sums.contains_key("swagger-ui.css"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/swagger-ui");
    for (file, sum) in &sums {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let hex = |b: &[u8]| {
            Sha256::digest(b)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
        };
        assert_eq!(
            &hex(&bytes),
            sum,
            "assets/swagger-ui/{file} differs from the package (README.md)"
        );
        if file.ends_with(".js") || file.ends_with(".css") {
            let served = http(addr, "GET", &format!("/api/docs/{file}"), None, b"");
            assert_eq!(hex(served.text.as_bytes()), *sum, "{file} as served");
        }
    }

    // The explorer's CSP is the relaxed one, everything else keeps the strict one.
    let docs_csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";
    assert_eq!(pelita_server::docs::CSP, docs_csp);
    for path in [
        "/api/docs",
        "/api/docs/init.js",
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
    ] {
        let r = http(addr, "GET", path, None, b"");
        assert_eq!(
            r.header("content-security-policy"),
            Some(docs_csp),
            "{path}"
        );
        for (h, v) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "deny"),
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(r.header(h), Some(v), "{path}: {h}");
        }
    }
    assert!(!docs_csp.contains("unsafe-eval"));
    let strict = STRICT_CSP.to_ascii_lowercase();
    for (path, token) in [
        ("/openapi.json", None),
        ("/api/v1/stats", Some(t.as_str())),
        ("/api/v1/stats", None),
        ("/api/docs/nothing-here", None),
        ("/api/docsx", None),
    ] {
        let r = http(addr, "GET", path, token, b"");
        assert_eq!(
            r.header("content-security-policy"),
            Some(strict.as_str()),
            "{path} must keep the strict CSP"
        );
    }
}
