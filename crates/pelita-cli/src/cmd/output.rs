//! Writing to standard output, where a closed pipe (`pelita stats | head`)
//! is a normal end, not an error and never a panic (`println!` panics on it).

use std::io::{self, IsTerminal as _, Write as _};

use indicatif::{ProgressBar, ProgressStyle};

/// Writes `text` to standard output; a closed pipe is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A progress bar (or, with `len` 0 and `{spinner}` in `template`, a
/// spinner) on standard error; hidden when standard error is not a
/// terminal, so that logs and pipes get no control characters.
pub fn progress_bar(len: u64, template: &str) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    ProgressBar::new(len).with_style(style)
}
