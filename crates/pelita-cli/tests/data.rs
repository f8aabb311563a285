//! End to end: imported warninglists are used by ingest and shown by lookup.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::process::Command;

fn pelita(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pelita"))
        .args(args)
        .output()
        .unwrap()
}

/// A fresh folder `pelita-data-<tag><pid>` under the temporary directory
/// holding a one-entry warninglist ("Test benign hosts":
/// `benign-test.example.org`), imported into its `data` directory; the
/// folder and the data directory.
fn imported_test_list(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("pelita-data-{tag}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let lists = dir.join("lists/test-benign");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::write(
        lists.join("list.json"),
        r#"{"name": "Test benign hosts", "type": "hostname", "version": 1, "description": "test",
            "matching_attributes": ["hostname", "domain", "url"], "list": ["benign-test.example.org"]}"#,
    )
    .unwrap();
    let data = dir.join("data");
    let out = pelita(&[
        "data",
        "import-warninglists",
        "--data-dir",
        data.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 warninglists"));
    (dir, data)
}

#[test]
fn imported_warninglists_suppress_at_ingest() {
    let (dir, data) = imported_test_list("");
    let d = data.to_str().unwrap();

    let input = dir.join("list.txt");
    std::fs::write(&input, "benign-test.example.org\nother.example.org\n").unwrap();
    assert!(
        pelita(&[
            "ingest",
            "--data-dir",
            d,
            "--source",
            "cert-a",
            input.to_str().unwrap()
        ])
        .status
        .success()
    );
    let out = pelita(&[
        "lookup",
        "--json",
        "--data-dir",
        d,
        "benign-test.example.org",
        "other.example.org",
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let suppressed = |v: &serde_json::Value| {
        v["exact"]["fused"]["suppressed"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(
        suppressed(&lines[0])
            .iter()
            .any(|s| s["reason"] == "known-benign" && s["list"] == "Test benign hosts"),
        "{}",
        lines[0]
    );
    assert!(
        !suppressed(&lines[1])
            .iter()
            .any(|s| s["reason"] == "known-benign"),
        "{}",
        lines[1]
    );

    let info = pelita(&["data", "info", "--data-dir", d]);
    assert!(String::from_utf8_lossy(&info.stdout).contains("1 imported"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_sample_warninglist_imports() {
    let Some(samples) = pelita_test_support::samples("misp-warninglists") else {
        return;
    };
    let data = std::env::temp_dir().join(format!("pelita-data-samples-{}", std::process::id()));
    let out = pelita(&[
        "data",
        "import-warninglists",
        "--data-dir",
        data.to_str().unwrap(),
        samples.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = std::fs::read_dir(samples.join("lists"))
        .map(|d| d.count())
        .unwrap_or_else(|_| std::fs::read_dir(&samples).unwrap().count());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("imported {n} warninglists")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// A package submitted to `pelita serve` is enriched like one given to
/// `pelita ingest`: the data directory's imported warninglists suppress
/// its known-benign values.
#[test]
fn imported_warninglists_suppress_in_submissions_to_the_server() {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};

    let (dir, data) = imported_test_list("serve-");
    let d = data.to_str().unwrap();
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    ok(pelita(&[
        "org",
        "add",
        "cert-a",
        "--role",
        "analyst",
        "--data-dir",
        d,
    ]));
    let token = ok(pelita(&[
        "token",
        "create",
        "--org",
        "cert-a",
        "--name",
        "t",
        "--data-dir",
        d,
    ]))
    .lines()
    .next()
    .unwrap()
    .trim()
    .to_owned();

    let mut server = Command::new(env!("CARGO_BIN_EXE_pelita"))
        .args(["serve", "--data-dir", d, "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let body = "benign-test.example.org\nother.example.org\n";
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /api/v1/submissions?format=list&tlp=green HTTP/1.1\r\nHost: pelita.test\r\n\
         Authorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");

    let out = ok(pelita(&[
        "lookup",
        "--json",
        "--data-dir",
        d,
        "benign-test.example.org",
        "other.example.org",
    ]));
    let views: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let benign = |v: &serde_json::Value| {
        v["exact"]["fused"]["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"] == "known-benign" && s["list"] == "Test benign hosts")
    };
    assert!(benign(&views[0]), "{}", views[0]);
    assert!(!benign(&views[1]), "{}", views[1]);
    let _ = std::fs::remove_dir_all(&dir);
}
