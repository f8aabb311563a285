//! Traffic Light Protocol 2.0 markings.
//!
//! The marking lives on each *sighting*, never on an indicator: the same IP
//! can be GREEN from one partner and RED from another. [`Tlp`] is a closed
//! enum ordered from least to most restrictive, so `a.max(b)` is the stricter
//! of two markings.
//!
//! Reading is forgiving in notation and strict in meaning: `TLP:AMBER+STRICT`,
//! `amber+strict`, `tlp:amber-strict` and the MISP tag `tlp:amber+strict` all
//! read as [`Tlp::AmberStrict`]; TLP 1.0 `WHITE` reads as [`Tlp::Clear`] (FIRST
//! defines them as equivalent). Anything else is an error, never a default.
//!
//! STIX marking-definition identifiers are mapped both ways: both the TLP 1.0
//! objects predefined by STIX 2.1 and the TLP 2.0 objects published by OASIS
//! with the extension `extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`
//! are read; the TLP 2.0 ones are written.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A TLP 2.0 marking, ordered from least ([`Tlp::Clear`]) to most ([`Tlp::Red`]) restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0 WHITE): no limit on disclosure.
    Clear,
    /// TLP:GREEN: the community, not public channels.
    Green,
    /// TLP:AMBER: the recipient's organisation and its clients, need-to-know.
    Amber,
    /// TLP:AMBER+STRICT: the recipient's organisation only.
    AmberStrict,
    /// TLP:RED: named recipients only.
    Red,
}

/// The STIX 2.1 extension that defines the TLP 2.0 marking objects.
pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

impl Tlp {
    /// All markings, least restrictive first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The lower-case name used in Pelita's CLI, API and storage: `clear`, `green`,
    /// `amber`, `amber+strict`, `red`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The label as FIRST writes it: `TLP:AMBER+STRICT`.
    pub const fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The FIRST TLP 2.0 colour of the label text, as a CSS hex colour on black.
    pub const fn colour(self) -> &'static str {
        match self {
            Tlp::Clear => "#FFFFFF",
            Tlp::Green => "#33FF00",
            Tlp::Amber | Tlp::AmberStrict => "#FFC000",
            Tlp::Red => "#FF2B2B",
        }
    }

    /// The STIX 2.1 TLP 2.0 marking-definition id for this marking.
    pub const fn stix_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// Reads a STIX marking-definition id: the TLP 2.0 ids and the TLP 1.0 ids
    /// that STIX 2.1 predefines. Returns `None` for any other id (a statement
    /// marking or a partner's own definition).
    pub fn from_stix_id(id: &str) -> Option<Tlp> {
        let tlp = match id {
            // TLP 1.0, predefined in STIX 2.1 section 7.2.1.4.
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Tlp::Clear,
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Tlp::Green,
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Tlp::Amber,
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Tlp::Red,
            other => return Tlp::ALL.into_iter().find(|t| t.stix_id() == other),
        };
        Some(tlp)
    }

    /// The stricter of two markings.
    pub fn stricter(self, other: Tlp) -> Tlp {
        self.max(other)
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a TLP marking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown TLP marking {0:?} (expected clear, green, amber, amber+strict or red; white reads as clear)"
)]
pub struct TlpParseError(pub String);

impl FromStr for Tlp {
    type Err = TlpParseError;

    /// Reads `clear`, `TLP:CLEAR`, `tlp:white`, `TLP: AMBER+STRICT`, `amber_strict`,
    /// `amber-strict`, in any case. The MISP form `tlp:amber+strict` is included.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let lower = trimmed.to_ascii_lowercase();
        let body = lower
            .strip_prefix("tlp")
            .map(|r| r.trim_start_matches([':', ' ', '-', '_']))
            .unwrap_or(&lower);
        let body = body.trim().trim_matches('"');
        let tlp = match body {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" | "amber-strict" | "amber_strict" | "amber strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => return Err(TlpParseError(trimmed.to_owned())),
        };
        Ok(tlp)
    }
}

impl From<Tlp> for &'static str {
    fn from(t: Tlp) -> Self {
        t.as_str()
    }
}

impl TryFrom<String> for Tlp {
    type Error = TlpParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_notation() {
        for (s, t) in [
            ("clear", Tlp::Clear),
            ("TLP:WHITE", Tlp::Clear),
            ("tlp:white", Tlp::Clear),
            ("TLP: GREEN", Tlp::Green),
            ("Amber", Tlp::Amber),
            ("TLP:AMBER+STRICT", Tlp::AmberStrict),
            ("amber_strict", Tlp::AmberStrict),
            ("tlp:amber-strict", Tlp::AmberStrict),
            ("tlp:red", Tlp::Red),
        ] {
            assert_eq!(s.parse::<Tlp>(), Ok(t), "{s}");
        }
        assert!("amberish".parse::<Tlp>().is_err());
        assert!("".parse::<Tlp>().is_err());
        assert!("tlp:".parse::<Tlp>().is_err());
    }

    #[test]
    fn order_is_restrictiveness() {
        assert!(Tlp::Clear < Tlp::Green && Tlp::Green < Tlp::Amber);
        assert!(Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red);
        assert_eq!(Tlp::Green.stricter(Tlp::Red), Tlp::Red);
    }

    #[test]
    fn stix_ids_round_trip_and_tlp1_is_read() {
        for t in Tlp::ALL {
            assert_eq!(Tlp::from_stix_id(t.stix_id()), Some(t));
            assert_eq!(t.as_str().parse::<Tlp>(), Ok(t));
        }
        assert_eq!(
            Tlp::from_stix_id("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(
            Tlp::from_stix_id("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
            Some(Tlp::Red)
        );
        assert_eq!(
            Tlp::from_stix_id("marking-definition--00000000-0000-4000-8000-000000000000"),
            None
        );
    }

    #[test]
    fn serde_uses_the_short_names() {
        assert_eq!(
            serde_json::to_string(&Tlp::AmberStrict).unwrap(),
            "\"amber+strict\""
        );
        assert_eq!(
            serde_json::from_str::<Tlp>("\"TLP:WHITE\"").unwrap(),
            Tlp::Clear
        );
        assert!(serde_json::from_str::<Tlp>("\"purple\"").is_err());
    }
}
