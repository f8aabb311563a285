//! What an event, an object and an attribute contribute to each observation:
//! tags, marking, Admiralty grades, malware family, hints, context, times.
//!
//! Scopes nest: the event's scope, then the object's on top, then the
//! attribute's. Tags accumulate; a `tlp:` tag, admiralty grades and a
//! malware-family galaxy at an inner level override the outer level's.

use pelita_model::{Admiralty, Tlp};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::json::Scalar;

/// Galaxies whose clusters name malware families, best first.
const MALWARE_GALAXIES: &[(&str, u8)] = &[
    ("malpedia", 0),
    ("mitre-malware", 1),
    ("mitre-enterprise-attack-malware", 1),
    ("mitre-mobile-attack-malware", 1),
    ("ransomware", 2),
    ("rat", 2),
    ("banker", 2),
    ("botnet", 2),
    ("stealer", 2),
    ("backdoor", 2),
    ("android", 2),
    ("tool", 3),
];

/// The contribution of the enclosing levels to an observation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub tags: Vec<String>,
    pub tlp: Option<Tlp>,
    pub admiralty: Admiralty,
    pub malware: Option<String>,
    pub hints: Vec<String>,
    pub first_seen: Option<OffsetDateTime>,
    pub last_seen: Option<OffsetDateTime>,
    /// Context lines, innermost first.
    pub context: Vec<String>,
}

impl Scope {
    /// Adds a hint once.
    pub(crate) fn hint(&mut self, hint: String) {
        if !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
    }

    /// Applies one level's tags on top of this scope.
    pub(crate) fn apply_tags<'t>(&mut self, tags: impl IntoIterator<Item = &'t str>) {
        let mut level_tlp: Option<Tlp> = None;
        let mut families: Vec<(u8, String)> = Vec::new();
        for tag in tags {
            let tag = tag.trim();
            if tag.is_empty() {
                continue;
            }
            if !self.tags.iter().any(|t| t == tag) {
                self.tags.push(tag.to_owned());
            }
            let lower = tag.to_ascii_lowercase();
            if lower.starts_with("tlp:") {
                if let Ok(t) = tag.parse::<Tlp>() {
                    level_tlp = Some(level_tlp.map_or(t, |l| l.stricter(t)));
                }
            } else if lower.starts_with("admiralty-scale:") {
                self.admiralty.apply_misp_tag(tag);
            } else if lower.starts_with("rsit:") || lower.starts_with("ecsirt:") {
                self.hint(tag.to_owned());
            } else if let Some(family) = malware_family(tag) {
                families.push(family);
            }
        }
        if let Some(t) = level_tlp {
            self.tlp = Some(t);
        }
        // The best-ranked galaxy's family, when it names exactly one: an event
        // naming seven families does not say which one each attribute is.
        if let Some(best) = families.iter().map(|(r, _)| *r).min() {
            let mut named = families
                .iter()
                .filter(|(r, _)| *r == best)
                .map(|(_, f)| f.as_str());
            if let Some(first) = named.next()
                && named.all(|f| f.eq_ignore_ascii_case(first))
            {
                self.malware = Some(first.to_owned());
            }
        }
    }
}

/// The malware family a `misp-galaxy:<galaxy>="<cluster>"` tag names, with the galaxy's rank.
pub(crate) fn malware_family(tag: &str) -> Option<(u8, String)> {
    let rest = tag.strip_prefix("misp-galaxy:")?;
    let (galaxy, value) = rest.split_once('=')?;
    let rank = MALWARE_GALAXIES
        .iter()
        .find(|(g, _)| *g == galaxy.trim())
        .map(|(_, r)| *r)?;
    let mut value = value.trim().trim_matches('"').trim();
    // MITRE clusters are written `Zebrocy - S0251`.
    if galaxy.starts_with("mitre-")
        && let Some((name, id)) = value.rsplit_once(" - ")
        && let Some(digits) = id.strip_prefix('S')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        value = name.trim();
    }
    (!value.is_empty()).then(|| (rank, value.to_owned()))
}

/// A MISP time: RFC 3339 (`2020-07-22T22:00:00.000000+00:00`) or Unix seconds
/// as a number or a string. `Ok(None)` for null or empty; `Err(())` when unreadable.
pub(crate) fn parse_time(s: &Scalar<'_>) -> Result<Option<OffsetDateTime>, ()> {
    match s {
        Scalar::Null => return Ok(None),
        Scalar::Str(t) if t.trim().is_empty() => return Ok(None),
        _ => {}
    }
    if let Some(secs) = s.integer() {
        return OffsetDateTime::from_unix_timestamp(secs)
            .map(Some)
            .map_err(|_| ());
    }
    let text = s.as_str().ok_or(())?.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(Some(t));
    }
    // MISP also writes `2020-07-22 22:00:00+00:00` and `...+0000`.
    let fixed = text.replacen(' ', "T", 1);
    let fixed = match fixed
        .len()
        .checked_sub(5)
        .and_then(|i| fixed.get(i..).map(|t| (i, t)))
    {
        Some((i, tz))
            if (tz.starts_with('+') || tz.starts_with('-'))
                && tz.bytes().skip(1).all(|b| b.is_ascii_digit()) =>
        {
            let head = fixed.get(..i).unwrap_or_default();
            let (h, m) = (
                tz.get(..3).unwrap_or_default(),
                tz.get(3..).unwrap_or_default(),
            );
            format!("{head}{h}:{m}")
        }
        _ => fixed,
    };
    OffsetDateTime::parse(&fixed, &Rfc3339)
        .map(Some)
        .map_err(|_| ())
}

/// The hint for an event's `threat_level_id` (1 high … 4 undefined).
pub(crate) fn threat_level_hint(s: &str) -> Option<String> {
    let level = match s.trim() {
        "1" => "high",
        "2" => "medium",
        "3" => "low",
        "4" => "undefined",
        _ => return None,
    };
    Some(format!("misp-threat-level:{level}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_override() {
        let mut s = Scope::default();
        s.apply_tags([
            "tlp:amber",
            "admiralty-scale:source-reliability=\"b\"",
            "type:OSINT",
        ]);
        assert_eq!(s.tlp, Some(Tlp::Amber));
        let mut inner = s.clone();
        inner.apply_tags(["tlp:red", "rsit:malicious-code=\"ransomware\""]);
        assert_eq!(inner.tlp, Some(Tlp::Red));
        assert_eq!(inner.tags.len(), 5);
        assert_eq!(inner.hints, vec!["rsit:malicious-code=\"ransomware\""]);
        let mut green = s.clone();
        green.apply_tags(["tlp:green"]);
        assert_eq!(green.tlp, Some(Tlp::Green));
        assert_eq!(green.admiralty.to_string(), "B");
    }

    #[test]
    fn malware_from_galaxies() {
        assert_eq!(
            malware_family("misp-galaxy:malpedia=\"Emotet\""),
            Some((0, "Emotet".into()))
        );
        assert_eq!(
            malware_family("misp-galaxy:mitre-malware=\"Zebrocy - S0251\""),
            Some((1, "Zebrocy".into()))
        );
        assert_eq!(malware_family("misp-galaxy:threat-actor=\"APT28\""), None);
        let mut s = Scope::default();
        s.apply_tags([
            "misp-galaxy:tool=\"X-Agent\"",
            "misp-galaxy:malpedia=\"Sofacy\"",
        ]);
        assert_eq!(s.malware.as_deref(), Some("Sofacy"));
        // Two families at the best rank: ambiguous, the outer family stays.
        s.apply_tags([
            "misp-galaxy:mitre-malware=\"CHOPSTICK\"",
            "misp-galaxy:mitre-malware=\"XTunnel\"",
        ]);
        assert_eq!(s.malware.as_deref(), Some("Sofacy"));
        let mut fresh = Scope::default();
        fresh.apply_tags(["misp-galaxy:rat=\"njRAT\"", "misp-galaxy:rat=\"NjRAT\""]);
        assert_eq!(fresh.malware.as_deref(), Some("njRAT"));
    }

    #[test]
    fn times() {
        let t = |j: &str| parse_time(&serde_json::from_str::<Scalar<'_>>(j).unwrap());
        assert_eq!(
            t("\"2020-07-22T22:00:00.000000+00:00\"")
                .unwrap()
                .unwrap()
                .unix_timestamp(),
            1_595_455_200
        );
        assert_eq!(
            t("\"2020-07-22 22:00:00+0000\"")
                .unwrap()
                .unwrap()
                .unix_timestamp(),
            1_595_455_200
        );
        assert_eq!(
            t("\"1595455200\"").unwrap().unwrap().unix_timestamp(),
            1_595_455_200
        );
        assert_eq!(t("null"), Ok(None));
        assert!(t("\"yesterday\"").is_err());
    }
}
