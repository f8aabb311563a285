//! The closed set of indicator kinds Pelita understands.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every kind of indicator Pelita canonicalises. A closed enum: adding a kind
/// is a deliberate change that the compiler walks through every `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum IndicatorKind {
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address (IPv4-mapped addresses become [`IndicatorKind::Ipv4`]).
    Ipv6,
    /// An IPv4 or IPv6 network in CIDR notation.
    Cidr,
    /// A domain name (fully qualified, canonical A-label form).
    Domain,
    /// A URL.
    Url,
    /// An e-mail address.
    Email,
    /// An MD5 digest.
    Md5,
    /// A SHA-1 digest.
    Sha1,
    /// A SHA-256 digest.
    Sha256,
    /// A SHA-512 digest.
    Sha512,
    /// An ssdeep fuzzy hash.
    Ssdeep,
    /// A TLSH fuzzy hash.
    Tlsh,
    /// An autonomous system number.
    Asn,
    /// A Bitcoin address (base58check or bech32/bech32m).
    Bitcoin,
    /// An Ethereum address.
    Ethereum,
    /// A Monero address.
    Monero,
    /// A Tor v3 onion service address.
    Onion,
    /// A phone number in E.164 form.
    Phone,
}

impl IndicatorKind {
    /// All kinds, in a stable order.
    pub const ALL: [IndicatorKind; 18] = [
        Self::Ipv4,
        Self::Ipv6,
        Self::Cidr,
        Self::Domain,
        Self::Url,
        Self::Email,
        Self::Md5,
        Self::Sha1,
        Self::Sha256,
        Self::Sha512,
        Self::Ssdeep,
        Self::Tlsh,
        Self::Asn,
        Self::Bitcoin,
        Self::Ethereum,
        Self::Monero,
        Self::Onion,
        Self::Phone,
    ];

    /// The stable lower-case name used in keys, JSON and the CLI.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Cidr => "cidr",
            Self::Domain => "domain",
            Self::Url => "url",
            Self::Email => "email",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
            Self::Ssdeep => "ssdeep",
            Self::Tlsh => "tlsh",
            Self::Asn => "asn",
            Self::Bitcoin => "btc",
            Self::Ethereum => "eth",
            Self::Monero => "xmr",
            Self::Onion => "onion",
            Self::Phone => "phone",
        }
    }

    /// Whether the kind is a file digest (exact or fuzzy).
    pub const fn is_hash(self) -> bool {
        matches!(
            self,
            Self::Md5 | Self::Sha1 | Self::Sha256 | Self::Sha512 | Self::Ssdeep | Self::Tlsh
        )
    }

    /// Whether the kind names network infrastructure (can be hosted, geolocated, taken down).
    pub const fn is_network(self) -> bool {
        matches!(
            self,
            Self::Ipv4
                | Self::Ipv6
                | Self::Cidr
                | Self::Domain
                | Self::Url
                | Self::Onion
                | Self::Asn
        )
    }
}

impl fmt::Display for IndicatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no indicator kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown indicator kind {0:?}")]
pub struct KindParseError(pub String);

impl FromStr for IndicatorKind {
    type Err = KindParseError;

    /// Reads the canonical names and common aliases (`ip`, `ipv4-addr`,
    /// `domain-name`, `hostname`, `fqdn`, `email-addr`, `sha-256`, `bitcoin`,
    /// `ethereum`, `monero`, `phone-number`, `as`, …), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let kind = match lower.as_str() {
            "ipv4" | "ip" | "ipv4-addr" | "ip4" => Self::Ipv4,
            "ipv6" | "ipv6-addr" | "ip6" => Self::Ipv6,
            "cidr" | "net" | "network" | "ip-range" => Self::Cidr,
            "domain" | "domain-name" | "hostname" | "fqdn" | "host" => Self::Domain,
            "url" | "uri" | "link" => Self::Url,
            "email" | "email-addr" | "e-mail" | "email-address" => Self::Email,
            "md5" => Self::Md5,
            "sha1" | "sha-1" => Self::Sha1,
            "sha256" | "sha-256" => Self::Sha256,
            "sha512" | "sha-512" => Self::Sha512,
            "ssdeep" => Self::Ssdeep,
            "tlsh" => Self::Tlsh,
            "asn" | "as" | "autonomous-system" => Self::Asn,
            "btc" | "bitcoin" => Self::Bitcoin,
            "eth" | "ethereum" => Self::Ethereum,
            "xmr" | "monero" => Self::Monero,
            "onion" | "tor" => Self::Onion,
            "phone" | "phone-number" | "tel" => Self::Phone,
            _ => return Err(KindParseError(s.to_owned())),
        };
        Ok(kind)
    }
}

impl From<IndicatorKind> for &'static str {
    fn from(k: IndicatorKind) -> Self {
        k.as_str()
    }
}

impl TryFrom<String> for IndicatorKind {
    type Error = KindParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in IndicatorKind::ALL {
            assert_eq!(k.as_str().parse::<IndicatorKind>(), Ok(k));
        }
        assert_eq!(
            "SHA-256".parse::<IndicatorKind>(),
            Ok(IndicatorKind::Sha256)
        );
        assert!("sha3".parse::<IndicatorKind>().is_err());
    }
}
