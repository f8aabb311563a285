//! Name overlays: a user's own domain suffixes and phone prefixes, consulted
//! before the shipped tables.
//!
//! The shipped ccTLD and public-sector tables cover the world's real names.
//! A fusion centre sometimes needs more: a national CERT's internal zone, a
//! ministry's own second-level domain that is not in the government table
//! yet, or the synthetic scenario of `pelita demo`, whose names live under
//! the reserved TLD `.test` (`moh.gov.sg.test`) and must be placed in the
//! demo countries without ever touching a real-world name.
//!
//! An overlay holds:
//!
//! - **suffixes**, each with a country and optionally a [`Sector`]. A name
//!   under the suffix gets that country (in place of its ccTLD's) and, with a
//!   sector, a [`GovMatch`]. Overlay suffixes also act as **public
//!   suffixes**: the registrable domain (the *site* the compromised-site rule
//!   gathers evidence on) is the suffix plus one label, so
//!   `www.moh.gov.sg.test` is on the site `moh.gov.sg.test`. The longest
//!   matching suffix wins.
//! - **phone prefixes** (E.164, `+44207946`), each with a country; the
//!   longest matching prefix wins.
//!
//! The CSV form ([`NameOverlay::from_csv`]) has one entry per row,
//! `kind,value,country,sector`: `suffix,gov.sg.test,SG,government` or
//! `phone,+44207946,SG,`. Lines starting with `#` and a header line starting
//! with `kind` are skipped; the sector is `government`, `military`,
//! `education` or empty.

use std::collections::HashMap;

use crate::domains::{GovMatch, Sector};

/// Errors of reading an overlay.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OverlayError {
    /// A row is not an overlay entry.
    #[error("overlay row {row}: {why}")]
    BadRow {
        /// 1-based row number.
        row: u64,
        /// Why.
        why: String,
    },
}

/// Domain suffixes and phone prefixes with the country (and sector) they stand for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameOverlay {
    suffixes: HashMap<String, (String, Option<Sector>)>,
    phones: Vec<(String, String)>,
}

fn country_code(c: &str) -> Option<String> {
    let c = c.trim().to_ascii_uppercase();
    (c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())).then_some(c)
}

impl NameOverlay {
    /// An empty overlay.
    pub fn new() -> NameOverlay {
        NameOverlay::default()
    }

    /// Whether the overlay has no entries.
    pub fn is_empty(&self) -> bool {
        self.suffixes.is_empty() && self.phones.is_empty()
    }

    /// Adds a suffix (lower-cased, without a leading or trailing dot).
    /// Returns `false` (and adds nothing) when `country` is not an ISO
    /// 3166-1 alpha-2 code or the suffix is empty.
    pub fn add_suffix(&mut self, suffix: &str, country: &str, sector: Option<Sector>) -> bool {
        let s = suffix.trim().trim_matches('.').to_ascii_lowercase();
        match country_code(country) {
            Some(cc) if !s.is_empty() => {
                self.suffixes.insert(s, (cc, sector));
                true
            }
            _ => false,
        }
    }

    /// Adds an E.164 phone prefix (`+44207946`). Returns `false` (and adds
    /// nothing) when the prefix is not `+` and digits or the country is not
    /// an alpha-2 code.
    pub fn add_phone_prefix(&mut self, prefix: &str, country: &str) -> bool {
        let p = prefix.trim();
        let digits_ok = p
            .strip_prefix('+')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        match country_code(country) {
            Some(cc) if digits_ok => {
                self.phones.push((p.to_owned(), cc));
                // Longest first, so the first match is the most specific.
                self.phones
                    .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
                true
            }
            _ => false,
        }
    }

    /// Reads the CSV form (see the module documentation).
    pub fn from_csv(text: &str) -> Result<NameOverlay, OverlayError> {
        let mut out = NameOverlay::new();
        for (i, line) in text.lines().enumerate() {
            let row = i as u64 + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || (i == 0 && line.starts_with("kind")) {
                continue;
            }
            let bad = |why: String| OverlayError::BadRow { row, why };
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let field = |k: usize| fields.get(k).copied().unwrap_or("");
            let ok = match field(0) {
                "suffix" => {
                    let sector = match field(3) {
                        "" => None,
                        "government" => Some(Sector::Government),
                        "military" => Some(Sector::Military),
                        "education" => Some(Sector::Education),
                        other => return Err(bad(format!("unknown sector {other:?}"))),
                    };
                    out.add_suffix(field(1), field(2), sector)
                }
                "phone" => out.add_phone_prefix(field(1), field(2)),
                other => {
                    return Err(bad(format!(
                        "unknown kind {other:?} (expected suffix or phone)"
                    )));
                }
            };
            if !ok {
                return Err(bad(format!(
                    "{:?} with country {:?} is not a valid entry",
                    field(1),
                    field(2)
                )));
            }
        }
        Ok(out)
    }

    /// The longest overlay suffix `domain` is under: (suffix, country, sector).
    pub fn suffix_of(&self, domain: &str) -> Option<(&str, &str, Option<Sector>)> {
        let d = domain.trim_end_matches('.');
        std::iter::successors(Some(d), |s| s.split_once('.').map(|(_, rest)| rest)).find_map(|s| {
            self.suffixes
                .get_key_value(s)
                .map(|(k, (cc, sector))| (k.as_str(), cc.as_str(), *sector))
        })
    }

    /// The registrable domain of `domain` when an overlay suffix covers it:
    /// the suffix plus one label. `None` when no suffix covers it, or the
    /// name is a suffix itself.
    pub fn registrable(&self, domain: &str) -> Option<String> {
        let d = domain.trim_end_matches('.');
        let (suffix, _, _) = self.suffix_of(d)?;
        let head = d.strip_suffix(suffix)?.strip_suffix('.')?;
        let label = head.rsplit('.').next()?;
        Some(format!("{label}.{suffix}"))
    }

    /// The public-sector match an overlay suffix with a sector gives.
    pub fn gov_match(&self, domain: &str) -> Option<GovMatch> {
        // The longest suffix decides: a commercial suffix under a government
        // one (`com.gov.example`) is not government.
        let (suffix, cc, sector) = self.suffix_of(domain)?;
        sector.map(|sector| GovMatch {
            country: cc.to_owned(),
            suffix: suffix.to_owned(),
            sector,
        })
    }

    /// The country of an E.164 number by the longest matching prefix.
    pub fn phone_country(&self, e164: &str) -> Option<&str> {
        self.phones
            .iter()
            .find(|(p, _)| e164.starts_with(p.as_str()))
            .map(|(_, cc)| cc.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn demo() -> NameOverlay {
        NameOverlay::from_csv(
            "kind,value,country,sector\n# comment\nsuffix,sg.test,SG,\nsuffix,gov.sg.test,sg,government\nsuffix,com.gov.sg.test,SG,\nphone,+44207946,SG,\nphone,+442079460,MY,\n",
        )
        .unwrap()
    }

    #[test]
    fn suffixes_longest_wins() {
        let o = demo();
        assert_eq!(
            o.suffix_of("www.moh.gov.sg.test"),
            Some(("gov.sg.test", "SG", Some(Sector::Government)))
        );
        assert_eq!(
            o.registrable("www.moh.gov.sg.test").as_deref(),
            Some("moh.gov.sg.test")
        );
        assert_eq!(
            o.registrable("shop.sg.test").as_deref(),
            Some("shop.sg.test")
        );
        assert_eq!(o.registrable("gov.sg.test"), None);
        assert_eq!(o.registrable("example.com"), None);
        assert_eq!(
            o.gov_match("a.moh.gov.sg.test").unwrap().suffix,
            "gov.sg.test"
        );
        assert!(o.gov_match("x.com.gov.sg.test").is_none());
        assert!(o.gov_match("shop.sg.test").is_none());
        assert!(o.suffix_of("sg.test.evil").is_none());
        assert!(o.suffix_of("xsg.test").is_none());
    }

    #[test]
    fn phones_longest_prefix() {
        let o = demo();
        assert_eq!(o.phone_country("+442079460123"), Some("MY"));
        assert_eq!(o.phone_country("+442079461123"), Some("SG"));
        assert_eq!(o.phone_country("+15550100"), None);
    }

    #[test]
    fn bad_rows_are_located() {
        let e = NameOverlay::from_csv("suffix,a.test,SGP,\n").unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let e = NameOverlay::from_csv("# c\nphone,44,SG,\n").unwrap_err();
        assert!(e.to_string().contains("row 2"), "{e}");
        assert!(NameOverlay::from_csv("zone,a.test,SG,\n").is_err());
        assert!(NameOverlay::from_csv("suffix,a.test,SG,church\n").is_err());
    }
}
