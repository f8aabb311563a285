//! From a bearer token to a [`Caller`], or a 401/403.

use axum::http::HeaderMap;
use pelita_auth::{Scope, TokenGrant};
use pelita_store::{OrgId, Store as _};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::ApiError;

/// A request's verified identity: only [`authenticate`] makes one.
#[derive(Debug, Clone)]
pub struct Caller {
    pub(crate) token_id: String,
    pub(crate) org_id: OrgId,
    pub(crate) grant: TokenGrant,
}

impl Caller {
    /// The token's public id.
    pub fn token_id(&self) -> &str {
        &self.token_id
    }

    /// The organisation's identity in the store.
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// What the token may do.
    pub fn grant(&self) -> &TokenGrant {
        &self.grant
    }
}

/// Equal in time independent of where the inputs differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks the `Authorization` header and that the token may use `scope` now.
pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<Caller, ApiError> {
    let unauth = |m: &str| ApiError::Unauthenticated(m.to_owned());
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| unauth("a token is required: send `Authorization: Bearer pelita_…`"))?
        .to_str()
        .map_err(|_| unauth("the Authorization header is not text"))?;
    let presented = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| unauth("use `Authorization: Bearer <token>`"))?
        .trim();
    let (id, secret) = pelita_auth::parse_token(presented)
        .map_err(|_| unauth("the token is not a Pelita token"))?;
    // The token and its organisation's identity, under one lock.
    let (row, org_id) = {
        let store = state
            .store
            .lock()
            .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
        let row = store
            .token(id.as_str())?
            .ok_or_else(|| unauth("unknown token"))?;
        let org_id = store.org_id(&row.grant.org)?;
        (row, org_id)
    };
    let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    let cached = state
        .verified
        .lock()
        .ok()
        .and_then(|m| m.get(id.as_str()).copied())
        .is_some_and(|d| same(&d, &digest));
    if !cached {
        if !pelita_auth::verify_secret(secret, &row.hash) {
            return Err(unauth("unknown token"));
        }
        if let Ok(mut m) = state.verified.lock() {
            m.insert(id.as_str().to_owned(), digest);
        }
    }
    row.grant
        .permits(scope, OffsetDateTime::now_utc())
        .map_err(|d| match d {
            pelita_auth::Denied::Revoked | pelita_auth::Denied::Expired => {
                ApiError::Unauthenticated(d.to_string())
            }
            other => ApiError::Forbidden(other.to_string()),
        })?;
    spend(state, &row.id)?;
    let org_id = org_id.ok_or_else(|| unauth("the token's organisation no longer exists"))?;
    Ok(Caller {
        token_id: row.id,
        org_id,
        grant: row.grant,
    })
}

/// Takes one request from the token's budget (a token bucket: refilled at
/// `requests_per_second`, holding at most twice that).
fn spend(state: &AppState, token: &str) -> Result<(), ApiError> {
    let rate = state.config.requests_per_second.max(0.001);
    let cap = rate * 2.0;
    let now = std::time::Instant::now();
    let mut budgets = state
        .budgets
        .lock()
        .map_err(|_| ApiError::Internal("budget lock poisoned".into()))?;
    let (left, last) = budgets.entry(token.to_owned()).or_insert((cap, now));
    *left = (*left + now.duration_since(*last).as_secs_f64() * rate).min(cap);
    *last = now;
    if *left < 1.0 {
        return Err(ApiError::RateLimited(format!(
            "this token may make {rate} requests per second; retry shortly"
        )));
    }
    *left -= 1.0;
    Ok(())
}
