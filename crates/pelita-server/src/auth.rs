//! From a bearer token to a [`Caller`], or a 401/403.

use axum::http::HeaderMap;
use pelita_auth::{Scope, TokenGrant};
use pelita_store::{OrgId, Store as _};
use std::sync::atomic::Ordering;

use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::ApiError;

/// A request's verified identity: only [`authenticate`] makes one.
#[derive(Debug, Clone)]
pub struct Caller {
    pub(crate) token_id: String,
    /// `None`: the anonymous reader (TLP:CLEAR only).
    pub(crate) org_id: Option<OrgId>,
    pub(crate) grant: TokenGrant,
    /// Set only by [`break_glass`], after the reason is in the audit log.
    pub(crate) broke_glass: bool,
}

impl Caller {
    /// The token's public id.
    pub fn token_id(&self) -> &str {
        &self.token_id
    }

    /// The organisation's identity in the store (`None`: anonymous).
    pub fn org_id(&self) -> Option<OrgId> {
        self.org_id
    }

    /// Whether the caller's organisation is a member of `op` (never the
    /// anonymous reader): the one membership rule for reading an
    /// operation and for filing under it.
    pub fn is_member_of(&self, op: &pelita_store::Operation) -> bool {
        self.org_id.is_some() && op.spec.organisations.contains(&self.grant.org)
    }

    /// Whether this request reads past the sharing policy (break glass).
    pub fn broke_glass(&self) -> bool {
        self.broke_glass
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

/// Authenticates the request if that is cheap, `None` if it is not:
/// without a token, or with a token whose secret this process verified
/// against its argon2id hash before ([`AppState::verified`]), checking
/// costs a cached grant and a SHA-256, not a slow hash. Look-ups use this
/// to answer on the async worker itself.
pub fn authenticate_if_cheap(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
) -> Option<Result<Caller, ApiError>> {
    match presented(headers) {
        Ok(Some(token)) if !verified_before(state, token.id.as_str(), &token.digest) => None,
        Ok(token) => Some(check(state, token, &[scope])),
        Err(e) => Some(Err(e)),
    }
}

/// Whether this process already verified the secret whose SHA-256 is
/// `digest` against token `id`'s argon2id hash ([`AppState::verified`]).
fn verified_before(state: &AppState, id: &str, digest: &[u8; 32]) -> bool {
    state
        .verified
        .lock()
        .ok()
        .and_then(|m| m.get(id).copied())
        .is_some_and(|d| same(&d, digest))
}

/// Checks the `Authorization` header and that the token may use `scope` now.
pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<Caller, ApiError> {
    authenticate_any(state, headers, &[scope])
}

/// Checks the `Authorization` header and that the token may use at least
/// one of `scopes` now.
pub fn authenticate_any(
    state: &AppState,
    headers: &HeaderMap,
    scopes: &[Scope],
) -> Result<Caller, ApiError> {
    check(state, presented(headers)?, scopes)
}

/// A bearer token as the request presents it, well-formed.
struct Presented<'h> {
    id: pelita_auth::TokenId,
    secret: &'h str,
    /// SHA-256 of the secret (what [`AppState::verified`] remembers).
    digest: [u8; 32],
}

fn unauth(message: &str) -> ApiError {
    ApiError::Unauthenticated(message.to_owned())
}

/// The request's bearer token (`None`: no `Authorization` header).
fn presented(headers: &HeaderMap) -> Result<Option<Presented<'_>>, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| unauth("the Authorization header is not text"))?;
    let presented = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| unauth("use `Authorization: Bearer <token>`"))?
        .trim();
    let (id, secret) = pelita_auth::parse_token(presented)
        .map_err(|_| unauth("the token is not a Pelita token"))?;
    Ok(Some(Presented {
        id,
        secret,
        digest: Sha256::digest(secret.as_bytes()).into(),
    }))
}

/// The caller behind `token` (anonymous without one, if allowed), if its
/// token may use at least one of `scopes` now.
fn check(
    state: &AppState,
    token: Option<Presented<'_>>,
    scopes: &[Scope],
) -> Result<Caller, ApiError> {
    let Some(Presented { id, secret, digest }) = token else {
        if state.config.anonymous_read && scopes.contains(&Scope::Read) {
            spend(state, ANONYMOUS)?;
            return Ok(anonymous());
        }
        return Err(unauth(
            "a token is required: send `Authorization: Bearer pelita_…`",
        ));
    };
    // The token and its organisation's identity: cached for a moment.
    let generation = state.grant_generation.load(Ordering::SeqCst);
    let fresh = state.grants.lock().ok().and_then(|m| {
        m.get(id.as_str())
            .filter(|(_, _, at, g)| *g == generation && at.elapsed() < crate::GRANT_TTL)
            .map(|(row, org, _, _)| (row.clone(), *org))
    });
    let (row, org_id) = match fresh {
        Some(found) => found,
        None => {
            let store = &state.reader;
            let row = store
                .token(id.as_str())?
                .ok_or_else(|| unauth("unknown token"))?;
            let org_id = store.org_id(&row.grant.org)?;
            if let Ok(mut m) = state.grants.lock() {
                m.insert(
                    id.as_str().to_owned(),
                    (row.clone(), org_id, std::time::Instant::now(), generation),
                );
            }
            (row, org_id)
        }
    };
    if !verified_before(state, id.as_str(), &digest) {
        if !pelita_auth::verify_secret(secret, &row.hash) {
            return Err(unauth("unknown token"));
        }
        if let Ok(mut m) = state.verified.lock() {
            m.insert(id.as_str().to_owned(), digest);
        }
    }
    let now = OffsetDateTime::now_utc();
    let mut verdict = Err(pelita_auth::Denied::Revoked);
    for scope in scopes {
        verdict = row.grant.permits(*scope, now);
        if verdict.is_ok() {
            break;
        }
    }
    verdict.map_err(|d| match d {
        pelita_auth::Denied::Revoked | pelita_auth::Denied::Expired => {
            ApiError::Unauthenticated(d.to_string())
        }
        other => ApiError::Forbidden(other.to_string()),
    })?;
    spend(state, &row.id)?;
    let org_id = org_id.ok_or_else(|| unauth("the token's organisation no longer exists"))?;
    Ok(Caller {
        token_id: row.id,
        org_id: Some(org_id),
        grant: row.grant,
        broke_glass: false,
    })
}

/// The budget and audit name of the anonymous reader.
const ANONYMOUS: &str = "anonymous";

/// The anonymous reader: TLP:CLEAR only, read scope only.
fn anonymous() -> Caller {
    Caller {
        token_id: "-".into(),
        org_id: None,
        grant: TokenGrant {
            org: ANONYMOUS.into(),
            role: pelita_auth::Role::ReadOnly,
            scopes: vec![Scope::Read],
            max_tlp: Some(pelita_model::Tlp::Clear),
            expires_at: None,
            revoked: false,
        },
        broke_glass: false,
    }
}

/// The header a break-glass request states its reason in.
pub const BREAK_GLASS_HEADER: &str = "pelita-break-glass";

/// If the request asks to break the glass: checks that the token holds
/// the `break-glass` scope, commits the reason to the audit log, and only
/// then marks the caller as reading past the sharing policy.
pub fn break_glass(
    state: &AppState,
    headers: &HeaderMap,
    mut caller: Caller,
) -> Result<Caller, ApiError> {
    let Some(reason) = headers.get(BREAK_GLASS_HEADER) else {
        return Ok(caller);
    };
    let reason = reason
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.len() <= 500)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{BREAK_GLASS_HEADER}: state the reason in 1 to 500 characters of text"
            ))
        })?;
    caller
        .grant
        .permits(Scope::BreakGlass, OffsetDateTime::now_utc())
        .map_err(|d| ApiError::Forbidden(d.to_string()))?;
    let mut store = state
        .writer
        .lock()
        .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
    store.audit_append(&pelita_store::AuditEntry {
        at: OffsetDateTime::now_utc(),
        org: caller.grant.org.clone(),
        token: caller.token_id.clone(),
        action: "break-glass".into(),
        detail: format!("reason={reason}"),
        result_size: 0,
    })?;
    caller.broke_glass = true;
    Ok(caller)
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

/// The web interface's session cookie.
pub const SESSION_COOKIE: &str = "pelita_session";
/// A session ends after this long without a request.
pub const SESSION_IDLE: time::Duration = time::Duration::hours(8);
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_ABSOLUTE: time::Duration = time::Duration::hours(24);
/// Requests within this interval of the last recorded one do not write
/// `last_seen` again (one write per minute per session at most).
const TOUCH_EVERY: time::Duration = time::Duration::seconds(60);

/// A signed-in person's verified session: only [`authenticate_session`]
/// makes one.
#[derive(Debug, Clone)]
pub struct Session {
    /// The caller: the person's organisation, under its role.
    pub caller: Caller,
    /// The person's sign-in name.
    pub user: String,
    /// The session's CSRF secret (every form sends it back).
    pub csrf: String,
    /// The SHA-256 (hex) of the session id, as the store keys it.
    pub id_hash: String,
}

/// The SHA-256 (lowercase hex) of a session id: what the store keeps.
pub fn session_id_hash(id: &str) -> String {
    pelita_model::hash::to_hex(&Sha256::digest(id.as_bytes()))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(n, v)| (n == name).then_some(v))
}

/// The person's session from the `pelita_session` cookie, checked: the id
/// has the shape of a random secret, its hash is stored, neither the idle
/// ([`SESSION_IDLE`]) nor the absolute ([`SESSION_ABSOLUTE`]) expiry has
/// passed (an expired session is deleted), the account is not disabled and
/// its organisation exists. `Ok(None)`: not signed in.
///
/// The [`Caller`] it holds is the organisation's, as one of its tokens
/// would be: the organisation's current role, that role's default scopes
/// (never `break-glass`), no marking ceiling beyond the sharing policy, and
/// `session:<name>` in the audit log where a token id would be.
pub fn authenticate_session(
    state: &AppState,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<Option<Session>, ApiError> {
    let Some(id) = cookie(headers, SESSION_COOKIE).filter(|id| pelita_auth::is_random_secret(id))
    else {
        return Ok(None);
    };
    let id_hash = session_id_hash(id);
    let Some(session) = state.reader.session(&id_hash)? else {
        return Ok(None);
    };
    let lock = || {
        state
            .writer
            .lock()
            .map_err(|_| ApiError::Internal("store lock poisoned".into()))
    };
    if session.expires_at <= now || session.last_seen + SESSION_IDLE <= now {
        lock()?.delete_session(&id_hash)?;
        return Ok(None);
    }
    let Some(user) = state.reader.user(&session.user)?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    let Some(org) = state
        .reader
        .organisations()?
        .into_iter()
        .find(|o| o.name == user.org)
    else {
        return Ok(None);
    };
    let token_id = format!("session:{}", user.name);
    spend(state, &token_id)?;
    if session.last_seen + TOUCH_EVERY <= now {
        lock()?.touch_session(&id_hash, now)?;
    }
    Ok(Some(Session {
        caller: Caller {
            token_id,
            org_id: Some(org.id),
            grant: TokenGrant {
                org: org.name,
                role: org.role,
                scopes: org.role.default_scopes(),
                max_tlp: None,
                expires_at: Some(session.expires_at),
                revoked: false,
            },
            broke_glass: false,
        },
        user: user.name,
        csrf: session.csrf,
        id_hash,
    }))
}

/// Takes one sign-in attempt for `name` from its budget (the same token
/// bucket as a token's requests), so that guessing passwords is slow.
pub fn spend_sign_in(state: &AppState, name: &str) -> Result<(), ApiError> {
    spend(state, &format!("sign-in:{name}"))
}

/// Whether two secrets are equal, in time independent of where they
/// differ (their SHA-256 digests are compared).
pub fn same_secret(a: &str, b: &str) -> bool {
    let da: [u8; 32] = Sha256::digest(a.as_bytes()).into();
    let db: [u8; 32] = Sha256::digest(b.as_bytes()).into();
    same(&da, &db)
}
