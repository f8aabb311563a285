//! `pelita extract`: the indicators in a prose report, with where they are.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use pelita_extract::ProseFormat;
use pelita_model::{Collect, Indicator, ParseContext, ParseOptions, Severity};
use serde::Serialize;

/// Find indicators in a prose report (text, Markdown, HTML).
///
/// Prints one line per indicator found, in order: kind, canonical value,
/// and where it is (line:column and byte offset); defanged notations are
/// recognised, and the classic false positives (file names, version
/// numbers, hashes inside longer hex runs) are suppressed by documented
/// rules. Nothing is stored: use `pelita ingest --format text` for that.
///
/// Exit status: 0 when the file was read, 1 when some of it could not be
/// (a line too long, bytes that are not UTF-8), 2 on usage errors.
///
/// Examples:
///
///   pelita extract report.txt
///
///   pelita extract --json --format html advisory.html
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The report; `-` reads standard input.
    #[arg(default_value = "-")]
    file: PathBuf,
    /// One JSON object per indicator: kind, value, key, text as written, line, column, offset, context.
    #[arg(long)]
    json: bool,
    /// text, markdown, html, or auto (decide from the content).
    #[arg(long, default_value = "auto", value_parser = ["auto", "text", "markdown", "html"])]
    format: String,
}

#[derive(Serialize)]
struct Found<'a> {
    kind: Option<pelita_model::IndicatorKind>,
    value: String,
    key: Option<String>,
    text: &'a str,
    line: Option<u64>,
    column: Option<u64>,
    offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let format = match args.format.as_str() {
        "text" => ProseFormat::Text,
        "markdown" => ProseFormat::Markdown,
        "html" => ProseFormat::Html,
        _ => ProseFormat::Auto,
    };
    let name = args.file.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.file).with_context(|| format!("cannot open {name}"))?,
        ))
    };
    let mut sink = Collect::default();
    let summary = pelita_extract::extract(
        reader,
        format,
        &ParseContext::named(name.as_str()),
        &mut sink,
    );
    let mut out = String::new();
    for o in &sink.observations {
        let canonical = Indicator::parse(&o.value, o.kind, &ParseOptions::default()).ok();
        let value = canonical
            .as_ref()
            .map_or_else(|| o.value.clone(), |c| c.indicator.value());
        let loc = &o.location;
        if args.json {
            let found = Found {
                kind: o.kind,
                value,
                key: canonical.map(|c| c.indicator.key()),
                text: &o.value,
                line: loc.line,
                column: loc.column,
                offset: loc.offset,
                context: o.context.as_deref(),
            };
            let _ = writeln!(out, "{}", serde_json::to_string(&found)?);
        } else {
            let kind = o.kind.map_or("?", |k| k.as_str());
            let _ = writeln!(
                out,
                "{kind}\t{value}\t{}:{}\t(byte {})",
                loc.line.unwrap_or(0),
                loc.column.unwrap_or(0),
                loc.offset.unwrap_or(0)
            );
        }
    }
    super::output::print(&out)?;
    for p in &sink.problems {
        eprintln!("pelita extract: {p}");
    }
    let by_kind: Vec<String> = summary
        .by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    eprintln!(
        "pelita extract: {} indicators ({}) in {} lines; {} suppressed as likely false positives",
        summary.observations,
        if by_kind.is_empty() {
            "none".to_owned()
        } else {
            by_kind.join(", ")
        },
        summary.lines,
        summary.suppressed.values().sum::<u64>()
    );
    let failed =
        sink.problems.iter().any(|p| p.severity == Severity::Error) || summary.stopped.is_some();
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
