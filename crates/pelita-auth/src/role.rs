//! Organisation roles, token scopes, and the table between them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an organisation is to this instance. The role bounds every token the
/// organisation holds: a token's scopes are checked against it on every use
/// (see [`Role::allows`] and the table in the crate documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Role {
    /// Runs the instance: every scope, and the only role with `audit`.
    Administrator,
    /// Works the data: reads, submits and builds reports.
    Analyst,
    /// A partner that shares what it sees: submits and reads.
    SubmittingPartner,
    /// Consumes only: reads and builds reports.
    ReadOnly,
}

/// What one API token may do. A token lists its scopes; each use needs the
/// scope to be listed *and* allowed by the organisation's [`Role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Scope {
    /// Look up indicators, search and export (within the sharing policy).
    Read,
    /// Submit sightings.
    Submit,
    /// Build reports.
    Report,
    /// Manage organisations, operations and tokens.
    Admin,
    /// Read the audit log.
    Audit,
    /// Read past the sharing policy ("break glass"): administrators only,
    /// never granted unless asked for by name, and every use audited with
    /// its stated reason.
    BreakGlass,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Analyst,
        Role::SubmittingPartner,
        Role::ReadOnly,
    ];

    /// Whether this role may use `scope` at all (the role→scope table in the
    /// crate documentation).
    pub fn allows(self, scope: Scope) -> bool {
        use Scope::{Admin, Audit, BreakGlass, Read, Report, Submit};
        // Every pair is spelled out (no `_` arm for scopes), so adding a role
        // or a scope is a compile error here until the table is decided.
        match (self, scope) {
            (Role::Administrator, Read | Submit | Report | Admin | Audit | BreakGlass) => true,
            (Role::Analyst, Read | Submit | Report) => true,
            (Role::Analyst, Admin | Audit | BreakGlass) => false,
            (Role::SubmittingPartner, Read | Submit) => true,
            (Role::SubmittingPartner, Report | Admin | Audit | BreakGlass) => false,
            (Role::ReadOnly, Read | Report) => true,
            (Role::ReadOnly, Submit | Admin | Audit | BreakGlass) => false,
        }
    }

    /// The scopes this role allows, in [`Scope::ALL`] order.
    pub fn scopes(self) -> Vec<Scope> {
        Scope::ALL.into_iter().filter(|&s| self.allows(s)).collect()
    }

    /// The scopes a token of this role gets when none are asked for: every
    /// allowed scope but [`Scope::BreakGlass`], which must be asked for.
    pub fn default_scopes(self) -> Vec<Scope> {
        self.scopes()
            .into_iter()
            .filter(|&s| s != Scope::BreakGlass)
            .collect()
    }

    /// The role's name, kebab-case (`submitting-partner`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Analyst => "analyst",
            Role::SubmittingPartner => "submitting-partner",
            Role::ReadOnly => "read-only",
        }
    }
}

impl Scope {
    /// Every scope, in declaration order.
    pub const ALL: [Scope; 6] = [
        Scope::Read,
        Scope::Submit,
        Scope::Report,
        Scope::Admin,
        Scope::Audit,
        Scope::BreakGlass,
    ];

    /// The scope's name, lowercase (`submit`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
            Scope::Report => "report",
            Scope::Admin => "admin",
            Scope::Audit => "audit",
            Scope::BreakGlass => "break-glass",
        }
    }
}

/// A role name that is none of the known roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`: use one of administrator, analyst, submitting-partner, read-only")]
pub struct ParseRoleError(pub String);

/// A scope name that is none of the known scopes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`: use one of read, submit, report, admin, audit, break-glass")]
pub struct ParseScopeError(pub String);

impl FromStr for Role {
    type Err = ParseRoleError;

    /// Reads the kebab-case names [`Role::as_str`] writes, ignoring ASCII case
    /// and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| ParseRoleError(t.to_owned()))
    }
}

impl FromStr for Scope {
    type Err = ParseScopeError;

    /// Reads the names [`Scope::as_str`] writes, ignoring ASCII case and
    /// surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Scope::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| ParseScopeError(t.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Role> for &'static str {
    fn from(r: Role) -> Self {
        r.as_str()
    }
}

impl From<Scope> for &'static str {
    fn from(s: Scope) -> Self {
        s.as_str()
    }
}

impl TryFrom<String> for Role {
    type Error = ParseRoleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<String> for Scope {
    type Error = ParseScopeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}
