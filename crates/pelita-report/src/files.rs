//! Writing reports to a folder: one file per format, plus the CSV and STIX
//! appendices, written atomically (temporary file, then rename) so that a
//! reader never sees half a report.

use std::io;
use std::path::{Path, PathBuf};

use crate::render::{self, Format};
use crate::{CountryReport, Index, OperationReport, ReportError};

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp-pelita");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
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
    let csv = render::csv(r);
    let stix = render::stix(r)?;
    for f in formats {
        let bytes = match f {
            Format::Markdown => render::markdown(r).into_bytes(),
            Format::Html => render::html_with(r, &csv, &stix)?.into_bytes(),
            Format::Json => render::json(r)?.into_bytes(),
            Format::Pdf => pdf_country(r)?,
        };
        put(dir, &format!("{cc}.{}", f.extension()), &bytes, &mut out)?;
    }
    put(dir, &format!("{cc}.csv"), csv.as_bytes(), &mut out)?;
    put(dir, &format!("{cc}.stix.json"), stix.as_bytes(), &mut out)?;
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
