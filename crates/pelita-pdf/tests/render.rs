//! The writer's output, checked three ways: its structure (header, objects,
//! cross-reference offsets, stream lengths, trailer), its determinism, and
//! a round trip through poppler's `pdftotext`, `pdfinfo` and `pdftoppm`
//! when they are installed (Debian package `poppler-utils`).
//!
//! Without the tools those tests print "SKIPPED" and pass, unless
//! `PELITA_REQUIRE_TOOLS=1` is set: then a missing tool fails them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use pelita_pdf::{Block, Document, MAX_PAGES, Options, PdfDate, render, render_with};
use proptest::prelude::*;

// ---------------------------------------------------------------- helpers

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Parses a decimal number at `at`, returning it and the index after it.
fn number_at(bytes: &[u8], at: usize) -> (usize, usize) {
    let digits = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    assert!(digits > 0, "no number at {at}");
    let n = std::str::from_utf8(&bytes[at..at + digits])
        .unwrap()
        .parse()
        .unwrap();
    (n, at + digits)
}

/// Checks the file's structure and returns the number of objects (the
/// trailer's /Size less the free entry 0).
fn check_structure(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-1.4\n"), "header");
    let end = pdf.trim_ascii_end();
    assert!(end.ends_with(b"%%EOF"), "ends with %%EOF");

    let sx = rfind(pdf, b"startxref\n").expect("startxref");
    let (xref, after) = number_at(pdf, sx + b"startxref\n".len());
    assert_eq!(&pdf[after..], b"\n%%EOF\n");
    assert!(
        pdf[xref..].starts_with(b"xref\n0 "),
        "startxref points at xref"
    );
    let (size, after) = number_at(pdf, xref + b"xref\n0 ".len());
    assert_eq!(pdf[after], b'\n');
    let entries = after + 1;
    assert_eq!(&pdf[entries..entries + 20], b"0000000000 65535 f \n");
    for i in 1..size {
        let entry = &pdf[entries + 20 * i..entries + 20 * (i + 1)];
        assert_eq!(&entry[10..], b" 00000 n \n", "entry {i}");
        let offset: usize = std::str::from_utf8(&entry[..10]).unwrap().parse().unwrap();
        let expected = format!("{i} 0 obj\n");
        assert!(
            pdf[offset..].starts_with(expected.as_bytes()),
            "xref entry {i} points at {offset}, not at '{i} 0 obj'"
        );
        // And it is a line start.
        assert_eq!(pdf[offset - 1], b'\n');
    }
    let trailer = entries + 20 * size;
    let expected = format!("trailer\n<< /Size {size} /Root 1 0 R /Info 6 0 R >>\n");
    assert!(pdf[trailer..].starts_with(expected.as_bytes()), "trailer");
    assert_eq!(trailer + expected.len(), sx);

    // Exactly one object per xref entry.
    assert_eq!(count(pdf, b" 0 obj\n"), size - 1, "objects vs /Size");
    assert_eq!(count(pdf, b"\nendobj\n"), size - 1, "endobj vs /Size");

    // Every stream's /Length is exact.
    let mut at = 0;
    while let Some(p) = find(pdf, b"<< /Length ", at) {
        let (len, after) = number_at(pdf, p + b"<< /Length ".len());
        assert_eq!(&pdf[after..after + 11], b" >>\nstream\n");
        let start = after + 11;
        assert_eq!(
            &pdf[start + len..start + len + 10],
            b"\nendstream",
            "stream length"
        );
        at = start + len;
    }
    // /Count equals the number of page objects.
    let pages = count(pdf, b"/Type /Page /Parent");
    let (n, _) = number_at(pdf, find(pdf, b"/Count ", 0).unwrap() + b"/Count ".len());
    assert_eq!(n, pages);
    size - 1
}

/// Whether a poppler tool can be run; prints SKIPPED when it cannot, and
/// fails when `PELITA_REQUIRE_TOOLS=1`.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-v")
        .output()
        .map(|o| o.status.success() || !o.stderr.is_empty())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("PELITA_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{tool} is required (PELITA_REQUIRE_TOOLS=1) but not installed: apt-get install poppler-utils"
        );
        println!("SKIPPED: {tool} not installed");
    }
    ok
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pelita-pdf");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write_pdf(name: &str, pdf: &[u8]) -> PathBuf {
    let path = scratch(name);
    std::fs::write(&path, pdf).unwrap();
    path
}

fn run(tool: &str, args: &[&str], path: &Path) -> String {
    let out = Command::new(tool).args(args).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{tool} complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "pdftotext complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Collapse whitespace so that wrapped lines compare as running text.
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn pdfinfo_field(path: &Path, field: &str) -> String {
    let info = run("pdfinfo", &[], path);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
        .trim()
        .to_owned()
}

fn s(text: &str) -> String {
    text.to_owned()
}

/// A report-like sample document that fills about two pages.
fn sample() -> Document {
    let mut blocks = vec![
        Block::Marking {
            label: s("TLP:AMBER"),
            rgb: (0xff, 0xc0, 0x00),
        },
        Block::Heading {
            level: 1,
            text: s("Cyber Activity Report \u{2014} Ruritania"),
        },
        Block::Paragraph(s(
            "This synthetic report summarises indicators of compromise observed between \
             1 and 31 March, fused from eleven feeds. Confidence is expressed on the \
             ENISA scale; figures are rounded. Quotes \u{201c}like these\u{201d}, an \
             ellipsis\u{2026} and caf\u{e9} survive the trip; (parentheses) and back\\slashes too.",
        )),
        Block::Heading {
            level: 2,
            text: s("Key findings"),
        },
        Block::Bullets(vec![
            s("Phishing remains the leading initial-access vector, with 412 distinct URLs."),
            s(
                "Two botnet command-and-control servers were hosted on national address space \
               for more than a week; both were taken down after notification.",
            ),
            s("No ransomware leak-site entries named organisations in the country."),
        ]),
        Block::Heading {
            level: 3,
            text: s("Indicators by category"),
        },
        Block::Table {
            headers: vec![s("Category"), s("Indicators"), s("Share"), s("Notes")],
            rows: vec![
                vec![
                    s("Phishing"),
                    s("412"),
                    s("38 %"),
                    s("Mostly credential harvesting aimed at banks"),
                ],
                vec![
                    s("Malware distribution"),
                    s("251"),
                    s("23 %"),
                    s("Loaders and infostealers"),
                ],
                vec![s("Botnet C2"), s("2"), s("< 1 %"), s("Taken down")],
                vec![s("Scanning"), s("418"), s("38 %")],
            ],
            widths: Some(vec![2.0, 1.0, 1.0, 4.0]),
        },
        Block::Heading {
            level: 2,
            text: s("Observed hosts"),
        },
        Block::Code(s(
            "198.51.100.7\n203.0.113.42\nhxxp://login-example[.]invalid/verify?session=0123456789abcdef",
        )),
    ];
    let mut rows = Vec::new();
    for i in 0..40 {
        rows.push(vec![
            format!("ind-{i:03}"),
            s("url"),
            format!(
                "https://host{i}.example.invalid/path/{}",
                "segment/".repeat(i % 7)
            ),
            format!("{}", 90 - i),
        ]);
    }
    blocks.push(Block::Heading {
        level: 2,
        text: s("Indicator list"),
    });
    blocks.push(Block::Table {
        headers: vec![s("ID"), s("Kind"), s("Value"), s("Confidence")],
        rows,
        widths: Some(vec![1.0, 0.8, 5.0, 1.2]),
    });
    blocks.push(Block::Paragraph(s("End of report.")));
    Document {
        title: s("Cyber Activity Report \u{2014} Ruritania"),
        header: s("TLP:AMBER \u{2014} SYNTHETIC"),
        footer: s("Pelita \u{b7} generated from synthetic data"),
        blocks,
    }
}

fn long_table(rows: usize) -> Document {
    Document {
        title: s("Long"),
        header: s("TLP:CLEAR"),
        footer: s("footer text"),
        blocks: vec![Block::Table {
            headers: vec![s("Row"), s("Value")],
            rows: (0..rows)
                .map(|i| vec![format!("row {i}"), format!("value-{i}")])
                .collect(),
            widths: None,
        }],
    }
}

// ---------------------------------------------------------------- structure

#[test]
fn sample_is_structurally_valid() {
    let pdf = render(&sample());
    let objects = check_structure(&pdf);
    // Catalog, pages, three fonts, info, then a page and a stream per page.
    assert_eq!((objects - 6) % 2, 0);
    assert!(objects >= 8);
}

#[test]
fn empty_document_has_one_page() {
    let pdf = render(&Document::default());
    assert_eq!(check_structure(&pdf), 8);
    assert!(!pdf.windows(6).any(|w| w == b"/Title"));
}

#[test]
fn same_document_same_bytes() {
    let doc = sample();
    assert_eq!(render(&doc), render(&doc.clone()));
    let options = Options {
        creation_date: Some(PdfDate {
            year: 2026,
            month: 3,
            day: 31,
            hour: 12,
            minute: 0,
            second: 5,
        }),
        ..Options::default()
    };
    let a = render_with(&doc, &options);
    assert_eq!(a, render_with(&doc, &options));
    assert_eq!(count(&a, b"/CreationDate (D:20260331120005Z)"), 1);
    assert_eq!(count(&render(&doc), b"/CreationDate"), 0);
}

#[test]
fn content_streams_are_ascii() {
    let pdf = render(&sample());
    // Everything after the binary-marker comment line is ASCII.
    let body = &pdf[15..];
    assert!(body.is_ascii());
}

#[test]
fn page_limit_is_enforced_and_announced() {
    let doc = long_table(2_000);
    let options = Options {
        max_pages: 3,
        ..Options::default()
    };
    let pdf = render_with(&doc, &options);
    check_structure(&pdf);
    assert_eq!(count(&pdf, b"/Type /Page /Parent"), 3);
    assert!(
        count(
            &pdf,
            b"(Truncated: this document exceeds the limit of 3 pages"
        ) == 1
    );
    assert_eq!(MAX_PAGES, 2_000);
    // Zero is treated as one page.
    let pdf = render_with(
        &doc,
        &Options {
            max_pages: 0,
            ..Options::default()
        },
    );
    assert_eq!(count(&pdf, b"/Type /Page /Parent"), 1);
}

#[test]
fn default_limit_caps_huge_documents() {
    // ~ 60 rows a page: 200,000 rows would be far more than 2,000 pages.
    let doc = long_table(200_000);
    let pdf = render(&doc);
    check_structure(&pdf);
    assert_eq!(count(&pdf, b"/Type /Page /Parent"), MAX_PAGES);
    assert!(count(&pdf, b"of 2,000 pages") == 1);
}

#[test]
fn tall_rows_are_split_across_pages() {
    let cell = "word ".repeat(20_000);
    let doc = Document {
        blocks: vec![Block::Table {
            headers: vec![s("A"), s("B")],
            rows: vec![vec![s("short"), cell]],
            widths: None,
        }],
        ..Document::default()
    };
    let pdf = render(&doc);
    check_structure(&pdf);
    let pages = count(&pdf, b"/Type /Page /Parent");
    assert!(pages > 5 && pages < 100, "{pages}");
}

// ---------------------------------------------------------------- poppler

#[test]
fn text_round_trips_through_pdftotext() {
    if !have("pdftotext") {
        return;
    }
    let doc = sample();
    let path = write_pdf("sample.pdf", &render(&doc));
    let text = pdftotext(&path);
    for expected in [
        "TLP:AMBER",
        "Cyber Activity Report \u{2014} Ruritania",
        "Key findings",
        "Indicators by category",
        "This synthetic report summarises indicators of compromise",
        "Quotes \u{201c}like these\u{201d}, an ellipsis\u{2026} and caf\u{e9} survive the trip; (parentheses) and back\\slashes too.",
        "Phishing remains the leading initial-access vector",
        "both were taken down after notification.",
        "Category",
        "Malware distribution",
        "Loaders and infostealers",
        "Scanning",
        "198.51.100.7",
        "ind-039",
        "End of report.",
        "TLP:AMBER \u{2014} SYNTHETIC",
        "Pelita \u{b7} generated from synthetic data",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    let pages: usize = pdfinfo_pages(&path);
    assert!(pages >= 2, "the sample spans pages");
    for n in 1..=pages {
        let footer = format!("Page {n} of {pages}");
        assert!(text.contains(&footer), "missing {footer:?}");
    }
}

fn pdfinfo_pages(path: &Path) -> usize {
    pdfinfo_field(path, "Pages").parse().unwrap()
}

#[test]
fn unmappable_characters_become_question_marks() {
    if !have("pdftotext") {
        return;
    }
    let doc = Document {
        blocks: vec![Block::Paragraph(s(
            "arrow \u{2192} han \u{6f22} \u{010c}esko \u{0141}\u{f3}d\u{17a}",
        ))],
        ..Document::default()
    };
    let text = pdftotext(&write_pdf("unmappable.pdf", &render(&doc)));
    assert!(text.contains("arrow ? han ? Cesko L\u{f3}dz"), "{text}");
}

#[test]
fn pdfinfo_counts_pages_of_a_long_table() {
    if !have("pdfinfo") || !have("pdftotext") {
        return;
    }
    let doc = long_table(500);
    let pdf = render(&doc);
    let pages_in_tree = count(&pdf, b"/Type /Page /Parent");
    let path = write_pdf("long-table.pdf", &pdf);
    let pages = pdfinfo_pages(&path);
    assert_eq!(pages, pages_in_tree);
    assert!(pages >= 5, "500 rows span several pages: {pages}");
    assert_eq!(pdfinfo_field(&path, "Title"), "Long");
    assert_eq!(pdfinfo_field(&path, "PDF version"), "1.4");
    assert_eq!(
        pdfinfo_field(&path, "Page size"),
        "595.28 x 841.89 pts (A4)"
    );
    let text = pdftotext(&path);
    assert!(text.contains("row 0 value-0"));
    assert!(text.contains("row 499 value-499"));
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    // The header row is repeated on every page.
    assert_eq!(text.matches("Row Value").count(), pages);
    // Every row appears exactly once.
    for i in [1, 57, 123, 250, 498] {
        assert_eq!(
            text.matches(&format!("row {i} value-{i} ")).count(),
            1,
            "row {i}"
        );
    }
}

#[test]
fn pdfinfo_reads_unicode_title_and_date() {
    if !have("pdfinfo") {
        return;
    }
    let doc = Document {
        title: s("Rapport \u{2014} \u{10c}esko (\u{6f22}) \\"),
        ..Document::default()
    };
    let options = Options {
        creation_date: Some(PdfDate {
            year: 2026,
            month: 1,
            day: 2,
            hour: 3,
            minute: 4,
            second: 5,
        }),
        ..Options::default()
    };
    let path = write_pdf("title.pdf", &render_with(&doc, &options));
    assert_eq!(
        pdfinfo_field(&path, "Title"),
        "Rapport \u{2014} \u{10c}esko (\u{6f22}) \\"
    );
    let created = pdfinfo_field(&path, "CreationDate");
    assert!(created.contains("2026"), "{created}");
}

#[test]
fn sample_renders_to_png() {
    if !have("pdftoppm") {
        return;
    }
    let path = write_pdf("sample-png.pdf", &render(&sample()));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("pelita-pdf-sample");
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = dir.join("sample");
    let out = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&path)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "pdftoppm complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("sample-"));
    assert!(first, "no PNG written to {}", dir.display());
    // Keep the PDF beside the PNGs for a human to look at.
    std::fs::copy(&path, dir.join("sample.pdf")).unwrap();
}

// ---------------------------------------------------------------- properties

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[()\\\\ a-zA-Z\u{e9}\u{2014}\u{201c}\n\t]{0,60}",
        "[a-z]{100,1500}",
        Just(String::new()),
        "(\\PC|[()\\\\]){0,200}",
    ]
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        (any::<u8>(), text()).prop_map(|(level, text)| Block::Heading { level, text }),
        text().prop_map(Block::Paragraph),
        prop::collection::vec(text(), 0..5).prop_map(Block::Bullets),
        (
            prop::collection::vec(text(), 0..5),
            prop::collection::vec(prop::collection::vec(text(), 0..7), 0..6),
            prop::option::of(prop::collection::vec(
                prop_oneof![any::<f32>(), 0.1_f32..10.0],
                0..7
            )),
        )
            .prop_map(|(headers, rows, widths)| Block::Table {
                headers,
                rows,
                widths
            }),
        (text(), any::<(u8, u8, u8)>()).prop_map(|(label, rgb)| Block::Marking { label, rgb }),
        text().prop_map(Block::Code),
        Just(Block::PageBreak),
    ]
}

fn document() -> impl Strategy<Value = Document> {
    (text(), text(), text(), prop::collection::vec(block(), 0..8)).prop_map(
        |(title, header, footer, blocks)| Document {
            title,
            header,
            footer,
            blocks,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_document_gives_a_valid_pdf(doc in document(), max_pages in 1_usize..50) {
        let options = Options { max_pages, ..Options::default() };
        let pdf = render_with(&doc, &options);
        check_structure(&pdf);
        prop_assert!(count(&pdf, b"/Type /Page /Parent") <= max_pages);
        prop_assert_eq!(pdf, render_with(&doc, &options));
    }
}
