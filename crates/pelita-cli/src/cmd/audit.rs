//! `pelita audit`: the tamper-evident audit log.

use std::fmt::Write as _;
use std::process::ExitCode;

use pelita_store::{AuditEntry, Store};
use time::OffsetDateTime;

use super::store_args::StoreArgs;

/// Read and verify the audit log.
///
/// Every write (ingest), every administrative action (operations, actions)
/// and every report is recorded with who did it, what was asked and how
/// much came back. Each entry carries the SHA-256 of the one before it, so
/// an edited, deleted, inserted or reordered entry breaks the chain, and
/// the newest hash (the head) is kept too, so removing the newest entries
/// shows.
///
/// `verify` exits 0 when the chain is intact and 1 (with every problem and
/// where) when it is not. `head` prints the newest hash: keep a copy
/// somewhere else (mail it to a partner every day) and a rewrite of the
/// whole log can be caught as well.
///
/// Examples:
///
///   pelita audit verify
///
///   pelita audit show --from 120 --limit 20
///
///   pelita audit head
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Recompute the chain and compare it with the recorded head.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print entries, oldest first.
    Show {
        /// The first sequence number.
        #[arg(long, default_value_t = 1)]
        from: i64,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the newest entry's sequence number and hash.
    Head {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Records what the local operator did (the console has no token).
pub fn record(
    store: &mut dyn Store,
    action: &str,
    detail: String,
    result_size: u64,
) -> anyhow::Result<()> {
    store.audit_append(&AuditEntry {
        at: OffsetDateTime::now_utc(),
        org: "operator".into(),
        token: "-".into(),
        action: action.into(),
        detail,
        result_size,
    })?;
    Ok(())
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        AuditCommand::Verify { json, store } => {
            let s = store.open_existing()?;
            let v = s.audit_verify()?;
            if *json {
                super::output::print(&format!("{}\n", serde_json::to_string_pretty(&v)?))?;
            } else if v.is_ok() {
                super::output::print(&format!(
                    "audit log intact: {} entries, head {}\n",
                    v.entries,
                    v.head.as_deref().unwrap_or("(empty)")
                ))?;
            } else {
                let mut out = format!(
                    "audit log TAMPERED: {} problem(s) in {} entries\n",
                    v.problems.len(),
                    v.entries
                );
                for p in &v.problems {
                    let _ = writeln!(out, "  {p}");
                }
                super::output::print(&out)?;
            }
            Ok(if v.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuditCommand::Show {
            from,
            limit,
            json,
            store,
        } => {
            let s = store.open_existing()?;
            let entries = s.audit_entries(*from, *limit)?;
            if *json {
                super::output::print(&format!("{}\n", serde_json::to_string_pretty(&entries)?))?;
            } else {
                let mut out = String::new();
                for r in &entries {
                    let e = &r.entry;
                    let _ = writeln!(
                        out,
                        "{:>6}  {}  {:<14} {:<18} {:<18} {:>8}  {}",
                        r.seq,
                        e.at.date(),
                        e.org,
                        e.token,
                        e.action,
                        e.result_size,
                        e.detail
                    );
                }
                super::output::print(&out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Head { store } => {
            let s = store.open_existing()?;
            let v = s.audit_verify()?;
            super::output::print(&format!(
                "{} {}\n",
                v.entries,
                v.head.as_deref().unwrap_or("-")
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
