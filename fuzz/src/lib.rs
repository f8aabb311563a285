//! Fuzz targets for Pelita's parsers.
//!
//! Every target is a plain `fn(&[u8])` here; `fuzz_targets/<name>.rs` wraps
//! it in `libfuzzer_sys::fuzz_target!` for `cargo fuzz`, and the `#[test]`
//! below runs all of them on stable (no sanitizer, no libFuzzer) over
//! `regressions/<name>/*`, `seeds/<name>/*`, and a few hundred seeded
//! random and mutated inputs, so CI keeps them building and keeps every saved
//! crash fixed:
//!
//! ```sh
//! cargo test --manifest-path fuzz/Cargo.toml               # CI smoke
//! RUSTC_BOOTSTRAP=1 cargo fuzz run stix_bundle fuzz/corpus/stix_bundle fuzz/seeds/stix_bundle -- -max_total_time=60
//! ```
//!
//! Observations produced by the document parsers are canonicalised through
//! [`Indicator::parse`] in the sink, as the pipeline does, so the targets
//! also fuzz canonicalisation with realistic values.

use pelita_feeds::{CsvMapping, Preset};
use pelita_model::{
    Indicator, IndicatorKind, Limits, Observation, ParseContext, ParseOptions, Problem, Sink,
};

/// A fuzz target: a function of arbitrary bytes that must not panic.
pub type Target = fn(&[u8]);

/// Every target, by name (the names of `fuzz_targets/*.rs`).
pub const TARGETS: &[(&str, Target)] = &[
    ("indicator_parse", indicator_parse),
    ("refang", refang),
    ("stix_bundle", stix_bundle),
    ("stix_pattern", stix_pattern),
    ("misp_event", misp_event),
    ("feeds_list", feeds_list),
    ("feeds_preset", feeds_preset),
    ("feeds_csv_mapping", feeds_csv_mapping),
    ("extract_prose", extract_prose),
    ("ingest_detect", ingest_detect),
];

/// A sink that canonicalises every observation (as the pipeline's next
/// stage does) and counts.
#[derive(Default)]
struct Canonicalise {
    observations: u64,
    canonical: u64,
    problems: u64,
}

impl Sink for Canonicalise {
    fn observation(&mut self, o: Observation) {
        self.observations += 1;
        if Indicator::parse(&o.value, o.kind, &ParseOptions::default()).is_ok() {
            self.canonical += 1;
        }
    }
    fn problem(&mut self, _p: Problem) {
        self.problems += 1;
    }
}

/// The contexts each document parser is run with: defaults, strict, and
/// tiny limits (so the limit paths are reached by small inputs).
fn contexts() -> [ParseContext; 3] {
    let tiny = Limits {
        max_submission_bytes: 4096,
        max_json_depth: 6,
        max_line_bytes: 128,
        max_records: 4,
        max_value_bytes: 48,
    };
    [
        ParseContext::named("fuzz"),
        ParseContext {
            strict: true,
            ..ParseContext::named("fuzz")
        },
        ParseContext {
            limits: tiny,
            ..ParseContext::named("fuzz")
        },
    ]
}

/// Whether `indicator_parse` checks that canonical forms re-parse to
/// themselves: on unless `PELITA_FUZZ_IDEMPOTENCE=0`, both under `cargo fuzz`
/// and in the stable smoke test.
fn check_idempotence() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("PELITA_FUZZ_IDEMPOTENCE").map_or(true, |v| v != "0"))
}

/// `Indicator::parse` with the kind inferred, with every kind, and with a
/// default region; with [`check_idempotence`], a value that parses must
/// re-parse to itself from its canonical text (the "one canonical form"
/// promise).
pub fn indicator_parse(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let plain = ParseOptions::default();
    let region = ParseOptions {
        default_region: Some("DE".to_owned()),
    };
    for options in [&plain, &region] {
        let kinds = std::iter::once(None).chain(IndicatorKind::ALL.iter().copied().map(Some));
        for kind in kinds {
            if let Ok(c) = Indicator::parse(s, kind, options) {
                let text = c.indicator.value();
                let _ = c.indicator.key();
                let _ = c.indicator.defang();
                let _ = c.indicator.domain();
                let _ = c.indicator.ip();
                if !check_idempotence() {
                    continue;
                }
                match Indicator::parse(&text, Some(c.indicator.kind()), options) {
                    Ok(again) => assert_eq!(
                        again.indicator, c.indicator,
                        "canonical form {text:?} of {s:?} ({kind:?}) re-parses differently"
                    ),
                    Err(e) => {
                        panic!("canonical form {text:?} of {s:?} ({kind:?}) does not re-parse: {e}")
                    }
                }
            }
        }
    }
}

/// `refang` on arbitrary UTF-8.
pub fn refang(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let out = pelita_model::refang(s);
        let _ = pelita_model::refang(&out);
    }
}

/// `pelita_stix::parse` on arbitrary bytes, in one pass and in two (the
/// learning pass first, as an archived bundle is read): the same number of
/// observations and the same summary either way, the learning pass adding
/// context only.
pub fn stix_bundle(data: &[u8]) {
    for ctx in contexts() {
        let mut sink = Canonicalise::default();
        let summary = pelita_stix::parse(data, &ctx, &mut sink);
        assert_eq!(summary.observations, sink.observations);
        let mut twice = Canonicalise::default();
        let again = pelita_stix::parse_reopen(|| Ok(data), &ctx, &mut twice);
        assert_eq!(again, summary);
        assert_eq!(
            (twice.observations, twice.canonical, twice.problems),
            (sink.observations, sink.canonical, sink.problems)
        );
    }
}

/// `parse_pattern` on arbitrary UTF-8, and reduction of what parses.
pub fn stix_pattern(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = pelita_stix::parse_pattern(s) {
        let r = pelita_stix::reduce::reduce(&p);
        for c in &r.candidates {
            let _ = Indicator::parse(&c.value, c.kind, &ParseOptions::default());
        }
    }
}

/// `pelita_misp::parse` on arbitrary bytes.
pub fn misp_event(data: &[u8]) {
    for ctx in contexts() {
        let mut sink = Canonicalise::default();
        let _ = pelita_misp::parse(data, &ctx, &mut sink);
    }
}

/// `pelita_extract::extract` on arbitrary bytes, as text, Markdown and HTML:
/// every reported observation must re-parse as the kind it was given.
pub fn extract_prose(data: &[u8]) {
    use pelita_extract::ProseFormat;
    for format in [
        ProseFormat::Text,
        ProseFormat::Markdown,
        ProseFormat::Html,
        ProseFormat::Auto,
    ] {
        for ctx in contexts() {
            let mut sink = pelita_model::Collect::default();
            let _ = pelita_extract::extract(data, format, &ctx, &mut sink);
            for o in &sink.observations {
                assert!(
                    Indicator::parse(&o.value, o.kind, &ParseOptions::default()).is_ok(),
                    "extracted {:?} ({:?}) does not parse",
                    o.value,
                    o.kind
                );
            }
        }
    }
}

/// `pelita_ingest::detect` on arbitrary bytes, with and without a file name.
pub fn ingest_detect(data: &[u8]) {
    let _ = pelita_ingest::detect(data, None);
    let _ = pelita_ingest::detect(data, Some(std::path::Path::new("submission.json")));
}

/// `parse_list` on arbitrary bytes.
pub fn feeds_list(data: &[u8]) {
    for ctx in contexts() {
        let mut sink = Canonicalise::default();
        let summary = pelita_feeds::parse_list(data, &ctx, &mut sink);
        assert_eq!(summary.observations, sink.observations);
    }
}

/// `parse_preset`: the first byte picks the preset (of `Preset::all()`), the
/// rest is the feed; `detect_preset` on the same bytes.
pub fn feeds_preset(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let presets = Preset::all();
    let Some(&preset) = presets.get(usize::from(first) % presets.len()) else {
        return;
    };
    let _ = pelita_feeds::detect_preset(rest);
    for ctx in contexts() {
        let mut sink = Canonicalise::default();
        let summary = pelita_feeds::parse_preset(preset, rest, &ctx, &mut sink);
        assert_eq!(summary.observations, sink.observations);
    }
}

/// A fixed mapping exercising split cells, optional columns, ports and kinds.
const MAPPING: &str = r#"
header = "commented"
flexible = true
[[columns]]
column = ["url", "ip"]
field = "value"
split = "|"
[[columns]]
column = 1
field = "first-seen"
optional = true
[[columns]]
column = "port"
field = "port"
optional = true
[[columns]]
column = "t"
field = "kind"
optional = true
"#;

/// `CsvMapping::from_toml` / `from_json` and `parse_csv`. Input up to the
/// first NUL byte is a mapping (TOML, else JSON), the rest is the CSV; with
/// no NUL, or a mapping that does not load, the whole input is read as CSV
/// with a fixed mapping.
pub fn feeds_csv_mapping(data: &[u8]) {
    let (mapping, csv) = match data.iter().position(|&b| b == 0) {
        Some(i) => {
            let (m, rest) = data.split_at(i);
            let rest = rest.get(1..).unwrap_or_default();
            let text = String::from_utf8_lossy(m);
            match CsvMapping::from_toml(&text).or_else(|_| CsvMapping::from_json(&text)) {
                Ok(m) => (Some(m), rest),
                Err(_) => (None, data),
            }
        }
        None => (None, data),
    };
    let mapping = match mapping {
        Some(m) => m,
        None => match CsvMapping::from_toml(MAPPING) {
            Ok(m) => m,
            Err(e) => panic!("the fixed mapping does not load: {e}"),
        },
    };
    for ctx in contexts() {
        let mut sink = Canonicalise::default();
        let summary = pelita_feeds::parse_csv(&mapping, csv, &ctx, &mut sink);
        assert_eq!(summary.observations, sink.observations);
    }
}

/// For the non-fuzzing build of `fuzz_targets/*`: runs `target` over every
/// file named on the command line (a reproducer for saved crashes).
pub fn reproduce(target: fn(&[u8])) {
    let mut n = 0;
    for arg in std::env::args_os().skip(1) {
        match std::fs::read(&arg) {
            Ok(bytes) => {
                eprintln!("running {}", arg.to_string_lossy());
                target(&bytes);
                n += 1;
            }
            Err(e) => eprintln!("{}: {e}", arg.to_string_lossy()),
        }
    }
    eprintln!("{n} input(s) ran without a crash");
}

#[cfg(test)]
mod tests {
    use super::TARGETS;
    use std::path::{Path, PathBuf};

    /// xorshift64*: a deterministic generator, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        v.sort();
        v
    }

    /// Bytes that matter to the formats: structure, defanging, separators.
    const DICT: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b":",
        b",",
        b"\n",
        b"\r\n",
        b"\\u0000",
        b"\\ud800",
        b"[.]",
        b"(dot)",
        b"hxxp://",
        b"://",
        b"@",
        b"/",
        b"|",
        b"'",
        b"#",
        b"\xef\xbb\xbf",
        b"\xff",
        b"\0",
        b"1e999",
        b"-0",
        b"99999999999999999999",
        b"null",
        b"true",
        b"\"objects\":",
        b"\"Attribute\":",
        b"\"type\":\"indicator\"",
        b"AND",
        b" OR ",
        b"t'",
    ];

    /// A random edit of `seed`: byte flips, inserted tokens, cuts, splices.
    fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..=rng.below(8) {
            let at = rng.below(v.len() + 1);
            match rng.below(5) {
                0 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v[i] ^= 1 << rng.below(8);
                }
                1 => {
                    let tok = DICT[rng.below(DICT.len())];
                    v.splice(at..at, tok.iter().copied());
                }
                2 => v.truncate(at),
                3 if !v.is_empty() => {
                    let end = (at + rng.below(64)).min(v.len());
                    v.drain(at..end);
                }
                _ => {
                    let end = (at + rng.below(256)).min(v.len());
                    let chunk = v[at..end].to_vec();
                    let to = rng.below(v.len() + 1);
                    v.splice(to..to, chunk);
                }
            }
        }
        v
    }

    /// Every target over its regressions and seeds, then 300 inputs each:
    /// mutated seeds and random bytes.
    #[test]
    fn every_target_survives_regressions_seeds_and_random_inputs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let rounds: usize = std::env::var("PELITA_FUZZ_SMOKE_ROUNDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300);
        for (i, &(name, target)) in TARGETS.iter().enumerate() {
            let mut seeds = Vec::new();
            for dir in ["regressions", "seeds"] {
                for path in files(&root.join(dir).join(name)) {
                    let bytes = std::fs::read(&path).unwrap();
                    eprintln!("{name}: {}", path.display());
                    target(&bytes);
                    seeds.push(bytes);
                }
            }
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
            for round in 0..rounds {
                let input = if !seeds.is_empty() && round % 4 != 3 {
                    let seed = &seeds[rng.below(seeds.len())];
                    mutate(seed, &mut rng)
                } else {
                    let len = rng.below(if round % 2 == 0 { 16 } else { 512 });
                    (0..len).map(|_| rng.next() as u8).collect()
                };
                // A failing input is printed so it can be saved under regressions/.
                if std::panic::catch_unwind(|| target(&input)).is_err() {
                    let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
                    panic!("{name} panicked on input (hex) {hex}");
                }
            }
        }
    }
}
