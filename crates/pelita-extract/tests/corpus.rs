#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]
//! Precision and recall against third-party annotated cases and a seeded synthetic corpus.
//!
//! Conventions mapped (each side normalised through `Indicator::parse` keys):
//! - ioc-finder: its `domains` include the hosts of URLs and e-mail addresses
//!   (unless its options say not), so the hosts of our URLs/e-mails (our
//!   `related` values) are added to our domains. XMPP addresses are e-mail
//!   shaped and counted as e-mails; `imphashes` are MD5-shaped and counted as
//!   MD5. Excluded categories: domains it finds inside URL paths and query
//!   strings (`parse_from_url_path`: we report the URL only), domains that our
//!   rule 1 classifies as file names (`abc.py`: ioc-finder counts `.py` files
//!   as domains by design), and IPv4 addresses that are only the prefix of a
//!   CIDR it also reports. Kinds we do not extract (CVE, ATT&CK, registry
//!   keys, file paths, MAC, user agents, TLP, Google ids) are skipped.
//! - txt2stix: each Good/Bad line (and each YAML example) is a text of its
//!   own. A positive counts only if the model accepts it as the kind (v2 onion
//!   addresses, retired since 2021, are not); a negative counts only if the
//!   model rejects it outright; negatives that are valid indicators of the
//!   same kind (`subdomain.google.com` for "domain only", `1.1.1.2:80` for
//!   "IPv4 only", file-URL vs path-URL) are txt2stix's sub-type taxonomy,
//!   which Pelita does not have.

use std::collections::{BTreeMap, BTreeSet};

use pelita_extract::{Found, extract_str};
use pelita_model::{Indicator, IndicatorKind, ParseOptions};

#[derive(Default, Clone, Copy)]
struct Score {
    tp: u64,
    fp: u64,
    fn_: u64,
}

impl Score {
    fn precision(self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

type Table = BTreeMap<IndicatorKind, Score>;

fn key(kind: IndicatorKind, v: &str) -> String {
    match Indicator::parse(v, Some(kind), &ParseOptions::default()) {
        Ok(c) => c.indicator.key(),
        Err(_) => format!("{kind}:{v}"),
    }
}

fn found_key(f: &Found) -> String {
    format!("{}:{}", f.kind, f.value)
}

fn add(
    table: &mut Table,
    kind: IndicatorKind,
    expected: &BTreeSet<String>,
    got: &BTreeSet<String>,
) {
    let s = table.entry(kind).or_default();
    s.tp += expected.intersection(got).count() as u64;
    s.fp += got.difference(expected).count() as u64;
    s.fn_ += expected.difference(got).count() as u64;
    for m in expected.difference(got) {
        eprintln!("  miss {m}");
    }
    for m in got.difference(expected) {
        eprintln!("  extra {m}");
    }
}

fn print(title: &str, t: &Table) {
    println!("\n{title}");
    println!(
        "{:<10} {:>5} {:>5} {:>5} {:>9} {:>7}",
        "kind", "tp", "fp", "fn", "precision", "recall"
    );
    let mut all = Score::default();
    for (k, s) in t {
        println!(
            "{:<10} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            k.to_string(),
            s.tp,
            s.fp,
            s.fn_,
            s.precision(),
            s.recall()
        );
        all.tp += s.tp;
        all.fp += s.fp;
        all.fn_ += s.fn_;
    }
    println!(
        "{:<10} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
        "ALL",
        all.tp,
        all.fp,
        all.fn_,
        all.precision(),
        all.recall()
    );
}

fn ioc_finder_kind(name: &str) -> Option<IndicatorKind> {
    use IndicatorKind as K;
    Some(match name {
        "domains" => K::Domain,
        "urls" => K::Url,
        "ipv4s" => K::Ipv4,
        "ipv6s" => K::Ipv6,
        "ipv4_cidrs" => K::Cidr,
        "email_addresses" | "xmpp_addresses" => K::Email,
        "md5s" | "imphashes" => K::Md5,
        "sha1s" => K::Sha1,
        "sha256s" | "authentihashes" => K::Sha256,
        "sha512s" => K::Sha512,
        "asns" => K::Asn,
        "bitcoin_addresses" => K::Bitcoin,
        "monero_addresses" => K::Monero,
        "ethereum_addresses" => K::Ethereum,
        "ssdeeps" => K::Ssdeep,
        _ => return None,
    })
}

const FILE_TLDS_FOR_EXCLUSION: &[&str] = &["zip", "mov", "sh", "py", "rs", "pl", "pm", "ps", "md"];

fn ioc_finder() -> Option<Table> {
    let path = pelita_test_support::samples("ioc-finder/find_iocs_cases.json")?;
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut table = Table::new();
    let all_kinds: BTreeSet<IndicatorKind> = [
        "domains",
        "urls",
        "ipv4s",
        "ipv6s",
        "ipv4_cidrs",
        "email_addresses",
        "md5s",
        "sha1s",
        "sha256s",
        "sha512s",
        "asns",
        "bitcoin_addresses",
        "monero_addresses",
        "ssdeeps",
    ]
    .iter()
    .filter_map(|n| ioc_finder_kind(n))
    .collect();
    for case in &cases {
        let text = case["text"].as_str().unwrap();
        let opts = &case["options"];
        let included: Option<BTreeSet<IndicatorKind>> =
            opts["included_ioc_types"].as_array().map(|a| {
                a.iter()
                    .filter_map(|v| ioc_finder_kind(v.as_str()?))
                    .collect()
            });
        let from_url = opts["parse_domain_from_url"].as_bool().unwrap_or(true);
        let from_email = opts["parse_domain_from_email_address"]
            .as_bool()
            .unwrap_or(true);
        let found = extract_str(text);
        let mut got: BTreeMap<IndicatorKind, BTreeSet<String>> = BTreeMap::new();
        let mut url_texts = Vec::new();
        for f in &found {
            got.entry(f.kind).or_default().insert(found_key(f));
            let host_ok = match f.kind {
                IndicatorKind::Url => {
                    url_texts.push(f.value.clone());
                    from_url
                }
                IndicatorKind::Email => from_email,
                _ => false,
            };
            if host_ok
                && let Ok(c) = Indicator::parse(&f.value, Some(f.kind), &ParseOptions::default())
                && let Some(d) = c.indicator.domain()
            {
                got.entry(IndicatorKind::Domain)
                    .or_default()
                    .insert(format!("domain:{}", d.as_str()));
            }
        }
        let mut expected: BTreeMap<IndicatorKind, BTreeSet<String>> = BTreeMap::new();
        let exp = case["expected"].as_object().unwrap();
        let cidr_prefixes: BTreeSet<String> = exp
            .get("ipv4_cidrs")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str()?.split('/').next().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for (name, vals) in exp {
            let Some(kind) = ioc_finder_kind(name) else {
                continue;
            };
            for v in vals.as_array().into_iter().flatten() {
                let Some(v) = v.as_str() else { continue };
                if kind == IndicatorKind::Ipv4 && cidr_prefixes.contains(v) {
                    continue; // excluded: IPv4 only as a CIDR prefix
                }
                if kind == IndicatorKind::Domain {
                    let lower = v.to_ascii_lowercase();
                    let labels: Vec<&str> = lower.split('.').collect();
                    if labels.len() == 2 && FILE_TLDS_FOR_EXCLUSION.contains(labels.last().unwrap())
                    {
                        continue; // excluded: a file name by rule 1
                    }
                    let in_url_host = got
                        .get(&IndicatorKind::Domain)
                        .is_some_and(|d| d.contains(&format!("domain:{lower}")));
                    let in_url_path = url_texts.iter().any(|u| {
                        u.split_once("://")
                            .map_or(u.as_str(), |(_, r)| r)
                            .split_once('/')
                            .is_some_and(|(_, p)| p.to_ascii_lowercase().contains(&lower))
                    });
                    if in_url_path && !in_url_host {
                        continue; // excluded: inside a URL path (parse_from_url_path)
                    }
                }
                let k = key(kind, v);
                // Bucket by what the model makes of it (`1.2.3.4/32` is an address).
                let bucket = Indicator::parse(v, Some(kind), &ParseOptions::default())
                    .map_or(kind, |c| c.indicator.kind());
                expected.entry(bucket).or_default().insert(k);
            }
        }
        let kinds = included.unwrap_or_else(|| all_kinds.clone());
        for kind in kinds {
            let e = expected.remove(&kind).unwrap_or_default();
            let g = got.remove(&kind).unwrap_or_default();
            if e.is_empty() && g.is_empty() {
                continue;
            }
            eprintln!("ioc-finder {}", case["id"]);
            add(&mut table, kind, &e, &g);
        }
    }
    Some(table)
}

fn txt2stix_kind(name: &str) -> Option<IndicatorKind> {
    use IndicatorKind as K;
    Some(match name {
        "generic_ipv4_address_only" | "generic_ipv4_address_port" => K::Ipv4,
        "generic_ipv4_address_cidr" | "generic_ipv6_address_cidr" => K::Cidr,
        "generic_ipv6_address_only" | "generic_ipv6_address_port" => K::Ipv6,
        "generic_domain_name_only" | "generic_domain_name_subdomain" => K::Domain,
        "generic_url" | "generic_url_file" | "generic_url_path" => K::Url,
        "generic_email_address" => K::Email,
        "generic_file_hash_md5" => K::Md5,
        "generic_file_hash_sha_1" => K::Sha1,
        "generic_file_hash_sha_256" => K::Sha256,
        "generic_file_hash_sha_512" => K::Sha512,
        "generic_autonomous_system_number" => K::Asn,
        "generic_cryptocurrency_btc_wallet" => K::Bitcoin,
        _ => return None,
    })
}

/// Scores one example text: positive (expected to yield `kind`) or negative.
fn score_example(
    table: &mut Table,
    negatives: &mut (u64, u64),
    kind: IndicatorKind,
    ex: &str,
    positive: bool,
) {
    let ex = ex.trim();
    if ex.is_empty() {
        return;
    }
    let got: BTreeSet<String> = extract_str(ex)
        .iter()
        .filter(|f| f.kind == kind)
        .map(found_key)
        .collect();
    if positive {
        let Ok(c) = Indicator::parse(ex, None, &ParseOptions::default()) else {
            return; // the model does not take it for an indicator (v2 onion)
        };
        if c.indicator.kind() != kind {
            return;
        }
        eprintln!("txt2stix + {ex}");
        add(table, kind, &BTreeSet::from([c.indicator.key()]), &got);
    } else {
        match Indicator::parse(ex, None, &ParseOptions::default()) {
            Ok(c) if c.indicator.kind() == kind => return, // taxonomy difference
            _ => {}
        }
        negatives.0 += 1;
        if got.is_empty() {
            negatives.1 += 1;
        } else {
            eprintln!("txt2stix - {ex}");
            add(table, kind, &BTreeSet::new(), &got);
        }
    }
}

fn txt2stix() -> Option<(Table, (u64, u64))> {
    let dir = pelita_test_support::samples("txt2stix")?;
    let mut table = Table::new();
    let mut neg = (0, 0);
    for f in pelita_test_support::files_below(&dir.join("extraction-types")) {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let Some(kind) = txt2stix_kind(&name) else {
            continue;
        };
        let text = std::fs::read_to_string(&f).unwrap();
        let mut section = None;
        for line in text.lines() {
            match line.trim() {
                "====Good====" => section = Some(true),
                "====Bad====" => section = Some(false),
                l => {
                    if let Some(pos) = section {
                        score_example(&mut table, &mut neg, kind, l, pos);
                    }
                }
            }
        }
    }
    // test_cases.yaml: a minimal reader for its `type:` / `test_*_examples:` / `- 'x'` structure.
    let yaml = std::fs::read_to_string(dir.join("test_cases.yaml")).unwrap();
    let (mut kind, mut pos) = (None, true);
    for line in yaml.lines() {
        let t = line.trim_end();
        if t.starts_with('#') || t.trim().is_empty() {
            continue;
        }
        if !t.starts_with(' ') {
            kind = txt2stix_kind(t.trim_end_matches(':'));
        } else if t.trim() == "test_positive_examples:" {
            pos = true;
        } else if t.trim() == "test_negative_examples:" {
            pos = false;
        } else if let Some(item) = t.trim().strip_prefix("- ") {
            let item = item.split(" #").next().unwrap().trim();
            let item = item
                .strip_prefix('\'')
                .and_then(|i| i.strip_suffix('\''))
                .unwrap_or(item);
            if let Some(k) = kind {
                score_example(&mut table, &mut neg, k, item, pos);
            }
        }
    }
    Some((table, neg))
}

/// A tiny seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }
    fn word(&mut self) -> String {
        let n = 3 + self.below(8);
        (0..n)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }
}

/// Seeded prose with defanged indicators; returns the text and the truth (line, key).
pub fn synthetic(lines: usize, seed: u64) -> (String, BTreeSet<(usize, String)>) {
    let mut r = Rng(seed | 1);
    let mut out = String::new();
    let mut truth = BTreeSet::new();
    let fillers = [
        "The actor used",
        "We observed",
        "Analysts linked the campaign to",
        "Traffic was sent to",
        "The loader contacted",
        "Indicators include",
        "See also",
        "Blocked:",
        "In version 2.4 the malware used",
        "According to the report (published 10:30:00 UTC),",
        "The dropper, e.g. the second stage, fetched",
    ];
    let tails = [
        "during the intrusion.",
        "for command and control.",
        "as a fallback.",
        "(see CVE-2024-1135).",
        "while invoice.pdf and setup.exe were dropped.",
        "after version 1.2.3.4 shipped.",
        "and payload.dll, readme.md and build.sh ran.",
        "in the U.S. and elsewhere.",
    ];
    let tlds = [
        "com", "net", "org", "ru", "info", "xyz", "top", "co.uk", "io", "de",
    ];
    for line in 1..=lines {
        let mut s = format!("{} ", r.pick(&fillers));
        let n = 1 + r.below(3);
        for i in 0..n {
            let d = format!("{}.{}", r.word(), r.pick(&tlds));
            let defang = r.below(3) == 0;
            let (shown, truth_value): (String, String) = match r.below(12) {
                0 => (
                    if defang {
                        d.replace('.', "[.]")
                    } else {
                        d.clone()
                    },
                    d.clone(),
                ),
                1 => {
                    let u = format!(
                        "https://{d}/{}/{}.php?id={}",
                        r.word(),
                        r.word(),
                        r.below(999)
                    );
                    let shown = if defang {
                        u.replace("https", "hxxps")
                            .replace(&d, &d.replace('.', "[.]"))
                    } else {
                        u.clone()
                    };
                    (shown, u)
                }
                2 => {
                    let ip = format!(
                        "{}.{}.{}.{}",
                        11 + r.below(200),
                        r.below(256),
                        r.below(256),
                        1 + r.below(254)
                    );
                    (
                        if defang {
                            ip.replacen('.', "[.]", 3)
                        } else {
                            ip.clone()
                        },
                        ip,
                    )
                }
                3 => {
                    let e = format!("{}@{d}", r.word());
                    (
                        if defang {
                            e.replace('@', "[at]").replace('.', "[.]")
                        } else {
                            e.clone()
                        },
                        e,
                    )
                }
                4 => {
                    let h = r.hex(32);
                    (h.clone(), h)
                }
                5 => {
                    let h = r.hex(40);
                    (h.to_uppercase(), h)
                }
                6 => {
                    let h = r.hex(64);
                    (format!("SHA256:{h}"), h)
                }
                7 => {
                    let c = format!(
                        "{}.{}.{}.0/24",
                        11 + r.below(200),
                        r.below(256),
                        r.below(256)
                    );
                    (c.clone(), c)
                }
                8 => {
                    let a = format!("AS{}", 1 + r.below(400_000));
                    (a.clone(), a)
                }
                9 => {
                    let v6 = format!("2001:db8:{:x}::{:x}", r.below(65535), 1 + r.below(65535));
                    (v6.clone(), v6)
                }
                10 => {
                    let b = r.pick(&[
                        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
                        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                    ]);
                    (b.to_owned(), b.to_owned())
                }
                _ => {
                    let u = format!("http://{d}:8080/gate");
                    (
                        format!(
                            "`{}`",
                            if defang {
                                u.replace("http", "hxxp")
                            } else {
                                u.clone()
                            }
                        ),
                        u,
                    )
                }
            };
            let wrap = r.below(4);
            match wrap {
                0 => s.push_str(&format!("({shown})")),
                1 => s.push_str(&format!("\"{shown}\",")),
                _ => s.push_str(&shown),
            }
            truth.insert((
                line,
                Indicator::parse(&truth_value, None, &ParseOptions::default())
                    .unwrap()
                    .indicator
                    .key(),
            ));
            if i + 1 < n {
                s.push_str(r.pick(&[" and ", ", ", " then "]));
            }
        }
        s.push(' ');
        s.push_str(r.pick(&tails));
        out.push_str(&s);
        out.push('\n');
    }
    (out, truth)
}

fn line_of(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset)
}

#[test]
fn ioc_finder_and_txt2stix_precision_recall() {
    let mut combined = Table::new();
    if let Some(t) = ioc_finder() {
        print("ioc-finder find_iocs_cases.json", &t);
        for (k, s) in t {
            let c = combined.entry(k).or_default();
            c.tp += s.tp;
            c.fp += s.fp;
            c.fn_ += s.fn_;
        }
    }
    if let Some((t, neg)) = txt2stix() {
        print("txt2stix extraction-types + test_cases.yaml", &t);
        println!(
            "txt2stix negatives (invalid values) rejected: {}/{}",
            neg.1, neg.0
        );
        assert_eq!(neg.0, neg.1, "an invalid value was extracted");
        for (k, s) in t {
            let c = combined.entry(k).or_default();
            c.tp += s.tp;
            c.fp += s.fp;
            c.fn_ += s.fn_;
        }
    }
    if combined.is_empty() {
        return;
    }
    print("combined", &combined);
    for (k, s) in &combined {
        let (p, r) = FLOORS
            .iter()
            .find(|(kk, _, _)| kk == k)
            .map_or(DEFAULT_FLOOR, |f| (f.1, f.2));
        assert!(
            s.precision() >= p,
            "{k}: precision {:.3} < {p}",
            s.precision()
        );
        assert!(s.recall() >= r, "{k}: recall {:.3} < {r}", s.recall());
    }
}

/// Per-kind floors (precision, recall) on the combined third-party cases: the
/// issue's aim of 0.95 for every kind, listed or not ([`DEFAULT_FLOOR`]).
/// Measured: 1.000 for every kind (147 cases; domain recall was 0.971 until a
/// percent-encoded byte ended a value, `freasdfuewriter.com%2F`). Kinds with
/// few cases (MD5, SHA-512, Monero: 2; Bitcoin: 1) allow no miss at 0.95.
const FLOORS: &[(IndicatorKind, f64, f64)] = &[
    (IndicatorKind::Domain, 0.95, 0.95),
    (IndicatorKind::Url, 0.95, 0.95),
    (IndicatorKind::Ipv4, 0.95, 0.95),
    (IndicatorKind::Ipv6, 0.95, 0.95),
    (IndicatorKind::Email, 0.95, 0.95),
    (IndicatorKind::Sha1, 0.95, 0.95),
    (IndicatorKind::Sha256, 0.95, 0.95),
    (IndicatorKind::Ssdeep, 0.95, 0.95),
    (IndicatorKind::Asn, 0.95, 0.95),
];

/// The floor (precision, recall) of kinds not in [`FLOORS`].
const DEFAULT_FLOOR: (f64, f64) = (0.95, 0.95);

#[test]
fn synthetic_prose_precision_recall() {
    let peers = std::path::Path::new("/root/.cache/pelita-peers/prose_1mb.txt");
    let (text, truth) = if peers.exists() && peers.with_extension("truth.tsv").exists() {
        let text = std::fs::read_to_string(peers).unwrap();
        let tsv = std::fs::read_to_string(peers.with_extension("truth.tsv")).unwrap();
        let truth = tsv
            .lines()
            .filter_map(|l| {
                let line: usize = l.split('\t').next()?.parse().ok()?;
                let value = l.rsplit('\t').next()?;
                Some((
                    line,
                    Indicator::parse(value, None, &ParseOptions::default())
                        .ok()?
                        .indicator
                        .key(),
                ))
            })
            .collect();
        (text, truth)
    } else {
        synthetic(8000, 0x5eed)
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let got: BTreeSet<(usize, String)> = extract_str(&text)
        .iter()
        .map(|f| (line_of(&starts, f.range.start), found_key(f)))
        .collect();
    let tp = truth.intersection(&got).count() as f64;
    let p = tp / got.len() as f64;
    let r = tp / truth.len() as f64;
    for x in got.difference(&truth).take(10) {
        println!("extra {x:?}");
    }
    for x in truth.difference(&got).take(10) {
        println!("miss {x:?}");
    }
    println!(
        "synthetic prose: {} bytes, {} truth, precision {p:.4}, recall {r:.4}",
        text.len(),
        truth.len()
    );
    assert!(p >= 0.95 && r >= 0.95, "precision {p}, recall {r}");
}
