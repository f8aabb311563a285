//! `pelita demo`: the whole pipeline on a synthetic regional operation.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use pelita_demo::{COUNTRIES, Scenario};
use pelita_enrich::{Enricher, NameOverlay};
use pelita_ingest::{Archive, FormatChoice, IngestOptions, NoProgress, submit_reader};
use pelita_model::Limits;
use pelita_report::ReportScope;
use pelita_store::{
    Destination, OperationSpec, SightingFilter, SqliteStore, Store as _, store_submission,
};
use time::OffsetDateTime;

/// Run the whole pipeline on a synthetic regional operation.
///
/// Eight countries, their national CERTs and police cyber units, and seven
/// private security firms submit packages in their own formats (STIX
/// bundles, MISP events, Feodo Tracker, ThreatFox, URLhaus and Shadowserver
/// CSV, defanged lists, prose police reports): about 9,000 C2 servers, a few
/// hundred compromised websites (government portals among them), phishing
/// sites, scam phone numbers and e-mail addresses, crypto wallets and
/// infected IoT devices, with overlap between partners, conflicting
/// markings, decoys the known-benign lists must suppress, and a few
/// malformed records.
///
/// Pelita ingests every package through the real pipeline (archive, detect,
/// parse, canonicalise, fuse, enrich, classify) into a fresh store in
/// OUT/data, then writes the operation report, one Cyber Activity Report
/// per country and an index page into OUT, and prints a summary.
///
/// Every value is synthetic: documentation and benchmarking address
/// ranges, the reserved TLD .test, fictitious (Ofcom drama) phone numbers
/// and Bitcoin testnet wallets, placed in the demo countries by an
/// enrichment overlay. Every output says SYNTHETIC. Nothing real is ever
/// labelled malicious.
///
/// The same --seed, --scale and --now give the same store and reports.
/// --scale 10 to 1000 makes it a load generator (1000 ≈ 10 million
/// indicators).
///
/// Examples:
///
///   pelita demo
///
///   pelita demo --out /tmp/demo --scale 10 --format md,html,json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Where to write the reports (and the demo store, in OUT/data).
    #[arg(long, value_name = "DIR", default_value = "pelita-demo")]
    out: PathBuf,
    /// The scenario's seed.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Size: 1 is about 9,000 C2 servers; up to 1000.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,
    /// Report formats, comma-separated: md, html, json (and pdf with the `pdf` feature).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "md,html,json"
    )]
    format: Vec<String>,
    /// The scenario's "now" (default: the current time), for reproducible runs.
    #[arg(long, value_name = "DATE")]
    now: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// The demo operation's name.
pub const OPERATION: &str = "demo-harbour-light";

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let formats = super::report::parse_formats(&args.format)?;
    let now = match &args.now {
        Some(s) => super::when::parse_when(s, OffsetDateTime::now_utc())
            .map_err(anyhow::Error::msg)
            .context("--now")?,
        None => OffsetDateTime::now_utc(),
    };
    let data_dir = args.out.join("data");
    let db = data_dir.join("pelita.db");
    // A fresh store every run, so the same seed gives the same figures.
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    let archive = Archive::open(&data_dir)?;
    let mut store =
        SqliteStore::open(&db).with_context(|| format!("cannot create {}", db.display()))?;
    let overlay = NameOverlay::from_csv(&pelita_demo::name_overlay_csv())?;
    store.set_enricher(
        Enricher::builtin()
            .add_csv_overrides_text("pelita-demo", &pelita_demo::ip_overlay_csv())?
            .with_overlay("pelita-demo", overlay),
    );
    store.mark_synthetic()?;
    let scenario = Scenario::new(args.seed, args.scale, now);
    let truth = scenario.truth();
    let op = store.put_operation(&OperationSpec {
        name: OPERATION.into(),
        title: "Harbour Light (synthetic)".into(),
        // The scenario dates its sightings within the 90 days before `now`.
        starts_at: Some(now - time::Duration::days(90)),
        ends_at: Some(now),
        countries: COUNTRIES.iter().map(|c| c.code.to_owned()).collect(),
        organisations: pelita_demo::organisations()
            .into_iter()
            .map(|o| o.name)
            .collect(),
        scope: "A synthetic regional operation against C2 infrastructure, compromised websites, phishing and scam networks, for training.".into(),
    })?;

    let started = Instant::now();
    let pb = super::output::progress_bar(
        truth.packages,
        "ingest   [{bar:40}] {pos}/{len} packages {msg} ({elapsed})",
    );
    let (mut records, mut errors, mut bytes) = (0u64, 0u64, 0u64);
    // Packages arrive one a minute, the last at `now`: a fusion centre
    // receives its partners' packages over time, and receipt time orders
    // TAXII and the submissions list (and one shared receipt time was the
    // worst case for reading a TAXII collection by it).
    let mut arrives = now - time::Duration::minutes(truth.packages.saturating_sub(1) as i64);
    for package in scenario.packages() {
        pb.set_message(format!("{} {}", package.org, package.file_name));
        let options = IngestOptions {
            format: FormatChoice::parse(&package.format)
                .with_context(|| format!("package format {}", package.format))?,
            source: Some(package.org.clone()),
            tlp: package.tlp,
            tags: package.tags.clone(),
            ..IngestOptions::default()
        };
        bytes += package.bytes.len() as u64;
        let sub = submit_reader(
            &archive,
            &package.file_name,
            package.bytes.as_slice(),
            &Limits::default(),
        )?;
        let (report, _) = store_submission(
            &mut store,
            &archive,
            &sub,
            &options,
            Destination {
                operation: Some(op),
                received_at: arrives,
                recipients: Vec::new(),
                also: None,
            },
            &mut NoProgress,
        )
        .with_context(|| format!("{} from {}", package.file_name, package.org))?;
        records += report.records;
        errors += report.errors.values().map(|e| e.count).sum::<u64>();
        arrives += time::Duration::minutes(1);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let ingest_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let spinner = super::output::progress_bar(0, "reports  {spinner} {msg} ({elapsed})");
    spinner.set_message("operation, country and index reports");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let operation = store
        .operation(OPERATION)?
        .context("the demo operation vanished")?;
    let scope = ReportScope {
        since: None,
        operation: Some(operation),
        now,
    };
    let filter = SightingFilter::everything();
    let written = super::report::write(&store, None, false, &scope, &filter, &args.out, &formats)?;
    let index_page = args.out.join("index.html");
    spinner.finish_and_clear();
    let report_secs = started.elapsed().as_secs_f64();
    let stats = store.stats(&filter)?;

    if args.json {
        let v = serde_json::json!({
            "seed": args.seed,
            "scale": args.scale,
            "packages": truth.packages,
            "bytes": bytes,
            "records": records,
            "record_errors": errors,
            "indicators": stats.indicators,
            "sightings": stats.sightings,
            "ingest_seconds": ingest_secs,
            "report_seconds": report_secs,
            "countries": written.countries,
            "operation_page": written.main,
            "index_page": index_page,
            "store": db,
        });
        super::output::print(&format!("{}\n", serde_json::to_string_pretty(&v)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Pelita demo (SYNTHETIC DATA): operation Harbour Light, seed {}, scale {}",
        args.seed, args.scale
    );
    let _ = writeln!(
        out,
        "  {} packages from {} partners, {:.1} MB: {} records ({} malformed, reported with their location), {} indicators, {} sightings",
        truth.packages,
        truth.organisations,
        bytes as f64 / 1e6,
        records,
        errors,
        stats.indicators,
        stats.sightings
    );
    let _ = writeln!(
        out,
        "  ingest {ingest_secs:.1} s ({:.0} records/s), reports {report_secs:.1} s\n",
        records as f64 / ingest_secs.max(1e-9)
    );
    let _ = writeln!(
        out,
        "  {:<22} {:>10} {:>6} {:>12} {:>6} {:>10} {:>10} {:>8}",
        "country", "indicators", "C2", "compromised", "gov.", "phish/scam", "infected", "actions"
    );
    let mut total = [0u64; 7];
    for c in &written.countries {
        let f = &c.summary;
        let row = [
            f.indicators,
            f.c2_servers,
            f.compromised_websites,
            f.government_portals,
            f.phishing_scam,
            f.infected_vulnerable,
            c.actions,
        ];
        for (t, v) in total.iter_mut().zip(row) {
            *t += v;
        }
        let name = match &c.name {
            Some(n) => format!("{n} ({})", c.country),
            None => c.country.clone(),
        };
        let _ = writeln!(
            out,
            "  {name:<22} {:>10} {:>6} {:>12} {:>6} {:>10} {:>10} {:>8}",
            row[0], row[1], row[2], row[3], row[4], row[5], row[6]
        );
    }
    let _ = writeln!(
        out,
        "  {:<22} {:>10} {:>6} {:>12} {:>6} {:>10} {:>10} {:>8}\n",
        "total", total[0], total[1], total[2], total[3], total[4], total[5], total[6]
    );
    let _ = writeln!(out, "  store       {}", db.display());
    if let Some(p) = &written.main {
        let _ = writeln!(out, "  operation   {}", p.display());
    }
    let _ = writeln!(out, "  open        {}", index_page.display());
    let _ = writeln!(
        out,
        "\nNext: pelita lookup --db {} 198.18.0.1 · pelita report --db {} --country SG",
        db.display(),
        db.display()
    );
    super::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
