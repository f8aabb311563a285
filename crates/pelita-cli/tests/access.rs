//! End to end: `pelita org` and `pelita token`. A token is printed once,
//! only its hash is stored, it verifies against that hash, scopes must be
//! allowed by the role, and revocation sticks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::process::Output;

use pelita_store::{SqliteStore, Store as _};

/// `pelita ARGS --data-dir DIR`.
fn pelita(dir: &std::path::Path, args: &[&str]) -> Output {
    common::command(dir, args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn organisations_tokens_scopes_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        pelita(d, &["org", "add", "cert-sg", "--role", "administrator"])
            .status
            .success()
    );
    assert!(
        pelita(d, &["org", "add", "firm-a", "--role", "read-only"])
            .status
            .success()
    );
    let bad = pelita(d, &["org", "add", "bad name"]);
    assert_eq!(bad.status.code(), Some(2), "{}", out(&bad));
    let unknown_role = pelita(d, &["org", "add", "x", "--role", "boss"]);
    assert_eq!(unknown_role.status.code(), Some(2));
    assert!(
        out(&unknown_role).contains("administrator"),
        "{}",
        out(&unknown_role)
    );
    let list = out(&pelita(d, &["org", "list"]));
    assert!(
        list.contains("cert-sg") && list.contains("read-only"),
        "{list}"
    );

    // A read-only organisation may not get a submit token.
    let refused = pelita(
        d,
        &["token", "create", "--org", "firm-a", "--scopes", "submit"],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", out(&refused));
    assert!(
        out(&refused).contains("does not allow the scope submit"),
        "{}",
        out(&refused)
    );
    let missing = pelita(d, &["token", "create", "--org", "nobody"]);
    assert!(
        out(&missing).contains("pelita org add nobody"),
        "{}",
        out(&missing)
    );

    let made = pelita(
        d,
        &[
            "token",
            "create",
            "--org",
            "firm-a",
            "--name",
            "sync",
            "--max-tlp",
            "amber",
            "--expires",
            "30d",
        ],
    );
    assert!(made.status.success(), "{}", out(&made));
    let text = String::from_utf8_lossy(&made.stdout).into_owned();
    let secret = text.lines().next().unwrap().trim().to_owned();
    assert!(text.contains("only time the token is shown"));
    let (id, secret_part) = pelita_auth::parse_token(&secret).unwrap();

    // Only the hash is stored, and the secret verifies against it.
    let store = SqliteStore::open(&d.join("pelita.db")).unwrap();
    let row = store.token(id.as_str()).unwrap().unwrap();
    assert!(row.hash.starts_with("$argon2id$"));
    assert!(!row.hash.contains(secret_part));
    assert!(pelita_auth::verify_secret(secret_part, &row.hash));
    assert_eq!(row.grant.org, "firm-a");
    assert_eq!(row.grant.max_tlp, Some(pelita_model::Tlp::Amber));
    let days = (row.grant.expires_at.unwrap() - row.created_at).whole_days();
    assert_eq!(days, 30);
    drop(store);
    let db = std::fs::read(d.join("pelita.db")).unwrap();
    assert!(
        !db.windows(secret_part.len())
            .any(|w| w == secret_part.as_bytes()),
        "the secret is in the database file"
    );

    let listed = out(&pelita(d, &["token", "list"]));
    assert!(
        listed.contains(id.as_str()) && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(secret_part), "the list shows the secret");
    assert!(
        pelita(d, &["token", "revoke", id.as_str()])
            .status
            .success()
    );
    let listed = out(&pelita(d, &["token", "list"]));
    assert!(listed.contains("revoked"), "{listed}");
    let again = pelita(d, &["token", "revoke", "ffffffffffffffff"]);
    assert_eq!(again.status.code(), Some(2));

    // Every step is in the audit log, and the log is intact.
    let verify = pelita(d, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", out(&verify));
    // org add ×2, token create, token revoke (refused commands change nothing).
    assert!(out(&verify).contains("4 entries"), "{}", out(&verify));
}
