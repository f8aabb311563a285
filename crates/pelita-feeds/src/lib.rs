//! Feed presets and line-oriented formats for Pelita.
//!
//! Three ways to read a feed, all streaming from an [`std::io::BufRead`] in
//! bounded memory and all sending raw [`pelita_model::Observation`]s and
//! located [`pelita_model::Problem`]s to a [`pelita_model::Sink`]:
//!
//! - [`parse_preset`] with a [`Preset`]: the public feeds Pelita knows —
//!   URLhaus, Feodo Tracker, ThreatFox, Spamhaus DROP/EDROP and ASN-DROP,
//!   PhishTank, OpenPhish (free list and commercial JSON Lines), and the
//!   Shadowserver reports ([`ShadowserverReport`], old and new report names).
//!   [`detect_preset`] sniffs the first bytes of a submission for them.
//! - [`parse_csv`] with a [`CsvMapping`] (TOML or JSON): any CSV layout. The
//!   CSV presets are built-in mappings read by this same code.
//! - [`parse_list`]: one indicator per line, with comments.
//!
//! Values are passed on **as written** (defanged, upper-case, with
//! whitespace trimmed): canonicalisation is a later stage. Obvious composite
//! cells are split (`1.2.3.4:443` into value and port, `a|b` cells where the
//! layout says so). Kinds are hints; `None` means "infer".
//!
//! Times without an offset are taken to be **UTC**, the zone every preset's
//! feed documents; a bare date is midnight UTC.
//!
//! Text must be UTF-8 (a BOM is skipped). A line that is not valid UTF-8 is
//! a located `feed.not-utf8` error and is skipped; it is never guessed as
//! Latin-1, because a mis-decoded indicator is worse than a reported one.
//!
//! Hints for the classifier: every observation carries `feed:<preset>`, and
//! where the feed says so `rsit:<class>="<type>"` (the ENISA / RSIT
//! reference taxonomy, e.g. `rsit:malicious-code="c2-server"`),
//! `feed-asn:<n>`, `feed-country:<cc>`, `feed-status:<status>` and
//! feed-specific facts such as `shadowserver:<report>` or `urlhaus-threat:<t>`.
//!
//! Nothing here panics on any input: the limits of
//! [`pelita_model::ParseContext`] (line length, record count, value length,
//! submission size, JSON depth) are enforced and each hit is a located problem.

mod json;
mod lines;
mod list;
mod mapping;
mod presets;
mod shadowserver;
mod timefmt;

use std::collections::BTreeMap;

use pelita_model::{Location, Observation, ParseContext, Problem, Severity, Sink};
use serde::{Deserialize, Serialize};

pub use list::parse_list;
pub use mapping::{ColumnMapping, ColumnRef, CsvMapping, Field, HeaderMode, parse_csv};
pub use presets::{Preset, detect_preset, parse_preset};
pub use shadowserver::ShadowserverReport;
pub use timefmt::{TimeFormat, TimeFormatError};

/// What went wrong before any input was read (a bad mapping, an unknown preset name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// A mapping file is invalid.
    #[error("invalid CSV mapping: {0}")]
    Mapping(String),
    /// A time format in a mapping is invalid.
    #[error(transparent)]
    TimeFormat(#[from] TimeFormatError),
    /// No preset has this name.
    #[error("unknown feed preset {0:?} (see Preset::all)")]
    UnknownPreset(String),
}

/// What a parse did: rows read, observations sent, problems by code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Data rows (CSV rows, list lines, JSON entries) read, comments and blank lines excluded.
    pub rows: u64,
    /// Observations sent to the sink.
    pub observations: u64,
    /// Problems of severity error.
    pub errors: u64,
    /// Problems of any severity, by code.
    pub problems: BTreeMap<String, u64>,
}

impl Summary {
    /// How many problems had `code`.
    pub fn count(&self, code: &str) -> u64 {
        self.problems.get(code).copied().unwrap_or(0)
    }
}

/// A sink wrapper that counts, and enforces `max_records`.
pub(crate) struct Counting<'a> {
    sink: &'a mut dyn Sink,
    max_records: u64,
    pub(crate) summary: Summary,
    /// Set once `max_records` is hit: the parser must stop.
    pub(crate) stopped: bool,
}

impl<'a> Counting<'a> {
    pub(crate) fn new(sink: &'a mut dyn Sink, ctx: &ParseContext) -> Self {
        Counting {
            sink,
            max_records: ctx.limits.max_records,
            summary: Summary::default(),
            stopped: false,
        }
    }

    pub(crate) fn observation(&mut self, o: Observation) {
        self.summary.observations += 1;
        self.sink.observation(o);
    }

    pub(crate) fn problem(&mut self, p: Problem) {
        if p.severity == Severity::Error {
            self.summary.errors += 1;
        }
        *self.summary.problems.entry(p.code.clone()).or_insert(0) += 1;
        self.sink.problem(p);
    }

    /// Counts a data row; false (after reporting it) when over `max_records`.
    pub(crate) fn row(&mut self, loc: &Location) -> bool {
        if self.stopped {
            return false;
        }
        if self.summary.rows >= self.max_records {
            self.stopped = true;
            self.problem(Problem::error(
                "limit.too-many-records",
                format!(
                    "more than {} records; the rest of the submission is not read",
                    self.max_records
                ),
                loc.clone(),
            ));
            return false;
        }
        self.summary.rows += 1;
        true
    }
}
