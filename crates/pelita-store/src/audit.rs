//! The audit log: append-only and hash-chained.
//!
//! Every write, every administrative action and every read of AMBER,
//! AMBER+STRICT or RED data is an [`AuditEntry`]: who (organisation and
//! token id, never the secret), what (`action`, `detail` such as the query),
//! and how much came back (`result_size`). Entry `n` stores
//! `prev` = the hash of entry `n-1` (64 zeros for the first) and
//! `hash = SHA-256(prev ‖ 0x1f ‖ seq ‖ 0x1f ‖ at ‖ 0x1f ‖ org ‖ 0x1f ‖ token ‖ 0x1f ‖ action ‖ 0x1f ‖ detail ‖ 0x1f ‖ result_size)`
//! (decimal numbers, UTF-8 text, the unit separator between fields), and
//! the store keeps the newest hash and sequence number as `audit_head` in
//! its settings, written in the same transaction as the entry.
//!
//! [`verify`](crate::Store::audit_verify) recomputes the chain: an edited
//! entry fails its own hash, a deleted or reordered entry breaks the chain
//! (or the sequence), and removing the newest entries disagrees with the
//! head. A chain rewritten from the first entry on, head included, can
//! only be caught against a copy of the head kept elsewhere: `pelita audit
//! head` prints it for that (an operator can mail it to a partner, or
//! write it to paper, every day).

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One thing to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The organisation acting (`operator` for the local console).
    pub org: String,
    /// The token id used (never the secret; `-` for the console).
    pub token: String,
    /// What: `submit`, `read`, `report`, `operation.create`, `token.create`, …
    pub action: String,
    /// The query or object, e.g. `country=SG tlp<=red`.
    pub detail: String,
    /// Records written or returned.
    pub result_size: u64,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the log, from 1.
    pub seq: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
}

/// What [`crate::Store::audit_verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditVerdict {
    /// Entries checked.
    pub entries: u64,
    /// The newest hash (the head), when there are entries.
    pub head: Option<String>,
    /// Every problem found, with the sequence number where it was seen.
    pub problems: Vec<String>,
}

impl AuditVerdict {
    /// Whether the chain is intact.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The hash of an entry at `seq` after `prev`.
pub fn entry_hash(prev: &str, seq: i64, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    let at = e.at.unix_timestamp().to_string();
    let size = e.result_size.to_string();
    let seq = seq.to_string();
    let fields: [&str; 8] = [
        prev, &seq, &at, &e.org, &e.token, &e.action, &e.detail, &size,
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            h.update([0x1f]);
        }
        h.update(f.as_bytes());
    }
    pelita_model::hash::to_hex(&h.finalize())
}

/// Checks a chain read in sequence order against the recorded head.
pub fn verify_chain(records: &[AuditRecord], head: Option<(i64, &str)>) -> AuditVerdict {
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    for r in records {
        if r.seq != expected_seq {
            problems.push(format!(
                "entry {}: expected sequence number {expected_seq} (an entry was removed or reordered)",
                r.seq
            ));
        }
        if r.prev != prev {
            problems.push(format!(
                "entry {}: its previous-hash does not match the entry before it (removed, inserted or reordered entries)",
                r.seq
            ));
        }
        let h = entry_hash(&r.prev, r.seq, &r.entry);
        if h != r.hash {
            problems.push(format!(
                "entry {}: its content does not match its hash (edited)",
                r.seq
            ));
        }
        prev = r.hash.clone();
        expected_seq = r.seq + 1;
    }
    let last = records.last().map(|r| (r.seq, r.hash.as_str()));
    if last != head {
        problems.push(match (head, last) {
            (Some((seq, _)), Some((lseq, _))) if lseq < seq => format!(
                "the log ends at entry {lseq} but the head says {seq}: the newest entries were removed"
            ),
            (Some(_), None) => "the head names entries but the log is empty: entries were removed".to_owned(),
            (None, Some(_)) => "entries exist but no head was recorded".to_owned(),
            _ => "the newest entry does not match the recorded head".to_owned(),
        });
    }
    AuditVerdict {
        entries: records.len() as u64,
        head: records.last().map(|r| r.hash.clone()),
        problems,
    }
}
