//! `pelita operation`: operations, their partners' contributions and the status of actions.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use pelita_store::{ActionState, ActionStatus, OperationSpec, SightingFilter, Store as _};
use time::OffsetDateTime;

use super::store_args::StoreArgs;

/// Manage operations: named, time-boxed joint efforts.
///
/// An operation has a name, a title, a period, participating countries and
/// organisations, and a scope. Submissions join it with `pelita ingest
/// --operation NAME`; `pelita report --operation NAME` reports on its
/// submissions only. `show` prints what each partner contributed and how
/// much of it only that partner had; `action` records where a recommended
/// action stands (the ids are in the reports).
///
/// Examples:
///
///   pelita operation create synergia --title "Operation Synergia" \
///       --start 2026-10-01 --end 2026-11-30 --countries SG,MY,ID,TH \
///       --orgs cert-sg,police-sg,firm-alpha --scope "C2 servers and compromised sites"
///
///   pelita operation list
///
///   pelita operation show synergia
///
///   pelita operation action synergia c2-takedown:SG:AS64496 sent --note "ticket 4411"
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: OpCommand,
}

#[derive(Debug, clap::Subcommand)]
enum OpCommand {
    /// Create an operation, or change the one with this name.
    Create {
        /// Short unique name (letters, digits, `-`, `_`).
        name: String,
        /// Title in words (default: the name).
        #[arg(long)]
        title: Option<String>,
        /// Start of the period (2026-10-01).
        #[arg(long, value_name = "DATE")]
        start: Option<String>,
        /// End of the period.
        #[arg(long, value_name = "DATE")]
        end: Option<String>,
        /// Participating countries, comma-separated ISO codes.
        #[arg(long, value_delimiter = ',', value_name = "CC,CC")]
        countries: Vec<String>,
        /// Participating organisations, comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "ORG,ORG")]
        orgs: Vec<String>,
        /// What it is about.
        #[arg(long, default_value = "")]
        scope: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the operations.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show an operation: partners' contributions, overlap, actions.
    Show {
        /// The operation's name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Record where an action stands: open, sent, acknowledged, done or declined.
    Action {
        /// The operation's name.
        name: String,
        /// The action's id, as the reports show it (`c2-takedown:SG:AS64496`).
        action: String,
        /// The status.
        status: ActionStatus,
        /// A note (ticket number, who was contacted, why declined).
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let now = OffsetDateTime::now_utc();
    match &args.command {
        OpCommand::Create {
            name,
            title,
            start,
            end,
            countries,
            orgs,
            scope,
            store,
        } => {
            anyhow::ensure!(
                valid_name(name),
                "operation names are 1 to 64 letters, digits, `-` or `_`: {name:?}"
            );
            let date = |s: &Option<String>, what: &str| {
                s.as_deref()
                    .map(|s| super::when::parse_when(s, now))
                    .transpose()
                    .map_err(anyhow::Error::msg)
                    .with_context(|| what.to_owned())
            };
            let mut codes = Vec::new();
            for c in countries {
                let c = c.trim().to_ascii_uppercase();
                anyhow::ensure!(
                    c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()),
                    "--countries: {c:?} is not an ISO 3166-1 alpha-2 code"
                );
                codes.push(c);
            }
            let spec = OperationSpec {
                name: name.clone(),
                title: title.clone().unwrap_or_else(|| name.clone()),
                starts_at: date(start, "--start")?,
                ends_at: date(end, "--end")?,
                countries: codes,
                organisations: orgs.iter().map(|o| o.trim().to_owned()).collect(),
                scope: scope.clone(),
            };
            let path = store.db_path()?;
            let mut s = super::store_args::open_at(&path)?;
            s.put_operation(&spec)?;
            super::audit::record(&mut s, "operation.put", name.clone(), 1)?;
            super::output::print(&format!("operation {name} saved in {}\n", path.display()))?;
        }
        OpCommand::List { json, store } => {
            let s = store.open_existing()?;
            let ops = s.operations()?;
            if *json {
                super::output::print(&format!("{}\n", serde_json::to_string_pretty(&ops)?))?;
            } else if ops.is_empty() {
                super::output::print(
                    "no operations yet: `pelita operation create NAME` makes one\n",
                )?;
            } else {
                let mut out = String::new();
                for o in &ops {
                    let _ = writeln!(
                        out,
                        "{:<20} {:<40} {:>5} submissions  {}",
                        o.spec.name,
                        o.spec.title,
                        o.submissions,
                        o.spec.countries.join(",")
                    );
                }
                super::output::print(&out)?;
            }
        }
        OpCommand::Show { name, json, store } => {
            let s = store.open_existing()?;
            let op = s
                .operation(name)?
                .with_context(|| format!("no operation named {name:?}"))?;
            let stats = s.operation_stats(op.id, &SightingFilter::everything())?;
            let actions = s.action_states(op.id)?;
            if *json {
                let v = serde_json::json!({"operation": op, "stats": stats, "actions": actions});
                super::output::print(&format!("{}\n", serde_json::to_string_pretty(&v)?))?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = String::new();
            let _ = writeln!(out, "{} ({})", op.spec.title, op.spec.name);
            let _ = writeln!(
                out,
                "  {} submissions, {} indicators, {} sightings; countries {}",
                op.submissions,
                stats.indicators,
                stats.sightings,
                op.spec.countries.join(",")
            );
            let _ = writeln!(
                out,
                "\n  {:<28} {:>11} {:>11} {:>11} {:>17}",
                "partner", "submissions", "indicators", "sightings", "only this partner"
            );
            for (org, c) in &stats.by_source {
                let _ = writeln!(
                    out,
                    "  {org:<28} {:>11} {:>11} {:>11} {:>17}",
                    c.submissions, c.indicators, c.sightings, c.unique
                );
            }
            let _ = writeln!(
                out,
                "\n  overlap: indicators by number of partners reporting them"
            );
            for (n, count) in &stats.by_source_count {
                let _ = writeln!(out, "  {n:>3} partner(s)  {count:>9}");
            }
            if !actions.is_empty() {
                let _ = writeln!(out, "\n  actions with a recorded status:");
                for (id, st) in &actions {
                    let _ = writeln!(out, "  {:<13} {id}  {}", st.status.as_str(), st.note);
                }
            }
            super::output::print(&out)?;
        }
        OpCommand::Action {
            name,
            action,
            status,
            note,
            store,
        } => {
            // An action is recorded on an existing store only (no empty store left behind).
            let mut s = store.open_existing()?;
            let op = s
                .operation(name)?
                .with_context(|| format!("no operation named {name:?}"))?;
            s.set_action_status(
                op.id,
                action,
                &ActionState {
                    status: *status,
                    note: note.clone(),
                    updated_at: now,
                },
            )?;
            super::audit::record(
                &mut s,
                "action.set",
                format!(
                    "operation={name} action={action} status={}",
                    status.as_str()
                ),
                1,
            )?;
            super::output::print(&format!("{action}: {}\n", status.as_str()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
