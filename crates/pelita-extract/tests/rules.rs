#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]
//! One test per suppression rule, defang notation, format and location promise.

use pelita_extract::{ExtractError, Found, ProseFormat, extract, extract_str, extract_str_as};
use pelita_model::{Collect, Indicator, IndicatorKind as K, ParseContext, ParseOptions, Relation};

fn keys(text: &str) -> Vec<String> {
    let found = extract_str(text);
    for f in &found {
        assert_eq!(
            &text[f.range.clone()],
            f.text,
            "range must point at the text"
        );
    }
    found
        .iter()
        .map(|f| format!("{}:{}", f.kind, f.value))
        .collect()
}

fn one(text: &str) -> Found {
    let f = extract_str(text);
    assert_eq!(f.len(), 1, "{text:?} gave {f:?}");
    f.into_iter().next().unwrap()
}

#[test]
fn every_defang_notation() {
    let cases = [
        ("evil[.]com", "domain:evil.com"),
        ("evil(.)com", "domain:evil.com"),
        ("evil{.}com", "domain:evil.com"),
        ("evil[dot]com", "domain:evil.com"),
        ("evil(DOT)com", "domain:evil.com"),
        ("evil[ . ]com", "domain:evil.com"),
        ("evil [.] com", "domain:evil.com"),
        ("evil\\.com", "domain:evil.com"),
        ("hxxp://evil.com/a", "url:http://evil.com/a"),
        ("hXXps[:]//evil[.]com/a", "url:https://evil.com/a"),
        ("hxxps[://]evil[.]com/a", "url:https://evil.com/a"),
        ("fxp://evil.com/a", "url:ftp://evil.com/a"),
        ("user[@]evil[.]com", "email:user@evil.com"),
        ("user[at]evil[dot]com", "email:user@evil.com"),
        ("user (at) evil (dot) com", "email:user@evil.com"),
        ("192.168.0[.]1", "ipv4:192.168.0.1"),
        ("198[.]51[.]100[.]7", "ipv4:198.51.100.7"),
    ];
    for (text, want) in cases {
        let line = format!("Seen: {text} yesterday.");
        assert_eq!(keys(&line), vec![want.to_owned()], "{line}");
        let f = one(&line);
        assert_eq!(f.text, text);
    }
}

#[test]
fn kinds() {
    let t = "ip 198.51.100.7 net 203.0.113.0/24 v6 2001:db8::1 mail a@evil.org \
             md5 d41d8cd98f00b204e9800998ecf8427e sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 \
             sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 \
             AS13335 btc 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq \
             eth 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed CVE-2024-1135 T1059";
    let k: Vec<K> = extract_str(t).iter().map(|f| f.kind).collect();
    assert_eq!(
        k,
        vec![
            K::Ipv4,
            K::Cidr,
            K::Ipv6,
            K::Email,
            K::Md5,
            K::Sha1,
            K::Sha256,
            K::Asn,
            K::Bitcoin,
            K::Bitcoin,
            K::Ethereum
        ]
    );
}

#[test]
fn rule1_file_names_are_not_domains() {
    for t in [
        "open invoice.pdf",
        "run setup.exe",
        "load payload.dll",
        "see document.docx",
        "readme.md",
        "archive.zip",
        "clip.mov",
        "build.sh",
        "tool.py",
        "main.rs",
        "invoice.pdf.zip",
    ] {
        assert!(keys(t).is_empty(), "{t}: {:?}", keys(t));
    }
    // Defanged, in a URL, or with more labels: kept.
    assert_eq!(keys("evil[.]zip"), vec!["domain:evil.zip"]);
    assert_eq!(keys("https://evil.zip/a"), vec!["url:https://evil.zip/a"]);
    assert_eq!(keys("cdn.evil.zip"), vec!["domain:cdn.evil.zip"]);
}

#[test]
fn rule2_versions_are_not_ips() {
    for t in [
        "version 1.2.3.4",
        "v10.0.0.1",
        "Chrome 120.0.6099.109",
        "build 10.0.0.1",
        "1.2.3.4.5",
        "Version: 4.3.2.1",
    ] {
        assert!(keys(t).is_empty(), "{t}: {:?}", keys(t));
    }
    assert_eq!(
        keys("version 1[.]2.3.4"),
        vec!["ipv4:1.2.3.4"],
        "defanged is intent"
    );
    assert_eq!(keys("server 1.2.3.4"), vec!["ipv4:1.2.3.4"]);
}

#[test]
fn rule3_ipv6_needs_digits() {
    let k = keys("call dead::beef and Foo::bar and 12:30:45 and d2:fb:49:24:37:18");
    assert!(k.is_empty(), "{k:?}");
    assert_eq!(keys("::1"), vec!["ipv6:::1"]);
}

#[test]
fn rule4_sentence_joins() {
    assert!(keys("the file was found.It ran").is_empty());
    assert_eq!(keys("Visit Example.com"), vec!["domain:example.com"]);
}

#[test]
fn rule5_hash_boundaries() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(
        keys(sha256),
        vec![format!("sha256:{sha256}")],
        "no MD5 inside a SHA-256"
    );
    assert!(keys(&format!("{md5}x")).is_empty(), "letters next to it");
    assert!(keys(&format!("{md5}00")).is_empty(), "longer hex run");
    assert_eq!(keys(&format!("{md5}.exe")), vec![format!("md5:{md5}")]);
    assert_eq!(
        keys(&format!("sha256:{sha256}")),
        vec![format!("sha256:{sha256}")]
    );
}

#[test]
fn rule6_no_double_reporting() {
    assert_eq!(keys("hxxp://evil[.]com/a"), vec!["url:http://evil.com/a"]);
    assert_eq!(keys("bob@evil.com"), vec!["email:bob@evil.com"]);
    let mut sink = Collect::default();
    extract(
        "see http://evil.com/x".as_bytes(),
        ProseFormat::Text,
        &ParseContext::default(),
        &mut sink,
    );
    let o = &sink.observations[0];
    assert_eq!(o.related[0].relation, Relation::HostedOn);
    assert_eq!(o.related[0].value, "evil.com");
}

#[test]
fn trailing_punctuation_and_wrappers() {
    for t in [
        "example.com.",
        "(example.com)",
        "\"example.com\",",
        "'example.com';",
        "**example.com**",
        "<example.com>",
        "“example.com”",
        "[example.com]",
    ] {
        assert_eq!(keys(t), vec!["domain:example.com"], "{t}");
    }
    assert_eq!(
        keys("http://x.org/wiki/Foo_(bar)."),
        vec!["url:http://x.org/wiki/Foo_(bar)"]
    );
    assert_eq!(
        keys("a.com,b.org;c.net"),
        vec!["domain:a.com", "domain:b.org", "domain:c.net"]
    );
    assert_eq!(keys("C2:198.51.100.7:443"), vec!["ipv4:198.51.100.7"]);
    assert_eq!(keys("url=hxxp://evil.com/a"), vec!["url:http://evil.com/a"]);
}

#[test]
fn percent_encoded_bytes_end_a_value_outside_urls() {
    // An encoded slash, space or comma after a host, an address or a digest.
    assert_eq!(keys("evil.com%2F"), vec!["domain:evil.com"]);
    assert_eq!(keys("see evil.com%2Fcs%2Fimage"), vec!["domain:evil.com"]);
    assert_eq!(keys("198.51.100.7%20was"), vec!["ipv4:198.51.100.7"]);
    assert_eq!(
        keys("a.example.com%2Cb.example.org"),
        vec!["domain:a.example.com", "domain:b.example.org"]
    );
    assert_eq!(
        keys("d41d8cd98f00b204e9800998ecf8427e%22"),
        vec!["md5:d41d8cd98f00b204e9800998ecf8427e"]
    );
    let f = one("x evil.com%2F y");
    assert_eq!((f.range.start, f.range.end), (2, 10));
    assert_eq!(
        keys("evil.com%2F%2F198.51.100.7"),
        vec!["domain:evil.com", "ipv4:198.51.100.7"]
    );
    // Inside a URL the encoding is part of the URL.
    assert_eq!(
        keys("http://evil.com/a%2Fb"),
        vec!["url:http://evil.com/a%2Fb"]
    );
    // A per cent sign that encodes nothing changes nothing.
    assert!(keys("50% of evil").is_empty());
}

#[test]
fn markdown_links() {
    let t = "See [the report](https://evil.com/r) and [evil[.]net](hxxp://evil[.]net/x).";
    assert_eq!(
        keys(t),
        vec![
            "url:https://evil.com/r",
            "domain:evil.net",
            "url:http://evil.net/x"
        ]
    );
}

#[test]
fn offsets_lines_and_columns() {
    let input = "first line\nsecond é line with evil[.]com here\n\tthird 198.51.100.7\n";
    let mut sink = Collect::default();
    let s = extract(
        input.as_bytes(),
        ProseFormat::Text,
        &ParseContext::named("r.txt"),
        &mut sink,
    );
    assert_eq!(s.lines, 3);
    assert_eq!(s.observations, 2);
    let o = &sink.observations[0];
    let off = o.location.offset.unwrap() as usize;
    assert_eq!(&input[off..off + o.value.len()], "evil[.]com");
    assert_eq!(o.location.line, Some(2));
    assert_eq!(o.location.column, Some(20));
    assert_eq!(o.kind, Some(K::Domain));
    assert_eq!(o.location.file.as_deref(), Some("r.txt"));
    let ctx = o.context.as_deref().unwrap();
    assert!(ctx.contains("evil[.]com") && !ctx.contains('\n'));
    let o = &sink.observations[1];
    assert_eq!((o.location.line, o.location.column), (Some(3), Some(8)));
    // The value re-parses to the same indicator.
    for o in &sink.observations {
        assert!(Indicator::parse(&o.value, o.kind, &ParseOptions::default()).is_ok());
    }
}

/// A long token of separators is split without recursion (it overflowed the
/// stack at about 100 000 commas) and in time linear in its length.
#[test]
fn long_separator_runs_neither_overflow_nor_take_long() {
    let started = std::time::Instant::now();
    for text in [
        "a,".repeat(300_000),
        "a;".repeat(300_000),
        "a%41".repeat(150_000),
        "a](b".repeat(150_000),
        "a:b,".repeat(150_000),
    ] {
        assert!(extract_str(&text).is_empty());
    }
    let found = extract_str(&"x.example.com,".repeat(50_000));
    assert_eq!(found.len(), 50_000);
    // Seconds in a debug build; the quadratic scan took minutes.
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}

#[test]
fn html_is_stripped_and_offsets_kept() {
    let html = "<html><head><style>.a{color:red}</style><script>var x='bad.com';</script></head>\n<body><p>C2: <b>evil&#46;com</b> &amp; <a href=\"http://hidden.org\">198.51.100.7</a></p>\n<!-- old.com --></body></html>";
    let found = extract_str(html);
    let k: Vec<String> = found
        .iter()
        .map(|f| format!("{}:{}", f.kind, f.value))
        .collect();
    assert_eq!(k, vec!["domain:evil.com", "ipv4:198.51.100.7"]);
    assert_eq!(&html[found[0].range.clone()], "evil&#46;com");
    assert_eq!(&html[found[1].range.clone()], "198.51.100.7");
    // Markdown/text mode leaves tags alone.
    assert!(
        extract_str_as("<b>evil.com</b>", ProseFormat::Text)
            .iter()
            .any(|f| f.value == "evil.com")
    );
}

#[test]
fn limits_and_bad_bytes_are_problems() {
    let mut ctx = ParseContext::default();
    ctx.limits.max_line_bytes = 16;
    let mut sink = Collect::default();
    let s = extract(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa evil.com\n".as_bytes(),
        ProseFormat::Text,
        &ctx,
        &mut sink,
    );
    assert_eq!(sink.problems[0].code, "limit.line-too-long");
    assert_eq!(s.lines, 1);
    let mut sink = Collect::default();
    let bytes = b"x \xff\xfe evil.com\n";
    extract(
        &bytes[..],
        ProseFormat::Text,
        &ParseContext::default(),
        &mut sink,
    );
    assert_eq!(sink.problems[0].code, "prose.invalid-utf8");
    assert_eq!(sink.observations[0].location.offset, Some(5));
    let e = ExtractError::TooLarge { limit: 1 };
    assert_eq!(e.code(), "limit.too-large");
}

#[test]
fn auto_detects_formats() {
    let mut sink = Collect::default();
    let s = extract(
        "<!DOCTYPE html><p>x</p>".as_bytes(),
        ProseFormat::Auto,
        &ParseContext::default(),
        &mut sink,
    );
    assert_eq!(s.format, Some(ProseFormat::Html));
    let s = extract(
        "# Title\n[a](b)".as_bytes(),
        ProseFormat::Auto,
        &ParseContext::default(),
        &mut sink,
    );
    assert_eq!(s.format, Some(ProseFormat::Markdown));
}

#[test]
fn shared_prose_samples_do_not_panic_and_find_things() {
    let Some(dir) = pelita_test_support::samples("eset-malware-ioc") else {
        return;
    };
    let mut total = 0;
    for f in pelita_test_support::files_below(&dir) {
        let bytes = std::fs::read(&f).unwrap();
        let mut sink = Collect::default();
        let s = extract(
            &bytes[..],
            ProseFormat::Auto,
            &ParseContext::default(),
            &mut sink,
        );
        for o in &sink.observations {
            let off = o.location.offset.unwrap() as usize;
            assert!(off < bytes.len());
            assert!(
                Indicator::parse(&o.value, o.kind, &ParseOptions::default()).is_ok(),
                "{}",
                o.value
            );
        }
        total += s.observations;
    }
    if let Some(t) = pelita_test_support::samples("intelmq/parsers/twitter/tweet.txt") {
        let text = std::fs::read_to_string(t).unwrap();
        total += extract_str(&text).len() as u64;
    }
    println!("eset + tweet: {total} observations");
    assert!(total > 100);
}
