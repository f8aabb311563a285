//! The sharing policy, once: who may see a sighting
//! (`docs/specs/sharing-policy.md`).
//!
//! Two forms of the same rule live here side by side so they cannot drift:
//! [`may_see`], a plain function over a sighting's facts (what tests use as
//! the reference), and [`SIGHTING_POLICY`] / [`RELATIONSHIP_POLICY`], the SQL
//! predicates every read of the SQLite backend applies before it aggregates
//! anything. `tests/sharing.rs` checks that the store's answers equal answers
//! computed from only the sightings [`may_see`] lets through.

use pelita_model::Tlp;
use serde::Serialize;

/// An organisation's identity in this store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct OrgId(pub i64);

/// Who is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reader {
    /// The local operator, holding the database file: every sighting (the
    /// filter's ceiling and operation still apply).
    Operator,
    /// A member organisation of this instance.
    Member(OrgId),
    /// Nobody in particular (anonymous reading, when enabled): TLP:CLEAR only.
    Anonymous,
}

impl Reader {
    /// The reader as the SQL predicates take it (`:reader`): the operator
    /// -2, the anonymous reader -1, a member its organisation id (≥ 1).
    pub(crate) fn code(self) -> i64 {
        match self {
            Reader::Operator => -2,
            Reader::Anonymous => -1,
            Reader::Member(OrgId(id)) => id,
        }
    }
}

/// The facts about one sighting that decide who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SightingFacts<'a> {
    /// Its marking, after the submission default (`None`: unmarked).
    pub tlp: Option<Tlp>,
    /// The submitting organisation.
    pub submitter: OrgId,
    /// The organisations the submitter named as recipients.
    pub recipients: &'a [OrgId],
    /// The members of the operation the submission was made to (empty: none).
    pub operation_members: &'a [OrgId],
}

/// Whether `reader` may see a sighting, by the policy alone (no ceiling):
/// the reference the SQL predicates must agree with.
pub fn may_see(reader: Reader, unmarked: Tlp, s: &SightingFacts<'_>) -> bool {
    let org = match reader {
        Reader::Operator => return true,
        Reader::Anonymous => None,
        Reader::Member(o) => Some(o),
    };
    let is = |o: Option<OrgId>, set: &[OrgId]| o.is_some_and(|o| set.contains(&o));
    let named = org == Some(s.submitter) || is(org, s.recipients);
    match s.tlp.unwrap_or(unmarked) {
        Tlp::Clear => true,
        Tlp::Green => org.is_some(),
        Tlp::Amber => named || is(org, s.operation_members),
        Tlp::AmberStrict | Tlp::Red => named,
    }
}

/// The policy as SQL over a sighting `s` (with `:reader` and `:unmarked`
/// bound). Marking ranks: 0 CLEAR, 1 GREEN, 2 AMBER, 3 AMBER+STRICT, 4 RED.
/// (A macro, so the read predicates can `concat!` it at compile time.)
macro_rules! sighting_policy {
    () => {
        "(:reader = -2 OR CASE COALESCE(s.tlp, :unmarked)
      WHEN 0 THEN 1
      WHEN 1 THEN :reader >= 0
      WHEN 2 THEN s.org_id = :reader
        OR EXISTS (SELECT 1 FROM submission_recipients sr WHERE sr.submission_id = s.submission_id AND sr.org_id = :reader)
        OR EXISTS (SELECT 1 FROM submissions sb JOIN operation_members om ON om.operation_id = sb.operation_id
                   WHERE sb.id = s.submission_id AND om.org_id = :reader)
      ELSE s.org_id = :reader
        OR EXISTS (SELECT 1 FROM submission_recipients sr WHERE sr.submission_id = s.submission_id AND sr.org_id = :reader)
    END)"
    };
}

/// The same policy for a relationship `r` (stated by its submission, under
/// its own marking).
macro_rules! relationship_policy {
    () => {
        "(:reader = -2 OR CASE COALESCE(r.tlp, :unmarked)
      WHEN 0 THEN 1
      WHEN 1 THEN :reader >= 0
      WHEN 2 THEN (SELECT org_id FROM submissions WHERE id = r.submission_id) = :reader
        OR EXISTS (SELECT 1 FROM submission_recipients sr WHERE sr.submission_id = r.submission_id AND sr.org_id = :reader)
        OR EXISTS (SELECT 1 FROM submissions sb JOIN operation_members om ON om.operation_id = sb.operation_id
                   WHERE sb.id = r.submission_id AND om.org_id = :reader)
      ELSE (SELECT org_id FROM submissions WHERE id = r.submission_id) = :reader
        OR EXISTS (SELECT 1 FROM submission_recipients sr WHERE sr.submission_id = r.submission_id AND sr.org_id = :reader)
    END)"
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_the_policy_document() {
        let (a, b, c, d) = (OrgId(1), OrgId(2), OrgId(3), OrgId(4));
        // Submitted by a, naming b, in an operation with c.
        let (named, members) = ([b], [c]);
        let facts = |tlp| SightingFacts {
            tlp,
            submitter: a,
            recipients: &named,
            operation_members: &members,
        };
        let sees = |r, tlp| may_see(r, Tlp::Amber, &facts(tlp));
        use Reader::*;
        for (tlp, operator, anon, submitter, recipient, op_member, other) in [
            (Some(Tlp::Clear), true, true, true, true, true, true),
            (Some(Tlp::Green), true, false, true, true, true, true),
            (Some(Tlp::Amber), true, false, true, true, true, false),
            (None, true, false, true, true, true, false),
            (
                Some(Tlp::AmberStrict),
                true,
                false,
                true,
                true,
                false,
                false,
            ),
            (Some(Tlp::Red), true, false, true, true, false, false),
        ] {
            assert_eq!(sees(Operator, tlp), operator, "{tlp:?}");
            assert_eq!(sees(Anonymous, tlp), anon, "{tlp:?}");
            assert_eq!(sees(Member(a), tlp), submitter, "{tlp:?}");
            assert_eq!(sees(Member(b), tlp), recipient, "{tlp:?}");
            assert_eq!(sees(Member(c), tlp), op_member, "{tlp:?}");
            assert_eq!(sees(Member(d), tlp), other, "{tlp:?}");
        }
        // Unmarked follows the instance's default.
        assert!(may_see(Member(d), Tlp::Green, &facts(None)));
    }
}
