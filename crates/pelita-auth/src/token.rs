//! API tokens: generation, strict parsing, argon2id hashing and verification.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::AuthError;

/// What every token starts with (lets secret scanners recognise a leaked token).
pub const TOKEN_PREFIX: &str = "pelita_";
/// Length of a [`TokenId`]: 16 lowercase hex characters (8 random bytes).
pub const TOKEN_ID_LEN: usize = 16;
/// Random bytes in a token's secret part.
pub const SECRET_BYTES: usize = 32;
/// Length of the secret part: 32 bytes in base64url without padding.
pub const SECRET_LEN: usize = 43;
/// Length of a whole token: `pelita_` + id + `_` + secret.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + TOKEN_ID_LEN + 1 + SECRET_LEN;

/// Argon2id memory cost, in KiB (19 MiB: the OWASP-recommended minimum).
pub const ARGON2_M_COST_KIB: u32 = 19 * 1024;
/// Argon2id time cost (iterations): the OWASP-recommended minimum.
pub const ARGON2_T_COST: u32 = 2;
/// Argon2id parallelism: the OWASP-recommended minimum.
pub const ARGON2_P_COST: u32 = 1;
/// Random salt bytes in each hash.
const SALT_BYTES: usize = 16;

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A token's public identifier: 16 lowercase hex characters. Not a secret;
/// the store keys the token's hash by it, so a presented token is checked
/// against exactly one hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TokenId(String);

impl TokenId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_valid(s: &str) -> bool {
        s.len() == TOKEN_ID_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TokenId {
    type Err = AuthError;

    /// Exactly 16 lowercase hex characters; nothing is trimmed or folded.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if TokenId::is_valid(s) {
            Ok(TokenId(s.to_owned()))
        } else {
            Err(AuthError::MalformedToken(
                "the token id must be 16 lowercase hex characters",
            ))
        }
    }
}

impl TryFrom<String> for TokenId {
    type Error = AuthError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if TokenId::is_valid(&s) {
            Ok(TokenId(s))
        } else {
            s.parse()
        }
    }
}

impl From<TokenId> for String {
    fn from(id: TokenId) -> Self {
        id.0
    }
}

/// A freshly generated token. Show [`NewToken::secret`] to its holder once;
/// store only [`NewToken::id`] and [`NewToken::hash`].
///
/// `Debug` leaves the secret out, so a logged `NewToken` leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The public id, to store the hash under.
    pub id: TokenId,
    /// The whole token, `pelita_<id>_<secret>`, to show once and never store.
    pub secret: String,
    /// The argon2id PHC string of the secret part, to store.
    pub hash: String,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("hash", &self.hash)
            .finish()
    }
}

/// Generates a token from OS randomness: a new id, a 32-byte secret, and
/// the argon2id hash of the secret part (fresh salt). Fails only if the OS
/// has no randomness to give or hashing fails.
pub fn generate_token() -> Result<NewToken, AuthError> {
    let mut id_bytes = [0u8; TOKEN_ID_LEN / 2];
    fill(&mut id_bytes)?;
    let mut secret_bytes = [0u8; SECRET_BYTES];
    fill(&mut secret_bytes)?;

    let id = TokenId(pelita_model::hash::to_hex(&id_bytes));
    let secret_part = base64url(&secret_bytes);
    let hash = hash_secret(&secret_part)?;
    let secret = format!("{TOKEN_PREFIX}{id}_{secret_part}");
    Ok(NewToken { id, secret, hash })
}

/// Splits a presented token into its id and secret part, checking the exact
/// format: `pelita_`, 16 lowercase hex characters, `_`, 43 base64url
/// characters without padding that decode to exactly 32 bytes. Anything
/// else, including surrounding whitespace, is [`AuthError::MalformedToken`].
///
/// The length is checked first, so very long input costs nothing.
pub fn parse_token(presented: &str) -> Result<(TokenId, &str), AuthError> {
    if presented.len() != TOKEN_LEN {
        return Err(AuthError::MalformedToken(
            "a token is exactly 67 characters: pelita_<16 hex>_<43 base64url>",
        ));
    }
    let rest = presented
        .strip_prefix(TOKEN_PREFIX)
        .ok_or(AuthError::MalformedToken("a token starts with `pelita_`"))?;
    // All-ASCII from here on, so the byte offsets below are char boundaries
    // (`get` would refuse them otherwise, never panic).
    if !rest.is_ascii() {
        return Err(AuthError::MalformedToken(
            "a token contains only ASCII characters",
        ));
    }
    let id = rest.get(..TOKEN_ID_LEN).unwrap_or_default();
    let sep = rest.get(TOKEN_ID_LEN..=TOKEN_ID_LEN).unwrap_or_default();
    let secret = rest.get(TOKEN_ID_LEN + 1..).unwrap_or_default();
    if !TokenId::is_valid(id) {
        return Err(AuthError::MalformedToken(
            "the token id must be 16 lowercase hex characters",
        ));
    }
    if sep != "_" {
        return Err(AuthError::MalformedToken("the token id is followed by `_`"));
    }
    if !is_secret(secret) {
        return Err(AuthError::MalformedToken(
            "the token secret must be 43 base64url characters (32 bytes, no padding)",
        ));
    }
    Ok((TokenId(id.to_owned()), secret))
}

/// Whether `secret` (the secret part from [`parse_token`]) matches `hash`
/// (the stored PHC string). The argon2 comparison is constant-time.
///
/// False on anything malformed: a secret that is not 43 base64url characters
/// (rejected before hashing, so garbage costs no argon2 work), a hash that is
/// not a PHC string, or a hash that is not argon2id.
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    is_secret(secret) && verify_argon2id(secret.as_bytes(), hash)
}

/// Whether `bytes` match `hash`, an argon2id PHC string (anything else,
/// malformed or another algorithm, is false). The parameters come from the
/// PHC string itself; argon2's comparison is constant-time.
pub(crate) fn verify_argon2id(bytes: &[u8], hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    Argon2::default().verify_password(bytes, &parsed).is_ok()
}

/// The argon2id PHC string of `secret`, with the crate's parameters and a
/// fresh 16-byte salt from the OS.
fn hash_secret(secret: &str) -> Result<String, AuthError> {
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    hash_with(secret, params)
}

/// [`hash_secret`] with explicit parameters (cheap ones in unit tests).
pub(crate) fn hash_with(secret: &str, params: Params) -> Result<String, AuthError> {
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut salt_bytes = [0u8; SALT_BYTES];
    fill(&mut salt_bytes)?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| AuthError::Hash(e.to_string()))?;
    argon2
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Fills `buf` from the OS (`getrandom`), reporting failure instead of panicking.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), AuthError> {
    OsRng
        .try_fill_bytes(buf)
        .map_err(|e| AuthError::Random(e.to_string()))
}

/// Whether `s` is the canonical unpadded base64url form of 32 bytes: 43
/// alphabet characters, the last carrying 4 data bits and 2 zero bits (so
/// every secret has exactly one spelling).
pub(crate) fn is_secret(s: &str) -> bool {
    let b = s.as_bytes();
    let Some((&last, body)) = b.split_last() else {
        return false;
    };
    b.len() == SECRET_LEN
        && body.iter().all(|&c| b64_value(c).is_some())
        && b64_value(last).is_some_and(|v| v & 0b11 == 0)
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Unpadded base64url (RFC 4648 §5).
pub(crate) fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let mut push = |v: u32| {
        if let Some(&c) = B64URL.get((v & 0x3f) as usize) {
            out.push(char::from(c));
        }
    };
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            push(n >> (18 - 6 * i));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 §10, with the padding removed.
        for (input, want) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), want);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url(&[0u8; 32]).len(), SECRET_LEN);
        assert!(is_secret(&base64url(&[0xff; 32])));
    }

    #[test]
    fn every_changed_position_fails() {
        // The smallest argon2id parameters: the same code path as the real
        // ones, microseconds per hash, so every position can be tried.
        let cheap = Params::new(8, 1, 1, None).unwrap();
        let secret = base64url(&[0x5a; SECRET_BYTES]);
        let hash = hash_with(&secret, cheap).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert!(verify_secret(&secret, &hash));
        for i in 0..SECRET_LEN {
            let mut bytes = secret.clone().into_bytes();
            let v = b64_value(bytes[i]).unwrap();
            // The last character carries 2 zero bits: step by 4 to stay canonical.
            let step = if i == SECRET_LEN - 1 { 4 } else { 1 };
            bytes[i] = B64URL[usize::from((v + step) % 64)];
            let changed = String::from_utf8(bytes).unwrap();
            assert!(is_secret(&changed));
            assert!(!verify_secret(&changed, &hash), "position {i}");
        }
    }
}
