//! `pelita normalize`: one candidate indicator per line in, its canonical form out.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use pelita_model::{Flags, Indicator, IndicatorKind, ParseOptions};
use serde::Serialize;

/// Canonicalise indicators, one per line.
///
/// Reads candidate indicators (IPs, CIDRs, domains, URLs, e-mail addresses,
/// hashes, ASNs, wallet addresses, onion addresses, phone numbers), in any
/// notation partners use, defanged or not, and writes for each line its kind
/// and canonical value. Blank lines and lines starting with `#` are skipped.
///
/// Output is tab-separated: `kind  value  [flags]`, or `error  line N: why`
/// for a line that is not an indicator. Flags say what a value is
/// (`private`, `documentation`, `reserved-tld`…) or what was done to it
/// (`refanged`, `host-bits-set`…).
///
/// Exit status: 0 when every line was an indicator, 1 when some were not,
/// 2 on usage errors.
///
/// Examples:
///
///   pelita normalize examples/indicators.txt
///
///   echo 'hxxps://Example[.]COM:443/a/../b' | pelita normalize --json
///
///   pelita normalize --default-region GB phones.txt
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The file to read, or `-` for standard input.
    #[arg(default_value = "-")]
    file: PathBuf,
    /// Write one JSON object per line: input, line, kind, value, key, flags, and error when it failed.
    #[arg(long)]
    json: bool,
    /// Region (ISO 3166 alpha-2, e.g. GB) for phone numbers written without a country code.
    #[arg(long, value_name = "CC")]
    default_region: Option<String>,
    /// Treat every line as this kind instead of inferring it (ipv4, domain, url, email, md5, asn, phone, …).
    #[arg(long, value_name = "KIND")]
    kind: Option<IndicatorKind>,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    line: u64,
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<IndicatorKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "no_flags")]
    flags: Flags,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if let Some(region) = &args.default_region {
        // Check the region once, up front, so a typo is a usage error rather than an error per line.
        let probe = Indicator::parse(
            "+1 202 555 0100",
            Some(IndicatorKind::Phone),
            &ParseOptions {
                default_region: Some(region.clone()),
            },
        );
        if let Err(pelita_model::IndicatorError::Phone(
            e @ pelita_model::phone::PhoneError::Region(_),
        )) = probe
        {
            anyhow::bail!("--default-region: {e}");
        }
    }
    let options = ParseOptions {
        default_region: args.default_region.clone(),
    };
    let reader: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let f = std::fs::File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        Box::new(io::BufReader::with_capacity(1 << 16, f))
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let (mut ok, mut failed) = (0u64, 0u64);
    for (n, raw) in reader.split(b'\n').enumerate() {
        let raw = raw.context("cannot read input")?;
        let line = (n as u64) + 1;
        let decoded = std::str::from_utf8(&raw);
        let text = match decoded {
            Ok(t) => t.trim_end_matches('\r'),
            Err(_) => "",
        };
        let text = if line == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        if decoded.is_ok() && (text.trim().is_empty() || text.trim_start().starts_with('#')) {
            continue;
        }
        let result = match decoded {
            Ok(_) => Indicator::parse(text, args.kind, &options).map_err(|e| e.to_string()),
            Err(e) => Err(format!(
                "line is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            )),
        };
        match &result {
            Ok(_) => ok += 1,
            Err(_) => failed += 1,
        }
        let written = if args.json {
            let record = match &result {
                Ok(c) => JsonLine {
                    line,
                    input: text,
                    kind: Some(c.indicator.kind()),
                    value: Some(c.indicator.value()),
                    key: Some(c.indicator.key()),
                    flags: c.flags,
                    port: c.port,
                    error: None,
                },
                Err(e) => JsonLine {
                    line,
                    input: text,
                    kind: None,
                    value: None,
                    key: None,
                    flags: Flags::empty(),
                    port: None,
                    error: Some(e.clone()),
                },
            };
            serde_json::to_writer(&mut out, &record)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            match &result {
                Ok(c) if c.flags.is_empty() => {
                    writeln!(out, "{}\t{}", c.indicator.kind(), c.indicator)
                }
                Ok(c) => {
                    let flags: Vec<&str> = c.flags.iter().map(|f| f.as_str()).collect();
                    writeln!(
                        out,
                        "{}\t{}\t{}",
                        c.indicator.kind(),
                        c.indicator,
                        flags.join(",")
                    )
                }
                Err(e) => writeln!(out, "error\tline {line}: {e}"),
            }
        };
        if let Err(e) = written {
            // A closed pipe (`| head`) is not an error of ours.
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e).context("cannot write output");
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(e).context("cannot write output");
        }
        _ => {}
    }
    eprintln!(
        "pelita normalize: {} lines, {ok} indicators, {failed} not indicators",
        ok + failed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn no_flags(f: &Flags) -> bool {
    f.is_empty()
}
