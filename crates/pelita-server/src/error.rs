//! The one table of error codes of the API. The `error_table!` invocation
//! below is the table: it defines [`ApiError`] and [`ErrorCode`] (whose
//! [`ErrorCode::ALL`] the OpenAPI document's `code` enum and error responses
//! are built from). The table here says the same for readers, and a test
//! (`tests/openapi.rs`) checks that it does.
//!
//! | code | status | when |
//! | --- | --- | --- |
//! | `unauthenticated` | 401 | no token, a malformed token, an unknown, revoked or expired token |
//! | `forbidden` | 403 | the token's scopes or its organisation's role do not allow the route |
//! | `not_found` | 404 | nothing the caller may see (never "exists but hidden") |
//! | `bad_request` | 400 | a parameter or value that cannot be read |
//! | `too_large` | 413 | a body over the limit |
//! | `unprocessable` | 422 | a submission that could not be read at all |
//! | `not_acceptable` | 406 | TAXII only: the `Accept` header does not allow `application/taxii+json;version=2.1` |
//! | `unsupported_media_type` | 415 | TAXII only: a body whose `Content-Type` is not `application/taxii+json;version=2.1` |
//! | `rate_limited` | 429 | the token made more requests than its budget (`Retry-After` says when to retry) |
//! | `timeout` | 503 | the request took longer than the server's limit |
//! | `internal` | 500 | the store or the archive failed (details in the server log, not the answer) |

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Defines [`ApiError`] and [`ErrorCode`] (the same variants, without the
/// message) from one table, so that the codes, their statuses and the
/// OpenAPI document's `code` enum and error responses cannot drift.
macro_rules! error_table {
    ($(
        $(#[$doc:meta])*
        $variant:ident($display:tt) => $code:literal, $status:ident, $when:literal;
    )*) => {
        /// An API error: a stable code and a message for people.
        #[derive(Debug, thiserror::Error)]
        #[non_exhaustive]
        pub enum ApiError {
            $(
                $(#[$doc])*
                #[error($display)]
                $variant(String),
            )*
        }

        /// An error code of the API, without a message: one row of the table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                $(#[$doc])*
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every error code, in the order of the table.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable code, as in `{"error": {"code": …}}`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status that goes with it.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)*
                }
            }

            /// When it is answered.
            pub const fn when(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $when,)*
                }
            }
        }

        impl ApiError {
            /// The row of the table.
            pub const fn error_code(&self) -> ErrorCode {
                match self {
                    $(ApiError::$variant(_) => ErrorCode::$variant,)*
                }
            }
        }
    };
}

error_table! {
    /// 401.
    Unauthenticated("{0}") => "unauthenticated", UNAUTHORIZED,
        "no token, a malformed token, an unknown, revoked or expired token";
    /// 403.
    Forbidden("{0}") => "forbidden", FORBIDDEN,
        "the token's scopes or its organisation's role do not allow the route";
    /// 404.
    NotFound("{0}") => "not_found", NOT_FOUND,
        "nothing the caller may see (never \"exists but hidden\")";
    /// 400.
    BadRequest("{0}") => "bad_request", BAD_REQUEST,
        "a parameter or value that cannot be read";
    /// 413.
    TooLarge("{0}") => "too_large", PAYLOAD_TOO_LARGE,
        "a body over the limit";
    /// 422.
    Unprocessable("{0}") => "unprocessable", UNPROCESSABLE_ENTITY,
        "a submission that could not be read at all";
    /// 406 (TAXII only).
    NotAcceptable("{0}") => "not_acceptable", NOT_ACCEPTABLE,
        "TAXII only: the `Accept` header does not allow `application/taxii+json;version=2.1`";
    /// 415 (TAXII only).
    UnsupportedMediaType("{0}") => "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE,
        "TAXII only: a body whose `Content-Type` is not `application/taxii+json;version=2.1`";
    /// 429.
    RateLimited("{0}") => "rate_limited", TOO_MANY_REQUESTS,
        "the token made more requests than its budget (`Retry-After` says when to retry)";
    /// 503.
    Timeout("{0}") => "timeout", SERVICE_UNAVAILABLE,
        "the request took longer than the server's limit";
    /// 500: the message goes to the server log only.
    Internal("internal error") => "internal", INTERNAL_SERVER_ERROR,
        "the store or the archive failed (details in the server log, not the answer)";
}

impl ErrorCode {
    /// Whether only the TAXII server answers it (the `/api/v1` routes
    /// take any `Accept` and any body type, so its OpenAPI document
    /// lists these among the reusable responses but under no operation).
    pub const fn taxii_only(self) -> bool {
        matches!(
            self,
            ErrorCode::NotAcceptable | ErrorCode::UnsupportedMediaType
        )
    }
}

impl ApiError {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The HTTP status.
    pub const fn status(&self) -> StatusCode {
        self.error_code().status()
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

/// The TAXII 2.1 error message: the same code and message as the API's
/// error body, in the shape TAXII clients read.
#[derive(Serialize)]
struct TaxiiBody<'a> {
    title: &'a str,
    description: String,
    error_code: &'a str,
    http_status: &'a str,
}

/// The media type of every TAXII 2.1 answer.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";

impl ApiError {
    /// The same error for a TAXII client: `{"title", "description",
    /// "error_code", "http_status"}` as `application/taxii+json;version=2.1`,
    /// with the code and status of the one table.
    pub fn taxii_response(self) -> Response {
        log_internal(&self);
        let status = self.status();
        let body = TaxiiBody {
            title: status.canonical_reason().unwrap_or("Error"),
            description: self.to_string(),
            error_code: self.code(),
            http_status: status.as_str(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut r = (
            status,
            [(axum::http::header::CONTENT_TYPE, TAXII_MEDIA_TYPE)],
            json,
        )
            .into_response();
        with_error_headers(&mut r);
        r
    }
}

fn log_internal(e: &ApiError) {
    if let ApiError::Internal(detail) = e {
        // The detail is for the operator, never for the caller.
        eprintln!("pelita serve: internal error: {detail}");
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        log_internal(&self);
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
        with_error_headers(&mut r);
        r
    }
}

/// `Retry-After` on 429, `WWW-Authenticate` on 401.
fn with_error_headers(r: &mut Response) {
    let status = r.status();
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
}
