//! `pelita serve`: the sharing server.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use pelita_auth::Role;
use pelita_store::{SqliteStore, Store as _, admin};
use time::OffsetDateTime;

use super::store_args::StoreArgs;

/// Serve the REST API to partners.
///
/// Every answer goes through the sharing policy for the organisation of
/// the token that asked (docs/specs/sharing-policy.md): partners see what
/// the markings let them see, and nothing else, counts included. Routes
/// are listed in crates/pelita-server/src/lib.rs; tokens are made with
/// `pelita token create`.
///
/// On first start, when no organisation is an administrator yet, it
/// creates the organisation `admin` and prints an administrator token
/// once.
///
/// Examples:
///
///   pelita serve
///
///   pelita serve --listen 127.0.0.1:9000 --data-dir /srv/pelita
///
///   curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8750/api/v1/indicators/198.51.100.7
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The address to listen on [default: 127.0.0.1:8750].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Largest request body, in MiB [default: 64].
    #[arg(long)]
    max_body_mib: Option<usize>,
    /// Requests per second each token may make, bursts of twice that [default: 200].
    #[arg(long)]
    rate: Option<f64>,
    /// Longest a request may run, in seconds [default: 120].
    #[arg(long)]
    timeout_secs: Option<u64>,
    /// Let requests without a token read TLP:CLEAR data (lookups, stats, blocklists).
    #[arg(long)]
    anonymous_read: bool,
    /// IP→country/ASN overrides for submissions the server receives, as
    /// `pelita ingest --ip-overrides`: a MaxMind-format `.mmdb`, or a CSV of
    /// `network,country,asn,as name`.
    #[arg(long, value_name = "FILE")]
    ip_overrides: Option<std::path::PathBuf>,
    /// A TOML file with any of: listen, max_body_mib, rate, timeout_secs,
    /// anonymous_read, ip_overrides (a path relative to the file's folder).
    /// Options given on the command line win.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
}

/// `--config FILE`: the same settings as the options.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    max_body_mib: Option<usize>,
    rate: Option<f64>,
    timeout_secs: Option<u64>,
    anonymous_read: Option<bool>,
    ip_overrides: Option<std::path::PathBuf>,
}

impl FileConfig {
    fn read(path: Option<&std::path::Path>) -> anyhow::Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut file: FileConfig = toml::from_str(&text)
            .with_context(|| format!("{}: not a serve configuration", path.display()))?;
        if let (Some(o), Some(dir)) = (&file.ip_overrides, path.parent()) {
            file.ip_overrides = Some(dir.join(o));
        }
        Ok(file)
    }
}

/// Creates `admin` and an administrator token when there is no administrator.
fn bootstrap(store: &mut SqliteStore) -> anyhow::Result<Option<String>> {
    if store
        .organisations()?
        .iter()
        .any(|o| o.role == Role::Administrator)
    {
        return Ok(None);
    }
    let operator = admin::Actor {
        org: "operator".into(),
        token: "-".into(),
    };
    admin::put_organisation(store, &operator, "admin", Role::Administrator)?;
    let (t, _) = admin::issue_token(
        store,
        &operator,
        &admin::TokenRequest {
            org: "admin".into(),
            name: "bootstrap".into(),
            ..Default::default()
        },
        OffsetDateTime::now_utc(),
    )?;
    Ok(Some(t.secret))
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let db = args.store.db_path()?;
    let data_dir = db
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let file = FileConfig::read(args.config.as_deref())?;
    let mut store = super::store_args::open_at(&db)?;
    // The same enrichment as `pelita ingest` of the data directory (the
    // imported warninglists, the user's IP overrides): a package is
    // enriched and suppressed alike whichever way it arrives.
    let overrides = args
        .ip_overrides
        .as_deref()
        .or(file.ip_overrides.as_deref());
    store.set_enricher(super::data::enricher(&data_dir, overrides)?);
    if let Some(secret) = bootstrap(&mut store)? {
        eprintln!(
            "pelita serve: first start: organisation `admin` created with an administrator token.\n\
             This is the only time it is shown; store it now:\n\n{secret}\n"
        );
    }
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8750)));
    let anonymous_read = args.anonymous_read || file.anonymous_read.unwrap_or(false);
    let state = pelita_server::AppState::new(
        store,
        pelita_server::Config {
            data_dir,
            max_body_bytes: args
                .max_body_mib
                .or(file.max_body_mib)
                .unwrap_or(64)
                .saturating_mul(1 << 20),
            requests_per_second: args.rate.or(file.rate).unwrap_or(200.0),
            request_timeout: std::time::Duration::from_secs(
                args.timeout_secs.or(file.timeout_secs).unwrap_or(120),
            ),
            anonymous_read,
            as_of: None,
        },
    )?;
    if anonymous_read {
        eprintln!("pelita serve: anonymous reading of TLP:CLEAR data is on");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        eprintln!(
            "pelita serve: listening on http://{} (store {})",
            listener.local_addr()?,
            db.display()
        );
        eprintln!(
            "pelita serve: web interface at http://{}/ui/ (accounts: pelita user add)",
            listener.local_addr()?
        );
        axum::serve(listener, pelita_server::router(state.clone()))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("the server stopped")
    })?;
    // Every answered read's audit entry is committed before the process ends.
    state
        .audit
        .flush()
        .map_err(|e| anyhow::anyhow!("the audit log: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
