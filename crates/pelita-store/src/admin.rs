//! Organisation and token administration, in one place for every front
//! end (`pelita org`/`pelita token`, the server's admin routes, the first
//! start's bootstrap): the same name rules, the same role → scope check,
//! and an audit entry for every change, committed with it.

use pelita_auth::{NewToken, Role, Scope, TokenGrant, generate_token};
use pelita_model::Tlp;
use time::OffsetDateTime;

use crate::{AuditEntry, Store, StoreError, TokenRow, UserRow};

/// Why an administrative change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// An organisation name outside the allowed alphabet or length.
    #[error("organisation names are 1 to 64 letters, digits, `-`, `_` or `.`: {0:?}")]
    BadName(String),
    /// The organisation does not exist.
    #[error("no organisation {0:?}")]
    NoOrganisation(String),
    /// A scope the organisation's role does not allow.
    #[error("the role {role} of {org} does not allow the scope {scope} (it allows: {allowed})")]
    ScopeNotAllowed {
        /// The organisation.
        org: String,
        /// Its role.
        role: Role,
        /// The scope asked for.
        scope: Scope,
        /// What the role allows, comma-separated.
        allowed: String,
    },
    /// An expiry in the past.
    #[error("the expiry {0} is in the past")]
    ExpiryPast(OffsetDateTime),
    /// An account name that is taken.
    #[error("there is already an account named {0:?}")]
    UserExists(String),
    /// The account does not exist.
    #[error("no account {0:?}")]
    NoUser(String),
    /// Making the secret failed.
    #[error("cannot make a token: {0}")]
    Token(String),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The organisation (`operator` for the console).
    pub org: String,
    /// The token id (empty for the console).
    pub token: String,
}

/// What a new token may do.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// The organisation it acts for.
    pub org: String,
    /// What it is for.
    pub name: String,
    /// Its scopes (empty: the role's [`Role::default_scopes`]).
    pub scopes: Vec<Scope>,
    /// The most restrictive marking it may read.
    pub max_tlp: Option<Tlp>,
    /// When it stops working.
    pub expires_at: Option<OffsetDateTime>,
}

/// Whether `name` may name an organisation.
pub fn valid_org_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn audit(
    store: &mut dyn Store,
    actor: &Actor,
    action: &str,
    detail: String,
) -> Result<(), StoreError> {
    store.audit_append(&AuditEntry {
        at: OffsetDateTime::now_utc(),
        org: actor.org.clone(),
        token: actor.token.clone(),
        action: action.to_owned(),
        detail,
        result_size: 1,
    })?;
    Ok(())
}

/// Adds an organisation or changes its role.
pub fn put_organisation(
    store: &mut dyn Store,
    actor: &Actor,
    name: &str,
    role: Role,
) -> Result<crate::Organisation, AdminError> {
    if !valid_org_name(name) {
        return Err(AdminError::BadName(name.to_owned()));
    }
    let id = store.put_organisation(name, role)?;
    audit(store, actor, "org.put", format!("{name} role={role}"))?;
    Ok(crate::Organisation {
        id,
        name: name.to_owned(),
        role,
    })
}

/// Issues a token: checks the scopes against the organisation's role,
/// stores the secret's argon2id hash, records it, and returns the secret
/// (shown once, never stored).
pub fn issue_token(
    store: &mut dyn Store,
    actor: &Actor,
    request: &TokenRequest,
    now: OffsetDateTime,
) -> Result<(NewToken, TokenRow), AdminError> {
    let org = store
        .organisations()?
        .into_iter()
        .find(|o| o.name == request.org)
        .ok_or_else(|| AdminError::NoOrganisation(request.org.clone()))?;
    let scopes = if request.scopes.is_empty() {
        org.role.default_scopes()
    } else {
        request.scopes.clone()
    };
    if let Some(scope) = scopes.iter().find(|s| !org.role.allows(**s)) {
        return Err(AdminError::ScopeNotAllowed {
            org: org.name,
            role: org.role,
            scope: *scope,
            allowed: org
                .role
                .scopes()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if let Some(at) = request.expires_at.filter(|at| *at <= now) {
        return Err(AdminError::ExpiryPast(at));
    }
    let t = generate_token().map_err(|e| AdminError::Token(e.to_string()))?;
    let row = TokenRow {
        id: t.id.as_str().to_owned(),
        name: request.name.clone(),
        hash: t.hash.clone(),
        grant: TokenGrant {
            org: org.name.clone(),
            role: org.role,
            scopes,
            max_tlp: request.max_tlp,
            expires_at: request.expires_at,
            revoked: false,
        },
        created_at: now,
    };
    store.put_token(&row)?;
    audit(
        store,
        actor,
        "token.create",
        format!("id={} org={} name={}", row.id, org.name, row.name),
    )?;
    Ok((t, row))
}

/// Revokes a token; `false` if there is none with that id.
pub fn revoke_token(store: &mut dyn Store, actor: &Actor, id: &str) -> Result<bool, AdminError> {
    let done = store.revoke_token(id)?;
    if done {
        audit(store, actor, "token.revoke", format!("id={id}"))?;
    }
    Ok(done)
}

/// Adds a person's account to an organisation, with the argon2id hash of
/// their password (`pelita_auth::hash_password`; the password itself never
/// reaches the store), and records it.
pub fn add_user(
    store: &mut dyn Store,
    actor: &Actor,
    name: &str,
    org: &str,
    password_hash: String,
    now: OffsetDateTime,
) -> Result<UserRow, AdminError> {
    if !valid_org_name(name) {
        return Err(AdminError::BadName(name.to_owned()));
    }
    if !store.organisations()?.iter().any(|o| o.name == org) {
        return Err(AdminError::NoOrganisation(org.to_owned()));
    }
    if store.user(name)?.is_some() {
        return Err(AdminError::UserExists(name.to_owned()));
    }
    let row = UserRow {
        name: name.to_owned(),
        org: org.to_owned(),
        hash: password_hash,
        created_at: now,
        disabled: false,
    };
    store.put_user(&row)?;
    audit(store, actor, "user.add", format!("{name} org={org}"))?;
    Ok(row)
}

/// Disables (or enables again) an account; disabling ends its sessions.
pub fn set_user_disabled(
    store: &mut dyn Store,
    actor: &Actor,
    name: &str,
    disabled: bool,
) -> Result<(), AdminError> {
    if !store.set_user_disabled(name, disabled)? {
        return Err(AdminError::NoUser(name.to_owned()));
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit(store, actor, action, name.to_owned())?;
    Ok(())
}
