//! Pelita's sharing server: the REST API, TAXII 2.1 and the web interface
//! over the fusion store.
//!
//! Partners only share with a fusion centre they can trust, so this crate
//! is built so that a handler *cannot* read the store except as the
//! organisation whose token it was given:
//!
//! - [`auth`] turns the `Authorization: Bearer pelita_<id>_<secret>` header
//!   into an [`auth::Caller`] (the token's grant, checked: not revoked, not
//!   expired, the scope the route needs, allowed by the role) or a
//!   401/403 error. There is no other way to make a `Caller`.
//! - [`view::ReaderView`] is the only door to the store for handlers: made
//!   from a `Caller`, it holds the sharing filter of the caller's
//!   organisation (and the token's marking ceiling) and offers reads
//!   without a filter parameter, so no handler can pass a wider one. The
//!   policy itself is `pelita_store::policy` (docs/specs/sharing-policy.md).
//! - [`error::ApiError`] is the one table of error codes of the API: every
//!   error is JSON `{"error": {"code", "message"}}` with a stable code, and
//!   an indicator the caller may not see is `not_found`, exactly like one
//!   that was never submitted.
//! - Every request is written to the tamper-evident audit log with the
//!   organisation, the token id, the query and the result size: writes
//!   before their answer, reads through [`audit_log::AuditQueue`] (one
//!   commit per few milliseconds; see there for what that costs).
//! - Reads go through [`AppState::reader`], a second handle on the store
//!   with its own connections, so a read never waits for a partner's
//!   submission to be written through [`AppState::writer`].
//! - Breaking the glass ([`auth::break_glass`]): a token issued with the
//!   `break-glass` scope (never by default) may read past the sharing
//!   policy on a request that states why in the `Pelita-Break-Glass`
//!   header; the reason is committed to the audit log before the read.
//! - Anonymous reading ([`Config::anonymous_read`], off by default): a
//!   request without a token reads TLP:CLEAR data only (look-ups, search,
//!   stats, blocklists).
//! - People ([`web`]): a session, verified by [`auth::authenticate_session`]
//!   (the only other way to a `Caller`), reads and writes as the person's
//!   organisation through the same views; every form is CSRF-checked.
//! - Hardening: a request body limit, security headers on every response
//!   (`nosniff`, `no-store`, a `default-src 'none'` CSP, no framing; the
//!   API explorer's files alone get [`docs::CSP`], which lets its page load
//!   its own scripts and styles and call this origin), no
//!   CORS, token secrets compared through their argon2id hash (and a
//!   constant-time digest comparison for the verified-token cache), nothing
//!   secret in logs.
//!
//! Routes (all JSON; `{v}` is any notation, defanged or not). The `/api/v1`
//! routes are one table, [`routes::ROUTES`], from which the router is
//! built; [`openapi`] documents each of them (`tests/openapi.rs` checks that
//! the two agree, both ways):
//!
//! | method and path | scope | what |
//! | --- | --- | --- |
//! | `GET /api/v1/indicators/{v}` | read | the fused view, containing networks, parent domains |
//! | `GET /api/v1/stats` | read | counts by kind, class, country, ASN, source |
//! | `POST /api/v1/search` | read | every indicator in a pasted text (prose, Markdown, HTML, defanged or not), each as the caller may see it |
//! | `GET /api/v1/reports/country/{cc}` | report | the Cyber Activity Report as the caller may see it |
//! | `GET /api/v1/reports/operation/{name}` | report | an operation's report, for its members (others: 404) |
//! | `POST /api/v1/submissions?format=&tlp=&operation=&share_with=` | submit | a package (raw body, or the `file` of a multipart form) → 202 with its report |
//! | `GET /api/v1/submissions/{sha256}` | submit | the status and located errors of one's own submission |
//! | `GET /api/v1/exports/blocklist?kind=` | read | one canonical value per line, suppressed values left out |
//! | `GET /api/v1/exports/{csv,stix}?country=` | report | a country's indicators as CSV or a STIX 2.1 bundle |
//! | `GET /api/v1/exports/misp-feed/{manifest.json,hashes.csv,UUID.json}` | report | the caller's view as a MISP feed, one event per country |
//! | `GET, PUT /api/v1/organisations[/{name}]` | admin | organisations and their roles |
//! | `GET, POST /api/v1/tokens`, `DELETE /api/v1/tokens/{id}` | admin | tokens (the secret shown once), revocation |
//! | `GET /api/v1/audit?from=&limit=`, `GET /api/v1/audit/verify` | audit | the audit log in pages, and its chain check |
//! | `GET /api/v1/me` | any | who the token is |
//! | `GET /openapi.json` | none | the OpenAPI 3.1 document of the routes above ([`openapi`]) |
//! | `GET /api/docs` | none | the API explorer: Swagger UI, embedded, nothing from another origin ([`docs`]) |
//!
//! TAXII 2.1 ([`taxii`]; its own specification, so neither in [`routes::ROUTES`]
//! nor in the OpenAPI document; every answer `application/taxii+json;version=2.1`,
//! errors as TAXII error messages with the codes of [`error::ApiError`]):
//!
//! | method and path | scope | what |
//! | --- | --- | --- |
//! | `GET /taxii2/` | read or submit | discovery: the one API root |
//! | `GET /taxii2/api/` | read or submit | the API root: versions, `max_content_length` (the body limit) |
//! | `GET /taxii2/api/collections/` | read or submit | `tlp-clear` … `tlp-red`, `op-<name>` for the caller's operations, `inbox` |
//! | `GET /taxii2/api/collections/{id}/` | read or submit | one collection (one the caller may not see: 404) |
//! | `GET /taxii2/api/collections/{id}/objects/` | read | an envelope of STIX indicators: `limit`, `next`, `added_after`, `match[id,type,version,spec_version]`, `X-TAXII-Date-Added-First/Last` |
//! | `GET /taxii2/api/collections/{id}/objects/{object_id}/` | read | one object |
//! | `GET /taxii2/api/collections/{id}/objects/{object_id}/versions/` | read | its versions (one: the latest visible receipt) |
//! | `GET /taxii2/api/collections/{id}/manifest/` | read | the manifest, paged as the objects |
//! | `POST /taxii2/api/collections/inbox/objects/?tlp=` | submit | an envelope → a STIX submission of the caller's organisation → 202 with a status resource |
//! | `GET /taxii2/api/status/{status_id}/` | submit | that status again (the submitter's only) |
//!
//! The web interface ([`web`]; HTML, for people with an account made by
//! `pelita user add`; a session cookie instead of a token, and a CSRF token
//! in every form):
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET, POST /ui/login` | the sign-in form (double-submit CSRF cookie) → the `pelita_session` cookie |
//! | `POST /ui/logout` | ends the session on the server |
//! | `GET /ui/` | dashboard: counts by country, class, kind; the organisation's newest submissions; its operations |
//! | `GET /ui/search?q=`, `POST /ui/search` | every indicator in pasted text, as the viewer may see it (`search` above) |
//! | `GET /ui/indicator/{v}` | one value's fused view, sightings by source, related indicators (hidden = unknown) |
//! | `GET, POST /ui/submit` | a package (upload or paste, format, marking, operation) → its report with located errors |
//! | `GET /ui/assets/*` | htmx and the stylesheet, embedded |
//!
//! Each token has a request budget ([`Config::requests_per_second`], burst
//! twice that): over it, `429 rate_limited` with `Retry-After`. A request
//! that runs longer than [`Config::request_timeout`] answers `503 timeout`.

pub mod admin;
pub mod audit_log;
pub mod auth;
pub mod docs;
pub mod error;
pub mod openapi;
pub mod routes;
pub mod taxii;
pub mod view;
pub mod web;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pelita_store::SqliteStore;

pub use routes::router;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory: the archive (and the store, unless `db` says otherwise).
    pub data_dir: PathBuf,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Requests per second each token may make (bursts of twice that).
    pub requests_per_second: f64,
    /// Longest a request may run.
    pub request_timeout: std::time::Duration,
    /// Whether requests without a token may read TLP:CLEAR data (lookups,
    /// stats, blocklists). Off by default.
    pub anonymous_read: bool,
    /// Answer as of this instant instead of the clock (decay, report
    /// periods): reproducible answers for training runs and tests.
    pub as_of: Option<time::OffsetDateTime>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("."),
            max_body_bytes: 64 << 20,
            requests_per_second: 200.0,
            request_timeout: std::time::Duration::from_secs(120),
            anonymous_read: false,
            as_of: None,
        }
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The store as readers use it: its own connections, so a read never
    /// waits for a partner's submission to be written.
    pub reader: Arc<SqliteStore>,
    /// The store as the one writer uses it (submissions, administration,
    /// the audit queue's batches).
    pub writer: Arc<Mutex<SqliteStore>>,
    /// The queue in front of the audit log for reads.
    pub audit: Arc<audit_log::AuditQueue>,
    /// The archive submissions are kept in before they are parsed.
    pub archive: Arc<pelita_ingest::Archive>,
    /// Tokens already verified against their argon2id hash in this
    /// process: id → SHA-256 of the secret (argon2 is slow by design; a
    /// request must not pay it every time).
    pub verified: Arc<Mutex<std::collections::HashMap<String, [u8; 32]>>>,
    /// Token grants read recently: id → (the stored token, its
    /// organisation's id, when read, the generation it was read in). A
    /// busy token is not read from the store on every request; see
    /// [`GRANT_TTL`] for how fresh an entry must be.
    pub grants: Arc<Mutex<std::collections::HashMap<String, CachedGrant>>>,
    /// Bumped by every change the server makes to organisations or tokens:
    /// a cached grant from an older generation is read again.
    pub grant_generation: Arc<std::sync::atomic::AtomicU64>,
    /// Per-token request budgets: id → (tokens left, when last refilled).
    pub budgets: Arc<Mutex<std::collections::HashMap<String, (f64, std::time::Instant)>>>,
    /// The next pages of TAXII listings being walked ([`taxii::Runs`]).
    pub taxii_runs: Arc<taxii::Runs>,
    /// The configuration.
    pub config: Arc<Config>,
}

/// How long a token's grant read from the store is trusted without
/// reading it again. Changes made through this server (revocation, a new
/// role) apply at once; a change made at the console on the same store
/// (`pelita token revoke`) applies within this time.
pub const GRANT_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// A token grant as [`AppState::grants`] keeps it.
pub type CachedGrant = (
    pelita_store::TokenRow,
    Option<pelita_store::OrgId>,
    std::time::Instant,
    u64,
);

impl AppState {
    /// Forgets every cached grant (after a change to organisations or tokens).
    pub fn invalidate_grants(&self) {
        self.grant_generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The archive folder.
    #[error(transparent)]
    Archive(#[from] pelita_ingest::ArchiveError),
    /// The store.
    #[error(transparent)]
    Store(#[from] pelita_store::StoreError),
}

impl AppState {
    /// The state for a store and a configuration.
    pub fn new(store: SqliteStore, config: Config) -> Result<AppState, StartError> {
        let archive = pelita_ingest::Archive::open(&config.data_dir)?;
        let reader = Arc::new(store.twin()?);
        // The audit thread's own handle: read entries are committed while a
        // large submission holds the writer.
        let audit = store.twin()?;
        let writer = Arc::new(Mutex::new(store));
        Ok(AppState {
            reader,
            audit: Arc::new(audit_log::AuditQueue::start(audit)),
            writer,
            archive: Arc::new(archive),
            verified: Arc::new(Mutex::new(std::collections::HashMap::new())),
            grants: Arc::new(Mutex::new(std::collections::HashMap::new())),
            grant_generation: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            budgets: Arc::new(Mutex::new(std::collections::HashMap::new())),
            taxii_runs: Arc::new(taxii::Runs::default()),
            config: Arc::new(config),
        })
    }
}
