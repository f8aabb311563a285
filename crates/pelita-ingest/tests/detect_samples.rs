//! Detection on the real shared samples the format crates test (skipped when absent).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::io::Read;
use std::path::{Path, PathBuf};

use pelita_ingest::{HEAD_BYTES, detect};

fn head(path: &Path) -> Vec<u8> {
    let mut h = Vec::new();
    std::fs::File::open(path)
        .unwrap()
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut h)
        .unwrap();
    h
}

/// The detected format's name, or `error <code>`.
fn detected(path: &Path) -> String {
    let h = if path.is_dir() {
        Vec::new()
    } else {
        head(path)
    };
    match detect(&h, Some(path)) {
        Ok(d) => {
            assert!(!d.reason.is_empty());
            d.format.to_string()
        }
        Err(e) => format!("error {}", e.code),
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    pelita_test_support::files_below(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect()
}

fn top_json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn oasis_stix_examples_are_stix() {
    let Some(dir) = pelita_test_support::samples("oasis-stix2-json-schemas/examples") else {
        return;
    };
    let files = json_files(&dir);
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(detected(&f), "stix", "{}", f.display());
    }
}

#[test]
fn unit42_reports_are_stix() {
    let Some(dir) = pelita_test_support::samples("unit42-iocs/stix2-reports") else {
        return;
    };
    let files = json_files(&dir);
    assert!(files.len() >= 10);
    for f in files {
        assert_eq!(detected(&f), "stix", "{}", f.display());
    }
}

#[test]
fn stix_validator_examples_are_stix() {
    let Some(dir) = pelita_test_support::samples("oasis-stix-validator/test-examples/v21") else {
        return;
    };
    for f in json_files(&dir) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("invalid_braces") {
            continue; // broken JSON on purpose
        }
        assert_eq!(detected(&f), "stix", "{}", f.display());
    }
}

#[test]
fn pymisp_events_are_misp() {
    let Some(dir) = pelita_test_support::samples("pymisp") else {
        return;
    };
    let mut n = 0;
    for f in [dir.join("misp_event.json"), dir.join("new_misp_event.json")]
        .into_iter()
        .chain(top_json_files(&dir.join("mispevent_testfiles")))
    {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        // A galaxy, a sighting and `{}`: not MISP events, not any format.
        if ["galaxy.json", "sighting.json", "simple.json"].contains(&name.as_str()) {
            assert_eq!(detected(&f), "error ingest.unknown-json", "{name}");
            continue;
        }
        assert_eq!(detected(&f), "misp", "{}", f.display());
        n += 1;
    }
    assert!(n >= 10, "only {n} files");
    assert_eq!(detected(&dir.join("stix2.json")), "stix");
}

#[test]
fn misp_feed_directory_is_misp_feed() {
    let Some(dir) = pelita_test_support::samples("misp-core/feeds/misp") else {
        return;
    };
    assert_eq!(detected(&dir), "misp-feed");
    // Its event file alone is a MISP event.
    assert_eq!(
        detected(&dir.join("56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json")),
        "misp"
    );
}

#[test]
fn intelmq_feeds() {
    let Some(dir) = pelita_test_support::samples("intelmq/parsers") else {
        return;
    };
    assert_eq!(detected(&dir.join("abusech/urlhaus.txt")), "csv:urlhaus");
    assert_eq!(
        detected(&dir.join("spamhaus/drop.txt")),
        "csv:spamhaus-drop"
    );
    assert_eq!(
        detected(&dir.join("spamhaus/asndrop.txt")),
        "csv:spamhaus-asndrop"
    );
}

#[test]
fn eset_hash_lists_are_lists() {
    let Some(dir) = pelita_test_support::samples("eset-malware-ioc") else {
        return;
    };
    let lists: Vec<PathBuf> = pelita_test_support::files_below(&dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "samples.sha256"))
        .collect();
    assert!(lists.len() >= 5, "only {} lists", lists.len());
    for f in lists {
        assert_eq!(detected(&f), "list", "{}", f.display());
    }
}
