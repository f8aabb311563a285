//! `pelita org`, `pelita token` and `pelita user`: organisations, their
//! roles, API tokens, and people's accounts for the web interface.

use std::fmt::Write as _;
use std::process::ExitCode;

use pelita_auth::{Role, Scope};
use pelita_model::Tlp;
use pelita_store::{Store as _, admin};
use time::OffsetDateTime;

use super::store_args::StoreArgs;

/// Manage organisations and their roles.
///
/// Roles: administrator (everything, the audit log included), analyst
/// (read, report, submit), submitting-partner (submit, read), read-only
/// (read, report). What an organisation may *see* is decided by the
/// sharing policy (docs/specs/sharing-policy.md), the same for every role.
///
/// Examples:
///
///   pelita org add cert-sg --role administrator
///
///   pelita org list
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct OrgArgs {
    #[command(subcommand)]
    command: OrgCommand,
}

#[derive(Debug, clap::Subcommand)]
enum OrgCommand {
    /// Add an organisation, or change its role.
    Add {
        /// Its name (letters, digits, `-`, `_`, `.`).
        name: String,
        /// Its role: administrator, analyst, submitting-partner or read-only.
        #[arg(long, default_value = "submitting-partner")]
        role: Role,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List organisations and their roles.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Manage API tokens (for machines; people will sign in to the web interface).
///
/// A token is shown once, when it is made: only its argon2id hash is kept.
/// Its scopes must be allowed by its organisation's role; --max-tlp caps
/// what it may read below what the sharing policy allows; --expires sets a
/// lifetime.
///
/// Examples:
///
///   pelita token create --org firm-a --name "misp sync" --scopes read,submit --expires 90d
///
///   pelita token list
///
///   pelita token revoke 0123456789abcdef
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Make a token and print it (once).
    Create {
        /// The organisation it acts for.
        #[arg(long)]
        org: String,
        /// What it is for.
        #[arg(long, default_value = "api")]
        name: String,
        /// Scopes, comma-separated: read, submit, report, admin, audit (default: all the role allows).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<Scope>,
        /// The most restrictive marking it may read.
        #[arg(long, value_name = "TLP")]
        max_tlp: Option<Tlp>,
        /// Lifetime: 90d, 12w, or an end date (2027-03-01).
        #[arg(long, value_name = "WHEN")]
        expires: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens (never their secrets).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The token id (the 16 hex digits after `pelita_`).
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Manage people's accounts for the web interface (`pelita serve`, `/ui/`).
///
/// A person signs in with a name and a password and then reads and writes as
/// their organisation, under its role and the sharing policy, exactly as one
/// of its tokens would. The password is read from standard input (the first
/// line), never from the command line, and only its argon2id hash is kept.
///
/// Examples:
///
///   printf '%s\n' "$PASSWORD" | pelita user add ana --org cert-sg --password-stdin
///
///   pelita user list
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Add an account (the password: the first line of standard input).
    Add {
        /// The sign-in name (letters, digits, `-`, `_`, `.`).
        name: String,
        /// The organisation the person works for.
        #[arg(long)]
        org: String,
        /// Read the password from standard input (the default; stated for scripts).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List accounts (never their passwords or hashes).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The password: the first line of standard input, without its line end.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead as _, IsTerminal as _};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "password (at least {} characters; shown as typed): ",
            pelita_auth::PASSWORD_MIN_CHARS
        );
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

/// Runs `pelita user`.
pub fn run_user(args: &UserArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        UserCommand::Add {
            name,
            org,
            password_stdin: _,
            store,
        } => {
            let password = read_password()?;
            let hash = pelita_auth::hash_password(&password)?;
            let mut s = store.open_or_create()?;
            match admin::add_user(
                &mut s,
                &operator(),
                name,
                org,
                hash,
                OffsetDateTime::now_utc(),
            ) {
                Err(admin::AdminError::NoOrganisation(org)) => {
                    anyhow::bail!("no organisation {org:?}: add it with `pelita org add {org}`")
                }
                other => other?,
            };
            super::output::print(&format!("account {name} for {org} added\n"))?;
        }
        UserCommand::List { json, store } => {
            let s = store.open_existing()?;
            let users = s.users()?;
            if *json {
                super::output::print(&format!("{}\n", serde_json::to_string_pretty(&users)?))?;
            } else {
                let mut out = String::new();
                for u in &users {
                    let state = if u.disabled { "disabled" } else { "active" };
                    let _ = writeln!(out, "{:<32} {:<32} {state}", u.name, u.org);
                }
                super::output::print(&out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `pelita org`.
pub fn run_org(args: &OrgArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        OrgCommand::Add { name, role, store } => {
            let mut s = store.open_or_create()?;
            admin::put_organisation(&mut s, &operator(), name, *role)?;
            super::output::print(&format!("organisation {name}: {role}\n"))?;
        }
        OrgCommand::List { json, store } => {
            let s = store.open_existing()?;
            let orgs = s.organisations()?;
            if *json {
                super::output::print(&format!("{}\n", serde_json::to_string_pretty(&orgs)?))?;
            } else {
                let mut out = String::new();
                for o in &orgs {
                    let _ = writeln!(out, "{:<32} {}", o.name, o.role);
                }
                super::output::print(&out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `pelita token`.
pub fn run_token(args: &TokenArgs) -> anyhow::Result<ExitCode> {
    let now = OffsetDateTime::now_utc();
    match &args.command {
        TokenCommand::Create {
            org,
            name,
            scopes,
            max_tlp,
            expires,
            store,
        } => {
            let mut s = store.open_or_create()?;
            let expires_at = match expires {
                Some(w) => {
                    let t = super::when::parse_when(w, now).map_err(anyhow::Error::msg)?;
                    // "90d" reads as 90 days back; a lifetime runs forward.
                    Some(if t < now { now + (now - t) } else { t })
                }
                None => None,
            };
            let request = admin::TokenRequest {
                org: org.clone(),
                name: name.clone(),
                scopes: scopes.clone(),
                max_tlp: *max_tlp,
                expires_at,
            };
            let (t, row) = match admin::issue_token(&mut s, &operator(), &request, now) {
                Err(admin::AdminError::NoOrganisation(org)) => {
                    anyhow::bail!("no organisation {org:?}: add it with `pelita org add {org}`")
                }
                other => other?,
            };
            let scopes = row.grant.scopes;
            super::output::print(&format!(
                "{}\n\nThis is the only time the token is shown: store it now. Id {} for {org}, scopes {}{}.\n",
                t.secret,
                t.id.as_str(),
                scopes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                expires_at.map_or(String::new(), |e| format!(", expires {}", e.date()))
            ))?;
        }
        TokenCommand::List { json, store } => {
            let s = store.open_existing()?;
            let tokens = s.tokens()?;
            if *json {
                super::output::print(&format!("{}\n", serde_json::to_string_pretty(&tokens)?))?;
            } else {
                let mut out = String::new();
                for t in &tokens {
                    let state = if t.grant.revoked {
                        "revoked".to_owned()
                    } else if t.grant.expires_at.is_some_and(|e| e <= now) {
                        "expired".to_owned()
                    } else {
                        "active".to_owned()
                    };
                    let _ = writeln!(
                        out,
                        "{}  {:<20} {:<20} {:<8} {}",
                        t.id,
                        t.grant.org,
                        t.name,
                        state,
                        t.grant
                            .scopes
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    );
                }
                super::output::print(&out)?;
            }
        }
        TokenCommand::Revoke { id, store } => {
            let mut s = store.open_or_create()?;
            anyhow::ensure!(
                admin::revoke_token(&mut s, &operator(), id)?,
                "no token with id {id:?} (see `pelita token list`)"
            );
            super::output::print(&format!("token {id} revoked\n"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The console's identity in the audit log.
fn operator() -> admin::Actor {
    admin::Actor {
        org: "operator".into(),
        token: "-".into(),
    }
}
