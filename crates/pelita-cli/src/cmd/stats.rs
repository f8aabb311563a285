//! `pelita stats`: what is in the store.

use std::fmt::Write as _;
use std::process::ExitCode;

use pelita_store::{SightingFilter, Store as _};

use super::store_args::StoreArgs;

/// Summarise the fusion store.
///
/// Counts indicators (with at least one sighting), sightings, submissions
/// and sources, then indicators by kind, ENISA RSIT class, country, ASN and
/// source (top 20 of each), and how many are withdrawn by every source
/// that reported them.
///
/// Example:
///
///   pelita stats --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = args.store.open_existing()?;
    let stats = store.stats(&SightingFilter::everything())?;
    if args.json {
        super::output::print(&format!("{}\n", serde_json::to_string_pretty(&stats)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} indicators, {} sightings, {} submissions, {} sources ({} withdrawn by all their sources)",
        stats.indicators, stats.sightings, stats.submissions, stats.sources, stats.withdrawn
    );
    let groups = [
        ("by kind", &stats.by_kind),
        ("by ENISA RSIT class", &stats.by_class),
        ("by country", &stats.by_country),
        ("by ASN (top 20)", &stats.by_asn),
        ("by source", &stats.by_source),
    ];
    let width = groups
        .iter()
        .flat_map(|(_, m)| m.keys())
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for (title, map) in groups {
        if map.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}:");
        let mut rows: Vec<(&String, &u64)> = map.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, n) in rows.into_iter().take(20) {
            let _ = writeln!(out, "  {k:<width$}  {n:>10}");
        }
    }
    super::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
