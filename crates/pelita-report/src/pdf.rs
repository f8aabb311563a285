//! PDF renderings (feature `pdf`), through `pelita-pdf`: the same content
//! as the Markdown rendering, laid out for print, with the marking at the
//! top of every page and the SYNTHETIC notice on demo stores.

use pelita_model::Tlp;
use pelita_pdf::{Block, Document};

use crate::render::SYNTHETIC_NOTICE;
use crate::{Action, CountryReport, OperationReport};

fn rgb(t: Tlp) -> (u8, u8, u8) {
    let hex = t.colour().trim_start_matches('#');
    let byte = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(255)
    };
    (byte(0), byte(2), byte(4))
}

fn header(marking: Tlp, synthetic: bool) -> String {
    if synthetic {
        format!("{} - SYNTHETIC DATA", marking.label())
    } else {
        marking.label().to_owned()
    }
}

fn actions_blocks(blocks: &mut Vec<Block>, actions: &[Action]) {
    if actions.is_empty() {
        blocks.push(Block::Paragraph(
            "No action recommended: no indicator matched a rule.".into(),
        ));
        return;
    }
    for (n, a) in (1..).zip(actions) {
        let status = a.state.as_ref().map_or("open", |s| s.status.as_str());
        blocks.push(Block::Heading {
            level: 3,
            text: format!("{n}. {} ({status})", a.title),
        });
        let shown: Vec<&str> = a.defanged.iter().take(20).map(String::as_str).collect();
        let more = a.defanged.len().saturating_sub(20);
        blocks.push(Block::Bullets(vec![
            format!("What: {}", a.text),
            format!("To: {}", a.recipients.join("; ")),
            format!(
                "Covers {} indicator(s): {}{}",
                a.indicators.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more (see the CSV appendix)")
                } else {
                    String::new()
                }
            ),
            format!("Id: {}", a.id),
        ]));
    }
}

/// The PDF rendering of a country report.
pub fn country(r: &CountryReport) -> Vec<u8> {
    let mut blocks = vec![Block::Marking {
        label: r.marking.label().to_owned(),
        rgb: rgb(r.marking),
    }];
    if r.synthetic {
        blocks.push(Block::Paragraph(SYNTHETIC_NOTICE.to_owned()));
    }
    let name = r
        .country_name
        .as_ref()
        .map_or(r.country.clone(), |n| format!("{n} ({})", r.country));
    blocks.push(Block::Heading {
        level: 1,
        text: format!("Cyber Activity Report: {name}"),
    });
    let since = r
        .period
        .since
        .map_or("all time".to_owned(), |s| s.date().to_string());
    blocks.push(Block::Paragraph(format!(
        "Period {since} to {}. {}",
        r.period.until.date(),
        r.provenance
    )));
    blocks.push(Block::Heading {
        level: 2,
        text: "Summary".into(),
    });
    blocks.push(Block::Paragraph(r.summary.sentences.join(" ")));
    blocks.push(Block::Heading {
        level: 2,
        text: "Recommended actions".into(),
    });
    actions_blocks(&mut blocks, &r.actions);
    if !r.top_asns.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            text: "Top networks".into(),
        });
        blocks.push(Block::Table {
            headers: vec!["ASN".into(), "Name".into(), "Indicators".into()],
            rows: r
                .top_asns
                .iter()
                .map(|a| {
                    vec![
                        format!("AS{}", a.asn),
                        a.name.clone().unwrap_or_default(),
                        a.indicators.to_string(),
                    ]
                })
                .collect(),
            widths: Some(vec![1.0, 3.0, 1.0]),
        });
    }
    for s in &r.sections {
        blocks.push(Block::Heading {
            level: 2,
            text: format!("{} ({})", s.title, s.indicators.len()),
        });
        if s.indicators.is_empty() {
            continue;
        }
        blocks.push(Block::Table {
            headers: [
                "Indicator (defanged)",
                "Class",
                "Malware",
                "Network",
                "Last seen",
                "Conf.",
                "Src",
            ]
            .map(String::from)
            .to_vec(),
            rows: s
                .indicators
                .iter()
                .take(crate::MAX_TABLE_ROWS)
                .map(|i| {
                    vec![
                        i.defanged.clone(),
                        i.classifications.join(", "),
                        i.malware.join(", "),
                        i.asn.map(|a| format!("AS{a}")).unwrap_or_default(),
                        i.last_seen.date().to_string(),
                        format!("{:.0}%", i.confidence * 100.0),
                        i.sources.to_string(),
                    ]
                })
                .collect(),
            widths: Some(vec![4.0, 2.2, 1.4, 1.1, 1.2, 0.7, 0.5]),
        });
    }
    pelita_pdf::render(&Document {
        title: format!("Cyber Activity Report: {name}"),
        header: header(r.marking, r.synthetic),
        footer: format!("Pelita fusion centre - {}", r.marking.label()),
        blocks,
    })
}

/// The PDF rendering of an operation report.
pub fn operation(op: &OperationReport) -> Vec<u8> {
    let mut blocks = vec![Block::Marking {
        label: op.marking.label().to_owned(),
        rgb: rgb(op.marking),
    }];
    if op.synthetic {
        blocks.push(Block::Paragraph(SYNTHETIC_NOTICE.to_owned()));
    }
    blocks.push(Block::Heading {
        level: 1,
        text: format!("Operation {}", op.operation.title),
    });
    blocks.push(Block::Table {
        headers: [
            "Country",
            "Indicators",
            "C2",
            "Compromised",
            "Gov.",
            "Phishing/scam",
            "Infected",
        ]
        .map(String::from)
        .to_vec(),
        rows: op
            .countries
            .iter()
            .map(|c| {
                let f = &c.summary;
                vec![
                    c.country.clone(),
                    f.indicators.to_string(),
                    f.c2_servers.to_string(),
                    f.compromised_websites.to_string(),
                    f.government_portals.to_string(),
                    f.phishing_scam.to_string(),
                    f.infected_vulnerable.to_string(),
                ]
            })
            .collect(),
        widths: None,
    });
    blocks.push(Block::Heading {
        level: 2,
        text: "Partners".into(),
    });
    blocks.push(Block::Table {
        headers: crate::render::CONTRIBUTION_HEADERS
            .map(String::from)
            .to_vec(),
        rows: crate::render::contribution_rows(op),
        widths: Some(vec![3.0, 1.0, 1.0, 1.0, 1.2]),
    });
    blocks.push(Block::Heading {
        level: 2,
        text: "Actions".into(),
    });
    actions_blocks(&mut blocks, &op.actions);
    pelita_pdf::render(&Document {
        title: format!("Operation {}", op.operation.title),
        header: header(op.marking, op.synthetic),
        footer: format!("Pelita fusion centre - {}", op.marking.label()),
        blocks,
    })
}
