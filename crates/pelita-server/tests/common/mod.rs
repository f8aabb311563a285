//! What the HTTP tests share: tokens with a cheap hash, a raw HTTP/1.1
//! client over loopback, and the server on a free port.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "shared by several test binaries, each using a part; tests: a panic is a failed test"
)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};

use argon2::password_hash::{PasswordHasher as _, SaltString};
use pelita_auth::{Role, Scope, TokenGrant};
use pelita_store::{SqliteStore, Store as _, TokenRow};
use serde_json::Value;

/// A token with a cheap argon2id hash (the server reads the cost from the
/// hash; production tokens use the OWASP parameters).
pub fn token(store: &mut SqliteStore, n: u8, org: &str, role: Role, scopes: &[Scope]) -> String {
    token_capped(store, n, org, role, scopes, None)
}

/// [`token`] with a marking ceiling (`n` at most 24: the secret is made of it).
pub fn token_capped(
    store: &mut SqliteStore,
    n: u8,
    org: &str,
    role: Role,
    scopes: &[Scope],
    max_tlp: Option<pelita_model::Tlp>,
) -> String {
    let id = format!("{n:016x}");
    let c = char::from(b'B' + n);
    let secret: String = std::iter::repeat_n(c, 42)
        .chain(std::iter::once('A'))
        .collect();
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8, 1, 1, None).unwrap(),
    );
    let salt = SaltString::encode_b64(b"pelita-test-salt").unwrap();
    let hash = argon
        .hash_password(secret.as_bytes(), &salt)
        .unwrap()
        .to_string();
    store
        .put_token(&TokenRow {
            id: id.clone(),
            name: format!("t{n}"),
            hash,
            grant: TokenGrant {
                org: org.into(),
                role,
                scopes: scopes.to_vec(),
                max_tlp,
                expires_at: None,
                revoked: false,
            },
            created_at: time::OffsetDateTime::now_utc(),
        })
        .unwrap();
    format!("pelita_{id}_{secret}")
}

/// An answer.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The head (status line and headers), lower-cased.
    pub headers: String,
    /// The body as JSON (`Null` if it is not JSON).
    pub body: Value,
    /// The body as text.
    pub text: String,
    /// The head as sent (case kept: cookie values are case-sensitive).
    pub raw_head: String,
}

impl Reply {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            (n.trim() == name).then(|| v.trim())
        })
    }
}

/// One request on a new connection.
pub fn http(addr: SocketAddr, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> Reply {
    http_with(addr, method, path, token, &[], body)
}

/// A package posted to `/api/v1/submissions?{query}` with `token`.
pub fn submit(addr: SocketAddr, token: &str, query: &str, body: &[u8]) -> Reply {
    http(
        addr,
        "POST",
        &format!("/api/v1/submissions?{query}"),
        Some(token),
        body,
    )
}

/// One request with extra headers, on a new connection.
pub fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: pelita.test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Reply {
        status,
        headers: head.to_ascii_lowercase(),
        body: serde_json::from_str(rest).unwrap_or(Value::Null),
        text: rest.to_owned(),
        raw_head: head.to_owned(),
    }
}

/// Sends only the head of a request that announces a body of
/// `content_length` bytes, never the body, and returns the status of the
/// answer if one comes within 5 s: a server that checks the caller before
/// reading the body answers; one that waits for the body does not.
pub fn head_only(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    content_length: usize,
) -> Option<u16> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: pelita.test\r\nContent-Length: {content_length}\r\n"
    );
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    text.split(' ').nth(1).and_then(|c| c.parse().ok())
}

/// Serves `store` on a free loopback port in a background thread.
pub fn serve(store: SqliteStore, dir: &std::path::Path, max_body: usize, rate: f64) -> SocketAddr {
    serve_with(store, config(dir, max_body, rate)).0
}

/// The configuration `serve` uses.
pub fn config(dir: &std::path::Path, max_body: usize, rate: f64) -> pelita_server::Config {
    pelita_server::Config {
        data_dir: dir.to_path_buf(),
        max_body_bytes: max_body,
        requests_per_second: rate,
        request_timeout: std::time::Duration::from_secs(60),
        anonymous_read: false,
        as_of: None,
    }
}

/// Serves `store` with `config`; the state, to flush the audit queue.
pub fn serve_with(
    store: SqliteStore,
    config: pelita_server::Config,
) -> (SocketAddr, pelita_server::AppState) {
    let state = pelita_server::AppState::new(store, config).unwrap();
    let handle = state.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(l, pelita_server::router(state)).await.unwrap();
        });
    });
    (addr, handle)
}

/// A person's account with a cheap argon2id hash of `password`.
pub fn user(store: &mut SqliteStore, name: &str, org: &str, password: &str) {
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8, 1, 1, None).unwrap(),
    );
    let salt = SaltString::encode_b64(b"pelita-test-salt").unwrap();
    let hash = argon
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string();
    store
        .put_user(&pelita_store::UserRow {
            name: name.into(),
            org: org.into(),
            hash,
            created_at: time::OffsetDateTime::now_utc(),
            disabled: false,
        })
        .unwrap();
}

/// The password of every account [`web_fixture`] makes.
pub const PASSWORD: &str = "correct horse battery";

/// A value only cert-a may see (TLP:RED, submitted by cert-a).
pub const RED_OF_A: &str = "198.51.100.7";
/// A value everyone may see (TLP:GREEN, submitted by firm-b).
pub const GREEN_OF_B: &str = "203.0.113.9";
/// The country [`web_fixture`]'s values are in.
pub const WEB_COUNTRY: &str = "SG";
/// The operation of [`web_fixture`] (cert-a only).
pub const WEB_OPERATION: &str = "op-a";
/// A value nobody submitted.
pub const UNKNOWN: &str = "198.51.100.99";

/// Two organisations (cert-a, firm-b, both analysts) with one account
/// each (`ana`, `bob`, password [`PASSWORD`]); cert-a has shared
/// [`RED_OF_A`] as TLP:RED, firm-b [`GREEN_OF_B`] as TLP:GREEN, through the
/// API. Returns the address and the state.
///
/// Both values are placed in [`WEB_COUNTRY`] (an enrichment override for
/// the documentation networks); the administrators' organisation `centre`
/// has the account `ada`; operation [`WEB_OPERATION`] has cert-a as its
/// only member.
pub fn web_fixture(dir: &std::path::Path) -> (SocketAddr, pelita_server::AppState) {
    let mut store = SqliteStore::open(&dir.join("pelita.db")).unwrap();
    store.set_enricher(
        pelita_enrich::Enricher::builtin()
            .add_csv_overrides_text(
                "test",
                "network,country,asn,as name\n\
                 198.51.100.0/24,SG,64496,Test Hosting SG (synthetic)\n\
                 203.0.113.0/24,SG,64496,Test Hosting SG (synthetic)\n",
            )
            .unwrap()
            .without_benign_lists(&["rfc5735"]),
    );
    store.put_organisation("cert-a", Role::Analyst).unwrap();
    store.put_organisation("firm-b", Role::Analyst).unwrap();
    store
        .put_organisation("centre", Role::Administrator)
        .unwrap();
    store
        .put_operation(&pelita_store::OperationSpec {
            name: WEB_OPERATION.into(),
            title: "Operation A (synthetic)".into(),
            starts_at: None,
            ends_at: None,
            countries: vec![WEB_COUNTRY.into()],
            organisations: vec!["cert-a".into()],
            scope: "C2 takedown".into(),
        })
        .unwrap();
    user(&mut store, "ada", "centre", PASSWORD);
    store.mark_synthetic().unwrap();
    let all = [Scope::Read, Scope::Submit, Scope::Report];
    let a = token(&mut store, 1, "cert-a", Role::Analyst, &all);
    let b = token(&mut store, 2, "firm-b", Role::Analyst, &all);
    user(&mut store, "ana", "cert-a", PASSWORD);
    user(&mut store, "bob", "firm-b", PASSWORD);
    let (addr, state) = serve_with(store, config(dir, 1 << 20, 1000.0));
    let r = http(
        addr,
        "POST",
        "/api/v1/submissions?format=list&tlp=red&name=a-red.txt",
        Some(&a),
        format!("{RED_OF_A}\n").as_bytes(),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let r = http(
        addr,
        "POST",
        "/api/v1/submissions?format=list&tlp=green&name=b-green.txt",
        Some(&b),
        format!("{GREEN_OF_B}\n").as_bytes(),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    (addr, state)
}
