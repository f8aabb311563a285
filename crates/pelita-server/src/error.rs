//! The one table of error codes of the API.
//!
//! | code | status | when |
//! | --- | --- | --- |
//! | `unauthenticated` | 401 | no token, a malformed token, an unknown, revoked or expired token |
//! | `forbidden` | 403 | the token's scopes or its organisation's role do not allow the route |
//! | `not_found` | 404 | nothing the caller may see (never "exists but hidden") |
//! | `bad_request` | 400 | a parameter or value that cannot be read |
//! | `too_large` | 413 | a body over the limit |
//! | `unprocessable` | 422 | a submission that could not be read at all |
//! | `rate_limited` | 429 | the token made more requests than its budget (`Retry-After` says when to retry) |
//! | `timeout` | 503 | the request took longer than the server's limit |
//! | `internal` | 500 | the store or the archive failed (details in the server log, not the answer) |

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error: a stable code and a message for people.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 401.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 413.
    #[error("{0}")]
    TooLarge(String),
    /// 422.
    #[error("{0}")]
    Unprocessable(String),
    /// 429.
    #[error("{0}")]
    RateLimited(String),
    /// 503.
    #[error("{0}")]
    Timeout(String),
    /// 500: the message goes to the server log only.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Timeout(_) => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<pelita_store::StoreError> for ApiError {
    fn from(e: pelita_store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<pelita_report::ReportError> for ApiError {
    fn from(e: pelita_report::ReportError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            // The detail is for the operator, never for the caller.
            eprintln!("pelita serve: internal error: {detail}");
        }
        let status = self.status();
        let mut r = (
            status,
            Json(Body {
                error: Inner {
                    code: self.code(),
                    message: self.to_string(),
                },
            }),
        )
            .into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"pelita\""),
            );
        }
        r
    }
}
