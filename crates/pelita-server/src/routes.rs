//! The routes (see the crate documentation for the table).

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest as _, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use pelita_auth::Scope;
use pelita_ingest::{FormatChoice, IngestOptions, NoProgress};
use pelita_model::Tlp;
use pelita_store::{Destination, store_submission};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::auth::{authenticate_any, break_glass};
use crate::error::ApiError;
use crate::view::{ReaderView, WriterView};
use crate::{AppState, admin, docs, openapi, taxii, web};

/// Defines [`ROUTES`] and the router of the API from one table, so that a
/// route cannot be served without being listed (and `tests/openapi.rs`
/// checks that every listed route is in the OpenAPI document, and only
/// those). Every `/api/v1` route goes through this table.
/// A route marked `small` reads at most [`FORM_BODY_MAX`] bytes of body.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path $(, $small:ident)?;)*) => {
        /// Every route of the API, as (method, path), paths in axum's and
        /// OpenAPI's `{param}` notation.
        pub const ROUTES: &[(&str, &str)] = &[$((method_name!($method), $path),)*];

        fn api_routes() -> Router<AppState> {
            Router::new()$(.route($path, $method($handler)$(.layer(body_limit!($small)))?))*
        }
    };
}

macro_rules! body_limit {
    (small) => {
        DefaultBodyLimit::max(FORM_BODY_MAX)
    };
}

/// The most a request that carries no package may send: an
/// administration request or a form of the web interface (names, roles,
/// scopes, a password). Anyone can send a body to the sign-in form, so
/// such bodies are bounded well below the package limit.
pub const FORM_BODY_MAX: usize = 64 << 10;

macro_rules! method_name {
    (get) => {
        "GET"
    };
    (post) => {
        "POST"
    };
    (put) => {
        "PUT"
    };
    (delete) => {
        "DELETE"
    };
}

api_routes! {
    get "/api/v1/me" => me;
    get "/api/v1/indicators/{value}" => indicator;
    get "/api/v1/stats" => stats;
    get "/api/v1/reports/country/{cc}" => country_report;
    get "/api/v1/reports/operation/{name}" => operation_report;
    post "/api/v1/search" => search;
    post "/api/v1/submissions" => submit;
    get "/api/v1/submissions/{sha}" => submission_status;
    get "/api/v1/exports/{format}" => export;
    get "/api/v1/exports/misp-feed/{file}" => misp_feed;
    get "/api/v1/organisations" => admin::list_organisations;
    put "/api/v1/organisations/{name}" => admin::put_organisation, small;
    get "/api/v1/tokens" => admin::list_tokens;
    post "/api/v1/tokens" => admin::create_token, small;
    delete "/api/v1/tokens/{id}" => admin::revoke_token;
    get "/api/v1/audit" => admin::audit_log;
    get "/api/v1/audit/verify" => admin::audit_verify;
}

/// The API's router: the routes of [`ROUTES`], the OpenAPI document and
/// the API explorer.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    api_routes()
        .route(openapi::PATH, get(openapi::serve))
        .merge(docs::routes())
        .merge(taxii::routes())
        .merge(web::routes())
        .fallback(|uri: axum::http::Uri| async move {
            let e = ApiError::NotFound("no such route".into());
            if taxii::is_taxii_path(uri.path()) {
                e.taxii_response()
            } else {
                e.into_response()
            }
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The Content Security Policy of every answer but the API explorer's: load nothing.
pub const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Headers on every response: nothing is cached, sniffed, framed, or
/// allowed to load anything (the API explorer's page may load its own
/// scripts, styles and images, and fetch from this origin: [`docs::CSP`]).
async fn security_headers(req: Request, next: Next) -> Response {
    let is_web = web::is_web_path(req.uri().path());
    let csp = if docs::is_docs_path(req.uri().path()) {
        docs::CSP
    } else if is_web {
        web::CSP
    } else {
        STRICT_CSP
    };
    let is_taxii = taxii::is_taxii_path(req.uri().path());
    let mut r = next.run(req).await;
    // axum's own body-limit answer (plain text) in the API's shape (the
    // web interface's: its error page); a handler's own 413 is already one.
    let plain = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| !t.contains("json"));
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE && plain {
        let e = ApiError::TooLarge("the request body is over the limit".into());
        r = if is_taxii {
            e.taxii_response()
        } else if is_web {
            web::WebError::Api(e).into_response()
        } else {
            e.into_response()
        };
    }
    let h = r.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, csp),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}

/// Runs `f` on a blocking thread, as a caller holding one of `scopes`,
/// within the time limit.
async fn as_caller<T: Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    scopes: impl AsRef<[Scope]> + Send + 'static,
    f: impl FnOnce(&AppState, &HeaderMap, crate::auth::Caller) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let limit = state.config.request_timeout;
    let task = tokio::task::spawn_blocking(move || {
        let caller = authenticate_any(&state, &headers, scopes.as_ref())?;
        f(&state, &headers, caller)
    });
    within(limit, task).await
}

/// Checks that the request's token may use `scope`, before its body is
/// read: a handler that takes a package calls this first, so that a caller
/// without a valid token is answered without the server receiving,
/// buffering or parsing what it sends. (The handler checks again when it
/// runs; a token verified here costs a cached grant then, not a hash.)
pub(crate) async fn check_caller(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<(), ApiError> {
    as_caller(state.clone(), headers.clone(), [scope], |_, _, _| Ok(())).await
}

/// A request's whole body, within the server's body limit (413 beyond it).
pub(crate) async fn read_body(req: Request) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, &())
        .await
        .map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(e.body_text()),
            _ => ApiError::BadRequest(e.body_text()),
        })
}

/// The answer of a blocking task, or `503 timeout` after `limit`.
async fn within<T>(
    limit: std::time::Duration,
    task: tokio::task::JoinHandle<Result<T, ApiError>>,
) -> Result<T, ApiError> {
    match tokio::time::timeout(limit, task).await {
        Ok(done) => done.map_err(|e| ApiError::Internal(e.to_string()))?,
        Err(_) => Err(ApiError::Timeout(format!(
            "the request took longer than {} s",
            limit.as_secs()
        ))),
    }
}

/// Runs `f` with `caller`'s view of the store: only while the audit log
/// can be written, and past the policy only after an audited break-glass
/// request ([`break_glass`]).
fn read_as<T>(
    state: &AppState,
    headers: &HeaderMap,
    caller: crate::auth::Caller,
    f: impl FnOnce(&ReaderView<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    state.audit.healthy()?;
    let caller = break_glass(state, headers, caller)?;
    f(&ReaderView::new(
        &state.reader,
        &caller,
        &state.audit,
        state.config.as_of,
    ))
}

/// Runs `f` with the caller's view of the store.
pub(crate) async fn with_view<T: Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    scope: Scope,
    f: impl FnOnce(&ReaderView<'_>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    with_view_any(state, headers, [scope], f).await
}

/// Like [`with_view`] for reads that are short and bounded (one value's
/// fused view): run on the async worker itself, without the hand-off to
/// a blocking thread, when authenticating is cheap (the token was
/// verified before). A busy server answers most look-ups this way.
pub(crate) async fn with_quick_view<T: Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    scope: Scope,
    f: impl FnOnce(&ReaderView<'_>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    match crate::auth::authenticate_if_cheap(&state, &headers, scope) {
        Some(caller) => read_as(&state, &headers, caller?, f),
        None => with_view(state, headers, scope, f).await,
    }
}

/// Runs `f` with the caller's view of the store, for a token that holds
/// at least one of `scopes`.
pub(crate) async fn with_view_any<T: Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    scopes: impl AsRef<[Scope]> + Send + 'static,
    f: impl FnOnce(&ReaderView<'_>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    as_caller(state, headers, scopes, move |state, headers, caller| {
        read_as(state, headers, caller, f)
    })
    .await
}

/// Runs `f` with the store's writer, as the caller.
pub(crate) async fn with_writer<T: Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    scope: Scope,
    f: impl FnOnce(&mut WriterView<'_>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    as_caller(state, headers, [scope], move |state, _, caller| {
        let mut store = state
            .writer
            .lock()
            .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
        f(&mut WriterView::new(&mut store, &caller))
    })
    .await
}

fn json_response(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    // Any token that may do anything may ask who it is.
    let any = [
        Scope::Read,
        Scope::Submit,
        Scope::Report,
        Scope::Admin,
        Scope::Audit,
    ];
    let v = as_caller(state, headers, any, |_, _, c| {
        Ok(json!({
            "organisation": c.grant.org,
            "role": c.grant.role,
            "scopes": c.grant.scopes,
            "max_tlp": c.grant.max_tlp,
            "token": c.token_id,
        }))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

async fn indicator(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(value): Path<String>,
) -> Result<Response, ApiError> {
    let v = with_quick_view(state, headers, Scope::Read, move |view| {
        let found = visible(view.lookup(&value)?);
        let size = found.as_ref().map_or(0, |l| {
            u64::from(l.exact.is_some())
                + l.containing_networks.len() as u64
                + l.parent_domains.len() as u64
        });
        view.audit("read.indicator", format!("value={value}"), size)?;
        // Not visible is not found: the same answer as never submitted.
        let l =
            found.ok_or_else(|| ApiError::NotFound(format!("nothing known about {value:?}")))?;
        // Straight to bytes: the busiest route skips the `Value` tree.
        serde_json::to_vec(&l).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        v,
    )
        .into_response())
}

async fn stats(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let v = with_view(state, headers, Scope::Read, |view| {
        let s = view.stats()?;
        view.audit("read.stats", String::new(), s.indicators)?;
        serde_json::to_value(&s).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

fn parse_since(q: &HashMap<String, String>) -> Result<Option<OffsetDateTime>, ApiError> {
    q.get("since")
        .map(|s| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ApiError::BadRequest(format!("since: not an RFC 3339 time: {s:?}")))
        })
        .transpose()
}

/// An ISO 3166-1 alpha-2 code in upper case, or a 400.
pub(crate) fn country_code(cc: &str) -> Result<String, ApiError> {
    let code = cc.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::BadRequest(format!(
            "{cc:?} is not an ISO 3166-1 alpha-2 country code"
        )));
    }
    Ok(code)
}

async fn country_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(cc): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let code = country_code(&cc)?;
    let since = parse_since(&q)?;
    let v = with_view(state, headers, Scope::Report, move |view| {
        let r = view.country_report(&code, since)?;
        view.audit(
            "read.report",
            format!("country={code}"),
            r.summary.indicators,
        )?;
        serde_json::to_value(&r).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

/// Most form fields in a multipart submission (the file and its options).
const MULTIPART_FIELDS_MAX: usize = 16;

/// The package and its options from a multipart form (`file` and the
/// same fields as the query: `format`, `tlp`, `operation`, `share_with`,
/// `name`; the file's name is the default `name`).
async fn multipart_package(
    req: Request,
    q: &mut HashMap<String, String>,
) -> Result<Bytes, ApiError> {
    let mut form = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::BadRequest(format!("multipart: {}", e.body_text())))?;
    let mut file = None;
    let mut fields = 0usize;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("multipart: {}", e.body_text())))?
    {
        fields += 1;
        if fields > MULTIPART_FIELDS_MAX {
            return Err(ApiError::BadRequest(format!(
                "multipart: more than {MULTIPART_FIELDS_MAX} fields"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                if let Some(f) = field.file_name().filter(|f| !f.is_empty()) {
                    q.entry("name".into()).or_insert_with(|| f.to_owned());
                }
                if file.is_some() {
                    return Err(ApiError::BadRequest(
                        "multipart: one `file` per submission".into(),
                    ));
                }
                file =
                    Some(field.bytes().await.map_err(|e| {
                        ApiError::BadRequest(format!("multipart: {}", e.body_text()))
                    })?);
            }
            "format" | "tlp" | "operation" | "share_with" | "name" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| ApiError::BadRequest(format!("multipart: {}", e.body_text())))?;
                q.insert(name, text);
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "multipart: unknown field {other:?} (file, format, tlp, operation, share_with, name)"
                )));
            }
        }
    }
    file.ok_or_else(|| ApiError::BadRequest("multipart: no `file` field".into()))
}

async fn submit(
    State(state): State<AppState>,
    Query(mut q): Query<HashMap<String, String>>,
    req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    // The caller first, then the body (see `check_caller`).
    check_caller(&state, &headers, Scope::Submit).await?;
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
    let body = if multipart {
        multipart_package(req, &mut q).await?
    } else {
        read_body(req).await?
    };
    let params = SubmitParams::from_query(&q)?;
    let archive = state.archive.clone();
    let v = with_writer(state, headers, Scope::Submit, move |view| {
        let (report, stored) = submit_package(view, &archive, body.as_ref(), params, "submit")?;
        Ok(json!({ "submission": report.sha256, "report": report, "stored": stored }))
    })
    .await?;
    Ok(json_response(StatusCode::ACCEPTED, v))
}

/// A submission's options, read from untrusted text (the API's query or
/// multipart fields, the web interface's form).
#[derive(Debug, Clone)]
pub(crate) struct SubmitParams {
    /// The format (never a mapping file path).
    pub format: FormatChoice,
    /// The marking of records that carry none.
    pub tlp: Option<Tlp>,
    /// The submission's name.
    pub name: String,
    /// Organisations named to receive AMBER and above.
    pub recipients: Vec<String>,
    /// The operation it belongs to, by name.
    pub operation: Option<String>,
}

impl SubmitParams {
    /// From fields named `format`, `tlp`, `name`, `share_with`,
    /// `operation` (empty ones count as absent).
    pub(crate) fn from_query(q: &HashMap<String, String>) -> Result<SubmitParams, ApiError> {
        let field = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        // Never a mapping file path: a caller must not make the server read its files.
        let format = FormatChoice::parse_untrusted(field("format").unwrap_or("auto"))
            .map_err(|e| ApiError::BadRequest(format!("format: {e}")))?;
        let tlp = field("tlp")
            .map(|t| {
                t.parse::<Tlp>()
                    .map_err(|e| ApiError::BadRequest(format!("tlp: {e}")))
            })
            .transpose()?;
        let name = field("name").unwrap_or("api-submission").to_owned();
        let recipients: Vec<String> = field("share_with")
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(SubmitParams {
            format,
            tlp,
            name,
            recipients,
            operation: field("operation").map(str::to_owned),
        })
    }
}

/// Archives `body` and stores it as a submission of the writer's
/// organisation, audited before this returns: the one submission path of
/// the API and the web interface.
pub(crate) fn submit_package(
    view: &mut WriterView<'_>,
    archive: &pelita_ingest::Archive,
    body: &[u8],
    params: SubmitParams,
    action: &str,
) -> Result<(pelita_ingest::SubmissionReport, pelita_store::CommitStats), ApiError> {
    let org = view.organisation().to_owned();
    let options = IngestOptions {
        format: params.format,
        source: Some(org),
        tlp: params.tlp,
        ..IngestOptions::default()
    };
    // Refused before anything is archived.
    let operation = match &params.operation {
        Some(n) => Some(view.operation_to_file_under(n)?),
        None => None,
    };
    let sub = pelita_ingest::submit_reader(archive, &params.name, body, &options.limits)
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let store = view.store();
    let (report, stored) = store_submission(
        store,
        archive,
        &sub,
        &options,
        Destination {
            operation,
            received_at: OffsetDateTime::now_utc(),
            recipients: params.recipients,
            also: None,
        },
        &mut NoProgress,
    )
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    view.audit(
        action,
        format!("{} sha256={}", report.name, report.sha256),
        stored.sightings_added,
    )?;
    Ok((report, stored))
}

async fn submission_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest(
            "a submission id is 64 hex digits (its SHA-256)".into(),
        ));
    }
    let sha = sha.to_ascii_lowercase();
    let v = with_view(state, headers, Scope::Submit, move |view| {
        // Another organisation's submission is not found, like a missing one.
        let report = view
            .own_submission(&sha)?
            .ok_or_else(|| ApiError::NotFound(format!("no submission {sha} of yours")))?;
        view.audit("read.submission", format!("sha256={sha}"), 1)?;
        serde_json::from_str::<Value>(&report).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(format): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let kind = q
        .get("kind")
        .map(|k| {
            k.parse::<pelita_model::IndicatorKind>()
                .map_err(|_| ApiError::BadRequest(format!("kind: unknown kind {k:?}")))
        })
        .transpose()?;
    let country = q.get("country").map(|c| c.trim().to_ascii_uppercase());
    let scope = if format == "blocklist" {
        Scope::Read
    } else {
        Scope::Report
    };
    let (body, mime) = with_view(state, headers, scope, move |view| {
        let (body, mime, n) = match format.as_str() {
            "blocklist" => {
                let q = pelita_store::IndicatorQuery {
                    country: country.clone(),
                    ..Default::default()
                };
                // Views one at a time, keeping only each listed value (by
                // key, for the order `indicators` gives): the whole store's
                // views at once were gigabytes at demo scale 100.
                let mut listed: Vec<(String, String)> = Vec::new();
                view.for_each_indicator(&q, &mut |v| {
                    if !v.fused.is_suppressed() && kind.is_none_or(|k| k == v.kind) {
                        listed.push((v.key, v.value));
                    }
                    Ok(())
                })?;
                listed.sort_unstable();
                let mut lines =
                    String::with_capacity(listed.iter().map(|(_, v)| v.len() + 1).sum());
                for (_, value) in &listed {
                    lines.push_str(value);
                    lines.push('\n');
                }
                (lines, "text/plain; charset=utf-8", listed.len() as u64)
            }
            "csv" | "stix" => {
                let cc = country.clone().ok_or_else(|| {
                    ApiError::BadRequest("country=CC is required for csv and stix exports".into())
                })?;
                let r = view.country_report(&cc, None)?;
                let n = r.summary.indicators;
                if format == "csv" {
                    (pelita_report::render::csv(&r), "text/csv; charset=utf-8", n)
                } else {
                    (
                        pelita_report::render::stix(&r)?,
                        "application/stix+json;version=2.1",
                        n,
                    )
                }
            }
            other => {
                return Err(ApiError::NotFound(format!(
                    "no export format {other:?} (blocklist, csv, stix)"
                )));
            }
        };
        view.audit(
            "read.export",
            format!("format={format} country={country:?} kind={kind:?}"),
            n,
        )?;
        Ok((body, mime))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, mime)], body).into_response())
}

/// `GET /api/v1/exports/misp-feed/{manifest.json | hashes.csv | UUID.json}`:
/// a MISP feed of the caller's view, one event per country (point a MISP
/// instance's feed at `…/exports/misp-feed` with the token in its headers).
async fn misp_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    use pelita_report::misp_feed;
    let (body, mime) = with_view(state, headers, Scope::Report, move |view| {
        let countries: Vec<String> = view
            .countries()?
            .into_iter()
            .filter(|cc| cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase()))
            .collect();
        let wanted = file.strip_suffix(".json").filter(|f| *f != "manifest");
        let mut n = 0u64;
        let (body, mime) = match (file.as_str(), wanted) {
            ("manifest.json", _) => {
                let mut manifest = serde_json::Map::new();
                for cc in &countries {
                    let r = view.country_report(cc, None)?;
                    if r.summary.indicators > 0 {
                        n += r.summary.indicators;
                        manifest.insert(misp_feed::event_uuid(cc), misp_feed::manifest_entry(&r));
                    }
                }
                (Value::Object(manifest).to_string(), "application/json")
            }
            ("hashes.csv", _) => {
                let mut out = String::new();
                for cc in &countries {
                    let r = view.country_report(cc, None)?;
                    n += r.summary.indicators;
                    misp_feed::hash_lines(&r, &mut out);
                }
                (out, "text/csv; charset=utf-8")
            }
            (_, Some(uuid)) => {
                let cc = countries
                    .iter()
                    .find(|cc| misp_feed::event_uuid(cc) == uuid)
                    .ok_or_else(|| ApiError::NotFound(format!("no feed event {uuid}")))?;
                let r = view.country_report(cc, None)?;
                n = r.summary.indicators;
                (misp_feed::event(&r).to_string(), "application/json")
            }
            _ => {
                return Err(ApiError::NotFound(format!(
                    "no feed file {file:?} (manifest.json, hashes.csv, UUID.json)"
                )));
            }
        };
        view.audit("read.export", format!("format=misp-feed file={file}"), n)?;
        Ok((body, mime))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, mime)], body).into_response())
}

/// What a caller learns of an operation that does not exist or that they
/// are not part of: the same.
pub(crate) fn no_operation(name: &str) -> ApiError {
    ApiError::NotFound(format!("no operation {name:?} of yours"))
}

async fn operation_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let v = with_view(state, headers, Scope::Report, move |view| {
        let r = view
            .operation_report(&name)?
            .ok_or_else(|| no_operation(&name))?;
        view.audit("read.report", format!("operation={name}"), r.submissions)?;
        serde_json::to_value(&r).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

/// Most distinct values one search looks up.
pub(crate) const SEARCH_VALUES_MAX: usize = 1_000;

/// One value a search found in the text it was given.
#[derive(Debug)]
pub(crate) struct SearchHit {
    /// The canonical key.
    pub key: String,
    /// The value as it was written in the text (defanged or not).
    pub as_written: String,
    /// Its line in the text.
    pub line: Option<u64>,
    /// What the caller may see of it (`None`: not found, hidden or unknown alike).
    pub found: Option<pelita_store::Lookup>,
}

/// What a search found.
#[derive(Debug)]
pub(crate) struct SearchOutcome {
    /// Each distinct value, in the order of the text.
    pub hits: Vec<SearchHit>,
    /// Whether more than [`SEARCH_VALUES_MAX`] values were in the text.
    pub truncated: bool,
}

/// Every indicator in `text` (prose, Markdown, HTML, defanged or not),
/// each looked up as the caller of `view` may see it, and the read
/// audited (`via` says which front end asked). The one search of the API
/// and the web interface.
pub(crate) fn search_text(
    view: &ReaderView<'_>,
    text: &[u8],
    via: &str,
) -> Result<SearchOutcome, ApiError> {
    let mut sink = pelita_model::Collect::default();
    let ctx = pelita_model::ParseContext::named("search");
    pelita_extract::extract(
        text,
        pelita_extract::ProseFormat::default(),
        &ctx,
        &mut sink,
    );
    let mut seen = std::collections::BTreeSet::new();
    let mut hits = Vec::new();
    let mut truncated = false;
    for o in &sink.observations {
        let Ok(parsed) = pelita_model::Indicator::parse(
            &o.value,
            o.kind,
            &pelita_model::ParseOptions::default(),
        ) else {
            continue;
        };
        let key = parsed.indicator.key();
        if !seen.insert(key.clone()) {
            continue;
        }
        if hits.len() == SEARCH_VALUES_MAX {
            truncated = true;
            break;
        }
        let found = visible(view.lookup(&key_value(&key))?);
        hits.push(SearchHit {
            key,
            as_written: o.value.clone(),
            line: o.location.line,
            found,
        });
    }
    let found = hits.iter().filter(|h| h.found.is_some()).count();
    let via = if via.is_empty() {
        String::new()
    } else {
        format!(" via={via}")
    };
    view.audit(
        "read.search",
        format!("values={} bytes={}{via}", hits.len(), text.len()),
        found as u64,
    )?;
    Ok(SearchOutcome { hits, truncated })
}

/// A look-up's answer if it shows anything (the value itself, a network
/// containing it or a parent domain); otherwise not found.
pub(crate) fn visible(found: Option<pelita_store::Lookup>) -> Option<pelita_store::Lookup> {
    found.filter(|l| {
        l.exact.is_some() || !l.containing_networks.is_empty() || !l.parent_domains.is_empty()
    })
}

/// `POST /api/v1/search`: any text (one value, a list, a whole report in
/// prose, Markdown or HTML, defanged or not) → every indicator in it,
/// each with what the caller may see of it.
async fn search(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    // The caller first, then the body (a whole report may be sent).
    check_caller(&state, &headers, Scope::Read).await?;
    let body = read_body(req).await?;
    let v = with_view(state, headers, Scope::Read, move |view| {
        let outcome = search_text(view, body.as_ref(), "")?;
        let found = outcome.hits.iter().filter(|h| h.found.is_some()).count();
        let results: Vec<Value> = outcome
            .hits
            .into_iter()
            .map(|h| {
                json!({
                    "key": h.key,
                    "as_written": h.as_written,
                    "line": h.line,
                    "found": h.found,
                })
            })
            .collect();
        Ok(json!({
            "values": results.len(),
            "found": found,
            "truncated": outcome.truncated,
            "results": results,
        }))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

/// The value part of a canonical key (`kind:value`).
fn key_value(key: &str) -> String {
    key.split_once(':').map_or(key, |(_, v)| v).to_owned()
}
