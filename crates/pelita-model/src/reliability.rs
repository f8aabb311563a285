//! The Admiralty (NATO) grading of a source and of a piece of information.
//!
//! A sighting carries two independent grades: how reliable the *source* has
//! proven ([`SourceReliability`], A to F) and how credible this *information*
//! is ([`Credibility`], 1 to 6). Both have an explicit "cannot be judged"
//! value (F and 6), which is not the same as "bad": fusion treats it as
//! unknown, not as a penalty.
//!
//! Notation read: `B`, `b`, `B2` (both grades), and the MISP taxonomy tags
//! `admiralty-scale:source-reliability="b"` and
//! `admiralty-scale:information-credibility="2"`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Source reliability, A (completely reliable) to F (cannot be judged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SourceReliability {
    /// A: completely reliable.
    A,
    /// B: usually reliable.
    B,
    /// C: fairly reliable.
    C,
    /// D: not usually reliable.
    D,
    /// E: unreliable.
    E,
    /// F: reliability cannot be judged.
    F,
}

/// Information credibility, 1 (confirmed by other sources) to 6 (cannot be judged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Credibility {
    /// 1: confirmed by other sources.
    Confirmed,
    /// 2: probably true.
    ProbablyTrue,
    /// 3: possibly true.
    PossiblyTrue,
    /// 4: doubtful.
    Doubtful,
    /// 5: improbable.
    Improbable,
    /// 6: truth cannot be judged.
    CannotBeJudged,
}

impl SourceReliability {
    /// All grades, best first.
    pub const ALL: [SourceReliability; 6] = [Self::A, Self::B, Self::C, Self::D, Self::E, Self::F];

    /// The grade letter.
    pub const fn letter(self) -> char {
        match self {
            Self::A => 'A',
            Self::B => 'B',
            Self::C => 'C',
            Self::D => 'D',
            Self::E => 'E',
            Self::F => 'F',
        }
    }

    /// The probability that a report from this source is right, used as the
    /// weight of its sightings in fused confidence. `None` for F: cannot be
    /// judged is unknown, and fusion uses its configured default instead.
    pub const fn weight(self) -> Option<f64> {
        match self {
            Self::A => Some(0.95),
            Self::B => Some(0.80),
            Self::C => Some(0.60),
            Self::D => Some(0.40),
            Self::E => Some(0.20),
            Self::F => None,
        }
    }

    /// Reads one letter, in either case.
    pub fn from_char(c: char) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|g| g.letter() == c.to_ascii_uppercase())
    }
}

impl Credibility {
    /// All grades, best first.
    pub const ALL: [Credibility; 6] = [
        Self::Confirmed,
        Self::ProbablyTrue,
        Self::PossiblyTrue,
        Self::Doubtful,
        Self::Improbable,
        Self::CannotBeJudged,
    ];

    /// The grade digit, 1 to 6.
    pub const fn digit(self) -> u8 {
        match self {
            Self::Confirmed => 1,
            Self::ProbablyTrue => 2,
            Self::PossiblyTrue => 3,
            Self::Doubtful => 4,
            Self::Improbable => 5,
            Self::CannotBeJudged => 6,
        }
    }

    /// The probability that the information is true; `None` for 6.
    pub const fn weight(self) -> Option<f64> {
        match self {
            Self::Confirmed => Some(0.95),
            Self::ProbablyTrue => Some(0.80),
            Self::PossiblyTrue => Some(0.60),
            Self::Doubtful => Some(0.40),
            Self::Improbable => Some(0.20),
            Self::CannotBeJudged => None,
        }
    }

    /// Reads one digit `1`..=`6`.
    pub fn from_digit(d: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.digit() == d)
    }

    /// The grade a STIX 2.1 `confidence` (0–100) stands for, by the
    /// specification's normative mapping to the Admiralty credibility scale
    /// (STIX 2.1, Appendix A, "Admiralty Credibility"): 80–100 is 1, 60–79
    /// is 2, 40–59 is 3, 20–39 is 4, 0–19 is 5. Grade 6, "cannot be
    /// judged", is a `confidence` left out; a value outside 0–100 (which
    /// validation reports) is no grade at all.
    pub const fn from_stix_confidence(confidence: i64) -> Option<Self> {
        match confidence {
            80..=100 => Some(Self::Confirmed),
            60..=79 => Some(Self::ProbablyTrue),
            40..=59 => Some(Self::PossiblyTrue),
            20..=39 => Some(Self::Doubtful),
            0..=19 => Some(Self::Improbable),
            _ => None,
        }
    }
}

impl fmt::Display for SourceReliability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

impl fmt::Display for Credibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.digit())
    }
}

/// Both grades of the Admiralty code, written `B2`. Either may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Admiralty {
    /// How reliable the source is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<SourceReliability>,
    /// How credible the information is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credibility: Option<Credibility>,
}

/// A string that is not an Admiralty grade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Admiralty grade {0:?} (expected a letter A-F, a digit 1-6, or both as in \"B2\")")]
pub struct AdmiraltyParseError(pub String);

impl Admiralty {
    /// Reads a MISP `admiralty-scale:` machine tag, updating whichever grade
    /// the tag names. Returns `false` when the tag is not an admiralty-scale tag
    /// or names an unknown grade.
    pub fn apply_misp_tag(&mut self, tag: &str) -> bool {
        let Some(rest) = tag.trim().strip_prefix("admiralty-scale:") else {
            return false;
        };
        let Some((predicate, value)) = rest.split_once('=') else {
            return false;
        };
        let value = value.trim().trim_matches('"');
        match predicate.trim() {
            "source-reliability" => {
                match value.chars().next().and_then(SourceReliability::from_char) {
                    Some(r) if value.len() == 1 => {
                        self.reliability = Some(r);
                        true
                    }
                    _ => false,
                }
            }
            "information-credibility" => {
                match value.parse::<u8>().ok().and_then(Credibility::from_digit) {
                    Some(c) => {
                        self.credibility = Some(c);
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }
}

impl FromStr for Admiralty {
    type Err = AdmiraltyParseError;

    /// Reads `B2`, `b`, `2`, `B-2`, `B 2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || AdmiraltyParseError(s.to_owned());
        let mut out = Admiralty::default();
        let mut chars = s.trim().chars().filter(|c| !matches!(c, ' ' | '-' | '/'));
        let mut next = chars.next();
        if let Some(c) = next.filter(|c| c.is_ascii_alphabetic()) {
            out.reliability = Some(SourceReliability::from_char(c).ok_or_else(err)?);
            next = chars.next();
        }
        if let Some(c) = next {
            let d = c
                .to_digit(10)
                .and_then(|d| u8::try_from(d).ok())
                .ok_or_else(err)?;
            out.credibility = Some(Credibility::from_digit(d).ok_or_else(err)?);
        }
        if chars.next().is_some() || (out.reliability.is_none() && out.credibility.is_none()) {
            return Err(err());
        }
        Ok(out)
    }
}

impl fmt::Display for Admiralty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.reliability, self.credibility) {
            (Some(r), Some(c)) => write!(f, "{r}{c}"),
            (Some(r), None) => write!(f, "{r}"),
            (None, Some(c)) => write!(f, "{c}"),
            (None, None) => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        let a: Admiralty = "B2".parse().unwrap();
        assert_eq!(a.reliability, Some(SourceReliability::B));
        assert_eq!(a.credibility, Some(Credibility::ProbablyTrue));
        assert_eq!(a.to_string(), "B2");
        assert_eq!("f".parse::<Admiralty>().unwrap().to_string(), "F");
        assert_eq!(
            "6".parse::<Admiralty>().unwrap().credibility,
            Some(Credibility::CannotBeJudged)
        );
        assert_eq!("C-3".parse::<Admiralty>().unwrap().to_string(), "C3");
        for bad in ["", "G", "B7", "B22", "0", "AB"] {
            assert!(bad.parse::<Admiralty>().is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_misp_tags() {
        let mut a = Admiralty::default();
        assert!(a.apply_misp_tag("admiralty-scale:source-reliability=\"a\""));
        assert!(a.apply_misp_tag("admiralty-scale:information-credibility=\"3\""));
        assert_eq!(a.to_string(), "A3");
        assert!(!a.apply_misp_tag("tlp:amber"));
        assert!(!a.apply_misp_tag("admiralty-scale:source-reliability=\"z\""));
        assert!(!a.apply_misp_tag("admiralty-scale:information-credibility=\"9\""));
    }

    #[test]
    fn stix_confidence_maps_to_credibility_at_the_specified_bounds() {
        let grade = |c| Credibility::from_stix_confidence(c).map(Credibility::digit);
        for (confidence, digit) in [
            (100, 1),
            (80, 1),
            (79, 2),
            (60, 2),
            (59, 3),
            (40, 3),
            (39, 4),
            (20, 4),
            (19, 5),
            (0, 5),
        ] {
            assert_eq!(grade(confidence), Some(digit), "{confidence}");
        }
        for out_of_range in [-1, 101, i64::MIN, i64::MAX] {
            assert_eq!(grade(out_of_range), None, "{out_of_range}");
        }
    }

    #[test]
    fn unjudgeable_grades_have_no_weight() {
        assert_eq!(SourceReliability::F.weight(), None);
        assert_eq!(Credibility::CannotBeJudged.weight(), None);
        let weights: Vec<f64> = SourceReliability::ALL
            .iter()
            .filter_map(|g| g.weight())
            .collect();
        assert!(
            weights.windows(2).all(|w| w[0] > w[1]),
            "weights fall with the grade"
        );
    }
}
