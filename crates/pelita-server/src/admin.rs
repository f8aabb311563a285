//! Organisation and token administration, and the audit log, over the API.
//!
//! The same functions as `pelita org` and `pelita token`
//! (`pelita_store::admin`): the same name rules and role → scope checks,
//! each change committed with its audit entry before the answer.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pelita_auth::{Role, Scope};
use pelita_model::Tlp;
use pelita_store::admin::{self, AdminError, TokenRequest};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::AppState;
use crate::error::ApiError;
use crate::routes::{with_view, with_writer};
use crate::view::{ReaderView, WriterView};

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Store(s) => s.into(),
            AdminError::Token(m) => ApiError::Internal(m),
            AdminError::NoOrganisation(_) => ApiError::NotFound(e.to_string()),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// Adds organisation `name` or changes its role, as the writer's caller
/// (administrators): the one path of the API and the web interface.
pub(crate) fn put_organisation_as(
    w: &mut WriterView<'_>,
    name: &str,
    role: Role,
) -> Result<pelita_store::Organisation, ApiError> {
    let actor = w.actor()?;
    Ok(admin::put_organisation(w.store(), &actor, name, role)?)
}

/// Issues a token as the writer's caller (administrators): its secret
/// (shown once) and its row.
pub(crate) fn issue_token_as(
    w: &mut WriterView<'_>,
    request: &TokenRequest,
) -> Result<(String, pelita_store::TokenRow), ApiError> {
    let actor = w.actor()?;
    let (t, row) = admin::issue_token(w.store(), &actor, request, OffsetDateTime::now_utc())?;
    Ok((t.secret, row))
}

/// Revokes token `id` as the writer's caller (administrators); an unknown
/// id is not found.
pub(crate) fn revoke_token_as(w: &mut WriterView<'_>, id: &str) -> Result<(), ApiError> {
    let actor = w.actor()?;
    if admin::revoke_token(w.store(), &actor, id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("no token {id:?}")))
    }
}

/// Most audit entries in one answer.
pub(crate) const AUDIT_PAGE_MAX: usize = 1_000;

/// One page of the audit log from `from` (at most `limit` entries, oldest
/// first) and the first sequence number of the next page, the read
/// audited (`via` in the detail when not the API).
pub(crate) fn audit_page(
    view: &ReaderView<'_>,
    from: i64,
    limit: usize,
    via: Option<&str>,
) -> Result<(Vec<pelita_store::AuditRecord>, Option<i64>), ApiError> {
    // One more than asked for says whether there is a next page.
    let mut entries = view.audit_entries(from, limit + 1)?;
    let next = (entries.len() > limit)
        .then(|| entries.pop().map(|e| e.seq))
        .flatten();
    let via = via.map(|v| format!(" via={v}")).unwrap_or_default();
    view.audit(
        "read.audit",
        format!("from={from} limit={limit}{via}"),
        entries.len() as u64,
    )?;
    Ok((entries, next))
}

/// A JSON request body (whatever its `Content-Type` says), or a 400 that
/// says where it went wrong.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("the JSON body: {e}")))
}

/// `GET /api/v1/organisations`
pub async fn list_organisations(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let orgs = with_view(state, headers, Scope::Admin, |view| {
        let orgs = view.organisations()?;
        view.audit("admin.org.list", String::new(), orgs.len() as u64)?;
        Ok(orgs
            .into_iter()
            .map(|o| json!({"name": o.name, "role": o.role}))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(json!({ "organisations": orgs })).into_response())
}

/// The body of `PUT /api/v1/organisations/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgBody {
    /// The role.
    pub role: Role,
}

/// `PUT /api/v1/organisations/{name}`: adds it or changes its role.
pub async fn put_organisation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let again = state.clone();
    let org = with_writer(state, headers, Scope::Admin, move |w| {
        // Read after the token is checked: an unauthenticated caller learns nothing.
        let body: OrgBody = json_body(&body)?;
        put_organisation_as(w, &name, body.role)
    })
    .await?;
    again.invalidate_grants();
    Ok(Json(json!({"name": org.name, "role": org.role})).into_response())
}

/// `GET /api/v1/tokens`: every token, without secrets or hashes.
pub async fn list_tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tokens = with_view(state, headers, Scope::Admin, |view| {
        let tokens = view.tokens()?;
        view.audit("admin.token.list", String::new(), tokens.len() as u64)?;
        Ok(tokens)
    })
    .await?;
    Ok(Json(json!({ "tokens": tokens })).into_response())
}

/// The body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The organisation it acts for.
    pub org: String,
    /// What it is for.
    #[serde(default = "default_name")]
    pub name: String,
    /// Its scopes (empty or absent: the role's defaults).
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// The most restrictive marking it may read.
    #[serde(default)]
    pub max_tlp: Option<Tlp>,
    /// When it stops working (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

fn default_name() -> String {
    "api".into()
}

/// `POST /api/v1/tokens`: issues a token; the answer holds the secret,
/// the only time it is shown.
pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let again = state.clone();
    let v = with_writer(state, headers, Scope::Admin, move |w| {
        let body: TokenBody = json_body(&body)?;
        let request = TokenRequest {
            org: body.org,
            name: body.name,
            scopes: body.scopes,
            max_tlp: body.max_tlp,
            expires_at: body.expires_at,
        };
        let (secret, row) = issue_token_as(w, &request)?;
        Ok(json!({ "token": secret, "id": row.id, "details": row }))
    })
    .await?;
    again.invalidate_grants();
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `DELETE /api/v1/tokens/{id}`: revokes a token.
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let again = state.clone();
    with_writer(state, headers, Scope::Admin, move |w| {
        revoke_token_as(w, &id)
    })
    .await?;
    again.invalidate_grants();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/audit?from=SEQ&limit=N`: the audit log, oldest first,
/// with `next` for the following page.
pub async fn audit_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let number = |k: &str, default: u64| -> Result<u64, ApiError> {
        q.get(k).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| ApiError::BadRequest(format!("{k}: not a whole number: {v:?}")))
        })
    };
    let from = i64::try_from(number("from", 1)?).unwrap_or(i64::MAX);
    let limit = usize::try_from(number("limit", 100)?)
        .unwrap_or(AUDIT_PAGE_MAX)
        .clamp(1, AUDIT_PAGE_MAX);
    let v = with_view(state, headers, Scope::Audit, move |view| {
        let (entries, next) = audit_page(view, from, limit, None)?;
        Ok(json!({ "entries": entries, "next": next }))
    })
    .await?;
    Ok(Json(v).into_response())
}

/// `GET /api/v1/audit/verify`: recomputes the chain.
pub async fn audit_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = with_view(state, headers, Scope::Audit, |view| {
        let v = view.audit_verify()?;
        view.audit("read.audit.verify", String::new(), v.entries)?;
        Ok(v)
    })
    .await?;
    Ok(Json(json!({ "intact": v.is_ok(), "verdict": v })).into_response())
}
