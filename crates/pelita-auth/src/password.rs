//! People's passwords and session secrets, for the web interface.
//!
//! A password is hashed exactly like a token's secret (argon2id, OWASP
//! parameters, a fresh salt, a PHC string), so the store holds one kind of
//! hash. Unlike a token secret, a password is chosen by a person and may be
//! weak: that is what the slow hash is for. A session secret is 32 random
//! bytes in base64url, like a token's secret part; the store keeps only its
//! SHA-256 (a 256-bit random value needs no slow hash).

use argon2::Params;

use crate::AuthError;
use crate::token::{ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST, SECRET_BYTES};

/// Shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted, in bytes (argon2 takes any length; this
/// bounds the work an attacker can ask for).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// Why a password is refused before it is hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`PASSWORD_MIN_CHARS`] characters.
    #[error("a password has at least {PASSWORD_MIN_CHARS} characters")]
    TooShort,
    /// More than [`PASSWORD_MAX_BYTES`] bytes.
    #[error("a password has at most {PASSWORD_MAX_BYTES} bytes")]
    TooLong,
    /// Hashing failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// The argon2id PHC string of `password` (OWASP parameters, fresh salt),
/// after the length checks.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    Ok(crate::token::hash_with(password, params)?)
}

/// Whether `password` matches the stored argon2id PHC string `hash`
/// (argon2's comparison is constant-time; the parameters come from the
/// hash). False on anything malformed or over-long.
pub fn verify_password(password: &str, hash: &str) -> bool {
    !password.is_empty()
        && password.len() <= PASSWORD_MAX_BYTES
        && crate::token::verify_argon2id(password.as_bytes(), hash)
}

/// A new random secret: 32 bytes from the OS in unpadded base64url (43
/// characters), for session ids and CSRF secrets.
pub fn random_secret() -> Result<String, AuthError> {
    let mut bytes = [0u8; SECRET_BYTES];
    crate::token::fill(&mut bytes)?;
    Ok(crate::token::base64url(&bytes))
}

/// Whether `s` has the shape of a [`random_secret`] (checked before any
/// store look-up, so garbage costs nothing).
pub fn is_random_secret(s: &str) -> bool {
    crate::token::is_secret(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn short_passwords_are_refused_and_random_secrets_have_one_shape() {
        assert_eq!(hash_password("short"), Err(PasswordError::TooShort));
        let s = random_secret().unwrap();
        assert!(is_random_secret(&s));
        assert_ne!(s, random_secret().unwrap());
        assert!(!is_random_secret("not a secret"));
    }

    #[test]
    fn a_cheap_hash_verifies_only_its_password() {
        let hash =
            crate::token::hash_with("correct horse battery", Params::new(8, 1, 1, None).unwrap())
                .unwrap();
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("", &hash));
        assert!(!verify_password("x", "not a hash"));
    }
}
