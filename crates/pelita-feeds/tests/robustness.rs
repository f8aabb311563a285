//! No input makes a parser panic; limits hold; a big feed streams.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a panic is a failed test"
)]

use std::io::{self, BufReader, Read};

use pelita_feeds::{CsvMapping, Preset, detect_preset, parse_csv, parse_list, parse_preset};
use pelita_model::{Observation, ParseContext, Problem, Sink};
use proptest::prelude::*;

/// Counts without keeping anything.
#[derive(Default)]
struct Count {
    observations: u64,
    problems: u64,
}

impl Sink for Count {
    fn observation(&mut self, _: Observation) {
        self.observations += 1;
    }
    fn problem(&mut self, _: Problem) {
        self.problems += 1;
    }
}

fn small_ctx() -> ParseContext {
    let mut ctx = ParseContext::default();
    ctx.limits.max_line_bytes = 64;
    ctx.limits.max_value_bytes = 16;
    ctx.limits.max_records = 20;
    ctx.limits.max_json_depth = 4;
    ctx.limits.max_submission_bytes = 4000;
    ctx
}

fn mapping() -> CsvMapping {
    CsvMapping::from_toml(
        r#"
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
        "#,
    )
    .unwrap()
}

fn every_parser(bytes: &[u8]) {
    let presets = [
        "urlhaus",
        "feodotracker",
        "threatfox",
        "spamhaus-drop",
        "spamhaus-asndrop",
        "phishtank",
        "openphish",
        "shadowserver",
        "shadowserver:scan_ssl",
        "shadowserver:sandbox_dns",
        "shadowserver:phish_url",
    ];
    for ctx in [ParseContext::default(), small_ctx()] {
        let mut sink = Count::default();
        parse_list(bytes, &ctx, &mut sink);
        parse_csv(&mapping(), bytes, &ctx, &mut sink);
        for p in presets {
            let preset: Preset = p.parse().unwrap();
            parse_preset(preset, bytes, &ctx, &mut sink);
            // Tiny reads: the JSON scanner and the line reader across buffer edges.
            parse_preset(preset, BufReader::with_capacity(3, bytes), &ctx, &mut sink);
        }
    }
    let _ = detect_preset(bytes);
}

fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop::sample::select(vec![
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        "\"",
        "\\",
        "\"ip_address\"",
        "\"ioc_value\"",
        "\"url\"",
        "\"details\"",
        "1",
        "null",
        " ",
        "\n",
        "\"1.2.3.4:80\"",
        "\"2024-01-01\"",
        "\u{e9}",
        "#",
        ";",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat().into_bytes())
}

fn csv_ish() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop::sample::select(vec![
        "# url,seen,port,t\n",
        "\"",
        ",",
        "\r\n",
        "\n",
        "http://a/b",
        "1.2.3.4:99",
        "2024-01-01 00:00:00",
        "-",
        ".",
        "|",
        "ip:port",
        "md5_hash",
        "\u{feff}",
        " ; x",
        "\"timestamp\",\"ip\"\n",
        "\u{fffd}",
    ]);
    (
        prop::collection::vec(atoms, 0..60),
        prop::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(|(v, junk)| {
            let mut b = v.concat().into_bytes();
            b.extend(junk);
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        every_parser(&bytes);
    }

    #[test]
    fn json_shaped_input_never_panics(bytes in json_ish()) {
        every_parser(&bytes);
    }

    #[test]
    fn csv_shaped_input_never_panics(bytes in csv_ish()) {
        every_parser(&bytes);
    }
}

/// Generates `rows` URLhaus rows on the fly, never holding them.
struct Generated {
    rows: u64,
    next: u64,
    pending: Vec<u8>,
    pos: usize,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.pending.len() {
            if self.next > self.rows {
                return Ok(0);
            }
            self.pending.clear();
            self.pos = 0;
            if self.next == 0 {
                self.pending.extend_from_slice(b"# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n");
            } else {
                let n = self.next;
                self.pending.extend_from_slice(
                    format!("\"{n}\",\"2024-01-01 00:00:00\",\"http://h{n}.example/x\",\"online\",\"\",\"malware_download\",\"elf,mozi\",\"https://urlhaus.abuse.ch/url/{n}/\",\"r\"\n").as_bytes(),
                );
            }
            self.next += 1;
        }
        let src = &self.pending[self.pos..];
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn a_million_rows_stream_in_bounded_memory() {
    // The input is generated lazily and the sink keeps nothing: memory use
    // is the line buffer, whatever the number of rows.
    let rows = 1_000_000;
    let input = BufReader::new(Generated {
        rows,
        next: 0,
        pending: Vec::new(),
        pos: 0,
    });
    let mut sink = Count::default();
    let s = parse_preset(Preset::Urlhaus, input, &ParseContext::default(), &mut sink);
    assert_eq!(s.rows, rows);
    assert_eq!(sink.observations, rows);
    assert_eq!(sink.problems, 0);
}

#[test]
fn limits_are_located_problems() {
    let mut ctx = ParseContext::named("big.txt");
    ctx.limits.max_value_bytes = 15;
    ctx.limits.max_records = 2;
    let mut sink = pelita_model::Collect::default();
    let s = parse_list(
        &b"short.example\nwaytoolong.example\nx.example\ny.example\n"[..],
        &ctx,
        &mut sink,
    );
    assert_eq!(s.count("limit.value-too-long"), 1);
    assert_eq!(s.count("limit.too-many-records"), 1);
    assert_eq!(sink.problems[0].location.line, Some(2));
    assert_eq!(sink.problems[1].location.line, Some(3));

    let mut ctx = ParseContext::default();
    ctx.limits.max_json_depth = 3;
    let mut sink = pelita_model::Collect::default();
    let s = parse_preset(
        Preset::PhishTank,
        &br#"[{"url":"http://a.example/","details":[[[[1]]]]},{"url":"http://b.example/"}]"#[..],
        &ctx,
        &mut sink,
    );
    assert_eq!(s.count("limit.too-deep"), 1);
    assert_eq!(s.observations, 1);
    assert_eq!(sink.problems[0].location.pointer.as_deref(), Some("/0"));

    let mut ctx = ParseContext::default();
    ctx.limits.max_submission_bytes = 20;
    let mut sink = pelita_model::Collect::default();
    let s = parse_list(
        &b"a.example\nb.example\nc.example\nd.example\n"[..],
        &ctx,
        &mut sink,
    );
    assert_eq!(s.count("limit.too-large"), 1);
    assert!(s.observations < 4);
}
