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
    }
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
