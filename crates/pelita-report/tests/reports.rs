//! Reports from a real store: snapshots of every format, every figure
//! recomputed from the store by independent queries, and the HTML checked
//! for well-formedness and for any reference that would leave the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{NOW, build};
use pelita_model::Tlp;
use pelita_report::render;
use pelita_report::{ReportScope, all_reports, country_report, operation_report};
use pelita_store::{ActionState, ActionStatus, SightingFilter, Store};

fn scope_all() -> ReportScope {
    ReportScope {
        since: None,
        operation: None,
        now: NOW,
    }
}

#[test]
fn snapshots_of_every_format() {
    let s = build();
    let r = country_report(&s.store, "SG", &scope_all(), &SightingFilter::everything()).unwrap();
    insta::assert_snapshot!("sg_markdown", render::markdown(&r));
    insta::assert_snapshot!("sg_json", render::json(&r).unwrap());
    insta::assert_snapshot!("sg_csv", render::csv(&r));
    insta::assert_snapshot!("sg_stix", render::stix(&r).unwrap());
    insta::assert_snapshot!("sg_html", render::html(&r).unwrap());
    let op = s.store.operation("mini").unwrap().unwrap();
    let (opr, _) = operation_report(&s.store, &op, &SightingFilter::everything(), NOW).unwrap();
    insta::assert_snapshot!("operation_markdown", render::operation_markdown(&opr));
    insta::assert_snapshot!("operation_html", render::operation_html(&opr));
    let (ix, _) = all_reports(&s.store, &scope_all(), &SightingFilter::up_to(Tlp::Green)).unwrap();
    insta::assert_snapshot!("index_markdown_green", render::index_markdown(&ix));
}

/// The country the store files an indicator under, recomputed from its enrichment.
fn filed_country(v: &pelita_store::IndicatorView) -> Option<String> {
    let e = v.enrichment.as_ref()?;
    e.country
        .clone()
        .or(e.government.as_ref().map(|g| g.country.clone()))
        .or(e.cctld_country.clone())
}

#[test]
fn every_figure_is_recomputed_from_the_store() {
    let s = build();
    let keys: BTreeSet<String> = s.records.iter().map(|r| r.key.clone()).collect();
    for filter in [
        SightingFilter::everything(),
        SightingFilter::up_to(Tlp::Amber),
        SightingFilter::up_to(Tlp::Green),
        SightingFilter::up_to(Tlp::Clear),
    ] {
        for cc in ["SG", "MY", "ZZ"] {
            let r = country_report(&s.store, cc, &scope_all(), &filter).unwrap();
            // Independent: one lookup per key the pipeline produced, filtered here.
            let mut views = Vec::new();
            for k in &keys {
                if let Some(v) = s.store.indicator(k, &filter, NOW).unwrap()
                    && filed_country(&v).as_deref() == Some(cc)
                {
                    views.push(v);
                }
            }
            let live: Vec<_> = views.iter().filter(|v| !v.fused.is_suppressed()).collect();
            let suppressed = views.len() - live.len();
            let count = |f: &dyn Fn(&str) -> bool| {
                live.iter()
                    .filter(|v| v.classifications.iter().any(|c| f(c)))
                    .count() as u64
            };
            let f = &r.summary;
            let ctx = format!("{cc} under {filter:?}");
            assert_eq!(f.indicators, live.len() as u64, "{ctx}");
            assert_eq!(f.suppressed, suppressed as u64, "{ctx}");
            assert_eq!(
                f.c2_servers,
                count(&|c| c == "malicious-code/c2-server"),
                "{ctx}"
            );
            assert_eq!(
                f.phishing_scam,
                count(&|c| c.starts_with("fraud/")),
                "{ctx}"
            );
            let sources: BTreeSet<&str> = views
                .iter()
                .flat_map(|v| v.sources.iter().map(|s| s.source.as_str()))
                .collect();
            assert_eq!(f.sources, sources.len() as u64, "{ctx}");
            let compromised: BTreeSet<String> = live
                .iter()
                .filter(|v| {
                    v.site.as_ref().is_some_and(|s| {
                        s.assessment.verdict == pelita_enrich::SiteVerdict::LikelyCompromised
                    }) || v
                        .classifications
                        .iter()
                        .any(|c| c.starts_with("intrusions/"))
                })
                .map(|v| v.registrable.clone().unwrap_or(v.key.clone()))
                .collect();
            assert_eq!(f.compromised_websites, compromised.len() as u64, "{ctx}");
            // Tables hold exactly the live indicators, each once.
            let tabled: Vec<&str> = r.indicators().map(|i| i.key.as_str()).collect();
            let expect: BTreeSet<&str> = live.iter().map(|v| v.key.as_str()).collect();
            assert_eq!(tabled.len(), expect.len(), "{ctx}");
            assert_eq!(
                tabled.iter().copied().collect::<BTreeSet<_>>(),
                expect,
                "{ctx}"
            );
            // Row figures are the store's, and the row is the one the
            // view makes.
            for row in r.indicators() {
                let v = views.iter().find(|v| v.key == row.key).unwrap();
                assert_eq!(&pelita_report::into_row(v.clone(), &filter), row, "{ctx}");
                assert_eq!(row.confidence, v.fused.confidence, "{ctx}");
                assert_eq!(row.sources, v.fused.sources, "{ctx}");
                assert_eq!(row.first_seen, v.fused.first_seen, "{ctx}");
                assert_eq!(row.last_seen, v.fused.last_seen, "{ctx}");
                assert!(
                    row.marking <= filter.max_tlp,
                    "{ctx}: a row marked above the reader"
                );
            }
            // Top networks: a count per ASN over the live indicators.
            let mut by_asn: BTreeMap<u32, u64> = BTreeMap::new();
            for v in &live {
                if let Some(a) = v.enrichment.as_ref().and_then(|e| e.asn) {
                    *by_asn.entry(a).or_insert(0) += 1;
                }
            }
            for a in &r.top_asns {
                assert_eq!(Some(&a.indicators), by_asn.get(&a.asn), "{ctx}");
            }
            assert_eq!(
                r.top_asns.len(),
                by_asn.len().min(pelita_report::TOP_ASNS),
                "{ctx}"
            );
            // Every action covers only indicators of the report.
            for a in &r.actions {
                assert!(!a.indicators.is_empty(), "{ctx}: empty action {}", a.id);
                for k in &a.indicators {
                    assert!(
                        expect.contains(k.as_str()),
                        "{ctx}: action {} covers {k}",
                        a.id
                    );
                }
            }
            assert!(r.marking <= filter.max_tlp.max(Tlp::Clear), "{ctx}");
        }
    }
}

#[test]
fn the_scenario_reads_as_intended() {
    let s = build();
    let everything = SightingFilter::everything();
    let sg = country_report(&s.store, "SG", &scope_all(), &everything).unwrap();
    assert!(sg.synthetic);
    // 198.18.0.10 (three partners), 198.18.0.11, 198.18.32.7 (RED).
    assert_eq!(sg.summary.c2_servers, 3);
    assert_eq!(sg.summary.government_portals, 1, "{:?}", sg.summary);
    assert_eq!(sg.marking, Tlp::Red);
    let rules: BTreeSet<&str> = sg.actions.iter().map(|a| a.rule.as_str()).collect();
    for rule in [
        "c2-takedown",
        "government-portal-compromised",
        "phishing-blocklists",
        "scam-phone-numbers",
    ] {
        assert!(rules.contains(rule), "no {rule} action in {rules:?}");
    }
    // The RED C2 is gone for a GREEN reader, and so is its network's takedown figure.
    let green = country_report(
        &s.store,
        "SG",
        &scope_all(),
        &SightingFilter::up_to(Tlp::Green),
    )
    .unwrap();
    assert_eq!(green.summary.c2_servers, 2);
    assert!(green.marking <= Tlp::Green);
    assert!(!render::markdown(&green).contains("198[.]18[.]32[.]7"));
    // Sources under AMBER are counted, not named.
    let row = sg.indicators().find(|r| r.value == "198.18.0.10").unwrap();
    assert_eq!(row.sources, 3);
    assert_eq!(row.source_names, vec!["cert-sg".to_owned()]);
    // The decoy is suppressed, not reported; the malformed record did not stop the rest.
    let all = s.store.stats(&everything).unwrap();
    let decoy = s
        .store
        .indicator("ipv4:8.8.8.8", &everything, NOW)
        .unwrap()
        .unwrap();
    assert!(decoy.fused.is_suppressed());
    assert!(all.indicators >= 8);
    // The previous period: 198.18.0.11 was last seen before the operation started.
    let since = ReportScope {
        since: Some(NOW - time::Duration::days(14)),
        operation: None,
        now: NOW,
    };
    let recent = country_report(&s.store, "SG", &since, &everything).unwrap();
    assert_eq!(recent.summary.c2_servers, 2);
    let prev = recent.previous.as_ref().unwrap();
    // [NOW-28d, NOW-14d): 198.18.0.10 was active then; 198.18.0.11 was last
    // seen on 2026-10-20, before it; 198.18.32.7 first seen after it.
    assert_eq!(prev.summary.c2_servers, 1);
    assert!(
        recent
            .summary
            .sentences
            .iter()
            .any(|s| s.contains("previous period"))
    );
}

#[test]
fn operation_reports_use_only_its_submissions() {
    let mut s = build();
    let op = s.store.operation("mini").unwrap().unwrap();
    let (r, countries) =
        operation_report(&s.store, &op, &SightingFilter::everything(), NOW).unwrap();
    assert_eq!(r.submissions, 4);
    // cert-my's list is not in the operation.
    assert!(!r.stats.by_source.contains_key("cert-my"));
    let my = countries.iter().find(|c| c.country == "MY").unwrap();
    assert_eq!(my.summary.indicators, 1, "only 198.18.64.5 from firm-alpha");
    // Overlap: 198.18.0.10 was reported by three partners.
    assert_eq!(r.stats.by_source_count.get(&3), Some(&1));
    let unique: u64 = r.stats.by_source.values().map(|c| c.unique).sum();
    assert_eq!(
        unique,
        r.stats.by_source_count.get(&1).copied().unwrap_or(0)
    );
    // Action status carries over by id.
    let first = r.actions.first().unwrap().id.clone();
    assert_eq!(
        r.actions_by_status.get(&ActionStatus::Open).copied(),
        Some(r.actions.len() as u64)
    );
    s.store
        .set_action_status(
            op.id,
            &first,
            &ActionState {
                status: ActionStatus::Done,
                note: "taken down".into(),
                updated_at: NOW,
            },
        )
        .unwrap();
    let (r2, _) = operation_report(&s.store, &op, &SightingFilter::everything(), NOW).unwrap();
    assert_eq!(r2.actions_by_status.get(&ActionStatus::Done), Some(&1));
    let a = r2.actions.iter().find(|a| a.id == first).unwrap();
    assert_eq!(a.state.as_ref().unwrap().note, "taken down");
}

/// Elements that have no end tag in HTML.
const VOID: [&str; 8] = ["meta", "br", "img", "input", "link", "hr", "col", "wbr"];

/// A small well-formedness check: every tag closes in order, attribute
/// values are quoted, and no raw `<` or unknown entity is in the text.
fn check_well_formed(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    let text_ok = |t: &str| -> Result<(), String> {
        let mut t = t;
        while let Some(i) = t.find('&') {
            let after = &t[i + 1..];
            let end = after.find(';').ok_or("an & without ;")?;
            let ent = &after[..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "#39")
                || (ent.starts_with('#') && ent[1..].chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("unknown entity &{ent};"));
            }
            t = &after[end..];
        }
        Ok(())
    };
    while let Some(open) = rest.find('<') {
        text_ok(&rest[..open])?;
        rest = &rest[open..];
        if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!--") {
            let close = rest.find('>').ok_or("unclosed declaration")?;
            rest = &rest[close + 1..];
            continue;
        }
        // Find the end of the tag, skipping quoted attribute values.
        let mut quote = None;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match (quote, c) {
                (None, '"') | (None, '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = Some(i);
                    break;
                }
                (None, '<') => {
                    return Err(format!("raw < inside a tag near {:?}", &rest[..i.min(80)]));
                }
                _ => {}
            }
        }
        let end = end.ok_or("unclosed tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            if matches!(top.as_str(), "style" | "script") {
                continue;
            }
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect();
            let self_closing = tag.ends_with('/');
            if !self_closing && !VOID.contains(&name.as_str()) {
                if name == "style" {
                    let close = rest.find("</style>").ok_or("unclosed style")?;
                    rest = &rest[close + "</style>".len()..];
                    continue;
                }
                stack.push(name);
            }
        }
    }
    if let Some(top) = stack.pop() {
        return Err(format!("<{top}> never closed"));
    }
    Ok(())
}

/// Every reference an HTML file makes: attribute values that load or link
/// something, CSS `url(…)` and `@import`.
fn external_references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [
        "src=\"",
        "href=\"",
        "action=\"",
        "srcset=\"",
        "xlink:href=\"",
        "poster=\"",
    ] {
        for (i, _) in html.match_indices(attr) {
            let v = &html[i + attr.len()..];
            let v = &v[..v.find('"').unwrap_or(v.len())];
            let local = v.starts_with('#')
                || v.starts_with("data:")
                || (!v.contains(':') && !v.starts_with("//"));
            if !local {
                out.push(v.chars().take(80).collect());
            }
        }
    }
    // CSS and SVG `url(…)`: only to a fragment of this file (`url(#clip)`).
    for (i, _) in html.match_indices("url(") {
        let v = html[i + 4..].trim_start_matches(['"', '\'']);
        if !v.starts_with('#') {
            out.push(html[i..].chars().take(40).collect());
        }
    }
    for bad in [
        "@import", "<script", "<iframe", "<link", "<img", "<object", "<embed",
    ] {
        if html.contains(bad) {
            out.push(bad.to_owned());
        }
    }
    // Any absolute URL at all, except SVG's namespace name (never fetched).
    let mut rest = html;
    while let Some(i) = rest.find("http") {
        let tail = &rest[i..];
        if (tail.starts_with("http://") || tail.starts_with("https://"))
            && !tail.starts_with("http://www.w3.org/2000/svg")
        {
            out.push(tail.chars().take(60).collect());
        }
        rest = &rest[i + 4..];
    }
    out
}

#[test]
fn html_is_well_formed_and_self_contained() {
    let s = build();
    let r = country_report(&s.store, "SG", &scope_all(), &SightingFilter::everything()).unwrap();
    let op = s.store.operation("mini").unwrap().unwrap();
    let (opr, _) = operation_report(&s.store, &op, &SightingFilter::everything(), NOW).unwrap();
    let (ix, _) = all_reports(&s.store, &scope_all(), &SightingFilter::everything()).unwrap();
    for (name, html) in [
        ("country", render::html(&r).unwrap()),
        ("operation", render::operation_html(&opr)),
        ("index", render::index_html(&ix)),
    ] {
        check_well_formed(&html)
            .map_err(|e| format!("{name}: {e}"))
            .unwrap();
        let ext = external_references(&html);
        assert!(ext.is_empty(), "{name} refers outside the file: {ext:?}");
        assert!(html.contains(render::SYNTHETIC_NOTICE.split(':').next().unwrap()));
        // Indicators are defanged for people: no live URL of the scenario.
        assert!(!html.contains("moh.gov.sg.test/"), "{name} has a live URL");
    }
    // The checker itself catches what it must.
    assert!(check_well_formed("<p><b>x</p></b>").is_err());
    assert!(check_well_formed("<p>a & b</p>").is_err());
    assert!(!external_references("<img src=\"https://x.example/a.png\">").is_empty());
    assert!(!external_references("<style>a{background:url(x)}</style>").is_empty());
    assert!(external_references("<g clip-path=\"url(#c1)\"></g>").is_empty());
}

#[test]
fn stix_appendix_reads_back_through_our_stix_ingest() {
    let s = build();
    let r = country_report(&s.store, "SG", &scope_all(), &SightingFilter::everything()).unwrap();
    let bundle = render::stix(&r).unwrap();
    let mut out = pelita_model::Collect::default();
    let ctx = pelita_model::ParseContext {
        strict: true,
        ..pelita_model::ParseContext::named("SG.stix.json")
    };
    pelita_stix::parse(bundle.as_bytes(), &ctx, &mut out);
    let values: BTreeSet<String> = out.observations.iter().map(|o| o.value.clone()).collect();
    // Phone numbers and wallets go out as Pelita's custom objects, which a
    // STIX consumer keeps but does not read as indicators; the rest must come back.
    let mut checked = 0;
    for row in r.indicators() {
        let custom = matches!(
            row.kind,
            pelita_model::IndicatorKind::Phone
                | pelita_model::IndicatorKind::Bitcoin
                | pelita_model::IndicatorKind::Ethereum
                | pelita_model::IndicatorKind::Monero
        );
        if custom {
            assert!(bundle.contains(&row.value));
        } else {
            assert!(
                values.contains(&row.value),
                "{} not in the STIX appendix",
                row.value
            );
            checked += 1;
        }
    }
    assert!(checked >= 5);
    assert!(
        out.problems
            .iter()
            .all(|p| p.severity != pelita_model::Severity::Error
                && p.severity != pelita_model::Severity::Warning),
        "STIX problems in strict mode: {:?}",
        out.problems
    );
}

#[cfg(feature = "pdf")]
#[test]
fn pdf_reports_read_back_with_poppler() {
    let s = build();
    let r = country_report(&s.store, "SG", &scope_all(), &SightingFilter::everything()).unwrap();
    let pdf = pelita_report::pdf::country(&r);
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let op = s.store.operation("mini").unwrap().unwrap();
    let (opr, _) = operation_report(&s.store, &op, &SightingFilter::everything(), NOW).unwrap();
    let op_pdf = pelita_report::pdf::operation(&opr);
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, expect) in [
        ("sg.pdf", &pdf, "Cyber Activity Report: Singapore (SG)"),
        ("op.pdf", &op_pdf, "Operation Operation Mini (synthetic)"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = match std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
        {
            Ok(o) => o,
            Err(_) => {
                assert!(
                    std::env::var_os("PELITA_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
                    "pdftotext is required (PELITA_REQUIRE_TOOLS=1): apt-get install poppler-utils"
                );
                println!("SKIPPED: pdftotext not installed");
                return;
            }
        };
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(expect), "{name}: {text}");
        assert!(text.contains("SYNTHETIC"), "{name}");
        assert!(text.contains("TLP:RED"), "{name}");
    }
    let text = String::from_utf8_lossy(
        &std::process::Command::new("pdftotext")
            .arg(dir.path().join("sg.pdf"))
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    // Defanged values, and the recommended actions.
    assert!(text.contains("198[.]18[.]0[.]10"));
    assert!(text.contains("Take down command-and-control servers"));
}

#[test]
fn written_files_are_the_renderings() {
    // The files are streamed (JSON, CSV, STIX) and the HTML embeds the
    // appendices it kept while writing them: each file must be exactly what
    // the in-memory rendering of the same report gives.
    let s = build();
    let r = country_report(&s.store, "SG", &scope_all(), &SightingFilter::everything()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let formats = [
        render::Format::Markdown,
        render::Format::Html,
        render::Format::Json,
    ];
    let written = pelita_report::files::write_country(dir.path(), &r, &formats).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["SG.md", "SG.html", "SG.json", "SG.csv", "SG.stix.json"]
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("SG.md"), render::markdown(&r));
    assert_eq!(read("SG.html"), render::html(&r).unwrap());
    assert_eq!(read("SG.json"), render::json(&r).unwrap());
    assert_eq!(read("SG.csv"), render::csv(&r));
    assert_eq!(read("SG.stix.json"), render::stix(&r).unwrap());
    // No temporary file is left beside them.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp-pelita"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn parallel_runs_give_results_in_country_order() {
    let s = build();
    let filter = SightingFilter::everything();
    let (ix, codes) =
        pelita_report::all_reports_with(&s.store, &scope_all(), &filter, &|r| Ok(r.country))
            .unwrap();
    // One output per country in the index, in code order, each the report
    // a single call builds.
    let mut want: Vec<String> = ix.countries.iter().map(|c| c.country.clone()).collect();
    want.sort();
    assert_eq!(codes, want);
    assert!(codes.len() > 1, "the fixture has several countries");
    let (_, reports) = all_reports(&s.store, &scope_all(), &filter).unwrap();
    for r in &reports {
        assert_eq!(
            r,
            &country_report(&s.store, &r.country, &scope_all(), &filter).unwrap()
        );
    }
    // An error from the callback is the run's error.
    let failed = pelita_report::all_reports_with(&s.store, &scope_all(), &filter, &|r| {
        if r.country == codes[0] {
            Err(pelita_report::ReportError::Render("stop".into()))
        } else {
            Ok(())
        }
    });
    assert!(matches!(failed, Err(pelita_report::ReportError::Render(m)) if m == "stop"));
}
