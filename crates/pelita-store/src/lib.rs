//! Pelita's fusion store: submissions, one row per canonical indicator, and
//! every sighting of it, with who said it under which marking.
//!
//! The [`Store`] trait is what the rest of Pelita uses; [`SqliteStore`] is the
//! embedded default backend (bundled SQLite, WAL, one writer, a pool of
//! readers, versioned migrations), and PostgreSQL will plug into the same
//! trait. [`conformance`] is the suite every backend must pass: the SQLite
//! backend runs it in `tests/conformance.rs`.
//!
//! # Design
//!
//! - **Markings live on sightings.** The same IP can be GREEN from one
//!   partner and RED from another. Every read takes a [`SightingFilter`]
//!   and computes its answer — existence, fused confidence, first/last seen,
//!   counts — from only the sightings that pass it, by fusing them with
//!   [`pelita_fuse::fuse`]. Nothing is pre-aggregated across markings, so no
//!   aggregate can leak a sighting its viewer may not see.
//! - **A submission is atomic.** [`Store::begin`] opens one transaction for
//!   a submission; its records stream in through [`SubmissionSink`] (which
//!   is an ingest [`RecordSink`]), and [`SubmissionSink::commit`] commits
//!   them together with the submission row. A crash before the commit leaves
//!   nothing; after it, everything.
//! - **Idempotent.** The same bytes from the same organisation are one
//!   submission, and a sighting is unique per (indicator, submission,
//!   location): re-ingesting changes nothing.

pub mod admin;
pub mod audit;
mod keymap;
#[macro_use]
pub mod policy;
mod prepare;
pub mod scenario;
mod schema;
mod sqlite;
mod submit;
mod tally;

pub mod conformance;

use std::collections::BTreeMap;

use pelita_fuse::Fused;
use pelita_ingest::RecordSink;
use pelita_model::{Flags, IndicatorKind, Relation, SourceReliability, Tlp};
use serde::Serialize;
use time::OffsetDateTime;

pub use audit::{AuditEntry, AuditRecord, AuditVerdict};
pub use policy::{OrgId, Reader, SightingFacts, may_see};
pub use prepare::{PreparedIndicator, PreparedRecord};
pub use sqlite::{Compacted, SqliteStore, schema_version};
pub use submit::{Destination, SubmitError, UNATTRIBUTED, store_submission};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The database file could not be created or opened.
    #[error("cannot open the store at {path}: {message}")]
    Open {
        /// The database path.
        path: String,
        /// Why.
        message: String,
    },
    /// The database was written by a newer Pelita.
    #[error(
        "the store has schema version {found}, newer than this Pelita knows ({known}); upgrade Pelita"
    )]
    TooNew {
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// Stored data failed validation when read back.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Another process holds the store for longer than a lock is waited
    /// for (a bulk load: see `SqliteStore`).
    #[error("the store is busy: {0}")]
    Busy(String),
}

/// A stored operation's identity, from [`Store::put_operation`] or [`Store::operation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct OperationId(pub i64);

/// Which sightings a read may use: those marked at most `max_tlp`, and
/// unmarked ones, which count as `unmarked`; with `operation`, only those
/// of submissions made to that operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SightingFilter {
    /// The most restrictive marking the reader may see.
    pub max_tlp: Tlp,
    /// The marking an unmarked sighting is treated as (default AMBER: when a
    /// partner said nothing, assume need-to-know).
    pub unmarked: Tlp,
    /// Only sightings from this operation's submissions.
    pub operation: Option<OperationId>,
    /// Who reads: the sharing policy ([`policy`]) applies to everyone but
    /// the local operator.
    pub reader: Reader,
}

impl SightingFilter {
    /// Every sighting: for the local operator's CLI.
    pub fn everything() -> Self {
        SightingFilter {
            max_tlp: Tlp::Red,
            unmarked: Tlp::Amber,
            operation: None,
            reader: Reader::Operator,
        }
    }

    /// What a member organisation may see, by the sharing policy.
    pub fn member(org: OrgId) -> Self {
        SightingFilter {
            reader: Reader::Member(org),
            ..Self::everything()
        }
    }

    /// What the anonymous reader may see: TLP:CLEAR.
    pub fn anonymous() -> Self {
        SightingFilter {
            reader: Reader::Anonymous,
            ..Self::everything()
        }
    }

    /// The same filter with a ceiling: at most `max` (a token's scope).
    pub fn at_most(self, max: Tlp) -> Self {
        SightingFilter {
            max_tlp: self.max_tlp.min(max),
            ..self
        }
    }

    /// Sightings marked at most `max`.
    pub fn up_to(max: Tlp) -> Self {
        Self::everything().at_most(max)
    }

    /// The same filter, narrowed to one operation's submissions.
    pub fn in_operation(self, operation: OperationId) -> Self {
        SightingFilter {
            operation: Some(operation),
            ..self
        }
    }

    /// Whether a sighting with this marking passes the ceiling (the policy
    /// is [`policy::may_see`]).
    pub fn allows(&self, tlp: Option<Tlp>) -> bool {
        tlp.unwrap_or(self.unmarked) <= self.max_tlp
    }
}

/// What is known about a submission when it starts.
#[derive(Debug, Clone)]
pub struct SubmissionMeta {
    /// SHA-256 of the archived bytes.
    pub sha256: String,
    /// The file name it was submitted under.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The format it was read as.
    pub format: String,
    /// The submitting organisation (`unattributed` when unknown).
    pub source: String,
    /// The submission's default marking.
    pub tlp: Option<Tlp>,
    /// When it was received; the default first/last seen of its sightings.
    pub received_at: OffsetDateTime,
    /// The operation it was submitted to, if any.
    pub operation: Option<OperationId>,
    /// The organisations the submitter names as recipients (AMBER and
    /// stricter sightings are visible to them; see the sharing policy).
    pub recipients: Vec<String>,
}

/// What is known about a submission when it ends.
#[derive(Debug, Clone, Default)]
pub struct SubmissionOutcome {
    /// The format it was read as, once detection has run.
    pub format: Option<String>,
    /// Records that failed (located errors in the report).
    pub errors: u64,
    /// The submission report, as JSON.
    pub report: Option<String>,
}

/// What a commit wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CommitStats {
    /// Whether this submission was new (false: the same bytes from the same source were stored before).
    pub new_submission: bool,
    /// Records received.
    pub records: u64,
    /// Sightings written (records already stored are not written again).
    pub sightings_added: u64,
    /// Indicators seen for the first time.
    pub indicators_added: u64,
}

/// Receives the records of one submission inside its transaction.
pub trait SubmissionSink: RecordSink {
    /// Commits the submission and all its records at once.
    fn commit(self: Box<Self>, outcome: &SubmissionOutcome) -> Result<CommitStats, StoreError>;

    /// Takes a batch of records already prepared (enriched, classified,
    /// rendered) with the store's [`Store::enricher`], in order: what
    /// [`store_submission`] sends from its parser thread.
    fn prepared(&mut self, batch: &[PreparedRecord]) -> Result<(), StoreError>;
}

/// A stored submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionRow {
    /// SHA-256 of the archived bytes.
    pub sha256: String,
    /// The submitting organisation.
    pub source: String,
    /// File name.
    pub name: String,
    /// Format read as.
    pub format: String,
    /// Size in bytes.
    pub size: u64,
    /// Records stored.
    pub records: u64,
    /// Records that failed.
    pub errors: u64,
}

/// One source's part in an indicator's fused view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceView {
    /// The organisation.
    pub source: String,
    /// Its sightings of the indicator (visible ones).
    pub sightings: u64,
    /// Its earliest first-seen.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// Its latest last-seen.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// The most restrictive marking among its visible sightings.
    pub tlp: Option<Tlp>,
    /// The best reliability grade it was given.
    pub reliability: Option<SourceReliability>,
    /// Whether all its sightings are withdrawn.
    pub withdrawn: bool,
}

/// An indicator related to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RelatedView {
    /// How, from the looked-up indicator's side (`resolves-to`, `hosted-on`, …).
    pub relation: Relation,
    /// Whether the looked-up indicator is the subject (`true`) or the object.
    pub outgoing: bool,
    /// The other indicator's key.
    pub key: String,
}

/// The fused view of one indicator, over the sightings a filter lets through.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorView {
    /// `kind:value`.
    pub key: String,
    /// The kind.
    pub kind: IndicatorKind,
    /// The canonical value.
    pub value: String,
    /// Flags of the value.
    pub flags: Flags,
    /// Fused confidence, sources, first/last seen, suppression.
    pub fused: Fused,
    /// Per source.
    pub sources: Vec<SourceView>,
    /// Malware families named, sorted.
    pub malware: Vec<String>,
    /// Tags, sorted, deduplicated.
    pub tags: Vec<String>,
    /// Classification hints, sorted, deduplicated.
    pub hints: Vec<String>,
    /// Related indicators (through visible relationships), sorted.
    pub related: Vec<RelatedView>,
    /// Offline enrichment (country, ASN, government suffix, known-benign lists, dataset version).
    pub enrichment: Option<pelita_enrich::Enrichment>,
    /// ENISA RSIT `class/type` of the visible sightings, most frequent first.
    pub classifications: Vec<String>,
    /// For a URL on a domain: compromised legitimate site or attacker-owned,
    /// with the evidence and reasons (from visible sightings only).
    pub site: Option<SiteView>,
    /// For URLs, domains: the registrable domain (the site it is on).
    pub registrable: Option<String>,
}

/// The compromised-site assessment of a URL and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteView {
    /// The registrable domain.
    pub site: String,
    /// What the rule saw.
    pub evidence: pelita_enrich::SiteEvidence,
    /// The verdict and its reasons.
    pub assessment: pelita_enrich::SiteAssessment,
}

/// The answer to a lookup of one value in any notation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lookup {
    /// The canonical key of what was looked up.
    pub key: String,
    /// The indicator itself, if any visible sighting names it.
    pub exact: Option<IndicatorView>,
    /// Stored networks that contain it (for addresses and networks).
    pub containing_networks: Vec<IndicatorView>,
    /// Stored parent domains (for domains, URLs and e-mail addresses).
    pub parent_domains: Vec<IndicatorView>,
}

/// Summary counts over visible sightings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Indicators with at least one visible sighting.
    pub indicators: u64,
    /// Visible sightings.
    pub sightings: u64,
    /// Submissions with at least one visible sighting.
    pub submissions: u64,
    /// Organisations with at least one visible sighting.
    pub sources: u64,
    /// Indicators by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Indicators by source (an indicator counts once per source that reported it).
    pub by_source: BTreeMap<String, u64>,
    /// Indicators whose every visible sighting is withdrawn.
    pub withdrawn: u64,
    /// Indicators by country (hosting country, or ccTLD/government suffix country).
    pub by_country: BTreeMap<String, u64>,
    /// Indicators by ASN (`AS64500 Name`).
    pub by_asn: BTreeMap<String, u64>,
    /// Indicators by ENISA RSIT `class/type` (an indicator counts under each class its visible sightings give).
    pub by_class: BTreeMap<String, u64>,
    /// The most restrictive marking among the visible sightings (an
    /// unmarked one counting as the filter's `unmarked`); `None` when there
    /// are none or all are CLEAR. A page of these counts carries it as its
    /// own marking. Not part of the API's JSON, which marks each object.
    #[serde(skip)]
    pub marking: Option<Tlp>,
}

/// Indicators by the UTC day of their fused first and last seen
/// ([`Store::seen_days`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenDays {
    /// Indicators counted.
    pub indicators: u64,
    /// Indicators by the day they were first seen.
    pub first_seen: BTreeMap<time::Date, u64>,
    /// Indicators by the day they were last seen.
    pub last_seen: BTreeMap<time::Date, u64>,
}

impl SeenDays {
    /// Counts one indicator.
    pub fn add(&mut self, first_seen: OffsetDateTime, last_seen: OffsetDateTime) {
        use time::UtcOffset;
        self.add_days(
            first_seen.to_offset(UtcOffset::UTC).date(),
            last_seen.to_offset(UtcOffset::UTC).date(),
        );
    }

    /// Counts one indicator by its days.
    pub fn add_days(&mut self, first_seen: time::Date, last_seen: time::Date) {
        self.indicators += 1;
        *self.first_seen.entry(first_seen).or_default() += 1;
        *self.last_seen.entry(last_seen).or_default() += 1;
    }
}

/// Which indicators [`Store::indicators`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorQuery {
    /// Only indicators whose enrichment country is this (ISO 3166-1 alpha-2,
    /// upper case): the hosting country, else the government suffix's
    /// country, else the ccTLD's, as in [`Stats::by_country`].
    pub country: Option<String>,
    /// Only indicators with a visible sighting last seen at or after this.
    pub since: Option<OffsetDateTime>,
    /// Only indicators with a visible sighting first seen before this
    /// (with `since`: active at some time in `[since, until)`).
    pub until: Option<OffsetDateTime>,
    /// At most this many, the first by key.
    pub limit: Option<usize>,
}

/// What defines an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationSpec {
    /// Short unique name (`synergia-2026`).
    pub name: String,
    /// Title in words.
    pub title: String,
    /// Start of the period.
    #[serde(with = "time::serde::rfc3339::option")]
    pub starts_at: Option<OffsetDateTime>,
    /// End of the period.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ends_at: Option<OffsetDateTime>,
    /// Participating countries (ISO 3166-1 alpha-2, upper case).
    pub countries: Vec<String>,
    /// Participating organisations.
    pub organisations: Vec<String>,
    /// What it is about.
    pub scope: String,
}

/// A stored operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operation {
    /// Its identity in this store.
    pub id: OperationId,
    /// What defines it.
    #[serde(flatten)]
    pub spec: OperationSpec,
    /// Submissions made to it.
    pub submissions: u64,
}

/// One organisation's part in an operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contribution {
    /// Submissions it made to the operation (with a visible sighting).
    pub submissions: u64,
    /// Distinct indicators in its visible sightings.
    pub indicators: u64,
    /// Visible sightings.
    pub sightings: u64,
    /// Indicators no other organisation reported (in the visible sightings).
    pub unique: u64,
}

/// What an operation gathered, over the visible sightings of its submissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OperationStats {
    /// Distinct indicators.
    pub indicators: u64,
    /// Visible sightings.
    pub sightings: u64,
    /// Per organisation.
    pub by_source: BTreeMap<String, Contribution>,
    /// Overlap: number of indicators by how many organisations reported them.
    pub by_source_count: BTreeMap<u64, u64>,
}

/// Where a recommended action stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    /// Not acted on yet (every action starts here).
    Open,
    /// Sent to its recipients.
    Sent,
    /// The recipients confirmed they received it.
    Acknowledged,
    /// Done: taken down, cleaned, blocked.
    Done,
    /// Not to be done (with a note why).
    Declined,
}

impl ActionStatus {
    /// Every status, in workflow order.
    pub const ALL: [ActionStatus; 5] = [
        ActionStatus::Open,
        ActionStatus::Sent,
        ActionStatus::Acknowledged,
        ActionStatus::Done,
        ActionStatus::Declined,
    ];

    /// The name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Sent => "sent",
            ActionStatus::Acknowledged => "acknowledged",
            ActionStatus::Done => "done",
            ActionStatus::Declined => "declined",
        }
    }
}

impl std::str::FromStr for ActionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActionStatus::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown action status {s:?} (one of: {})",
                    ActionStatus::ALL.map(ActionStatus::as_str).join(", ")
                )
            })
    }
}

/// The recorded state of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionState {
    /// Its status.
    pub status: ActionStatus,
    /// The analyst's note.
    pub note: String,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// An organisation of this instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    /// Its identity in this store.
    pub id: OrgId,
    /// Its name (`cert-sg`).
    pub name: String,
    /// Its role.
    pub role: pelita_auth::Role,
}

/// A stored API token (never the secret: only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    /// The public id (`pelita_<id>_…`).
    pub id: String,
    /// What it is for (`misp-sync`, `analyst laptop`).
    pub name: String,
    /// The argon2id hash of the secret (PHC string).
    #[serde(skip)]
    pub hash: String,
    /// The organisation, its role, the scopes, ceiling, expiry and revocation.
    pub grant: pelita_auth::TokenGrant,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A person's account for the web interface (never the password: only
/// its argon2id hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    /// The sign-in name (the same alphabet as organisation names).
    pub name: String,
    /// The organisation the person reads and writes as.
    pub org: String,
    /// The argon2id hash of the password (PHC string).
    #[serde(skip)]
    pub hash: String,
    /// When the account was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Whether sign-in is refused (and the person's sessions ended).
    pub disabled: bool,
}

/// A server-side web session. The browser holds the random id; the store
/// holds only its SHA-256, so a copy of the database opens no session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The SHA-256 of the session id, 64 lowercase hex digits.
    pub id_hash: String,
    /// The signed-in person ([`UserRow::name`]).
    pub user: String,
    /// The session's CSRF secret (sent back in every form).
    pub csrf: String,
    /// When the person signed in.
    pub created_at: OffsetDateTime,
    /// When the session ends whatever happens (absolute expiry).
    pub expires_at: OffsetDateTime,
    /// The last request seen (for the idle expiry).
    pub last_seen: OffsetDateTime,
}

/// The result of an integrity check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Integrity {
    /// What the database engine's own check said (`ok` when fine).
    pub engine: String,
    /// Problems found in how archive, submissions, sightings and indicators agree.
    pub problems: Vec<String>,
}

impl Integrity {
    /// Whether everything agrees.
    pub fn is_ok(&self) -> bool {
        self.engine == "ok" && self.problems.is_empty()
    }
}

/// One indicator with the receipt times of its visible sightings: what a
/// TAXII collection dates its objects by ([`Store::receipts`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// `kind:value`.
    pub key: String,
    /// When the earliest submission holding a visible sighting of it was received.
    #[serde(with = "time::serde::rfc3339")]
    pub first_received: OffsetDateTime,
    /// When the latest submission holding a visible sighting of it was received.
    #[serde(with = "time::serde::rfc3339")]
    pub last_received: OffsetDateTime,
}

/// A fusion store backend.
pub trait Store {
    /// The enricher new indicators are enriched with (shared: records are
    /// prepared with it on another thread while a submission is written).
    fn enricher(&self) -> std::sync::Arc<pelita_enrich::Enricher>;

    /// Starts writing a submission. Nothing is visible until
    /// [`SubmissionSink::commit`]; dropping the sink without committing
    /// writes nothing.
    fn begin<'a>(
        &'a mut self,
        meta: &SubmissionMeta,
    ) -> Result<Box<dyn SubmissionSink + 'a>, StoreError>;

    /// The fused view of one indicator by its key, over the sightings `filter` lets through.
    fn indicator(
        &self,
        key: &str,
        filter: &SightingFilter,
        now: OffsetDateTime,
    ) -> Result<Option<IndicatorView>, StoreError>;

    /// Looks up a value written in any notation: the indicator, the networks
    /// that contain it and its parent domains. `Ok(None)` when the value is
    /// not an indicator at all.
    fn lookup(
        &self,
        input: &str,
        filter: &SightingFilter,
        now: OffsetDateTime,
    ) -> Result<Option<Lookup>, StoreError>;

    /// The views (as [`Store::indicator`] gives them) of every indicator
    /// that matches `query` and has at least one sighting `filter` lets
    /// through that was active in the query's period (last seen at or after
    /// `query.since`, first seen before `query.until`, when given), ordered
    /// by key. The views themselves are over every visible sighting.
    fn indicators(
        &self,
        query: &IndicatorQuery,
        filter: &SightingFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<IndicatorView>, StoreError>;

    /// The views [`Store::indicators`] returns, handed to `each` one at a
    /// time and in no particular order: for readers that go through a whole
    /// country or store (reports), so that memory holds what they keep of
    /// each view rather than every view at once. The first error (the
    /// store's or `each`'s) ends the walk and is returned.
    fn for_each_indicator(
        &self,
        query: &IndicatorQuery,
        filter: &SightingFilter,
        now: OffsetDateTime,
        each: &mut dyn FnMut(IndicatorView) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        hand_on(self.indicators(query, filter, now)?, each)
    }

    /// Summary counts over the sightings `filter` lets through.
    fn stats(&self, filter: &SightingFilter) -> Result<Stats, StoreError>;

    /// The indicators [`Store::indicators`] gives for `since` (a visible
    /// sighting last seen at or after it), counted by the UTC day of their
    /// fused first and last seen: a chart of activity over time without
    /// building every indicator's view. The default builds them; a backend
    /// overrides it with a scan of the dates alone.
    fn seen_days(
        &self,
        filter: &SightingFilter,
        since: OffsetDateTime,
    ) -> Result<SeenDays, StoreError> {
        let query = IndicatorQuery {
            since: Some(since),
            ..Default::default()
        };
        let mut days = SeenDays::default();
        // Fused dates do not depend on the time of reading.
        for v in self.indicators(&query, filter, since)? {
            days.add(v.fused.first_seen, v.fused.last_seen);
        }
        Ok(days)
    }

    /// The countries [`Stats::by_country`] counts (those with at least one
    /// indicator `filter` lets the reader see), in code order, without the
    /// counts: what a run of country reports iterates over, at a fraction
    /// of the cost of every [`Store::stats`] figure.
    fn countries(&self, filter: &SightingFilter) -> Result<Vec<String>, StoreError> {
        Ok(self.stats(filter)?.by_country.into_keys().collect())
    }

    /// Every stored submission, oldest first (for the local operator).
    fn submissions(&self) -> Result<Vec<SubmissionRow>, StoreError>;

    /// The stored report (JSON) of a submission by its SHA-256, when
    /// `org` made it: a submission's status and located errors are its
    /// submitter's to read.
    fn submission_report(&self, sha256: &str, org: &str) -> Result<Option<String>, StoreError>;

    /// The identity of an organisation, by name.
    fn org_id(&self, name: &str) -> Result<Option<OrgId>, StoreError>;

    /// Creates an operation, or updates the one with the same name.
    fn put_operation(&mut self, spec: &OperationSpec) -> Result<OperationId, StoreError>;

    /// Every operation, by name.
    fn operations(&self) -> Result<Vec<Operation>, StoreError>;

    /// The operation with this name.
    fn operation(&self, name: &str) -> Result<Option<Operation>, StoreError> {
        Ok(self.operations()?.into_iter().find(|o| o.spec.name == name))
    }

    /// What the operation's submissions gathered, over the sightings `filter` lets through.
    fn operation_stats(
        &self,
        operation: OperationId,
        filter: &SightingFilter,
    ) -> Result<OperationStats, StoreError>;

    /// Records where an action of an operation stands.
    fn set_action_status(
        &mut self,
        operation: OperationId,
        action_id: &str,
        state: &ActionState,
    ) -> Result<(), StoreError>;

    /// The recorded states of an operation's actions, by action id (an
    /// action without one is open).
    fn action_states(
        &self,
        operation: OperationId,
    ) -> Result<BTreeMap<String, ActionState>, StoreError>;

    /// Marks the store as holding a synthetic scenario (demo, training):
    /// documentation, benchmarking and reserved values are then treated as
    /// the infrastructure they stand for, not suppressed as non-routable,
    /// and every report says the data is synthetic. Cannot be undone.
    fn mark_synthetic(&mut self) -> Result<(), StoreError>;

    /// Whether the store holds a synthetic scenario.
    fn is_synthetic(&self) -> Result<bool, StoreError>;

    /// Creates an organisation with a role, or changes the role of an existing one.
    fn put_organisation(
        &mut self,
        name: &str,
        role: pelita_auth::Role,
    ) -> Result<OrgId, StoreError>;

    /// Every organisation, by name.
    fn organisations(&self) -> Result<Vec<Organisation>, StoreError>;

    /// Stores a new token (its hash) for an existing organisation.
    fn put_token(&mut self, token: &TokenRow) -> Result<(), StoreError>;

    /// A token by its public id (the grant carries the organisation's current role).
    fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError>;

    /// Every token, oldest first.
    fn tokens(&self) -> Result<Vec<TokenRow>, StoreError>;

    /// Revokes a token; returns whether it existed.
    fn revoke_token(&mut self, id: &str) -> Result<bool, StoreError>;

    /// Stores a new account for an existing organisation (an existing name
    /// is an error: accounts are never silently replaced).
    fn put_user(&mut self, user: &UserRow) -> Result<(), StoreError>;

    /// An account by name (with its organisation's name).
    fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError>;

    /// Every account, by name.
    fn users(&self) -> Result<Vec<UserRow>, StoreError>;

    /// Disables or enables an account (disabling ends its sessions);
    /// returns whether it existed.
    fn set_user_disabled(&mut self, name: &str, disabled: bool) -> Result<bool, StoreError>;

    /// Stores a new session.
    fn put_session(&mut self, session: &SessionRow) -> Result<(), StoreError>;

    /// A session by the SHA-256 (hex) of its id.
    fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError>;

    /// Records a request on a session; returns whether it existed.
    fn touch_session(&mut self, id_hash: &str, at: OffsetDateTime) -> Result<bool, StoreError>;

    /// Ends a session; returns whether it existed.
    fn delete_session(&mut self, id_hash: &str) -> Result<bool, StoreError>;

    /// Ends every session whose absolute expiry is at or before `now`, or
    /// that was last seen at or before `idle_before`; returns how many.
    fn delete_expired_sessions(
        &mut self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    /// Appends an entry to the audit log ([`audit`]) and returns it as stored.
    fn audit_append(&mut self, entry: &AuditEntry) -> Result<AuditRecord, StoreError> {
        self.audit_append_all(vec![entry.clone()])?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("an audit append stored nothing".into()))
    }

    /// Appends entries to the audit log in order, all or none (one
    /// transaction: a busy server commits a batch at a time). Takes the
    /// entries by value: each moves into its record, uncopied.
    fn audit_append_all(
        &mut self,
        entries: Vec<AuditEntry>,
    ) -> Result<Vec<AuditRecord>, StoreError>;

    /// The audit log, oldest first: at most `limit` entries from sequence number `from` on.
    fn audit_entries(&self, from: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;

    /// Recomputes the audit chain and compares it with the recorded head.
    fn audit_verify(&self) -> Result<AuditVerdict, StoreError>;

    /// Checks the database and the agreement between its tables.
    fn check(&self) -> Result<Integrity, StoreError>;
    /// Every indicator with at least one sighting `filter` lets through
    /// and, with `marking`, at least one such sighting marked `marking` (an
    /// unmarked one counting as `filter.unmarked`), with the earliest and
    /// latest receipt time of the submissions of its visible sightings;
    /// ordered by key. Only visible sightings decide anything here.
    fn receipts(
        &self,
        filter: &SightingFilter,
        marking: Option<Tlp>,
    ) -> Result<Vec<Receipt>, StoreError>;

    /// A number that differs from the previous call's whenever anything
    /// was committed to the store in between, through this handle, another
    /// or another process: what a memo of read results is keyed by, so that
    /// it is never served stale (read it *before* the reads it keys).
    fn data_version(&self) -> Result<u64, StoreError>;

    /// The receipts of [`Store::receipts`] whose latest receipt time is at
    /// or after `from`, handed to `each` by time: whole groups (every
    /// receipt with the same latest receipt time, in no particular order
    /// within the group) in ascending time, stopping after the group that
    /// brings the count to `at_least` or more. Returns the receipt time of
    /// the next submission after the groups handed on, if there is one (its
    /// group may turn out empty for the filter): where the walk goes on. A
    /// walk from the earliest time, each call going on from the last one's
    /// answer, hands on every receipt of [`Store::receipts`] exactly once,
    /// and reads only the submissions from `from` on: what a TAXII listing
    /// pages and polls through without holding the whole collection or
    /// going over what it has already served.
    fn receipts_from(
        &self,
        filter: &SightingFilter,
        marking: Option<Tlp>,
        from: OffsetDateTime,
        at_least: usize,
        each: &mut dyn FnMut(Receipt) -> Result<(), StoreError>,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
}

/// Hands `views` to `each` in order, stopping at the first error: what a
/// walk does when it needs every view before it can hand on any.
pub(crate) fn hand_on(
    views: Vec<IndicatorView>,
    each: &mut dyn FnMut(IndicatorView) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for v in views {
        each(v)?;
    }
    Ok(())
}
