//! `pelita serve`: the sharing server.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use pelita_auth::{Role, TokenGrant, generate_token};
use pelita_store::{SqliteStore, Store as _, TokenRow};
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
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8750")]
    listen: SocketAddr,
    /// Largest request body, in MiB.
    #[arg(long, default_value_t = 64)]
    max_body_mib: usize,
    /// Requests per second each token may make (bursts of twice that).
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Longest a request may run, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    #[command(flatten)]
    store: StoreArgs,
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
    store.put_organisation("admin", Role::Administrator)?;
    let t = generate_token()?;
    let now = OffsetDateTime::now_utc();
    store.put_token(&TokenRow {
        id: t.id.as_str().to_owned(),
        name: "bootstrap".into(),
        hash: t.hash.clone(),
        grant: TokenGrant {
            org: "admin".into(),
            role: Role::Administrator,
            scopes: Role::Administrator.scopes(),
            max_tlp: None,
            expires_at: None,
            revoked: false,
        },
        created_at: now,
    })?;
    super::audit::record(
        store,
        "token.create",
        format!("id={} org=admin name=bootstrap", t.id.as_str()),
        1,
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
    let mut store = super::store_args::open_at(&db)?;
    if let Some(secret) = bootstrap(&mut store)? {
        eprintln!(
            "pelita serve: first start: organisation `admin` created with an administrator token.\n\
             This is the only time it is shown; store it now:\n\n{secret}\n"
        );
    }
    let state = pelita_server::AppState::new(
        store,
        pelita_server::Config {
            data_dir,
            max_body_bytes: args.max_body_mib.saturating_mul(1 << 20),
            requests_per_second: args.rate,
            request_timeout: std::time::Duration::from_secs(args.timeout_secs),
        },
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        eprintln!(
            "pelita serve: listening on http://{} (store {})",
            listener.local_addr()?,
            db.display()
        );
        axum::serve(listener, pelita_server::router(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("the server stopped")
    })?;
    Ok(ExitCode::SUCCESS)
}
