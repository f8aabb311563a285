//! View-equivalence under the sharing policy (docs/specs/sharing-policy.md):
//! for random stores (organisations, operations and their members,
//! submissions with markings and named recipients, sightings and
//! relationships), random readers and random questions, the store's answer
//! for a reader equals the answer of a *reference store* that holds only the
//! sightings [`may_see`] lets that reader see, read by the operator. An
//! indicator the reader may not see is "not found", exactly as if never
//! submitted; counts, fused views, related indicators, country queries and
//! operation figures all agree.
//!
//! Cases (one compared answer each): `PELITA_SHARING_CASES`, default 100,000;
//! set it to 1,000,000 or more for a long run. Seeded: the same cases on
//! every machine (`PELITA_SHARING_SEED` to explore others).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::path::Path;

use pelita_model::Tlp;
use pelita_store::conformance::now;
use pelita_store::scenario::{NOTATIONS, ORGS, Scenario, VALUES, prepare};
use pelita_store::{
    IndicatorQuery, OperationId, OrgId, Reader, SightingFilter, SqliteStore, Store,
};
use pelita_test_support::SplitMix64;

fn open(dir: &Path, name: &str) -> SqliteStore {
    let mut s = SqliteStore::open(&dir.join(format!("{name}.db"))).unwrap();
    prepare(&mut s).unwrap();
    s
}

/// Every question, answered by `store` for `filter`, as comparable text.
fn answers(store: &dyn Store, filter: &SightingFilter) -> Vec<String> {
    let mut out = Vec::new();
    let t = now();
    for v in VALUES {
        let key = pelita_model::Indicator::parse(v, None, &Default::default())
            .unwrap()
            .indicator
            .key();
        out.push(format!(
            "indicator {key}: {:?}",
            store.indicator(&key, filter, t).unwrap()
        ));
    }
    for n in NOTATIONS {
        out.push(format!(
            "lookup {n}: {:?}",
            store.lookup(n, filter, t).unwrap()
        ));
    }
    // Countries: none, one the IP data gives the 203.0.113.0/24 block (none:
    // it is documentation), and codes nothing is filed under.
    for country in [None, Some("US"), Some("SG"), Some("ZZ")] {
        for since in [None, Some(30), Some(100), Some(365)] {
            let since = since.map(|d| t - time::Duration::days(d));
            for limit in [None, Some(1), Some(2), Some(3)] {
                let q = IndicatorQuery {
                    country: country.map(str::to_owned),
                    since,
                    until: None,
                    limit,
                };
                out.push(format!(
                    "indicators {q:?}: {:?}",
                    store.indicators(&q, filter, t).unwrap()
                ));
            }
        }
    }
    out.push(format!("stats: {:?}", store.stats(filter).unwrap()));
    for back in [0, 30, 365] {
        out.push(format!(
            "seen days {back}: {:?}",
            store
                .seen_days(filter, t - time::Duration::days(back))
                .unwrap()
        ));
    }
    for op in [1, 2] {
        let op = OperationId(op);
        out.push(format!(
            "operation {op:?}: {:?}",
            store.operation_stats(op, filter).unwrap()
        ));
        let scoped = filter.in_operation(op);
        let stats = store.stats(&scoped).unwrap();
        // The server counts a member's operation submissions by `stats`.
        let per_source: u64 = store
            .operation_stats(op, filter)
            .unwrap()
            .by_source
            .values()
            .map(|c| c.submissions)
            .sum();
        assert_eq!(stats.submissions, per_source, "{op:?} for {filter:?}");
        out.push(format!("stats in {op:?}: {stats:?}"));
    }
    out
}

#[test]
fn every_answer_equals_the_answer_on_only_the_visible_sightings() {
    let target: u64 = std::env::var("PELITA_SHARING_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("PELITA_SHARING_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1337);
    let mut rng = SplitMix64(seed);
    // Thousands of small databases: on a memory file system when there is one.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let (mut cases, mut stores, mut hidden, mut shown) = (0u64, 0u64, 0u64, 0u64);
    while cases < target {
        let subs = Scenario::random(&mut || rng.next_u64());
        let name = format!("s{stores}");
        let mut store = open(dir.path(), &name);
        subs.fill(&mut store, &|_, _| true).unwrap();
        let org = |i: usize| store.org_id(ORGS[i]).unwrap();
        let mut readers = vec![(Reader::Operator, None), (Reader::Anonymous, None)];
        for i in 0..4 {
            // An organisation that never took part still reads as a member.
            let id = org(i).unwrap_or(OrgId(1_000 + i64::try_from(i).unwrap()));
            readers.push((Reader::Member(id), Some(i)));
        }
        for (reader, who) in readers {
            let ceiling = match rng.next_u64() % 4 {
                0 => Tlp::Green,
                1 => Tlp::Amber,
                _ => Tlp::Red,
            };
            let filter = SightingFilter {
                reader,
                ..SightingFilter::everything()
            }
            .at_most(ceiling);
            // The reference: what this reader may see, by the policy's plain
            // function and the ceiling, in a store of its own.
            let reference_reader = match (reader, who) {
                (Reader::Member(_), Some(i)) => Reader::Member(OrgId(i64::try_from(i).unwrap())),
                (r, _) => r,
            };
            let keep = |s: &_, r: &_| Scenario::keep(reference_reader, ceiling, s, r);
            let mut reference = open(dir.path(), &format!("{name}-ref"));
            subs.fill(&mut reference, &keep).unwrap();
            let got = answers(&store, &filter);
            let want = answers(&reference, &SightingFilter::everything());
            for (g, w) in got.iter().zip(&want) {
                if g != w {
                    panic!(
                        "reader {reader:?} (org {who:?}) under ceiling {ceiling:?}, store {subs:#?}\n got: {g}\nwant: {w}"
                    );
                }
                if g.ends_with(": None") {
                    hidden += 1;
                } else {
                    shown += 1;
                }
            }
            cases += got.len() as u64;
            drop(reference);
            for f in [
                "-ref.db",
                "-ref.db-wal",
                "-ref.db-shm",
                "-ref.audit.db",
                "-ref.audit.db-wal",
                "-ref.audit.db-shm",
            ] {
                let _ = std::fs::remove_file(dir.path().join(format!("{name}{f}")));
            }
        }
        drop(store);
        for f in [
            ".db",
            ".db-wal",
            ".db-shm",
            ".audit.db",
            ".audit.db-wal",
            ".audit.db-shm",
        ] {
            let _ = std::fs::remove_file(dir.path().join(format!("{name}{f}")));
        }
        stores += 1;
    }
    println!(
        "{cases} answers compared over {stores} random stores ({shown} with something visible, {hidden} not found)"
    );
    // The generator must exercise both sides of the policy.
    assert!(
        hidden > cases / 50 && shown > cases / 20,
        "shown {shown}, hidden {hidden}"
    );
}
