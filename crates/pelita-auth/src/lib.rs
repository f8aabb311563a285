//! Who may do what through Pelita's API: organisation roles, API tokens and
//! their scopes, for `pelita serve`.
//!
//! Pure logic: no I/O, no clock, no database. The store persists token ids,
//! hashes and [`TokenGrant`]s; the server passes the current time in. What a
//! reader may *see* is the sharing policy's business
//! (`docs/specs/sharing-policy.md`); this crate decides only whether a token
//! may make a request at all.
//!
//! # Tokens
//!
//! A token is 67 ASCII characters:
//!
//! ```text
//! pelita_<id>_<secret>
//! pelita_3f9c0a1b2d4e5f60_q8Vd2Yk0c1uYQ6n0ZB3l5m2oVqf0m7wqOqg0l8sJ0kA
//! ```
//!
//! - `pelita_` lets secret scanners and people recognise a leaked token.
//! - `<id>`, a [`TokenId`], is 16 lowercase hex characters (8 random bytes).
//!   It is **not** secret.
//! - `<secret>` is 32 random bytes (256 bits, from the OS via `getrandom`) in
//!   base64url without padding: 43 characters of `A–Z a–z 0–9 - _`, in its
//!   one canonical spelling. It may itself contain `_`; [`parse_token`]
//!   splits by position, not by separator.
//!
//! [`parse_token`] accepts exactly this and nothing else (no whitespace, no
//! case folding), checks the length before anything else and never panics.
//!
//! ## Why the id is separate from the secret
//!
//! Hashes are salted, so a secret cannot be looked up by its hash: without an
//! id the server would have to run argon2 against every stored hash for every
//! request. The id finds the one stored hash to check, so a request costs one
//! argon2 verification however many tokens exist, and an unknown id costs
//! none. The id can be logged and shown in listings ("token 3f9c… last used")
//! without revealing anything that grants access.
//!
//! ## Storage
//!
//! [`generate_token`] returns a [`NewToken`]: the whole token is shown to its
//! holder **once**; only the id and the PHC hash of the secret part are
//! stored. A database leak therefore gives no usable tokens; a lost token is
//! revoked and replaced, never recovered. [`verify_secret`] checks a
//! presented secret against the stored hash (argon2's comparison is
//! constant-time).
//!
//! The hash is an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`)
//! with a fresh 16-byte salt, using the OWASP-recommended minimum parameters
//! for argon2id: 19 MiB of memory ([`ARGON2_M_COST_KIB`] = 19456 KiB), 2
//! iterations ([`ARGON2_T_COST`]), parallelism 1 ([`ARGON2_P_COST`]). A
//! 256-bit random secret does not need a slow hash to resist guessing; the
//! cost is there so that the store holds one kind of hash, one that stays
//! sound if a weaker secret ever reaches it. Verification reads the
//! parameters from the PHC string, so they can be raised later without
//! invalidating stored hashes.
//!
//! # People
//!
//! People sign in to the web interface with a password, hashed like a
//! token's secret ([`hash_password`], [`verify_password`]); their session is
//! a [`random_secret`] of which the store keeps only a digest.
//!
//! # Roles and scopes
//!
//! Every organisation has a [`Role`]; every token lists [`Scope`]s. A use of
//! a token needs the scope to be listed on the token **and** allowed by the
//! organisation's role ([`TokenGrant::permits`], which also refuses revoked
//! and expired tokens). The role→scope table ([`Role::allows`]):
//!
//! | role | read | submit | report | admin | audit | break-glass |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | `administrator` | yes | yes | yes | yes | yes | yes |
//! | `analyst` | yes | yes | yes | — | — | — |
//! | `submitting-partner` | yes | yes | — | — | — | — |
//! | `read-only` | yes | — | yes | — | — | — |
//!
//! `audit` and `break-glass` belong to administrators only. Roles do not widen what a reader
//! sees: an administrator reads exactly what any member of its organisation
//! reads under the sharing policy, and a token's [`TokenGrant::max_tlp`]
//! only narrows it further. The one exception is `break-glass`: a token
//! issued with it *by name* ([`Role::default_scopes`] leaves it out) may
//! read a request past the policy when the request says why; the server
//! records the reason in the audit log before it answers.
//!
//! Names are kebab-case both ways ([`std::fmt::Display`], [`std::str::FromStr`],
//! serde); reading ignores ASCII case and surrounding whitespace, and an
//! unknown name is an error listing the valid ones.

mod grant;
mod password;
mod role;
mod token;

pub use grant::{Denied, TokenGrant};
pub use password::{
    PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, PasswordError, hash_password, is_random_secret,
    random_secret, verify_password,
};
pub use role::{ParseRoleError, ParseScopeError, Role, Scope};
pub use token::{
    ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST, NewToken, SECRET_BYTES, SECRET_LEN,
    TOKEN_ID_LEN, TOKEN_LEN, TOKEN_PREFIX, TokenId, generate_token, parse_token, verify_secret,
};

/// Why a token could not be generated or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The presented text is not a Pelita token; the message says which part
    /// is wrong (never echoing the token).
    #[error("malformed token: {0}")]
    MalformedToken(&'static str),
    /// The operating system gave no randomness.
    #[error("could not read randomness from the operating system: {0}")]
    Random(String),
    /// Hashing the secret failed.
    #[error("could not hash the token secret: {0}")]
    Hash(String),
}
