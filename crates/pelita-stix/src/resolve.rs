//! `resolves-to` statements that name objects by id, across a streamed submission.
//!
//! A domain's resolution to an address is stated in STIX in two ways: a
//! `domain-name` observable's `resolves_to_refs`, and a `relationship` of type
//! `resolves-to` whose `source_ref` is a domain (a `domain-name` observable,
//! or an indicator whose pattern names domains) and whose `target_ref` is an
//! address (an `ipv4-addr`/`ipv6-addr` observable or an indicator whose
//! pattern names addresses; a domain also, for a CNAME). Either end may come
//! before or after the statement, so [`Resolver`] remembers, within bounds,
//! the values each object named ([`End`]s, by object id) and the statements
//! still waiting for an end ([`Statement`]s, by the id they wait for).
//!
//! When both ends are known, the statement becomes an observation of the
//! source value carrying the target values as [`Relation::ResolvesTo`]
//! related values: **the source's own observation, stated again** (its
//! location, marking, dates and context), so that the store, which keys a
//! sighting by indicator, submission and location, adds the relationship and
//! no second sighting — unless the statement's marking, or the target's, is
//! more restrictive than the source's. Then the observation is moved to the
//! statement's own location (the relationship object, or the
//! `resolves_to_refs` entry) under the most restrictive marking: a reader
//! who may not see every part of the statement does not see it, and the
//! source's own sighting is unchanged. Where some parts are marked and others
//! are not (the submission's default applies to those, and the parser does
//! not know it), the statement is marked RED, which can hide but never
//! reveal.
//!
//! Memory is bounded: at most [`crate::ingest::MEMORY_CAP`] objects'
//! values, [`ENDS_PER_OBJECT`] values per object, and
//! [`crate::ingest::MEMORY_CAP`] waiting statements. A statement that does
//! not fit, or whose ends never arrive or name no domain and no address, is
//! counted as unresolved and reported once at the end.

use std::collections::HashMap;

use pelita_model::{Location, Observation, Related, Relation, Tlp};

use crate::ingest::MEMORY_CAP;

/// Most values remembered per object (an indicator's pattern can name many).
pub const ENDS_PER_OBJECT: usize = 8;

/// What a remembered value can be in a `resolves-to` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A domain name: a source, or a target (CNAME).
    Domain,
    /// An IP address: a target.
    Address,
}

/// A value an object named, with the observation the object produced for it.
#[derive(Debug, Clone)]
pub(crate) struct End {
    pub role: Role,
    /// As emitted, without related values.
    pub observation: Observation,
}

/// One `resolves-to` statement: `source` resolves to `target` (object ids).
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub source: String,
    pub target: String,
    /// The statement's own marking (the relationship's, or the domain's for
    /// `resolves_to_refs`).
    pub tlp: Option<Tlp>,
    /// Where it is stated.
    pub location: Location,
    /// The id of the object that states it.
    pub stated_by: Option<String>,
}

/// The most restrictive of several markings: `None` when none is marked,
/// RED when some are marked and others are not (see the module docs).
fn combine(markings: impl IntoIterator<Item = Option<Tlp>>) -> Option<Tlp> {
    let (mut max, mut marked, mut unmarked) = (None, false, false);
    for m in markings {
        match m {
            Some(t) => {
                marked = true;
                max = max.max(Some(t));
            }
            None => unmarked = true,
        }
    }
    if marked && unmarked {
        Some(Tlp::Red)
    } else {
        max
    }
}

/// The remembered ends and waiting statements of one submission.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    ends: HashMap<String, Vec<End>>,
    pending: HashMap<String, Vec<Statement>>,
    pending_len: usize,
    /// Statements turned into related values.
    pub resolved: u64,
    /// Statements not used (see the module docs).
    pub unresolved: u64,
    /// Where the first unresolved statement is.
    pub first_unresolved: Option<Location>,
}

impl Resolver {
    fn unresolved(&mut self, st: &Statement) {
        self.unresolved += 1;
        if self.first_unresolved.is_none() {
            self.first_unresolved = Some(st.location.clone());
        }
    }

    /// The object `id` named `ends`; returns the observations of the
    /// statements that were waiting for it and are now complete.
    pub fn arrived(&mut self, id: &str, mut ends: Vec<End>) -> Vec<Observation> {
        ends.truncate(ENDS_PER_OBJECT);
        if ends.is_empty() {
            return Vec::new();
        }
        let waiting = self.pending.remove(id).unwrap_or_default();
        self.pending_len = self.pending_len.saturating_sub(waiting.len());
        if self.ends.len() < MEMORY_CAP || self.ends.contains_key(id) {
            self.ends.insert(id.to_owned(), ends);
            let mut out = Vec::new();
            for st in waiting {
                out.extend(self.statement(st));
            }
            out
        } else {
            // The table is full: this object's statements are resolved now or never.
            let mut out = Vec::new();
            for st in waiting {
                let other = if st.source == id {
                    &st.target
                } else {
                    &st.source
                };
                let (sources, targets) = if st.source == id {
                    (
                        Some(ends.as_slice()),
                        self.ends.get(other).map(Vec::as_slice),
                    )
                } else {
                    (
                        self.ends.get(other).map(Vec::as_slice),
                        Some(ends.as_slice()),
                    )
                };
                match (sources, targets) {
                    (Some(s), Some(t)) => {
                        let obs = complete(&st, s, t);
                        self.count(&st, obs, &mut out);
                    }
                    _ => self.unresolved(&st),
                }
            }
            out
        }
    }

    fn count(&mut self, st: &Statement, obs: Vec<Observation>, out: &mut Vec<Observation>) {
        if obs.is_empty() {
            self.unresolved(st);
        } else {
            self.resolved += 1;
            out.extend(obs);
        }
    }

    /// A statement: its observations when both ends are known, else it waits.
    pub fn statement(&mut self, st: Statement) -> Vec<Observation> {
        let missing = [&st.source, &st.target]
            .into_iter()
            .find(|id| !self.ends.contains_key(id.as_str()))
            .cloned();
        if let Some(id) = missing {
            if self.pending_len < MEMORY_CAP {
                self.pending_len += 1;
                self.pending.entry(id).or_default().push(st);
            } else {
                self.unresolved(&st);
            }
            return Vec::new();
        }
        let (Some(sources), Some(targets)) = (self.ends.get(&st.source), self.ends.get(&st.target))
        else {
            return Vec::new();
        };
        let obs = complete(&st, sources, targets);
        let mut out = Vec::new();
        self.count(&st, obs, &mut out);
        out
    }

    /// Counts the statements still waiting at the end of the submission.
    pub fn finish(&mut self) {
        let waiting: Vec<Statement> = self.pending.drain().flat_map(|(_, v)| v).collect();
        self.pending_len = 0;
        // The first in the submission, whatever the map's order.
        let first = waiting
            .iter()
            .min_by_key(|st| st.location.offset.unwrap_or(u64::MAX))
            .cloned();
        if let Some(st) = first {
            self.unresolved(&st);
            self.unresolved += waiting.len().saturating_sub(1) as u64;
        }
    }
}

/// The observations of one complete statement: each source domain with the
/// target values it resolves to (see the module docs for where and under
/// which marking).
fn complete(st: &Statement, sources: &[End], targets: &[End]) -> Vec<Observation> {
    let mut out = Vec::new();
    for s in sources.iter().filter(|e| e.role == Role::Domain) {
        let to: Vec<&End> = targets
            .iter()
            .filter(|t| t.observation.value != s.observation.value)
            .collect();
        if to.is_empty() {
            continue;
        }
        let tlp = combine(
            [st.tlp, s.observation.tlp]
                .into_iter()
                .chain(to.iter().map(|t| t.observation.tlp)),
        );
        let mut o = s.observation.clone();
        o.related = to
            .iter()
            .map(|t| Related {
                relation: Relation::ResolvesTo,
                kind: t.observation.kind,
                value: t.observation.value.clone(),
            })
            .collect();
        if tlp != o.tlp {
            o.tlp = tlp;
            o.location = st.location.clone();
            o.source_id.clone_from(&st.stated_by);
        }
        out.push(o);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markings_combine_to_the_most_restrictive_and_mixed_to_red() {
        assert_eq!(combine([None, None]), None);
        assert_eq!(
            combine([Some(Tlp::Green), Some(Tlp::Amber)]),
            Some(Tlp::Amber)
        );
        assert_eq!(combine([Some(Tlp::Clear), None]), Some(Tlp::Red));
    }

    #[test]
    fn waiting_statements_are_bounded() {
        let mut r = Resolver::default();
        for i in 0..MEMORY_CAP + 10 {
            let out = r.statement(Statement {
                source: format!("domain-name--{i}"),
                target: "ipv4-addr--x".into(),
                tlp: None,
                location: Location::new().with_offset(i as u64),
                stated_by: None,
            });
            assert!(out.is_empty());
        }
        assert_eq!(r.pending_len, MEMORY_CAP);
        assert_eq!(r.unresolved, 10);
        r.finish();
        assert_eq!(r.unresolved, MEMORY_CAP as u64 + 10);
        assert!(r.pending.is_empty());
    }
}
