//! The web interface over real loopback HTTP: sign-in, sessions and their
//! expiry, cookies, CSRF on every form, what two organisations see, search
//! of a defanged value, a submission's located error, and that no page
//! refers to another host.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::net::SocketAddr;

use common::{
    GREEN_OF_B, PASSWORD, RED_OF_A, Reply, UNKNOWN, WEB_COUNTRY, WEB_OPERATION, head_only, http,
    http_with, web_fixture,
};

/// `name=value` of every `Set-Cookie` for `name`, with its attributes.
fn set_cookie<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.raw_head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        (n.trim().eq_ignore_ascii_case("set-cookie") && v.trim().starts_with(&format!("{name}=")))
            .then(|| v.trim())
    })
}

/// The value of a cookie from its `Set-Cookie` line.
fn cookie_value(line: &str) -> &str {
    line.split(';').next().unwrap().split_once('=').unwrap().1
}

/// The value of the hidden `csrf` field of the page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(fields).unwrap().into_bytes()
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// A signed-in browser: its session cookie and the session's CSRF secret.
struct Browser {
    addr: SocketAddr,
    cookie: String,
    csrf: String,
}

impl Browser {
    fn get(&self, path: &str) -> Reply {
        http_with(
            self.addr,
            "GET",
            path,
            None,
            &[("Cookie", &self.cookie)],
            b"",
        )
    }

    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        http_with(
            self.addr,
            "POST",
            path,
            None,
            &[("Cookie", &self.cookie), FORM],
            &form(fields),
        )
    }
}

/// The sign-in page's CSRF pair: (cookie header, field value).
fn login_csrf(addr: SocketAddr) -> (String, String) {
    let page = http_with(addr, "GET", "/ui/login", None, &[], b"");
    assert_eq!(page.status, 200);
    let line = set_cookie(&page, "pelita_login_csrf").expect("a pre-session cookie");
    let value = cookie_value(line).to_owned();
    assert_eq!(
        csrf_field(&page.text),
        value,
        "double submit: field = cookie"
    );
    (format!("pelita_login_csrf={value}"), value)
}

fn sign_in(addr: SocketAddr, name: &str) -> Browser {
    let (cookie, csrf) = login_csrf(addr);
    let r = http_with(
        addr,
        "POST",
        "/ui/login",
        None,
        &[("Cookie", &cookie), FORM],
        &form(&[("csrf", &csrf), ("name", name), ("password", PASSWORD)]),
    );
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location"), Some("/ui/"));
    let line = set_cookie(&r, "pelita_session").expect("a session cookie");
    let cookie = format!("pelita_session={}", cookie_value(line));
    let mut b = Browser {
        addr,
        cookie,
        csrf: String::new(),
    };
    let home = b.get("/ui/");
    assert_eq!(home.status, 200, "{}", home.text);
    b.csrf = csrf_field(&home.text);
    b
}

#[test]
fn sign_in_cookies_logout_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());

    // Not signed in: every page sends the browser to the sign-in page.
    for path in ["/ui/", "/ui/search?q=x", "/ui/submit", "/ui/indicator/x"] {
        let r = http_with(addr, "GET", path, None, &[], b"");
        assert_eq!(
            (r.status, r.header("location")),
            (303, Some("/ui/login")),
            "{path}"
        );
    }

    // The session cookie: HttpOnly, SameSite=Strict, Path=/ui, not Secure over plain HTTP.
    let (cookie, csrf) = login_csrf(addr);
    let r = http_with(
        addr,
        "POST",
        "/ui/login",
        None,
        &[("Cookie", &cookie), FORM],
        &form(&[("csrf", &csrf), ("name", "ana"), ("password", PASSWORD)]),
    );
    assert_eq!(r.status, 303);
    let line = set_cookie(&r, "pelita_session").unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(
            line.split("; ").any(|a| a == attr),
            "{attr} missing: {line}"
        );
    }
    assert!(!line.contains("Secure"), "{line}");
    assert!(pelita_auth::is_random_secret(cookie_value(line)), "{line}");
    // Behind a TLS-terminating proxy: Secure.
    let (cookie, csrf) = login_csrf(addr);
    let r = http_with(
        addr,
        "POST",
        "/ui/login",
        None,
        &[("Cookie", &cookie), FORM, ("X-Forwarded-Proto", "https")],
        &form(&[("csrf", &csrf), ("name", "ana"), ("password", PASSWORD)]),
    );
    let line = set_cookie(&r, "pelita_session").unwrap();
    assert!(line.split("; ").any(|a| a == "Secure"), "{line}");

    // A wrong password and an unknown name get the same answer, and no session.
    let mut refusals = Vec::new();
    for (name, password) in [("ana", "wrong password!"), ("nobody", PASSWORD)] {
        let (cookie, csrf) = login_csrf(addr);
        let r = http_with(
            addr,
            "POST",
            "/ui/login",
            None,
            &[("Cookie", &cookie), FORM],
            &form(&[("csrf", &csrf), ("name", name), ("password", password)]),
        );
        assert_eq!(r.status, 401);
        assert!(set_cookie(&r, "pelita_session").is_none());
        assert!(r.text.contains("wrong name or password"), "{}", r.text);
        refusals.push(r.text.replace(&csrf_field(&r.text), "CSRF"));
    }
    assert_eq!(refusals[0], refusals[1]);

    // Signed in: the dashboard names the organisation.
    let ana = sign_in(addr, "ana");
    let home = ana.get("/ui/");
    assert!(home.text.contains("data-org=\"cert-a\""), "{}", home.text);
    assert_eq!(
        home.header("content-security-policy"),
        Some(pelita_server::web::CSP)
    );

    // Logout ends the session on the server, not only in the browser.
    let out = ana.post("/ui/logout", &[("csrf", &ana.csrf)]);
    assert_eq!(
        (out.status, out.header("location")),
        (303, Some("/ui/login"))
    );
    assert!(
        set_cookie(&out, "pelita_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        ana.get("/ui/").status,
        303,
        "the old cookie no longer works"
    );

    // Idle expiry (8 h) and absolute expiry (24 h).
    let db = rusqlite::Connection::open(dir.path().join("pelita.db")).unwrap();
    let idle = sign_in(addr, "ana");
    db.execute(
        "UPDATE sessions SET last_seen = last_seen - 8 * 3600 - 1",
        [],
    )
    .unwrap();
    assert_eq!(idle.get("/ui/").status, 303, "idle for 8 h");
    let old = sign_in(addr, "ana");
    db.execute(
        "UPDATE sessions SET expires_at = strftime('%s','now') - 1",
        [],
    )
    .unwrap();
    assert_eq!(old.get("/ui/").status, 303, "24 h after sign-in");
    let left: i64 = db
        .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "expired sessions are deleted");

    // A disabled account's sessions end.
    let bob = sign_in(addr, "bob");
    db.execute("UPDATE users SET disabled = 1 WHERE name = 'bob'", [])
        .unwrap();
    assert_eq!(bob.get("/ui/").status, 303);
}

#[test]
fn two_organisations_see_what_the_policy_allows_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let bob = sign_in(addr, "bob");

    // Dashboard: the RED value counts for cert-a only, and marks its page.
    let a = ana.get("/ui/");
    let b = bob.get("/ui/");
    assert!(a.text.contains("data-marking=\"TLP:RED\""), "{}", a.text);
    assert!(b.text.contains("data-marking=\"TLP:GREEN\""), "{}", b.text);
    assert!(a.text.contains("2 indicators"), "{}", a.text);
    assert!(b.text.contains("1 indicators"), "{}", b.text);
    assert!(a.text.contains("a-red.txt") && !a.text.contains("b-green.txt"));
    assert!(b.text.contains("b-green.txt") && !b.text.contains("a-red.txt"));

    // Indicator page: cert-a sees its RED value; for firm-b it is exactly an unknown value.
    let mine = ana.get(&format!("/ui/indicator/{RED_OF_A}"));
    assert_eq!(mine.status, 200);
    assert!(
        mine.text.contains("cert-a") && mine.text.contains("TLP:RED"),
        "{}",
        mine.text
    );
    assert!(
        mine.text.contains("198[.]51[.]100[.]7"),
        "values are shown defanged: {}",
        mine.text
    );
    let hidden = bob.get(&format!("/ui/indicator/{RED_OF_A}"));
    let unknown = bob.get(&format!("/ui/indicator/{UNKNOWN}"));
    assert_eq!((hidden.status, unknown.status), (404, 404));
    assert_eq!(
        hidden.text.replace(RED_OF_A, "V"),
        unknown.text.replace(UNKNOWN, "V"),
        "a hidden value looks exactly like an unknown one"
    );
    assert!(!hidden.text.contains("cert-a") && !hidden.text.contains("TLP:RED"));
    let shared = bob.get(&format!("/ui/indicator/{GREEN_OF_B}"));
    assert_eq!(shared.status, 200);
    assert!(
        ana.get(&format!("/ui/indicator/{GREEN_OF_B}"))
            .text
            .contains("firm-b")
    );

    // Search, defanged, by GET and by the POST form.
    let q = "seen: 198[.]51[.]100[.]7 and 203.0.113[.]9 and 198.51.100.99";
    let a = ana.post("/ui/search", &[("csrf", &ana.csrf), ("q", q)]);
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.text
            .contains(&format!("href=\"/ui/indicator/{RED_OF_A}\"")),
        "{}",
        a.text
    );
    assert!(a.text.contains("data-marking=\"TLP:RED\""));
    let b = bob.post("/ui/search", &[("csrf", &bob.csrf), ("q", q)]);
    assert!(b.text.contains("data-marking=\"TLP:GREEN\""), "{}", b.text);
    assert!(!b.text.contains("TLP:RED"));
    let row = |text: &str, v: &str| {
        let at = text.find(&format!("/ui/indicator/{v}\"")).unwrap();
        text[at..].split("</tr>").next().unwrap().to_owned()
    };
    assert!(row(&b.text, RED_OF_A).contains("nothing known"));
    assert_eq!(
        row(&b.text, RED_OF_A)
            .replace(RED_OF_A, "V")
            .replace("198[.]51[.]100[.]7", "W"),
        row(&b.text, UNKNOWN)
            .replace(UNKNOWN, "V")
            .replace("198[.]51[.]100[.]99", "W"),
    );
    let g = ana.get("/ui/search?q=198%5B.%5D51%5B.%5D100%5B.%5D7");
    assert!(g.text.contains("1 of 1 values known"), "{}", g.text);

    // Every UI read is in the audit log, as the person's organisation.
    state.audit.flush().unwrap();
    let log = state.reader.audit_entries(1, 1000).unwrap();
    use pelita_store::Store as _;
    assert!(log.iter().any(|e| e.entry.action == "read.search"
        && e.entry.org == "firm-b"
        && e.entry.token == "session:bob"
        && e.entry.detail.contains("via=ui")));
    assert!(
        log.iter()
            .any(|e| e.entry.action == "read.indicator" && e.entry.org == "cert-a")
    );
    assert!(log.iter().any(|e| e.entry.action == "ui.login"));
}

/// A multipart form body (boundary `XBOUNDARY`).
fn multipart(fields: &[(&str, Option<&str>, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, file, value) in fields {
        body.push_str("--XBOUNDARY\r\n");
        match file {
            Some(f) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/plain\r\n\r\n"
            )),
            None => body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")),
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str("--XBOUNDARY--\r\n");
    body.into_bytes()
}

const MULTIPART: (&str, &str) = ("Content-Type", "multipart/form-data; boundary=XBOUNDARY");

#[test]
fn a_submission_with_a_bad_record_shows_its_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let page = ana.get("/ui/submit");
    assert_eq!(page.status, 200);
    let r = http_with(
        addr,
        "POST",
        "/ui/submit",
        None,
        &[("Cookie", &ana.cookie), MULTIPART],
        &multipart(&[
            ("csrf", None, &ana.csrf),
            (
                "file",
                Some("partner.txt"),
                "198.51.100.20\n198.51.100.21\n300.1.2.3\n301.1.2.3\n302.1.2.3\n303.1.2.3\n304.1.2.3\n",
            ),
            ("format", None, "list"),
            ("tlp", None, "amber"),
            ("operation", None, ""),
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("partner.txt"), "{}", r.text);
    assert!(r.text.contains("data-records=\"2\""), "{}", r.text);
    assert!(r.text.contains("data-errors=\"5\""), "{}", r.text);
    // Every bad line is listed with its place, not only the first few of its kind.
    for line in 3..=7 {
        assert!(
            r.text.contains(&format!("line {line}")),
            "the error on line {line} is listed: {}",
            r.text
        );
    }
    assert!(!r.text.contains("data-unlisted"), "{}", r.text);
    assert!(r.text.contains("data-marking=\"TLP:AMBER\""));
    // Pasted text goes the same way; the new value is now cert-a's.
    let r = http_with(
        addr,
        "POST",
        "/ui/submit",
        None,
        &[("Cookie", &ana.cookie), MULTIPART],
        &multipart(&[
            ("csrf", None, &ana.csrf),
            ("text", None, "198.51.100.30\n"),
            ("format", None, "auto"),
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ana.get("/ui/indicator/198.51.100.30").status, 200);
    let bob = sign_in(addr, "bob");
    assert_eq!(
        bob.get("/ui/indicator/198.51.100.20").status,
        404,
        "AMBER: not firm-b's"
    );
}

#[test]
fn every_post_form_rejects_a_missing_or_wrong_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let wrong = pelita_auth::random_secret().unwrap();

    // The sign-in form: the field must equal the pre-session cookie.
    let (cookie, csrf) = login_csrf(addr);
    for (cookie, field) in [
        (Some(cookie.as_str()), None),
        (Some(cookie.as_str()), Some(wrong.as_str())),
        (None, Some(csrf.as_str())),
    ] {
        let mut fields = vec![("name", "ana"), ("password", PASSWORD)];
        if let Some(f) = field {
            fields.push(("csrf", f));
        }
        let mut headers = vec![FORM];
        if let Some(c) = cookie {
            headers.push(("Cookie", c));
        }
        let r = http_with(addr, "POST", "/ui/login", None, &headers, &form(&fields));
        assert_eq!(r.status, 403, "{cookie:?} {field:?}: {}", r.text);
        assert!(set_cookie(&r, "pelita_session").is_none());
    }

    // The session's forms.
    for path in ["/ui/logout", "/ui/search"] {
        let missing = ana.post(path, &[("q", "198.51.100.7")]);
        let bad = ana.post(path, &[("csrf", &wrong), ("q", "198.51.100.7")]);
        assert_eq!((missing.status, bad.status), (403, 403), "{path}");
        assert!(bad.text.contains("reload the page"), "{}", bad.text);
        assert!(bad.text.contains("data-org=\"cert-a\""), "{}", bad.text);
    }
    for csrf in [None, Some(wrong.as_str())] {
        let mut fields = vec![("text", None, "198.51.100.40\n"), ("format", None, "list")];
        if let Some(c) = csrf {
            fields.push(("csrf", None, c));
        }
        let r = http_with(
            addr,
            "POST",
            "/ui/submit",
            None,
            &[("Cookie", &ana.cookie), MULTIPART],
            &multipart(&fields),
        );
        assert_eq!(r.status, 403, "{csrf:?}");
    }
    // Nothing was stored or ended by the refused forms.
    assert_eq!(ana.get("/ui/indicator/198.51.100.40").status, 404);
    assert_eq!(
        ana.get("/ui/").status,
        200,
        "the refused logout ended nothing"
    );
    // Another session's token is a wrong token.
    let bob = sign_in(addr, "bob");
    assert_eq!(
        ana.post("/ui/search", &[("csrf", &bob.csrf), ("q", "x")])
            .status,
        403
    );
}

/// Every `src`, `href` and `action` attribute value in `html`.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=", "href=", "action=", "hx-post=", "hx-get="] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let quote = rest.chars().next().unwrap_or(' ');
            let value = if quote == '"' || quote == '\'' {
                rest[1..].split(quote).next().unwrap_or("")
            } else {
                rest.split([' ', '>']).next().unwrap_or("")
            };
            out.push(value.to_owned());
        }
    }
    out
}

#[test]
fn no_page_refers_to_another_host_and_no_script_is_inline() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let submitted = http_with(
        addr,
        "POST",
        "/ui/submit",
        None,
        &[("Cookie", &ana.cookie), MULTIPART],
        &multipart(&[
            ("csrf", None, &ana.csrf),
            ("text", None, "https://evil.example/x\n300.1.2.3\n"),
        ]),
    );
    let pages = vec![
        http_with(addr, "GET", "/ui/login", None, &[], b""),
        ana.get("/ui/"),
        ana.get("/ui/search"),
        ana.get("/ui/search?q=hxxps%3A%2F%2Fevil.example%2Fx+198.51.100.7"),
        ana.post(
            "/ui/search",
            &[("csrf", &ana.csrf), ("q", "https://evil.example/x")],
        ),
        ana.get(&format!("/ui/indicator/{RED_OF_A}")),
        ana.get("/ui/indicator/https%3A%2F%2Fevil.example%2Fx"),
        ana.get(&format!("/ui/indicator/{UNKNOWN}")),
        ana.get("/ui/submit"),
        submitted,
        ana.post("/ui/search", &[("q", "x")]),
    ];
    let mut checked = 0;
    for page in &pages {
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(
            page.header("content-security-policy"),
            Some(pelita_server::web::CSP)
        );
        for r in references(&page.text) {
            let lower = r.to_ascii_lowercase();
            assert!(
                !(lower.starts_with("http:")
                    || lower.starts_with("https:")
                    || lower.starts_with("//")),
                "an external reference {r:?} in {}",
                page.text
            );
            checked += 1;
        }
        for (i, _) in page.text.match_indices("<script") {
            let tag = page.text[i..].split('>').next().unwrap();
            assert!(tag.contains("src=\"/ui/assets/"), "an inline script: {tag}");
        }
    }
    assert!(checked > 50, "only {checked} references checked");
    // The assets are served, embedded.
    for path in [
        "/ui/assets/htmx.min.js",
        "/ui/assets/pelita.css",
        "/ui/assets/htmx-LICENSE.txt",
    ] {
        let r = http_with(addr, "GET", path, None, &[], b"");
        assert_eq!(r.status, 200, "{path}");
    }
}

/// Asserts that `page` is an interface page that loads nothing from
/// another host and runs no inline script; returns how many references it checked.
fn assert_self_contained(page: &Reply) -> usize {
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{}",
        page.raw_head
    );
    assert_eq!(
        page.header("content-security-policy"),
        Some(pelita_server::web::CSP)
    );
    let refs = references(&page.text);
    for r in &refs {
        let lower = r.to_ascii_lowercase();
        assert!(
            !(lower.starts_with("http:")
                || lower.starts_with("https:")
                || lower.starts_with("//")
                || lower.starts_with("data:")),
            "an external reference {r:?} in {}",
            page.text
        );
    }
    for (i, _) in page.text.match_indices("<script") {
        let tag = page.text[i..].split('>').next().unwrap();
        assert!(tag.contains("src=\"/ui/assets/"), "an inline script: {tag}");
    }
    assert!(!page.text.contains(" style=\""), "an inline style");
    refs.len()
}

/// The "N indicators" card of a rendered country report.
fn report_indicators(html: &str) -> &str {
    let at = html
        .find("</b><span>indicators</span>")
        .expect("the indicators card");
    html[..at].rsplit("<b>").next().unwrap()
}

#[test]
fn country_pages_and_downloads_show_what_each_may_see() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let bob = sign_in(addr, "bob");
    let path = format!("/ui/country/{WEB_COUNTRY}");

    // The dashboard: a map, the charts, and a link to the country page.
    let home = ana.get("/ui/");
    for chart in ["map", "class", "first-seen", "last-seen"] {
        assert!(
            home.text.contains(&format!("data-chart=\"{chart}\"")),
            "{chart}: {}",
            home.text
        );
    }
    assert!(
        home.text.contains(&format!("href=\"{path}\"")),
        "{}",
        home.text
    );
    assert!(home.text.contains("<svg"), "{}", home.text);

    let a = ana.get(&path);
    let b = bob.get(&path);
    assert_eq!((a.status, b.status), (200, 200), "{}", b.text);
    assert!(a.text.contains("Cyber Activity Report"), "{}", a.text);
    assert!(a.text.contains("198[.]51[.]100[.]7"), "{}", a.text);
    assert!(a.text.contains("data-marking=\"TLP:RED\""));
    assert_eq!(report_indicators(&a.text), "2");
    // firm-b: neither cert-a's RED value nor its count.
    assert!(!b.text.contains("198[.]51[.]100[.]7") && !b.text.contains(RED_OF_A));
    assert!(b.text.contains("203[.]0[.]113[.]9"), "{}", b.text);
    assert!(b.text.contains("data-marking=\"TLP:GREEN\""), "{}", b.text);
    assert_eq!(report_indicators(&b.text), "1");
    assert_self_contained(&a);
    assert_self_contained(&b);

    // Every format, as an attachment of the right type, filtered the same way.
    for (ext, content_type) in [
        ("md", "text/markdown; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
        ("json", "application/json"),
        ("csv", "text/csv; charset=utf-8"),
        ("stix.json", "application/stix+json;version=2.1"),
    ] {
        let href = format!("{path}/report.{ext}");
        assert!(a.text.contains(&format!("href=\"{href}\"")), "{href}");
        let da = ana.get(&href);
        let db = bob.get(&href);
        for d in [&da, &db] {
            assert_eq!(d.status, 200, "{href}: {}", d.text);
            assert_eq!(d.header("content-type"), Some(content_type), "{href}");
            assert_eq!(
                d.header("content-disposition"),
                Some(
                    format!("attachment; filename=\"{WEB_COUNTRY}.{ext}\"")
                        .to_ascii_lowercase()
                        .as_str()
                ),
                "{href}"
            );
        }
        let has_red = |t: &str| t.contains(RED_OF_A) || t.contains("198[.]51[.]100[.]7");
        assert!(has_red(&da.text), "{href}: cert-a's own value");
        assert!(!has_red(&db.text), "{href} for firm-b: {}", db.text);
        assert!(
            db.text.contains(GREEN_OF_B) || db.text.contains("203[.]0[.]113[.]9"),
            "{href}: {}",
            db.text
        );
    }
    assert_eq!(ana.get(&format!("{path}/report.exe")).status, 404);
    assert_eq!(ana.get("/ui/country/S1").status, 400);
    let signed_out = http_with(addr, "GET", &format!("{path}/report.csv"), None, &[], b"");
    assert_eq!(
        (signed_out.status, signed_out.header("location")),
        (303, Some("/ui/login"))
    );

    // Audited as each reader, through the view.
    state.audit.flush().unwrap();
    use pelita_store::Store as _;
    let log = state.reader.audit_entries(1, 10_000).unwrap();
    assert!(log.iter().any(|e| e.entry.action == "read.report"
        && e.entry.token == "session:bob"
        && e.entry.detail == format!("country={WEB_COUNTRY} format=csv via=ui")
        && e.entry.result_size == 1));
}

#[test]
fn an_operation_page_is_for_members_only() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let bob = sign_in(addr, "bob");
    let path = format!("/ui/operation/{WEB_OPERATION}");
    assert!(ana.get("/ui/").text.contains(&format!("href=\"{path}\"")));
    assert!(!bob.get("/ui/").text.contains(&format!("href=\"{path}\"")));

    let mine = ana.get(&path);
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert!(
        mine.text.contains("Operation A (synthetic)"),
        "{}",
        mine.text
    );
    assert_self_contained(&mine);
    for (ext, content_type) in [
        ("md", "text/markdown; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
        ("json", "application/json"),
    ] {
        let d = ana.get(&format!("{path}/report.{ext}"));
        assert_eq!(d.status, 200, "{ext}");
        assert_eq!(d.header("content-type"), Some(content_type));
        assert_eq!(
            d.header("content-disposition"),
            Some(format!("attachment; filename=\"{WEB_OPERATION}.{ext}\"").as_str())
        );
    }

    // Not a member: exactly what an operation that does not exist gets.
    for suffix in ["", "/report.md", "/report.json"] {
        let hidden = bob.get(&format!("{path}{suffix}"));
        let absent = bob.get(&format!("/ui/operation/op-zz{suffix}"));
        assert_eq!((hidden.status, absent.status), (404, 404), "{suffix}");
        assert_eq!(
            hidden.text.replace(WEB_OPERATION, "N"),
            absent.text.replace("op-zz", "N"),
            "{suffix}"
        );
        assert!(!hidden.text.contains("Operation A"));
    }

    // The dashboard loads each operation's action status after the page.
    let dash = ana.get("/ui/");
    assert!(
        dash.text.contains(&format!("hx-get=\"{path}/actions\"")),
        "{}",
        dash.text
    );
    let actions = ana.get(&format!("{path}/actions"));
    assert_eq!(actions.status, 200, "{}", actions.text);
    assert!(
        actions.text.starts_with("<span class=\"actions\""),
        "{}",
        actions.text
    );
    assert!(
        actions.text.contains("no recommended actions") || actions.text.contains("actions: "),
        "{}",
        actions.text
    );
    let hidden = bob.get(&format!("{path}/actions"));
    let absent = bob.get("/ui/operation/op-zz/actions");
    assert_eq!((hidden.status, absent.status), (404, 404));
    assert_eq!(
        hidden.text.replace(WEB_OPERATION, "N"),
        absent.text.replace("op-zz", "N")
    );
    // The upload progress script is served from here, like htmx.
    let js = ana.get("/ui/assets/pelita.js");
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(js.text.contains("htmx:xhr:progress"));
}

/// The value of `data-<attr>="…"` in `html`.
fn data_attr(html: &str, attr: &str) -> String {
    let key = format!("data-{attr}=\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("{key} in {html}")) + key.len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[test]
fn administration_is_for_administrators_and_goes_through_the_admin_functions() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let ada = sign_in(addr, "ada");

    // Not an administrator: 403 pages, and a valid form changes nothing.
    assert!(!ana.get("/ui/").text.contains("href=\"/ui/admin\""));
    assert!(ada.get("/ui/").text.contains("href=\"/ui/admin\""));
    for path in ["/ui/admin", "/ui/audit"] {
        let r = ana.get(path);
        assert_eq!(r.status, 403, "{path}");
        assert!(r.text.contains("data-org=\"cert-a\""));
    }
    let refused = ana.post(
        "/ui/admin/organisation",
        &[
            ("csrf", &ana.csrf),
            ("name", "evil-org"),
            ("role", "administrator"),
        ],
    );
    assert_eq!(refused.status, 403);
    assert!(!ada.get("/ui/admin").text.contains("evil-org"));

    // Lists: organisations and tokens, never a secret or a hash.
    let page = ada.get("/ui/admin");
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("data-org-row=\"cert-a\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("data-token-row=\""), "{}", page.text);
    assert!(!page.text.contains("$argon2"));
    assert_self_contained(&page);

    // Add an organisation.
    let r = ada.post(
        "/ui/admin/organisation",
        &[("csrf", &ada.csrf), ("name", "cert-c"), ("role", "analyst")],
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/ui/admin")));
    let page = ada.get("/ui/admin");
    assert!(
        page.text
            .contains("data-org-row=\"cert-c\"><td>cert-c</td><td>analyst</td>")
    );
    let bad = ada.post(
        "/ui/admin/organisation",
        &[
            ("csrf", &ada.csrf),
            ("name", "Bad Name!"),
            ("role", "analyst"),
        ],
    );
    assert_eq!(bad.status, 400, "{}", bad.text);

    // Issue a token: the secret is on the result page only, and it works.
    let issued = ada.post(
        "/ui/admin/token",
        &[
            ("csrf", &ada.csrf),
            ("org", "cert-c"),
            ("name", "cert-c laptop"),
            ("scopes", "read"),
            ("max_tlp", "amber"),
            ("expires", "2099-01-01"),
        ],
    );
    assert_eq!(issued.status, 200, "{}", issued.text);
    assert_self_contained(&issued);
    let secret = data_attr(&issued.text, "secret");
    let id = data_attr(&issued.text, "token-id");
    assert_eq!(
        http(addr, "GET", "/api/v1/me", Some(&secret), b"").status,
        200
    );
    let page = ada.get("/ui/admin");
    assert!(page.text.contains(&format!("data-token-row=\"{id}\"")));
    assert!(!page.text.contains(&secret), "the secret is shown once");

    // Revoke it.
    let r = ada.post(
        "/ui/admin/token/revoke",
        &[("csrf", &ada.csrf), ("id", &id)],
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/ui/admin")));
    assert_eq!(
        http(addr, "GET", "/api/v1/me", Some(&secret), b"").status,
        401
    );
    let page = ada.get("/ui/admin");
    let row = page
        .text
        .split(&format!("data-token-row=\"{id}\""))
        .nth(1)
        .unwrap();
    assert!(
        row.split("</tr>")
            .next()
            .unwrap()
            .contains("data-state=\"revoked\"")
    );
    assert_eq!(
        ada.post(
            "/ui/admin/token/revoke",
            &[("csrf", &ada.csrf), ("id", "nope")]
        )
        .status,
        404
    );

    // Each change audited as the administrator's session.
    state.audit.flush().unwrap();
    use pelita_store::Store as _;
    let log = state.reader.audit_entries(1, 10_000).unwrap();
    for action in ["org.put", "token.create", "token.revoke"] {
        assert!(
            log.iter().any(|e| e.entry.action == action
                && e.entry.org == "centre"
                && e.entry.token == "session:ada"),
            "{action}"
        );
    }
    assert!(
        log.iter()
            .any(|e| e.entry.action == "admin.token.list" && e.entry.detail == "via=ui")
    );
}

#[test]
fn the_audit_page_pages_and_checks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, state) = web_fixture(dir.path());
    let ada = sign_in(addr, "ada");
    for _ in 0..30 {
        assert_eq!(ada.get("/ui/").status, 200);
    }
    state.audit.flush().unwrap();
    let first = ada.get("/ui/audit");
    assert_eq!(first.status, 200, "{}", first.text);
    assert_self_contained(&first);
    assert_eq!(data_attr(&first.text, "chain"), "intact");
    assert_eq!(first.text.matches("<tr data-seq=").count(), 50);
    assert!(first.text.contains("<tr data-seq=\"1\">"));
    assert!(first.text.contains("data-marking=\"TLP:RED\""));
    let next = data_attr(&first.text, "next");
    assert_eq!(next, "51");
    let second = ada.get(&format!("/ui/audit?from={next}"));
    assert_eq!(second.status, 200);
    assert!(second.text.contains("<tr data-seq=\"51\">"));
    assert!(!second.text.contains("<tr data-seq=\"50\">"));
    assert!(second.text.contains("href=\"/ui/audit?from=1\""));
    assert_eq!(ada.get("/ui/audit?from=x").status, 400);
    // The read of the log is itself audited.
    state.audit.flush().unwrap();
    use pelita_store::Store as _;
    let log = state.reader.audit_entries(1, 10_000).unwrap();
    assert!(
        log.iter()
            .any(|e| e.entry.action == "read.audit" && e.entry.detail == "from=51 limit=50 via=ui")
    );
}

#[test]
fn every_new_form_rejects_a_missing_or_wrong_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let ada = sign_in(addr, "ada");
    let ana = sign_in(addr, "ana");
    let wrong = pelita_auth::random_secret().unwrap();
    let page = ada.get("/ui/admin");
    let id = data_attr(&page.text, "token-row");
    let forms: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "/ui/admin/organisation",
            vec![("name", "cert-x"), ("role", "analyst")],
        ),
        ("/ui/admin/token", vec![("org", "cert-a"), ("name", "x")]),
        ("/ui/admin/token/revoke", vec![("id", &id)]),
    ];
    for (path, fields) in &forms {
        for csrf in [None, Some(wrong.as_str()), Some(ana.csrf.as_str())] {
            let mut f = fields.clone();
            if let Some(c) = csrf {
                f.push(("csrf", c));
            }
            let r = ada.post(path, &f);
            assert_eq!(r.status, 403, "{path} {csrf:?}: {}", r.text);
            assert!(r.text.contains("reload the page"), "{}", r.text);
            assert!(!r.text.contains("data-secret"));
        }
    }
    let page = ada.get("/ui/admin");
    assert!(!page.text.contains("cert-x"));
    assert_eq!(page.text.matches("data-token-row=").count(), 2);
    assert!(!page.text.contains("data-state=\"revoked\""));
}

/// In a build with the `pdf` feature, every report page also offers PDF.
#[cfg(feature = "pdf")]
#[test]
fn reports_download_as_pdf_in_a_pdf_build() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let ana = sign_in(addr, "ana");
    let bob = sign_in(addr, "bob");
    for path in [
        format!("/ui/country/{WEB_COUNTRY}"),
        format!("/ui/operation/{WEB_OPERATION}"),
    ] {
        assert!(
            ana.get(&path)
                .text
                .contains(&format!("href=\"{path}/report.pdf\"")),
            "{path}"
        );
        let d = ana.get(&format!("{path}/report.pdf"));
        assert_eq!(d.status, 200, "{path}");
        assert_eq!(d.header("content-type"), Some("application/pdf"));
        assert!(d.text.starts_with("%PDF-"), "{path}");
    }
    assert_eq!(
        bob.get(&format!("/ui/operation/{WEB_OPERATION}/report.pdf"))
            .status,
        404
    );
}

/// The submission form's upload and the search form's text (a whole
/// report may be pasted) are not read for a browser that is not signed
/// in: it is sent to the sign-in page with the body still unsent; a
/// signed-in one is waited for. The other forms (sign-in, sign-out,
/// administration) may send at most `FORM_BODY_MAX` bytes.
#[test]
fn uploads_are_not_read_before_sign_in_and_other_forms_are_small() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let multipart = ("Content-Type", "multipart/form-data; boundary=x");
    let stale = ("Cookie", "pelita_session=not-a-session");
    let ana = sign_in(addr, "ana");
    let cookie = ("Cookie", ana.cookie.as_str());
    for (path, form) in [("/ui/submit", multipart), ("/ui/search", FORM)] {
        assert_eq!(
            head_only(addr, path, &[form], 512 << 10),
            Some(303),
            "{path}"
        );
        assert_eq!(
            head_only(addr, path, &[form, stale], 512 << 10),
            Some(303),
            "{path}"
        );
        assert_eq!(
            head_only(addr, path, &[form, cookie], 512 << 10),
            None,
            "{path}"
        );
    }
    let found = ana.post(
        "/ui/search",
        &[("csrf", &ana.csrf), ("q", "see 198.51.100.7")],
    );
    assert_eq!(found.status, 200, "{}", found.text);

    let ada = sign_in(addr, "ada");
    let over = format!(
        "csrf={}&name=firm-z&role=analyst&pad={}",
        ada.csrf,
        "x".repeat(pelita_server::routes::FORM_BODY_MAX)
    );
    for (path, who) in [
        ("/ui/login", None),
        ("/ui/logout", Some(&ada)),
        ("/ui/admin/organisation", Some(&ada)),
        ("/ui/admin/token", Some(&ada)),
        ("/ui/admin/token/revoke", Some(&ada)),
    ] {
        let mut h = vec![FORM];
        h.extend(who.map(|b| ("Cookie", b.cookie.as_str())));
        let r = http_with(addr, "POST", path, None, &h, over.as_bytes());
        assert_eq!(r.status, 413, "{path}: {}", r.text);
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}: the error page, not {:?}",
            r.header("content-type")
        );
    }
    // Within the limit, the same form goes through.
    let r = ada.post(
        "/ui/admin/organisation",
        &[("csrf", &ada.csrf), ("name", "firm-z"), ("role", "analyst")],
    );
    assert_eq!(r.status, 303, "{}", r.text);
}
