//! The OpenAPI 3.1 document of the API, served at `GET /openapi.json`
//! without authentication (and shown by the explorer at `/api/docs`).
//!
//! Built with utoipa's builder API from three sources of truth, so that it
//! cannot drift from the server:
//!
//! - the operations below, one per entry of [`crate::routes::ROUTES`]
//!   (`tests/openapi.rs` fails on a route that is not documented, or a
//!   documented path that is not a route);
//! - [`ErrorCode::ALL`], the one table of error codes: the `code` enum of
//!   the error body and one reusable response per code, with its status;
//! - the model's own lists of names ([`IndicatorKind::ALL`], [`Tlp::ALL`],
//!   [`Role::ALL`], [`Scope::ALL`]) for the enums of parameters and bodies.
//!
//! Bodies that other crates define (fused indicator views, reports,
//! submission reports) are described as objects with their key properties
//! rather than in full; every property the document names is one the
//! server sends (the tests check live answers against the schemas).

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use pelita_auth::{Role, Scope};
use pelita_model::{IndicatorKind, Tlp};
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    Components, ComponentsBuilder, ContentBuilder, Header, InfoBuilder, LicenseBuilder, OpenApi,
    OpenApiBuilder, OpenApiVersion, Paths, Ref, RefOr, Required, Schema,
};

use crate::error::{ApiError, ErrorCode};

/// Where the document is served.
pub const PATH: &str = "/openapi.json";

/// The name of the bearer security scheme.
pub const BEARER: &str = "pelita_token";

/// `GET /openapi.json`: the document, serialised once.
pub(crate) async fn serve() -> Response {
    static JSON: LazyLock<Result<String, String>> =
        LazyLock::new(|| document().to_json().map_err(|e| e.to_string()));
    match JSON.as_deref() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::Internal(format!("the OpenAPI document: {e}")).into_response(),
    }
}

/// The OpenAPI 3.1 document of every `/api/v1` route.
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for (method, path, operation) in operations().into_iter().chain(admin_operations()) {
        paths.add_path_operation(path, vec![method], operation);
    }
    OpenApiBuilder::new()
        .openapi(OpenApiVersion::Version31)
        .info(
            InfoBuilder::new()
                .title("Pelita sharing server")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(INFO))
                .license(Some(
                    LicenseBuilder::new()
                        .name("Apache-2.0")
                        .identifier(Some("Apache-2.0"))
                        .build(),
                )),
        )
        .paths(paths)
        .components(Some(components()))
        .tags(Some([
            tag(
                "indicators",
                "Look-ups and counts over what the caller may see",
            ),
            tag("reports", "Cyber Activity Reports"),
            tag(
                "submissions",
                "Sharing packages of indicators, and their status",
            ),
            tag("exports", "Blocklists, CSV and STIX exports"),
            tag("tokens", "The calling token"),
            tag(
                "administration",
                "Organisations and tokens (scope `admin`), the audit log (scope `audit`)",
            ),
        ]))
        .build()
}

const INFO: &str = "The REST API of a Pelita fusion centre. Every answer goes through the \
sharing policy for the organisation of the calling token: an indicator the caller may not see \
is `not_found`, exactly like one that was never submitted, and every count is computed after \
that filter. Reads, reports, exports and submissions are written to the tamper-evident audit \
log with the organisation and the token.\n\n\
Authenticate with `Authorization: Bearer pelita_<id>_<secret>` (`pelita token create`). The \
scope each operation needs is in its security requirement (OpenAPI 3.1 role names) and its \
description; the token's organisation's role must allow it too. Each token has a request \
budget: over it, `429 rate_limited` with `Retry-After`. Every error is \
`{\"error\": {\"code\", \"message\"}}` with a stable code (schema `Error`).";

fn tag(name: &str, description: &str) -> utoipa::openapi::Tag {
    TagBuilder::new()
        .name(name)
        .description(Some(description))
        .build()
}

/// Every operation of the API, with its method and path.
fn operations() -> Vec<(HttpMethod, &'static str, Operation)> {
    use ErrorCode as E;
    vec![
        (
            HttpMethod::Get,
            "/api/v1/me",
            with_errors(
                operation(
                    "get_me",
                    "tokens",
                    "Who the token is",
                    &[Scope::Read, Scope::Submit],
                )
                .description(Some(
                    "The organisation, role, scopes and marking ceiling of the calling token. \
                     Any token with the `read` or `submit` scope may ask.",
                ))
                .response("200", json_response("The token's identity", "Me"))
                .build(),
                &[
                    E::Unauthenticated,
                    E::Forbidden,
                    E::RateLimited,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/indicators/{value}",
            with_errors(
                operation(
                    "get_indicator",
                    "indicators",
                    "Look up one value",
                    &[Scope::Read],
                )
                .description(Some(
                    "The fused view of a value in any notation, defanged or not \
                     (`198.51.100[.]7`, `hxxp://…`), with the stored networks that contain it \
                     and its stored parent domains, over the sightings the caller may see. A \
                     value the caller may not see answers `404 not_found`, exactly like one \
                     never submitted.",
                ))
                .parameter(path_param(
                    "value",
                    "The value: an address, network, domain, URL, e-mail address, digest, \
                     ASN, wallet, onion or phone number, in any notation (percent-encoded).",
                    string().examples(["198.51.100.7", "198.51.100[.]7", "example.test"]),
                ))
                .response(
                    "200",
                    json_response("What the caller may see of it", "Lookup"),
                )
                .build(),
                &[
                    E::Unauthenticated,
                    E::Forbidden,
                    E::NotFound,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/stats",
            with_errors(
                operation("get_stats", "indicators", "Counts", &[Scope::Read])
                    .description(Some(
                        "Counts by kind, class, country, ASN and source, over the sightings \
                         the caller may see.",
                    ))
                    .response("200", json_response("The counts", "Stats"))
                    .build(),
                &[
                    E::Unauthenticated,
                    E::Forbidden,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/reports/country/{cc}",
            with_errors(
                operation(
                    "get_country_report",
                    "reports",
                    "A country's Cyber Activity Report",
                    &[Scope::Report],
                )
                .description(Some(
                    "The Cyber Activity Report of one country as the caller may see it: an \
                     executive summary, recommended actions, indicators by class, the networks \
                     with the most indicators.",
                ))
                .parameter(path_param(
                    "cc",
                    "ISO 3166-1 alpha-2 country code, any case.",
                    string()
                        .pattern(Some("^[A-Za-z]{2}$"))
                        .examples(["SG", "ZZ"]),
                ))
                .parameter(query_param(
                    "since",
                    "Only sightings last seen at or after this time (RFC 3339).",
                    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
                ))
                .response("200", json_response("The report", "CountryReport"))
                .build(),
                &[
                    E::BadRequest,
                    E::Unauthenticated,
                    E::Forbidden,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Post,
            "/api/v1/submissions",
            with_errors(
                operation(
                    "submit",
                    "submissions",
                    "Submit a package of indicators",
                    &[Scope::Submit],
                )
                .description(Some(
                    "The request body is the package itself, as raw bytes: a STIX 2.1 bundle, \
                     a MISP event, a feed's CSV, a plain list or free text. The format is \
                     detected unless `format` says it; the `Content-Type` is not used. The \
                     package is archived, read and stored as the token's organisation's \
                     sightings; records that cannot be read are counted, with where and why, \
                     and the rest goes through. The same bytes submitted again store nothing \
                     new.",
                ))
                .parameter(query_param(
                    "format",
                    "How to read the body: `auto` (detect, the default), `stix`, `misp`, \
                     `misp-feed`, `list`, `text`, or `csv:PRESET` for a feed preset \
                     (`csv:urlhaus`, `csv:feodotracker`, `csv:threatfox`, …).",
                    string().default(Some("auto".into())).examples([
                        "auto",
                        "stix",
                        "list",
                        "csv:urlhaus",
                    ]),
                ))
                .parameter(query_param(
                    "tlp",
                    "The marking of sightings that carry none of their own (TLP 2.0; \
                     `white`, `TLP:AMBER` and other notations are read too).",
                    enum_of(Tlp::ALL.map(Tlp::as_str)),
                ))
                .parameter(query_param(
                    "name",
                    "A name for the submission in reports and the audit log.",
                    string().default(Some("api-submission".into())),
                ))
                .parameter(query_param(
                    "operation",
                    "The name of a joint operation to file the sightings under (its members \
                     may then see AMBER sightings). Only a member organisation may file under \
                     an operation; any other name is refused as unknown (400).",
                    string(),
                ))
                .parameter(query_param(
                    "share_with",
                    "Organisations, comma-separated, that may see the AMBER, AMBER+STRICT and \
                     RED sightings of this submission.",
                    string().examples(["police-sg,cert-my"]),
                ))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .description(Some(
                            "The package, as raw bytes, or as the `file` field of a \
                             `multipart/form-data` form (whose other fields may carry the \
                             query's options; the file's name is the default `name`).",
                        ))
                        .required(Some(Required::True))
                        .content("application/octet-stream", ContentBuilder::new().build())
                        .content(
                            "multipart/form-data",
                            ContentBuilder::new()
                                .schema(Some(
                                    ObjectBuilder::new()
                                        .schema_type(Type::Object)
                                        .property(
                                            "file",
                                            string().content_media_type("application/octet-stream"),
                                        )
                                        .property("format", string())
                                        .property("tlp", schema("Tlp"))
                                        .property("operation", string())
                                        .property("share_with", string())
                                        .property("name", string())
                                        .required("file"),
                                ))
                                .build(),
                        )
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(
                                    ObjectBuilder::new()
                                        .schema_type(Type::Object)
                                        .description(Some("A STIX 2.1 bundle or a MISP event.")),
                                ))
                                .build(),
                        )
                        .content(
                            "text/csv",
                            ContentBuilder::new().schema(Some(string())).build(),
                        )
                        .content(
                            "text/plain",
                            ContentBuilder::new()
                                .schema(Some(string()))
                                .example(Some("198.51.100.7\nexample.test\n".into()))
                                .build(),
                        )
                        .build(),
                ))
                .response(
                    "202",
                    json_response("Stored: the submission's report", "SubmissionAccepted"),
                )
                .build(),
                &[
                    E::BadRequest,
                    E::Unauthenticated,
                    E::Forbidden,
                    E::TooLarge,
                    E::Unprocessable,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/submissions/{sha}",
            with_errors(
                operation(
                    "get_submission",
                    "submissions",
                    "The status of one's own submission",
                    &[Scope::Submit],
                )
                .description(Some(
                    "The report of a submission the token's organisation made, with its \
                     located errors. Another organisation's submission is `not_found`, like \
                     a missing one.",
                ))
                .parameter(path_param(
                    "sha",
                    "The submission's id: the SHA-256 of its bytes, 64 hex digits.",
                    string().pattern(Some("^[0-9A-Fa-f]{64}$")),
                ))
                .response(
                    "200",
                    json_response("The submission's report", "SubmissionReport"),
                )
                .build(),
                &[
                    E::BadRequest,
                    E::Unauthenticated,
                    E::Forbidden,
                    E::NotFound,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/exports/{format}",
            with_errors(
                operation(
                    "export",
                    "exports",
                    "Export indicators",
                    &[Scope::Read, Scope::Report],
                )
                .description(Some(
                    "`blocklist` (scope `read`): one canonical value per line, suppressed \
                     values (known-benign, non-routable, withdrawn) left out, optionally of \
                     one `kind` and one `country`. `csv` and `stix` (scope `report`): a \
                     country's indicators as in its report, as CSV or a STIX 2.1 bundle; \
                     `country` is required.",
                ))
                .parameter(path_param(
                    "format",
                    "What to export.",
                    enum_of(["blocklist", "csv", "stix"]),
                ))
                .parameter(query_param(
                    "kind",
                    "`blocklist` only: only indicators of this kind (aliases such as `ip` \
                     and `hostname` are read too).",
                    enum_of(IndicatorKind::ALL.map(IndicatorKind::as_str)),
                ))
                .parameter(query_param(
                    "country",
                    "ISO 3166-1 alpha-2 country code: required for `csv` and `stix`; for \
                     `blocklist`, only indicators of that country.",
                    string().pattern(Some("^[A-Za-z]{2}$")),
                ))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("The export")
                        .content(
                            "text/plain; charset=utf-8",
                            ContentBuilder::new()
                                .schema(Some(string().description(Some("`blocklist`"))))
                                .example(Some("198.51.100.7\n203.0.113.9\n".into()))
                                .build(),
                        )
                        .content(
                            "text/csv; charset=utf-8",
                            ContentBuilder::new()
                                .schema(Some(string().description(Some("`csv`"))))
                                .build(),
                        )
                        .content(
                            "application/stix+json;version=2.1",
                            ContentBuilder::new()
                                .schema(Some(
                                    ObjectBuilder::new()
                                        .schema_type(Type::Object)
                                        .description(Some("`stix`: a STIX 2.1 bundle"))
                                        .property("type", enum_of(["bundle"]))
                                        .property("id", string())
                                        .property(
                                            "objects",
                                            ArrayBuilder::new().items(
                                                ObjectBuilder::new().schema_type(Type::Object),
                                            ),
                                        )
                                        .required("type")
                                        .required("id")
                                        .required("objects"),
                                ))
                                .build(),
                        )
                        .build(),
                )
                .build(),
                &[
                    E::BadRequest,
                    E::Unauthenticated,
                    E::Forbidden,
                    E::NotFound,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
    ]
}

/// Organisation, token and audit-log operations.
fn admin_operations() -> Vec<(HttpMethod, &'static str, Operation)> {
    use ErrorCode as E;
    let errors = [
        E::Unauthenticated,
        E::Forbidden,
        E::RateLimited,
        E::Timeout,
        E::Internal,
    ];
    let json_body = |description: &str, name: &str| {
        RequestBodyBuilder::new()
            .description(Some(description))
            .required(Some(Required::True))
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(schema(name))).build(),
            )
            .build()
    };
    let admin = |id: &str, summary: &str, description: &str| {
        operation(id, "administration", summary, &[Scope::Admin]).description(Some(description))
    };
    let audit = |id: &str, summary: &str, description: &str| {
        operation(id, "administration", summary, &[Scope::Audit]).description(Some(description))
    };
    let with = |op: Operation, extra: &[ErrorCode]| {
        let mut all = errors.to_vec();
        all.extend_from_slice(extra);
        with_errors(op, &all)
    };
    vec![
        (
            HttpMethod::Get,
            "/api/v1/reports/operation/{name}",
            with_errors(
                operation("get_operation_report", "reports", "An operation's report", &[Scope::Report])
                    .description(Some(
                        "What each partner contributed, overlap between partners, actions and \
                         their status, and the per-country figures, over the sightings the \
                         caller may see. An operation the caller does not take part in is \
                         `404 not_found`, exactly like one that does not exist.",
                    ))
                    .parameter(path_param("name", "The operation's short name.", string()))
                    .response(
                        "200",
                        ResponseBuilder::new()
                            .description("The operation report")
                            .content(
                                "application/json",
                                ContentBuilder::new()
                                    .schema(Some(object("An operation report (see `pelita report --operation --format json`).")))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
                &[
                    E::Unauthenticated,
                    E::Forbidden,
                    E::NotFound,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Post,
            "/api/v1/search",
            with_errors(
                operation("search", "indicators", "Find every indicator in a text", &[Scope::Read])
                    .description(Some(
                        "Any text (one value, a list, a report in prose, Markdown or HTML; \
                         defanged or not): each distinct indicator in it (at most 1000), with \
                         its fused view as the caller may see it, or `null`.",
                    ))
                    .request_body(Some(
                        RequestBodyBuilder::new()
                            .required(Some(Required::True))
                            .content(
                                "text/plain",
                                ContentBuilder::new()
                                    .schema(Some(string()))
                                    .example(Some("C2 at 198.51.100[.]7 and hxxp://example[.]test/x".into()))
                                    .build(),
                            )
                            .build(),
                    ))
                    .response(
                        "200",
                        ResponseBuilder::new()
                            .description("The values found and what the caller may see of them")
                            .content(
                                "application/json",
                                ContentBuilder::new()
                                    .schema(Some(
                                        object("Search results.")
                                            .property("values", count())
                                            .property("found", count())
                                            .property("truncated", boolean())
                                            .property(
                                                "results",
                                                array_of(
                                                    object("One distinct value.")
                                                        .property("key", string())
                                                        .property("as_written", string())
                                                        .property("found", or_null("Lookup")),
                                                ),
                                            )
                                            .required("values")
                                            .required("found")
                                            .required("results"),
                                    ))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
                &[
                    E::Unauthenticated,
                    E::Forbidden,
                    E::TooLarge,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/exports/misp-feed/{file}",
            with_errors(
                operation(
                    "export_misp_feed",
                    "exports",
                    "A MISP feed",
                    &[Scope::Report],
                )
                .description(Some(
                    "The caller's view as a MISP feed, one event per country (the \
                         country's report): `manifest.json`, `UUID.json` per event, \
                         `hashes.csv`. Point a MISP instance's feed at \
                         `…/api/v1/exports/misp-feed` with the token in the feed's headers.",
                ))
                .parameter(path_param(
                    "file",
                    "`manifest.json`, `hashes.csv`, or an event's `UUID.json`.",
                    string().examples(["manifest.json", "hashes.csv"]),
                ))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("The feed file")
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(object(
                                    "`manifest.json` (event UUID → summary) or an event \
                                         (`{\"Event\": …}`).",
                                )))
                                .build(),
                        )
                        .content(
                            "text/csv; charset=utf-8",
                            ContentBuilder::new()
                                .schema(Some(string().description(Some(
                                    "`hashes.csv`: `md5(value),event-uuid` per line",
                                ))))
                                .build(),
                        )
                        .build(),
                )
                .build(),
                &[
                    E::Unauthenticated,
                    E::Forbidden,
                    E::NotFound,
                    E::RateLimited,
                    E::Timeout,
                    E::Internal,
                ],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/organisations",
            with(
                admin(
                    "list_organisations",
                    "List organisations",
                    "Every organisation and its role.",
                )
                .response("200", json_response("The organisations", "Organisations"))
                .build(),
                &[],
            ),
        ),
        (
            HttpMethod::Put,
            "/api/v1/organisations/{name}",
            with(
                admin(
                    "put_organisation",
                    "Add an organisation or change its role",
                    "The same rules as `pelita org add`; recorded in the audit log before the \
                     answer.",
                )
                .parameter(path_param(
                    "name",
                    "1 to 64 letters, digits, `-`, `_` or `.`.",
                    string().pattern(Some("^[A-Za-z0-9._-]{1,64}$")),
                ))
                .request_body(Some(json_body("The role.", "OrganisationRole")))
                .response("200", json_response("Stored", "Organisation"))
                .build(),
                &[E::BadRequest],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/tokens",
            with(
                admin(
                    "list_tokens",
                    "List tokens",
                    "Every token with its grant; never a secret or a hash.",
                )
                .response("200", json_response("The tokens", "Tokens"))
                .build(),
                &[],
            ),
        ),
        (
            HttpMethod::Post,
            "/api/v1/tokens",
            with(
                admin(
                    "create_token",
                    "Issue a token",
                    "Scopes must be allowed by the organisation's role (none given: the \
                     role's defaults, never `break-glass`). The answer holds the token: the \
                     only time it is shown.",
                )
                .request_body(Some(json_body("What the token may do.", "TokenRequest")))
                .response("201", json_response("Issued", "TokenCreated"))
                .build(),
                &[E::BadRequest, E::NotFound],
            ),
        ),
        (
            HttpMethod::Delete,
            "/api/v1/tokens/{id}",
            with(
                admin(
                    "revoke_token",
                    "Revoke a token",
                    "It stops working at once.",
                )
                .parameter(path_param(
                    "id",
                    "The token's public id (16 hex digits).",
                    string().pattern(Some("^[0-9a-f]{16}$")),
                ))
                .response("204", ResponseBuilder::new().description("Revoked").build())
                .build(),
                &[E::NotFound],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/audit",
            with(
                audit(
                    "list_audit",
                    "Read the audit log",
                    "Oldest first, from sequence number `from`; `next` is where the next page \
                     starts (`null`: none).",
                )
                .parameter(query_param(
                    "from",
                    "First sequence number (default 1).",
                    count(),
                ))
                .parameter(query_param(
                    "limit",
                    "Entries per page, 1 to 1000 (default 100).",
                    count(),
                ))
                .response("200", json_response("A page of the log", "AuditPage"))
                .build(),
                &[E::BadRequest],
            ),
        ),
        (
            HttpMethod::Get,
            "/api/v1/audit/verify",
            with(
                audit(
                    "verify_audit",
                    "Check the audit chain",
                    "Recomputes every entry's hash and the chain; any edited, deleted, \
                     inserted or reordered entry is a problem.",
                )
                .response("200", json_response("The verdict", "AuditVerification"))
                .build(),
                &[],
            ),
        ),
    ]
}

/// An operation's common parts: its id, tag, summary, and the scopes that
/// allow it (any one of them) as the bearer scheme's role names.
fn operation(id: &str, tag: &str, summary: &str, scopes: &[Scope]) -> OperationBuilder {
    OperationBuilder::new()
        .operation_id(Some(id))
        .tag(tag)
        .summary(Some(summary))
        .securities(Some(
            scopes
                .iter()
                .map(|s| SecurityRequirement::new(BEARER, [s.as_str()])),
        ))
}

/// Adds a reference to the reusable response of each of `errors`, under its status.
fn with_errors(mut op: Operation, errors: &[ErrorCode]) -> Operation {
    for e in errors {
        op.responses.responses.insert(
            e.status().as_u16().to_string(),
            RefOr::Ref(Ref::from_response_name(e.as_str())),
        );
    }
    op
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn count() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
}

fn boolean() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Boolean)
}

fn object(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
}

fn enum_of<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    string().enum_values(Some(values.into_iter().map(str::to_owned)))
}

fn nullable(t: Type) -> SchemaType {
    SchemaType::from_iter([t, Type::Null])
}

fn array_of(items: impl Into<RefOr<Schema>>) -> ArrayBuilder {
    ArrayBuilder::new().items(items.into())
}

fn counts_by(what: &str) -> ObjectBuilder {
    object(what).additional_properties(Some(count()))
}

fn schema(name: &str) -> Ref {
    Ref::from_schema_name(name)
}

/// `T` or `null`.
fn or_null(name: &str) -> OneOfBuilder {
    OneOfBuilder::new()
        .item(schema(name))
        .item(ObjectBuilder::new().schema_type(Type::Null))
}

fn path_param(
    name: &str,
    description: &str,
    schema: ObjectBuilder,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn query_param(
    name: &str,
    description: &str,
    schema: ObjectBuilder,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn json_response(description: &str, schema_name: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(schema(schema_name)))
                .build(),
        )
        .build()
}

fn components() -> Components {
    let mut b = ComponentsBuilder::new().security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("pelita_<16 hex id>_<secret>")
                .description(Some(
                    "An API token from `pelita token create`: \
                     `Authorization: Bearer pelita_<id>_<secret>`. Only its argon2id hash \
                     is stored; it is shown once.",
                ))
                .build(),
        ),
    );
    for (name, s) in schemas() {
        b = b.schema(name, s);
    }
    for e in ErrorCode::ALL {
        let mut r = ResponseBuilder::new()
            .description(format!("`{}`: {}.", e.as_str(), e.when()))
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(schema("Error")))
                    .example(Some(serde_json::json!({
                        "error": { "code": e.as_str(), "message": "…" }
                    })))
                    .build(),
            );
        if *e == ErrorCode::Unauthenticated {
            r = r.header(
                "WWW-Authenticate",
                header_string("`Bearer realm=\"pelita\"`"),
            );
        }
        if *e == ErrorCode::RateLimited {
            r = r.header(
                "Retry-After",
                header_string("Seconds to wait before retrying."),
            );
        }
        b = b.response(e.as_str(), r.build());
    }
    b.build()
}

fn header_string(description: &str) -> Header {
    let mut h = Header::new(string());
    h.description = Some(description.to_owned());
    h
}

/// The reusable schemas.
fn schemas() -> Vec<(&'static str, RefOr<Schema>)> {
    let codes = ErrorCode::ALL.iter().map(|e| e.as_str());
    let code_table: String = ErrorCode::ALL
        .iter()
        .map(|e| {
            format!(
                "\n- `{}` ({}): {}",
                e.as_str(),
                e.status().as_u16(),
                e.when()
            )
        })
        .collect();
    let mut all = vec![
        (
            "Error",
            object("Every error answer of the API.")
                .property(
                    "error",
                    ObjectBuilder::new()
                        .schema_type(Type::Object)
                        .property(
                            "code",
                            enum_of(codes).description(Some(format!(
                                "The stable code (the HTTP status goes with it):{code_table}"
                            ))),
                        )
                        .property(
                            "message",
                            string().description(Some(
                                "For people; may change. Never has internal details.",
                            )),
                        )
                        .required("code")
                        .required("message"),
                )
                .required("error")
                .into(),
        ),
        (
            "Tlp",
            enum_of(Tlp::ALL.map(Tlp::as_str))
                .description(Some("A Traffic Light Protocol 2.0 marking."))
                .into(),
        ),
        (
            "IndicatorKind",
            enum_of(IndicatorKind::ALL.map(IndicatorKind::as_str))
                .description(Some("A kind of indicator."))
                .into(),
        ),
        (
            "Me",
            object("The calling token's identity.")
                .property("organisation", string())
                .property("role", enum_of(Role::ALL.map(Role::as_str)))
                .property("scopes", array_of(enum_of(Scope::ALL.map(Scope::as_str))))
                .property(
                    "max_tlp",
                    OneOfBuilder::new()
                        .description(Some(
                            "The token's marking ceiling (`null`: the policy's own).",
                        ))
                        .item(schema("Tlp"))
                        .item(ObjectBuilder::new().schema_type(Type::Null)),
                )
                .property(
                    "token",
                    string().description(Some("The token's public id.")),
                )
                .required("organisation")
                .required("role")
                .required("scopes")
                .required("max_tlp")
                .required("token")
                .into(),
        ),
        (
            "IndicatorView",
            object(
                "The fused view of one indicator over the sightings the caller may see \
                 (key properties; see `pelita_store::IndicatorView`).",
            )
            .property("key", string().description(Some("`kind:value`")))
            .property("kind", schema("IndicatorKind"))
            .property("value", string().description(Some("The canonical value.")))
            .property(
                "fused",
                object("Fused confidence, sources, first and last seen, suppression."),
            )
            .property("sources", array_of(object("What one source said of it.")))
            .property("malware", array_of(string()))
            .property("tags", array_of(string()))
            .property(
                "classifications",
                array_of(string())
                    .description(Some("ENISA RSIT `class/type`, most frequent first.")),
            )
            .property(
                "enrichment",
                ObjectBuilder::new()
                    .schema_type(nullable(Type::Object))
                    .description(Some("Country, ASN, government suffix, known-benign lists.")),
            )
            .required("key")
            .required("kind")
            .required("value")
            .required("fused")
            .required("sources")
            .into(),
        ),
        (
            "Lookup",
            object("What the caller may see of a value.")
                .property(
                    "key",
                    string().description(Some("The canonical key looked up.")),
                )
                .property("exact", or_null("IndicatorView"))
                .property("containing_networks", array_of(schema("IndicatorView")))
                .property("parent_domains", array_of(schema("IndicatorView")))
                .required("key")
                .required("exact")
                .required("containing_networks")
                .required("parent_domains")
                .into(),
        ),
        (
            "Stats",
            object("Counts over the sightings the caller may see.")
                .property("indicators", count())
                .property("sightings", count())
                .property("submissions", count())
                .property("sources", count())
                .property("withdrawn", count())
                .property("by_kind", counts_by("Indicators by kind."))
                .property("by_source", counts_by("Indicators by source."))
                .property("by_country", counts_by("Indicators by country."))
                .property("by_asn", counts_by("Indicators by ASN (`AS64500 Name`)."))
                .property(
                    "by_class",
                    counts_by("Indicators by ENISA RSIT `class/type`."),
                )
                .required("indicators")
                .required("sightings")
                .required("submissions")
                .required("sources")
                .required("by_kind")
                .into(),
        ),
        (
            "CountryReport",
            object(
                "A Cyber Activity Report (key properties; see \
                 `pelita_report::CountryReport`).",
            )
            .property("country", string())
            .property(
                "country_name",
                ObjectBuilder::new().schema_type(nullable(Type::String)),
            )
            .property("synthetic", boolean())
            .property(
                "generated_at",
                string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .property("marking", schema("Tlp"))
            .property("reader_max_tlp", schema("Tlp"))
            .property("provenance", string())
            .property(
                "summary",
                object("The executive summary.")
                    .property("indicators", count())
                    .property("suppressed", count())
                    .property("sources", count())
                    .property("c2_servers", count())
                    .property("sentences", array_of(string()))
                    .required("indicators"),
            )
            .property("actions", array_of(object("A recommended action.")))
            .property(
                "sections",
                array_of(object("Indicators of one RSIT class.")),
            )
            .property("top_asns", array_of(object("A network and its count.")))
            .required("country")
            .required("generated_at")
            .required("marking")
            .required("summary")
            .into(),
        ),
        (
            "SubmissionReport",
            object(
                "The report on one submission (key properties; see \
                 `pelita_ingest::SubmissionReport`).",
            )
            .property("name", string())
            .property("sha256", string().pattern(Some("^[0-9a-f]{64}$")))
            .property("size", count())
            .property("already_archived", boolean())
            .property(
                "format",
                ObjectBuilder::new()
                    .schema_type(nullable(Type::String))
                    .description(Some("The format read (`stix`, `csv:urlhaus`, …).")),
            )
            .property("observations", count())
            .property("records", count())
            .property("by_kind", counts_by("Records by indicator kind."))
            .property(
                "errors",
                object("Errors by problem code: how many, and the first few with where and why.")
                    .additional_properties(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::Object)
                            .property("count", count())
                            .property("first", array_of(object("One located problem."))),
                    )),
            )
            .property(
                "located",
                array_of(object(
                    "One located problem: `severity`, `code`, `message`, `location`.",
                ))
                .description(Some(
                    "Every error in the order found, with where and why, up to 1,000 \
                     (absent when there are none).",
                )),
            )
            .property(
                "unlisted",
                count().description(Some(
                    "Errors past the first 1,000: counted in `errors`, not listed \
                     (absent when none).",
                )),
            )
            .property("warnings", count())
            .required("name")
            .required("sha256")
            .required("records")
            .required("errors")
            .into(),
        ),
        (
            "SubmissionAccepted",
            object("A stored submission.")
                .property(
                    "submission",
                    string().pattern(Some("^[0-9a-f]{64}$")).description(Some(
                        "Its id (SHA-256), for `GET /api/v1/submissions/{sha}`.",
                    )),
                )
                .property("report", schema("SubmissionReport"))
                .property(
                    "stored",
                    object("What was written.")
                        .property("new_submission", boolean())
                        .property("records", count())
                        .property("sightings_added", count())
                        .property("indicators_added", count())
                        .required("new_submission")
                        .required("sightings_added"),
                )
                .required("submission")
                .required("report")
                .required("stored")
                .into(),
        ),
    ];
    all.extend(admin_schemas());
    all
}

/// The schemas of the administration operations.
fn admin_schemas() -> Vec<(&'static str, RefOr<Schema>)> {
    let role = || enum_of(Role::ALL.map(Role::as_str));
    let scopes = || array_of(enum_of(Scope::ALL.map(Scope::as_str)));
    let time = || {
        string().format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::DateTime,
        )))
    };
    let time_or_null = || {
        OneOfBuilder::new()
            .item(time())
            .item(ObjectBuilder::new().schema_type(Type::Null))
    };
    let grant = || {
        object("What a token grants.")
            .property("org", string())
            .property("role", role())
            .property("scopes", scopes())
            .property("max_tlp", or_null("Tlp"))
            .property("expires_at", time_or_null())
            .property("revoked", boolean())
            .required("org")
            .required("role")
            .required("scopes")
            .required("revoked")
    };
    let token = || {
        object("A stored token, never its secret or hash.")
            .property("id", string())
            .property("name", string())
            .property("grant", grant())
            .property("created_at", time())
            .required("id")
            .required("name")
            .required("grant")
            .required("created_at")
    };
    let organisation = || {
        object("An organisation.")
            .property("name", string())
            .property("role", role())
            .required("name")
            .required("role")
    };
    vec![
        ("Organisation", organisation().into()),
        (
            "Organisations",
            object("Every organisation.")
                .property("organisations", array_of(organisation()))
                .required("organisations")
                .into(),
        ),
        (
            "OrganisationRole",
            object("An organisation's role.")
                .property("role", role())
                .required("role")
                .into(),
        ),
        (
            "Tokens",
            object("Every token.")
                .property("tokens", array_of(token()))
                .required("tokens")
                .into(),
        ),
        (
            "TokenRequest",
            object("What a new token may do.")
                .property("org", string())
                .property(
                    "name",
                    string().description(Some("What it is for (default `api`).")),
                )
                .property("scopes", scopes().description(Some("Default: the role's.")))
                .property("max_tlp", or_null("Tlp"))
                .property("expires_at", time_or_null())
                .required("org")
                .into(),
        ),
        (
            "TokenCreated",
            object("A new token: `token` is shown this once.")
                .property("token", string())
                .property("id", string())
                .property("details", token())
                .required("token")
                .required("id")
                .required("details")
                .into(),
        ),
        (
            "AuditPage",
            object("A page of the audit log.")
                .property(
                    "entries",
                    array_of(
                        object("One entry and its place in the chain.")
                            .property("seq", count())
                            .property("prev", string())
                            .property("hash", string()),
                    ),
                )
                .property(
                    "next",
                    OneOfBuilder::new()
                        .item(count())
                        .item(ObjectBuilder::new().schema_type(Type::Null)),
                )
                .required("entries")
                .required("next")
                .into(),
        ),
        (
            "AuditVerification",
            object("The audit chain's check.")
                .property("intact", boolean())
                .property(
                    "verdict",
                    object("What was checked.")
                        .property("entries", count())
                        .property("problems", array_of(string())),
                )
                .required("intact")
                .required("verdict")
                .into(),
        ),
    ]
}
