//! The presets, the CSV mapping and the list reader against the IntelMQ
//! feed samples in `../shared/samples/intelmq/parsers` (skipped when absent).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a panic is a failed test"
)]

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use pelita_feeds::{
    CsvMapping, Preset, ShadowserverReport, Summary, detect_preset, parse_csv, parse_list,
    parse_preset,
};
use pelita_model::{Collect, IndicatorKind, ParseContext, Relation, Severity};
use time::macros::datetime;

fn dir(rel: &str) -> Option<PathBuf> {
    pelita_test_support::samples(&format!("intelmq/parsers/{rel}"))
}

fn run(preset: Preset, path: &Path) -> (Summary, Collect) {
    let mut sink = Collect::default();
    let ctx = ParseContext::named(path.display().to_string());
    let file = fs::File::open(path).unwrap();
    let s = parse_preset(preset, BufReader::new(file), &ctx, &mut sink);
    assert_eq!(s.observations as usize, sink.observations.len());
    (s, sink)
}

fn no_errors(path: &Path, sink: &Collect) {
    let errors: Vec<String> = sink.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
}

/// Lines that are neither blank nor start with one of `comments`.
fn data_lines(path: &Path, comments: &[&str]) -> usize {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !comments.iter().any(|c| l.starts_with(c)))
        .count()
}

fn head(path: &Path) -> Vec<u8> {
    let mut b = fs::read(path).unwrap();
    b.truncate(4096);
    b
}

#[test]
fn urlhaus() {
    let Some(d) = dir("abusech") else { return };
    let p = d.join("urlhaus.txt");
    assert_eq!(detect_preset(&head(&p)), Some(Preset::Urlhaus));
    let (s, sink) = run(Preset::Urlhaus, &p);
    no_errors(&p, &sink);
    assert!(sink.problems.is_empty(), "{:?}", sink.problems);
    assert_eq!(s.observations as usize, data_lines(&p, &["#"]));
    let o = &sink.observations[0];
    assert_eq!(o.value, "http://marconuenlist.ch/verif.accounts.docs.net/");
    assert_eq!(o.kind, Some(IndicatorKind::Url));
    assert_eq!(o.first_seen, Some(datetime!(2019-02-13 00:34:42 UTC)));
    assert_eq!(o.location.line, Some(12));
    assert_eq!(o.tags, vec!["malware_download"]);
    for h in [
        "feed:urlhaus",
        "feed-status:offline",
        "feed-asn:29083",
        "feed-country:DE",
        "urlhaus-threat:malware_download",
    ] {
        assert!(o.hints.iter().any(|x| x == h), "{h} not in {:?}", o.hints);
    }
    assert!(o.hints.iter().any(|h| h.contains("malware-distribution")));
    assert!(
        o.related
            .iter()
            .any(|r| r.relation == Relation::HostedOn && r.value == "62.241.37.242")
    );
}

#[test]
fn feodotracker_json_and_old_domain_list() {
    let Some(d) = dir("abusech") else { return };
    let p = d.join("feodotracker.INPUT.json");
    assert_eq!(detect_preset(&head(&p)), Some(Preset::FeodoTracker));
    let (s, sink) = run(Preset::FeodoTracker, &p);
    no_errors(&p, &sink);
    let entries: serde_json::Value = serde_json::from_slice(&fs::read(&p).unwrap()).unwrap();
    assert_eq!(s.observations as usize, entries.as_array().unwrap().len());
    let o = &sink.observations[0];
    assert_eq!(
        (o.value.as_str(), o.port, o.kind),
        ("51.178.161.32", Some(4643), Some(IndicatorKind::Ipv4))
    );
    assert_eq!(o.malware.as_deref(), Some("Dridex"));
    assert_eq!(o.first_seen, Some(datetime!(2021-01-17 07:44:46 UTC)));
    assert_eq!(o.last_seen, Some(datetime!(2022-11-15 00:00 UTC)));
    assert!(o.hints.iter().any(|h| h.contains("c2-server")));
    assert!(o.hints.contains(&"feed-asn:16276".to_owned()));
    assert_eq!(o.location.pointer.as_deref(), Some("/0/ip_address"));
    let last = sink.observations.last().unwrap();
    assert_eq!(last.first_seen, None);
    assert!(last.related.is_empty(), "hostname null");

    let p = d.join("feododomains.txt");
    assert_eq!(detect_preset(&head(&p)), Some(Preset::FeodoTracker));
    let (s, sink) = run(Preset::FeodoTracker, &p);
    no_errors(&p, &sink);
    assert_eq!(s.observations as usize, data_lines(&p, &["#"]));
    assert_eq!(sink.observations[0].value, "arta.romail3arnest.info");
}

#[test]
fn spamhaus() {
    let Some(d) = dir("spamhaus") else { return };
    for (file, preset, kind) in [
        ("drop.txt", Preset::SpamhausDrop, IndicatorKind::Cidr),
        ("drop.lasso", Preset::SpamhausDrop, IndicatorKind::Cidr),
        ("asndrop.txt", Preset::SpamhausAsnDrop, IndicatorKind::Asn),
    ] {
        let p = d.join(file);
        assert_eq!(detect_preset(&head(&p)), Some(preset), "{file}");
        let (s, sink) = run(preset, &p);
        no_errors(&p, &sink);
        assert_eq!(s.observations as usize, data_lines(&p, &[";"]), "{file}");
        assert!(sink.observations.iter().all(|o| o.kind == Some(kind)));
    }
    let (_, sink) = run(Preset::SpamhausDrop, &d.join("drop.lasso"));
    let last = sink.observations.last().unwrap();
    assert_eq!(
        (last.value.as_str(), last.source_id.as_deref()),
        ("27.133.208.0/20", Some("SBL257335"))
    );
    let (_, sink) = run(Preset::SpamhausDrop, &d.join("drop.txt"));
    assert_eq!(sink.observations[1].value, "2a06:e480::/29");
    let (_, sink) = run(Preset::SpamhausAsnDrop, &d.join("asndrop.txt"));
    let o = &sink.observations[0];
    assert_eq!(o.value, "AS260");
    assert!(o.hints.contains(&"feed-country:AE".to_owned()));
    assert_eq!(
        o.context.as_deref(),
        Some("XCONNECT24 - Xconnect24 Inc., US")
    );
    assert_eq!(
        sink.observations[1].context.as_deref(),
        Some("Orb-bit Design Group")
    );
}

#[test]
fn phishtank() {
    let Some(d) = dir("phishtank") else { return };
    let p = d.join("phishtank.INPUT.json");
    assert_eq!(detect_preset(&head(&p)), Some(Preset::PhishTank));
    let (s, sink) = run(Preset::PhishTank, &p);
    no_errors(&p, &sink);
    let entries: serde_json::Value = serde_json::from_slice(&fs::read(&p).unwrap()).unwrap();
    assert_eq!(s.observations as usize, entries.as_array().unwrap().len());
    let o = &sink.observations[0];
    assert_eq!(o.value, "https://ardentig.top/");
    assert_eq!(o.source_id.as_deref(), Some("7946016"));
    assert_eq!(o.first_seen, Some(datetime!(2022-11-16 14:08:44 UTC)));
    assert!(o.hints.contains(&"feed-asn:8100".to_owned()));
    assert!(o.hints.iter().any(|h| h.contains("phishing")));
    assert_eq!(o.related[0].value, "204.152.210.139");
}

#[test]
fn openphish() {
    let Some(d) = dir("openphish") else { return };
    let p = d.join("feed.txt");
    // A bare URL list names no source: not detected (see detect_preset).
    assert_eq!(detect_preset(&head(&p)), None);
    let (s, sink) = run(Preset::OpenPhish, &p);
    no_errors(&p, &sink);
    assert_eq!(s.observations as usize, data_lines(&p, &["#"]));
    assert_eq!(
        sink.observations[0].value, "http://www..example.com/phishing",
        "kept as written"
    );

    let p = d.join("feed_commercial.txt");
    assert_eq!(detect_preset(&head(&p)), Some(Preset::OpenPhish));
    let (s, sink) = run(Preset::OpenPhish, &p);
    no_errors(&p, &sink);
    assert_eq!(s.observations as usize, data_lines(&p, &[]));
    let o = &sink.observations[1];
    assert_eq!(o.first_seen, Some(datetime!(2018-02-06 15:13:22 UTC)));
    assert!(o.hints.contains(&"feed-asn:36874".to_owned()));
    assert!(o.hints.contains(&"feed-country:ZA".to_owned()));
    assert_eq!(o.tags, vec!["eBay Inc."]);
}

#[test]
fn shadowserver_every_report() {
    let Some(d) = dir("shadowserver/testdata") else {
        return;
    };
    let mut files = pelita_test_support::files_below(&d);
    files.retain(|f| f.extension().is_some_and(|e| e == "csv"));
    assert!(files.len() > 90);
    let mut generic = Vec::new();
    for p in &files {
        let name = p.file_name().unwrap().to_str().unwrap();
        let report = ShadowserverReport::from_file_name(name).unwrap_or_else(|| {
            generic.push(name.to_owned());
            ShadowserverReport::generic()
        });
        assert!(
            matches!(detect_preset(&head(p)), Some(Preset::Shadowserver(_))),
            "{name} not detected as Shadowserver"
        );
        let (s, sink) = run(Preset::Shadowserver(report), p);
        no_errors(p, &sink);
        assert!(s.observations > 0, "{name}");
        // One observation per data row (the header is the first line; no
        // sample has a quoted line break).
        assert_eq!(s.observations as usize, data_lines(p, &[]) - 1, "{name}");
        let o = &sink.observations[0];
        assert!(o.first_seen.is_some(), "{name}");
        assert!(o.hints.contains(&"feed:shadowserver".to_owned()));
        assert!(
            o.hints.contains(&format!("shadowserver:{}", report.name())),
            "{name}: {:?}",
            o.hints
        );
        assert!(o.hints.iter().any(|h| h.starts_with("rsit:")), "{name}");
        assert!(
            o.hints
                .iter()
                .any(|h| h.starts_with("feed-asn:") || h.starts_with("feed-country:"))
                || name.starts_with("sandbox_dns"),
            "{name}"
        );
    }
    assert!(
        generic.is_empty(),
        "report types mapped generically: {generic:?}"
    );

    // Spot checks.
    let (_, sink) = run(
        Preset::Shadowserver(ShadowserverReport::from_name("Open-Redis").unwrap()),
        &d.join("Open-Redis.csv"),
    );
    assert!(
        sink.observations[0]
            .hints
            .iter()
            .any(|h| h.contains("potentially-unwanted-accessible"))
    );
    assert_eq!(sink.observations[0].port, Some(6379));
    let p = d.join("event4_sinkhole_http.csv");
    let (_, sink) = run(detect_preset(&head(&p)).unwrap(), &p);
    assert_eq!(sink.observations[0].kind, Some(IndicatorKind::Ipv4));
    let p = d.join("sandbox_dns.csv");
    let (_, sink) = run(
        Preset::Shadowserver(ShadowserverReport::from_file_name("sandbox_dns.csv").unwrap()),
        &p,
    );
    assert_eq!(sink.observations[0].kind, Some(IndicatorKind::Md5));
    assert_eq!(sink.observations[0].related[0].value, "time.windows.com");
    let p = d.join("botnet_drone.csv");
    let (_, sink) = run(
        Preset::Shadowserver(ShadowserverReport::from_file_name("botnet_drone.csv").unwrap()),
        &p,
    );
    assert!(sink.observations.iter().all(|o| o.malware.is_some()));
    assert!(
        sink.observations[0]
            .hints
            .iter()
            .any(|h| h.contains("infected-system"))
    );
    // A header that disagrees with its rows is read (flexible) with located warnings.
    let p = d.join("scan6_ssl_poodle.csv");
    let (_, sink) = run(
        Preset::Shadowserver(ShadowserverReport::from_file_name("scan6_ssl_poodle.csv").unwrap()),
        &p,
    );
    assert!(sink.problems.iter().all(|p| p.severity == Severity::Warning
        && p.code == "csv.column-count"
        && p.location.line == Some(2)));
}

#[test]
fn generic_invalid_report_via_mapping() {
    let Some(d) = dir("generic") else { return };
    let mapping = CsvMapping::from_toml(
        r#"
        header = "no"
        hints = ["feed:test"]

        [[columns]]
        column = 0
        field = "first-seen"
        time_format = "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"

        [[columns]]
        column = 1
        field = "value"
        kind = "ipv4"

        [[columns]]
        column = 2
        field = "value"
        kind = "domain"
        "#,
    )
    .unwrap();
    let p = d.join("invalid_sample_report.csv");
    let mut sink = Collect::default();
    let s = parse_csv(
        &mapping,
        fs::read(&p).unwrap().as_slice(),
        &ParseContext::named("invalid.csv"),
        &mut sink,
    );
    assert_eq!(s.rows, 4);
    let bad: Vec<(&str, Option<u64>, Option<u64>)> = sink
        .errors()
        .map(|p| (p.code.as_str(), p.location.line, p.location.column))
        .collect();
    assert_eq!(
        bad,
        vec![
            ("feed.missing-value", Some(1), Some(38)),
            ("feed.missing-value", Some(3), Some(28)),
            ("feed.bad-value", Some(4), Some(38))
        ]
    );
    assert_eq!(s.observations, 5);
    assert!(
        sink.observations
            .iter()
            .all(|o| o.first_seen == Some(datetime!(2018-08-01 09:49:41 +2)))
    );
    assert_eq!(sink.observations[1].location.line, Some(2));
}

#[test]
fn generic_tab_separated_with_indented_comments() {
    let Some(d) = dir("generic") else { return };
    let mapping = CsvMapping::from_json(
        r#"{"delimiter": "\t", "header": "no", "columns": [
            {"column": 0, "field": "first-seen"},
            {"column": 5, "field": "value", "kind": "url"},
            {"column": 6, "field": "related", "kind": "ipv4", "relation": "hosted-on"},
            {"column": 8, "field": "comment"}
        ]}"#,
    )
    .unwrap();
    let p = d.join("sample_report.csv");
    let mut sink = Collect::default();
    let s = parse_csv(
        &mapping,
        fs::read(&p).unwrap().as_slice(),
        &ParseContext::default(),
        &mut sink,
    );
    assert!(sink.problems.is_empty(), "{:?}", sink.problems);
    assert_eq!(s.observations, 2);
    let o = &sink.observations[0];
    assert_eq!(
        o.value,
        "www.cennoworld.com/Payment_Confirmation/Payment_Confirmation.zip"
    );
    assert_eq!(o.location.line, Some(11));
    assert_eq!(o.context.as_deref(), Some("just another comment"));
}

#[test]
fn plain_lists_from_samples() {
    let Some(d) = dir("openphish") else { return };
    let p = d.join("feed.txt");
    let mut sink = Collect::default();
    let s = parse_list(
        fs::read(&p).unwrap().as_slice(),
        &ParseContext::default(),
        &mut sink,
    );
    assert_eq!(s.observations, 2);
    assert!(sink.observations.iter().all(|o| o.kind.is_none()));
    let Some(d) = dir("abusech") else { return };
    let p = d.join("feododomains.txt");
    let mut sink = Collect::default();
    parse_list(
        fs::read(&p).unwrap().as_slice(),
        &ParseContext::default(),
        &mut sink,
    );
    assert_eq!(sink.observations.len(), 1);
}
