//! The only door to the store for request handlers.

use pelita_store::{AuditEntry, Lookup, SightingFilter, SqliteStore, Stats, Store};
use time::OffsetDateTime;

use crate::auth::Caller;

/// The store as one caller may see it: every read goes through the
/// caller's sharing filter, which a handler cannot choose or widen.
pub struct ReaderView<'a> {
    store: &'a mut SqliteStore,
    filter: SightingFilter,
    caller: &'a Caller,
}

impl<'a> ReaderView<'a> {
    /// The view of `caller`: their organisation under the sharing policy,
    /// capped by the token's marking ceiling.
    pub fn new(store: &'a mut SqliteStore, caller: &'a Caller) -> Self {
        let mut filter = SightingFilter::member(caller.org_id);
        if let Some(max) = caller.grant.max_tlp {
            filter = filter.at_most(max);
        }
        ReaderView {
            store,
            filter,
            caller,
        }
    }

    /// A value in any notation, as the caller may see it.
    pub fn lookup(&self, value: &str) -> Result<Option<Lookup>, pelita_store::StoreError> {
        self.store
            .lookup(value, &self.filter, OffsetDateTime::now_utc())
    }

    /// Counts over what the caller may see.
    pub fn stats(&self) -> Result<Stats, pelita_store::StoreError> {
        self.store.stats(&self.filter)
    }

    /// A country report as the caller may see it.
    pub fn country_report(
        &self,
        country: &str,
        since: Option<OffsetDateTime>,
    ) -> Result<pelita_report::CountryReport, pelita_report::ReportError> {
        pelita_report::country_report(
            &*self.store,
            country,
            &pelita_report::ReportScope {
                since,
                operation: None,
                now: OffsetDateTime::now_utc(),
            },
            &self.filter,
        )
    }

    /// Every indicator the caller may see that `query` selects.
    pub fn indicators(
        &self,
        query: &pelita_store::IndicatorQuery,
    ) -> Result<Vec<pelita_store::IndicatorView>, pelita_store::StoreError> {
        self.store
            .indicators(query, &self.filter, OffsetDateTime::now_utc())
    }

    /// The status report of one of the caller's own submissions.
    pub fn own_submission(&self, sha256: &str) -> Result<Option<String>, pelita_store::StoreError> {
        self.store.submission_report(sha256, &self.caller.grant.org)
    }

    /// Records what the caller did.
    pub fn audit(
        &mut self,
        action: &str,
        detail: String,
        result_size: u64,
    ) -> Result<(), pelita_store::StoreError> {
        self.store.audit_append(&AuditEntry {
            at: OffsetDateTime::now_utc(),
            org: self.caller.grant.org.clone(),
            token: self.caller.token_id.clone(),
            action: action.to_owned(),
            detail,
            result_size,
        })?;
        Ok(())
    }

    /// The caller's organisation.
    pub fn organisation(&self) -> &str {
        &self.caller.grant.org
    }

    /// The store for a submission by the caller (writes are the caller's own).
    pub fn writer(&mut self) -> &mut SqliteStore {
        self.store
    }
}
