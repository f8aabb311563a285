//! Country and operation pages: the Cyber Activity Report as the viewer
//! may see it ([`ReaderView::country_report`],
//! [`ReaderView::operation_report`]), rendered in the page by
//! `pelita_report::render`'s fragments, and the same report in every
//! format as a download.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pelita_auth::Scope;
use pelita_report::render;

use super::WebError;
use super::pages::{Chrome, html, with_session};
use crate::AppState;
use crate::error::ApiError;
use crate::routes::{country_code, no_operation};
use crate::view::ReaderView;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/country/{cc}", get(country_page))
        .route("/ui/country/{cc}/{file}", get(country_download))
        .route("/ui/operation/{name}", get(operation_page))
        .route("/ui/operation/{name}/actions", get(operation_actions))
        .route("/ui/operation/{name}/{file}", get(operation_download))
}

/// A report's download formats: (file name after `report.`, content type, label).
const COUNTRY_FORMATS: &[(&str, &str, &str)] = &[
    ("md", "text/markdown; charset=utf-8", "Markdown"),
    ("html", "text/html; charset=utf-8", "HTML (one file)"),
    ("json", "application/json", "JSON"),
    ("csv", "text/csv; charset=utf-8", "CSV"),
    (
        "stix.json",
        "application/stix+json;version=2.1",
        "STIX 2.1 bundle",
    ),
];

/// An operation report's download formats.
const OPERATION_FORMATS: &[(&str, &str, &str)] = &[
    ("md", "text/markdown; charset=utf-8", "Markdown"),
    ("html", "text/html; charset=utf-8", "HTML (one file)"),
    ("json", "application/json", "JSON"),
];

/// A download link: (href, label, extension).
struct Download {
    href: String,
    label: &'static str,
    ext: &'static str,
}

/// PDF, in a build with the `pdf` feature (for both kinds of report).
#[cfg(feature = "pdf")]
const PDF: &[(&str, &str, &str)] = &[("pdf", "application/pdf", "PDF")];
#[cfg(not(feature = "pdf"))]
const PDF: &[(&str, &str, &str)] = &[];

fn downloads(base: &str, formats: &[(&'static str, &'static str, &'static str)]) -> Vec<Download> {
    formats
        .iter()
        .chain(PDF)
        .map(|&(ext, _, label)| Download {
            href: format!("{base}/report.{ext}"),
            label,
            ext,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "web/report.html")]
struct ReportPage {
    chrome: Chrome,
    title: String,
    /// `pelita_report`'s HTML fragment (escaped there).
    report: String,
    downloads: Vec<Download>,
}

/// Refuses a viewer whose role may not read reports, as the API does.
fn needs_report(view: &ReaderView<'_>) -> Result<(), WebError> {
    if view.permits(Scope::Report) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this organisation's role may not read reports".into()).into())
    }
}

/// The format a `report.<ext>` file name asks for, among `formats`.
fn format_of<'f>(
    file: &str,
    formats: &'f [(&'static str, &'static str, &'static str)],
) -> Result<&'f (&'static str, &'static str, &'static str), WebError> {
    file.strip_prefix("report.")
        .and_then(|ext| formats.iter().chain(PDF).find(|f| f.0 == ext))
        .ok_or_else(|| ApiError::NotFound(format!("no such download: {file:?}")).into())
}

/// `stem` reduced to characters safe in a `Content-Disposition` file name.
fn file_stem(stem: &str) -> String {
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A download answer: the body with its type, as an attachment.
fn attachment(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn report_error(e: pelita_report::ReportError) -> WebError {
    ApiError::from(e).into()
}

async fn country_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(cc): Path<String>,
) -> Result<Response, WebError> {
    let code = country_code(&cc)?;
    let page = with_session(state, headers, None, move |_, session, view| {
        needs_report(view)?;
        let r = view.country_report(&code, None).map_err(report_error)?;
        view.audit(
            "read.report",
            format!("country={code} via=ui"),
            r.summary.indicators,
        )?;
        Ok(ReportPage {
            chrome: Chrome::of(session, Some(r.marking)),
            title: format!(
                "Cyber Activity Report: {}",
                r.country_name.as_deref().unwrap_or(&code)
            ),
            report: render::html_fragment(&r),
            downloads: downloads(&format!("/ui/country/{code}"), COUNTRY_FORMATS),
        })
    })
    .await?;
    Ok(html(&page))
}

async fn country_download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((cc, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let code = country_code(&cc)?;
    let &(ext, content_type, _) = format_of(&file, COUNTRY_FORMATS)?;
    let body = with_session(state, headers, None, move |_, _, view| {
        needs_report(view)?;
        let r = view.country_report(&code, None).map_err(report_error)?;
        view.audit(
            "read.report",
            format!("country={code} format={ext} via=ui"),
            r.summary.indicators,
        )?;
        let body = match ext {
            "md" => render::markdown(&r).into_bytes(),
            "html" => render::html(&r).map_err(report_error)?.into_bytes(),
            "json" => render::json(&r).map_err(report_error)?.into_bytes(),
            "csv" => render::csv(&r).into_bytes(),
            #[cfg(feature = "pdf")]
            "pdf" => pelita_report::pdf::country(&r),
            _ => render::stix(&r).map_err(report_error)?.into_bytes(),
        };
        Ok((format!("{code}.{ext}"), body))
    })
    .await?;
    Ok(attachment(content_type, &body.0, body.1))
}

/// The operation's report, or what a nonexistent operation gets.
fn operation_of(
    view: &ReaderView<'_>,
    name: &str,
) -> Result<pelita_report::OperationReport, WebError> {
    needs_report(view)?;
    Ok(view
        .operation_report(name)?
        .ok_or_else(|| no_operation(name))?)
}

async fn operation_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let page = with_session(state, headers, None, move |_, session, view| {
        let found = operation_of(view, &name);
        view.audit(
            "read.report",
            format!("operation={name} via=ui"),
            found.as_ref().map_or(0, |r| r.submissions),
        )?;
        let r = found?;
        Ok(ReportPage {
            chrome: Chrome::of(session, Some(r.marking)),
            title: format!("Operation {}", r.operation.title),
            report: render::operation_html_fragment(&r),
            downloads: downloads(
                &format!("/ui/operation/{}", urlencode(&name)),
                OPERATION_FORMATS,
            ),
        })
    })
    .await?;
    Ok(html(&page))
}

/// `GET /ui/operation/{name}/actions`: the status of the operation's
/// recommended actions, as an HTML fragment the dashboard loads after
/// the page (htmx, `hx-trigger="load"`): computing an operation's actions
/// means building its country reports, which the dashboard should not wait for.
async fn operation_actions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let fragment = with_session(state, headers, None, move |_, _, view| {
        let found = operation_of(view, &name);
        view.audit(
            "read.report",
            format!("operation={name} part=actions via=ui"),
            found.as_ref().map_or(0, |r| r.actions.len() as u64),
        )?;
        let r = found?;
        let parts: Vec<String> = pelita_store::ActionStatus::ALL
            .iter()
            .filter_map(|s| {
                r.actions_by_status
                    .get(s)
                    .filter(|n| **n > 0)
                    .map(|n| format!("{n} {}", s.as_str()))
            })
            .collect();
        let text = if parts.is_empty() {
            "no recommended actions".to_owned()
        } else {
            format!("actions: {}", parts.join(", "))
        };
        // Only digits, status names and fixed words: nothing to escape.
        Ok(format!(
            "<span class=\"actions\" data-actions=\"{}\">{text}</span>",
            r.actions.len()
        ))
    })
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        fragment,
    )
        .into_response())
}

async fn operation_download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let &(ext, content_type, _) = format_of(&file, OPERATION_FORMATS)?;
    let body = with_session(state, headers, None, move |_, _, view| {
        let found = operation_of(view, &name);
        view.audit(
            "read.report",
            format!("operation={name} format={ext} via=ui"),
            found.as_ref().map_or(0, |r| r.submissions),
        )?;
        let r = found?;
        let body = match ext {
            "md" => render::operation_markdown(&r).into_bytes(),
            "html" => render::operation_html(&r).into_bytes(),
            #[cfg(feature = "pdf")]
            "pdf" => pelita_report::pdf::operation(&r),
            _ => render::json(&r).map_err(report_error)?.into_bytes(),
        };
        Ok((format!("{}.{ext}", file_stem(&name)), body))
    })
    .await?;
    Ok(attachment(content_type, &body.0, body.1))
}

/// `s` percent-encoded for a path segment.
fn urlencode(s: &str) -> String {
    use std::fmt::Write as _;
    s.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}
