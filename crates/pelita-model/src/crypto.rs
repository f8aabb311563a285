//! Cryptocurrency addresses, with their checksums verified.
//!
//! - Bitcoin: base58check (P2PKH `1…`, P2SH `3…`, testnet `m`/`n`/`2`) with
//!   its double-SHA-256 checksum, and segwit bech32 (v0) / bech32m (v1+,
//!   taproot) addresses with the BIP-173/BIP-350 checksum and program rules.
//!   Canonical: base58 as written (it is case-sensitive), bech32 lower case.
//! - Ethereum: `0x` and 40 hex digits. A mixed-case address carries an
//!   EIP-55 checksum, which must match; an all-lower or all-upper one carries
//!   none. Canonical: lower case (the checksummed form is for display).
//! - Monero: Monero's block base58 with its Keccak-256 checksum; standard,
//!   subaddress and integrated addresses on main, test and stage networks.

use sha2::{Digest as _, Sha256};
use sha3::Keccak256;

use crate::flags::{Flag, Flags};

/// Why a string is not a cryptocurrency address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Not base58, or the base58check checksum fails.
    #[error("invalid Bitcoin base58check address: {0}")]
    Base58(String),
    /// A base58check address with an unknown version byte or length.
    #[error("base58check payload is not a Bitcoin address (version {version}, {len} bytes)")]
    Version {
        /// The version byte.
        version: u8,
        /// The payload length.
        len: usize,
    },
    /// A segwit address that fails bech32/bech32m decoding or its checksum.
    #[error("invalid Bitcoin segwit address: {0}")]
    Bech32(String),
    /// Not `0x` followed by 40 hex digits.
    #[error("an Ethereum address is 0x followed by 40 hex digits")]
    EthereumShape,
    /// A mixed-case Ethereum address whose EIP-55 checksum does not match.
    #[error("EIP-55 checksum mismatch (expected {0})")]
    Eip55(String),
    /// Not a Monero address.
    #[error("invalid Monero address: {0}")]
    Monero(&'static str),
}

/// Validates a Bitcoin address; returns the canonical form and flags (testnet).
pub fn parse_bitcoin(s: &str) -> Result<(String, Flags), CryptoError> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("bc1") || lower.starts_with("tb1") || lower.starts_with("bcrt1") {
        let (hrp, _version, _program) =
            bech32::segwit::decode(s).map_err(|e| CryptoError::Bech32(e.to_string()))?;
        let flags = if hrp.as_str().eq_ignore_ascii_case("bc") {
            Flags::empty()
        } else {
            Flag::Testnet.into()
        };
        return Ok((lower, flags));
    }
    let payload = bs58::decode(s).with_check(None).into_vec().map_err(|e| {
        CryptoError::Base58(match e {
            bs58::decode::Error::InvalidChecksum { .. } => "checksum mismatch".to_owned(),
            bs58::decode::Error::InvalidCharacter { character, .. } => {
                format!("{character:?} is not a base58 character")
            }
            other => other.to_string(),
        })
    })?;
    let version = payload.first().copied().unwrap_or(0);
    let flags = match (version, payload.len()) {
        (0x00 | 0x05, 21) => Flags::empty(),
        (0x6f | 0xc4, 21) => Flag::Testnet.into(),
        (version, len) => return Err(CryptoError::Version { version, len }),
    };
    Ok((s.to_owned(), flags))
}

/// Validates an Ethereum address; returns it in lower case.
pub fn parse_ethereum(s: &str) -> Result<String, CryptoError> {
    let s = s.trim();
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or(CryptoError::EthereumShape)?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CryptoError::EthereumShape);
    }
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        let expected = eip55(hex);
        if expected != format!("0x{hex}") {
            return Err(CryptoError::Eip55(expected));
        }
    }
    Ok(format!("0x{}", hex.to_ascii_lowercase()))
}

/// The EIP-55 checksummed form of a 40-digit hex address (without `0x`).
pub fn eip55(hex: &str) -> String {
    let lower = hex.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let byte = hash.get(i / 2).copied().unwrap_or(0);
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

const B58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/// Encoded length of a Monero base58 block of 0..=8 bytes.
const XMR_ENCODED: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];

fn monero_base58_decode(s: &str) -> Result<Vec<u8>, CryptoError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 8 / 11 + 8);
    for chunk in bytes.chunks(11) {
        let decoded_len =
            XMR_ENCODED
                .iter()
                .position(|&n| n == chunk.len())
                .ok_or(CryptoError::Monero(
                    "length is not a whole number of base58 blocks",
                ))?;
        let mut num: u128 = 0;
        for &c in chunk {
            let digit = B58
                .iter()
                .position(|&a| a == c)
                .ok_or(CryptoError::Monero("not base58"))?;
            num = num * 58 + digit as u128;
        }
        if decoded_len < 8 && num >> (8 * decoded_len) != 0 || num > u128::from(u64::MAX) {
            return Err(CryptoError::Monero("base58 block overflows"));
        }
        let be = num.to_be_bytes();
        out.extend_from_slice(be.get(16 - decoded_len..).unwrap_or(&[]));
    }
    Ok(out)
}

/// Validates a Monero address; returns it as written and flags (testnet/stagenet).
pub fn parse_monero(s: &str) -> Result<(String, Flags), CryptoError> {
    let s = s.trim();
    if s.len() != 95 && s.len() != 106 {
        return Err(CryptoError::Monero(
            "a Monero address has 95 (standard) or 106 (integrated) characters",
        ));
    }
    let data = monero_base58_decode(s)?;
    let split = data
        .len()
        .checked_sub(4)
        .ok_or(CryptoError::Monero("too short"))?;
    let (body, checksum) = data.split_at(split);
    let hash = Keccak256::digest(body);
    if hash.get(..4) != Some(checksum) {
        return Err(CryptoError::Monero("checksum mismatch"));
    }
    let (integrated, testnet) = match body.first() {
        Some(18 | 42) => (false, false),
        Some(19) => (true, false),
        Some(53 | 63 | 24 | 36) => (false, true),
        Some(54 | 25) => (true, true),
        _ => return Err(CryptoError::Monero("unknown network byte")),
    };
    let want = if integrated { 1 + 64 + 8 } else { 1 + 64 };
    if body.len() != want {
        return Err(CryptoError::Monero(
            "address length does not match its type",
        ));
    }
    let flags = if testnet {
        Flag::Testnet.into()
    } else {
        Flags::empty()
    };
    Ok((s.to_owned(), flags))
}

/// Double SHA-256, the base58check checksum function; used by tests to build addresses.
pub fn sha256d(data: &[u8]) -> [u8; 32] {
    let first = Sha256::digest(data);
    Sha256::digest(first).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitcoin_base58check() {
        // The genesis block coinbase address.
        assert_eq!(
            parse_bitcoin("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
                .unwrap()
                .0,
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
        );
        assert!(parse_bitcoin("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").is_ok());
        assert!(
            parse_bitcoin("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn")
                .unwrap()
                .1
                .contains(Flag::Testnet)
        );
        // One character changed: the checksum fails.
        assert!(parse_bitcoin("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb").is_err());
        assert!(
            parse_bitcoin("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0").is_err(),
            "0 is not base58"
        );
    }

    #[test]
    fn bitcoin_bech32_and_bech32m() {
        // BIP-173 and BIP-350 test vectors.
        let v0 = "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4";
        assert_eq!(parse_bitcoin(v0).unwrap().0, v0.to_lowercase());
        assert!(
            parse_bitcoin("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0").is_ok()
        );
        assert!(
            parse_bitcoin("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7")
                .unwrap()
                .1
                .contains(Flag::Testnet)
        );
        // Corrupted checksum.
        assert!(parse_bitcoin("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5").is_err());
        // A v1 program with a bech32 (not bech32m) checksum is invalid (BIP-350).
        assert!(
            parse_bitcoin(
                "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx"
            )
            .is_err()
        );
    }

    #[test]
    fn ethereum_eip55() {
        // EIP-55 test vectors.
        for a in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert_eq!(parse_ethereum(a).unwrap(), a.to_lowercase());
            assert_eq!(eip55(&a[2..]), a);
        }
        assert!(
            parse_ethereum("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").is_ok(),
            "all lower: no checksum"
        );
        assert!(matches!(
            parse_ethereum("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            Err(CryptoError::Eip55(_))
        ));
        assert!(parse_ethereum("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea").is_err());
    }

    #[test]
    fn monero() {
        // The Monero project's donation address (standard, mainnet).
        let a = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";
        assert_eq!(parse_monero(a).unwrap().0, a);
        let mut corrupted = a.to_owned();
        corrupted.replace_range(10..11, "j");
        assert!(parse_monero(&corrupted).is_err());
        assert!(parse_monero(&a[..94]).is_err());
    }
}
