//! The library pipeline: archive, detect, parse the archived copy, canonicalise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use pelita_ingest::{
    Archive, ArchiveError, FormatChoice, IngestOptions, NoProgress, Record, ingest, ingest_file,
    submit_path,
};
use pelita_model::{IndicatorKind, Tlp};
use sha2::{Digest, Sha256};

/// A fresh, unique temporary directory (removed at the end of the test when it passes).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "pelita-ingest-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
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

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn temp_files(archive: &Archive) -> Vec<String> {
    std::fs::read_dir(archive.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn archive_is_content_addressed_idempotent_and_atomic() {
    let t = TempDir::new("archive");
    let archive = Archive::open(&t.0).unwrap();
    let bytes = b"1.2.3.4\nexample.com\n".repeat(10_000);
    let first = archive.put(bytes.as_slice(), u64::MAX).unwrap();
    let expected = sha256_hex(&bytes);
    assert_eq!(first.sha256, expected);
    assert_eq!(
        first.path,
        t.0.join("archive").join(&expected[..2]).join(&expected)
    );
    assert_eq!(first.size, bytes.len() as u64);
    assert!(first.new);
    assert_eq!(std::fs::read(&first.path).unwrap(), bytes);
    let modified = std::fs::metadata(&first.path).unwrap().modified().unwrap();

    let second = archive.put(bytes.as_slice(), u64::MAX).unwrap();
    assert_eq!(second.path, first.path);
    assert!(!second.new);
    assert_eq!(
        std::fs::metadata(&first.path).unwrap().modified().unwrap(),
        modified,
        "not rewritten"
    );
    assert!(archive.contains(&expected));
    assert!(
        temp_files(&archive).is_empty(),
        "{:?}",
        temp_files(&archive)
    );
}

#[test]
fn archive_refuses_oversized_input_and_leaves_nothing() {
    let t = TempDir::new("limit");
    let archive = Archive::open(&t.0).unwrap();
    let err = archive.put(&b"0123456789"[..], 4).unwrap_err();
    assert!(matches!(err, ArchiveError::TooLarge { limit: 4 }), "{err}");
    assert!(err.to_string().contains("larger than the limit of 4 bytes"));
    assert!(temp_files(&archive).is_empty());
    let dirs = std::fs::read_dir(archive.root()).unwrap().count();
    assert_eq!(dirs, 0);
}

fn options() -> IngestOptions {
    IngestOptions {
        source: Some("CERT-Test".into()),
        tlp: Some(Tlp::Amber),
        ..IngestOptions::default()
    }
}

#[test]
fn parse_reads_the_archived_copy_not_the_original() {
    let t = TempDir::new("copy");
    let archive = Archive::open(&t.0.join("data")).unwrap();
    let input = t.0.join("list.txt");
    std::fs::write(
        &input,
        "# indicators\n198.51.100.7\nhxxp://example[.]com/a\n",
    )
    .unwrap();
    let submission = submit_path(&archive, &input, &options().limits).unwrap();
    // The original changes after archiving; what is parsed is what was kept.
    std::fs::write(&input, "203.0.113.9\n").unwrap();
    let mut records: Vec<Record> = Vec::new();
    let report = ingest(
        &archive,
        &submission,
        &options(),
        &mut records,
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(report.format.as_deref(), Some("list"));
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["ipv4:198.51.100.7", "url:http://example.com/a"]);
    for r in &records {
        assert_eq!(r.submission, submission.stored.sha256);
        assert_eq!(r.source.as_deref(), Some("CERT-Test"));
        assert_eq!(r.tlp, Some(Tlp::Amber));
        assert!(r.location.line.is_some());
        assert_eq!(
            r.location.file.as_deref(),
            Some(input.display().to_string().as_str())
        );
    }
}

#[test]
fn a_bad_record_is_a_located_error_and_the_rest_goes_through() {
    let t = TempDir::new("bad");
    let archive = Archive::open(&t.0.join("data")).unwrap();
    let input = t.0.join("mixed.txt");
    std::fs::write(&input, "example.org\r\n999.1.1.1\r\n2001:db8::1").unwrap();
    let mut records: Vec<Record> = Vec::new();
    let report = ingest_file(&archive, &input, &options(), &mut records, &mut NoProgress).unwrap();
    assert_eq!(report.records, 2);
    assert_eq!(records.len(), 2);
    assert_eq!(report.by_kind.get(&IndicatorKind::Ipv6), Some(&1));
    let errors = &report.errors["indicator.invalid"];
    assert_eq!(errors.count, 1);
    assert_eq!(errors.first[0].location.line, Some(2));
    assert!(
        errors.first[0].message.contains("\"999.1.1.1\""),
        "{}",
        errors.first[0].message
    );
}

/// Every bad record of a package is listed with its place, in order,
/// whatever its kind, up to `MAX_LOCATED`; past that they are counted.
#[test]
fn every_bad_record_is_listed_with_its_line_up_to_the_cap() {
    let t = TempDir::new("many-bad");
    let archive = Archive::open(&t.0.join("data")).unwrap();
    let bad = pelita_ingest::MAX_LOCATED + 25;
    let mut text = String::from("example.org\n");
    for i in 0..bad {
        // Two kinds of bad value, interleaved.
        if i % 2 == 0 {
            text.push_str(&format!("999.{}.1.1\n", i % 200));
        } else {
            text.push_str(&format!("192.0.2.{}/99\n", i % 200));
        }
    }
    text.push_str("2001:db8::1\n");
    let input = t.0.join("many.txt");
    std::fs::write(&input, &text).unwrap();
    let mut records: Vec<Record> = Vec::new();
    let report = ingest_file(&archive, &input, &options(), &mut records, &mut NoProgress).unwrap();
    assert_eq!(
        report.records, 2,
        "the good lines before and after go through"
    );
    assert_eq!(report.error_count(), bad as u64);
    assert_eq!(report.located.len(), pelita_ingest::MAX_LOCATED);
    assert_eq!(report.unlisted, 25);
    // In input order: the n-th listed error is on line n + 2.
    for (n, p) in report.located.iter().enumerate() {
        assert_eq!(p.location.line, Some(n as u64 + 2), "{p:?}");
    }
    // Both kinds of bad value are listed, each with the value it is about.
    assert!(
        report
            .located
            .iter()
            .step_by(2)
            .all(|p| p.message.contains("999."))
    );
    assert!(
        report
            .located
            .iter()
            .skip(1)
            .step_by(2)
            .all(|p| p.message.contains("/99"))
    );
    for e in report.errors.values() {
        assert!(e.first.len() <= pelita_ingest::FIRST_LOCATIONS);
    }
    // The listed errors are in the report as stored and sent.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["located"].as_array().unwrap().len(),
        pelita_ingest::MAX_LOCATED
    );
    assert_eq!(json["unlisted"], 25);
}

#[test]
fn a_clean_report_lists_no_errors() {
    let t = TempDir::new("clean");
    let archive = Archive::open(&t.0.join("data")).unwrap();
    let input = t.0.join("clean.txt");
    std::fs::write(&input, "example.org\n192.0.2.1\n").unwrap();
    let mut records: Vec<Record> = Vec::new();
    let report = ingest_file(&archive, &input, &options(), &mut records, &mut NoProgress).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert!(
        json.get("located").is_none() && json.get("unlisted").is_none(),
        "{json}"
    );
}

#[test]
fn utf16_is_a_located_error() {
    let t = TempDir::new("utf16");
    let archive = Archive::open(&t.0.join("data")).unwrap();
    let input = t.0.join("u16.txt");
    std::fs::write(&input, [0xFF, 0xFE, b'1', 0, b'.', 0]).unwrap();
    let mut records: Vec<Record> = Vec::new();
    let report = ingest_file(&archive, &input, &options(), &mut records, &mut NoProgress).unwrap();
    assert!(records.is_empty());
    assert_eq!(report.format, None);
    let e = &report.errors["ingest.utf16"];
    assert_eq!(e.first[0].message, "UTF-16 input: convert to UTF-8");
    assert_eq!(e.first[0].location.offset, Some(0));
    // Archived all the same.
    assert!(archive.contains(&report.sha256));
}

#[test]
fn prose_goes_through_the_extractor() {
    let t = TempDir::new("text");
    let archive = Archive::open(&t.0.join("data")).unwrap();
    let input = t.0.join("report.md");
    std::fs::write(
        &input,
        "# Report\n\nThe actor served `hxxp://malware-host[.]ru/payload.exe` and used 45.77.10[.]2 for C2.\n",
    )
    .unwrap();
    let mut records: Vec<Record> = Vec::new();
    let report = ingest_file(&archive, &input, &options(), &mut records, &mut NoProgress).unwrap();
    assert_eq!(report.format.as_deref(), Some("text"));
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert!(keys.contains(&"ipv4:45.77.10.2"), "{keys:?}");
    assert!(
        keys.contains(&"url:http://malware-host.ru/payload.exe"),
        "{keys:?}"
    );
    assert!(records.iter().all(|r| r.location.line.is_some()));
}

#[test]
fn misp_feed_directory_is_one_submission_of_parts() {
    let Some(dir) = pelita_test_support::samples("misp-core/feeds/misp") else {
        return;
    };
    let t = TempDir::new("feed");
    let archive = Archive::open(&t.0).unwrap();
    let mut records: Vec<Record> = Vec::new();
    let report = ingest_file(&archive, &dir, &options(), &mut records, &mut NoProgress).unwrap();
    assert_eq!(report.format.as_deref(), Some("misp-feed"));
    assert!(report.parts.len() >= 2, "{:?}", report.parts);
    assert!(report.records > 0);
    let dir_name = dir.display().to_string();
    for r in &records {
        assert_eq!(r.submission, report.sha256);
        let part = r.part.as_deref().expect("feed records name their part");
        assert!(report.parts.iter().any(|p| p.sha256 == part));
        let file = r.location.file.as_deref().unwrap();
        assert!(file.starts_with(&dir_name), "{file}");
        assert!(r.location.pointer.is_some());
    }
    for p in &report.parts {
        let bytes = std::fs::read(dir.join(&p.name)).unwrap();
        assert_eq!(p.sha256, sha256_hex(&bytes));
        assert!(archive.contains(&p.sha256));
    }
    assert!(
        archive.contains(&report.sha256),
        "the part list is archived"
    );
    // No staging or temporary files are left.
    assert!(
        temp_files(&archive).is_empty(),
        "{:?}",
        temp_files(&archive)
    );
    // Again: already archived, same records.
    let mut again: Vec<Record> = Vec::new();
    let second = ingest_file(&archive, &dir, &options(), &mut again, &mut NoProgress).unwrap();
    assert!(second.already_archived);
    assert_eq!(second.sha256, report.sha256);
    assert_eq!(again, records);
}

#[test]
fn stix_sample_records_point_into_the_bundle() {
    let Some(dir) = pelita_test_support::samples("oasis-stix2-json-schemas/examples") else {
        return;
    };
    let t = TempDir::new("stix");
    let archive = Archive::open(&t.0).unwrap();
    let file = dir.join("indicator-for-c2-ip-address.json");
    let mut records: Vec<Record> = Vec::new();
    let opts = IngestOptions {
        format: FormatChoice::Auto,
        ..options()
    };
    let report = ingest_file(&archive, &file, &opts, &mut records, &mut NoProgress).unwrap();
    assert_eq!(report.format.as_deref(), Some("stix"));
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r.location.pointer.is_some()));
    assert!(records.iter().any(|r| r.kind == IndicatorKind::Ipv4));
}
