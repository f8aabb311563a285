//! `pelita data`: the offline datasets enrichment uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use pelita_enrich::{BenignLists, Enricher};

/// Manage the offline enrichment data.
///
/// Pelita ships IP→country/ASN tables (ip-location-db), government and
/// education suffix tables and a subset of the MISP warninglists, embedded
/// in the binary (see data/README.md for sources and licences). These
/// commands show what is in use and add a full set of warninglists.
///
/// Examples:
///
///   pelita data info
///
///   pelita data import-warninglists ~/src/misp-warninglists
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DataCommand {
    /// Show the dataset versions and the known-benign lists in use.
    Info {
        /// The data directory.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Load a MISP warninglists checkout (its `lists/` folder, or a folder of
    /// `<name>/list.json`) into the data directory; ingest uses them on top
    /// of the shipped lists from then on. Lists with the same name replace
    /// earlier imports.
    ImportWarninglists {
        /// The checkout or lists folder.
        dir: PathBuf,
        /// The data directory.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

fn data_dir(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    given
        .cloned()
        .or_else(pelita_ingest::default_data_dir)
        .context(
            "no data directory: give --data-dir, or set PELITA_DATA_DIR, XDG_DATA_HOME or HOME",
        )
}

/// Where imported warninglists are kept.
pub fn warninglists_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("warninglists")
}

/// The enricher for a data directory: the shipped data, imported
/// warninglists if any, and the user's IP overrides if given.
pub fn enricher(data_dir: &Path, ip_overrides: Option<&Path>) -> anyhow::Result<Enricher> {
    let mut e = Enricher::builtin();
    let imported = warninglists_dir(data_dir);
    if imported.is_dir() {
        let lists = BenignLists::load_dir(&imported).with_context(|| {
            format!(
                "cannot load the imported warninglists in {}",
                imported.display()
            )
        })?;
        e = e.with_benign_lists(lists);
    }
    if let Some(path) = ip_overrides {
        e = if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("mmdb"))
        {
            e.add_mmdb(path)
        } else {
            e.add_csv_overrides(path)
        }
        .with_context(|| format!("cannot load IP overrides from {}", path.display()))?;
    }
    Ok(e)
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        DataCommand::Info { data_dir: given } => {
            use std::fmt::Write as _;
            let dir = data_dir(given.as_ref())?;
            let mut out = String::new();
            let _ = writeln!(out, "IP data:        {}", pelita_enrich::dataset_version());
            let shipped = BenignLists::builtin().lists();
            let _ = writeln!(out, "warninglists:   {} shipped", shipped.len());
            let imported = warninglists_dir(&dir);
            if imported.is_dir() {
                let lists = BenignLists::load_dir(&imported)?;
                let _ = writeln!(
                    out,
                    "                {} imported in {}",
                    lists.lists().len(),
                    imported.display()
                );
            }
            for l in shipped {
                let _ = writeln!(out, "  {:<40} {:>8} entries  {}", l.id, l.entries, l.name);
            }
            super::output::print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::ImportWarninglists {
            dir,
            data_dir: given,
        } => {
            let target = warninglists_dir(&data_dir(given.as_ref())?);
            // Load first: nothing is copied unless every list reads.
            let lists = BenignLists::load_dir(dir)
                .with_context(|| format!("cannot read warninglists from {}", dir.display()))?;
            let source = if dir.join("lists").is_dir() {
                dir.join("lists")
            } else {
                dir.clone()
            };
            let mut copied = 0usize;
            for info in lists.lists() {
                let from = source.join(&info.id).join("list.json");
                let to_dir = target.join(&info.id);
                std::fs::create_dir_all(&to_dir)
                    .with_context(|| format!("cannot create {}", to_dir.display()))?;
                std::fs::copy(&from, to_dir.join("list.json"))
                    .with_context(|| format!("cannot copy {}", from.display()))?;
                copied += 1;
            }
            for w in lists.warnings() {
                eprintln!("pelita data: warning: {w}");
            }
            super::output::print(&format!(
                "imported {copied} warninglists into {} (used by ingest from now on)\n",
                target.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
