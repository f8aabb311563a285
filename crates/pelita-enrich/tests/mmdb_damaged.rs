//! A damaged `.mmdb` (truncated, or with bytes changed) is refused or
//! answers nothing; it never panics, at open or at look-up.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::net::IpAddr;

use pelita_enrich::overrides::Mmdb;
use pelita_test_support::mmdb::{MmdbWriter, Network, Value};

fn sample() -> Vec<u8> {
    let net = |s: &str| s.parse::<Network>().unwrap();
    let mut w = MmdbWriter::new("Pelita-Test-Damaged").build_epoch(1_750_000_000);
    for (i, cc) in ["FR", "NL", "DE", "SG", "MY", "ID", "TH", "PH"]
        .iter()
        .enumerate()
    {
        w.insert(
            net(&format!("10.{i}.0.0/16")),
            Value::map([
                ("country", Value::map([("iso_code", Value::str(cc))])),
                ("autonomous_system_number", Value::U32(64500 + i as u32)),
                ("autonomous_system_organization", Value::str("Damaged Net")),
            ]),
        );
    }
    w.insert(
        net("2001:db8::/32"),
        Value::map([("country_code", Value::str("DE"))]),
    );
    w.to_bytes().unwrap()
}

/// Opens `bytes` and looks up a spread of addresses; `Err` if it panicked.
fn exercise(bytes: Vec<u8>) -> std::thread::Result<()> {
    std::panic::catch_unwind(move || {
        if let Ok(db) = Mmdb::from_bytes(bytes) {
            let _ = db.version();
            for probe in [
                "10.0.0.1",
                "10.3.200.9",
                "10.7.255.255",
                "192.0.2.1",
                "0.0.0.0",
                "255.255.255.255",
                "2001:db8::1",
                "::1",
            ] {
                let ip: IpAddr = probe.parse().unwrap();
                let _ = db.lookup(ip);
            }
        }
    })
}

#[test]
fn a_valid_file_answers() {
    let db = Mmdb::from_bytes(sample()).unwrap();
    assert_eq!(
        db.lookup("10.3.1.1".parse().unwrap()).country.as_deref(),
        Some("SG")
    );
    // The same address written IPv4-mapped.
    assert_eq!(
        db.lookup("::ffff:10.3.1.1".parse().unwrap())
            .country
            .as_deref(),
        Some("SG")
    );
}

#[test]
fn truncated_files_never_panic() {
    let good = sample();
    let mut panicked = Vec::new();
    for len in 0..good.len() {
        if exercise(good[..len].to_vec()).is_err() {
            panicked.push(len);
        }
    }
    assert!(panicked.is_empty(), "panicked when cut at {panicked:?}");
}

#[test]
fn changed_bytes_never_panic() {
    let good = sample();
    // Seeded xorshift: every byte, several replacement values each.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut panicked = Vec::new();
    for at in 0..good.len() {
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut bad = good.clone();
            bad[at] = (state & 0xff) as u8;
            if exercise(bad).is_err() {
                panicked.push(at);
                break;
            }
        }
    }
    assert!(
        panicked.is_empty(),
        "panicked with a byte changed at {panicked:?}"
    );
}

#[test]
fn a_file_cut_short_is_refused_with_a_clear_error() {
    let good = sample();
    let err = Mmdb::from_bytes(good[..good.len() / 2].to_vec()).unwrap_err();
    assert!(
        err.to_string().contains("MaxMind"),
        "the error names the file's kind: {err}"
    );
}
