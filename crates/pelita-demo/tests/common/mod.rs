//! Helpers shared by the scenario tests: parse a package with the
//! platform's parser for its format and canonicalise what comes out.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use pelita_demo::Package;
use pelita_model::{
    Canonical, Collect, Indicator, Observation, ParseContext, ParseOptions, Problem, Severity,
};

/// One package, parsed.
pub struct Parsed {
    /// Observations with their canonical form (`None`: it did not canonicalise).
    pub records: Vec<(Observation, Option<Canonical>)>,
    /// Problems of severity error or warning.
    pub problems: Vec<Problem>,
}

impl Parsed {
    /// Problems plus failed canonicalisations: the malformed records found.
    pub fn malformed(&self) -> usize {
        self.problems.len() + self.records.iter().filter(|r| r.1.is_none()).count()
    }
}

/// Parses a package with the parser for its format and canonicalises every observation.
pub fn parse(p: &Package) -> Parsed {
    let ctx = ParseContext::named(p.file_name.as_str());
    let mut sink = Collect::default();
    let bytes = p.bytes.as_slice();
    match p.format.as_str() {
        "stix" => {
            // Two passes, as an archived bundle is read (its relationships
            // come after the indicators they concern).
            pelita_stix::parse_reopen(|| Ok(bytes), &ctx, &mut sink);
        }
        "misp" => {
            pelita_misp::parse(bytes, &ctx, &mut sink);
        }
        "list" => {
            pelita_feeds::parse_list(bytes, &ctx, &mut sink);
        }
        "text" => {
            pelita_extract::extract(
                bytes,
                pelita_extract::ProseFormat::Markdown,
                &ctx,
                &mut sink,
            );
        }
        f => {
            let preset: pelita_feeds::Preset = f.strip_prefix("csv:").unwrap().parse().unwrap();
            pelita_feeds::parse_preset(preset, bytes, &ctx, &mut sink);
        }
    }
    let opts = ParseOptions::default();
    let records = sink
        .observations
        .into_iter()
        .map(|o| {
            let c = Indicator::parse(&o.value, o.kind, &opts).ok();
            (o, c)
        })
        .collect();
    let problems = sink
        .problems
        .into_iter()
        .filter(|p| matches!(p.severity, Severity::Error | Severity::Warning))
        .collect();
    Parsed { records, problems }
}
