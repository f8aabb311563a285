//! [`Stats`] in one pass: the visible sightings in any order, then the
//! indicators they name, counted in memory.
//!
//! `stats` used to be nine SQL aggregates, each a full scan of the visible
//! sightings with `COUNT(DISTINCT …)` and a join; on the demo's `--scale 100`
//! store (1.9 M sightings) that was 8 s for every dashboard and every
//! `GET /api/v1/stats`. Counting needs only a few facts per sighting and a
//! few per indicator, so a backend reads its visible sightings once (in the
//! order it stores them: no sort, no index walk) and its indicators once,
//! and feeds them here. The aggregation is backend-neutral: PostgreSQL's
//! backend feeds the same tally.
//!
//! Memory: 12 bytes per indicator row of the store (a dense table by row
//! id), plus one entry per further (indicator, source) and (indicator,
//! class) pair beyond an indicator's first: about 120 MB for 10 M
//! indicators, freed when the tally is done.

use std::collections::{BTreeMap, HashMap, HashSet};

use pelita_model::Tlp;

use crate::Stats;

/// The facts of one indicator kept while its sightings are counted.
#[derive(Clone, Copy, Default)]
struct Seen {
    /// The first source seen for it (an organisation's row id + 1; 0: none).
    org: u32,
    /// The first class seen for it (interned id + 1; 0: none).
    class: u32,
    /// `SEEN`: at least one visible sighting; `LIVE`: one not withdrawn.
    flags: u8,
}

const SEEN: u8 = 1;
const LIVE: u8 = 2;

/// A value per indicator row id: a dense table for the ids a store has
/// (dense from 1: Pelita never deletes an indicator), a map for any past it.
struct PerIndicator<T> {
    dense: Vec<T>,
    sparse: HashMap<i64, T>,
}

impl<T: Copy + Default> PerIndicator<T> {
    /// A table for row ids up to `top` (at most 2^28 of them dense).
    fn new(top: i64) -> Self {
        let len = usize::try_from(top.clamp(0, 1 << 28)).unwrap_or(0) + 1;
        PerIndicator {
            dense: vec![T::default(); len],
            sparse: HashMap::new(),
        }
    }

    fn entry(&mut self, id: i64) -> &mut T {
        match usize::try_from(id).ok().and_then(|i| self.dense.get_mut(i)) {
            Some(e) => e,
            None => self.sparse.entry(id).or_default(),
        }
    }

    fn get(&self, id: i64) -> T {
        match usize::try_from(id).ok().and_then(|i| self.dense.get(i)) {
            Some(e) => *e,
            None => self.sparse.get(&id).copied().unwrap_or_default(),
        }
    }

    /// Every id with a value other than the default, and the value.
    fn each(&self) -> impl Iterator<Item = (i64, T)> + '_
    where
        T: PartialEq,
    {
        let dense = (0..).zip(self.dense.iter().copied());
        dense
            .chain(self.sparse.iter().map(|(id, v)| (*id, *v)))
            .filter(|(_, v)| *v != T::default())
    }
}

/// The span of days an indicator's visible sightings date it by, as
/// [`pelita_fuse::fuse`] dates it: its live sightings', or all of them
/// when every one is withdrawn.
#[derive(Clone, Copy, Default, PartialEq)]
struct Days {
    /// UTC days since 1970-01-01.
    lo: i64,
    hi: i64,
    /// `ANY`: a span is set; `LIVE`: it is the live sightings';
    /// `ACTIVE`: a sighting last seen at or after the tally's `since`.
    flags: u8,
}

const ANY: u8 = 1;
const ACTIVE: u8 = 4;

/// Counts [`crate::SeenDays`] from visible sightings in any order
/// (`Store::seen_days`): 24 bytes per indicator row while it runs.
pub(crate) struct SeenDaysTally {
    days: PerIndicator<Days>,
    since: i64,
}

impl SeenDaysTally {
    /// A tally for row ids up to `top`, of indicators active since `since`
    /// (Unix seconds).
    pub(crate) fn new(top: i64, since: i64) -> Self {
        SeenDaysTally {
            days: PerIndicator::new(top),
            since,
        }
    }

    /// One visible sighting's dates (Unix seconds) and whether it is withdrawn.
    pub(crate) fn sighting(&mut self, indicator: i64, first: i64, last: i64, withdrawn: bool) {
        let (lo, hi) = (
            first.min(last).div_euclid(86_400),
            last.max(first).div_euclid(86_400),
        );
        let active = if last >= self.since { ACTIVE } else { 0 };
        let d = self.days.entry(indicator);
        let class = if withdrawn { ANY } else { ANY | LIVE };
        if d.flags & ANY == 0 || (class & LIVE != 0 && d.flags & LIVE == 0) {
            // The first span, or the first live sighting after withdrawn ones.
            (d.lo, d.hi) = (lo, hi);
            d.flags |= class;
        } else if class & LIVE == d.flags & LIVE {
            d.lo = d.lo.min(lo);
            d.hi = d.hi.max(hi);
        }
        d.flags |= active;
    }

    /// The counts.
    pub(crate) fn finish(self) -> Result<crate::SeenDays, String> {
        let day = |n: i64| {
            i32::try_from(n + 2_440_588)
                .ok()
                .and_then(|j| time::Date::from_julian_day(j).ok())
                .ok_or_else(|| format!("a sighting dated {n} days from 1970"))
        };
        let mut out = crate::SeenDays::default();
        for (_, d) in self.days.each() {
            if d.flags & ACTIVE != 0 {
                out.add_days(day(d.lo)?, day(d.hi)?);
            }
        }
        Ok(out)
    }
}

/// Counts [`Stats`] from visible sightings, then their indicators.
pub(crate) struct StatsTally {
    seen: PerIndicator<Seen>,
    /// Further (indicator, org + 1) and (indicator, class + 1) pairs.
    more_orgs: HashSet<(i64, u32)>,
    more_classes: HashSet<(i64, u32)>,
    per_org: HashMap<u32, u64>,
    classes: HashMap<String, u32>,
    per_class: Vec<u64>,
    submissions: HashSet<i64>,
    sightings: u64,
    highest: i64,
    class_key: String,
    stats: Stats,
    /// Per ASN, the first indicator counted under it (which names it).
    asn_named_by: BTreeMap<i64, i64>,
    per_asn: BTreeMap<i64, u64>,
}

impl StatsTally {
    /// A tally for a store whose indicator row ids are at most `top`.
    pub(crate) fn new(top: i64) -> Self {
        StatsTally {
            seen: PerIndicator::new(top),
            more_orgs: HashSet::new(),
            more_classes: HashSet::new(),
            per_org: HashMap::new(),
            classes: HashMap::new(),
            per_class: Vec::new(),
            submissions: HashSet::new(),
            sightings: 0,
            highest: 0,
            class_key: String::new(),
            stats: Stats::default(),
            asn_named_by: BTreeMap::new(),
            per_asn: BTreeMap::new(),
        }
    }

    /// One visible sighting: its indicator, source organisation and
    /// submission (row ids), whether it is withdrawn, its class and type
    /// (`None` when unclassified), and its marking's rank (0 CLEAR … 4 RED,
    /// an unmarked sighting ranked as the filter ranks it).
    pub(crate) fn sighting(
        &mut self,
        indicator: i64,
        org: i64,
        submission: i64,
        withdrawn: bool,
        class: Option<(&str, &str)>,
        marking: i64,
    ) {
        self.sightings += 1;
        self.highest = self.highest.max(marking);
        self.submissions.insert(submission);
        let org = u32::try_from(org.saturating_add(1)).unwrap_or(u32::MAX);
        let class = class.map(|(c, t)| self.class_id(c, t));
        let mut e = self.seen.get(indicator);
        e.flags |= SEEN | if withdrawn { 0 } else { LIVE };
        let new_org = if e.org == 0 {
            e.org = org;
            true
        } else {
            e.org != org && self.more_orgs.insert((indicator, org))
        };
        let new_class = match class {
            Some(id) if e.class == 0 => {
                e.class = id.saturating_add(1);
                Some(id)
            }
            Some(id)
                if e.class != id.saturating_add(1)
                    && self.more_classes.insert((indicator, id.saturating_add(1))) =>
            {
                Some(id)
            }
            _ => None,
        };
        *self.seen.entry(indicator) = e;
        if new_org {
            *self.per_org.entry(org).or_default() += 1;
        }
        if let Some(id) = new_class
            && let Some(n) = usize::try_from(id)
                .ok()
                .and_then(|i| self.per_class.get_mut(i))
        {
            *n += 1;
        }
    }

    fn class_id(&mut self, class: &str, rsit_type: &str) -> u32 {
        self.class_key.clear();
        self.class_key.push_str(class);
        self.class_key.push('/');
        self.class_key.push_str(rsit_type);
        if let Some(&id) = self.classes.get(self.class_key.as_str()) {
            return id;
        }
        let id = u32::try_from(self.per_class.len()).unwrap_or(u32::MAX);
        self.classes.insert(self.class_key.clone(), id);
        self.per_class.push(0);
        id
    }

    /// Whether an indicator has a visible sighting (the indicators pass can
    /// skip the rest).
    pub(crate) fn is_seen(&self, indicator: i64) -> bool {
        self.seen.get(indicator).flags & SEEN != 0
    }

    /// One indicator of the store, after every sighting: its kind, country
    /// and ASN. An indicator without a visible sighting is not counted.
    pub(crate) fn indicator(
        &mut self,
        indicator: i64,
        kind: &str,
        country: Option<&str>,
        asn: Option<i64>,
    ) {
        let seen = self.seen.get(indicator);
        if seen.flags & SEEN == 0 {
            return;
        }
        if seen.flags & LIVE == 0 {
            self.stats.withdrawn += 1;
        }
        bump(&mut self.stats.by_kind, kind);
        if let Some(cc) = country {
            bump(&mut self.stats.by_country, cc);
        }
        if let Some(asn) = asn {
            *self.per_asn.entry(asn).or_default() += 1;
            self.asn_named_by.entry(asn).or_insert(indicator);
        }
    }

    /// For each ASN counted, the indicator whose AS name labels it.
    pub(crate) fn asn_namers(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.asn_named_by.iter().map(|(&asn, &id)| (asn, id))
    }

    /// The counts, with organisations named by `org_name` (by row id),
    /// each ASN labelled `AS<n> <name>` by `as_name`, and the highest
    /// visible marking.
    pub(crate) fn finish(
        mut self,
        org_name: impl Fn(i64) -> Option<String>,
        as_name: impl Fn(i64) -> Option<String>,
    ) -> Stats {
        for (org, n) in &self.per_org {
            if let Some(name) = org_name(i64::from(*org) - 1) {
                *self.stats.by_source.entry(name).or_default() += n;
            }
        }
        for (asn, n) in &self.per_asn {
            let label = match as_name(*asn) {
                Some(name) => format!("AS{asn} {name}"),
                None => format!("AS{asn}"),
            };
            *self.stats.by_asn.entry(label).or_default() += n;
        }
        for (key, id) in self.classes {
            let n = usize::try_from(id).ok().and_then(|i| self.per_class.get(i));
            if let Some(&n) = n.filter(|n| **n > 0) {
                self.stats.by_class.insert(key, n);
            }
        }
        self.stats.indicators = self.stats.by_kind.values().sum();
        self.stats.sightings = self.sightings;
        self.stats.submissions = u64::try_from(self.submissions.len()).unwrap_or(u64::MAX);
        self.stats.sources = u64::try_from(self.stats.by_source.len()).unwrap_or(u64::MAX);
        self.stats.marking = usize::try_from(self.highest)
            .ok()
            .filter(|&r| r > 0)
            .and_then(|r| Tlp::ALL.get(r).copied());
        self.stats
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_pairs_once_in_any_order() {
        let mut t = StatsTally::new(3);
        // Indicator 1: two sightings from org 5, one from org 6, one class
        // twice; indicator 2: withdrawn by its only sighting; indicator 9
        // (past the dense table): one sighting; indicator 3: none.
        t.sighting(1, 5, 10, false, Some(("fraud", "phishing")), 1);
        t.sighting(2, 5, 10, true, Some(("malicious-code", "c2-server")), 2);
        t.sighting(1, 5, 11, true, Some(("fraud", "phishing")), 1);
        t.sighting(9, 6, 11, false, None, 0);
        t.sighting(1, 6, 12, false, Some(("malicious-code", "c2-server")), 4);
        assert!(t.is_seen(9) && !t.is_seen(3));
        t.indicator(1, "url", Some("SG"), Some(64500));
        t.indicator(2, "ipv4", Some("SG"), Some(64500));
        t.indicator(3, "ipv4", Some("MY"), Some(64501));
        t.indicator(9, "domain", None, None);
        let s = t.finish(
            |org| Some(format!("org{org}")),
            |asn| (asn == 64500).then(|| "Demo".to_owned()),
        );
        assert_eq!(s.marking, Some(Tlp::Red));
        assert_eq!(
            (s.indicators, s.sightings, s.submissions, s.sources),
            (3, 5, 3, 2)
        );
        assert_eq!(s.withdrawn, 1);
        let m = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
            pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
        };
        assert_eq!(s.by_source, m(&[("org5", 2), ("org6", 2)]));
        assert_eq!(s.by_kind, m(&[("domain", 1), ("ipv4", 1), ("url", 1)]));
        assert_eq!(s.by_country, m(&[("SG", 2)]));
        assert_eq!(s.by_asn, m(&[("AS64500 Demo", 2)]));
        assert_eq!(
            s.by_class,
            m(&[("fraud/phishing", 1), ("malicious-code/c2-server", 2)])
        );
    }

    #[test]
    fn clear_alone_is_no_marking() {
        let mut t = StatsTally::new(0);
        t.sighting(1, 1, 1, false, None, 0);
        t.indicator(1, "ipv4", None, None);
        assert_eq!(t.finish(|_| None, |_| None).marking, None);
    }
}
