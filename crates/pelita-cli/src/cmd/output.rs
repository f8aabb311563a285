//! Writing to standard output, where a closed pipe (`pelita stats | head`)
//! is a normal end, not an error and never a panic (`println!` panics on it).

use std::io::{self, Write as _};

/// Writes `text` to standard output; a closed pipe is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
