//! Random sharing scenarios for view-equivalence tests (the store's own
//! and the server's): organisations, operations and their members,
//! submissions with markings and named recipients, sightings and
//! relationships, and the plain rule of who may see each sighting.
//!
//! A test builds a store from a scenario, and for each reader a
//! *reference* store from only the sightings [`Scenario::keep`] lets that
//! reader see; every answer for the reader must equal the reference's.
//! The randomness comes from the caller (a seeded generator), so a
//! failing case is reproducible from its seed.

use pelita_ingest::{Record, RelatedRecord};
use pelita_model::{Indicator, IndicatorKind, ParseOptions, Relation, Tlp};

use crate::conformance::{meta, record, submit};
use crate::{
    OperationId, OperationSpec, OrgId, Reader, SightingFacts, SqliteStore, Store, StoreError,
    may_see,
};

/// The organisations of every scenario.
pub const ORGS: [&str; 4] = ["cert-a", "police-b", "firm-c", "firm-d"];
/// Operation members, by operation: op-1 has cert-a and police-b, op-2 firm-c.
pub const OPS: [(&str, &[usize]); 2] = [("op-1", &[0, 1]), ("op-2", &[2])];
/// The values sightings are of.
pub const VALUES: [&str; 7] = [
    "203.0.113.5",
    "c2.example.com",
    "http://c2.example.com/gate",
    "http://c2.example.com/panel",
    "198.51.100.0/24",
    "198.51.100.9",
    "d41d8cd98f00b204e9800998ecf8427e",
];
/// The same values as other partners write them (lookups take any notation).
pub const NOTATIONS: [&str; 7] = [
    "203.0.113[.]5",
    "C2.Example.COM.",
    "hxxp://c2[.]example[.]com/gate",
    "http://c2.example.com:80/panel#x",
    "198.51.100.0/24",
    "198[.]51[.]100[.]9",
    "D41D8CD98F00B204E9800998ECF8427E",
];

/// One sighting in a submission.
#[derive(Debug, Clone)]
pub struct Rec {
    /// Index into [`VALUES`].
    pub value: usize,
    /// Its own marking, if any.
    pub tlp: Option<Tlp>,
    /// How long ago it was seen.
    pub days_ago: i64,
}

/// One submission.
#[derive(Debug, Clone)]
pub struct Sub {
    /// Index into [`ORGS`].
    pub submitter: usize,
    /// The submission's default marking.
    pub default_tlp: Option<Tlp>,
    /// Named recipients (indices into [`ORGS`]).
    pub recipients: Vec<usize>,
    /// The operation (index into [`OPS`]).
    pub operation: Option<usize>,
    /// Its sightings.
    pub records: Vec<Rec>,
}

/// A random scenario: its submissions.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The submissions, in order.
    pub subs: Vec<Sub>,
}

fn pick_tlp(next: &mut dyn FnMut() -> u64) -> Option<Tlp> {
    match next() % 7 {
        0 | 1 => None,
        n => usize::try_from(n - 2)
            .ok()
            .and_then(|i| Tlp::ALL.get(i))
            .copied(),
    }
}

fn index(n: u64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

impl Scenario {
    /// One to six submissions of one to five sightings each.
    pub fn random(next: &mut dyn FnMut() -> u64) -> Scenario {
        let n = 1 + next() % 6;
        let subs = (0..n)
            .map(|_| {
                let submitter = index(next() % 4);
                let recipients = (0..4)
                    .filter(|o| *o != submitter && next().is_multiple_of(4))
                    .collect();
                let operation = match next() % 3 {
                    0 => None,
                    n => Some(index(n - 1)),
                };
                let records = (0..1 + next() % 5)
                    .map(|_| Rec {
                        value: index(next() % VALUES.len() as u64),
                        tlp: pick_tlp(next),
                        days_ago: i64::try_from(next() % 400).unwrap_or(0),
                    })
                    .collect();
                Sub {
                    submitter,
                    default_tlp: pick_tlp(next),
                    recipients,
                    operation,
                    records,
                }
            })
            .collect();
        Scenario { subs }
    }

    /// Whether `reader` may see a sighting under the policy, capped at
    /// `ceiling`; a member is named by its index: `Member(OrgId(i))` is
    /// `ORGS[i]`.
    pub fn keep(reader: Reader, ceiling: Tlp, s: &Sub, r: &Rec) -> bool {
        let as_id = |i: usize| OrgId(i64::try_from(i).unwrap_or(0));
        let tlp = r.tlp.or(s.default_tlp);
        let recipients: Vec<OrgId> = s.recipients.iter().map(|i| as_id(*i)).collect();
        let members: Vec<OrgId> = s
            .operation
            .and_then(|o| OPS.get(o))
            .map(|(_, m)| m.iter().map(|i| as_id(*i)).collect())
            .unwrap_or_default();
        let facts = SightingFacts {
            tlp,
            submitter: as_id(s.submitter),
            recipients: &recipients,
            operation_members: &members,
        };
        may_see(reader, Tlp::Amber, &facts) && tlp.unwrap_or(Tlp::Amber) <= ceiling
    }

    /// Writes the scenario's sightings that `keep` lets through into
    /// `store` (a submission left with none is not written, as in a store
    /// that never saw it). Call [`prepare`] on the store first.
    pub fn fill(
        &self,
        store: &mut dyn Store,
        keep: &dyn Fn(&Sub, &Rec) -> bool,
    ) -> Result<(), StoreError> {
        for (i, s) in self.subs.iter().enumerate() {
            let records: Vec<Record> = (1..)
                .zip(&s.records)
                .filter(|(_, r)| keep(s, r))
                .filter_map(|(line, r)| record_of(r, line))
                .collect();
            if records.is_empty() {
                continue;
            }
            let org = ORGS.get(s.submitter).copied().unwrap_or("cert-a");
            let mut m = meta(&format!("s{i}"), org, s.default_tlp, 0);
            m.recipients = s
                .recipients
                .iter()
                .filter_map(|r| ORGS.get(*r))
                .map(|o| (*o).to_owned())
                .collect();
            m.operation = s
                .operation
                .map(|o| OperationId(i64::try_from(o).unwrap_or(0) + 1));
            submit(store, &m, records).map_err(StoreError::Corrupt)?;
        }
        Ok(())
    }
}

fn record_of(r: &Rec, line: u64) -> Option<Record> {
    let mut rec = record(VALUES.get(r.value)?, line, r.tlp, r.days_ago).ok()?;
    // URLs state where they are hosted: a relationship under the sighting's marking.
    if rec.kind == IndicatorKind::Url {
        let host = Indicator::parse("203.0.113.5", None, &ParseOptions::default()).ok()?;
        rec.related
            .push(RelatedRecord::canonical(Relation::HostedOn, host.indicator));
    }
    Some(rec)
}

/// Creates the scenarios' operations (in the same order in every store,
/// so their ids agree) and organisations.
pub fn prepare(store: &mut SqliteStore) -> Result<(), StoreError> {
    for (op, members) in OPS {
        store.put_operation(&OperationSpec {
            name: op.into(),
            title: op.into(),
            starts_at: None,
            ends_at: None,
            countries: vec![],
            organisations: members
                .iter()
                .filter_map(|m| ORGS.get(*m))
                .map(|o| (*o).to_owned())
                .collect(),
            scope: String::new(),
        })?;
    }
    Ok(())
}
