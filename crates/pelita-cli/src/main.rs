//! `pelita`: the command-line interface of the Pelita fusion centre.
//!
//! This crate is the only place (with tests) that uses `anyhow`: library
//! crates return typed errors, and this binary turns them into messages and
//! exit codes. Each subcommand lives in its own module under [`cmd`] and
//! only parses arguments, calls library crates and prints.
//!
//! Exit codes, for every subcommand: 0 success; 1 the command ran but some
//! input records failed; 2 usage errors and anything that stopped the run.

mod cmd;

use std::process::ExitCode;

/// mimalloc rather than the system allocator: `pelita ingest` parses on one
/// thread and writes on another, and records allocated by the parser are
/// freed by the writer; glibc's malloc made that cross-thread free a sixth
/// of the writer's time (see BENCHMARKS.md, "Ingest into the store").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Pelita: a cyber-threat-intelligence fusion centre.
///
/// Pelita takes the indicators that CERTs, police units and security firms
/// share (STIX, MISP, CSV feeds, plain lists, prose reports), puts every one
/// into a single canonical form, fuses the sightings of many partners, and
/// reports per country what was found and what to do about it.
#[derive(Debug, Parser)]
#[command(
    name = "pelita",
    version,
    about,
    long_about,
    propagate_version = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(cmd::demo::Args),
    Normalize(cmd::normalize::Args),
    Ingest(cmd::ingest::Args),
    Extract(cmd::extract::Args),
    Lookup(cmd::lookup::Args),
    Stats(cmd::stats::Args),
    Store(cmd::store::Args),
    Data(cmd::data::Args),
    Report(cmd::report::Args),
    Operation(cmd::operation::Args),
    Audit(cmd::audit::Args),
    Org(cmd::access::OrgArgs),
    Token(cmd::access::TokenArgs),
    User(cmd::access::UserArgs),
    Serve(cmd::serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(&args),
        Command::Normalize(args) => cmd::normalize::run(&args),
        Command::Ingest(args) => cmd::ingest::run(&args),
        Command::Extract(args) => cmd::extract::run(&args),
        Command::Lookup(args) => cmd::lookup::run(&args),
        Command::Stats(args) => cmd::stats::run(&args),
        Command::Store(args) => cmd::store::run(&args),
        Command::Data(args) => cmd::data::run(&args),
        Command::Report(args) => cmd::report::run(&args),
        Command::Operation(args) => cmd::operation::run(&args),
        Command::Audit(args) => cmd::audit::run(&args),
        Command::Org(args) => cmd::access::run_org(&args),
        Command::Token(args) => cmd::access::run_token(&args),
        Command::User(args) => cmd::access::run_user(&args),
        Command::Serve(args) => cmd::serve::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pelita: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
