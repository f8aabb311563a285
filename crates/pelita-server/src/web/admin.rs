//! Administration (organisations, tokens) and the audit log: the same
//! functions as the API (`crate::admin`, over `pelita_store::admin`), the
//! same scope checks in the view (`admin`, `audit`): anyone else gets the
//! 403 page.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use pelita_auth::{Role, Scope};
use pelita_model::Tlp;
use pelita_store::admin::TokenRequest;
use time::OffsetDateTime;

use super::pages::{Chrome, day, form, html, tlp_label, with_session};
use super::{WebError, see_other};
use crate::AppState;
use crate::admin::{
    AUDIT_PAGE_MAX, audit_page, issue_token_as, put_organisation_as, revoke_token_as,
};
use crate::error::ApiError;
use crate::routes::FORM_BODY_MAX;
use crate::view::WriterView;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/admin", get(admin_page))
        .route("/ui/admin/organisation", post(organisation_form))
        .route("/ui/admin/token", post(token_form))
        .route("/ui/admin/token/revoke", post(revoke_form))
        .route("/ui/audit", get(audit_log))
        .layer(DefaultBodyLimit::max(FORM_BODY_MAX))
}

struct TokenShown {
    id: String,
    name: String,
    org: String,
    role: String,
    scopes: String,
    max_tlp: String,
    created: String,
    expires: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "web/admin.html")]
struct AdminPage {
    chrome: Chrome,
    /// (name, role).
    organisations: Vec<(String, String)>,
    tokens: Vec<TokenShown>,
    roles: Vec<&'static str>,
    scopes: Vec<&'static str>,
    markings: Vec<(String, String)>,
}

async fn admin_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let page = with_session(state, headers, None, |_, session, view| {
        let orgs = view.organisations()?;
        view.audit("admin.org.list", "via=ui".into(), orgs.len() as u64)?;
        let tokens = view.tokens()?;
        view.audit("admin.token.list", "via=ui".into(), tokens.len() as u64)?;
        Ok(AdminPage {
            chrome: Chrome::of(session, None),
            organisations: orgs
                .into_iter()
                .map(|o| (o.name, o.role.as_str().to_owned()))
                .collect(),
            // Never the hash: only what `TokenRow` serialises.
            tokens: tokens
                .into_iter()
                .map(|t| TokenShown {
                    id: t.id,
                    name: t.name,
                    org: t.grant.org,
                    role: t.grant.role.as_str().to_owned(),
                    scopes: t
                        .grant
                        .scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    max_tlp: t.grant.max_tlp.map_or_else(|| "—".into(), tlp_label),
                    created: day(t.created_at),
                    expires: t.grant.expires_at.map_or_else(|| "never".into(), day),
                    revoked: t.grant.revoked,
                })
                .collect(),
            // The least powerful first: what the form offers unless changed.
            roles: [
                Role::ReadOnly,
                Role::SubmittingPartner,
                Role::Analyst,
                Role::Administrator,
            ]
            .iter()
            .map(|r| r.as_str())
            .collect(),
            scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            markings: [
                Tlp::Clear,
                Tlp::Green,
                Tlp::Amber,
                Tlp::AmberStrict,
                Tlp::Red,
            ]
            .into_iter()
            .map(|t| (t.as_str().to_owned(), tlp_label(t)))
            .collect(),
        })
    })
    .await?;
    Ok(html(&page))
}

/// Runs an administrative write from a form: the session's CSRF secret
/// checked first, then `f` with the session's [`WriterView`]; the cached
/// grants are forgotten after it.
async fn admin_write<T: Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    body: Bytes,
    f: impl FnOnce(&mut WriterView<'_>, &HashMap<String, String>) -> Result<T, ApiError>
    + Send
    + 'static,
) -> Result<(Chrome, T), WebError> {
    let mut fields = form(&body)?;
    let csrf = fields.remove("csrf");
    with_session(state, headers, Some(csrf), move |state, session, _| {
        let done = {
            let mut store = state
                .writer
                .lock()
                .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
            f(&mut WriterView::new(&mut store, &session.caller), &fields)?
        };
        state.invalidate_grants();
        Ok((Chrome::of(session, None), done))
    })
    .await
}

fn field<'f>(fields: &'f HashMap<String, String>, name: &str) -> &'f str {
    fields.get(name).map_or("", |v| v.trim())
}

async fn organisation_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    admin_write(state, headers, body, |w, fields| {
        let role: Role = field(fields, "role")
            .parse()
            .map_err(|e| ApiError::BadRequest(format!("role: {e}")))?;
        put_organisation_as(w, field(fields, "name"), role)
    })
    .await?;
    Ok(see_other("/ui/admin"))
}

#[derive(Template)]
#[template(path = "web/token_issued.html")]
struct TokenIssued {
    chrome: Chrome,
    id: String,
    org: String,
    secret: String,
}

/// A date (`YYYY-MM-DD`) as its midnight UTC.
fn date(s: &str) -> Result<OffsetDateTime, ApiError> {
    let bad = || ApiError::BadRequest(format!("expires: not a date (YYYY-MM-DD): {s:?}"));
    let mut parts = s.splitn(3, '-');
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<i32>().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (next()?, next()?, next()?);
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = u8::try_from(d).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(y, month, day).map_err(|_| bad())?;
    Ok(date.midnight().assume_utc())
}

async fn token_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let (chrome, (secret, row)) = admin_write(state, headers, body, |w, fields| {
        let scopes = field(fields, "scopes")
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<Scope>()
                    .map_err(|e| ApiError::BadRequest(format!("scopes: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_tlp = match field(fields, "max_tlp") {
            "" => None,
            t => Some(
                t.parse::<Tlp>()
                    .map_err(|e| ApiError::BadRequest(format!("max_tlp: {e}")))?,
            ),
        };
        let expires_at = match field(fields, "expires") {
            "" => None,
            d => Some(date(d)?),
        };
        let name = match field(fields, "name") {
            "" => "web".to_owned(),
            n => n.to_owned(),
        };
        let request = TokenRequest {
            org: field(fields, "org").to_owned(),
            name,
            scopes,
            max_tlp,
            expires_at,
        };
        issue_token_as(w, &request)
    })
    .await?;
    Ok(html(&TokenIssued {
        chrome,
        id: row.id,
        org: row.grant.org,
        secret,
    }))
}

async fn revoke_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    admin_write(state, headers, body, |w, fields| {
        revoke_token_as(w, field(fields, "id"))
    })
    .await?;
    Ok(see_other("/ui/admin"))
}

/// Entries on one page of the audit log.
const AUDIT_PAGE: usize = 50;

struct EntryShown {
    seq: i64,
    at: String,
    org: String,
    token: String,
    action: String,
    detail: String,
    result_size: u64,
}

#[derive(Template)]
#[template(path = "web/audit.html")]
struct AuditPage {
    chrome: Chrome,
    from: i64,
    entries: Vec<EntryShown>,
    next: Option<i64>,
    previous: Option<i64>,
    intact: bool,
    checked: u64,
    problems: Vec<String>,
}

async fn audit_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let from = match q.get("from").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => 1,
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| ApiError::BadRequest(format!("from: not a whole number: {v:?}")))?,
    };
    let from = i64::try_from(from).unwrap_or(i64::MAX).max(1);
    let page = with_session(state, headers, None, move |_, session, view| {
        let (entries, next) = audit_page(view, from, AUDIT_PAGE.min(AUDIT_PAGE_MAX), Some("ui"))?;
        let verdict = view.audit_verify()?;
        view.audit("read.audit.verify", "via=ui".into(), verdict.entries)?;
        let fmt = time::format_description::well_known::Rfc3339;
        Ok(AuditPage {
            // The log names values that any organisation looked up: for the
            // auditors' eyes only.
            chrome: Chrome::of(session, Some(Tlp::Red)),
            from,
            entries: entries
                .into_iter()
                .map(|e| EntryShown {
                    seq: e.seq,
                    at: e.entry.at.format(&fmt).unwrap_or_default(),
                    org: e.entry.org,
                    token: e.entry.token,
                    action: e.entry.action,
                    detail: e.entry.detail,
                    result_size: e.entry.result_size,
                })
                .collect(),
            next,
            previous: (from > 1).then(|| (from - AUDIT_PAGE as i64).max(1)),
            intact: verdict.is_ok(),
            checked: verdict.entries,
            problems: verdict.problems,
        })
    })
    .await?;
    Ok(html(&page))
}
