//! View-equivalence, the store's half of the sharing invariant: for a random
//! store (sources, markings, grades, dates, withdrawals) and a random reader
//! (a marking ceiling), every answer — existence, the fused view, the
//! per-source breakdown, the counts — equals a naive reference computed from
//! only the sightings that reader may see. An indicator the reader may not
//! see is "not found", exactly like one that was never stored.
//!
//! Cases: `PELITA_VIEW_CASES` (default 200; each builds a fresh database).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use pelita_fuse::{Policy, Sighting, fuse};
use pelita_model::{Admiralty, Credibility, SourceReliability, Tlp};
use pelita_store::conformance::{meta, now, record, submit};
use pelita_store::{SightingFilter, SqliteStore, Store};
use proptest::prelude::*;

/// A small pool, so that values collide across sources and submissions.
const VALUES: [&str; 6] = [
    "203.0.113.5",
    "c2.example.com",
    "http://c2.example.com/gate",
    "198.51.100.0/24",
    "AS64500",
    "d41d8cd98f00b204e9800998ecf8427e",
];
const SOURCES: [&str; 3] = ["cert-sg", "police-my", "firm-a"];

#[derive(Debug, Clone)]
struct Rec {
    value: usize,
    tlp: Option<Tlp>,
    reliability: Option<SourceReliability>,
    credibility: Option<Credibility>,
    days_ago: i64,
    withdrawn: bool,
}

#[derive(Debug, Clone)]
struct Sub {
    source: usize,
    default_tlp: Option<Tlp>,
    records: Vec<Rec>,
}

fn tlp() -> impl Strategy<Value = Option<Tlp>> {
    prop::option::of(prop::sample::select(Tlp::ALL.to_vec()))
}

fn sub() -> impl Strategy<Value = Sub> {
    let rec = (
        0..VALUES.len(),
        tlp(),
        prop::option::of(prop::sample::select(SourceReliability::ALL.to_vec())),
        prop::option::of(prop::sample::select(Credibility::ALL.to_vec())),
        0i64..200,
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(value, tlp, reliability, credibility, days_ago, withdrawn)| Rec {
                value,
                tlp,
                reliability,
                credibility,
                days_ago,
                withdrawn,
            },
        );
    (0..SOURCES.len(), tlp(), prop::collection::vec(rec, 1..6)).prop_map(
        |(source, default_tlp, records)| Sub {
            source,
            default_tlp,
            records,
        },
    )
}

fn key(value: &str) -> String {
    pelita_model::Indicator::parse(value, None, &pelita_model::ParseOptions::default())
        .unwrap()
        .indicator
        .key()
}

static N: AtomicU64 = AtomicU64::new(0);

fn check(subs: &[Sub], ceiling: Tlp, unmarked: Tlp) -> Result<(), TestCaseError> {
    let dir = std::env::temp_dir().join(format!(
        "pelita-view-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut store = SqliteStore::open(&dir.join("pelita.db")).unwrap();
    for (i, s) in subs.iter().enumerate() {
        let records = s
            .records
            .iter()
            .enumerate()
            .map(|(line, r)| {
                let mut rec = record(VALUES[r.value], line as u64 + 1, r.tlp, r.days_ago).unwrap();
                rec.admiralty = Admiralty {
                    reliability: r.reliability,
                    credibility: r.credibility,
                };
                rec.withdrawn = r.withdrawn;
                rec
            })
            .collect();
        submit(
            &mut store,
            &meta(&format!("s{i}"), SOURCES[s.source], s.default_tlp, 0),
            records,
        )
        .unwrap();
    }
    let filter = SightingFilter {
        max_tlp: ceiling,
        unmarked,
        operation: None,
        reader: pelita_store::Reader::Operator,
    };

    // The naive reference: every sighting, filtered by marking, grouped by key.
    let mut visible: BTreeMap<String, Vec<(usize, &Rec)>> = BTreeMap::new();
    for s in subs {
        for r in &s.records {
            let marking = r.tlp.or(s.default_tlp).unwrap_or(unmarked);
            if marking <= ceiling {
                visible
                    .entry(key(VALUES[r.value]))
                    .or_default()
                    .push((s.source, r));
            }
        }
    }
    let mut total_sightings = 0u64;
    for value in VALUES {
        let k = key(value);
        let got = store.indicator(&k, &filter, now()).unwrap();
        match visible.get(&k) {
            None => prop_assert!(
                got.is_none(),
                "{k}: visible to a {ceiling} reader but nothing it may see names it"
            ),
            Some(sightings) => {
                let got = got.ok_or_else(|| {
                    TestCaseError::fail(format!("{k}: visible sightings but not found"))
                })?;
                let times: Vec<_> = sightings
                    .iter()
                    .map(|(_, r)| now() - time::Duration::days(r.days_ago))
                    .collect();
                let reference: Vec<Sighting<'_>> = sightings
                    .iter()
                    .zip(&times)
                    .map(|((src, r), t)| Sighting {
                        source: SOURCES[*src],
                        reliability: r.reliability,
                        credibility: r.credibility,
                        first_seen: *t,
                        last_seen: *t,
                        count: 1,
                        withdrawn: r.withdrawn,
                    })
                    .collect();
                let want = fuse(got.kind, &reference, now(), &Policy::default()).unwrap();
                let mut fused = got.fused.clone();
                fused
                    .suppressed
                    .retain(|s| *s == pelita_fuse::Suppression::WithdrawnBySources);
                prop_assert_eq!(&fused, &want, "{}", k);
                let sources: BTreeSet<&str> = sightings.iter().map(|(s, _)| SOURCES[*s]).collect();
                let got_sources: BTreeSet<&str> =
                    got.sources.iter().map(|s| s.source.as_str()).collect();
                prop_assert_eq!(got_sources, sources, "{}", k);
                prop_assert!(
                    got.sources
                        .iter()
                        .all(|s| s.tlp.unwrap_or(unmarked) <= ceiling),
                    "{k}: a source row shows a marking above the reader's"
                );
                total_sightings += sightings.len() as u64;
            }
        }
    }
    let stats = store.stats(&filter).unwrap();
    prop_assert_eq!(stats.indicators, visible.len() as u64);
    prop_assert_eq!(stats.sightings, total_sightings);
    let sources: BTreeSet<usize> = visible.values().flatten().map(|(s, _)| *s).collect();
    prop_assert_eq!(stats.sources, sources.len() as u64);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PELITA_VIEW_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_answer_equals_the_reference_over_visible_sightings(
        subs in prop::collection::vec(sub(), 1..5),
        ceiling in prop::sample::select(Tlp::ALL.to_vec()),
        unmarked in prop::sample::select(Tlp::ALL.to_vec()),
    ) {
        check(&subs, ceiling, unmarked)?;
    }
}
