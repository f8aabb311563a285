//! `pelita lookup`: what the store knows about a value, in any notation.

use std::fmt::Write as _;
use std::process::ExitCode;

use pelita_store::{IndicatorView, Lookup, SightingFilter, Store as _};
use time::OffsetDateTime;

use super::store_args::StoreArgs;

/// Look up indicators in the fusion store.
///
/// Each VALUE may be written in any notation (defanged, upper case, with a
/// port…); it is canonicalised first. For each, prints the fused view —
/// kind, canonical value, flags, confidence (now, and as reported), first
/// and last seen, independent sources, sightings by source with their
/// marking and reliability, malware, tags, related indicators — and also
/// the stored networks that contain an address and the stored parent
/// domains of a name, URL or e-mail address.
///
/// Exit status: 0 when every value was found, 1 when some were not (or
/// were not indicators), 2 on usage errors.
///
/// Examples:
///
///   pelita lookup 198.51.100.23 'hxxp://c2[.]example[.]com/gate.php'
///
///   pelita lookup --json AS64500
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Values to look up.
    #[arg(required = true, value_name = "VALUE")]
    values: Vec<String>,
    /// Print JSON (one object per value).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = args.store.open_existing()?;
    let now = OffsetDateTime::now_utc();
    let filter = SightingFilter::everything();
    let mut all_found = true;
    for value in &args.values {
        let result = store.lookup(value, &filter, now)?;
        let found = result.as_ref().is_some_and(|l| l.exact.is_some());
        all_found &= found;
        if args.json {
            let json = match &result {
                Some(l) => serde_json::to_value(l)?,
                None => serde_json::json!({ "input": value, "error": "not an indicator" }),
            };
            super::output::print(&format!("{}\n", serde_json::to_string(&json)?))?;
        } else {
            super::output::print(&render(value, result.as_ref()))?;
        }
    }
    Ok(if all_found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn date(t: OffsetDateTime) -> String {
    t.date().to_string()
}

fn render_view(out: &mut String, v: &IndicatorView, indent: &str) {
    let flags: Vec<&str> = v.flags.iter().map(|f| f.as_str()).collect();
    let _ = writeln!(
        out,
        "{indent}{}  {}{}",
        v.kind,
        v.value,
        if flags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", flags.join(", "))
        }
    );
    let f = &v.fused;
    let _ = writeln!(
        out,
        "{indent}  confidence  {:.2} now, {:.2} as reported; {} independent source(s), {} sighting(s)",
        f.confidence, f.base_confidence, f.sources, f.sightings
    );
    let _ = writeln!(
        out,
        "{indent}  seen        {} to {}",
        date(f.first_seen),
        date(f.last_seen)
    );
    if !v.classifications.is_empty() {
        let _ = writeln!(
            out,
            "{indent}  class       {} (ENISA RSIT)",
            v.classifications.join(", ")
        );
    }
    if let Some(e) = &v.enrichment {
        let mut facts = Vec::new();
        if let Some(c) = &e.country {
            facts.push(format!("hosted in {c}"));
        }
        if let Some(asn) = e.asn {
            facts.push(format!(
                "AS{asn}{}",
                e.as_name
                    .as_ref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(g) = &e.government {
            facts.push(format!(
                "{} suffix {} ({})",
                serde_json::to_value(g.sector)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                g.suffix,
                g.country
            ));
        } else if let Some(c) = &e.cctld_country {
            facts.push(format!("ccTLD of {c}"));
        }
        for b in &e.benign {
            facts.push(format!("on known-benign list \"{}\"", b.name));
        }
        if !facts.is_empty() {
            let _ = writeln!(out, "{indent}  enrichment  {}", facts.join("; "));
        }
    }
    for s in &f.suppressed {
        let _ = writeln!(
            out,
            "{indent}  suppressed  {}",
            serde_json::to_string(s).unwrap_or_default()
        );
    }
    if let Some(site) = &v.site {
        let name = |v: serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_default();
        let verdict = name(serde_json::to_value(site.assessment.verdict).unwrap_or_default());
        let reasons: Vec<String> = site
            .assessment
            .reasons
            .iter()
            .map(|r| name(serde_json::to_value(r).unwrap_or_default()))
            .collect();
        let _ = writeln!(
            out,
            "{indent}  site        {}: {verdict}{} ({} URLs, {} sources seen on it)",
            site.site,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" because {}", reasons.join(", "))
            },
            site.evidence.distinct_paths,
            site.evidence.independent_sources
        );
    }
    for s in &v.sources {
        let tlp = s.tlp.map_or("unmarked", |t| t.label());
        let rel = s.reliability.map_or("-".to_owned(), |r| r.to_string());
        let _ = writeln!(
            out,
            "{indent}  source      {:<20} {:>4} sighting(s)  {} to {}  {tlp}  reliability {rel}{}",
            s.source,
            s.sightings,
            date(s.first_seen),
            date(s.last_seen),
            if s.withdrawn { "  (withdrawn)" } else { "" }
        );
    }
    if !v.malware.is_empty() {
        let _ = writeln!(out, "{indent}  malware     {}", v.malware.join(", "));
    }
    if !v.tags.is_empty() {
        let _ = writeln!(out, "{indent}  tags        {}", v.tags.join(", "));
    }
    for r in &v.related {
        let arrow = if r.outgoing { "->" } else { "<-" };
        let _ = writeln!(
            out,
            "{indent}  related     {arrow} {} {}",
            serde_json::to_value(r.relation)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            r.key
        );
    }
}

fn render(input: &str, lookup: Option<&Lookup>) -> String {
    let mut out = String::new();
    let Some(l) = lookup else {
        let _ = writeln!(out, "{input}: not an indicator");
        return out;
    };
    match &l.exact {
        Some(v) => render_view(&mut out, v, ""),
        None => {
            let _ = writeln!(out, "{}: not in the store", l.key);
        }
    }
    for n in &l.containing_networks {
        let _ = writeln!(out, "  within network:");
        render_view(&mut out, n, "    ");
    }
    for d in &l.parent_domains {
        let _ = writeln!(out, "  parent domain:");
        render_view(&mut out, d, "    ");
    }
    out
}
