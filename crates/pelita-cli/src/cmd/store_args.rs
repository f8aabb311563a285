//! Where the store is: the options shared by every command that reads it.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use pelita_store::SqliteStore;

/// `--data-dir` and `--db`.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The data directory (default $PELITA_DATA_DIR, else $XDG_DATA_HOME/pelita, else ~/.local/share/pelita).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The store (default DATA-DIR/pelita.db).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

impl StoreArgs {
    /// The database path these options name.
    pub fn db_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(db) = &self.db {
            return Ok(db.clone());
        }
        let dir = self
            .data_dir
            .clone()
            .or_else(pelita_ingest::default_data_dir)
            .context("no data directory: give --data-dir or --db, or set PELITA_DATA_DIR, XDG_DATA_HOME or HOME")?;
        Ok(dir.join("pelita.db"))
    }

    /// Opens an existing store; a missing one is an error that says how to make one.
    pub fn open_existing(&self) -> anyhow::Result<SqliteStore> {
        let path = self.db_path()?;
        anyhow::ensure!(
            path.exists(),
            "no store at {} yet: `pelita ingest` creates it",
            path.display()
        );
        open_at(&path)
    }

    /// Opens the store, creating it when it does not exist yet.
    pub fn open_or_create(&self) -> anyhow::Result<SqliteStore> {
        open_at(&self.db_path()?)
    }
}

/// The data directory (the archive, imported data) of `--data-dir` and
/// `--db`: the one given, else the folder of the store, else the default.
/// A store and its archive live together, whichever command reads them.
pub fn data_dir_of(data_dir: Option<&Path>, db: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(d) = data_dir {
        return Ok(d.to_path_buf());
    }
    if let Some(parent) = db.and_then(Path::parent) {
        return Ok(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        });
    }
    pelita_ingest::default_data_dir().context(
        "no data directory: give --data-dir or --db, or set PELITA_DATA_DIR, XDG_DATA_HOME or HOME",
    )
}

/// Opens (or creates) the store at `path`, saying which on failure.
pub fn open_at(path: &std::path::Path) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(path).with_context(|| format!("cannot open the store {}", path.display()))
}
