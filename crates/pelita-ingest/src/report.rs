//! What became of a submission: the report ingest returns.

use std::collections::BTreeMap;

use pelita_model::{IndicatorKind, Problem, Severity};
use serde::Serialize;

/// How many locations are kept per error code, for the summary.
pub const FIRST_LOCATIONS: usize = 3;

/// How many errors a report lists with their locations, in the order they
/// were found (every code together). A partner fixing a package needs
/// every bad record, not three per kind; past this many the package is
/// broken as a whole and the rest are counted (`unlisted`), so that a
/// report stays small enough to store and send whatever the input.
pub const MAX_LOCATED: usize = 1_000;

/// One archived file of a submission with several parts (a MISP feed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartReport {
    /// The file name inside the submitted directory.
    pub name: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Errors of one code: how many, and the first few.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCount {
    /// How many errors had this code.
    pub count: u64,
    /// The first [`FIRST_LOCATIONS`] of them, with location and message.
    pub first: Vec<Problem>,
}

/// The report on one submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubmissionReport {
    /// The submission's name (the path given, or `-`).
    pub name: String,
    /// SHA-256 of the submission (for a MISP feed, of its archived part list).
    pub sha256: String,
    /// Size in bytes (for a MISP feed, of all parts).
    pub size: u64,
    /// The bytes were archived before (nothing was rewritten).
    pub already_archived: bool,
    /// The archived files, for a submission of several parts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartReport>,
    /// The format read (`stix`, `csv:urlhaus`…); absent when none could be chosen.
    pub format: Option<String>,
    /// Why that format (`JSON with "type": "bundle"`, `chosen with --format`).
    pub reason: Option<String>,
    /// Observations the parser produced.
    pub observations: u64,
    /// Records written (observations that canonicalised).
    pub records: u64,
    /// Records by indicator kind.
    pub by_kind: BTreeMap<IndicatorKind, u64>,
    /// Unsupported content (counted, not an error), by problem code.
    pub unsupported: BTreeMap<String, u64>,
    /// Errors, by problem code.
    pub errors: BTreeMap<String, ErrorCount>,
    /// Every error in the order found, with code, message and location, up
    /// to [`MAX_LOCATED`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub located: Vec<Problem>,
    /// Errors found after the first [`MAX_LOCATED`]: counted in `errors`,
    /// not listed in `located`.
    #[serde(skip_serializing_if = "is_zero")]
    pub unlisted: u64,
    /// Warnings (the record was used).
    pub warnings: u64,
}

impl SubmissionReport {
    /// Counts a problem.
    pub fn add_problem(&mut self, problem: Problem) {
        match problem.severity {
            Severity::Unsupported => *self.unsupported.entry(problem.code).or_insert(0) += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Error => {
                let e = self.errors.entry(problem.code.clone()).or_default();
                e.count += 1;
                if e.first.len() < FIRST_LOCATIONS {
                    e.first.push(problem.clone());
                }
                if self.located.len() < MAX_LOCATED {
                    self.located.push(problem);
                } else {
                    self.unlisted += 1;
                }
            }
        }
    }

    /// Errors of every code.
    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|e| e.count).sum()
    }

    /// Unsupported items of every code.
    pub fn unsupported_count(&self) -> u64 {
        self.unsupported.values().sum()
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Sums over several submissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Submissions ingested.
    pub submissions: u64,
    /// Of which already archived.
    pub already_archived: u64,
    /// Bytes.
    pub bytes: u64,
    /// Records written.
    pub records: u64,
    /// Records by kind.
    pub by_kind: BTreeMap<IndicatorKind, u64>,
    /// Errors.
    pub errors: u64,
    /// Warnings.
    pub warnings: u64,
    /// Unsupported items.
    pub unsupported: u64,
}

impl Totals {
    /// Adds one submission's report.
    pub fn add(&mut self, r: &SubmissionReport) {
        self.submissions += 1;
        self.already_archived += u64::from(r.already_archived);
        self.bytes += r.size;
        self.records += r.records;
        for (k, n) in &r.by_kind {
            *self.by_kind.entry(*k).or_insert(0) += n;
        }
        self.errors += r.error_count();
        self.warnings += r.warnings;
        self.unsupported += r.unsupported_count();
    }
}
