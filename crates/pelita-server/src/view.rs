//! The only doors to the store for request handlers: [`ReaderView`] for
//! reads, [`WriterView`] for a caller's own writes.

use pelita_auth::Scope;
use pelita_store::{AuditEntry, Lookup, SightingFilter, SqliteStore, Stats, Store};
use time::OffsetDateTime;

use crate::audit_log::AuditQueue;
use crate::auth::Caller;
use crate::error::ApiError;

/// The store as one caller may see it: every read goes through the
/// caller's sharing filter, which a handler cannot choose or widen.
pub struct ReaderView<'a> {
    store: &'a SqliteStore,
    /// The instant reads are made as of (decay, report periods).
    now: OffsetDateTime,
    filter: SightingFilter,
    caller: &'a Caller,
    audit: &'a AuditQueue,
}

/// The sharing filter of a caller: their organisation under the sharing
/// policy, capped by the token's marking ceiling.
fn filter_of(caller: &Caller) -> SightingFilter {
    let mut filter = match (caller.broke_glass, caller.org_id) {
        (true, _) => SightingFilter::everything(),
        (false, Some(org)) => SightingFilter::member(org),
        (false, None) => SightingFilter::anonymous(),
    };
    if let Some(max) = caller.grant.max_tlp {
        filter = filter.at_most(max);
    }
    filter
}

fn entry(caller: &Caller, action: &str, detail: String, result_size: u64) -> AuditEntry {
    AuditEntry {
        at: OffsetDateTime::now_utc(),
        org: caller.grant.org.clone(),
        token: caller.token_id.clone(),
        action: action.to_owned(),
        detail,
        result_size,
    }
}

impl<'a> ReaderView<'a> {
    /// The view of `caller`.
    pub fn new(
        store: &'a SqliteStore,
        caller: &'a Caller,
        audit: &'a AuditQueue,
        as_of: Option<OffsetDateTime>,
    ) -> Self {
        ReaderView {
            store,
            now: as_of.unwrap_or_else(OffsetDateTime::now_utc),
            filter: filter_of(caller),
            caller,
            audit,
        }
    }

    /// The instant reads are made as of.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// A value in any notation, as the caller may see it.
    pub fn lookup(&self, value: &str) -> Result<Option<Lookup>, pelita_store::StoreError> {
        self.store.lookup(value, &self.filter, self.now)
    }

    /// Counts over what the caller may see.
    pub fn stats(&self) -> Result<Stats, pelita_store::StoreError> {
        self.store.stats(&self.filter)
    }

    /// The countries the caller sees at least one indicator in, in code
    /// order: the keys of [`ReaderView::stats`]'s `by_country`, without
    /// the counts.
    pub fn countries(&self) -> Result<Vec<String>, pelita_store::StoreError> {
        self.store.countries(&self.filter)
    }

    /// A country report as the caller may see it.
    pub fn country_report(
        &self,
        country: &str,
        since: Option<OffsetDateTime>,
    ) -> Result<pelita_report::CountryReport, pelita_report::ReportError> {
        pelita_report::country_report(
            self.store,
            country,
            &pelita_report::ReportScope {
                since,
                operation: None,
                now: self.now,
            },
            &self.filter,
        )
    }

    /// Whether the caller takes part in `op` (a member organisation, never
    /// the anonymous reader), or reads past the policy (break glass).
    fn takes_part(&self, op: &pelita_store::Operation) -> bool {
        self.caller.broke_glass || self.caller.is_member_of(op)
    }

    /// An operation's report as the caller may see it, if the caller
    /// takes part in it (an operation one is not part of is not found,
    /// its name included), or breaks the glass.
    pub fn operation_report(
        &self,
        name: &str,
    ) -> Result<Option<pelita_report::OperationReport>, ApiError> {
        let Some(op) = self.store.operation(name)? else {
            return Ok(None);
        };
        if !self.takes_part(&op) {
            return Ok(None);
        }
        let (report, _) =
            pelita_report::operation_report_with(self.store, &op, &self.filter, self.now, &|_| {
                Ok(())
            })?;
        Ok(Some(report))
    }

    /// The caller's indicators active since `since`, by the days of their
    /// first and last sighting (the dashboard's charts).
    pub fn seen_days(
        &self,
        since: OffsetDateTime,
    ) -> Result<pelita_store::SeenDays, pelita_store::StoreError> {
        self.store.seen_days(&self.filter, since)
    }

    /// The views [`ReaderView::indicators`] gives, one at a time and in no
    /// particular order.
    pub fn for_each_indicator(
        &self,
        query: &pelita_store::IndicatorQuery,
        each: &mut dyn FnMut(pelita_store::IndicatorView) -> Result<(), pelita_store::StoreError>,
    ) -> Result<(), pelita_store::StoreError> {
        self.store
            .for_each_indicator(query, &self.filter, self.now, each)
    }

    /// Every indicator the caller may see that `query` selects.
    pub fn indicators(
        &self,
        query: &pelita_store::IndicatorQuery,
    ) -> Result<Vec<pelita_store::IndicatorView>, pelita_store::StoreError> {
        self.store.indicators(query, &self.filter, self.now)
    }

    /// The same caller's view, narrowed: at most `ceiling`, and only the
    /// submissions of `operation`. Narrowing can only hide more (a TAXII
    /// collection is such a narrower view).
    pub fn narrowed(
        &self,
        ceiling: Option<pelita_model::Tlp>,
        operation: Option<pelita_store::OperationId>,
    ) -> ReaderView<'a> {
        let mut filter = self.filter;
        if let Some(max) = ceiling {
            filter = filter.at_most(max);
        }
        if let Some(op) = operation {
            filter = filter.in_operation(op);
        }
        ReaderView { filter, ..*self }
    }

    /// The sharing filter every read of this view applies.
    pub fn filter(&self) -> SightingFilter {
        self.filter
    }

    /// [`pelita_store::Store::data_version`].
    pub fn data_version(&self) -> Result<u64, pelita_store::StoreError> {
        self.store.data_version()
    }

    /// [`pelita_store::Store::receipts_from`] under the caller's filter.
    pub fn receipts_from(
        &self,
        marking: Option<pelita_model::Tlp>,
        from: OffsetDateTime,
        at_least: usize,
        each: &mut dyn FnMut(pelita_store::Receipt) -> Result<(), pelita_store::StoreError>,
    ) -> Result<Option<OffsetDateTime>, pelita_store::StoreError> {
        self.store
            .receipts_from(&self.filter, marking, from, at_least, each)
    }

    /// One indicator by its key, as the caller may see it.
    pub fn indicator(
        &self,
        key: &str,
    ) -> Result<Option<pelita_store::IndicatorView>, pelita_store::StoreError> {
        self.store.indicator(key, &self.filter, self.now)
    }

    /// A view as a report row (its marking from the caller's filter).
    pub fn row(&self, view: pelita_store::IndicatorView) -> pelita_report::IndicatorRow {
        pelita_report::into_row(view, &self.filter)
    }

    /// Whether the store holds a synthetic scenario.
    pub fn is_synthetic(&self) -> Result<bool, pelita_store::StoreError> {
        self.store.is_synthetic()
    }

    /// Whether the caller's token may use `scope` now.
    pub fn permits(&self, scope: Scope) -> bool {
        self.caller
            .grant
            .permits(scope, OffsetDateTime::now_utc())
            .is_ok()
    }

    /// The operations the caller takes part in (every one, past the glass;
    /// none for the anonymous reader), by name. Each one's `submissions`
    /// counts only the submissions holding sightings the caller may see:
    /// the operation's total would tell a partner how much it is not shown.
    pub fn member_operations(
        &self,
    ) -> Result<Vec<pelita_store::Operation>, pelita_store::StoreError> {
        let mut ops = self.store.operations()?;
        ops.retain(|o| self.takes_part(o));
        for o in &mut ops {
            // `stats`, not `operation_stats`: the same count, and kept
            // between requests until the next commit.
            o.submissions = self
                .store
                .stats(&self.filter.in_operation(o.id))?
                .submissions;
        }
        Ok(ops)
    }

    /// The caller's own newest submissions, newest first, at most `limit`.
    pub fn own_submissions(
        &self,
        limit: usize,
    ) -> Result<Vec<pelita_store::SubmissionRow>, pelita_store::StoreError> {
        let org = &self.caller.grant.org;
        let mut own: Vec<_> = self
            .store
            .submissions()?
            .into_iter()
            .filter(|s| &s.source == org)
            .collect();
        own.reverse();
        own.truncate(limit);
        Ok(own)
    }

    /// The status report of one of the caller's own submissions.
    pub fn own_submission(&self, sha256: &str) -> Result<Option<String>, pelita_store::StoreError> {
        self.store.submission_report(sha256, &self.caller.grant.org)
    }

    /// Records what the caller read (queued: see [`crate::audit_log`]).
    pub fn audit(&self, action: &str, detail: String, result_size: u64) -> Result<(), ApiError> {
        let detail = if self.caller.broke_glass {
            format!("break-glass {detail}")
        } else {
            detail
        };
        self.audit
            .record(entry(self.caller, action, detail, result_size))
    }

    /// The caller's organisation.
    pub fn organisation(&self) -> &str {
        &self.caller.grant.org
    }

    /// Refuses unless the caller's token holds `scope` (the route checked
    /// it already; this keeps the check next to the data).
    fn needs(&self, scope: Scope) -> Result<(), ApiError> {
        self.caller
            .grant
            .permits(scope, OffsetDateTime::now_utc())
            .map_err(|d| ApiError::Forbidden(d.to_string()))
    }

    /// Every organisation (administrators).
    pub fn organisations(&self) -> Result<Vec<pelita_store::Organisation>, ApiError> {
        self.needs(Scope::Admin)?;
        Ok(self.store.organisations()?)
    }

    /// Every token, without secrets or hashes (administrators).
    pub fn tokens(&self) -> Result<Vec<pelita_store::TokenRow>, ApiError> {
        self.needs(Scope::Admin)?;
        Ok(self.store.tokens()?)
    }

    /// The audit log from `from` on (auditors).
    pub fn audit_entries(
        &self,
        from: i64,
        limit: usize,
    ) -> Result<Vec<pelita_store::AuditRecord>, ApiError> {
        self.needs(Scope::Audit)?;
        Ok(self.store.audit_entries(from, limit)?)
    }

    /// The audit chain's check (auditors).
    pub fn audit_verify(&self) -> Result<pelita_store::AuditVerdict, ApiError> {
        self.needs(Scope::Audit)?;
        Ok(self.store.audit_verify()?)
    }
}

/// The store for a caller's own writes (a submission, an administrative
/// action), each recorded in the audit log before the answer.
pub struct WriterView<'a> {
    store: &'a mut SqliteStore,
    caller: &'a Caller,
}

impl<'a> WriterView<'a> {
    /// The writer for `caller`.
    pub fn new(store: &'a mut SqliteStore, caller: &'a Caller) -> Self {
        WriterView { store, caller }
    }

    /// The caller's organisation.
    pub fn organisation(&self) -> &str {
        &self.caller.grant.org
    }

    /// The store, to write the caller's own data.
    pub fn store(&mut self) -> &mut SqliteStore {
        self.store
    }

    /// The operation named `name`, to file the caller's submission under,
    /// if the caller's organisation takes part in it. An operation the
    /// caller is not part of is refused exactly like one that does not
    /// exist: filing under it would share the sightings with its members
    /// (AMBER within an operation) and put the caller's data in their
    /// report, and the answer must not tell an outsider that it exists.
    /// Breaking the glass is for reading and does not open this.
    pub fn operation_to_file_under(
        &self,
        name: &str,
    ) -> Result<pelita_store::OperationId, ApiError> {
        match self.store.operation(name)? {
            Some(op) if self.caller.is_member_of(&op) => Ok(op.id),
            _ => Err(ApiError::BadRequest(format!(
                "no operation {name:?} of yours to file under"
            ))),
        }
    }

    /// The caller as the administration functions record it.
    pub fn actor(&self) -> Result<pelita_store::admin::Actor, ApiError> {
        self.caller
            .grant
            .permits(Scope::Admin, OffsetDateTime::now_utc())
            .map_err(|d| ApiError::Forbidden(d.to_string()))?;
        Ok(pelita_store::admin::Actor {
            org: self.caller.grant.org.clone(),
            token: self.caller.token_id.clone(),
        })
    }

    /// Records what the caller did, committed before this returns.
    pub fn audit(
        &mut self,
        action: &str,
        detail: String,
        result_size: u64,
    ) -> Result<(), ApiError> {
        self.store
            .audit_append(&entry(self.caller, action, detail, result_size))?;
        Ok(())
    }
}
