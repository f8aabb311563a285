//! Format detection: what a submission is, and why Pelita thinks so.
//!
//! [`detect`] looks at the first [`HEAD_BYTES`] of a submission (and at its
//! name, for `.md`/`.html`, and at whether it is a directory) and returns a
//! [`Detection`]: the [`Format`] chosen and a short reason a person can
//! check, such as `JSON with "type": "bundle"`. The rules, in order:
//!
//! 1. a directory with `manifest.json` is a MISP feed;
//! 2. a UTF-16 or UTF-32 byte-order mark, or NUL bytes, is an error (convert
//!    to UTF-8); a UTF-8 byte-order mark is skipped; blank input is an empty list;
//! 3. JSON (first character `{` or `[`): STIX when `"type": "bundle"`, MISP
//!    when there is an `"Event"`, `"response"`, `"Attribute"` or `"Object"` key, STIX
//!    when there is `"spec_version"` or an `"id"` with `--`, a known feed
//!    ([`pelita_feeds::detect_preset`]), STIX when a `"type"` is a STIX
//!    object name; several JSON objects on their own lines are JSON Lines;
//! 4. XML is an error (STIX 1 and other XML are not read);
//! 5. HTML (`<!doctype`, `<html`) and file names ending in `.md`,
//!    `.markdown`, `.html`, `.htm` are prose (`text`);
//! 6. a known feed layout ([`pelita_feeds::detect_preset`]);
//! 7. lines: when most data lines (comments and blank lines aside) are one
//!    comma- or tab-separated row, a CSV of unknown layout is an error (give
//!    a preset or a mapping); when most are one or two tokens, a plain
//!    list; otherwise prose (`text`).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use pelita_feeds::{CsvMapping, Preset};

/// How much of a submission detection looks at.
pub const HEAD_BYTES: usize = 64 << 10;

/// A format Pelita can read.
#[derive(Debug, Clone)]
pub enum Format {
    /// STIX 2.x JSON (bundle, objects, JSON Lines): [`pelita_stix::parse`].
    Stix,
    /// One MISP JSON document: [`pelita_misp::parse`].
    Misp,
    /// A MISP feed directory: [`pelita_misp::parse_feed_dir`].
    MispFeed,
    /// A known feed (CSV, JSON or text): [`pelita_feeds::parse_preset`].
    Feed(Preset),
    /// CSV read with a mapping file: [`pelita_feeds::parse_csv`].
    Csv(Arc<NamedMapping>),
    /// One indicator per line: [`pelita_feeds::parse_list`].
    List,
    /// Prose (plain text, Markdown, HTML) for indicator extraction.
    Text,
}

/// A CSV mapping and the file it came from.
#[derive(Debug, Clone)]
pub struct NamedMapping {
    /// The mapping file as given.
    pub name: String,
    /// The mapping.
    pub mapping: CsvMapping,
}

impl fmt::Display for Format {
    /// The name used by `--format`: `stix`, `misp`, `misp-feed`, `csv:urlhaus`,
    /// `csv:my-mapping.toml`, `list`, `text`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Stix => f.write_str("stix"),
            Format::Misp => f.write_str("misp"),
            Format::MispFeed => f.write_str("misp-feed"),
            Format::Feed(p) => write!(f, "csv:{p}"),
            Format::Csv(m) => write!(f, "csv:{}", m.name),
            Format::List => f.write_str("list"),
            Format::Text => f.write_str("text"),
        }
    }
}

/// The format chosen for a submission, and why.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The format.
    pub format: Format,
    /// Why, for a person: `JSON with "type": "bundle"`, `chosen with --format`.
    pub reason: String,
}

impl fmt::Display for Detection {
    /// `stix (JSON with "type": "bundle")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.format, self.reason)
    }
}

/// Why a submission's format could not be detected (or cannot be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DetectError {
    /// The problem code: `ingest.utf16`, `ingest.binary`, `ingest.unknown-json`,
    /// `ingest.unknown-csv`, `ingest.unsupported-format`, `ingest.not-a-feed`.
    pub code: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

impl DetectError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        DetectError {
            code,
            message: message.into(),
        }
    }
}

/// The `--format` choice: detect, or a fixed format.
#[derive(Debug, Clone, Default)]
pub enum FormatChoice {
    /// Detect the format of each submission.
    #[default]
    Auto,
    /// Read every submission as this format.
    Fixed(Format),
}

/// A `--format` value that names no format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Not a format name.
    #[error(
        "unknown format {0:?} (expected auto, stix, misp, misp-feed, csv:PRESET, csv:MAPPING.toml, csv:MAPPING.json, list or text)"
    )]
    Unknown(String),
    /// `csv:` with something that is neither a preset nor a readable mapping file.
    #[error("csv:{0}: not a feed preset, and the mapping file cannot be read: {1}")]
    Mapping(String, String),
}

impl FormatChoice {
    /// Reads a `--format` value; `csv:FILE` reads and checks the mapping file.
    pub fn parse(spec: &str) -> Result<FormatChoice, FormatError> {
        let s = spec.trim();
        let fixed = match s.to_ascii_lowercase().as_str() {
            "auto" => return Ok(FormatChoice::Auto),
            "stix" | "stix2" => Format::Stix,
            "misp" => Format::Misp,
            "misp-feed" => Format::MispFeed,
            "list" => Format::List,
            "text" | "prose" => Format::Text,
            _ => {
                let rest = s
                    .strip_prefix("csv:")
                    .or_else(|| s.strip_prefix("feed:"))
                    .ok_or_else(|| FormatError::Unknown(s.to_owned()))?;
                return csv_choice(rest).map(FormatChoice::Fixed);
            }
        };
        Ok(FormatChoice::Fixed(fixed))
    }

    /// Reads a format named by someone who must not reach the machine's
    /// files (an API caller): the same names as [`FormatChoice::parse`],
    /// but `csv:` takes only a feed preset, never a mapping file path.
    pub fn parse_untrusted(spec: &str) -> Result<FormatChoice, FormatError> {
        let s = spec.trim();
        if let Some(rest) = s.strip_prefix("csv:").or_else(|| s.strip_prefix("feed:")) {
            return Preset::from_str(rest)
                .map(|p| FormatChoice::Fixed(Format::Feed(p)))
                .map_err(|_| FormatError::Unknown(format!("{s} (csv: takes a feed preset here)")));
        }
        FormatChoice::parse(s)
    }
}

fn csv_choice(rest: &str) -> Result<Format, FormatError> {
    let lower = rest.to_ascii_lowercase();
    let looks_like_file = lower.ends_with(".toml") || lower.ends_with(".json");
    if !looks_like_file && let Ok(p) = Preset::from_str(rest) {
        return Ok(Format::Feed(p));
    }
    let bad = |m: String| FormatError::Mapping(rest.to_owned(), m);
    let text = std::fs::read_to_string(rest).map_err(|e| bad(e.to_string()))?;
    let mapping = if lower.ends_with(".json") {
        CsvMapping::from_json(&text)
    } else {
        CsvMapping::from_toml(&text)
    }
    .map_err(|e| bad(e.to_string()))?;
    Ok(Format::Csv(Arc::new(NamedMapping {
        name: rest.to_owned(),
        mapping,
    })))
}

/// STIX 2.1 object type names (SDOs, SROs, SCOs, meta objects).
const STIX_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
    "relationship",
    "sighting",
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
    "marking-definition",
    "language-content",
    "extension-definition",
];

/// Detects the format of a submission from its first bytes (`head`, up to
/// [`HEAD_BYTES`]) and its path or name. See the module docs for the rules.
pub fn detect(head: &[u8], path: Option<&Path>) -> Result<Detection, DetectError> {
    let ok = |format, reason: &str| {
        Ok(Detection {
            format,
            reason: reason.to_owned(),
        })
    };
    if let Some(p) = path
        && p.is_dir()
    {
        return if p.join("manifest.json").is_file() {
            ok(Format::MispFeed, "directory with manifest.json")
        } else {
            Err(DetectError::new(
                "ingest.not-a-feed",
                "a directory without manifest.json is not a MISP feed; give its files instead",
            ))
        };
    }
    if head.starts_with(&[0xFF, 0xFE, 0, 0]) || head.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(DetectError::new(
            "ingest.utf16",
            "UTF-32 input: convert to UTF-8",
        ));
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(DetectError::new(
            "ingest.utf16",
            "UTF-16 input: convert to UTF-8",
        ));
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if body.iter().all(u8::is_ascii_whitespace) {
        return ok(Format::List, "empty input");
    }
    if body.contains(&0) {
        return Err(DetectError::new(
            "ingest.binary",
            "binary input (NUL bytes): not a format Pelita reads (UTF-16 without a byte-order mark must be converted to UTF-8)",
        ));
    }
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return detect_json(trimmed, body);
    }
    let lower_start: String = trimmed
        .chars()
        .take(1024)
        .collect::<String>()
        .to_lowercase();
    if lower_start.starts_with("<?xml") {
        return Err(DetectError::new(
            "ingest.unsupported-format",
            "XML input (STIX 1.x or other XML) is not supported",
        ));
    }
    if lower_start.starts_with("<!doctype") || lower_start.contains("<html") {
        return ok(Format::Text, "HTML (<html>)");
    }
    let ext = path
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if let Some(e) = ext.as_deref()
        && matches!(e, "md" | "markdown" | "html" | "htm")
    {
        return Ok(Detection {
            format: Format::Text,
            reason: format!("file name ends in .{e}"),
        });
    }
    if let Some(p) = pelita_feeds::detect_preset(body) {
        return Ok(Detection {
            format: Format::Feed(p),
            reason: format!("layout of {}", p.description()),
        });
    }
    detect_lines(&text, head.len() >= HEAD_BYTES)
}

/// JSON: STIX, MISP, a known feed, or an error.
fn detect_json(text: &str, body: &[u8]) -> Result<Detection, DetectError> {
    let lines = if is_json_lines(text) {
        " (JSON Lines)"
    } else {
        ""
    };
    let found = |format, reason: &str| {
        Ok(Detection {
            format,
            reason: format!("{reason}{lines}"),
        })
    };
    if has_value(text, "type", |v| v == "bundle") {
        return found(Format::Stix, "JSON with \"type\": \"bundle\"");
    }
    if has_key(text, "Event") {
        return found(Format::Misp, "JSON with an \"Event\" object");
    }
    if has_key(text, "response") {
        return found(Format::Misp, "JSON with \"response\" (MISP restSearch)");
    }
    if has_key(text, "Attribute") {
        let why = if has_key(text, "info") {
            "JSON with \"info\" and \"Attribute\" (MISP event)"
        } else {
            "JSON with \"Attribute\" (MISP)"
        };
        return found(Format::Misp, why);
    }
    if has_key(text, "Object") {
        return found(Format::Misp, "JSON with \"Object\" (MISP objects)");
    }
    if has_key(text, "spec_version") {
        return found(Format::Stix, "JSON with \"spec_version\"");
    }
    if has_value(text, "id", |v| {
        v.split_once("--").is_some_and(|(t, _)| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
    }) {
        return found(Format::Stix, "JSON with an \"id\" of the form type--uuid");
    }
    if let Some(p) = pelita_feeds::detect_preset(body) {
        return Ok(Detection {
            format: Format::Feed(p),
            reason: format!("JSON of the {p} feed{lines}"),
        });
    }
    if has_value(text, "type", |v| {
        STIX_TYPES.contains(&v) || v.starts_with("x-")
    }) {
        return found(Format::Stix, "JSON with a STIX object \"type\"");
    }
    Err(DetectError::new(
        "ingest.unknown-json",
        "JSON that is neither STIX, MISP nor a known feed: choose --format",
    ))
}

/// Several complete JSON objects, one per line.
fn is_json_lines(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first_ok = lines.next().is_some_and(|l| {
        l.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(l).is_ok()
    });
    first_ok && lines.next().is_some_and(|l| l.starts_with('{'))
}

/// Positions just after each `"key"` followed by `:`.
fn key_positions<'t>(text: &'t str, key: &str) -> impl Iterator<Item = &'t str> + 't {
    let needle = format!("\"{key}\"");
    let mut from = 0usize;
    std::iter::from_fn(move || {
        loop {
            let rest = text.get(from..)?;
            let at = rest.find(&needle)?;
            from += at + needle.len();
            let after = text.get(from..)?.trim_start();
            if let Some(v) = after.strip_prefix(':') {
                return Some(v.trim_start());
            }
        }
    })
}

/// Whether `"key":` occurs.
fn has_key(text: &str, key: &str) -> bool {
    key_positions(text, key).next().is_some()
}

/// Whether `"key": "value"` occurs with a value `pred` accepts.
fn has_value(text: &str, key: &str, pred: impl Fn(&str) -> bool) -> bool {
    key_positions(text, key).any(|v| {
        v.strip_prefix('"')
            .and_then(|v| v.split_once('"'))
            .is_some_and(|(value, _)| pred(value))
    })
}

/// Lines: CSV of unknown layout, plain list, or prose.
fn detect_lines(text: &str, truncated: bool) -> Result<Detection, DetectError> {
    let mut lines: Vec<&str> = text.lines().collect();
    if truncated {
        lines.pop(); // possibly cut in the middle
    }
    let (mut data, mut tokens_ok, mut csv_like) = (0u64, 0u64, 0u64);
    for line in lines.iter().take(2000) {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') || l.starts_with("//") {
            continue;
        }
        data += 1;
        let value = l
            .split_once(" #")
            .or_else(|| l.split_once(" ;"))
            .map_or(l, |(v, _)| v);
        let tokens = value.split_whitespace().count();
        let separators = value.matches(',').count().max(value.matches('\t').count());
        if separators >= 2 || (separators == 1 && tokens == 1 && value.contains(',')) {
            csv_like += 1;
        } else if tokens <= 2 {
            tokens_ok += 1;
        }
    }
    if data == 0 {
        return Ok(Detection {
            format: Format::List,
            reason: "only comments and blank lines".into(),
        });
    }
    if csv_like * 3 >= data * 2 {
        return Err(DetectError::new(
            "ingest.unknown-csv",
            format!(
                "CSV of an unknown layout ({csv_like} of {data} data lines are separated rows): choose --format csv:PRESET or csv:MAPPING.toml"
            ),
        ));
    }
    if tokens_ok * 3 >= data * 2 {
        return Ok(Detection {
            format: Format::List,
            reason: format!("plain list: {tokens_ok} of {data} data lines are a single value"),
        });
    }
    Ok(Detection {
        format: Format::Text,
        reason: format!("prose: only {tokens_ok} of {data} data lines are a single value"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(head: &str) -> String {
        match detect(head.as_bytes(), None) {
            Ok(d) => d.format.to_string(),
            Err(e) => format!("error {}", e.code),
        }
    }

    #[test]
    fn json_shapes() {
        assert_eq!(fmt(r#"{"type": "bundle", "id": "bundle--1"}"#), "stix");
        assert_eq!(
            fmt(r#"[{"type":"indicator","spec_version":"2.1"}]"#),
            "stix"
        );
        assert_eq!(fmt(r#"{"type":"malware","id":"malware--31b9"}"#), "stix");
        assert_eq!(fmt(r#"{"Event": {"info": "x"}}"#), "misp");
        assert_eq!(fmt(r#"{"response": []}"#), "misp");
        assert_eq!(fmt(r#"{"info":"x","Attribute":[{"type":"url"}]}"#), "misp");
        assert_eq!(fmt(r#"{"a": 1}"#), "error ingest.unknown-json");
        assert_eq!(
            fmt("{\"type\":\"indicator\",\"id\":\"indicator--1\"}\n{\"type\":\"malware\"}\n"),
            "stix"
        );
        let d = detect(
            b"{\"type\":\"indicator\",\"id\":\"indicator--1\"}\n{\"type\":\"malware\"}\n",
            None,
        )
        .unwrap();
        assert!(d.reason.ends_with("(JSON Lines)"), "{}", d.reason);
    }

    #[test]
    fn encodings() {
        assert_eq!(fmt("\u{feff}{\"type\":\"bundle\"}"), "stix");
        let e = detect(&[0xFF, 0xFE, b'{', 0], None).unwrap_err();
        assert_eq!(e.message, "UTF-16 input: convert to UTF-8");
        assert_eq!(fmt("a\0b"), "error ingest.binary");
        assert_eq!(fmt(""), "list");
        assert!(detect(b"1.2.3.4\r\n\xff\xfe.example\r\nexample.org", None).is_ok());
    }

    #[test]
    fn lines_lists_prose_csv() {
        assert_eq!(
            fmt("# my list\n1.2.3.4\nexample.com # bad\nhxxp://x[.]y/z"),
            "list"
        );
        assert_eq!(
            fmt("The actor used example.com to host payloads.\nWe saw it on 1.2.3.4 last week.\n"),
            "text"
        );
        assert_eq!(fmt("<!DOCTYPE html><html><p>hi</p>"), "text");
        assert_eq!(fmt("a,b,c\n1,2,3\n4,5,6\n"), "error ingest.unknown-csv");
        assert_eq!(
            fmt("<?xml version=\"1.0\"?><stix:STIX_Package/>"),
            "error ingest.unsupported-format"
        );
        let md = detect(b"# Report\n\nSome words here.", Some(Path::new("r.md"))).unwrap();
        assert_eq!(md.format.to_string(), "text");
    }

    #[test]
    fn feeds_and_directories() {
        assert_eq!(
            fmt("; Spamhaus DROP List\n1.10.16.0/20 ; SBL256894\n"),
            "csv:spamhaus-drop"
        );
        assert_eq!(
            fmt(
                "# abuse.ch URLhaus Database Dump (CSV)\n# id,dateadded,url\n\"1\",\"2019-01-01 00:00:00\",\"http://x.example/\"\n"
            ),
            "csv:urlhaus"
        );
        let dir = std::env::temp_dir().join(format!("pelita-detect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let no_manifest = detect(b"", Some(&dir)).unwrap_err();
        assert_eq!(no_manifest.code, "ingest.not-a-feed");
        std::fs::write(dir.join("manifest.json"), "{}").unwrap();
        let d = detect(b"", Some(&dir)).unwrap();
        assert_eq!(d.to_string(), "misp-feed (directory with manifest.json)");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn format_choice() {
        assert!(matches!(
            FormatChoice::parse("auto"),
            Ok(FormatChoice::Auto)
        ));
        assert!(matches!(
            FormatChoice::parse("STIX"),
            Ok(FormatChoice::Fixed(Format::Stix))
        ));
        match FormatChoice::parse("csv:urlhaus") {
            Ok(FormatChoice::Fixed(f)) => assert_eq!(f.to_string(), "csv:urlhaus"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            FormatChoice::parse("yaml"),
            Err(FormatError::Unknown(_))
        ));
        assert!(matches!(
            FormatChoice::parse("csv:/nonexistent/m.toml"),
            Err(FormatError::Mapping(..))
        ));
    }
}
