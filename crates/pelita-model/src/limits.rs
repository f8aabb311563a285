//! Size and depth limits that every parser enforces, and the context a parser runs in.
//!
//! Untrusted input never gets to decide how much memory or time Pelita
//! spends: each limit, when hit, is a located [`crate::Problem`] with a clear
//! message, and what was accepted before it stays accepted.
//!
//! Every parser reports a limit with the same code, whatever the format, so
//! that a report, a script or the CLI's hint ("raise it with `--max-…`")
//! need one table: `limit.too-large` (`max_submission_bytes`),
//! `limit.too-deep` (`max_json_depth`), `limit.line-too-long`
//! (`max_line_bytes`; also a JSON feed entry longer than it),
//! `limit.too-many-records` (`max_records`) and `limit.value-too-long`
//! (`max_value_bytes`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Location;

/// Limits on one submission. The defaults suit a fusion centre's packages
/// (multi-gigabyte feeds allowed, pathological nesting not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest submission accepted, in bytes (default 8 GiB).
    pub max_submission_bytes: u64,
    /// Deepest JSON nesting accepted (default 64; STIX and MISP need under 10).
    pub max_json_depth: usize,
    /// Longest line accepted in line-based formats, in bytes (default 1 MiB).
    pub max_line_bytes: usize,
    /// Most records (STIX objects, MISP attributes, CSV rows) in one submission (default 100 million).
    pub max_records: u64,
    /// Longest single value (an indicator, a pattern) in bytes (default 64 KiB).
    pub max_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_submission_bytes: 8 << 30,
            max_json_depth: 64,
            max_line_bytes: 1 << 20,
            max_records: 100_000_000,
            max_value_bytes: 64 << 10,
        }
    }
}

/// What a parser knows about the submission it reads.
#[derive(Debug, Clone, Default)]
pub struct ParseContext {
    /// The submission's name, put into every [`Location`].
    pub file: Option<Arc<str>>,
    /// The limits to enforce.
    pub limits: Limits,
    /// Strict mode: specification violations are errors that drop the record
    /// (instead of warnings that keep it).
    pub strict: bool,
}

impl ParseContext {
    /// A context for the named submission with default limits, lenient.
    pub fn named(file: impl Into<Arc<str>>) -> Self {
        ParseContext {
            file: Some(file.into()),
            ..Self::default()
        }
    }

    /// A location in this submission with nothing else known.
    pub fn location(&self) -> Location {
        Location {
            file: self.file.clone(),
            ..Location::default()
        }
    }
}
