//! The pages: each handler verifies the session, reads through the
//! session's [`ReaderView`] (or writes through its [`WriterView`]) and
//! renders a template.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest as _, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pelita_auth::Scope;
use pelita_model::Tlp;
use pelita_report::render;
use pelita_store::{IndicatorView, Lookup, Store as _};
use time::OffsetDateTime;

use super::{LOGIN_CSRF_COOKIE, WebError, over_tls, see_other, set_cookie};
use crate::AppState;
use crate::auth::{
    SESSION_ABSOLUTE, SESSION_COOKIE, Session, authenticate_session, cookie, same_secret,
    session_id_hash, spend_sign_in,
};
use crate::error::ApiError;
use crate::routes::{FORM_BODY_MAX, SubmitParams, read_body, search_text, submit_package, visible};
use crate::view::{ReaderView, WriterView};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { see_other("/ui/") }))
        .route("/ui/", get(dashboard))
        .route(
            "/ui/login",
            get(login_page)
                .post(login)
                .layer(DefaultBodyLimit::max(FORM_BODY_MAX)),
        )
        .route(
            "/ui/logout",
            axum::routing::post(logout).layer(DefaultBodyLimit::max(FORM_BODY_MAX)),
        )
        .route("/ui/search", get(search_get).post(search_post))
        .route("/ui/indicator/{value}", get(indicator))
        .route("/ui/submit", get(submit_page).post(submit))
}

/// What every page shows around its content.
pub(super) struct Chrome {
    pub(super) org: String,
    pub(super) user: String,
    pub(super) csrf: String,
    pub(super) signed_in: bool,
    /// Whether the viewer may administer (the navigation links it).
    pub(super) admin: bool,
    /// Whether the viewer may read the audit log.
    pub(super) auditor: bool,
    /// `TLP:AMBER`.
    pub(super) marking: String,
    /// `tlp-amber`.
    pub(super) marking_class: &'static str,
}

impl Chrome {
    pub(super) fn of(session: &Session, marking: Option<Tlp>) -> Chrome {
        let marking = marking.unwrap_or(Tlp::Clear);
        let now = OffsetDateTime::now_utc();
        let grant = session.caller.grant();
        Chrome {
            org: grant.org.clone(),
            user: session.user.clone(),
            csrf: session.csrf.clone(),
            signed_in: true,
            admin: grant.permits(Scope::Admin, now).is_ok(),
            auditor: grant.permits(Scope::Audit, now).is_ok(),
            marking: tlp_label(marking),
            marking_class: tlp_class(marking),
        }
    }

    fn signed_out() -> Chrome {
        Chrome {
            org: "not signed in".into(),
            user: String::new(),
            csrf: String::new(),
            signed_in: false,
            admin: false,
            auditor: false,
            marking: tlp_label(Tlp::Clear),
            marking_class: tlp_class(Tlp::Clear),
        }
    }
}

pub(super) fn tlp_label(t: Tlp) -> String {
    format!("TLP:{}", t.as_str().to_ascii_uppercase())
}

fn tlp_class(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "tlp-clear",
        Tlp::Green => "tlp-green",
        Tlp::Amber => "tlp-amber",
        Tlp::AmberStrict => "tlp-amber-strict",
        Tlp::Red => "tlp-red",
    }
}

/// A rendered template as an HTML answer.
pub(super) fn html<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            eprintln!("pelita serve: template: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: String,
    message: &'a str,
}

/// The error page (with the viewer's organisation once the session is
/// known).
pub(super) fn error_page(status: StatusCode, message: &str, org: Option<&str>) -> Response {
    let mut chrome = Chrome::signed_out();
    if let Some(org) = org {
        chrome.org = org.to_owned();
    }
    html(&ErrorPage {
        chrome,
        status: format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        ),
        message,
    })
}

/// Runs `f` on a blocking thread with the signed-in person's session and
/// their [`ReaderView`], within the request time limit; with `csrf`, only
/// if it is the session's CSRF secret.
pub(super) async fn with_session<T: Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    csrf: Option<Option<String>>,
    f: impl FnOnce(&AppState, &Session, &ReaderView<'_>) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    let limit = state.config.request_timeout;
    let task = tokio::task::spawn_blocking(move || {
        let session = authenticate_session(&state, &headers, OffsetDateTime::now_utc())?
            .ok_or(WebError::SignedOut)?;
        let org = session.caller.grant().org.clone();
        let signed = |e: WebError| WebError::For(org.clone(), Box::new(e));
        if let Some(presented) = csrf {
            check_csrf(presented.as_deref(), &session.csrf).map_err(signed)?;
        }
        state.audit.healthy().map_err(|e| signed(e.into()))?;
        let view = ReaderView::new(
            &state.reader,
            &session.caller,
            &state.audit,
            state.config.as_of,
        );
        f(&state, &session, &view).map_err(signed)
    });
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => Err(ApiError::Internal(e.to_string()).into()),
        Err(_) => Err(ApiError::Timeout(format!(
            "the request took longer than {} s",
            limit.as_secs()
        ))
        .into()),
    }
}

/// A form's CSRF token against the expected secret, in constant time.
fn check_csrf(presented: Option<&str>, expected: &str) -> Result<(), WebError> {
    match presented {
        Some(p) if !expected.is_empty() && same_secret(p, expected) => Ok(()),
        _ => Err(WebError::Csrf),
    }
}

/// A URL-encoded form body (fields once each; the last one wins).
pub(super) fn form(body: &[u8]) -> Result<HashMap<String, String>, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::BadRequest(format!("the form cannot be read: {e}")))?;
    Ok(pairs.into_iter().collect())
}

// ---------------------------------------------------------------- sign-in

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    chrome: Chrome,
    login_csrf: String,
    message: Option<String>,
}

/// The sign-in page, with a fresh pre-session CSRF cookie.
fn login_response(headers: &HeaderMap, status: StatusCode, message: Option<String>) -> Response {
    let Ok(token) = pelita_auth::random_secret() else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "internal error", None);
    };
    let mut r = html(&LoginPage {
        chrome: Chrome::signed_out(),
        login_csrf: token.clone(),
        message,
    });
    *r.status_mut() = status;
    if let Some(c) = set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, over_tls(headers)) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

async fn login_page(headers: HeaderMap) -> Response {
    login_response(&headers, StatusCode::OK, None)
}

async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match login_inner(state, headers.clone(), body).await {
        Ok(r) => r,
        Err(WebError::Api(ApiError::Unauthenticated(m))) => {
            login_response(&headers, StatusCode::UNAUTHORIZED, Some(m))
        }
        Err(e) => e.into_response(),
    }
}

/// The hash a wrong name is checked against, so that an unknown name takes
/// as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| pelita_auth::hash_password("pelita decoy password").unwrap_or_default())
}

async fn login_inner(
    state: AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = form(&body)?;
    // Double submit: the hidden field must equal the pre-session cookie.
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE)
        .unwrap_or_default()
        .to_owned();
    check_csrf(fields.get("csrf").map(String::as_str), &expected)?;
    let name = fields
        .get("name")
        .map(|n| n.trim().to_owned())
        .unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    let tls = over_tls(&headers);
    let limit = state.config.request_timeout;
    let task = tokio::task::spawn_blocking(move || -> Result<String, WebError> {
        spend_sign_in(&state, &name)?;
        let user = state.reader.user(&name)?;
        let hash = user
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |u| u.hash.clone());
        let ok = pelita_auth::verify_password(&password, &hash);
        let mut store = state
            .writer
            .lock()
            .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
        let now = OffsetDateTime::now_utc();
        let user = match user.filter(|u| ok && !u.disabled) {
            Some(u) => u,
            None => {
                store.audit_append(&pelita_store::AuditEntry {
                    at: now,
                    org: "-".into(),
                    token: format!("session:{name}"),
                    action: "ui.login.refused".into(),
                    detail: format!("name={name}"),
                    result_size: 0,
                })?;
                return Err(ApiError::Unauthenticated("wrong name or password".into()).into());
            }
        };
        let id = pelita_auth::random_secret().map_err(|e| ApiError::Internal(e.to_string()))?;
        let csrf = pelita_auth::random_secret().map_err(|e| ApiError::Internal(e.to_string()))?;
        let idle_before = now - crate::auth::SESSION_IDLE;
        store.delete_expired_sessions(now, idle_before)?;
        store.put_session(&pelita_store::SessionRow {
            id_hash: session_id_hash(&id),
            user: user.name.clone(),
            csrf,
            created_at: now,
            expires_at: now + SESSION_ABSOLUTE,
            last_seen: now,
        })?;
        store.audit_append(&pelita_store::AuditEntry {
            at: now,
            org: user.org.clone(),
            token: format!("session:{}", user.name),
            action: "ui.login".into(),
            detail: format!("name={}", user.name),
            result_size: 1,
        })?;
        Ok(id)
    });
    let id = match tokio::time::timeout(limit, task).await {
        Ok(Ok(done)) => done?,
        Ok(Err(e)) => return Err(ApiError::Internal(e.to_string()).into()),
        Err(_) => return Err(ApiError::Timeout("sign-in took too long".into()).into()),
    };
    let mut r = see_other("/ui/");
    let max_age = SESSION_ABSOLUTE.whole_seconds();
    for c in [
        set_cookie(SESSION_COOKIE, &id, max_age, tls),
        set_cookie(LOGIN_CSRF_COOKIE, "", 0, tls),
    ]
    .into_iter()
    .flatten()
    {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = form(&body)?;
    let tls = over_tls(&headers);
    with_session(
        state,
        headers,
        Some(fields.get("csrf").cloned()),
        |state, session, _| {
            let mut store = state
                .writer
                .lock()
                .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
            store.delete_session(&session.id_hash)?;
            WriterView::new(&mut store, &session.caller).audit(
                "ui.logout",
                format!("name={}", session.user),
                1,
            )?;
            Ok(())
        },
    )
    .await?;
    let mut r = see_other("/ui/login");
    if let Some(c) = set_cookie(SESSION_COOKIE, "", 0, tls) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

// -------------------------------------------------------------- dashboard

struct OwnSubmission {
    name: String,
    format: String,
    records: u64,
    errors: u64,
    sha256: String,
}

#[derive(Template)]
#[template(path = "web/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    indicators: u64,
    sightings: u64,
    sources: u64,
    /// (code, name, indicators), each linking its country page.
    by_country: Vec<(String, String, u64)>,
    /// The region map, inline SVG (empty: nothing to map).
    map_svg: String,
    /// Bar charts, inline SVG: by class, by week first seen, by week last seen.
    class_svg: String,
    first_seen_svg: String,
    last_seen_svg: String,
    by_class: Vec<(String, u64)>,
    by_kind: Vec<(String, u64)>,
    submissions: Vec<OwnSubmission>,
    operations: Vec<(String, String, u64)>,
}

/// Most rows in a dashboard table.
const DASHBOARD_ROWS: usize = 12;

fn largest(counts: std::collections::BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(DASHBOARD_ROWS);
    v
}

/// Weeks in the dashboard's charts over time.
const CHART_WEEKS: i64 = 12;

/// The Monday (UTC) of the week of `t`.
fn monday(d: time::Date) -> time::Date {
    d - time::Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

/// Indicators the viewer may see by week first seen and by week last seen,
/// over the last [`CHART_WEEKS`] weeks (oldest first, empty weeks
/// included), and how many indicators were read.
#[allow(clippy::type_complexity, reason = "two series and a count")]
fn weekly(
    view: &ReaderView<'_>,
) -> Result<(Vec<(String, u64)>, Vec<(String, u64)>, u64), WebError> {
    let this_week = monday(view.now().date());
    let first_week = this_week - time::Duration::weeks(CHART_WEEKS - 1);
    let since = first_week.midnight().assume_utc();
    let seen = view.seen_days(since)?;
    let weeks: Vec<time::Date> = (0..CHART_WEEKS)
        .map(|i| first_week + time::Duration::weeks(i))
        .collect();
    let count = |by_day: &std::collections::BTreeMap<time::Date, u64>| -> Vec<(String, u64)> {
        let mut n = vec![0u64; weeks.len()];
        for (d, k) in by_day {
            if let Some(i) = weeks.iter().position(|w| *w == monday(*d))
                && let Some(slot) = n.get_mut(i)
            {
                *slot += k;
            }
        }
        weeks
            .iter()
            .zip(n)
            .map(|(d, n)| (format!("week of {}", day(d.midnight().assume_utc())), n))
            .collect()
    };
    Ok((
        count(&seen.first_seen),
        count(&seen.last_seen),
        seen.indicators,
    ))
}

async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let page = with_session(state, headers, None, |_, session, view| {
        let stats = view.stats()?;
        let marking = stats.marking;
        let submissions = view
            .own_submissions(10)?
            .into_iter()
            .map(|s| OwnSubmission {
                name: s.name,
                format: s.format,
                records: s.records,
                errors: s.errors,
                sha256: s.sha256,
            })
            .collect();
        let operations = view
            .member_operations()?
            .into_iter()
            .map(|o| (o.spec.name, o.spec.title, o.submissions))
            .collect();
        view.audit(
            "read.stats",
            "via=ui page=dashboard".into(),
            stats.indicators,
        )?;
        let (first_seen, last_seen, read) = weekly(view)?;
        view.audit(
            "read.indicators",
            format!("via=ui page=dashboard weeks={CHART_WEEKS}"),
            read,
        )?;
        let countries: Vec<(String, u64)> = stats.by_country.clone().into_iter().collect();
        let map_svg = if countries.is_empty() {
            String::new()
        } else {
            let focus: Vec<String> = largest(stats.by_country.clone())
                .into_iter()
                .map(|(c, _)| c)
                .collect();
            render::region_map(&countries, &focus, None, "Indicators by country")
        };
        let classes: Vec<(String, u64)> = largest(stats.by_class.clone())
            .into_iter()
            .map(|(c, n)| (pelita_report::class_title(&c), n))
            .collect();
        Ok(Dashboard {
            chrome: Chrome::of(session, marking),
            indicators: stats.indicators,
            sightings: stats.sightings,
            sources: stats.sources,
            by_country: largest(stats.by_country)
                .into_iter()
                .map(|(code, n)| {
                    let name = pelita_report::country_name(&code).unwrap_or_else(|| code.clone());
                    (code, name, n)
                })
                .collect(),
            map_svg,
            class_svg: render::bar_chart("Indicators by ENISA class", &classes, 560),
            first_seen_svg: render::bar_chart(
                "New indicators by week first seen",
                &first_seen,
                560,
            ),
            last_seen_svg: render::bar_chart(
                "Active indicators by week last seen",
                &last_seen,
                560,
            ),
            by_class: largest(stats.by_class),
            by_kind: largest(stats.by_kind),
            submissions,
            operations,
        })
    })
    .await?;
    Ok(html(&page))
}

// ----------------------------------------------------------------- search

struct Hit {
    line: String,
    as_written: String,
    /// The canonical value (the link).
    value: String,
    /// Defanged, for people.
    shown: String,
    known: &'static str,
    confidence: String,
    marking: String,
    marking_class: &'static str,
}

#[derive(Template)]
#[template(path = "web/search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    searched: bool,
    found: usize,
    truncated: bool,
    hits: Vec<Hit>,
}

/// The most restrictive marking among an indicator's visible sightings.
fn view_marking(v: &IndicatorView) -> Option<Tlp> {
    v.sources.iter().filter_map(|s| s.tlp).max()
}

/// The most restrictive marking in a look-up's answer.
fn lookup_marking(l: &Lookup) -> Option<Tlp> {
    l.exact
        .iter()
        .chain(&l.containing_networks)
        .chain(&l.parent_domains)
        .filter_map(view_marking)
        .max()
}

fn run_search(session: &Session, view: &ReaderView<'_>, q: String) -> Result<SearchPage, WebError> {
    if q.trim().is_empty() {
        return Ok(SearchPage {
            chrome: Chrome::of(session, None),
            q,
            searched: false,
            found: 0,
            truncated: false,
            hits: Vec::new(),
        });
    }
    let outcome = search_text(view, q.as_bytes(), "ui")?;
    let mut marking = None;
    let mut found = 0;
    let hits = outcome
        .hits
        .into_iter()
        .map(|h| {
            let value = key_value(&h.key).to_owned();
            let kind = h.key.split_once(':').map_or("", |(k, _)| k);
            let shown = defang(kind, &value);
            let (known, confidence, m) = match &h.found {
                Some(l) => {
                    found += 1;
                    let m = lookup_marking(l);
                    marking = marking.max(m);
                    let conf = l
                        .exact
                        .as_ref()
                        .map_or_else(|| "—".into(), |v| format!("{:.2}", v.fused.confidence));
                    let known = if l.exact.is_some() {
                        "known"
                    } else {
                        "inside a known network or domain"
                    };
                    (known, conf, m)
                }
                None => ("nothing known", String::new(), None),
            };
            Hit {
                line: h.line.map_or_else(String::new, |l| l.to_string()),
                as_written: h.as_written,
                value,
                shown,
                known,
                confidence,
                marking: m.map(tlp_label).unwrap_or_default(),
                marking_class: m.map_or("", tlp_class),
            }
        })
        .collect();
    Ok(SearchPage {
        chrome: Chrome::of(session, marking),
        q,
        searched: true,
        found,
        truncated: outcome.truncated,
        hits,
    })
}

async fn search_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let q = q.get("q").cloned().unwrap_or_default();
    let page = with_session(state, headers, None, move |_, s, view| {
        run_search(s, view, q)
    })
    .await?;
    Ok(html(&page))
}

async fn search_post(State(state): State<AppState>, req: Request) -> Result<Response, WebError> {
    let headers = req.headers().clone();
    // The session first, then the form (a whole report may be pasted): a
    // request that is not signed in is not read.
    with_session(state.clone(), headers.clone(), None, |_, _, _| Ok(())).await?;
    let body = read_body(req).await?;
    let mut fields = form(&body)?;
    let csrf = fields.remove("csrf");
    let q = fields.remove("q").unwrap_or_default();
    let page = with_session(state, headers, Some(csrf), move |_, s, view| {
        run_search(s, view, q)
    })
    .await?;
    Ok(html(&page))
}

// -------------------------------------------------------------- indicator

struct SourceRow {
    source: String,
    sightings: u64,
    first_seen: String,
    last_seen: String,
    marking: String,
    marking_class: &'static str,
    reliability: String,
}

struct Shown {
    kind: String,
    shown: String,
    country: String,
    asn: String,
    classification: String,
    confidence: String,
    first_seen: String,
    last_seen: String,
    suppressed: String,
    tags: String,
    sources: Vec<SourceRow>,
}

struct RelatedRow {
    how: String,
    value: String,
    shown: String,
}

#[derive(Template)]
#[template(path = "web/indicator.html")]
struct IndicatorPage {
    chrome: Chrome,
    shown: String,
    found: Option<Shown>,
    related: Vec<RelatedRow>,
}

pub(super) fn day(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn defang(kind: &str, value: &str) -> String {
    kind.parse::<pelita_model::IndicatorKind>()
        .map_or_else(|_| value.to_owned(), |k| pelita_report::defang(k, value))
}

fn key_value(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, v)| v)
}

fn shown(v: &IndicatorView) -> Shown {
    let e = v.enrichment.as_ref();
    let none = || "—".to_owned();
    Shown {
        kind: v.kind.to_string(),
        shown: defang(&v.kind.to_string(), &v.value),
        country: e
            .and_then(|e| e.country.clone().or_else(|| e.cctld_country.clone()))
            .unwrap_or_else(none),
        asn: e
            .and_then(|e| {
                e.asn.map(|n| match &e.as_name {
                    Some(name) => format!("AS{n} {name}"),
                    None => format!("AS{n}"),
                })
            })
            .unwrap_or_else(none),
        classification: if v.classifications.is_empty() {
            none()
        } else {
            v.classifications.join(", ")
        },
        confidence: format!(
            "{:.2} ({:.2} before decay), {} independent sources",
            v.fused.confidence, v.fused.base_confidence, v.fused.sources
        ),
        first_seen: day(v.fused.first_seen),
        last_seen: day(v.fused.last_seen),
        suppressed: v
            .fused
            .suppressed
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        tags: v.tags.join(", "),
        sources: v
            .sources
            .iter()
            .map(|s| SourceRow {
                source: s.source.clone(),
                sightings: s.sightings,
                first_seen: day(s.first_seen),
                last_seen: day(s.last_seen),
                marking: s.tlp.map(tlp_label).unwrap_or_else(|| "unmarked".into()),
                marking_class: s.tlp.map_or("", tlp_class),
                reliability: s.reliability.map_or_else(none, |r| format!("{r:?}")),
            })
            .collect(),
    }
}

fn related_row(how: String, key: &str) -> RelatedRow {
    let kind = key.split_once(':').map_or("", |(k, _)| k);
    let value = key_value(key).to_owned();
    RelatedRow {
        how,
        shown: defang(kind, &value),
        value,
    }
}

async fn indicator(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(value): Path<String>,
) -> Result<Response, WebError> {
    let (status, page) = with_session(state, headers, None, move |_, session, view| {
        let found = visible(view.lookup(&value)?);
        let size = found.as_ref().map_or(0, |l| {
            u64::from(l.exact.is_some())
                + l.containing_networks.len() as u64
                + l.parent_domains.len() as u64
        });
        view.audit("read.indicator", format!("value={value} via=ui"), size)?;
        // Not visible is not found: the same page as never submitted.
        let Some(l) = found else {
            return Ok((
                StatusCode::NOT_FOUND,
                IndicatorPage {
                    chrome: Chrome::of(session, None),
                    shown: value,
                    found: None,
                    related: Vec::new(),
                },
            ));
        };
        let mut related = Vec::new();
        if let Some(v) = &l.exact {
            for r in &v.related {
                let how = if r.outgoing {
                    format!("{:?} →", r.relation)
                } else {
                    format!("← {:?}", r.relation)
                };
                related.push(related_row(how, &r.key));
            }
        }
        for n in &l.containing_networks {
            related.push(related_row("inside the network".into(), &n.key));
        }
        for d in &l.parent_domains {
            related.push(related_row("under the domain".into(), &d.key));
        }
        let marking = lookup_marking(&l);
        let shown_value = l
            .exact
            .as_ref()
            .map_or_else(|| value.clone(), |v| defang(&v.kind.to_string(), &v.value));
        Ok((
            StatusCode::OK,
            IndicatorPage {
                chrome: Chrome::of(session, marking),
                shown: shown_value,
                found: l.exact.as_ref().map(shown),
                related,
            },
        ))
    })
    .await?;
    let mut r = html(&page);
    *r.status_mut() = status;
    Ok(r)
}

// ----------------------------------------------------------------- submit

struct ReportShown {
    name: String,
    sha256: String,
    format: String,
    records: u64,
    sightings_added: u64,
    error_count: u64,
    /// (where, code, message), in input order.
    errors: Vec<(String, String, String)>,
    /// Errors past the listed ones (counted, not listed).
    unlisted: u64,
}

#[derive(Template)]
#[template(path = "web/submit.html")]
struct SubmitPage {
    chrome: Chrome,
    operations: Vec<String>,
    report: Option<ReportShown>,
}

fn operation_names(view: &ReaderView<'_>) -> Result<Vec<String>, WebError> {
    Ok(view
        .member_operations()?
        .into_iter()
        .map(|o| o.spec.name)
        .collect())
}

async fn submit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let page = with_session(state, headers, None, |_, session, view| {
        Ok(SubmitPage {
            chrome: Chrome::of(session, None),
            operations: operation_names(view)?,
            report: None,
        })
    })
    .await?;
    Ok(html(&page))
}

/// Most fields in the submission form.
const FORM_FIELDS_MAX: usize = 16;

fn location(l: &pelita_model::Location) -> String {
    let mut parts = Vec::new();
    if let Some(line) = l.line {
        parts.push(format!("line {line}"));
    }
    if let Some(c) = l.column {
        parts.push(format!("column {c}"));
    }
    if let Some(p) = &l.pointer {
        parts.push(p.clone());
    }
    if parts.is_empty()
        && let Some(o) = l.offset
    {
        parts.push(format!("byte {o}"));
    }
    parts.join(", ")
}

async fn submit(State(state): State<AppState>, req: Request) -> Result<Response, WebError> {
    let headers = req.headers().clone();
    // The session first, then the form: a request that is not signed in is
    // sent to the sign-in page before its upload is read. (The CSRF token
    // is a field of the form, so it is checked after reading, below.)
    with_session(state.clone(), headers.clone(), None, |_, _, _| Ok(())).await?;
    let mut form = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::BadRequest(format!("the form: {}", e.body_text())))?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<Bytes> = None;
    let mut n = 0usize;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("the form: {}", e.body_text())))?
    {
        n += 1;
        if n > FORM_FIELDS_MAX {
            return Err(ApiError::BadRequest("the form has too many fields".into()).into());
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if let Some(f) = field.file_name().filter(|f| !f.is_empty()) {
                fields.insert("name".into(), f.to_owned());
            }
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::BadRequest(format!("the form: {}", e.body_text())))?;
            if !bytes.is_empty() {
                file = Some(bytes);
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| ApiError::BadRequest(format!("the form: {}", e.body_text())))?;
            fields.insert(name, text);
        }
    }
    let csrf = fields.remove("csrf");
    let body = match file {
        Some(f) => f,
        None => Bytes::from(fields.remove("text").unwrap_or_default()),
    };
    fields
        .entry("name".into())
        .or_insert_with(|| "web-submission".into());
    let archive = state.archive.clone();
    let page = with_session(state, headers, Some(csrf), move |state, session, view| {
        let operations = operation_names(view)?;
        if body.is_empty() {
            return Err(ApiError::BadRequest("choose a file or paste its content".into()).into());
        }
        let params = SubmitParams::from_query(&fields)?;
        // The page shows the submitter's own records' errors: marked as they marked them.
        let marking = params.tlp;
        let (report, stored) = {
            let mut store = state
                .writer
                .lock()
                .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
            let mut writer = WriterView::new(&mut store, &session.caller);
            submit_package(&mut writer, &archive, body.as_ref(), params, "submit")?
        };
        // Every error in input order (up to the report's cap), each with its place.
        let errors = report
            .located
            .iter()
            .map(|p| (location(&p.location), p.code.clone(), p.message.clone()))
            .collect();
        let error_count = report.error_count();
        Ok(SubmitPage {
            chrome: Chrome::of(session, marking),
            operations,
            report: Some(ReportShown {
                name: report.name.clone(),
                sha256: report.sha256.clone(),
                format: report.format.clone().unwrap_or_else(|| "—".into()),
                records: report.records,
                sightings_added: stored.sightings_added,
                error_count,
                errors,
                unlisted: report.unlisted,
            }),
        })
    })
    .await?;
    Ok(html(&page))
}
