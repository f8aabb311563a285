//! File digests: exact (MD5, SHA-1, SHA-256, SHA-512) and fuzzy (ssdeep, TLSH).
//!
//! Exact digests are lower-case hex of the exact length of their algorithm; a
//! bare digest's algorithm is inferred from its length. Fuzzy hashes are
//! checked for shape only (they carry no checksum): ssdeep is
//! `blocksize:hash:hash` with the base64 alphabet, a block size that is 3
//! times a power of two, and the part lengths ssdeep produces; TLSH is 70 hex
//! digits, with the `T1` version prefix added when missing, upper case as the
//! reference implementation prints it.

use crate::IndicatorKind;

/// Bytes as lower-case hex, the form digests, token ids and audit hashes
/// are written in. The one encoder of the workspace.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// A non-hex character.
    #[error("{0:?} is not a hexadecimal character")]
    NotHex(char),
    /// The wrong length for the algorithm.
    #[error("{kind} digests have {want} hex digits, found {found}")]
    Length {
        /// The algorithm.
        kind: IndicatorKind,
        /// The expected length.
        want: usize,
        /// The length found.
        found: usize,
    },
    /// A bare hex string of a length no supported algorithm has.
    #[error(
        "{0} hex digits is not the length of an MD5 (32), SHA-1 (40), SHA-256 (64) or SHA-512 (128) digest"
    )]
    UnknownLength(usize),
    /// Not a valid ssdeep hash.
    #[error("not a valid ssdeep hash: {0}")]
    Ssdeep(&'static str),
    /// Not a valid TLSH hash.
    #[error("not a valid TLSH hash: {0}")]
    Tlsh(&'static str),
}

/// The hex length of an exact digest kind.
pub const fn hex_len(kind: IndicatorKind) -> Option<usize> {
    match kind {
        IndicatorKind::Md5 => Some(32),
        IndicatorKind::Sha1 => Some(40),
        IndicatorKind::Sha256 => Some(64),
        IndicatorKind::Sha512 => Some(128),
        _ => None,
    }
}

/// The exact digest kind with this many hex digits.
pub const fn kind_for_len(len: usize) -> Option<IndicatorKind> {
    match len {
        32 => Some(IndicatorKind::Md5),
        40 => Some(IndicatorKind::Sha1),
        64 => Some(IndicatorKind::Sha256),
        128 => Some(IndicatorKind::Sha512),
        _ => None,
    }
}

/// Canonicalises an exact digest; with `kind` `None` the kind is inferred from the length.
pub fn parse_digest(
    s: &str,
    kind: Option<IndicatorKind>,
) -> Result<(IndicatorKind, String), HashError> {
    let s = s.trim();
    // Bytes, not chars: every byte before the first non-hex one is ASCII,
    // so that byte starts the character reported.
    if let Some(at) = s.bytes().position(|b| !b.is_ascii_hexdigit()) {
        let c = s
            .get(at..)
            .and_then(|r| r.chars().next())
            .unwrap_or('\u{FFFD}');
        return Err(HashError::NotHex(c));
    }
    let kind = match kind {
        Some(k) => {
            let want = hex_len(k).ok_or(HashError::UnknownLength(s.len()))?;
            if s.len() != want {
                return Err(HashError::Length {
                    kind: k,
                    want,
                    found: s.len(),
                });
            }
            k
        }
        None => kind_for_len(s.len()).ok_or(HashError::UnknownLength(s.len()))?,
    };
    Ok((kind, s.to_ascii_lowercase()))
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Validates an ssdeep hash and returns it as written (ssdeep is case-sensitive).
/// A trailing `,"filename"` as ssdeep prints it is removed.
pub fn parse_ssdeep(s: &str) -> Result<String, HashError> {
    let s = s.trim();
    let s = s.split_once(',').map_or(s, |(h, _)| h);
    let mut parts = s.splitn(3, ':');
    let (Some(bs), Some(h1), Some(h2)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(HashError::Ssdeep("expected blocksize:hash:hash"));
    };
    let block: u64 = bs
        .parse()
        .map_err(|_| HashError::Ssdeep("block size is not a number"))?;
    if block < 3 || !block.is_multiple_of(3) || !(block / 3).is_power_of_two() {
        return Err(HashError::Ssdeep(
            "block size is not 3 times a power of two",
        ));
    }
    if h1.is_empty() || h1.len() > 64 || h2.len() > 64 {
        return Err(HashError::Ssdeep("hash parts must be 1 to 64 characters"));
    }
    if !h1.bytes().chain(h2.bytes()).all(|b| B64.contains(&b)) {
        return Err(HashError::Ssdeep("hash parts must use the base64 alphabet"));
    }
    Ok(s.to_owned())
}

/// Validates a TLSH hash; returns `T1` followed by 70 upper-case hex digits.
pub fn parse_tlsh(s: &str) -> Result<String, HashError> {
    let s = s.trim();
    let body = match s.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("t1") => s.get(2..).unwrap_or(""),
        _ => s,
    };
    if body.len() != 70 {
        return Err(HashError::Tlsh(
            "expected 70 hex digits after the optional T1 prefix",
        ));
    }
    if !body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HashError::Tlsh("not hexadecimal"));
    }
    Ok(format!("T1{}", body.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(to_hex(&[0x00, 0xab, 0x7f, 0xff, 0x0a]), "00ab7fff0a");
        assert_eq!(to_hex(&[]), "");
    }

    #[test]
    fn digests() {
        let md5 = "D41D8CD98F00B204E9800998ECF8427E";
        assert_eq!(
            parse_digest(md5, None).unwrap(),
            (IndicatorKind::Md5, md5.to_lowercase())
        );
        assert_eq!(
            parse_digest(&"a".repeat(64), None).unwrap().0,
            IndicatorKind::Sha256
        );
        assert_eq!(
            parse_digest(&"a".repeat(128), None).unwrap().0,
            IndicatorKind::Sha512
        );
        assert!(matches!(
            parse_digest(&"a".repeat(40), Some(IndicatorKind::Md5)),
            Err(HashError::Length { .. })
        ));
        assert!(matches!(
            parse_digest(&"a".repeat(33), None),
            Err(HashError::UnknownLength(33))
        ));
        assert!(matches!(
            parse_digest(&"g".repeat(32), None),
            Err(HashError::NotHex('g'))
        ));
    }

    #[test]
    fn ssdeep() {
        let h = "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO";
        assert_eq!(parse_ssdeep(h).unwrap(), h);
        assert_eq!(parse_ssdeep(&format!("{h},\"file.exe\"")).unwrap(), h);
        assert!(parse_ssdeep("97:abc:def").is_err());
        assert!(parse_ssdeep("96:ab!c:def").is_err());
        assert!(parse_ssdeep("96:abc").is_err());
    }

    #[test]
    fn tlsh() {
        let body = "8D22C0AA6A11E43DD98C5E2A30B8E63D4CD5D1163B3FEB0C96E94B5E7700A1B5E6C6BE";
        assert_eq!(body.len(), 70);
        assert_eq!(
            parse_tlsh(&body.to_lowercase()).unwrap(),
            format!("T1{body}")
        );
        assert_eq!(
            parse_tlsh(&format!("t1{body}")).unwrap(),
            format!("T1{body}")
        );
        assert!(parse_tlsh(&body[1..]).is_err());
    }
}
