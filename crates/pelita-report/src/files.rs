//! Writing reports to a folder: one file per format, plus the CSV and STIX
//! appendices, written atomically (temporary file, then rename) so that a
//! reader never sees half a report. The JSON rendering and the appendices,
//! the largest files, are streamed to their files as they are rendered.

use std::io;
use std::path::{Path, PathBuf};

use crate::render::{self, Appendix, EMBED_MAX_BYTES, Format};
use crate::{CountryReport, Index, OperationReport, ReportError};

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp-pelita");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// A file being written, with a copy of its bytes kept while they are few
/// enough for the HTML rendering to embed (at most [`EMBED_MAX_BYTES`]).
/// Behind a [`io::BufWriter`]: it sees the large writes, not the renderers'
/// small ones.
struct Tee {
    file: std::fs::File,
    kept: Option<Vec<u8>>,
    len: usize,
}

impl io::Write for Tee {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write_all(buf)?;
        self.len += buf.len();
        if self.len > EMBED_MAX_BYTES {
            self.kept = None;
        } else if let Some(k) = &mut self.kept {
            k.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// An appendix written to a file: its bytes when small enough to embed.
struct Written {
    kept: Option<Vec<u8>>,
    len: usize,
}

impl Written {
    fn appendix(&self) -> Appendix<'_> {
        match &self.kept {
            Some(bytes) => Appendix::Embed(bytes),
            None => Appendix::Beside(self.len),
        }
    }
}

/// Writes `path` atomically from what `render` writes, keeping its bytes
/// when `keep` and they are few (see [`Tee`]).
fn stream(
    path: &Path,
    keep: bool,
    render: impl FnOnce(&mut io::BufWriter<Tee>) -> Result<(), ReportError>,
) -> Result<Written, ReportError> {
    let tmp = path.with_extension("tmp-pelita");
    let file = std::fs::File::create(&tmp).map_err(|e| io_err(path, e))?;
    let mut w = io::BufWriter::with_capacity(
        1 << 16,
        Tee {
            file,
            kept: keep.then(Vec::new),
            len: 0,
        },
    );
    let done = render(&mut w)
        .map_err(|e| match e {
            ReportError::Render(m) => {
                ReportError::Render(format!("cannot write {}: {m}", path.display()))
            }
            other => other,
        })
        .and_then(|()| w.into_inner().map_err(|e| io_err(path, e.into_error())))
        .and_then(|tee| {
            std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
            Ok(tee)
        });
    match done {
        Ok(tee) => Ok(Written {
            kept: tee.kept,
            len: tee.len,
        }),
        Err(e) => {
            // Nothing half-written is left behind (the error is the one to report).
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn io_err(path: &Path, e: io::Error) -> ReportError {
    ReportError::Render(format!("cannot write {}: {e}", path.display()))
}

fn put(dir: &Path, name: &str, bytes: &[u8], out: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let path = dir.join(name);
    write_atomic(&path, bytes).map_err(|e| io_err(&path, e))?;
    out.push(path);
    Ok(())
}

/// Writes a country report in `formats` as `CC.<ext>`, plus `CC.csv` and
/// `CC.stix.json`; returns the files written.
pub fn write_country(
    dir: &Path,
    r: &CountryReport,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let mut out = Vec::new();
    let cc = &r.country;
    // The appendices first, streamed: the HTML embeds the small ones.
    let html = formats.contains(&Format::Html);
    let (csv_path, stix_path) = (
        dir.join(format!("{cc}.csv")),
        dir.join(format!("{cc}.stix.json")),
    );
    let csv = stream(&csv_path, html, |w| render::write_csv(r, w))?;
    let stix = stream(&stix_path, html, |w| render::write_stix(r, w))?;
    for f in formats {
        let name = format!("{cc}.{}", f.extension());
        let bytes = match f {
            Format::Markdown => render::markdown(r).into_bytes(),
            Format::Html => render::html_with(r, csv.appendix(), stix.appendix())?.into_bytes(),
            Format::Json => {
                let path = dir.join(&name);
                stream(&path, false, |w| render::write_json(r, w))?;
                out.push(path);
                continue;
            }
            Format::Pdf => pdf_country(r)?,
        };
        put(dir, &name, &bytes, &mut out)?;
    }
    out.push(csv_path);
    out.push(stix_path);
    Ok(out)
}

/// Writes the index of country reports as `index.<ext>`.
pub fn write_index(
    dir: &Path,
    ix: &Index,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let mut out = Vec::new();
    for f in formats {
        let bytes = match f {
            Format::Markdown => render::index_markdown(ix).into_bytes(),
            Format::Html => render::index_html(ix).into_bytes(),
            Format::Json => render::json(ix)?.into_bytes(),
            // The index is a table of links: no PDF of it.
            Format::Pdf => continue,
        };
        put(dir, &format!("index.{}", f.extension()), &bytes, &mut out)?;
    }
    Ok(out)
}

/// Writes an operation report as `operation-<name>.<ext>`.
pub fn write_operation(
    dir: &Path,
    op: &OperationReport,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let mut out = Vec::new();
    let safe: String = op
        .operation
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    for f in formats {
        let bytes = match f {
            Format::Markdown => render::operation_markdown(op).into_bytes(),
            Format::Html => render::operation_html(op).into_bytes(),
            Format::Json => render::json(op)?.into_bytes(),
            Format::Pdf => pdf_operation(op)?,
        };
        put(
            dir,
            &format!("operation-{safe}.{}", f.extension()),
            &bytes,
            &mut out,
        )?;
    }
    Ok(out)
}

#[cfg(feature = "pdf")]
fn pdf_country(r: &CountryReport) -> Result<Vec<u8>, ReportError> {
    Ok(crate::pdf::country(r))
}

#[cfg(not(feature = "pdf"))]
fn pdf_country(_: &CountryReport) -> Result<Vec<u8>, ReportError> {
    Err(ReportError::Render(
        "this build has no PDF support (feature `pdf`)".into(),
    ))
}

#[cfg(feature = "pdf")]
fn pdf_operation(op: &OperationReport) -> Result<Vec<u8>, ReportError> {
    Ok(crate::pdf::operation(op))
}

#[cfg(not(feature = "pdf"))]
fn pdf_operation(_: &OperationReport) -> Result<Vec<u8>, ReportError> {
    Err(ReportError::Render(
        "this build has no PDF support (feature `pdf`)".into(),
    ))
}
