//! Domain hints: the country a ccTLD names, and government, military and
//! education suffixes.
//!
//! Both are data, not code: `data/cctld.txt`, `data/gov-suffixes.txt` and
//! `data/edu-suffixes.txt` in the repository, compiled in with
//! `include_str!` and parsed once at first use. Names are compared in their
//! canonical A-label form (what [`pelita_model::domain::Domain`] holds), so
//! internationalised ccTLDs such as `.рф` (`xn--p1ai`) work.
//!
//! A name matches a suffix when it equals it or ends with `.` + suffix; the
//! longest matching suffix wins (`forces.gc.ca` is military although `gc.ca`
//! is government).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const CCTLD: &str = include_str!("../../../data/cctld.txt");
const GOV: &str = include_str!("../../../data/gov-suffixes.txt");
const EDU: &str = include_str!("../../../data/edu-suffixes.txt");

/// The public sector a suffix is reserved for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sector {
    /// Government (national, regional or local; legislature and judiciary).
    Government,
    /// Armed forces.
    Military,
    /// Education and research.
    Education,
}

/// A name under a government, military or education suffix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovMatch {
    /// ISO 3166-1 alpha-2 country of the suffix (`US` for `.gov`, `.mil`, `.edu`).
    pub country: String,
    /// The suffix that matched, e.g. `gov.sg`.
    pub suffix: String,
    /// The sector.
    pub sector: Sector,
}

struct Tables {
    cctld: HashMap<&'static str, &'static str>,
    suffixes: HashMap<&'static str, (&'static str, Sector)>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut cctld = HashMap::new();
        for f in rows(CCTLD) {
            if let [tld, cc, ..] = f.as_slice() {
                cctld.insert(*tld, *cc);
            }
        }
        let mut suffixes = HashMap::new();
        for f in rows(GOV).chain(rows(EDU)) {
            if let [suffix, cc, sector, ..] = f.as_slice() {
                let sector = match *sector {
                    "military" => Sector::Military,
                    "education" => Sector::Education,
                    _ => Sector::Government,
                };
                suffixes.insert(*suffix, (*cc, sector));
            }
        }
        Tables { cctld, suffixes }
    })
}

/// The fields of each data line, comments (`#` to the end of the line) and blank lines removed.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().filter_map(|l| {
        let l = l.split('#').next().unwrap_or("").trim();
        (!l.is_empty()).then(|| l.split_whitespace().collect())
    })
}

/// The name and its parent domains, longest first: `a.b.c`, `b.c`, `c`.
fn suffixes_of(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(name), |s| s.split_once('.').map(|(_, rest)| rest))
}

/// The country (ISO 3166-1 alpha-2) that a name's top-level domain names,
/// if it is a ccTLD: `example.co.uk` → `GB`, `example.sg` → `SG`,
/// `пример.рф` (as `xn--e1afmkfd.xn--p1ai`) → `RU`. Generic TLDs give `None`.
pub fn cctld_country(domain: &str) -> Option<&'static str> {
    let d = domain.trim_end_matches('.');
    let tld = d.rsplit('.').next().unwrap_or(d).to_ascii_lowercase();
    tables().cctld.get(tld.as_str()).copied()
}

/// The government, military or education suffix a name is under, if any
/// (longest match).
pub fn gov_match(domain: &str) -> Option<GovMatch> {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    let t = tables();
    suffixes_of(&d).find_map(|s| {
        t.suffixes.get(s).map(|(cc, sector)| GovMatch {
            country: (*cc).to_string(),
            suffix: s.to_string(),
            sector: *sector,
        })
    })
}

/// Number of ccTLDs and of suffixes in the compiled tables.
pub fn table_sizes() -> (usize, usize) {
    let t = tables();
    (t.cctld.len(), t.suffixes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_line_parses() {
        for (name, text, fields) in [("cctld", CCTLD, 2), ("gov", GOV, 3), ("edu", EDU, 3)] {
            for r in rows(text) {
                assert!(r.len() >= fields, "{name}: {r:?}");
                let cc = r.get(1).copied().unwrap_or_default();
                assert!(
                    cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase()),
                    "{name}: bad country in {r:?}"
                );
            }
        }
        for r in rows(GOV).chain(rows(EDU)) {
            assert!(
                matches!(
                    r.get(2).copied(),
                    Some("government" | "military" | "education")
                ),
                "{r:?}"
            );
        }
    }
}
