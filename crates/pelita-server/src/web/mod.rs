//! The web interface under `/ui/`: server-rendered pages (askama templates
//! in `templates/web/`) with htmx for partial updates, every asset embedded
//! in the binary and served from this origin.
//!
//! # Pages
//!
//! | Path | What |
//! |---|---|
//! | `/ui/login`, `/ui/logout` | sign-in and sign-out |
//! | `/ui/` | dashboard: region map, charts by class and by week (inline SVG), counts, own submissions, operations |
//! | `/ui/search`, `/ui/indicator/{value}` | search of pasted text; an indicator's fused view |
//! | `/ui/submit` | submission with located errors |
//! | `/ui/country/{cc}`, `…/report.{md,html,json,csv,stix.json}` | the country's Cyber Activity Report, and its downloads |
//! | `/ui/operation/{name}`, `…/report.{md,html,json}` | an operation's report (members only), and its downloads |
//! | `/ui/admin` (+ `POST …/organisation`, `…/token`, `…/token/revoke`) | organisations and tokens (administrators) |
//! | `/ui/audit?from=N` | the audit log, 50 entries a page, and the chain check (`audit` scope) |
//!
//! # Why a module of this crate, not a crate of its own
//!
//! The interface must be a client of exactly the server's access path: a
//! [`crate::auth::Caller`] made only by verifying a session, and
//! [`crate::view::ReaderView`] / [`crate::view::WriterView`] made from it.
//! A `pelita-web` crate would depend on `pelita-server` for those types,
//! and `routes::router` (which mounts the interface) would depend on
//! `pelita-web`: a dependency cycle. Making `Caller`'s constructor public
//! to break it would give a second crate a way to make callers. So the
//! interface lives here, and `Caller` stays constructible only in
//! [`crate::auth`].
//!
//! # Invariants
//!
//! - **Sessions.** `POST /ui/login` checks the name and password
//!   (argon2id, `pelita_auth::verify_password`) and stores a server-side
//!   session: the browser gets a random 256-bit id in the `pelita_session`
//!   cookie (`HttpOnly; SameSite=Strict; Path=/ui`, `Secure` when the
//!   request came over TLS or with `X-Forwarded-Proto: https`); the store
//!   keeps only its SHA-256. A session ends after 8 h idle or 24 h
//!   ([`crate::auth::SESSION_IDLE`], [`crate::auth::SESSION_ABSOLUTE`]), at
//!   logout, or when the account is disabled. It resolves to the
//!   organisation's `Caller` ([`crate::auth::authenticate_session`]).
//! - **CSRF.** Every `POST` form carries a hidden `csrf` field: the session's
//!   CSRF secret (or, for the sign-in form, the value of a pre-session
//!   `pelita_login_csrf` cookie: double submit), compared in constant time
//!   ([`crate::auth::same_secret`]) before anything else is done; a missing
//!   or wrong one is a 403 page. `SameSite=Strict` is a second line.
//! - **One access path.** Every page reads through a `ReaderView` and every
//!   write goes through a `WriterView` made from the session's `Caller`,
//!   and is audited the same way as the API (`via=ui` in the detail,
//!   `session:<name>` where a token id would be). Search and submission call
//!   the same functions as the API (`routes::search_text`,
//!   `routes::submit_package`). A value the viewer may not see is "nothing
//!   known", exactly like a value never submitted.
//! - **Reports and administration are the API's.** Country and operation
//!   pages (`reports`) render `ReaderView::country_report` /
//!   `operation_report` with `pelita_report::render`'s fragments and serve
//!   every format of the same report as an attachment; an operation the
//!   viewer is not part of is the page of one that does not exist.
//!   Administration and the audit log (`admin`) call the API's helpers in
//!   [`crate::admin`] over `pelita_store::admin`, and the view refuses
//!   (a 403 page) a viewer whose role lacks `admin` / `audit`.
//! - **Nothing from elsewhere.** Pages load only `/ui/assets/*` (htmx,
//!   vendored under `assets/htmx/`, and Pelita's stylesheet) under
//!   [`CSP`]: scripts and styles from this origin only, no inline script.
//! - Every page shows the viewer's organisation and the most restrictive
//!   TLP marking of what it shows, in the FIRST TLP 2.0 colours.

mod admin;
mod pages;
mod reports;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;

/// Where the interface lives.
pub const PREFIX: &str = "/ui";

/// The Content Security Policy of the interface's answers: scripts and
/// styles from this origin only (no inline script or style), requests and
/// forms to this origin only, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; \
                       frame-ancestors 'none'";

/// The pre-session cookie of the sign-in form (double-submit CSRF).
pub const LOGIN_CSRF_COOKIE: &str = "pelita_login_csrf";

/// Whether `path` belongs to the interface (its answers get [`CSP`]).
pub fn is_web_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/ui/")
}

/// The interface's embedded files: (path, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "/ui/assets/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/htmx/htmx.min.js"),
    ),
    (
        "/ui/assets/htmx-LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/htmx/LICENSE"),
    ),
    (
        "/ui/assets/pelita.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/web/pelita.js"),
    ),
    (
        "/ui/assets/pelita.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/web/pelita.css"),
    ),
];

/// The interface's routes, merged into [`crate::routes::router`].
pub fn routes() -> Router<AppState> {
    let assets = ASSETS
        .iter()
        .fold(Router::new(), |router, &(path, content_type, bytes)| {
            router.route(
                path,
                get(move || async move { ([(header::CONTENT_TYPE, content_type)], bytes) }),
            )
        });
    pages::routes()
        .merge(reports::routes())
        .merge(admin::routes())
        .merge(assets)
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No valid session: the answer sends the browser to the sign-in page.
    #[error("sign in first")]
    SignedOut,
    /// A form without the right CSRF token.
    #[error("this form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    /// Anything the API would answer with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// An error after the session was verified: the page still names the
    /// viewer's organisation.
    #[error("{1}")]
    For(String, Box<WebError>),
}

impl From<pelita_store::StoreError> for WebError {
    fn from(e: pelita_store::StoreError) -> Self {
        WebError::Api(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (org, error) = match self {
            WebError::For(org, inner) => (Some(org), *inner),
            other => (None, other),
        };
        let (status, message) = match &error {
            WebError::SignedOut => {
                return see_other("/ui/login");
            }
            WebError::Csrf => (StatusCode::FORBIDDEN, error.to_string()),
            WebError::For(_, inner) => (StatusCode::INTERNAL_SERVER_ERROR, inner.to_string()),
            WebError::Api(e) => {
                if let ApiError::Internal(detail) = e {
                    eprintln!("pelita serve: internal error: {detail}");
                }
                (e.status(), e.to_string())
            }
        };
        let mut r = pages::error_page(status, &message, org.as_deref());
        *r.status_mut() = status;
        r
    }
}

/// `303 See Other` to `to`.
pub(crate) fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// Whether the request came over TLS (as far as this process can know:
/// a TLS-terminating proxy in front says so with `X-Forwarded-Proto`).
pub(crate) fn over_tls(headers: &HeaderMap) -> bool {
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let scheme = headers
        .get("forwarded")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    forwarded || scheme
}

/// A `Set-Cookie` value for the interface's cookies: `HttpOnly`,
/// `SameSite=Strict`, `Path=/ui`, `Secure` over TLS; `max_age` in seconds
/// (0 deletes it).
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, tls: bool) -> Option<HeaderValue> {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Max-Age={max_age}; Path={PREFIX}; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok()
}
