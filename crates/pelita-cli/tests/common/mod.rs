//! What the end-to-end tests share: a temporary folder (kept when a test
//! fails, for looking at), and the real `pelita` binary run inside a folder
//! of its own (no data directory from the environment; `HOME` and
//! `XDG_DATA_HOME` point into the folder, so nothing leaks out of it).

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared by several test binaries, each using a part; tests: a panic is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh folder under the system's temporary folder, removed on drop
/// unless the test is failing.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A folder named after the test binary, `tag`, the process and a counter.
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "pelita-cli-{}-{tag}-{}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The `pelita` binary with `args`, run in `cwd`, its output captured.
pub fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pelita"));
    c.args(args)
        .current_dir(cwd)
        .env_remove("PELITA_DATA_DIR")
        .env("HOME", cwd)
        .env("XDG_DATA_HOME", cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs [`command`] to the end.
pub fn pelita(cwd: &Path, args: &[&str]) -> Output {
    command(cwd, args).output().unwrap()
}

/// Output as text (it must be UTF-8).
pub fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
