//! What a stored token grants, and the check made on every use.

use pelita_model::Tlp;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Role, Scope};

/// What one token grants, as the store keeps it next to the token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrant {
    /// The organisation the token acts for (the sharing policy's reader).
    pub org: String,
    /// The organisation's role, which bounds the token's scopes.
    pub role: Role,
    /// The scopes the token was issued with.
    pub scopes: Vec<Scope>,
    /// A ceiling on the markings this token reads (`None`: no ceiling beyond
    /// the sharing policy). Applied by the store on top of the policy; it
    /// only ever narrows what the organisation may see.
    pub max_tlp: Option<Tlp>,
    /// When the token stops working (`None`: never). The instant itself is
    /// already expired.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Whether the token was revoked.
    pub revoked: bool,
}

/// Why a token may not do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The token was revoked.
    #[error("this token was revoked; ask an administrator of your organisation for a new token")]
    Revoked,
    /// The token's expiry has passed.
    #[error("this token has expired; ask an administrator of your organisation for a new token")]
    Expired,
    /// The token was not issued with the scope.
    #[error(
        "this token does not have the `{0}` scope; ask an administrator of your organisation \
         for a token with the `{0}` scope"
    )]
    ScopeNotGranted(Scope),
    /// The organisation's role never allows the scope, whatever the token lists.
    #[error(
        "the `{0}` role does not allow the `{1}` scope, whatever the token lists; \
         only an administrator of this instance can change your organisation's role"
    )]
    RoleForbids(Role, Scope),
}

impl TokenGrant {
    /// Whether the token may use `scope` at `now`. Checked in this order, so
    /// the first reason given is the one to act on: revoked, expired
    /// (`expires_at <= now`), the role forbids the scope (a new token would
    /// not help), the token does not list the scope.
    pub fn permits(&self, scope: Scope, now: OffsetDateTime) -> Result<(), Denied> {
        if self.revoked {
            return Err(Denied::Revoked);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(Denied::Expired);
        }
        if !self.role.allows(scope) {
            return Err(Denied::RoleForbids(self.role, scope));
        }
        if !self.scopes.contains(&scope) {
            return Err(Denied::ScopeNotGranted(scope));
        }
        Ok(())
    }
}
