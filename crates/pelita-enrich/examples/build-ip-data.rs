//! Converts ip-location-db CSV files into Pelita's compact IP table.
//!
//! `cargo run --release -p pelita-enrich --example build-ip-data -- <csv dir> <out file> <version>`
//!
//! Reads `geo-whois-asn-country-ipv4.csv`, `geo-whois-asn-country-ipv6.csv`,
//! `asn-ipv4.csv` and `asn-ipv6.csv` from `<csv dir>` (used by `scripts/refresh-data.sh`).

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out, version] = args.as_slice() else {
        eprintln!("usage: build-ip-data <csv dir> <out file> <version>");
        return ExitCode::from(2);
    };
    match run(&PathBuf::from(dir), &PathBuf::from(out), version) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("build-ip-data: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    dir: &std::path::Path,
    out: &std::path::Path,
    version: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let open = |name: &str| File::open(dir.join(name)).map(std::io::BufReader::new);
    let country = [
        open("geo-whois-asn-country-ipv4.csv")?,
        open("geo-whois-asn-country-ipv6.csv")?,
    ];
    let asn = [open("asn-ipv4.csv")?, open("asn-ipv6.csv")?];
    let bytes = pelita_enrich::build_tables(country, asn, version)?;
    let tables = pelita_enrich::IpTables::decode(&bytes)?;
    std::fs::write(out, &bytes)?;
    eprintln!(
        "wrote {} ({} bytes): {:?}",
        out.display(),
        bytes.len(),
        tables.stats()
    );
    Ok(())
}
