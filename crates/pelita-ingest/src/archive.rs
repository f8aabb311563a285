//! The content-addressed archive: every submission, verbatim, before it is parsed.
//!
//! Layout: `<data-dir>/archive/<first 2 hex digits>/<64 hex digits of the SHA-256>`.
//! [`Archive::put`] streams the input through a SHA-256 hasher while copying
//! it to a temporary file in the archive directory (same file system), syncs
//! it, then renames it into place: a reader never sees a half-written file,
//! and a crash leaves at most a `.tmp-*` file behind, never a wrong one.
//! Putting the same bytes twice gives the same path and does not rewrite
//! the file ([`Stored::new`] is false the second time). Archived files are
//! made read-only.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The name of the archive directory inside the data directory.
pub const ARCHIVE_DIR: &str = "archive";
/// The prefix of temporary files inside the archive directory.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Why a submission could not be archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The input is over the submission size limit; nothing was kept.
    #[error(
        "the submission is larger than the limit of {limit} bytes (Limits::max_submission_bytes); nothing was archived"
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The input could not be read.
    #[error("cannot read {name}: {source}")]
    Read {
        /// The submission's name.
        name: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The archive could not be written.
    #[error("cannot write to the archive at {}: {source}", path.display())]
    Write {
        /// The file or directory that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// Where a submission was archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stored {
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// The archived file.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// False when the same bytes were already archived (nothing was rewritten).
    pub new: bool,
}

/// What [`Archive::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verified {
    /// The bytes hash to their name.
    Intact {
        /// Their size.
        size: u64,
    },
    /// No archived copy.
    Missing,
    /// The bytes hash to something else: the copy was changed.
    Altered {
        /// What they hash to now.
        actual: String,
        /// Their size now.
        size: u64,
    },
}

/// The content-addressed archive in a data directory.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
}

/// The default data directory: `$PELITA_DATA_DIR`, else
/// `$XDG_DATA_HOME/pelita`, else `~/.local/share/pelita`; `None` when none
/// of these variables is set.
pub fn default_data_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("PELITA_DATA_DIR") {
        return Some(d);
    }
    if let Some(d) = var("XDG_DATA_HOME").filter(|d| d.is_absolute()) {
        return Some(d.join("pelita"));
    }
    var("HOME").map(|h| h.join(".local/share/pelita"))
}

/// A unique name for a temporary file or directory.
pub(crate) fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{n}-{nanos}", std::process::id())
}

/// Removes a temporary file when dropped, unless disarmed.
struct TempGuard {
    path: Option<PathBuf>,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = fs::remove_file(p);
        }
    }
}

impl Archive {
    /// Opens (creating it if needed) the archive of the data directory `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Archive, ArchiveError> {
        let root = data_dir.join(ARCHIVE_DIR);
        fs::create_dir_all(&root).map_err(|source| ArchiveError::Write {
            path: root.clone(),
            source,
        })?;
        Ok(Archive { root })
    }

    /// The archive directory (`<data-dir>/archive`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The data directory the archive is in.
    pub fn data_dir(&self) -> &Path {
        self.root.parent().unwrap_or(&self.root)
    }

    /// Where the submission with this SHA-256 is (or would be) archived;
    /// `None` unless `sha256` is 64 lower-case hex digits.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let prefix = sha256.get(..2)?;
        ok.then(|| self.root.join(prefix).join(sha256))
    }

    /// Reads the archived copy of the submission with this SHA-256 again
    /// and says whether its bytes still hash to it, calling `progress` with
    /// each chunk's length (the check reads every byte; a store's archive
    /// can be gigabytes).
    pub fn verify(
        &self,
        sha256: &str,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Verified, ArchiveError> {
        let Some(path) = self.path_of(sha256) else {
            return Ok(Verified::Missing);
        };
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Verified::Missing),
            Err(source) => {
                return Err(ArchiveError::Read {
                    name: path.display().to_string(),
                    source,
                });
            }
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ArchiveError::Read {
                        name: path.display().to_string(),
                        source,
                    });
                }
            };
            hasher.update(buf.get(..n).unwrap_or_default());
            size += n as u64;
            progress(n as u64);
        }
        let actual = pelita_model::hash::to_hex(&hasher.finalize());
        Ok(if actual == sha256 {
            Verified::Intact { size }
        } else {
            Verified::Altered { actual, size }
        })
    }

    /// Everything in the archive directory: the SHA-256 of every archived
    /// copy (sorted), and the temporary files a stopped `put` left behind.
    pub fn list(&self) -> Result<(Vec<String>, Vec<PathBuf>), ArchiveError> {
        let read = |dir: &Path| {
            fs::read_dir(dir).map_err(|source| ArchiveError::Read {
                name: dir.display().to_string(),
                source,
            })
        };
        let entry = |e: io::Result<fs::DirEntry>, dir: &Path| {
            e.map(|e| e.path()).map_err(|source| ArchiveError::Read {
                name: dir.display().to_string(),
                source,
            })
        };
        let (mut copies, mut temps) = (Vec::new(), Vec::new());
        for e in read(&self.root)? {
            let path = entry(e, &self.root)?;
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.starts_with(TEMP_PREFIX) {
                temps.push(path);
                continue;
            }
            if !path.is_dir() {
                continue;
            }
            for e in read(&path)? {
                let file = entry(e, &path)?;
                match file.file_name().and_then(|n| n.to_str()) {
                    Some(n) if self.path_of(n).as_ref() == Some(&file) => copies.push(n.to_owned()),
                    Some(n) if n.starts_with(TEMP_PREFIX) => temps.push(file.clone()),
                    _ => {}
                }
            }
        }
        copies.sort();
        temps.sort();
        Ok((copies, temps))
    }

    /// Whether the submission with this SHA-256 is archived.
    pub fn contains(&self, sha256: &str) -> bool {
        self.path_of(sha256).is_some_and(|p| p.is_file())
    }

    /// Archives everything `reader` yields, refusing more than `max_bytes`.
    ///
    /// The input is hashed while it is copied (never read whole into
    /// memory), synced to disk, and renamed into place atomically.
    pub fn put(&self, mut reader: impl Read, max_bytes: u64) -> Result<Stored, ArchiveError> {
        let temp = self.root.join(format!("{TEMP_PREFIX}{}", unique_suffix()));
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ArchiveError::Write { path, source }
        };
        let mut file = File::create(&temp).map_err(write_err(&temp))?;
        let mut guard = TempGuard {
            path: Some(temp.clone()),
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ArchiveError::Read {
                        name: "the input".into(),
                        source,
                    });
                }
            };
            size += n as u64;
            if size > max_bytes {
                return Err(ArchiveError::TooLarge { limit: max_bytes });
            }
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            file.write_all(chunk).map_err(write_err(&temp))?;
        }
        file.sync_all().map_err(write_err(&temp))?;
        drop(file);
        let sha256 = pelita_model::hash::to_hex(&hasher.finalize());
        let dir = self.root.join(sha256.get(..2).unwrap_or("00"));
        let path = dir.join(&sha256);
        if path.is_file() {
            // Same bytes, same name: keep the file already there.
            return Ok(Stored {
                sha256,
                path,
                size,
                new: false,
            });
        }
        fs::create_dir_all(&dir).map_err(write_err(&dir))?;
        let mut perms = fs::metadata(&temp).map_err(write_err(&temp))?.permissions();
        perms.set_readonly(true);
        fs::set_permissions(&temp, perms).map_err(write_err(&temp))?;
        fs::rename(&temp, &path).map_err(write_err(&path))?;
        guard.path = None;
        // Make the rename durable; not every platform can sync a directory.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(Stored {
            sha256,
            path,
            size,
            new: true,
        })
    }

    /// Archives the file at `path`, refusing one over `max_bytes`.
    pub fn put_file(&self, path: &Path, max_bytes: u64) -> Result<Stored, ArchiveError> {
        let read_err = |source| ArchiveError::Read {
            name: path.display().to_string(),
            source,
        };
        let file = File::open(path).map_err(read_err)?;
        let len = file.metadata().map_err(read_err)?.len();
        if len > max_bytes {
            return Err(ArchiveError::TooLarge { limit: max_bytes });
        }
        self.put(file, max_bytes).map_err(|e| match e {
            ArchiveError::Read { source, .. } => read_err(source),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_of_checks_the_digest() {
        let a = Archive {
            root: PathBuf::from("/d/archive"),
        };
        assert!(a.path_of("xyz").is_none());
        assert!(a.path_of(&"A".repeat(64)).is_none());
        assert_eq!(
            a.path_of(&"ab".repeat(32)),
            Some(PathBuf::from(format!("/d/archive/ab/{}", "ab".repeat(32))))
        );
    }

    /// A copy is intact until a byte of it changes or it goes.
    #[test]
    fn verify_reads_the_copy_again() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(dir.path()).unwrap();
        let stored = a.put(&b"198.51.100.7\n"[..], 1 << 20).unwrap();
        let mut read = 0;
        assert_eq!(
            a.verify(&stored.sha256, &mut |n| read += n).unwrap(),
            Verified::Intact { size: 13 }
        );
        assert_eq!(read, 13);
        let mut perms = fs::metadata(&stored.path).unwrap().permissions();
        #[allow(
            clippy::permissions_set_readonly_false,
            reason = "the test alters the copy"
        )]
        perms.set_readonly(false);
        fs::set_permissions(&stored.path, perms).unwrap();
        fs::write(&stored.path, b"198.51.100.8\n").unwrap();
        assert!(matches!(
            a.verify(&stored.sha256, &mut |_| {}).unwrap(),
            Verified::Altered { size: 13, .. }
        ));
        assert_eq!(a.list().unwrap(), (vec![stored.sha256.clone()], Vec::new()));
        fs::write(a.root().join(".tmp-1-2-3"), b"half").unwrap();
        assert_eq!(a.list().unwrap().1, vec![a.root().join(".tmp-1-2-3")]);
        fs::remove_file(&stored.path).unwrap();
        assert!(a.list().unwrap().0.is_empty());
        assert_eq!(
            a.verify(&stored.sha256, &mut |_| {}).unwrap(),
            Verified::Missing
        );
        assert_eq!(
            a.verify("not a digest", &mut |_| {}).unwrap(),
            Verified::Missing
        );
    }
}
