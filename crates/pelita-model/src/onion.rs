//! Tor v3 onion service addresses.
//!
//! An address is 56 base32 characters (32-byte public key, 2-byte checksum,
//! version byte 3) followed by `.onion`. The checksum is the first two
//! bytes of SHA3-256(".onion checksum" ‖ pubkey ‖ version), as the Tor
//! rendezvous specification (rend-spec-v3) defines it. Subdomains
//! (`www.<address>.onion`) name the same service and are reduced to it.
//! Version 2 addresses (16 characters) have not worked since 2021 and are
//! rejected with a message that says so.

use sha3::{Digest as _, Sha3_256};

/// Why a string is not a Tor v3 onion address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OnionError {
    /// Does not end in `.onion`.
    #[error("an onion address ends in .onion")]
    NotOnion,
    /// A 16-character v2 address.
    #[error("Tor v2 onion addresses (16 characters) are obsolete since 2021 and not supported")]
    V2,
    /// Wrong length or alphabet.
    #[error("a Tor v3 onion address has 56 base32 characters (a-z, 2-7) before .onion")]
    Shape,
    /// The version byte is not 3.
    #[error("onion address version is {0}, expected 3")]
    Version(u8),
    /// The checksum does not match.
    #[error("onion address checksum mismatch")]
    Checksum,
}

/// Validates a v3 onion address; returns `<56 chars>.onion` in lower case.
pub fn parse_onion(s: &str) -> Result<String, OnionError> {
    let lower = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = lower.strip_suffix(".onion").ok_or(OnionError::NotOnion)?;
    let label = host.rsplit('.').next().unwrap_or(host);
    if label.len() == 16 {
        return Err(OnionError::V2);
    }
    if label.len() != 56 {
        return Err(OnionError::Shape);
    }
    let bytes = base32_decode(label).ok_or(OnionError::Shape)?;
    let (pubkey, rest) = bytes.split_at(32);
    let (checksum, version) = rest.split_at(2);
    let version = version.first().copied().unwrap_or(0);
    if version != 3 {
        return Err(OnionError::Version(version));
    }
    let mut h = Sha3_256::new();
    h.update(b".onion checksum");
    h.update(pubkey);
    h.update([version]);
    if h.finalize().get(..2) != Some(checksum) {
        return Err(OnionError::Checksum);
    }
    Ok(format!("{label}.onion"))
}

/// Builds the v3 address of a public key (used by tests and the demo generator).
pub fn onion_from_pubkey(pubkey: &[u8; 32]) -> String {
    let mut h = Sha3_256::new();
    h.update(b".onion checksum");
    h.update(pubkey);
    h.update([3u8]);
    let digest = h.finalize();
    let mut bytes = Vec::with_capacity(35);
    bytes.extend_from_slice(pubkey);
    bytes.extend_from_slice(digest.get(..2).unwrap_or(&[0, 0]));
    bytes.push(3);
    format!("{}.onion", base32_encode(&bytes))
}

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// RFC 4648 base32 (lower case, no padding) of exactly 56 characters into 35 bytes.
fn base32_decode(s: &str) -> Option<[u8; 35]> {
    let mut out = [0u8; 35];
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    let mut n = 0usize;
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        acc = (acc << 5) | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(n)? = u8::try_from((acc >> bits) & 0xff).ok()?;
            n += 1;
        }
    }
    (n == 35).then_some(out)
}

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let idx = usize::try_from((acc >> bits) & 31).unwrap_or(0);
            out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'a')));
        }
    }
    if bits > 0 {
        let idx = usize::try_from((acc << (5 - bits)) & 31).unwrap_or(0);
        out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'a')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Tor Project's own onion service.
    const TORPROJECT: &str = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion";

    #[test]
    fn valid_and_reduced() {
        assert_eq!(parse_onion(TORPROJECT).unwrap(), TORPROJECT);
        assert_eq!(parse_onion(&TORPROJECT.to_uppercase()).unwrap(), TORPROJECT);
        assert_eq!(
            parse_onion(&format!("www.{TORPROJECT}")).unwrap(),
            TORPROJECT
        );
    }

    #[test]
    fn corrupted_and_v2_rejected() {
        let bad = TORPROJECT.replacen('2', "3", 1);
        assert_eq!(parse_onion(&bad), Err(OnionError::Checksum));
        assert_eq!(parse_onion("expyuzz4wqqyqhjn.onion"), Err(OnionError::V2));
        assert_eq!(parse_onion("example.com"), Err(OnionError::NotOnion));
        assert_eq!(parse_onion("abc.onion"), Err(OnionError::Shape));
    }

    #[test]
    fn generated_addresses_validate() {
        for seed in 0u8..20 {
            let key = [seed; 32];
            let a = onion_from_pubkey(&key);
            assert_eq!(parse_onion(&a).unwrap(), a);
        }
    }
}
