//! `pelita store`: check and compact the fusion store.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{HumanBytes, ProgressBar};
use pelita_ingest::{Archive, Verified};
use pelita_store::Store as _;
use serde::Serialize;

use super::store_args::StoreArgs;

/// Check the store, or compact it.
///
/// `check` is what to run after a crash, a full disk or a restore from
/// backup: SQLite's own integrity check, foreign keys, that every
/// submission holds the sightings it acknowledged, the audit log's hash
/// chain, and every archived submission read again and hashed (nothing
/// accepted may be lost or changed). It exits 0 when everything agrees and
/// 1, with each problem, when something does not.
///
/// `compact` rewrites the database file with 16 KiB pages (a store made
/// before 2026-12 has 4 KiB pages; bulk ingest is about a fifth faster on
/// 16 KiB) and drops the space deleted rows left. It needs the store to
/// itself (stop `pelita serve` first) and free disk space for a second
/// copy while it runs.
///
/// Examples:
///
///   pelita store check
///
///   pelita store check --db /srv/pelita/pelita.db --json
///
///   pelita store compact
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, clap::Subcommand)]
enum StoreCommand {
    /// Check the database, the audit log and the archive.
    Check {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Rewrite the database file with 16 KiB pages, reclaiming free space.
    Compact {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// What `check` found, part by part.
#[derive(Debug, Serialize)]
struct Report {
    database: String,
    /// SQLite's `integrity_check` answer.
    engine: String,
    /// Submissions whose archived copy was read again.
    archived: u64,
    /// Their bytes.
    archived_bytes: u64,
    /// Audit entries whose chain was checked.
    audit_entries: u64,
    /// Archived copies no submission in the store names: an ingest that
    /// stopped after archiving and before its commit (not a problem: the
    /// bytes are kept; ingesting the file again stores it).
    not_stored: Vec<String>,
    /// Temporary files in the archive: a stopped write's, or one in
    /// progress.
    temporary_files: Vec<String>,
    /// Every problem, each naming where.
    problems: Vec<String>,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        StoreCommand::Check { json, store } => check(store, *json),
        StoreCommand::Compact { json, store } => compact(store, *json),
    }
}

/// A spinner on standard error while `what` runs (a store of a few GB
/// takes a while to check or rewrite).
fn spinner(what: &str) -> ProgressBar {
    let p = super::output::progress_bar(0, "  {spinner} {msg} ({elapsed})");
    p.set_message(what.to_owned());
    p.enable_steady_tick(std::time::Duration::from_millis(120));
    p
}

fn check(store: &StoreArgs, json: bool) -> anyhow::Result<ExitCode> {
    let s = store.open_existing()?;
    let db = store.db_path()?;
    let busy = spinner("checking the database (every page, every row's references)");
    let integrity = s.check().context("checking the database");
    busy.finish_and_clear();
    let integrity = integrity?;
    let mut problems = integrity.problems.clone();
    if integrity.engine != "ok" {
        problems.insert(0, format!("SQLite integrity check: {}", integrity.engine));
    }
    let busy = spinner("checking the audit log's hash chain");
    let audit = s.audit_verify().context("checking the audit log");
    busy.finish_and_clear();
    let audit = audit?;
    problems.extend(audit.problems.iter().map(|p| format!("audit log: {p}")));

    let submissions = s.submissions()?;
    let dir = super::store_args::data_dir_of(store.data_dir.as_deref(), store.db.as_deref())?;
    let archive_root = dir.join(pelita_ingest::archive::ARCHIVE_DIR);
    let (mut archived, mut archived_bytes) = (0u64, 0u64);
    let (mut not_stored, mut temporary_files) = (Vec::new(), Vec::new());
    if archive_root.is_dir() {
        let (copies, temps) = Archive::open(&dir)?.list()?;
        let stored: std::collections::HashSet<&str> =
            submissions.iter().map(|r| r.sha256.as_str()).collect();
        not_stored = copies
            .into_iter()
            .filter(|c| !stored.contains(c.as_str()))
            .collect();
        temporary_files = temps.iter().map(|p| p.display().to_string()).collect();
    }
    if !archive_root.is_dir() && !submissions.is_empty() {
        problems.push(format!(
            "no archive at {} for {} submissions (give --data-dir if it is elsewhere)",
            archive_root.display(),
            submissions.len()
        ));
    } else if !submissions.is_empty() {
        let archive = Archive::open(&dir)?;
        let progress = super::output::progress_bar(
            submissions.iter().map(|r| r.size).sum(),
            "  archive  [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        );
        for row in &submissions {
            progress.set_message(row.name.clone());
            match archive.verify(&row.sha256, &mut |n| progress.inc(n))? {
                Verified::Intact { size } => {
                    archived += 1;
                    archived_bytes += size;
                }
                Verified::Missing => problems.push(format!(
                    "archive: submission {} ({}, from {}) has no archived copy",
                    row.sha256, row.name, row.source
                )),
                Verified::Altered { actual, .. } => problems.push(format!(
                    "archive: the copy of submission {} ({}, from {}) was changed: it hashes to {actual}",
                    row.sha256, row.name, row.source
                )),
            }
        }
        progress.finish_and_clear();
    }
    let report = Report {
        database: db.display().to_string(),
        engine: integrity.engine.clone(),
        archived,
        archived_bytes,
        audit_entries: audit.entries,
        not_stored,
        temporary_files,
        problems,
    };
    if json {
        super::output::print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        let mut out = String::new();
        let _ = writeln!(out, "store     {}", report.database);
        let _ = writeln!(out, "database  {}", report.engine);
        let _ = writeln!(
            out,
            "archive   {} of {} submissions intact ({})",
            report.archived,
            submissions.len(),
            HumanBytes(report.archived_bytes)
        );
        if !report.not_stored.is_empty() {
            let _ = writeln!(
                out,
                "          {} archived copies are in no submission (an ingest stopped before its commit; ingest the file again to store it): {}",
                report.not_stored.len(),
                report
                    .not_stored
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if !report.temporary_files.is_empty() {
            let _ = writeln!(
                out,
                "          {} temporary archive files (a stopped write's, or one in progress: delete them when no ingest runs): {}",
                report.temporary_files.len(),
                report
                    .temporary_files
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(out, "audit     {} entries checked", report.audit_entries);
        if report.problems.is_empty() {
            let _ = writeln!(out, "everything agrees");
        } else {
            let _ = writeln!(out, "{} problem(s):", report.problems.len());
            for p in &report.problems {
                let _ = writeln!(out, "  {p}");
            }
        }
        super::output::print(&out)?;
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn compact(store: &StoreArgs, json: bool) -> anyhow::Result<ExitCode> {
    let mut s = store.open_existing()?;
    let busy = spinner("rewriting the database file");
    let done = s.compact();
    busy.finish_and_clear();
    let done = done.context("cannot compact the store")?;
    super::audit::record(
        &mut s,
        "store.compact",
        format!("page_size={} bytes={}", done.page_size, done.bytes),
        0,
    )?;
    if json {
        super::output::print(&format!("{}\n", serde_json::to_string_pretty(&done)?))?;
    } else {
        super::output::print(&format!(
            "compacted {}: {} in {} pages -> {} in {} pages\n",
            store.db_path()?.display(),
            HumanBytes(done.bytes_before),
            HumanBytes(done.page_size_before.unsigned_abs()),
            HumanBytes(done.bytes),
            HumanBytes(done.page_size.unsigned_abs())
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
