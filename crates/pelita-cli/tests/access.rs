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

/// `pelita ARGS --data-dir DIR` with `stdin` on standard input.
fn pelita_stdin(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = common::command(dir, args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_accounts_take_the_password_from_stdin_only_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        pelita(d, &["org", "add", "cert-a", "--role", "analyst"])
            .status
            .success()
    );
    let password = "a long enough passphrase";
    let add = pelita_stdin(
        d,
        &["user", "add", "ana", "--org", "cert-a", "--password-stdin"],
        &format!("{password}\n"),
    );
    assert!(add.status.success(), "{}", out(&add));
    assert!(!out(&add).contains(password), "{}", out(&add));
    // There is no way to give the password on the command line.
    let argv = pelita(
        d,
        &["user", "add", "bob", "--org", "cert-a", "--password", "x"],
    );
    assert_eq!(argv.status.code(), Some(2), "{}", out(&argv));
    let short = pelita_stdin(d, &["user", "add", "bob", "--org", "cert-a"], "short\n");
    assert_eq!(short.status.code(), Some(2), "{}", out(&short));
    let nobody = pelita_stdin(
        d,
        &["user", "add", "bob", "--org", "nobody"],
        &format!("{password}\n"),
    );
    assert_eq!(nobody.status.code(), Some(2));
    assert!(
        out(&nobody).contains("pelita org add nobody"),
        "{}",
        out(&nobody)
    );
    let twice = pelita_stdin(
        d,
        &["user", "add", "ana", "--org", "cert-a"],
        &format!("{password}\n"),
    );
    assert_eq!(twice.status.code(), Some(2), "{}", out(&twice));

    let listed = out(&pelita(d, &["user", "list"]));
    assert!(
        listed.contains("ana") && listed.contains("cert-a") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains("argon2"), "{listed}");

    // Only the argon2id hash is stored, and it verifies.
    let store = SqliteStore::open(&d.join("pelita.db")).unwrap();
    let user = store.user("ana").unwrap().unwrap();
    assert!(user.hash.starts_with("$argon2id$"), "{}", user.hash);
    assert!(pelita_auth::verify_password(password, &user.hash));
    assert!(!pelita_auth::verify_password(
        "a long enough passphrasE",
        &user.hash
    ));
    let audit = store.audit_entries(1, 100).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.action == "user.add" && e.entry.detail.contains("ana")),
        "{audit:?}"
    );
}
