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

use pelita_ingest::{Record, RelatedRecord};
use pelita_model::{IndicatorKind, Relation, Tlp};
use pelita_store::conformance::{meta, now, record, submit};
use pelita_store::{
    IndicatorQuery, OperationId, OperationSpec, OrgId, Reader, SightingFacts, SightingFilter,
    SqliteStore, Store, may_see,
};
use pelita_test_support::SplitMix64;

const ORGS: [&str; 4] = ["cert-a", "police-b", "firm-c", "firm-d"];
/// Operation members, by operation: op-1 has cert-a and police-b, op-2 firm-c.
const OPS: [(&str, &[usize]); 2] = [("op-1", &[0, 1]), ("op-2", &[2])];
const VALUES: [&str; 7] = [
    "203.0.113.5",
    "c2.example.com",
    "http://c2.example.com/gate",
    "http://c2.example.com/panel",
    "198.51.100.0/24",
    "198.51.100.9",
    "d41d8cd98f00b204e9800998ecf8427e",
];
/// The same values as other partners write them (lookups take any notation).
const NOTATIONS: [&str; 7] = [
    "203.0.113[.]5",
    "C2.Example.COM.",
    "hxxp://c2[.]example[.]com/gate",
    "http://c2.example.com:80/panel#x",
    "198.51.100.0/24",
    "198[.]51[.]100[.]9",
    "D41D8CD98F00B204E9800998ECF8427E",
];

#[derive(Debug, Clone)]
struct Rec {
    value: usize,
    tlp: Option<Tlp>,
    days_ago: i64,
}

#[derive(Debug, Clone)]
struct Sub {
    submitter: usize,
    default_tlp: Option<Tlp>,
    recipients: Vec<usize>,
    operation: Option<usize>,
    records: Vec<Rec>,
}

fn pick_tlp(rng: &mut SplitMix64) -> Option<Tlp> {
    match rng.next_u64() % 7 {
        0 | 1 => None,
        n => Tlp::ALL.get(usize::try_from(n - 2).unwrap()).copied(),
    }
}

fn gen_subs(rng: &mut SplitMix64) -> Vec<Sub> {
    let n = 1 + rng.next_u64() % 6;
    (0..n)
        .map(|_| {
            let submitter = (rng.next_u64() % 4) as usize;
            let recipients = (0..4)
                .filter(|o| *o != submitter && rng.next_u64().is_multiple_of(4))
                .collect();
            let operation = match rng.next_u64() % 3 {
                0 => None,
                n => Some((n - 1) as usize),
            };
            let records = (0..1 + rng.next_u64() % 5)
                .map(|_| Rec {
                    value: (rng.next_u64() % VALUES.len() as u64) as usize,
                    tlp: pick_tlp(rng),
                    days_ago: (rng.next_u64() % 400) as i64,
                })
                .collect();
            Sub {
                submitter,
                default_tlp: pick_tlp(rng),
                recipients,
                operation,
                records,
            }
        })
        .collect()
}

fn record_of(r: &Rec, line: u64) -> Record {
    let mut rec = record(VALUES[r.value], line, r.tlp, r.days_ago).unwrap();
    // URLs state where they are hosted: a relationship under the sighting's marking.
    if rec.kind == IndicatorKind::Url {
        rec.related.push(RelatedRecord {
            relation: Relation::HostedOn,
            kind: Some(IndicatorKind::Ipv4),
            value: "203.0.113.5".into(),
            key: Some("ipv4:203.0.113.5".into()),
            error: None,
        });
    }
    rec
}

fn open(dir: &Path, name: &str) -> SqliteStore {
    let mut s = SqliteStore::open(&dir.join(format!("{name}.db"))).unwrap();
    // Operations first, in the same order in every store (so their ids agree).
    for (op, members) in OPS {
        s.put_operation(&OperationSpec {
            name: op.into(),
            title: op.into(),
            starts_at: None,
            ends_at: None,
            countries: vec![],
            organisations: members.iter().map(|m| ORGS[*m].to_owned()).collect(),
            scope: String::new(),
        })
        .unwrap();
    }
    s
}

/// Writes `subs` (only the records `keep` lets through; a submission left
/// with none is not written, as in a store that never saw it).
fn fill(store: &mut SqliteStore, subs: &[Sub], keep: &dyn Fn(&Sub, &Rec) -> bool) {
    for (i, s) in subs.iter().enumerate() {
        let records: Vec<Record> = (1..)
            .zip(&s.records)
            .filter(|(_, r)| keep(s, r))
            .map(|(line, r)| record_of(r, line))
            .collect();
        if records.is_empty() {
            continue;
        }
        let mut m = meta(&format!("s{i}"), ORGS[s.submitter], s.default_tlp, 0);
        m.recipients = s.recipients.iter().map(|r| ORGS[*r].to_owned()).collect();
        m.operation = s
            .operation
            .map(|o| OperationId(i64::try_from(o).unwrap() + 1));
        submit(store, &m, records).unwrap();
    }
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
    for op in [1, 2] {
        let op = OperationId(op);
        out.push(format!(
            "operation {op:?}: {:?}",
            store.operation_stats(op, filter).unwrap()
        ));
        let scoped = filter.in_operation(op);
        out.push(format!(
            "stats in {op:?}: {:?}",
            store.stats(&scoped).unwrap()
        ));
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
        let subs = gen_subs(&mut rng);
        let name = format!("s{stores}");
        let mut store = open(dir.path(), &name);
        fill(&mut store, &subs, &|_, _| true);
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
            let members: Vec<Vec<OrgId>> = OPS
                .iter()
                .map(|(_, m)| {
                    m.iter()
                        .map(|i| OrgId(i64::try_from(*i).unwrap()))
                        .collect()
                })
                .collect();
            let as_id = |i: usize| OrgId(i64::try_from(i).unwrap());
            let reference_reader = match (reader, who) {
                (Reader::Member(_), Some(i)) => Reader::Member(as_id(i)),
                (r, _) => r,
            };
            let keep = |s: &Sub, r: &Rec| {
                let tlp = r.tlp.or(s.default_tlp);
                let recipients: Vec<OrgId> = s.recipients.iter().map(|i| as_id(*i)).collect();
                let facts = SightingFacts {
                    tlp,
                    submitter: as_id(s.submitter),
                    recipients: &recipients,
                    operation_members: s
                        .operation
                        .and_then(|o| members.get(o))
                        .map_or(&[][..], |m| &m[..]),
                };
                may_see(reference_reader, Tlp::Amber, &facts)
                    && tlp.unwrap_or(Tlp::Amber) <= ceiling
            };
            let mut reference = open(dir.path(), &format!("{name}-ref"));
            fill(&mut reference, &subs, &keep);
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
            for f in ["-ref.db", "-ref.db-wal", "-ref.db-shm"] {
                let _ = std::fs::remove_file(dir.path().join(format!("{name}{f}")));
            }
        }
        drop(store);
        for f in [".db", ".db-wal", ".db-shm"] {
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
