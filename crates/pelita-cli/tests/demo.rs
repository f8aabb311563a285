//! End to end: the real `pelita` binary, `demo` and then `report` on the demo store.
//!
//! One demo run (seed 7, scale 1, a fixed `--now`) is shared by every check
//! on the demo's own output and on `pelita report` against its store; two
//! more runs (`--json`, the same seed and another one) go in the background
//! meanwhile, for determinism.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{TempDir, command, pelita, s, text};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::Instant;

use serde_json::Value;

const NOW: &str = "2026-11-30";
const SEED: u64 = 7;
const OPERATION: &str = "demo-harbour-light";
/// The eight demo countries, in the order the summary table lists them.
const COUNTRIES: [(&str, &str); 8] = [
    ("SG", "Singapore"),
    ("MY", "Malaysia"),
    ("ID", "Indonesia"),
    ("TH", "Thailand"),
    ("PH", "Philippines"),
    ("VN", "Vietnam"),
    ("KH", "Cambodia"),
    ("LA", "Laos"),
];
/// Files every country report is written as (no PDF: the tests build without the feature).
const COUNTRY_FILES: [&str; 5] = ["md", "html", "json", "csv", "stix.json"];

/// A command running in the background; killed if the test fails before it is awaited.
struct Background(Option<Child>);

impl Background {
    fn spawn(cwd: &Path, args: &[&str]) -> Self {
        Background(Some(command(cwd, args).spawn().unwrap()))
    }
    fn finish(mut self) -> Output {
        self.0.take().unwrap().wait_with_output().unwrap()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn read_json(p: &Path) -> Value {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn assert_ok(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// TLP 2.0 markings, least restrictive first.
fn tlp_rank(m: &str) -> u8 {
    match m {
        "clear" => 0,
        "green" => 1,
        "amber" => 2,
        "amber+strict" => 3,
        "red" => 4,
        other => panic!("not a TLP marking: {other:?}"),
    }
}

/// Every indicator row of a country report's sections.
fn rows(report: &Value) -> Vec<&Value> {
    report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["indicators"].as_array().unwrap())
        .collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The number before `word` in the demo's summary line (`…, 11677 indicators, …`).
fn count_before(summary: &str, word: &str) -> u64 {
    let line = summary
        .lines()
        .find(|l| l.contains(" packages from "))
        .unwrap_or_else(|| panic!("no totals line in:\n{summary}"));
    let (before, _) = line
        .split_once(&format!(" {word}"))
        .unwrap_or_else(|| panic!("no {word:?} in {line:?}"));
    before
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|e| panic!("{word} in {line:?}: {e}"))
}

/// The seven figures of a row of the demo's summary table.
fn table_row(summary: &str, label: &str) -> [u64; 7] {
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no row {label:?} in:\n{summary}"));
    let figures: Vec<u64> = line.trim_start()[label.len()..]
        .split_whitespace()
        .map(|n| n.parse().unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect();
    figures
        .try_into()
        .unwrap_or_else(|f| panic!("{line:?}: {f:?}"))
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    v.sort();
    v
}

/// Every HTML page says it is synthetic and links nowhere (no http(s) URL but the SVG namespace).
fn check_html(dir: &Path) -> usize {
    let pages = html_files(dir);
    for p in &pages {
        let html = std::fs::read_to_string(p).unwrap();
        assert!(html.contains("SYNTHETIC DATA"), "{}", p.display());
        let stripped = html.replace("http://www.w3.org/2000/svg", "");
        for scheme in ["http://", "https://"] {
            if let Some(i) = stripped.find(scheme) {
                let end = stripped.len().min(i + 120);
                panic!(
                    "{} links out: {:?}",
                    p.display(),
                    stripped.get(i..end).unwrap_or("")
                );
            }
        }
    }
    pages.len()
}

fn country_files_exist(dir: &Path) {
    for (cc, _) in COUNTRIES {
        for ext in COUNTRY_FILES {
            let p = dir.join(format!("{cc}.{ext}"));
            assert!(p.is_file(), "{} missing", p.display());
        }
    }
}

fn now() -> time::OffsetDateTime {
    time::Date::from_calendar_date(2026, time::Month::November, 30)
        .unwrap()
        .midnight()
        .assume_utc()
}

#[test]
fn demo_then_reports_on_its_store() {
    let t = TempDir::new("demo");
    let root = &t.0;
    let dir = root.join("demo");
    let truth = pelita_demo::Scenario::new(SEED, 1, now()).truth();

    // 1. The demo itself, alone on the machine (so its time means something).
    let started = Instant::now();
    let out = pelita(
        root,
        &[
            "demo",
            "--out",
            s(&dir),
            "--now",
            NOW,
            "--seed",
            &SEED.to_string(),
        ],
    );
    let demo_secs = started.elapsed().as_secs_f64();
    eprintln!("pelita demo (seed {SEED}, scale 1): {demo_secs:.1} s");
    assert_ok(&out, "pelita demo");
    let summary = text(&out.stdout);

    // Two more runs meanwhile: the same seed (determinism) and another seed.
    let again_dir = root.join("again");
    let other_dir = root.join("other");
    let again = Background::spawn(
        root,
        &[
            "demo",
            "--json",
            "--out",
            s(&again_dir),
            "--now",
            NOW,
            "--seed",
            &SEED.to_string(),
        ],
    );
    let other = Background::spawn(
        root,
        &[
            "demo",
            "--json",
            "--out",
            s(&other_dir),
            "--now",
            NOW,
            "--seed",
            &(SEED + 1).to_string(),
        ],
    );

    assert!(summary.contains("SYNTHETIC DATA"), "{summary}");
    assert!(
        summary.contains(&format!("seed {SEED}, scale 1")),
        "{summary}"
    );
    // The table lists the eight countries, in order, with the C2 servers the generator made.
    let mut last = 0;
    let mut c2_total = 0;
    let mut c2_by_country = Vec::new();
    for (cc, name) in COUNTRIES {
        let label = format!("{name} ({cc})");
        let at = summary
            .find(&format!("  {label} "))
            .unwrap_or_else(|| panic!("no row for {label} in:\n{summary}"));
        assert!(at > last, "{label} out of order in:\n{summary}");
        last = at;
        let row = table_row(&summary, &label);
        assert!(
            row[0] >= row[1],
            "{label}: more C2 than indicators: {row:?}"
        );
        c2_total += row[1];
        c2_by_country.push(row[1]);
    }
    let total = table_row(&summary, "total");
    assert_eq!(total[1], c2_total, "the total row's C2 is not the sum");
    assert_eq!(
        c2_total, truth.c2_ips,
        "the summary's C2 servers are not the generator's"
    );
    assert_eq!(
        count_before(&summary, "packages from"),
        truth.packages,
        "{summary}"
    );
    let indicators = count_before(&summary, "indicators,");
    let sightings = count_before(&summary, "sightings");
    assert!(indicators > truth.c2_ips, "{summary}");
    assert!(sightings >= indicators, "{summary}");

    // The files.
    for f in [
        "index.html".to_owned(),
        format!("operation-{OPERATION}.html"),
    ] {
        assert!(dir.join(&f).is_file(), "{f} missing");
    }
    country_files_exist(&dir);
    let pages = check_html(&dir);
    assert_eq!(
        pages,
        COUNTRIES.len() + 2,
        "HTML pages in {}",
        dir.display()
    );

    // The figures are the generator's truth: every C2 sighting falls in the operation's 90 days.
    let mut c2_json = 0;
    for (i, (cc, name)) in COUNTRIES.iter().enumerate() {
        let r = read_json(&dir.join(format!("{cc}.json")));
        assert_eq!(r["country"], *cc);
        assert_eq!(r["country_name"], *name);
        assert_eq!(r["synthetic"], true);
        assert_eq!(r["operation"]["name"], OPERATION);
        assert_eq!(r["period"]["since"], "2026-09-01T00:00:00Z", "{cc}");
        assert_eq!(r["period"]["until"], "2026-11-30T00:00:00Z", "{cc}");
        let c2 = u(&r["summary"]["c2_servers"]);
        assert_eq!(
            c2, c2_by_country[i],
            "{cc}: the JSON report and the table disagree"
        );
        assert_eq!(
            c2, truth.countries[i].c2_ips,
            "{cc}: C2 servers against the generator's truth"
        );
        c2_json += c2;
    }
    assert_eq!(c2_json, truth.c2_ips);

    // The packages arrive one a minute, the last at `--now`.
    let db = dir.join("data").join("pelita.db");
    assert!(db.is_file());
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let times: Vec<i64> = c
            .prepare("SELECT received_at FROM submissions ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(times.len() as u64, truth.packages);
        assert!(times.windows(2).all(|w| w[1] - w[0] == 60), "{times:?}");
        assert_eq!(times.last().copied(), Some(now().unix_timestamp()));
    }

    // 2. `pelita report` on the demo store.
    let db = s(&db);

    let out = pelita(root, &["report", "--db", db, "--country", "SG"]);
    assert_ok(&out, "report --country SG");
    let md = text(&out.stdout);
    assert!(
        md.contains("\n# Cyber Activity Report: Singapore (SG)\n"),
        "{md}"
    );
    assert!(md.contains("SYNTHETIC DATA"), "{md}");
    assert!(md.contains("Period: all time to "), "{md}");

    // RED (the default) against a GREEN reader.
    let json_report = |extra: &[&str]| -> Value {
        let mut args = vec!["report", "--db", db, "--country", "SG", "--format", "json"];
        args.extend_from_slice(extra);
        let out = pelita(root, &args);
        assert_ok(&out, &format!("report --format json {extra:?}"));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let red = json_report(&[]);
    let green = json_report(&["--tlp", "green"]);
    assert_eq!(red["reader_max_tlp"], "red");
    assert_eq!(red["marking"], "red");
    assert!(
        rows(&red)
            .iter()
            .any(|r| tlp_rank(r["marking"].as_str().unwrap()) > 1),
        "the RED report has nothing above GREEN, so the GREEN filter is not tested"
    );
    assert_eq!(green["reader_max_tlp"], "green");
    let marking = green["marking"].as_str().unwrap();
    assert!(marking == "clear" || marking == "green", "{marking}");
    let green_rows = rows(&green);
    assert!(!green_rows.is_empty());
    for r in &green_rows {
        let m = r["marking"].as_str().unwrap();
        assert!(
            tlp_rank(m) <= 1,
            "{} marked {m} in a GREEN report",
            r["key"]
        );
    }
    let (c2_red, c2_green) = (
        u(&red["summary"]["c2_servers"]),
        u(&green["summary"]["c2_servers"]),
    );
    assert!(c2_green <= c2_red, "GREEN {c2_green} > RED {c2_red}");
    assert!(
        u(&green["summary"]["indicators"]) < u(&red["summary"]["indicators"]),
        "the GREEN reader sees everything the RED one does"
    );
    // The whole store, all time: every C2 server of the region.
    assert_eq!(c2_red, truth.countries[0].c2_ips);

    // --all: one report per country and an index.
    let d2 = root.join("d2");
    let out = pelita(root, &["report", "--db", db, "--all", "--out", s(&d2)]);
    assert_ok(&out, "report --all");
    for ext in ["md", "html", "json"] {
        assert!(d2.join(format!("index.{ext}")).is_file(), "index.{ext}");
    }
    country_files_exist(&d2);
    check_html(&d2);
    let index = read_json(&d2.join("index.json"));
    let listed: BTreeSet<&str> = index["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["country"].as_str().unwrap())
        .collect();
    for (cc, _) in COUNTRIES {
        assert!(listed.contains(cc), "{cc} not in the index: {listed:?}");
    }
    // Every country the index lists has its report, and the C2 servers add up.
    let mut c2_all = 0;
    for c in index["countries"].as_array().unwrap() {
        let cc = c["country"].as_str().unwrap();
        for ext in COUNTRY_FILES {
            assert!(d2.join(format!("{cc}.{ext}")).is_file(), "{cc}.{ext}");
        }
        c2_all += u(&c["summary"]["c2_servers"]);
    }
    assert_eq!(c2_all, truth.c2_ips);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("open {}", d2.join("index.html").display())),
        "{stdout}"
    );

    // --operation: the operation report and its countries.
    let d3 = root.join("d3");
    let out = pelita(
        root,
        &[
            "report",
            "--db",
            db,
            "--operation",
            OPERATION,
            "--out",
            s(&d3),
        ],
    );
    assert_ok(&out, "report --operation");
    for ext in ["md", "html", "json"] {
        let p = d3.join(format!("operation-{OPERATION}.{ext}"));
        assert!(p.is_file(), "{} missing", p.display());
    }
    country_files_exist(&d3);
    check_html(&d3);
    let op = read_json(&d3.join(format!("operation-{OPERATION}.json")));
    assert_eq!(op["operation"]["name"], OPERATION);
    assert_eq!(u(&op["submissions"]), truth.packages);
    assert_eq!(u(&op["stats"]["indicators"]), indicators);
    assert_eq!(u(&op["stats"]["sightings"]), sightings);
    let op_countries: Vec<&str> = op["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["country"].as_str().unwrap())
        .collect();
    for (cc, _) in COUNTRIES {
        assert!(op_countries.contains(&cc), "{cc}: {op_countries:?}");
    }
    let op_md = std::fs::read_to_string(d3.join(format!("operation-{OPERATION}.md"))).unwrap();
    assert!(
        op_md.contains("# Operation Harbour Light (synthetic)"),
        "{op_md}"
    );

    // PDF needs the `pdf` feature (tests normally build without it); with it, a
    // PDF is never printed to the terminal.
    let out = pelita(
        root,
        &["report", "--db", db, "--country", "SG", "--format", "pdf"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    if cfg!(feature = "pdf") {
        assert!(
            err.contains("a PDF is not printed: give --out DIR"),
            "{err}"
        );
    } else {
        assert!(err.contains("`pdf` feature"), "{err}");
    }
    assert!(out.stdout.is_empty());

    // --since: a span is fine, a word is a usage error that says how to write a date.
    let out = pelita(
        root,
        &["report", "--db", db, "--country", "SG", "--since", "30d"],
    );
    assert_ok(&out, "report --since 30d");
    let md = text(&out.stdout);
    assert!(
        md.contains("# Cyber Activity Report: Singapore (SG)"),
        "{md}"
    );
    assert!(!md.contains("Period: all time"), "{md}");
    let out = pelita(
        root,
        &[
            "report",
            "--db",
            db,
            "--country",
            "SG",
            "--since",
            "yesterday",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("--since"), "{err}");
    assert!(err.contains("yesterday"), "{err}");
    assert!(
        err.contains("2026-11-01") && err.contains("30d"),
        "does not say how to write a date: {err}"
    );

    // Determinism: the same seed gives the same store and reports; another seed does not.
    let again = again.finish();
    assert_ok(&again, "demo --json, same seed");
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(u(&again["seed"]), SEED);
    assert_eq!(u(&again["indicators"]), indicators);
    assert_eq!(u(&again["sightings"]), sightings);
    assert_eq!(u(&again["packages"]), truth.packages);
    let first_op = read_json(&dir.join(format!("operation-{OPERATION}.json")));
    assert_eq!(
        again["countries"], first_op["countries"],
        "the same seed gave other country figures"
    );
    for (cc, _) in COUNTRIES {
        for ext in ["json", "csv", "stix.json", "md", "html"] {
            let f = format!("{cc}.{ext}");
            assert!(
                std::fs::read(dir.join(&f)).unwrap() == std::fs::read(again_dir.join(&f)).unwrap(),
                "{f} differs between two runs with seed {SEED}"
            );
        }
    }
    let other = other.finish();
    assert_ok(&other, "demo --json, another seed");
    let other: Value = serde_json::from_slice(&other.stdout).unwrap();
    assert_eq!(u(&other["seed"]), SEED + 1);
    assert_ne!(
        u(&other["indicators"]),
        indicators,
        "seeds {SEED} and {} gave the same number of indicators",
        SEED + 1
    );
    let truth_other = pelita_demo::Scenario::new(SEED + 1, 1, now()).truth();
    let c2_other: u64 = other["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| u(&c["summary"]["c2_servers"]))
        .sum();
    assert_eq!(c2_other, truth_other.c2_ips);
    eprintln!("demo test: {:.1} s in all", started.elapsed().as_secs_f64());
}
