//! Prose (plain text, Markdown, HTML): indicator extraction with
//! [`pelita_extract::extract`].
//!
//! The prose format is taken from the submission's name (`.md`,
//! `.markdown` → Markdown; `.html`, `.htm` → HTML) and otherwise left to
//! the extractor, which decides from the first bytes.

use std::io::BufRead;

use pelita_extract::ProseFormat;
use pelita_model::{ParseContext, Sink};

/// The prose format for a submission name.
fn prose_format(name: Option<&str>) -> ProseFormat {
    let ext = name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("md" | "markdown") => ProseFormat::Markdown,
        Some("html" | "htm") => ProseFormat::Html,
        _ => ProseFormat::Auto,
    }
}

/// Extracts indicators from prose into `sink`.
pub(crate) fn extract(input: impl BufRead, ctx: &ParseContext, sink: &mut dyn Sink) {
    let format = prose_format(ctx.file.as_deref());
    pelita_extract::extract(input, format, ctx, sink);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_name() {
        assert_eq!(prose_format(Some("a/report.MD")), ProseFormat::Markdown);
        assert_eq!(prose_format(Some("x.htm")), ProseFormat::Html);
        assert_eq!(prose_format(Some("notes.txt")), ProseFormat::Auto);
        assert_eq!(prose_format(None), ProseFormat::Auto);
    }
}
