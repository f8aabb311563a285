//! A TAXII 2.1 server (OASIS TAXII Version 2.1) over the same store, the
//! same tokens and the same sharing policy as the REST API.
//!
//! TAXII has its own specification, so these routes are not in
//! [`crate::routes::ROUTES`] nor in the OpenAPI document (which covers
//! `/api/v1`); they are listed in the crate documentation.
//!
//! # Collections
//!
//! One API root, `/taxii2/api/`, with:
//!
//! - one collection per TLP 2.0 marking, `tlp-clear`, `tlp-green`,
//!   `tlp-amber`, `tlp-amber-strict`, `tlp-red`: the indicators with at
//!   least one sighting of that marking the caller may see (an unmarked
//!   sighting counts as AMBER), each object built from the caller's
//!   visible sightings marked at most that marking, and marked with it.
//!   All five are always listed: their existence says nothing about the
//!   data (an empty one is empty for everyone who may not see into it);
//! - one per operation the caller's organisation takes part in,
//!   `op-<name>`: the indicators of the operation's submissions, as the
//!   caller may see them. An operation the caller is not a member of does
//!   not exist for it: 404, exactly like a made-up id;
//! - `inbox`, writable, not readable: `POST` an envelope of STIX objects,
//!   stored as a STIX submission of the caller's organisation through
//!   the same code as `POST /api/v1/submissions?format=stix`
//!   (`routes::submit_package`, then [`pelita_store::store_submission`]),
//!   with the same options in the query: `tlp` (for objects without a
//!   marking), `share_with` (organisations that receive AMBER and above),
//!   `operation` (the operation the envelope belongs to).
//!
//! # Objects, versions, dates
//!
//! Each visible indicator is one STIX 2.1 indicator
//! ([`pelita_report::render::stix_indicator`], the one mapping the STIX
//! export uses too), with a deterministic id from its canonical key (the
//! same indicator has the same id in every collection and on every run).
//! Everything in it comes from the sightings the caller may see in that
//! collection (view-equivalence): `created` is the receipt time of the
//! earliest visible submission naming it, `modified`, the object's only
//! version, and its `date_added` are the receipt time of the latest one
//! (when the visible content last changed: a client polling with
//! `added_after` gets the new version). `confidence` is the fused
//! confidence without decay, so that a version does not change while no
//! sighting arrives. A suppressed indicator (withdrawn by its sources,
//! known-benign, non-routable) is served with `revoked: true` and the
//! reasons in `x_pelita_suppressed`, so clients drop it.
//!
//! Listings are ordered by (`date_added`, `id`) and paged with an opaque
//! `next` cursor (the position after the last object of the page), so a
//! walk with `limit`/`next` sees every object exactly once and new
//! versions at the end. At most [`PAGE_MAX`] objects per page. A page is
//! read by receipt time from where it starts (the cursor's time or
//! `added_after`, [`pelita_store::Store::receipts_from`]): a client
//! polling for what is new costs what is new, not the whole collection.
//! Within one receipt time the order is by `id`, so a page inside one
//! large submission reads that submission's sightings whole; the read
//! keeps the next fifty pages ([`Runs`]) for the rest of the walk.
//!
//! # Media types and errors
//!
//! Every answer is `application/taxii+json;version=2.1`. A request whose
//! `Accept` does not allow that is `406`; a `POST` whose `Content-Type` is
//! not `application/taxii+json` (version 2.1 or none) is `415`. Errors are
//! TAXII error messages carrying the code and status of the API's one
//! table ([`ApiError::taxii_response`]).
//!
//! Reads need the `read` scope (discovery, the API root and the
//! collection list also answer a `submit`-only token, so it can find the
//! inbox); adding objects and status resources need `submit`. Every
//! answer is written to the audit log.

use std::collections::{BTreeMap, BinaryHeap, HashMap};

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pelita_auth::Scope;
use pelita_ingest::FormatChoice;
use pelita_model::Tlp;
use pelita_report::render::{fusion_centre_identity, stix_indicator, stix_time, uuid_from};
use pelita_store::Operation;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::{ApiError, TAXII_MEDIA_TYPE};
use crate::routes::{check_caller, read_body, with_view, with_view_any, with_writer};
use crate::view::ReaderView;

/// The discovery endpoint.
pub const DISCOVERY: &str = "/taxii2/";
/// The one API root.
pub const API_ROOT: &str = "/taxii2/api/";
/// The media type of the objects.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// Most objects in one page.
pub const PAGE_MAX: usize = 1_000;
/// The query parameters of `POST …/inbox/objects/`: the marking of objects
/// that carry none, the organisations that receive AMBER and above, and
/// the operation the envelope belongs to (as for `POST /api/v1/submissions`).
const INBOX_OPTIONS: [&str; 3] = ["tlp", "share_with", "operation"];

/// Most objects in one envelope added to the inbox.
pub const ENVELOPE_MAX_OBJECTS: usize = 10_000;
/// The id of the writable collection.
pub const INBOX: &str = "inbox";
/// The namespace of the indicators' deterministic STIX ids.
const ID_NAMESPACE: &str = "pelita-indicator";

const READ_OR_SUBMIT: &[Scope] = &[Scope::Read, Scope::Submit];

/// Whether a request path is TAXII's (its errors take TAXII's shape).
pub fn is_taxii_path(path: &str) -> bool {
    path == "/taxii2" || path.starts_with(DISCOVERY)
}

/// The TAXII routes, merged into [`crate::routes::router`].
pub fn routes() -> Router<AppState> {
    let c = "/taxii2/api/collections/{id}";
    Router::new()
        .route(DISCOVERY, get(discovery))
        .route(API_ROOT, get(api_root))
        .route("/taxii2/api/collections/", get(collections))
        .route(&format!("{c}/"), get(collection))
        .route(&format!("{c}/objects/"), get(objects).post(add_objects))
        .route(&format!("{c}/objects/{{object_id}}/"), get(object))
        .route(
            &format!("{c}/objects/{{object_id}}/versions/"),
            get(versions),
        )
        .route(&format!("{c}/manifest/"), get(manifest))
        // taxii2-client builds the status URL without the final slash.
        .route("/taxii2/api/status/{status_id}/", get(status))
        .route("/taxii2/api/status/{status_id}", get(status))
}

/// An error, answered as a TAXII error message.
#[derive(Debug)]
pub struct TaxiiError(ApiError);

impl From<ApiError> for TaxiiError {
    fn from(e: ApiError) -> Self {
        TaxiiError(e)
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        self.0.taxii_response()
    }
}

type Answer = Result<Response, TaxiiError>;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// A TAXII answer.
fn reply(status: StatusCode, body: &Value, extra: Vec<(HeaderName, String)>) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut r = (status, [(header::CONTENT_TYPE, TAXII_MEDIA_TYPE)], bytes).into_response();
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}

// ------------------------------------------------------------ media types

/// Whether one media range of an `Accept` header allows TAXII 2.1.
fn allows_taxii(range: &str) -> bool {
    let mut parts = range.split(';').map(str::trim);
    let kind = parts.next().unwrap_or_default().to_ascii_lowercase();
    let mut version = None;
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"');
        match k.trim().to_ascii_lowercase().as_str() {
            "version" => version = Some(v.to_owned()),
            "q" if v.parse::<f32>().is_ok_and(|q| q <= 0.0) => return false,
            _ => {}
        }
    }
    match kind.as_str() {
        "*/*" | "application/*" => true,
        "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
        _ => false,
    }
}

/// `406` unless the `Accept` header (if any) allows TAXII 2.1.
fn check_accept(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(());
    };
    let text = accept.to_str().unwrap_or_default();
    if text.split(',').any(allows_taxii) {
        Ok(())
    } else {
        Err(ApiError::NotAcceptable(format!(
            "this server answers {TAXII_MEDIA_TYPE}, which `Accept: {text}` does not allow"
        )))
    }
}

/// `415` unless the body is `application/taxii+json` (version 2.1 or none).
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let text = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut parts = text.split(';').map(str::trim);
    let kind = parts.next().unwrap_or_default().to_ascii_lowercase();
    let version_ok = parts
        .filter_map(|p| p.split_once('='))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
        .all(|(_, v)| v.trim().trim_matches('"') == "2.1");
    if kind == "application/taxii+json" && version_ok {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "send an envelope as {TAXII_MEDIA_TYPE}, not {text:?}"
        )))
    }
}

// ------------------------------------------------------------ collections

/// What a collection holds.
enum Kind {
    /// Indicators with a visible sighting of this marking.
    Marking(Tlp),
    /// The indicators of an operation's submissions.
    Operation(Operation),
    /// Where objects are added.
    Inbox,
}

/// The stable id of a marking's collection.
fn marking_id(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "tlp-clear",
        Tlp::Green => "tlp-green",
        Tlp::Amber => "tlp-amber",
        Tlp::AmberStrict => "tlp-amber-strict",
        Tlp::Red => "tlp-red",
    }
}

fn operation_id(op: &Operation) -> String {
    format!("op-{}", op.spec.name)
}

/// Every collection that exists for the caller.
fn collections_of(view: &ReaderView<'_>) -> Result<Vec<(String, Kind)>, ApiError> {
    let mut out: Vec<(String, Kind)> = Tlp::ALL
        .into_iter()
        .map(|t| (marking_id(t).to_owned(), Kind::Marking(t)))
        .collect();
    for op in view.member_operations()? {
        out.push((operation_id(&op), Kind::Operation(op)));
    }
    out.push((INBOX.to_owned(), Kind::Inbox));
    Ok(out)
}

/// The collection `id`, if it exists for the caller: one that does not is
/// not found, exactly like one that was never made.
fn resolve(view: &ReaderView<'_>, id: &str) -> Result<Kind, ApiError> {
    collections_of(view)?
        .into_iter()
        .find(|(c, _)| c == id)
        .map(|(_, k)| k)
        .ok_or_else(|| ApiError::NotFound(format!("no collection {id:?}")))
}

/// The collection resource.
fn resource(view: &ReaderView<'_>, id: &str, kind: &Kind) -> Value {
    let can_read = view.permits(Scope::Read);
    let (title, description, can_read, can_write) = match kind {
        Kind::Marking(t) => (
            format!("{} indicators", t.label()),
            format!(
                "Indicators with at least one {} sighting you may see, built from your \
                 visible sightings marked at most {}",
                t.label(),
                t.label()
            ),
            can_read,
            false,
        ),
        Kind::Operation(op) => (
            op.spec.title.clone(),
            format!(
                "Indicators from the submissions to operation {}, as you may see them",
                op.spec.name
            ),
            can_read,
            false,
        ),
        Kind::Inbox => (
            "Inbox".to_owned(),
            "Add STIX 2.1 objects here: they are stored as a submission of your \
             organisation (each object's own marking, else `?tlp=`, else unmarked)"
                .to_owned(),
            false,
            view.permits(Scope::Submit),
        ),
    };
    json!({
        "id": id,
        "title": title,
        "description": description,
        "can_read": can_read,
        "can_write": can_write,
        "media_types": [STIX_MEDIA_TYPE],
    })
}

/// The caller's view narrowed to a readable collection (the inbox is not
/// readable: 403).
fn readable<'a>(
    view: &ReaderView<'a>,
    kind: &Kind,
) -> Result<(ReaderView<'a>, Option<Tlp>), ApiError> {
    match kind {
        Kind::Marking(t) => Ok((view.narrowed(Some(*t), None), Some(*t))),
        Kind::Operation(op) => Ok((view.narrowed(None, Some(op.id)), None)),
        Kind::Inbox => Err(ApiError::Forbidden(
            "the inbox is for adding objects; read the tlp-* and op-* collections".into(),
        )),
    }
}

// ------------------------------------------------------------ entries and filters

/// One object of a collection as the caller may see it.
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    id: String,
    /// `date_added` and the version (`modified`).
    added: OffsetDateTime,
    /// `created`.
    created: OffsetDateTime,
}

/// The deterministic STIX id of an indicator.
fn stix_id(key: &str) -> String {
    format!("indicator--{}", uuid_from(ID_NAMESPACE, key))
}

impl From<pelita_store::Receipt> for Entry {
    fn from(r: pelita_store::Receipt) -> Entry {
        Entry {
            id: stix_id(&r.key),
            key: r.key,
            added: r.last_received,
            created: r.first_received,
        }
    }
}

/// An entry ordered by (`date_added`, `id`), for the page's heap.
struct ByDateAdded(Entry);

impl PartialEq for ByDateAdded {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ByDateAdded {}

impl PartialOrd for ByDateAdded {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByDateAdded {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.added, &self.0.id).cmp(&(other.0.added, &other.0.id))
    }
}

/// How many pages of its `limit` a listing read keeps for the pages
/// after it ([`Runs`]), and at most how many entries.
const RUN_PAGES: usize = 50;
const RUN_MAX: usize = 50_000;
/// At most this many runs are kept (clients walking at once).
const RUNS_KEPT: usize = 4;

/// What a run of a listing was read for: the store's version, the reader,
/// the collection and every filter but the cursor and the limit.
#[derive(Debug, Clone, PartialEq)]
struct RunKey {
    version: u64,
    filter: pelita_store::SightingFilter,
    marking: Option<Tlp>,
    collection: String,
    filters: String,
}

impl RunKey {
    /// The key of a read of `collection` through `view` now, with the
    /// listing filters `filters` ([`Filters::describe_matches`]).
    fn of(
        view: &ReaderView<'_>,
        marking: Option<Tlp>,
        collection: &str,
        filters: String,
    ) -> Result<RunKey, ApiError> {
        Ok(RunKey {
            version: view.data_version()?,
            filter: view.filter(),
            marking,
            collection: collection.to_owned(),
            filters,
        })
    }
}

/// The entries one listing read found from a page's start on, beyond
/// the page itself.
struct Run {
    key: RunKey,
    /// The cursor of the page that read it (`None`: the beginning).
    start: Option<(i64, String)>,
    /// Ordered by (`date_added`, `id`).
    entries: Vec<Entry>,
    /// Whether nothing follows the last entry.
    complete: bool,
}

/// The next pages of the listings being walked. A page read from the
/// store keeps up to [`RUN_PAGES`] pages' worth of the entries that
/// follow it, so that the next pages of a walk (the same reader,
/// collection and filters, the cursor inside the run) are served without
/// reading the collection again: a walk of a collection held in one large
/// submission costs one read per fifty pages, not one per page. A run is
/// only used while the store is at the version it was read at
/// ([`pelita_store::Store::data_version`], read before the run): after any
/// commit the next page is read afresh, so no answer is staler than a
/// page read at once. Each run holds what its reader's own page read
/// found, under its own filter.
#[derive(Default)]
pub struct Runs(std::sync::Mutex<Vec<Run>>);

impl Runs {
    /// The page after `start` from a run for `key`, if one covers it.
    fn page(
        &self,
        key: &RunKey,
        start: Option<&(i64, String)>,
        limit: usize,
    ) -> Option<(Vec<Entry>, bool)> {
        let runs = self.0.lock().ok()?;
        runs.iter().find_map(|run| {
            if run.key != *key {
                return None;
            }
            let at = match start {
                None => run.start.is_none().then_some(0)?,
                Some(c) if run.start.as_ref() == Some(c) => 0,
                Some((secs, id)) => {
                    let p = run
                        .entries
                        .partition_point(|e| (e.added.unix_timestamp(), &e.id) <= (*secs, id));
                    let last = run.entries.get(p.checked_sub(1)?)?;
                    ((last.added.unix_timestamp(), &last.id) == (*secs, id)).then_some(p)?
                }
            };
            let rest = run.entries.get(at..)?;
            if rest.len() <= limit && !run.complete {
                // The page would run past what this run knows.
                return None;
            }
            let page: Vec<Entry> = rest.iter().take(limit).cloned().collect();
            Some((page, rest.len() > limit || !run.complete))
        })
    }

    /// The entry of object `id` in any run of `key`'s reader, collection
    /// and version, whatever its filters (a filter only leaves entries out,
    /// so an entry a run holds is the object's one entry): a client that
    /// reads a manifest and then fetches each object by id is answered
    /// without a read of the whole collection per object.
    fn find(&self, key: &RunKey, id: &str) -> Option<Entry> {
        let runs = self.0.lock().ok()?;
        runs.iter()
            .filter(|r| {
                (
                    r.key.version,
                    r.key.filter,
                    r.key.marking,
                    &r.key.collection,
                ) == (key.version, key.filter, key.marking, &key.collection)
            })
            .find_map(|r| r.entries.iter().find(|e| e.id == id).cloned())
    }

    fn keep(&self, run: Run) {
        if let Ok(mut runs) = self.0.lock() {
            runs.retain(|r| r.key.version == run.key.version);
            runs.insert(0, run);
            runs.truncate(RUNS_KEPT);
        }
    }
}

/// One page of a (narrowed) collection, as [`Filters::page`] would take it
/// from every entry ordered by (`date_added`, `id`): from a run of an earlier page ([`Runs`]) when one
/// covers it, else read by receipt time from where the page starts (the
/// cursor's time, `added_after`), keeping only the first entries in a
/// heap (the page and the run after it). A page deep into a walk, or a
/// poll for what is new, reads the submissions received since, and no page
/// holds the whole collection.
fn page_of(
    runs: &Runs,
    view: &ReaderView<'_>,
    collection: &str,
    marking: Option<Tlp>,
    f: &Filters,
) -> Result<(Vec<Entry>, bool), ApiError> {
    let key = RunKey::of(view, marking, collection, f.describe_matches())?;
    if let Some(page) = runs.page(&key, f.next.as_ref(), f.limit) {
        return Ok(page);
    }
    let run_len = f
        .limit
        .saturating_mul(RUN_PAGES)
        .clamp(f.limit, RUN_MAX.max(f.limit));
    let cap = run_len.saturating_add(1);
    let mut heap: BinaryHeap<ByDateAdded> = BinaryHeap::with_capacity(cap.saturating_add(1));
    let mut from = f.start();
    loop {
        let want = cap.saturating_sub(heap.len());
        let next = view.receipts_from(marking, from, want, &mut |r| {
            let e = ByDateAdded(Entry::from(r));
            // A full heap takes only what sorts before its last entry (most
            // of a large group does not, and a push and a pop is 30-odd
            // string comparisons).
            let fits = heap.len() < cap || heap.peek().is_some_and(|last| e < *last);
            if fits && f.keeps(&e.0) && f.after_cursor(&e.0) {
                heap.push(e);
                if heap.len() > cap {
                    heap.pop();
                }
            }
            Ok(())
        })?;
        // Later groups are all dated after what the heap holds.
        match next {
            Some(t) if heap.len() < cap => from = t,
            _ => break,
        }
    }
    let mut entries: Vec<Entry> = heap.into_sorted_vec().into_iter().map(|e| e.0).collect();
    let complete = entries.len() <= run_len;
    entries.truncate(run_len);
    let page: Vec<Entry> = entries.iter().take(f.limit).cloned().collect();
    let more = entries.len() > f.limit || !complete;
    if entries.len() > f.limit {
        runs.keep(Run {
            key,
            start: f.next.clone(),
            entries,
            complete,
        });
    }
    Ok((page, more))
}

/// A `match[version]` value.
#[derive(Debug, Clone, PartialEq)]
enum VersionSel {
    /// `first`, `last` or `all`: each object has one version.
    Any,
    /// That `modified`.
    At(OffsetDateTime),
}

/// The query parameters of the listing endpoints.
#[derive(Debug, Default)]
struct Filters {
    added_after: Option<OffsetDateTime>,
    limit: usize,
    next: Option<(i64, String)>,
    ids: Option<Vec<String>>,
    types: Option<Vec<String>>,
    versions: Option<Vec<VersionSel>>,
    spec_versions: Option<Vec<String>>,
}

fn timestamp(what: &str, s: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::BadRequest(format!("{what}: not an RFC 3339 timestamp: {s:?}")))
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The cursor after an entry: `<unix seconds>.<id>`.
fn cursor(e: &Entry) -> String {
    format!("{}.{}", e.added.unix_timestamp(), e.id)
}

impl Filters {
    fn parse(q: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Result<Filters, ApiError> {
        let Query(q) =
            q.map_err(|e| ApiError::BadRequest(format!("the query string: {}", e.body_text())))?;
        let mut f = Filters {
            limit: PAGE_MAX,
            ..Filters::default()
        };
        for (k, v) in q {
            match k.as_str() {
                "added_after" => f.added_after = Some(timestamp("added_after", &v)?),
                "limit" => {
                    let n: usize = v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        ApiError::BadRequest(format!("limit: not a positive whole number: {v:?}"))
                    })?;
                    f.limit = n.min(PAGE_MAX);
                }
                "next" => {
                    let bad = || {
                        ApiError::BadRequest(format!("next: not a cursor of this server: {v:?}"))
                    };
                    let (secs, id) = v.split_once('.').ok_or_else(bad)?;
                    let secs: i64 = secs.parse().map_err(|_| bad())?;
                    if !id.starts_with("indicator--") {
                        return Err(bad());
                    }
                    f.next = Some((secs, id.to_owned()));
                }
                "match[id]" => f.ids = Some(list(&v)),
                "match[type]" => f.types = Some(list(&v)),
                "match[spec_version]" => f.spec_versions = Some(list(&v)),
                "match[version]" => {
                    let mut sel = Vec::new();
                    for x in list(&v) {
                        sel.push(match x.as_str() {
                            "first" | "last" | "all" => VersionSel::Any,
                            t => VersionSel::At(timestamp("match[version]", t)?),
                        });
                    }
                    f.versions = Some(sel);
                }
                // Filters this server does not support are ignored, as TAXII allows.
                _ => {}
            }
        }
        Ok(f)
    }

    /// Whether an entry passes every filter but the cursor and the limit.
    fn keeps(&self, e: &Entry) -> bool {
        self.added_after.is_none_or(|t| e.added > t)
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&e.id))
            && self
                .types
                .as_ref()
                .is_none_or(|t| t.iter().any(|t| t == "indicator"))
            && self
                .spec_versions
                .as_ref()
                .is_none_or(|v| v.iter().any(|v| v == "2.1"))
            && self.versions.as_ref().is_none_or(|v| {
                v.iter().any(|s| match s {
                    VersionSel::Any => true,
                    VersionSel::At(t) => *t == e.added,
                })
            })
    }

    /// Whether an entry comes after the cursor.
    fn after_cursor(&self, e: &Entry) -> bool {
        self.next
            .as_ref()
            .is_none_or(|(secs, id)| (e.added.unix_timestamp(), &e.id) > (*secs, id))
    }

    /// The earliest `date_added` a page can hold (whole seconds, as
    /// receipt times are): the cursor's, or the second of `added_after`.
    fn start(&self) -> OffsetDateTime {
        let earliest = time::Date::MIN.midnight().assume_utc();
        let cursor = self.next.as_ref().map_or(i64::MIN, |(secs, _)| *secs);
        let after = self.added_after.map_or(i64::MIN, |t| t.unix_timestamp());
        // A cursor past the end of time starts at the end: nothing follows.
        OffsetDateTime::from_unix_timestamp(cursor.max(after).max(earliest.unix_timestamp()))
            .unwrap_or(time::Date::MAX.midnight().assume_utc())
    }

    /// One page: the entries after the cursor that pass the filters, at
    /// most `limit`, and whether more follow.
    fn page<'e>(&self, all: &'e [Entry]) -> (Vec<&'e Entry>, bool) {
        let mut kept = all
            .iter()
            .filter(|e| self.keeps(e))
            .filter(|e| self.after_cursor(e));
        let page: Vec<&Entry> = kept.by_ref().take(self.limit).collect();
        let more = kept.next().is_some();
        (page, more)
    }

    /// The filters but the cursor and the limit, for a [`RunKey`].
    fn describe_matches(&self) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?}",
            self.added_after, self.ids, self.types, self.versions, self.spec_versions
        )
    }

    fn describe(&self) -> String {
        format!(
            "added_after={:?} limit={} next={} match[id]={:?} match[type]={:?} match[version]={:?}",
            self.added_after.map(stix_time),
            self.limit,
            self.next.is_some(),
            self.ids,
            self.types,
            self.versions
        )
    }
}

/// `X-TAXII-Date-Added-First` and `-Last` of a page.
fn date_headers(page: &[&Entry]) -> Vec<(HeaderName, String)> {
    let mut h = Vec::new();
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        h.push((
            HeaderName::from_static("x-taxii-date-added-first"),
            stix_time(first.added),
        ));
        h.push((
            HeaderName::from_static("x-taxii-date-added-last"),
            stix_time(last.added),
        ));
    }
    h
}

/// The STIX indicator of an entry, from the (narrowed) view's sightings.
fn sdo(
    view: &ReaderView<'_>,
    e: &Entry,
    identity: &str,
    synthetic: bool,
) -> Result<Option<Value>, ApiError> {
    let Some(v) = view.indicator(&e.key)? else {
        return Ok(None);
    };
    // Without decay: a version must not change while no sighting arrives.
    let base_confidence = v.fused.base_confidence;
    let suppressed = v.fused.is_suppressed().then(|| v.fused.suppressed.clone());
    let mut row = view.row(v);
    row.confidence = base_confidence;
    let created = stix_time(e.created);
    let modified = stix_time(e.added);
    let Some(o) = stix_indicator(&row, e.id.clone(), identity, &created, &modified, synthetic)
    else {
        return Ok(None);
    };
    let mut value = serde_json::to_value(&o).map_err(internal)?;
    if let Some(suppressed) = suppressed
        && let Some(map) = value.as_object_mut()
    {
        map.insert("revoked".into(), Value::Bool(true));
        map.insert(
            "x_pelita_suppressed".into(),
            serde_json::to_value(&suppressed).map_err(internal)?,
        );
    }
    Ok(Some(value))
}

/// An envelope of a page's objects.
fn envelope(view: &ReaderView<'_>, page: &[&Entry], more: bool) -> Result<Value, ApiError> {
    let identity = fusion_centre_identity();
    let synthetic = view.is_synthetic()?;
    let mut objects = Vec::with_capacity(page.len());
    for e in page {
        objects.extend(sdo(view, e, &identity, synthetic)?);
    }
    let mut env = json!({ "more": more });
    if let Some(map) = env.as_object_mut() {
        if more && let Some(last) = page.last() {
            map.insert("next".into(), Value::String(cursor(last)));
        }
        if !objects.is_empty() {
            map.insert("objects".into(), Value::Array(objects));
        }
    }
    Ok(env)
}

// ------------------------------------------------------------ handlers

async fn discovery(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    check_accept(&headers)?;
    let v = with_view_any(state, headers, READ_OR_SUBMIT, |view| {
        view.audit("taxii.discovery", String::new(), 1)?;
        Ok(json!({
            "title": "Pelita TAXII 2.1 server",
            "description": "The indicators of this Pelita fusion centre, as the sharing policy \
                            lets your organisation see them, and an inbox for your own",
            "default": API_ROOT,
            "api_roots": [API_ROOT],
        }))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, Vec::new()))
}

async fn api_root(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    check_accept(&headers)?;
    let max = state.config.max_body_bytes;
    let v = with_view_any(state, headers, READ_OR_SUBMIT, move |view| {
        view.audit("taxii.api-root", String::new(), 1)?;
        Ok(json!({
            "title": "Pelita",
            "description": "Collections per TLP marking and per operation, and the inbox",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": max,
        }))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, Vec::new()))
}

async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    check_accept(&headers)?;
    let v = with_view_any(state, headers, READ_OR_SUBMIT, |view| {
        let all: Vec<Value> = collections_of(view)?
            .iter()
            .map(|(id, kind)| resource(view, id, kind))
            .collect();
        view.audit("taxii.collections", String::new(), all.len() as u64)?;
        Ok(json!({ "collections": all }))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, Vec::new()))
}

async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    check_accept(&headers)?;
    let v = with_view_any(state, headers, READ_OR_SUBMIT, move |view| {
        let found = resolve(view, &id);
        view.audit(
            "taxii.collection",
            format!("collection={id}"),
            u64::from(found.is_ok()),
        )?;
        Ok(resource(view, &id, &found?))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, Vec::new()))
}

async fn objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    check_accept(&headers)?;
    let f = Filters::parse(q)?;
    let runs = state.taxii_runs.clone();
    let (v, h) = with_view(state, headers, Scope::Read, move |view| {
        let (narrow, marking) = readable(view, &resolve(view, &id)?)?;
        let (page, more) = page_of(&runs, &narrow, &id, marking, &f)?;
        let page: Vec<&Entry> = page.iter().collect();
        let env = envelope(&narrow, &page, more)?;
        view.audit(
            "taxii.objects",
            format!("collection={id} {}", f.describe()),
            page.len() as u64,
        )?;
        Ok((env, date_headers(&page)))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, h))
}

/// The entries of object `object_id` in a (narrowed) collection, the
/// read audited as `action`; none is not found. From a run that holds it
/// ([`Runs::find`]), else the whole collection is read, one receipt at a
/// time and only the object's kept (the id is a hash of the key, which no
/// index holds).
fn object_entries(
    runs: &Runs,
    (view, narrow): (&ReaderView<'_>, &ReaderView<'_>),
    marking: Option<Tlp>,
    collection: &str,
    object_id: &str,
    (action, detail): (&str, String),
) -> Result<Vec<Entry>, ApiError> {
    // Any run's filters: `find` looks past them.
    let key = RunKey::of(narrow, marking, collection, String::new())?;
    let mut mine = Vec::new();
    if let Some(e) = runs.find(&key, object_id) {
        mine.push(e);
    } else {
        let earliest = time::Date::MIN.midnight().assume_utc();
        narrow.receipts_from(marking, earliest, usize::MAX, &mut |r| {
            if stix_id(&r.key) == object_id {
                mine.push(Entry::from(r));
            }
            Ok(())
        })?;
        mine.sort_by(|a, b| (a.added, &a.id).cmp(&(b.added, &b.id)));
    }
    view.audit(action, detail, mine.len() as u64)?;
    if mine.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no object {object_id:?} in collection {collection:?}"
        )));
    }
    Ok(mine)
}

async fn object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, object_id)): Path<(String, String)>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    check_accept(&headers)?;
    let f = Filters::parse(q)?;
    let runs = state.taxii_runs.clone();
    let (v, h) = with_view(state, headers, Scope::Read, move |view| {
        let (narrow, marking) = readable(view, &resolve(view, &id)?)?;
        let detail = format!("collection={id} object={object_id} {}", f.describe());
        let mine = object_entries(
            &runs,
            (view, &narrow),
            marking,
            &id,
            &object_id,
            ("taxii.object", detail),
        )?;
        let (page, more) = f.page(&mine);
        Ok((envelope(&narrow, &page, more)?, date_headers(&page)))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, h))
}

async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, object_id)): Path<(String, String)>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    check_accept(&headers)?;
    let f = Filters::parse(q)?;
    let runs = state.taxii_runs.clone();
    let (v, h) = with_view(state, headers, Scope::Read, move |view| {
        let (narrow, marking) = readable(view, &resolve(view, &id)?)?;
        let detail = format!("collection={id} object={object_id}");
        let mine = object_entries(
            &runs,
            (view, &narrow),
            marking,
            &id,
            &object_id,
            ("taxii.versions", detail),
        )?;
        let (page, more) = f.page(&mine);
        let versions: Vec<String> = page.iter().map(|e| stix_time(e.added)).collect();
        let mut body = json!({ "more": more });
        if let Some(map) = body.as_object_mut()
            && !versions.is_empty()
        {
            map.insert("versions".into(), json!(versions));
        }
        Ok((body, date_headers(&page)))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, h))
}

async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    check_accept(&headers)?;
    let f = Filters::parse(q)?;
    let runs = state.taxii_runs.clone();
    let (v, h) = with_view(state, headers, Scope::Read, move |view| {
        let (narrow, marking) = readable(view, &resolve(view, &id)?)?;
        let (page, more) = page_of(&runs, &narrow, &id, marking, &f)?;
        let page: Vec<&Entry> = page.iter().collect();
        let records: Vec<Value> = page
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "date_added": stix_time(e.added),
                    "version": stix_time(e.added),
                    "media_type": STIX_MEDIA_TYPE,
                })
            })
            .collect();
        view.audit(
            "taxii.manifest",
            format!("collection={id} {}", f.describe()),
            page.len() as u64,
        )?;
        let mut body = json!({ "more": more });
        if let Some(map) = body.as_object_mut() {
            if more && let Some(last) = page.last() {
                map.insert("next".into(), Value::String(cursor(last)));
            }
            if !records.is_empty() {
                map.insert("objects".into(), Value::Array(records));
            }
        }
        Ok((body, date_headers(&page)))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, h))
}

// ------------------------------------------------------------ adding objects

/// The objects of an envelope (or of a STIX bundle), checked for size.
fn envelope_objects(body: &[u8]) -> Result<Vec<Value>, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the envelope is not JSON: {e}")))?;
    let Some(Value::Array(objects)) = v.get("objects") else {
        return Err(ApiError::BadRequest(
            "an envelope is a JSON object with an `objects` list".into(),
        ));
    };
    if objects.is_empty() {
        return Err(ApiError::BadRequest("the envelope has no objects".into()));
    }
    if objects.len() > ENVELOPE_MAX_OBJECTS {
        return Err(ApiError::TooLarge(format!(
            "{} objects in one envelope; at most {ENVELOPE_MAX_OBJECTS}: split it",
            objects.len()
        )));
    }
    Ok(objects.clone())
}

/// The index of the object a located error's JSON pointer names.
fn object_index(pointer: &str) -> Option<usize> {
    pointer
        .strip_prefix("/objects/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// The status resource of a stored envelope: each object that a located
/// error names is a failure (with the first message), the others were
/// accepted. `id` is the submission's SHA-256.
fn status_resource(id: &str, report: &Value, objects: &[Value]) -> Value {
    let mut failed: BTreeMap<usize, String> = BTreeMap::new();
    let mut located = 0u64;
    let mut errors = 0u64;
    if let Some(by_code) = report.get("errors").and_then(Value::as_object) {
        for e in by_code.values() {
            errors += e.get("count").and_then(Value::as_u64).unwrap_or(0);
            for p in e
                .get("first")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(n) = p
                    .pointer("/location/pointer")
                    .and_then(Value::as_str)
                    .and_then(object_index)
                    .filter(|n| *n < objects.len())
                else {
                    continue;
                };
                located += 1;
                let message = p
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("rejected");
                failed.entry(n).or_insert_with(|| message.to_owned());
            }
        }
    }
    let describe = |n: usize| {
        let o = objects.get(n);
        let mut d = serde_json::Map::new();
        let id = o
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map_or_else(|| format!("objects[{n}]"), str::to_owned);
        d.insert("id".into(), Value::String(id));
        if let Some(v) = o.and_then(|o| o.get("modified")).and_then(Value::as_str) {
            d.insert("version".into(), Value::String(v.to_owned()));
        }
        d
    };
    let mut successes = Vec::new();
    let mut failures = Vec::new();
    for n in 0..objects.len() {
        let mut d = describe(n);
        match failed.get(&n) {
            Some(m) => {
                d.insert("message".into(), Value::String(m.clone()));
                failures.push(Value::Object(d));
            }
            None => successes.push(Value::Object(d)),
        }
    }
    let mut s = json!({
        "id": id,
        "status": "complete",
        "total_count": objects.len(),
        "success_count": successes.len(),
        "failure_count": failures.len(),
        "pending_count": 0,
    });
    if let Some(map) = s.as_object_mut() {
        if !successes.is_empty() {
            map.insert("successes".into(), Value::Array(successes));
        }
        if !failures.is_empty() {
            map.insert("failures".into(), Value::Array(failures));
        }
        // The report keeps the first few locations per error code only.
        if errors > located {
            map.insert("x_pelita_unlocated_errors".into(), json!(errors - located));
        }
    }
    s
}

async fn add_objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
    req: Request,
) -> Answer {
    check_accept(&headers)?;
    if id != INBOX {
        // A collection the caller may see is read-only; any other is not found.
        let id = with_view_any(state, headers, READ_OR_SUBMIT, move |view| {
            resolve(view, &id)?;
            Ok(id)
        })
        .await?;
        return Err(ApiError::Forbidden(format!(
            "collection {id:?} is read-only: add objects to {INBOX:?}"
        ))
        .into());
    }
    check_content_type(&headers)?;
    // The token before the body: nothing is received for a caller who may
    // not submit.
    check_caller(&state, &headers, Scope::Submit).await?;
    let Query(q) =
        q.map_err(|e| ApiError::BadRequest(format!("the query string: {}", e.body_text())))?;
    // The API's submission options that apply to an envelope (its format
    // is STIX, its name the inbox's); other parameters are ignored.
    let options: HashMap<String, String> = q
        .into_iter()
        .filter(|(k, _)| INBOX_OPTIONS.contains(&k.as_str()))
        .chain([("name".to_owned(), "taxii-inbox.json".to_owned())])
        .collect();
    let params = crate::routes::SubmitParams {
        format: FormatChoice::parse_untrusted("stix").map_err(internal)?,
        ..crate::routes::SubmitParams::from_query(&options)?
    };
    // Only a valid request's body is read.
    let body = read_body(req).await?;
    let archive = state.archive.clone();
    let v = with_writer(state, headers, Scope::Submit, move |w| {
        // Read after the token is checked: an unauthenticated caller learns nothing.
        let objects = envelope_objects(&body)?;
        let digest = pelita_model::hash::to_hex(&Sha256::digest(&body));
        let bundle = json!({
            "type": "bundle",
            "id": format!("bundle--{}", uuid_from("pelita-taxii-envelope", &digest)),
            "objects": objects,
        });
        let bytes = serde_json::to_vec(&bundle).map_err(internal)?;
        let (report, _) =
            crate::routes::submit_package(w, &archive, &bytes, params, "taxii.submit")?;
        let report = serde_json::to_value(&report).map_err(internal)?;
        let sha = report
            .get("sha256")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok(status_resource(&sha, &report, &objects))
    })
    .await?;
    Ok(reply(StatusCode::ACCEPTED, &v, Vec::new()))
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(status_id): Path<String>,
) -> Answer {
    check_accept(&headers)?;
    let archive = state.archive.clone();
    let v = with_view(state, headers, Scope::Submit, move |view| {
        let missing = || ApiError::NotFound(format!("no status {status_id:?} of yours"));
        let sha = status_id.to_ascii_lowercase();
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(missing());
        }
        // Another organisation's submission is not found, like a missing one.
        let report = view.own_submission(&sha)?.ok_or_else(missing)?;
        view.audit("taxii.status", format!("sha256={sha}"), 1)?;
        let report: Value = serde_json::from_str(&report).map_err(internal)?;
        let path = archive.path_of(&sha).ok_or_else(missing)?;
        let bytes = std::fs::read(path).map_err(internal)?;
        // A submission made otherwise than through TAXII has no status resource.
        let objects = envelope_objects(&bytes).map_err(|_| missing())?;
        Ok(status_resource(&sha, &report, &objects))
    })
    .await?;
    Ok(reply(StatusCode::OK, &v, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> Entry {
        let key = format!("ipv4:198.51.100.{n}");
        Entry {
            id: format!("indicator--{n:08}"),
            key,
            added: OffsetDateTime::from_unix_timestamp(1_000 + n / 2)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            created: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn cursor_of(n: i64) -> (i64, String) {
        let e = entry(n);
        (e.added.unix_timestamp(), e.id)
    }

    fn key(version: u64) -> RunKey {
        RunKey {
            version,
            filter: pelita_store::SightingFilter::anonymous(),
            marking: Some(Tlp::Clear),
            collection: "tlp-clear".into(),
            filters: String::new(),
        }
    }

    fn ids(page: &[Entry]) -> Vec<&str> {
        page.iter().map(|e| e.id.as_str()).collect()
    }

    /// A run serves the pages inside it, says `more` while anything is
    /// known to follow, and nothing it cannot answer whole.
    #[test]
    fn runs_serve_the_pages_inside_them_and_nothing_else() {
        let runs = Runs::default();
        runs.keep(Run {
            key: key(7),
            start: None,
            entries: (1..=5).map(entry).collect(),
            complete: false,
        });
        let (p, more) = runs.page(&key(7), None, 2).unwrap();
        assert_eq!(
            (ids(&p), more),
            (vec!["indicator--00000001", "indicator--00000002"], true)
        );
        let (p, more) = runs.page(&key(7), Some(&cursor_of(2)), 2).unwrap();
        assert_eq!(
            (ids(&p), more),
            (vec!["indicator--00000003", "indicator--00000004"], true)
        );
        // One entry left but more may follow: read afresh.
        assert!(runs.page(&key(7), Some(&cursor_of(4)), 2).is_none());
        // Another version, a cursor that is no entry of the run.
        assert!(runs.page(&key(8), None, 2).is_none());
        assert!(
            runs.page(&key(7), Some(&(cursor_of(2).0, "indicator--x".into())), 2)
                .is_none()
        );

        // A complete run answers to its end; a run from a cursor, from it.
        runs.keep(Run {
            key: key(7),
            start: Some(cursor_of(5)),
            entries: (6..=8).map(entry).collect(),
            complete: true,
        });
        let (p, more) = runs.page(&key(7), Some(&cursor_of(5)), 2).unwrap();
        assert_eq!(
            (ids(&p), more),
            (vec!["indicator--00000006", "indicator--00000007"], true)
        );
        let (p, more) = runs.page(&key(7), Some(&cursor_of(7)), 2).unwrap();
        assert_eq!((ids(&p), more), (vec!["indicator--00000008"], false));
        let (p, more) = runs.page(&key(7), Some(&cursor_of(8)), 2).unwrap();
        assert_eq!((ids(&p), more), (Vec::<&str>::new(), false));
        // One object, whatever the filters its run was read with; not
        // from another version, nor one no run holds.
        let other_filters = RunKey {
            filters: "added_after=…".into(),
            ..key(7)
        };
        assert_eq!(
            runs.find(&other_filters, "indicator--00000007")
                .map(|e| e.key),
            Some(entry(7).key)
        );
        assert!(runs.find(&key(8), "indicator--00000007").is_none());
        assert!(runs.find(&key(7), "indicator--00000099").is_none());
        // A new version drops the runs of the old.
        runs.keep(Run {
            key: key(9),
            start: None,
            entries: vec![entry(1)],
            complete: true,
        });
        assert!(runs.page(&key(7), None, 2).is_none());
    }
}
