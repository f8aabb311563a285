//! MISP feed directories: `manifest.json`, `<uuid>.json`, `hashes.csv`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use pelita_model::{Location, ParseContext, Problem, Sink};
use serde::Serialize;

use crate::{MispError, Summary, json, reader::short};

/// What a feed directory held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedSummary {
    /// Event UUIDs the manifest lists, in its order.
    pub manifest_events: Vec<String>,
    /// Listed events whose file was read without an error.
    pub events_read: u64,
    /// Listed events whose file is missing or unreadable.
    pub missing: Vec<String>,
    /// Listed events whose file had at least one error.
    pub broken: Vec<String>,
    /// `<uuid>.json` files the manifest does not list (reported, not read).
    pub unlisted: Vec<String>,
    /// Rows in `hashes.csv` (0 when there is none).
    pub hash_rows: u64,
    /// Everything read from the event files.
    pub summary: Summary,
}

/// Whether `s` is a UUID (`8-4-4-4-12` hex digits); anything else could name
/// a path outside the feed directory.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8usize, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Checks a file's size against `max_submission_bytes` before it is read.
fn check_size(path: &Path, ctx: &ParseContext) -> Result<(), MispError> {
    let io = |e: std::io::Error| MispError::Io(path.display().to_string(), e.to_string());
    let len = std::fs::metadata(path).map_err(io)?.len();
    let max = ctx.limits.max_submission_bytes;
    if len > max {
        return Err(MispError::TooLarge(len, max));
    }
    Ok(())
}

/// Reads a file, refusing one over `max_submission_bytes`.
fn read_limited(path: &Path, ctx: &ParseContext) -> Result<Vec<u8>, MispError> {
    check_size(path, ctx)?;
    std::fs::read(path).map_err(|e| MispError::Io(path.display().to_string(), e.to_string()))
}

fn report(sink: &mut dyn Sink, summary: &mut Summary, e: &MispError, at: Location) {
    match e.severity() {
        pelita_model::Severity::Error => summary.errors += 1,
        pelita_model::Severity::Warning => summary.warnings += 1,
        pelita_model::Severity::Unsupported => {}
    }
    sink.problem(Problem::new(e.severity(), e.code(), e.to_string(), at));
}

/// The event UUIDs a manifest lists, in order.
fn manifest_uuids(bytes: &[u8], ctx: &ParseContext) -> Result<Vec<String>, MispError> {
    if json::too_deep(bytes, ctx.limits.max_json_depth).is_some() {
        return Err(MispError::TooDeep(ctx.limits.max_json_depth));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Keys only, sorted; values skipped (a manifest entry is only a summary).
    let map: std::collections::BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(bytes).map_err(|e| MispError::BadManifest(e.to_string()))?;
    Ok(map.into_keys().collect())
}

/// Reads a MISP feed directory: every event the `manifest.json` lists (from
/// `<uuid>.json`), then checks `hashes.csv` when there is one.
///
/// A missing or broken event file is a located problem and the feed goes on;
/// a missing or unreadable manifest is a problem and nothing is read. Event
/// files are read whole (each is one submission) and parsed with [`parse`](crate::parse),
/// with the event file's path as the location's file.
pub fn parse_feed_dir(dir: &Path, ctx: &ParseContext, sink: &mut dyn Sink) -> FeedSummary {
    let mut out = FeedSummary::default();
    let manifest_path = dir.join("manifest.json");
    let manifest_name: Arc<str> = manifest_path.display().to_string().into();
    let manifest_loc = Location::in_file(manifest_name.clone());
    let uuids = match read_limited(&manifest_path, ctx).and_then(|b| manifest_uuids(&b, ctx)) {
        Ok(u) => u,
        Err(e) => {
            report(sink, &mut out.summary, &e, manifest_loc);
            return out;
        }
    };
    let mut listed = BTreeSet::new();
    for uuid in uuids {
        let at = manifest_loc.clone().with_pointer("").child(&uuid);
        if !is_uuid(&uuid) {
            report(
                sink,
                &mut out.summary,
                &MispError::BadFeedUuid(short(&uuid)),
                at,
            );
            continue;
        }
        out.manifest_events.push(uuid.clone());
        listed.insert(uuid.to_ascii_lowercase());
        let path = dir.join(format!("{uuid}.json"));
        if !path.is_file() {
            report(
                sink,
                &mut out.summary,
                &MispError::MissingEventFile(uuid.clone()),
                at,
            );
            out.missing.push(uuid);
            continue;
        }
        match check_size(&path, ctx) {
            Ok(()) => {}
            Err(e) => {
                report(
                    sink,
                    &mut out.summary,
                    &e,
                    Location::in_file(path.display().to_string()),
                );
                out.missing.push(uuid);
                continue;
            }
        };
        let event_ctx = ParseContext {
            file: Some(path.display().to_string().into()),
            ..ctx.clone()
        };
        // Event files are streamed from disk, never held whole.
        let summary = crate::parse_reopen(|| std::fs::File::open(&path), &event_ctx, sink);
        if summary.errors > 0 {
            out.broken.push(uuid.clone());
        } else {
            out.events_read += 1;
        }
        if !summary
            .event_uuids
            .iter()
            .any(|u| u.eq_ignore_ascii_case(&uuid))
        {
            let found = summary
                .event_uuids
                .first()
                .cloned()
                .unwrap_or_else(|| "none".to_owned());
            let e = MispError::UuidMismatch(uuid.clone(), found);
            report(sink, &mut out.summary, &e, event_ctx.location());
        }
        out.summary.merge(summary);
    }
    // Event files the manifest does not list.
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut unlisted: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let stem = name.strip_suffix(".json")?;
                (is_uuid(stem) && !listed.contains(&stem.to_ascii_lowercase()))
                    .then(|| stem.to_owned())
            })
            .collect();
        unlisted.sort();
        for u in &unlisted {
            let at = Location::in_file(dir.join(format!("{u}.json")).display().to_string());
            report(
                sink,
                &mut out.summary,
                &MispError::UnlistedEvent(u.clone()),
                at,
            );
        }
        out.unlisted = unlisted;
    }
    let hashes = dir.join("hashes.csv");
    if hashes.is_file() {
        read_hashes(&hashes, ctx, &listed, sink, &mut out);
    }
    out
}

/// Checks and counts `hashes.csv` rows: `<md5 of an attribute value>,<event uuid>`.
fn read_hashes(
    path: &Path,
    ctx: &ParseContext,
    listed: &BTreeSet<String>,
    sink: &mut dyn Sink,
    out: &mut FeedSummary,
) {
    let file: Arc<str> = path.display().to_string().into();
    let bytes = match read_limited(path, ctx) {
        Ok(b) => b,
        Err(e) => {
            report(sink, &mut out.summary, &e, Location::in_file(file));
            return;
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut unlisted_reported = BTreeSet::new();
    for (i, row) in reader.byte_records().enumerate() {
        let line = row
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 1, |p| p.line());
        let at = Location::in_file(file.clone()).with_line(line);
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                report(
                    sink,
                    &mut out.summary,
                    &MispError::BadHashRow(e.to_string()),
                    at,
                );
                continue;
            }
        };
        out.hash_rows += 1;
        let field = |n: usize| {
            row.get(n)
                .map(|f| String::from_utf8_lossy(f).trim().to_owned())
                .unwrap_or_default()
        };
        let (hash, event) = (field(0), field(1));
        let hash_ok = hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if row.len() != 2 || !hash_ok || !is_uuid(&event) {
            let shown = short(&String::from_utf8_lossy(row.as_slice()));
            report(sink, &mut out.summary, &MispError::BadHashRow(shown), at);
            continue;
        }
        let event = event.to_ascii_lowercase();
        if !listed.contains(&event) && unlisted_reported.insert(event.clone()) {
            report(
                sink,
                &mut out.summary,
                &MispError::HashForUnlistedEvent(event),
                at,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(is_uuid("56bf399d-c46c-4fdb-a9cf-d9bb02de0b81"));
        assert!(!is_uuid("../../etc/passwd"));
        assert!(!is_uuid("56bf399d-c46c-4fdb-a9cf-d9bb02de0b8"));
        assert!(!is_uuid(""));
    }
}
