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

/// Runs `pelita` and hands back its standard output, failing the test on
/// a non-zero exit.
fn ok(args: &[&str]) -> String {
    let out = pelita(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An analyst organisation `cert-a` in data directory `d`, and its new token.
fn analyst_token(d: &str) -> String {
    ok(&["org", "add", "cert-a", "--role", "analyst", "--data-dir", d]);
    ok(&[
        "token",
        "create",
        "--org",
        "cert-a",
        "--name",
        "t",
        "--data-dir",
        d,
    ])
    .lines()
    .next()
    .unwrap()
    .trim()
    .to_owned()
}

/// Starts `pelita serve` on data directory `d` with `extra` options, on a
/// free loopback port; submits `body` as a TLP:GREEN list with `token`,
/// stops the server and hands back the HTTP answer.
fn submit_to_server(d: &str, extra: &[&str], token: &str, body: &str) -> String {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};

    let mut server = Command::new(env!("CARGO_BIN_EXE_pelita"))
        .args(["serve", "--data-dir", d, "--listen", "127.0.0.1:0"])
        .args(extra)
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
    answer
}

/// `pelita lookup --json` of `values` in data directory `d`, one view each.
fn lookup(d: &str, values: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["lookup", "--json", "--data-dir", d];
    args.extend_from_slice(values);
    ok(&args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A package submitted to `pelita serve` is enriched like one given to
/// `pelita ingest`: the data directory's imported warninglists suppress
/// its known-benign values.
#[test]
fn imported_warninglists_suppress_in_submissions_to_the_server() {
    let (dir, data) = imported_test_list("serve-");
    let d = data.to_str().unwrap();
    let token = analyst_token(d);
    let answer = submit_to_server(
        d,
        &[],
        &token,
        "benign-test.example.org\nother.example.org\n",
    );
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");

    let views = lookup(d, &["benign-test.example.org", "other.example.org"]);
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

/// The server takes the user's IP overrides too (`ip_overrides` in its
/// configuration file, relative to the file's folder, or
/// `--ip-overrides`): a submitted address inside an override network is
/// placed where the override says, the others by the shipped data.
#[test]
fn the_server_enriches_submissions_with_the_ip_overrides() {
    let dir = std::env::temp_dir().join(format!("pelita-data-overrides-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("overrides.csv"),
        "network,country,asn,as name\n198.51.100.0/24,FR,64500,Override Net\n",
    )
    .unwrap();
    let config = conf.join("serve.toml");
    std::fs::write(&config, "ip_overrides = \"overrides.csv\"\n").unwrap();
    let data = dir.join("data");
    let d = data.to_str().unwrap();
    let token = analyst_token(d);

    let answer = submit_to_server(
        d,
        &["--config", config.to_str().unwrap()],
        &token,
        "198.51.100.7\n8.8.8.8\n",
    );
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let views = lookup(d, &["198.51.100.7", "8.8.8.8"]);
    let e = &views[0]["exact"]["enrichment"];
    assert_eq!(
        (&e["country"], &e["asn"], &e["as_name"]),
        (&"FR".into(), &64500.into(), &"Override Net".into()),
        "{}",
        views[0]
    );
    let e = &views[1]["exact"]["enrichment"];
    assert_eq!(
        (&e["country"], &e["asn"]),
        (&"US".into(), &15169.into()),
        "{}",
        views[1]
    );

    // A missing overrides file stops the server at its start, naming the file.
    let out = pelita(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--ip-overrides",
        dir.join("missing.csv").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing.csv"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
