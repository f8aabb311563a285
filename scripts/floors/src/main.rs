//! The floors under Pelita's unmet performance goals: how fast the fastest
//! available tools do the least part of each job on this machine, so that a
//! goal below its floor is known to be out of reach rather than merely not
//! yet reached. Nothing here is Pelita's code path; each case says what it
//! leaves out.
//!
//! ```sh
//! scripts/floors.sh            # builds this crate, runs every case
//! ```

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REPS: usize = 5;

/// Median and fastest of `REPS` runs of `f`, after one warm-up.
fn time<T>(mut f: impl FnMut() -> Result<T>) -> Result<(Duration, Duration, T)> {
    let mut out = f()?;
    let mut runs = Vec::with_capacity(REPS);
    for _ in 0..REPS {
        let t = Instant::now();
        out = f()?;
        runs.push(t.elapsed());
    }
    runs.sort();
    Ok((runs[REPS / 2], runs[0], out))
}

fn line(what: &str, bytes: usize, (median, min): (Duration, Duration)) {
    let mbs = bytes as f64 / median.as_secs_f64() / 1e6;
    println!(
        "  {what:<44} {:>9.4} s [{:.4}]  {mbs:>9.1} MB/s",
        median.as_secs_f64(),
        min.as_secs_f64()
    );
}

/// JSON: reading the file, serde_json validating it with nothing kept
/// (`IgnoredAny`, from a slice: no allocation), and simd-json building its
/// tape (SIMD structural scan; it parses in place, so each run first copies
/// the bytes, timed apart and left out).
fn json(path: &Path) -> Result<()> {
    let (m, n, bytes) = time(|| fs::read(path).context("read"))?;
    println!("{} ({} bytes)", path.display(), bytes.len());
    line("read (std::fs::read, page cache warm)", bytes.len(), (m, n));
    let (m, n, _) =
        time(|| serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).context("serde_json"))?;
    line("serde_json from_slice::<IgnoredAny>", bytes.len(), (m, n));
    let (cm, cn, _) = time(|| Ok(bytes.clone()))?;
    line("copy of the bytes (for simd-json)", bytes.len(), (cm, cn));
    let (m, n, _) = time(|| {
        let mut copy = bytes.clone();
        let tape = simd_json::to_tape(&mut copy).map_err(|e| anyhow::anyhow!("simd-json: {e}"))?;
        Ok(std::hint::black_box(tape).0.len())
    })?;
    line("simd-json to_tape, copy included", bytes.len(), (m, n));
    line(
        "simd-json to_tape, copy left out",
        bytes.len(),
        (m.saturating_sub(cm), n.saturating_sub(cn)),
    );
    Ok(())
}

/// CSV: the csv crate splitting the file into records from memory, nothing
/// decoded.
fn csv_floor(path: &Path) -> Result<()> {
    let (m, n, bytes) = time(|| fs::read(path).context("read"))?;
    println!("{} ({} bytes)", path.display(), bytes.len());
    line("read (std::fs::read, page cache warm)", bytes.len(), (m, n));
    let (m, n, rows) = time(|| {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(bytes.as_slice());
        let mut rec = csv::ByteRecord::new();
        let mut rows = 0u64;
        while r.read_byte_record(&mut rec)? {
            rows += 1;
        }
        Ok(rows)
    })?;
    line(
        &format!("csv ByteRecord split ({rows} rows)"),
        bytes.len(),
        (m, n),
    );
    Ok(())
}

/// SQLite: the rows of a finished store copied into an empty store of the
/// same schema and page size, in one transaction with the journal off and no
/// syncs (less durable than any real ingest), then the three indexes a bulk
/// load builds at its end. This is SQLite's part of a bulk load with
/// parsing, canonicalisation, enrichment, binding and durability all left out.
fn sqlite(src: &Path, dst: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = format!("{}{suffix}", dst.display());
        let _ = fs::remove_file(p);
    }
    let from =
        rusqlite::Connection::open_with_flags(src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let page: i64 = from.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let mut schema = Vec::new();
    {
        let mut st = from.prepare(
            "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            schema.push(row?);
        }
    }
    let counts: Vec<(String, i64)> = ["indicators", "sightings", "relationships"]
        .iter()
        .map(|t| {
            Ok((
                t.to_string(),
                from.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?,
            ))
        })
        .collect::<Result<_>>()?;
    drop(from);
    // Warm the page cache: the floor is SQLite's work, not the disk's.
    let _ = fs::read(src)?;
    let deferred = ["indicators_site", "relationships_dst", "indicators_khash"];
    let c = rusqlite::Connection::open(dst)?;
    c.execute_batch(&format!(
        "PRAGMA page_size = {page}; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA foreign_keys = OFF;"
    ))?;
    for (_, name, sql) in &schema {
        if !deferred.contains(&name.as_str()) {
            c.execute_batch(sql)?;
        }
    }
    c.execute("ATTACH ?1 AS src", [src.display().to_string()])?;
    c.execute_batch(
        "INSERT INTO organisations SELECT * FROM src.organisations;
         INSERT INTO submissions SELECT * FROM src.submissions;
         INSERT INTO datasets SELECT * FROM src.datasets;",
    )?;
    println!(
        "{} into an empty store ({page}-byte pages, journal off, no syncs)",
        src.display()
    );
    for (t, n) in &counts {
        println!("  {t}: {n} rows");
    }
    let all = Instant::now();
    c.execute_batch("BEGIN")?;
    let step = |what: &str, sql: &str| -> Result<()> {
        let t = Instant::now();
        c.execute_batch(sql)?;
        println!("  {what:<44} {:>9.3} s", t.elapsed().as_secs_f64());
        Ok(())
    };
    step(
        "indicators (with their other indexes)",
        "INSERT INTO indicators SELECT * FROM src.indicators",
    )?;
    step(
        "sightings (with their indexes)",
        "INSERT INTO sightings SELECT * FROM src.sightings",
    )?;
    step(
        "relationships (primary key)",
        "INSERT INTO relationships SELECT * FROM src.relationships",
    )?;
    for (_, name, sql) in &schema {
        if deferred.contains(&name.as_str()) {
            step(&format!("CREATE INDEX {name}"), sql)?;
        }
    }
    step("COMMIT", "COMMIT")?;
    println!("  {:<44} {:>9.3} s", "total", all.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["json", files @ ..] => files.iter().try_for_each(|f| json(Path::new(f))),
        ["csv", f] => csv_floor(Path::new(f)),
        ["sqlite", src, dst] => sqlite(Path::new(src), Path::new(dst)),
        _ => bail!("usage: pelita-floors json FILE… | csv FILE | sqlite SRC DST"),
    }
}
