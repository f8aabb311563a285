//! View-equivalence through the HTTP layer: for random sharing scenarios
//! (`pelita_store::scenario`), every organisation's tokens (with and
//! without a marking ceiling) and the anonymous reader get, from the
//! server, exactly the answers a server whose store holds only the
//! sightings that reader may see gives: look-ups in every notation,
//! search, counts, blocklists, operation reports and TAXII collections,
//! status codes and bodies byte for byte.
//!
//! The store-level test (`pelita-store/tests/sharing.rs`, 100,000 answers
//! by default) covers the queries; this one covers what the server adds:
//! which filter a token gets, what a hidden value answers, and what goes
//! into a body. Cases (compared answers): `PELITA_HTTP_SHARING_CASES`,
//! default 3,000; seed `PELITA_HTTP_SHARING_SEED`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use common::{config, serve_with, token_capped};
use pelita_auth::{Role, Scope};
use pelita_model::Tlp;
use pelita_store::scenario::{NOTATIONS, ORGS, Scenario, VALUES, prepare};
use pelita_store::{OrgId, Reader, SqliteStore, Store as _};
use pelita_test_support::SplitMix64;

/// A store for a scenario's sightings that `keep` lets through, with every
/// organisation and one token per (organisation, ceiling), served.
fn served(
    dir: &std::path::Path,
    name: &str,
    scenario: &Scenario,
    keep: &dyn Fn(&pelita_store::scenario::Sub, &pelita_store::scenario::Rec) -> bool,
    ceilings: &[Option<Tlp>],
) -> (std::net::SocketAddr, Vec<Vec<String>>) {
    let path = dir.join(name).join("pelita.db");
    let mut store = SqliteStore::open(&path).unwrap();
    prepare(&mut store).unwrap();
    for org in ORGS {
        store.put_organisation(org, Role::Analyst).unwrap();
    }
    let scopes = [Scope::Read, Scope::Report];
    let mut tokens = Vec::new();
    let mut n = 0u8;
    for org in ORGS {
        let mut mine = Vec::new();
        for c in ceilings {
            n += 1;
            mine.push(token_capped(&mut store, n, org, Role::Analyst, &scopes, *c));
        }
        tokens.push(mine);
    }
    scenario.fill(&mut store, keep).unwrap();
    let mut cfg = config(path.parent().unwrap(), 1 << 20, 1e9);
    cfg.anonymous_read = true;
    cfg.as_of = Some(pelita_store::conformance::now());
    let (addr, _state) = serve_with(store, cfg);
    (addr, tokens)
}

/// Every question, asked of the server at `addr` with `token`.
fn answers(addr: std::net::SocketAddr, token: Option<&str>) -> Vec<String> {
    let enc = |v: &str| {
        v.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let mut paths: Vec<(&str, String, Vec<u8>)> = Vec::new();
    for v in VALUES.iter().chain(NOTATIONS.iter()) {
        paths.push(("GET", format!("/api/v1/indicators/{}", enc(v)), vec![]));
    }
    paths.push((
        "POST",
        "/api/v1/search".into(),
        NOTATIONS.join("\n").into_bytes(),
    ));
    paths.push(("GET", "/api/v1/stats".into(), vec![]));
    for kind in ["", "?kind=url", "?kind=ipv4"] {
        paths.push(("GET", format!("/api/v1/exports/blocklist{kind}"), vec![]));
    }
    for op in ["op-1", "op-2"] {
        paths.push(("GET", format!("/api/v1/reports/operation/{op}"), vec![]));
    }
    paths.push(("GET", "/taxii2/api/collections/".into(), vec![]));
    for c in ["tlp-clear", "tlp-green", "tlp-amber", "tlp-red", "op-op-1"] {
        paths.push((
            "GET",
            format!("/taxii2/api/collections/{c}/objects/?limit=2"),
            vec![],
        ));
        paths.push((
            "GET",
            format!("/taxii2/api/collections/{c}/manifest/"),
            vec![],
        ));
    }
    paths
        .into_iter()
        .map(|(method, path, body)| {
            let r = common::http_with(
                addr,
                method,
                &path,
                token,
                &[(
                    "Accept",
                    "application/taxii+json;version=2.1, application/json",
                )],
                &body,
            );
            format!("{method} {path} → {} {}", r.status, r.text)
        })
        .collect()
}

/// A reader, its (organisation, ceiling) token indices, and its ceiling.
type ReaderCase = (Reader, Option<(usize, usize)>, Tlp);

#[test]
fn every_reader_gets_what_a_store_of_only_its_sightings_answers() {
    let target: u64 = std::env::var("PELITA_HTTP_SHARING_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let seed: u64 = std::env::var("PELITA_HTTP_SHARING_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2026);
    let mut rng = SplitMix64(seed);
    let dir = tempfile::tempdir().unwrap();
    let (mut cases, mut scenarios, mut shown, mut hidden) = (0u64, 0u64, 0u64, 0u64);
    let ceilings = [None, Some(Tlp::Green), Some(Tlp::Amber)];
    while cases < target {
        let scenario = Scenario::random(&mut || rng.next_u64());
        let (addr, tokens) = served(
            dir.path(),
            &format!("s{scenarios}"),
            &scenario,
            &|_, _| true,
            &ceilings,
        );
        // The readers: each organisation under each ceiling, and the anonymous reader.
        let mut readers: Vec<ReaderCase> = Vec::new();
        for i in 0..ORGS.len() {
            for (j, c) in ceilings.iter().enumerate() {
                let member = Reader::Member(OrgId(i64::try_from(i).unwrap()));
                readers.push((member, Some((i, j)), c.unwrap_or(Tlp::Red)));
            }
        }
        readers.push((Reader::Anonymous, None, Tlp::Red));
        for (k, (reader, who, ceiling)) in readers.into_iter().enumerate() {
            let keep = |s: &_, r: &_| Scenario::keep(reader, ceiling, s, r);
            let (ref_addr, ref_tokens) = served(
                dir.path(),
                &format!("s{scenarios}-r{k}"),
                &scenario,
                &keep,
                &ceilings,
            );
            // The same token (organisation and ceiling) on both servers.
            let mine = who.map(|(i, j)| tokens[i][j].as_str());
            let theirs = who.map(|(i, j)| ref_tokens[i][j].as_str());
            let got = answers(addr, mine);
            let want = answers(ref_addr, theirs);
            for (g, w) in got.iter().zip(&want) {
                if g != w {
                    panic!(
                        "reader {reader:?} (org, ceiling {who:?}), scenario {scenario:#?}\n got: {g}\nwant: {w}"
                    );
                }
                if g.contains("→ 404") || g.contains("\"found\":0") || g.ends_with("→ 200 ") {
                    hidden += 1;
                } else {
                    shown += 1;
                }
            }
            cases += got.len() as u64;
        }
        scenarios += 1;
    }
    println!(
        "{cases} HTTP answers compared over {scenarios} random scenarios ({shown} showing something, {hidden} empty or not found)"
    );
    assert!(
        hidden > cases / 50 && shown > cases / 20,
        "shown {shown}, hidden {hidden}"
    );
}
