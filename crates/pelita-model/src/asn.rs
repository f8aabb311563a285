//! Autonomous system numbers.
//!
//! Read as `AS64500`, `as64500`, `ASN 64500`, `AS-64500`, and asdot
//! `AS1.10` (= 65546); with an explicit ASN kind a bare number is accepted.
//! Canonical: the number. Reserved, documentation and private-use numbers
//! (RFC 5398, 6996, 7300, 7607) are flagged.

use crate::flags::{Flag, Flags};

/// Why a string is not an ASN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AsnError {
    /// Not `AS` followed by a number.
    #[error("an ASN is written AS followed by a number (AS64500)")]
    Shape,
    /// Above 4294967295.
    #[error("ASN out of range (0 to 4294967295)")]
    Range,
}

/// Parses an ASN. `bare_ok` accepts a number with no `AS` prefix.
pub fn parse_asn(s: &str, bare_ok: bool) -> Result<u32, AsnError> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let rest = upper
        .strip_prefix("ASN")
        .or_else(|| upper.strip_prefix("AS"));
    let digits = match rest {
        Some(r) => r.trim_start_matches([' ', '-', ':']),
        None if bare_ok => upper.as_str(),
        None => return Err(AsnError::Shape),
    };
    if digits.is_empty() {
        return Err(AsnError::Shape);
    }
    if let Some((hi, lo)) = digits.split_once('.') {
        let hi: u32 = parse_digits(hi)?;
        let lo: u32 = parse_digits(lo)?;
        if hi > 65535 || lo > 65535 {
            return Err(AsnError::Range);
        }
        return Ok(hi << 16 | lo);
    }
    parse_digits(digits)
}

fn parse_digits(d: &str) -> Result<u32, AsnError> {
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AsnError::Shape);
    }
    d.parse::<u32>().map_err(|_| AsnError::Range)
}

/// Flags of an ASN: documentation, private use, reserved.
pub fn asn_flags(asn: u32) -> Flags {
    let mut f = Flags::empty();
    match asn {
        64496..=64511 | 65536..=65551 => f.insert(Flag::Documentation),
        64512..=65534 | 4_200_000_000..=4_294_967_294 => f.insert(Flag::PrivateAsn),
        0 | 23456 | 65535 | 65552..=131_071 | 4_294_967_295 => f.insert(Flag::Reserved),
        _ => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notations() {
        for s in ["AS13335", "as13335", "ASN 13335", "AS-13335", "ASN13335"] {
            assert_eq!(parse_asn(s, false), Ok(13335), "{s}");
        }
        assert_eq!(parse_asn("13335", true), Ok(13335));
        assert_eq!(parse_asn("13335", false), Err(AsnError::Shape));
        assert_eq!(parse_asn("AS1.10", false), Ok(65546));
        assert_eq!(parse_asn("AS4294967296", false), Err(AsnError::Range));
        assert_eq!(parse_asn("ASX", false), Err(AsnError::Shape));
    }

    #[test]
    fn flags() {
        assert!(asn_flags(64500).contains(Flag::Documentation));
        assert!(asn_flags(65001).contains(Flag::PrivateAsn));
        assert!(asn_flags(0).contains(Flag::Reserved));
        assert!(asn_flags(13335).is_empty());
    }
}
