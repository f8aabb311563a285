//! MISP's samples that are not event JSON, through the ingest pipeline: the
//! CSV and free-text feeds of MISP's feed tests (`misp-core/feeds/csv`,
//! `misp-core/feeds/freetext`) and PyMISP's CSV-loader file, whose header
//! names MISP attribute types (`pymisp/csv_testfiles/valid_fieldnames.csv`).
//! Counts by kind are compared with an independent count from the file.
//! (The MISP feed directory `misp-core/feeds/misp` is tested in
//! `pipeline.rs` and in pelita-misp; it has no `hashes.csv`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pelita_ingest::{Archive, FormatChoice, IngestOptions, NoProgress, Record, ingest_file};
use pelita_model::IndicatorKind;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("pelita-misp-text-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Ingests one file; returns the report's format and its records by kind.
fn ingest(
    t: &TempDir,
    path: &Path,
    format: FormatChoice,
) -> (Option<String>, BTreeMap<IndicatorKind, u64>) {
    let archive = Archive::open(&t.0.join("data")).unwrap();
    let options = IngestOptions {
        format,
        ..IngestOptions::default()
    };
    let mut records: Vec<Record> = Vec::new();
    let report = ingest_file(&archive, path, &options, &mut records, &mut NoProgress).unwrap();
    assert!(
        report.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        report.errors
    );
    assert_eq!(report.records, records.len() as u64);
    let mut by_kind = BTreeMap::new();
    for r in &records {
        *by_kind.entry(r.kind).or_insert(0) += 1;
    }
    assert_eq!(by_kind, report.by_kind);
    (report.format, by_kind)
}

/// IPv4 addresses in a text, counted by splitting on blanks and commas (MISP
/// makes each an `ip-dst` attribute).
fn ipv4_tokens(text: &str) -> u64 {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok())
        .count() as u64
}

#[test]
fn misp_csv_and_freetext_feeds_are_lists() {
    for rel in [
        "misp-core/feeds/csv/feed.csv",
        "misp-core/feeds/freetext/feed.txt",
    ] {
        let Some(path) = pelita_test_support::samples(rel) else {
            return;
        };
        let t = TempDir::new(&rel.replace('/', "-"));
        let (format, by_kind) = ingest(&t, &path, FormatChoice::Auto);
        assert_eq!(format.as_deref(), Some("list"), "{rel}");
        let expected = ipv4_tokens(&std::fs::read_to_string(&path).unwrap());
        assert!(expected >= 2, "{rel}");
        assert_eq!(
            by_kind,
            BTreeMap::from([(IndicatorKind::Ipv4, expected)]),
            "{rel}"
        );
    }
}

/// PyMISP's CSV loader reads a header of MISP attribute types; Pelita reads
/// the same file with a mapping that names those columns (the layout is not
/// detected on its own: `--format csv:MAPPING.toml`).
#[test]
fn pymisp_csv_loader_file_with_a_mapping() {
    let Some(path) = pelita_test_support::samples("pymisp/csv_testfiles/valid_fieldnames.csv")
    else {
        return;
    };
    let t = TempDir::new("pymisp-csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|h| h.trim().to_owned())
        .collect();
    // Independent count: non-empty cells per MISP type named in the header.
    let mut expected: BTreeMap<IndicatorKind, u64> = BTreeMap::new();
    for line in lines {
        for (i, cell) in line.split(',').enumerate() {
            if !cell.trim().is_empty() {
                let kind = match header[i].as_str() {
                    "md5" => IndicatorKind::Md5,
                    "sha1" => IndicatorKind::Sha1,
                    "sha256" => IndicatorKind::Sha256,
                    other => panic!("MISP type {other:?} not expected in this file"),
                };
                *expected.entry(kind).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(expected.len(), 3, "{header:?}");
    let mut mapping = String::from("header = \"yes\"\n");
    for h in &header {
        mapping.push_str(&format!(
            "\n[[columns]]\ncolumn = \"{h}\"\nfield = \"value\"\nkind = \"{h}\"\n"
        ));
    }
    let mapping_file = t.0.join("misp-hashes.toml");
    std::fs::write(&mapping_file, mapping).unwrap();
    let format = FormatChoice::parse(&format!("csv:{}", mapping_file.display())).unwrap();
    let (_, by_kind) = ingest(&t, &path, format);
    assert_eq!(by_kind, expected);
}
