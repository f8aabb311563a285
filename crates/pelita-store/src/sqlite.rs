//! The embedded SQLite backend.
//!
//! One writer connection (submissions are written one at a time, each in one
//! transaction) and a small pool of reader connections; WAL journaling so
//! readers never block the writer (except during a bulk load into a store
//! no one else has open, which writes through a rollback journal:
//! [`try_rollback_journal`]); `synchronous = FULL`, so a committed
//! submission survives a crash of the process and of the machine.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use pelita_enrich::Enricher;
use pelita_fuse::{Policy, Sighting, Suppression, fuse};
use pelita_ingest::{Record, RecordSink};
use pelita_model::{
    Credibility, Flags, Indicator, IndicatorKind, ParseOptions, Relation, SourceReliability, Tlp,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use time::OffsetDateTime;

use crate::keymap::{KeyMap, KhashMap};
use crate::policy::OrgId;
use crate::prepare::{PreparedIndicator, PreparedRecord, key_hash, net_range};
use crate::tally::{SeenDaysTally, StatsTally};
use crate::{
    ActionState, ActionStatus, AuditEntry, AuditRecord, AuditVerdict, CommitStats, IndicatorQuery,
    IndicatorView, Integrity, Lookup, Operation, OperationId, OperationSpec, OperationStats,
    Organisation, RelatedView, SeenDays, SessionRow, SightingFilter, SourceView, Stats, Store,
    StoreError, SubmissionMeta, SubmissionOutcome, SubmissionRow, SubmissionSink, TokenRow,
    UserRow, schema,
};

/// How many idle reader connections are kept. A server answers reads on
/// many threads at once; a connection opened per read would parse the
/// schema and start with a cold page cache every time.
const MAX_IDLE_READERS: usize = 64;
/// How much of the database readers map into memory (SQLite caps it at
/// its compile-time maximum, 2 GiB for the bundled build): mapped pages
/// are shared by every reader connection and read without a copy, where
/// each connection's page cache would hold its own copy.
const READER_MMAP_BYTES: i64 = 1 << 31;
/// Page size of a new database file.
const PAGE_SIZE: i64 = 16_384;
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;
/// Most indicator ids remembered while writing one submission.
const ID_CACHE_MAX: usize = 100_000;

/// The embedded store: one SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    /// The audit log's own database file ([`SqliteStore::audit_path_for`]).
    audit: Writer,
    audit_path: PathBuf,
    policy: Policy,
    enricher: Arc<Enricher>,
    /// A synthetic scenario (demo, training): see [`Store::mark_synthetic`].
    synthetic: bool,
    /// Submissions at least this large may load in bulk ([`defer_indexes`]).
    bulk_min_bytes: u64,
    /// Most key hashes a bulk load holds in memory ([`KeyMap::MAX`]; tests lower it).
    key_map_max: usize,
    /// A [`SqliteStore::twin`] of this handle exists (or this is one):
    /// another handle keeps the database open, so a bulk load does not try
    /// a rollback journal, nor empty the idle readers for it.
    twinned: std::sync::atomic::AtomicBool,
    /// The connection [`Store::data_version`] asks (it never writes, so
    /// every commit is another connection's: `PRAGMA data_version`).
    versions: Mutex<Option<Connection>>,
    /// Recent `stats` and `seen_days` answers, for the version they were
    /// read at ([`Counts`]).
    counts: Mutex<Counts>,
}

/// The answers of the whole-store counts (`stats`, `seen_days`) last
/// computed through this handle, each for its filter, kept while
/// [`Store::data_version`] stays where it was before they were read: a
/// dashboard opened again, or by a colleague with the same view, is
/// answered without scanning the store, and any commit (this process's or
/// another's) makes the next call read afresh, so no answer is staler than
/// a fresh read.
#[derive(Debug, Default)]
struct Counts {
    version: u64,
    stats: Vec<(SightingFilter, Stats)>,
    /// By filter and `since` (Unix seconds).
    seen_days: Vec<((SightingFilter, i64), SeenDays)>,
}

impl Counts {
    /// Filters' answers kept of each kind.
    const KEPT: usize = 16;

    /// The kept answers, emptied first when the store moved past them.
    fn at(&mut self, version: u64) -> &mut Counts {
        if self.version != version {
            *self = Counts {
                version,
                ..Counts::default()
            };
        }
        self
    }
}

impl SqliteStore {
    /// The answer for `key` in the list `pick` selects, kept for the
    /// store's current version, or else `read` now and kept (newest first,
    /// at most [`Counts::KEPT`]).
    fn kept<K: PartialEq, T: Clone>(
        &self,
        pick: fn(&mut Counts) -> &mut Vec<(K, T)>,
        key: K,
        read: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let version = self.data_version()?;
        if let Ok(mut counts) = self.counts.lock()
            && let Some((_, hit)) = pick(counts.at(version)).iter().find(|(k, _)| *k == key)
        {
            return Ok(hit.clone());
        }
        let answer = read()?;
        if let Ok(mut counts) = self.counts.lock() {
            let list = pick(counts.at(version));
            list.insert(0, (key, answer.clone()));
            list.truncate(Counts::KEPT);
        }
        Ok(answer)
    }
}

impl SqliteStore {
    /// `stats`, read now.
    fn stats_now(&self, filter: &SightingFilter) -> Result<Stats, StoreError> {
        // One pass over the visible sightings in table order, one over the
        // indicators, counted by `StatsTally` (its overview says why).
        static SIGHTINGS: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT s.indicator_id, s.org_id, s.submission_id, s.withdrawn, s.class, s.rsit_type,
                        COALESCE(s.tlp, :unmarked)
                 FROM sightings s WHERE {VISIBLE}"
            )
        });
        fn text<T>(v: rusqlite::types::FromSqlResult<T>) -> Result<T, StoreError> {
            v.map_err(|e| StoreError::Corrupt(format!("a text column: {e}")))
        }
        self.read(|c| {
            let c = Snapshot::begin(c)?;
            let params = FilterParams::of(filter);
            let named = params.named(&[]);
            let top = last_indicator_id(&c)?;
            let mut tally = StatsTally::new(top);
            {
                let mut stmt = c.prepare_cached(&SIGHTINGS)?;
                let mut rows = stmt.query(&named[..])?;
                while let Some(r) = rows.next()? {
                    let class = match (
                        text(r.get_ref(4)?.as_str_or_null())?,
                        text(r.get_ref(5)?.as_str_or_null())?,
                    ) {
                        (Some(class), Some(rsit_type)) => Some((class, rsit_type)),
                        _ => None,
                    };
                    tally.sighting(
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<_, i64>(3)? != 0,
                        class,
                        r.get(6)?,
                    );
                }
            }
            {
                let mut stmt = c.prepare_cached("SELECT id, kind, country, asn FROM indicators")?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let id: i64 = r.get(0)?;
                    if tally.is_seen(id) {
                        let (kind, country) = (
                            text(r.get_ref(1)?.as_str())?,
                            text(r.get_ref(2)?.as_str_or_null())?,
                        );
                        tally.indicator(id, kind, country, r.get(3)?);
                    }
                }
            }
            let mut as_names = HashMap::new();
            {
                let mut stmt = c.prepare_cached(
                    "SELECT json_extract(enrichment, '$.as_name') FROM indicators WHERE id = ?1",
                )?;
                for (asn, id) in tally.asn_namers() {
                    let name: Option<Option<String>> =
                        stmt.query_row([id], |r| r.get(0)).optional()?;
                    if let Some(name) = name.flatten() {
                        as_names.insert(asn, name);
                    }
                }
            }
            let mut orgs = HashMap::new();
            {
                let mut stmt = c.prepare_cached("SELECT id, name FROM organisations")?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
                for row in rows {
                    let (id, name) = row?;
                    orgs.insert(id, name);
                }
            }
            Ok(tally.finish(
                |org| orgs.get(&org).cloned(),
                |asn| as_names.get(&asn).cloned(),
            ))
        })
    }

    /// `seen_days`, read now.
    fn seen_days_now(
        &self,
        filter: &SightingFilter,
        since: OffsetDateTime,
    ) -> Result<SeenDays, StoreError> {
        // The dates `fuse` gives, from the sightings' date columns alone,
        // in table order (no index walk), spans kept per indicator.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT s.indicator_id, s.first_seen, s.last_seen, s.withdrawn
                 FROM sightings s WHERE {VISIBLE}"
            )
        });
        self.read(|c| {
            let c = Snapshot::begin(c)?;
            let params = FilterParams::of(filter);
            let named = params.named(&[]);
            let top = last_indicator_id(&c)?;
            let mut tally = SeenDaysTally::new(top, unix(since));
            let mut stmt = c.prepare_cached(&SQL)?;
            let mut rows = stmt.query(&named[..])?;
            while let Some(r) = rows.next()? {
                tally.sighting(r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0);
            }
            tally.finish().map_err(StoreError::Corrupt)
        })
    }
}

/// The largest indicator row id (0: none), which sizes a per-indicator table.
fn last_indicator_id(c: &Connection) -> Result<i64, StoreError> {
    Ok(
        c.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM indicators")?
            .query_row([], |r| r.get(0))?,
    )
}

/// What [`SqliteStore::compact`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Compacted {
    /// The page size before, in bytes.
    pub page_size_before: i64,
    /// The file's size before, in bytes.
    pub bytes_before: u64,
    /// The page size now.
    pub page_size: i64,
    /// The file's size now.
    pub bytes: u64,
}

/// The writer connection. Only `&mut SqliteStore` methods write, so the
/// lock is never contended (`get_mut`); it is there so that the store is
/// `Sync` and readers can share it (`&SqliteStore` across threads, e.g.
/// behind the server's `RwLock`).
#[derive(Debug)]
struct Writer {
    conn: Mutex<Connection>,
    /// Foreign keys are not enforced: a submission is being, or was last,
    /// written (see [`Writer::for_submission`]).
    relaxed: bool,
    /// The database may be in rollback-journal mode: a bulk load is being,
    /// or was last, written (see [`Writer::for_submission`]).
    rollback_journal: bool,
}

impl Writer {
    fn new(conn: Connection) -> Self {
        Writer {
            conn: Mutex::new(conn),
            relaxed: false,
            rollback_journal: false,
        }
    }

    fn conn(&mut self) -> &mut Connection {
        self.conn
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Returns the store to WAL journaling if a bulk load may have left it
    /// in rollback-journal mode.
    fn settle_journal(&mut self) -> Result<(), StoreError> {
        if self.rollback_journal {
            wal(self.conn())?;
            self.rollback_journal = false;
        }
        Ok(())
    }

    /// The connection, with foreign keys enforced and WAL journaling.
    fn get(&mut self) -> Result<&mut Connection, StoreError> {
        self.settle_journal()?;
        if self.relaxed {
            self.conn().pragma_update(None, "foreign_keys", "ON")?;
            self.relaxed = false;
        }
        Ok(self.conn())
    }

    /// The connection for a submission's transaction, with foreign keys
    /// not enforced: every id a submission writes is one it found or
    /// created in the same transaction, so the checks (a parent-row seek
    /// for each of a sighting's and a relationship's references, an eighth
    /// of bulk ingest) cannot fail, and [`SqliteStore::check`] still runs
    /// `foreign_key_check` over the whole store. The next [`Writer::get`]
    /// enforces them again. (SQLite ignores the pragma inside a
    /// transaction, so it is set before `BEGIN`.)
    ///
    /// For a `bulk` load it also tries a rollback journal
    /// ([`try_rollback_journal`]); the submission's commit, or else the
    /// next [`Writer::get`], returns the store to WAL. Says whether it did.
    fn for_submission(&mut self, bulk: bool) -> Result<(&mut Connection, bool), StoreError> {
        let mut rollback = false;
        if bulk {
            rollback = try_rollback_journal(self.conn())?;
            self.rollback_journal |= rollback;
        } else {
            self.settle_journal()?;
        }
        self.conn().pragma_update(None, "foreign_keys", "OFF")?;
        self.relaxed = true;
        Ok((self.conn(), rollback))
    }
}

/// Switches a database to WAL journaling, as [`configure`] leaves every
/// connection (a no-op when it already is). A file system without the
/// shared memory WAL needs keeps SQLite's rollback journal, as before this
/// function existed: that answer is not an error; a lock is.
fn wal(conn: &Connection) -> Result<(), StoreError> {
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    Ok(())
}

/// Tries to switch the writer to a rollback journal for a bulk load, and
/// says whether it did.
///
/// Why: in WAL mode every page a transaction writes goes to the WAL and
/// is copied into the database at the checkpoint, so a bulk load into a
/// new store writes its gigabyte twice and waits for the copy (a tenth of
/// 1 M URLhaus rows: BENCHMARKS.md, "Ingest into the store", round 4). A
/// rollback journal saves only the pages that existed before the
/// transaction, which for a store the load at least doubles are few:
/// every new page is written once, into the database. It is as crash-safe
/// (`synchronous = FULL`: a torn transaction is rolled back from the
/// journal at the next open).
///
/// SQLite leaves WAL only for a connection that has the database to
/// itself; when another connection (a reader of this process, a server,
/// another `pelita`) has it open, the switch fails at once, without
/// waiting, and the load goes on in WAL mode as an ordinary one does. The
/// price, while it runs: a process opening the store waits for it (up to
/// the busy timeout) instead of reading the snapshot before it.
fn try_rollback_journal(conn: &Connection) -> Result<bool, StoreError> {
    // Without a busy timeout: SQLite would otherwise wait out the whole
    // timeout for the other connections to close.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    let switched = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |r| {
            r.get::<_, String>(0)
        })
        .is_ok_and(|mode| mode.eq_ignore_ascii_case("delete"));
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(switched)
}

/// How long a connection waits for a lock (and, opening, for another
/// process's bulk load to commit).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// [`wal`] for a new connection. SQLite answers "locked" at once, without
/// a busy wait, when another process's bulk load holds the database in
/// rollback-journal mode ([`try_rollback_journal`]); wait for it as for
/// any lock, then say what is going on.
fn open_wal(conn: &Connection) -> Result<(), StoreError> {
    let start = std::time::Instant::now();
    loop {
        match wal(conn) {
            Err(StoreError::Database(e))
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) =>
            {
                if start.elapsed() >= BUSY_TIMEOUT {
                    return Err(StoreError::Busy(format!(
                        "a bulk load in another process holds it ({e}); \
                         try again when that ingest has finished"
                    )));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    open_wal(conn)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Room for every statement a connection runs: a reader answers look-ups,
    // reports, stats and TAXII pages, and an evicted statement is parsed
    // again on its next use (rusqlite keeps 16 by default).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Plans do not depend on bound values: without this, a bundled SQLite
    // (built with STAT4) re-prepares a cached statement whenever a bound
    // value might change its plan, which made every read parse its SQL again.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the store at `path`, and
    /// brings its schema to the latest version.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |message: String| StoreError::Open {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        }
        let mut writer = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        // 16 KiB pages for a new store (an existing one keeps its own):
        // fewer B-tree levels and page splits made bulk ingest about a fifth
        // faster (1 M URLhaus rows: 31 s -> 26 s) with look-up latency
        // unchanged (BENCHMARKS.md, "Ingest into the store").
        writer.pragma_update(None, "page_size", PAGE_SIZE)?;
        configure(&writer)?;
        // The writer walks the indicator index for every record: give it a
        // larger page cache (256 MiB) than readers get.
        writer.pragma_update(None, "cache_size", -262_144)?;
        schema::migrate(&mut writer)?;
        let synthetic = read_synthetic(&writer)?;
        let audit_path = SqliteStore::audit_path_for(path);
        let mut audit = Connection::open(&audit_path).map_err(|e| open_err(e.to_string()))?;
        configure(&audit)?;
        audit.execute_batch(AUDIT_SCHEMA)?;
        move_audit_log(&writer, &mut audit)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Writer::new(writer),
            readers: Mutex::new(Vec::new()),
            audit: Writer::new(audit),
            audit_path,
            policy: Policy::default(),
            enricher: Arc::new(Enricher::builtin()),
            synthetic,
            bulk_min_bytes: BULK_MIN_BYTES,
            key_map_max: KeyMap::MAX,
            twinned: std::sync::atomic::AtomicBool::new(false),
            versions: Mutex::new(None),
            counts: Mutex::new(Counts::default()),
        })
    }

    /// A second handle on the same database for readers that must never
    /// wait for the writer (the server answers reads through one while
    /// submissions are written through this one): same file, same fusion
    /// policy, its own connections. Its writes, if any, are serialised
    /// with this handle's by SQLite.
    pub fn twin(&self) -> Result<SqliteStore, StoreError> {
        let mut twin = SqliteStore::open(&self.path)?;
        twin.policy = self.policy.clone();
        twin.enricher = Arc::clone(&self.enricher);
        twin.twinned = std::sync::atomic::AtomicBool::new(true);
        self.twinned
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(twin)
    }

    /// The audit log's file beside the database at `db`
    /// (`pelita.db` → `pelita.audit.db`).
    ///
    /// Why a file of its own: the server records every read, so the audit
    /// log is written many times a second, and in SQLite's WAL mode every
    /// commit to a database makes every other connection to it drop its
    /// page cache at its next read. Kept apart, audit commits leave the
    /// readers of the indicator store warm, and never wait behind a
    /// partner's large submission for the one write lock.
    pub fn audit_path_for(db: &Path) -> PathBuf {
        let stem = db
            .file_stem()
            .map_or_else(|| "pelita".to_owned(), |s| s.to_string_lossy().into_owned());
        db.with_file_name(format!("{stem}.audit.db"))
    }

    /// Rewrites the database file (SQLite's `VACUUM`) with pages of
    /// [`PAGE_SIZE`] bytes, then refreshes the planner's statistics: what a
    /// store made by an older Pelita (4 KiB pages), or one that has shrunk,
    /// needs. Every row stays as it is. The file is written anew beside the
    /// old one (room for a second copy is needed) and the store must be this
    /// handle's alone: with another connection or process using it (a
    /// running `pelita serve`) nothing is changed and the answer is
    /// [`StoreError::Busy`].
    pub fn compact(&mut self) -> Result<Compacted, StoreError> {
        if let Ok(mut idle) = self.readers.lock() {
            idle.clear();
        }
        if let Ok(mut v) = self.versions.lock() {
            *v = None;
        }
        let path = self.path.clone();
        let conn = self.writer.get()?;
        let page_size =
            |c: &Connection| c.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0));
        let size = || {
            std::fs::metadata(&path)
                .map(|m| m.len())
                .unwrap_or_default()
        };
        let before = (page_size(conn)?, size());
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        if !try_rollback_journal(conn)? {
            return Err(StoreError::Busy(
                "another connection has the store open (a running `pelita serve`, an ingest): \
                 stop it and compact again"
                    .into(),
            ));
        }
        let result = conn
            .pragma_update(None, "page_size", PAGE_SIZE)
            .and_then(|()| conn.execute_batch("VACUUM"));
        // Back to WAL whatever happened (a failed VACUUM changes nothing).
        wal(conn)?;
        result?;
        conn.execute_batch("PRAGMA optimize")?;
        Ok(Compacted {
            page_size_before: before.0,
            bytes_before: before.1,
            page_size: page_size(conn)?,
            bytes: size(),
        })
    }

    /// The audit log's file.
    pub fn audit_path(&self) -> &Path {
        &self.audit_path
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the enricher used for new indicators (with user overrides or a full warninglist set).
    pub fn set_enricher(&mut self, enricher: Enricher) {
        self.enricher = Arc::new(enricher);
    }

    /// Sets the size (bytes) from which a submission that could double the
    /// store is loaded in bulk, its secondary indexes built once at its end
    /// (default 32 MiB; 0: every submission, whatever the store holds).
    pub fn set_bulk_min_bytes(&mut self, bytes: u64) {
        self.bulk_min_bytes = bytes;
    }

    /// Replaces the fusion policy used by reads.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    fn ctx(&self) -> ReadCtx<'_> {
        ReadCtx {
            policy: &self.policy,
            synthetic: self.synthetic,
        }
    }

    /// Runs `f` on the audit file's connection (audit reads are rare: one
    /// connection, shared under its lock).
    fn audit_read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self
            .audit
            .conn
            .lock()
            .map_err(|_| StoreError::Corrupt("audit connection lock poisoned".into()))?;
        f(&conn)
    }

    /// Runs `f` on a pooled reader connection.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path)?;
                configure(&c)?;
                c.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
                c
            }
        };
        let result = f(&conn);
        // A connection left inside a transaction is not reused.
        if conn.is_autocommit()
            && let Ok(mut idle) = self.readers.lock()
            && idle.len() < MAX_IDLE_READERS
        {
            idle.push(conn);
        }
        result
    }
}

/// A read transaction on a reader connection: one snapshot for several
/// statements, and one lock instead of one per statement. Begun and ended
/// by cached statements: rusqlite's `unchecked_transaction` parses `BEGIN`
/// and `ROLLBACK` afresh every time, which was 4 % of a server look-up.
/// Ending it rolls back (nothing is written through a reader).
struct Snapshot<'c>(&'c Connection);

impl<'c> Snapshot<'c> {
    fn begin(c: &'c Connection) -> Result<Self, StoreError> {
        c.prepare_cached("BEGIN")?.execute([])?;
        Ok(Snapshot(c))
    }
}

impl std::ops::Deref for Snapshot<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            // An error here leaves the connection in its transaction; the
            // next `begin` on it then fails and says so, nothing is misread.
            let _ = self
                .0
                .prepare_cached("ROLLBACK")
                .and_then(|mut s| s.execute([]));
        }
    }
}

/// Writes one audit entry at `seq` with its place in the chain (`prev`, `hash`).
fn insert_audit(
    c: &Connection,
    seq: i64,
    entry: &AuditEntry,
    prev: &str,
    hash: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO audit (seq, at, org, token, action, detail, result_size, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        seq,
        unix(entry.at),
        entry.org,
        entry.token,
        entry.action,
        entry.detail,
        i64::try_from(entry.result_size).unwrap_or(i64::MAX),
        prev,
        hash
    ])?;
    Ok(())
}

/// The audit log's file: the entries, and the head (`settings.audit_head`).
const AUDIT_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    org         TEXT    NOT NULL,
    token       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    result_size INTEGER NOT NULL,
    prev        TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// Moves an audit log kept in the store itself (schema 6 and 7 kept it
/// there) into the audit file, once: copied and committed there first,
/// then removed from the store, so a crash in between leaves it in both
/// with the same head, which the next open finishes.
fn move_audit_log(store: &Connection, audit: &mut Connection) -> Result<(), StoreError> {
    let Some(old_head) = audit_head(store)? else {
        return Ok(());
    };
    let new_head = audit_head(audit)?;
    if new_head.is_none() {
        let records = audit_records(store, i64::MIN, usize::MAX)?;
        let tx = audit.transaction()?;
        for r in &records {
            insert_audit(&tx, r.seq, &r.entry, &r.prev, &r.hash)?;
        }
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('audit_head', ?1)",
            params![format!("{} {}", old_head.0, old_head.1)],
        )?;
        tx.commit()?;
    } else if new_head != Some(old_head.clone()) {
        return Err(StoreError::Corrupt(
            "the store and its audit file hold different audit logs".into(),
        ));
    }
    store.execute_batch(
        "BEGIN; DELETE FROM audit; DELETE FROM settings WHERE key = 'audit_head'; COMMIT;",
    )?;
    Ok(())
}

fn read_synthetic(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'synthetic'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .is_some_and(|v| v == "1"))
}

/// Tokens (one by id, or all), with their organisation's current role.
fn token_rows(c: &Connection, id: Option<&str>) -> Result<Vec<crate::TokenRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT t.id, t.name, t.hash, o.name, o.role, t.scopes, t.max_tlp, t.expires_at, t.created_at, t.revoked
         FROM tokens t JOIN organisations o ON o.id = t.org_id
         WHERE (?1 IS NULL OR t.id = ?1) ORDER BY t.created_at, t.id",
    )?;
    let rows = stmt
        .query_map(params![id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, bool>(9)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let corrupt = |e: String| StoreError::Corrupt(e);
    rows.into_iter()
        .map(
            |(id, name, hash, org, role, scopes, max_tlp, expires, created, revoked)| {
                let scopes: Vec<String> =
                    serde_json::from_str(&scopes).map_err(|e| corrupt(e.to_string()))?;
                Ok(crate::TokenRow {
                    id,
                    name,
                    hash,
                    grant: pelita_auth::TokenGrant {
                        org,
                        role: role
                            .parse()
                            .map_err(|e: pelita_auth::ParseRoleError| corrupt(e.to_string()))?,
                        scopes: scopes
                            .iter()
                            .map(|s| s.parse())
                            .collect::<Result<_, pelita_auth::ParseScopeError>>()
                            .map_err(|e| corrupt(e.to_string()))?,
                        max_tlp: tlp_from_rank(max_tlp),
                        expires_at: expires.map(from_unix).transpose()?,
                        revoked,
                    },
                    created_at: from_unix(created)?,
                })
            },
        )
        .collect()
}

/// Accounts (one by name, or all), with their organisation's name.
fn user_rows(c: &Connection, name: Option<&str>) -> Result<Vec<UserRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT u.name, o.name, u.hash, u.created_at, u.disabled
         FROM users u JOIN organisations o ON o.id = u.org_id
         WHERE (?1 IS NULL OR u.name = ?1) ORDER BY u.name",
    )?;
    let rows = stmt
        .query_map(params![name], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(name, org, hash, created, disabled)| {
            Ok(UserRow {
                name,
                org,
                hash,
                created_at: from_unix(created)?,
                disabled,
            })
        })
        .collect()
}

/// The recorded audit head: (sequence number, hash).
fn audit_head(c: &Connection) -> Result<Option<(i64, String)>, StoreError> {
    let v: Option<String> = c
        .query_row(
            "SELECT value FROM settings WHERE key = 'audit_head'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match v {
        None => Ok(None),
        Some(v) => {
            let (seq, hash) = v
                .split_once(' ')
                .ok_or_else(|| StoreError::Corrupt(format!("audit head {v:?}")))?;
            let seq = seq
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("audit head {v:?}")))?;
            Ok(Some((seq, hash.to_owned())))
        }
    }
}

fn audit_records(c: &Connection, from: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, at, org, token, action, detail, result_size, prev, hash FROM audit
         WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(
            params![from, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(seq, at, org, token, action, detail, size, prev, hash)| {
            Ok(AuditRecord {
                seq,
                entry: AuditEntry {
                    at: from_unix(at)?,
                    org,
                    token,
                    action,
                    detail,
                    result_size: u64::try_from(size).unwrap_or(0),
                },
                prev,
                hash,
            })
        })
        .collect()
}

/// What reads need besides the filter: the fusion policy, and whether the
/// store is a synthetic scenario.
#[derive(Clone, Copy)]
struct ReadCtx<'a> {
    policy: &'a Policy,
    synthetic: bool,
}

/// Flags that stand for real infrastructure in a synthetic scenario (whose
/// values are drawn from these ranges on purpose); private, loopback and
/// the like stay non-routable even there.
/// The known-benign lists that list the special-use ranges themselves
/// (documentation, benchmarking, reserved TLDs): in a synthetic store their
/// entries are the scenario's stand-ins, not benign values.
const SPECIAL_USE_LISTS: [&str; 3] = ["rfc5735", "rfc3849", "rfc6761"];

fn synthetic_stand_in(f: pelita_model::Flag) -> bool {
    use pelita_model::Flag;
    matches!(
        f,
        Flag::Documentation
            | Flag::Benchmarking
            | Flag::Reserved
            | Flag::ReservedTld
            | Flag::PrivateAsn
    )
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn from_unix(s: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(s)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {s}: {e}")))
}

fn tlp_rank(t: Tlp) -> i64 {
    match t {
        Tlp::Clear => 0,
        Tlp::Green => 1,
        Tlp::Amber => 2,
        Tlp::AmberStrict => 3,
        Tlp::Red => 4,
    }
}

fn tlp_from_rank(r: Option<i64>) -> Option<Tlp> {
    r.and_then(|r| usize::try_from(r).ok())
        .and_then(|i| Tlp::ALL.get(i).copied())
}

fn split_key(key: &str) -> Option<(IndicatorKind, &str)> {
    let (kind, value) = key.split_once(':')?;
    Some((kind.parse().ok()?, value))
}

fn relation_str(r: Relation) -> &'static str {
    match r {
        Relation::ResolvesTo => "resolves-to",
        Relation::HostedOn => "hosted-on",
        Relation::DeliveredBy => "delivered-by",
        Relation::CommunicatesWith => "communicates-with",
        Relation::RelatedTo => "related-to",
    }
}

fn relation_from(s: &str) -> Relation {
    match s {
        "resolves-to" => Relation::ResolvesTo,
        "hosted-on" => Relation::HostedOn,
        "delivered-by" => Relation::DeliveredBy,
        "communicates-with" => Relation::CommunicatesWith,
        _ => Relation::RelatedTo,
    }
}

/// The statements a batch of records is written with, prepared once per
/// batch (not looked up in the statement cache once per row).
struct Statements<'t> {
    find: rusqlite::CachedStatement<'t>,
    key_of: rusqlite::CachedStatement<'t>,
    insert_indicator: rusqlite::CachedStatement<'t>,
    insert_dataset: rusqlite::CachedStatement<'t>,
    find_dataset: rusqlite::CachedStatement<'t>,
    insert_sighting: rusqlite::CachedStatement<'t>,
    insert_relationship: rusqlite::CachedStatement<'t>,
}

impl<'t> Statements<'t> {
    fn prepare(tx: &'t Transaction<'_>) -> Result<Self, StoreError> {
        Ok(Statements {
            find: tx.prepare_cached(
                "SELECT id FROM indicators WHERE khash = ?1 AND kind = ?2 AND value = ?3",
            )?,
            key_of: tx.prepare_cached("SELECT kind, value FROM indicators WHERE id = ?1")?,
            insert_indicator: tx.prepare_cached(
                "INSERT INTO indicators (khash, kind, value, flags, net_lo, net_hi, country, asn, enrichment, site, dataset)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?,
            insert_dataset: tx.prepare_cached(
                "INSERT INTO datasets (version) VALUES (?1) ON CONFLICT (version) DO NOTHING",
            )?,
            find_dataset: tx.prepare_cached("SELECT id FROM datasets WHERE version = ?1")?,
            insert_sighting: tx.prepare_cached(
                "INSERT INTO sightings (indicator_id, org_id, submission_id, location, tlp, reliability, credibility,
                    first_seen, last_seen, count, withdrawn, malware, tags, hints, context, class, rsit_type)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                 ON CONFLICT (indicator_id, submission_id, location) DO NOTHING",
            )?,
            insert_relationship: tx.prepare_cached(
                "INSERT INTO relationships (src, dst, relation, submission_id, tlp, tlp_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, COALESCE(?5, -1))
                 ON CONFLICT DO NOTHING",
            )?,
        })
    }
}

/// Creates the row of an indicator not yet stored, enriched at first sight.
///
/// The indicator is canonical by construction (a [`Record`] carries the
/// [`Indicator`] it was rendered from), so nothing is parsed again here.
fn insert_indicator(
    stmt: &mut rusqlite::CachedStatement<'_>,
    indicator: &Indicator,
    key: &str,
    row: &PreparedIndicator,
    dataset: i64,
) -> Result<i64, StoreError> {
    Ok(stmt.insert(params![
        row.khash,
        indicator.kind().as_str(),
        value_of(indicator, key),
        row.flags.as_ref(),
        row.range.map(|r| r.0.to_vec()),
        row.range.map(|r| r.1.to_vec()),
        row.country,
        row.asn,
        row.enrichment,
        row.site,
        dataset
    ])?)
}

fn org_id(tx: &Transaction<'_>, name: &str, now: i64) -> Result<i64, StoreError> {
    tx.execute("INSERT INTO organisations (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING", params![name, now])?;
    Ok(tx.query_row(
        "SELECT id FROM organisations WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )?)
}

/// Secondary indexes that no part of writing a submission reads and that
/// new rows land in at random places: a bulk submission drops them at its
/// start and builds each once, sorted, at its end (the site index alone
/// was over a fifth of bulk ingest: BENCHMARKS.md, "Ingest into the
/// store"). The country and submission indexes are kept: their new
/// entries mostly append, and building them cost as much as it saved.
const DEFERRABLE_INDEXES: [&str; 2] = ["indicators_site", "relationships_dst"];

/// The index a bulk load's [`KeyMap`] stands in for.
const KHASH_INDEX: &str = "indicators_khash";

/// Submissions smaller than this (bytes) keep every index up to date,
/// unless [`SqliteStore::set_bulk_min_bytes`] says otherwise.
const BULK_MIN_BYTES: u64 = 32 << 20;

/// A generous estimate of a submission's bytes per indicator row it adds
/// (a URLhaus row is about 118 bytes and adds three; a STIX indicator is
/// about 450 bytes).
const BULK_BYTES_PER_ROW: u64 = 64;

/// Whether a submission is a bulk load: at least `min` bytes
/// ([`BULK_MIN_BYTES`] by default) and likely to add as many indicator rows
/// as the store holds (rebuilding an index reads every row, old and new:
/// for a small submission into a large store, keeping the indexes is
/// cheaper); with `min` 0, always.
fn is_bulk(conn: &Connection, size: u64, min: u64) -> Result<bool, StoreError> {
    if size < min {
        return Ok(false);
    }
    if min > 0 {
        let rows: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM indicators", [], |r| {
            r.get(0)
        })?;
        if size / BULK_BYTES_PER_ROW < u64::try_from(rows).unwrap_or(u64::MAX) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Drops the indexes `names` ([`DEFERRABLE_INDEXES`], and the key-hash
/// index when a [`KeyMap`] stands in for it) for a bulk load ([`is_bulk`]), and
/// returns the statements that build them again, for the commit. It all
/// happens inside the submission's transaction: a reader sees the indexes
/// all along, and a crash or an error rolls the drop back with the rest.
fn defer_indexes(
    tx: &Transaction<'_>,
    names: &[&'static str],
) -> Result<Vec<Deferred>, StoreError> {
    let mut rebuild = Vec::new();
    for &name in names {
        let sql: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sql) = sql {
            tx.execute_batch(&format!("DROP INDEX {name}"))?;
            rebuild.push(Deferred { name, sql });
        }
    }
    Ok(rebuild)
}

/// An index a bulk load dropped: its name, and the statement that builds it.
struct Deferred {
    name: &'static str,
    sql: String,
}

/// One submission being written, inside its transaction.
struct SqliteSubmission<'a> {
    /// The statements that build the indexes this bulk submission dropped
    /// (none for an ordinary one), run before it commits.
    deferred: Vec<Deferred>,
    /// The writer connection, for what follows the commit.
    conn: &'a Connection,
    /// The store is in rollback-journal mode for this bulk load, to be
    /// returned to WAL after the commit.
    rollback_journal: bool,
    tx: Transaction<'a>,
    enricher: &'a Enricher,
    submission_id: i64,
    org_id: i64,
    default_tlp: Option<Tlp>,
    received_at: i64,
    new_submission: bool,
    records: u64,
    sightings_added: u64,
    indicators_added: u64,
    /// Row ids of indicators this submission already resolved.
    ids: IdCache,
    /// For a bulk load: every stored indicator's id by key hash, in place
    /// of the key-hash index (dropped until the commit).
    keys: Option<KeyMap>,
    /// Past this many key hashes, `keys` gives way to the index again.
    key_map_max: usize,
    /// The submission's name (its records' locations name it).
    name: String,
    /// Ids of the enrichment dataset versions used (almost always one).
    datasets: Vec<(String, i64)>,
}

/// Row ids of indicators already resolved, by key hash (with the key, so
/// that a collision is a miss, never a wrong id).
#[derive(Default)]
struct IdCache(KhashMap<(String, i64)>);

impl IdCache {
    fn get(&self, key: &str, row: &PreparedIndicator) -> Option<i64> {
        self.0
            .get(&row.khash)
            .filter(|(cached, _)| cached == key)
            .map(|&(_, id)| id)
    }

    fn insert(&mut self, key: &str, row: &PreparedIndicator, id: i64) {
        // Two keys of one hash: the first keeps its place; the second is
        // looked up in the database each time.
        self.0
            .entry(row.khash)
            .or_insert_with(|| (key.to_owned(), id));
    }
}

impl SqliteSubmission<'_> {
    /// Builds the key-hash index again now, inside the transaction, and
    /// goes on without the [`KeyMap`] (grown past its bound).
    fn restore_khash_index(&mut self) -> Result<(), StoreError> {
        if let Some(at) = self.deferred.iter().position(|d| d.name == KHASH_INDEX) {
            let index = self.deferred.remove(at);
            self.tx.execute_batch(&index.sql)?;
        }
        self.keys = None;
        Ok(())
    }

    /// Writes a batch of records: first the row id of every indicator they
    /// name (from the cache, else found or created, in key-hash order so
    /// that index seeks walk the B-tree forwards), then their sightings and
    /// relationships in order.
    fn write(&mut self, batch: &[PreparedRecord]) -> Result<(), StoreError> {
        if self
            .keys
            .as_ref()
            .is_some_and(|k| k.len() > self.key_map_max)
        {
            self.restore_khash_index()?;
        }
        let mut st = Statements::prepare(&self.tx)?;
        // Bounded: a submission of millions of distinct values must not hold
        // them all (memory stays flat); repeats within a window still hit.
        if self.ids.0.len() >= ID_CACHE_MAX {
            self.ids.0.clear();
        }
        // One id per indicator of the batch, in record order.
        let mut ids: Vec<i64> = Vec::with_capacity(batch.len() * 3);
        let mut missing: Vec<(usize, &Indicator, &str, &PreparedIndicator)> = Vec::new();
        for (indicator, key, row) in batch.iter().flat_map(PreparedRecord::indicators_with_rows) {
            match self.ids.get(key, row) {
                Some(id) => ids.push(id),
                None => {
                    missing.push((ids.len(), indicator, key, row));
                    ids.push(0);
                }
            }
        }
        missing.sort_unstable_by(|a, b| (a.3.khash, a.2).cmp(&(b.3.khash, b.2)));
        let mut previous: Option<(&str, i64)> = None;
        for (slot, indicator, key, row) in missing {
            let id = match previous {
                Some((prev, id)) if prev == key => id,
                _ => {
                    let (id, created) = resolve(
                        &mut st,
                        self.keys.as_mut(),
                        &mut self.datasets,
                        indicator,
                        key,
                        row,
                    )?;
                    self.indicators_added += u64::from(created);
                    self.ids.insert(key, row, id);
                    id
                }
            };
            previous = Some((key, id));
            if let Some(s) = ids.get_mut(slot) {
                *s = id;
            }
        }
        let target = Target {
            submission_id: self.submission_id,
            org_id: self.org_id,
            default_tlp: self.default_tlp,
            received_at: self.received_at,
        };
        let mut ids = ids.into_iter();
        for p in batch {
            self.records += 1;
            self.sightings_added += target.sighting(&mut st, &mut ids, p)?;
        }
        Ok(())
    }
}

/// The row id of an indicator not in the cache: found, or created (true).
/// With a bulk load's [`KeyMap`], found among the rows of its key hash
/// (none: created without a seek), and every row created is added to it.
fn resolve(
    st: &mut Statements<'_>,
    keys: Option<&mut KeyMap>,
    datasets: &mut Vec<(String, i64)>,
    indicator: &Indicator,
    key: &str,
    row: &PreparedIndicator,
) -> Result<(i64, bool), StoreError> {
    let kind = indicator.kind().as_str();
    let value = value_of(indicator, key);
    let existing = match &keys {
        Some(keys) => {
            let mut found = None;
            for &id in keys.candidates(row.khash) {
                let same = st.key_of.query_row(params![id], |r| {
                    Ok(r.get_ref(0)?.as_str()? == kind && r.get_ref(1)?.as_str()? == value)
                })?;
                if same {
                    found = Some(id);
                    break;
                }
            }
            found
        }
        None => st
            .find
            .query_row(params![row.khash, kind, value], |r| r.get(0))
            .optional()?,
    };
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let dataset = match datasets.iter().find(|(v, _)| **v == *row.dataset) {
        Some(&(_, id)) => id,
        None => {
            let version: &str = &row.dataset;
            st.insert_dataset.execute(params![version])?;
            let id = st.find_dataset.query_row(params![version], |r| r.get(0))?;
            datasets.push((version.to_owned(), id));
            id
        }
    };
    let id = insert_indicator(&mut st.insert_indicator, indicator, key, row, dataset)?;
    if let Some(keys) = keys {
        keys.add(row.khash, id);
    }
    Ok((id, true))
}

/// An indicator's canonical value: the part of its key after `kind:`
/// (rendering it again allocates).
fn value_of<'k>(indicator: &Indicator, key: &'k str) -> std::borrow::Cow<'k, str> {
    match key.get(indicator.kind().as_str().len() + 1..) {
        Some(value) => std::borrow::Cow::Borrowed(value),
        None => std::borrow::Cow::Owned(indicator.value()),
    }
}

/// Where a submission's sightings go.
#[derive(Clone, Copy)]
struct Target {
    submission_id: i64,
    org_id: i64,
    default_tlp: Option<Tlp>,
    received_at: i64,
}

impl Target {
    /// The sighting of one record, and its relationships, with the ids of
    /// its indicators taken from `ids` (its own, then its related ones');
    /// 1 when the sighting is new, 0 when it was stored before.
    fn sighting(
        self,
        st: &mut Statements<'_>,
        ids: &mut impl Iterator<Item = i64>,
        p: &PreparedRecord,
    ) -> Result<u64, StoreError> {
        let r = &p.record;
        let missing = || StoreError::Corrupt(format!("{}: no row id resolved", r.key));
        let id = ids.next().ok_or_else(missing)?;
        let tlp = r.tlp.or(self.default_tlp).map(tlp_rank);
        // Dates the partner gives are kept; without any, the sighting is
        // dated by its submission. A first-seen alone is also the last time
        // anyone is known to have seen it (so an old indicator still decays).
        let first = r
            .first_seen
            .or(r.last_seen)
            .map(unix)
            .unwrap_or(self.received_at);
        let last = r.last_seen.map(unix).unwrap_or(first);
        let inserted = st.insert_sighting.execute(params![
            id,
            self.org_id,
            self.submission_id,
            p.location,
            tlp,
            r.admiralty.reliability.map(|g| g.letter().to_string()),
            r.admiralty.credibility.map(|c| i64::from(c.digit())),
            first.min(last),
            last.max(first),
            r.withdrawn,
            r.malware,
            p.tags,
            p.hints,
            r.context,
            p.class.map(|c| c.class.as_str()),
            p.class.map(|c| c.rsit_type.as_str()),
        ])?;
        for rel in r.related.iter().filter(|rel| rel.indicator.is_some()) {
            st.insert_relationship.execute(params![
                id,
                ids.next().ok_or_else(missing)?,
                relation_str(rel.relation),
                self.submission_id,
                tlp
            ])?;
        }
        Ok(u64::try_from(inserted).unwrap_or(0))
    }
}

impl RecordSink for SqliteSubmission<'_> {
    fn record(&mut self, record: Record) -> io::Result<()> {
        let prepared =
            PreparedRecord::new(record, self.enricher, &self.name).map_err(io::Error::other)?;
        self.write(std::slice::from_ref(&prepared))
            .map_err(io::Error::other)
    }
}

impl SubmissionSink for SqliteSubmission<'_> {
    fn prepared(&mut self, batch: &[PreparedRecord]) -> Result<(), StoreError> {
        self.write(batch)
    }

    fn commit(self: Box<Self>, outcome: &SubmissionOutcome) -> Result<CommitStats, StoreError> {
        let this = *self;
        for index in &this.deferred {
            this.tx.execute_batch(&index.sql)?;
        }
        this.tx.execute(
            "UPDATE submissions SET records = records + ?1,
                 sightings = (SELECT COUNT(*) FROM sightings WHERE submission_id = ?2),
                 errors = ?3, report = COALESCE(?4, report), format = COALESCE(?5, format)
             WHERE id = ?2",
            params![
                if this.new_submission {
                    i64::try_from(this.records).unwrap_or(i64::MAX)
                } else {
                    0
                },
                this.submission_id,
                i64::try_from(outcome.errors).unwrap_or(i64::MAX),
                outcome.report,
                outcome.format
            ],
        )?;
        this.tx.commit()?;
        // Committed all the same if this fails (another process opened the
        // store just now, and then switches it to WAL itself); the next
        // write tries again.
        if this.rollback_journal {
            let _ = wal(this.conn);
        }
        Ok(CommitStats {
            new_submission: this.new_submission,
            records: this.records,
            sightings_added: this.sightings_added,
            indicators_added: this.indicators_added,
        })
    }
}

/// A raw sighting row, as read back.
struct Row {
    source: String,
    tlp: Option<Tlp>,
    reliability: Option<SourceReliability>,
    credibility: Option<Credibility>,
    first_seen: OffsetDateTime,
    last_seen: OffsetDateTime,
    count: u64,
    withdrawn: bool,
    malware: Option<String>,
    tags: Option<String>,
    hints: Option<String>,
    class: Option<String>,
}

/// Which sightings `s` a read may use: the filter's ceiling and operation,
/// and the sharing policy ([`crate::policy`]) for its reader.
const VISIBLE: &str = concat!(
    "(COALESCE(s.tlp, :unmarked) <= :max AND (:op IS NULL OR s.submission_id IN (SELECT id FROM submissions WHERE operation_id = :op)) AND ",
    sighting_policy!(),
    ")"
);

/// The values of the sharing rule's placeholders ([`VISIBLE`],
/// [`REL_VISIBLE`]) for a filter. Every filtered read binds them through
/// [`FilterParams::named`], so that no read can leave one of the rule's
/// placeholders unbound or bind it to another value.
#[derive(Clone, Copy)]
struct FilterParams([(&'static str, Option<i64>); 4]);

impl FilterParams {
    fn of(filter: &SightingFilter) -> Self {
        FilterParams([
            (":unmarked", Some(tlp_rank(filter.unmarked))),
            (":max", Some(tlp_rank(filter.max_tlp))),
            (":op", filter.operation.map(|o| o.0)),
            (":reader", Some(filter.reader.code())),
        ])
    }

    /// The statement's own named parameters `extra`, then the rule's.
    fn named<'a>(
        &'a self,
        extra: &[(&'a str, &'a dyn rusqlite::ToSql)],
    ) -> Vec<(&'a str, &'a dyn rusqlite::ToSql)> {
        let mut named = Vec::with_capacity(extra.len() + self.0.len());
        named.extend_from_slice(extra);
        named.extend(
            self.0
                .iter()
                .map(|(name, value)| (*name, value as &dyn rusqlite::ToSql)),
        );
        named
    }
}

fn view(
    conn: &Connection,
    key: &str,
    filter: &SightingFilter,
    now: OffsetDateTime,
    ctx: ReadCtx<'_>,
) -> Result<Option<IndicatorView>, StoreError> {
    let Some((kind, value)) = split_key(key) else {
        return Ok(None);
    };
    type Found = (i64, String, Option<String>, Option<String>, Option<String>);
    let found: Option<Found> = conn
        .prepare_cached(
            "SELECT i.id, i.flags, i.enrichment, i.site, d.version
             FROM indicators i LEFT JOIN datasets d ON d.id = i.dataset
             WHERE i.khash = ?1 AND i.kind = ?2 AND i.value = ?3",
        )?
        .query_row(params![key_hash(key), kind.as_str(), value], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((id, flags, enrichment, registrable, dataset_version)) = found else {
        return Ok(None);
    };
    let params = FilterParams::of(filter);
    // Built once: a look-up runs this for every value it shows.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {SIGHTING_COLUMNS}
             FROM sightings s JOIN organisations o ON o.id = s.org_id
             WHERE s.indicator_id = :id AND {VISIBLE}"
        )
    });
    let mut stmt = conn.prepare_cached(&SQL)?;
    let rows: Vec<SightingRow> = stmt
        .query_map(
            &params.named(&[(":id", &id as &dyn rusqlite::ToSql)])[..],
            |r| sighting_row(r, 0),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let related = related_of(conn, id, filter)?;
    let site = match (kind, &registrable) {
        (IndicatorKind::Url, Some(site)) => Some(site_agg(conn, site, filter)?),
        _ => None,
    };
    build_view(
        Stored {
            key,
            kind,
            value,
            flags,
            enrichment,
            dataset_version,
            registrable,
        },
        rows,
        related,
        site,
        now,
        ctx,
        &mut Memo::default(),
    )
}

/// A sighting row as the reads select it: organisation, marking,
/// reliability, credibility, first and last seen, count, withdrawn,
/// malware, tags, hints, `class/type`.
type SightingRow = (
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    i64,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The sighting columns of [`SightingRow`], for `s` joined with `o`.
const SIGHTING_COLUMNS: &str =
    "o.name, s.tlp, s.reliability, s.credibility, s.first_seen, s.last_seen, s.count, s.withdrawn,
                s.malware, s.tags, s.hints, s.class || '/' || s.rsit_type";

fn sighting_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<SightingRow> {
    Ok((
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
        r.get(at + 6)?,
        r.get(at + 7)?,
        r.get(at + 8)?,
        r.get(at + 9)?,
        r.get(at + 10)?,
        r.get(at + 11)?,
    ))
}

/// An indicator row as stored.
struct Stored<'a> {
    key: &'a str,
    kind: IndicatorKind,
    value: &'a str,
    flags: String,
    /// The enrichment JSON as stored.
    enrichment: Option<String>,
    /// The version of the dataset it was enriched from (`datasets`, since
    /// schema 9); older rows carry it inside `enrichment`.
    dataset_version: Option<String>,
    registrable: Option<String>,
}

/// What the compromised-site rule needs of a site, over visible sightings:
/// distinct URLs, distinct organisations, earliest first-seen, and the
/// counts of fraud and of other classified sightings.
#[derive(Debug, Clone, Copy, Default)]
struct SiteAgg {
    urls: i64,
    sources: i64,
    first: Option<i64>,
    fraud: i64,
    other: i64,
}

/// The aggregate columns of a [`SiteAgg`], over `i` joined with its visible sightings `s`.
const SITE_AGG_COLUMNS: &str = "COUNT(DISTINCT i.id) FILTER (WHERE i.kind = 'url'), COUNT(DISTINCT s.org_id), MIN(s.first_seen),
                    COUNT(*) FILTER (WHERE s.class = 'fraud'), COUNT(*) FILTER (WHERE s.class IS NOT NULL AND s.class != 'fraud')";

fn site_agg_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<SiteAgg> {
    Ok(SiteAgg {
        urls: r.get(at)?,
        sources: r.get(at + 1)?,
        first: r.get(at + 2)?,
        fraud: r.get(at + 3)?,
        other: r.get(at + 4)?,
    })
}

/// The relationships of one indicator that `filter` lets through.
fn related_of(
    conn: &Connection,
    id: i64,
    filter: &SightingFilter,
) -> Result<BTreeSet<RelatedView>, StoreError> {
    let params = FilterParams::of(filter);
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT r.relation, 1, i.kind, i.value FROM relationships r JOIN indicators i ON i.id = r.dst
               WHERE r.src = :id AND {REL_VISIBLE}
             UNION
             SELECT r.relation, 0, i.kind, i.value FROM relationships r JOIN indicators i ON i.id = r.src
               WHERE r.dst = :id AND {REL_VISIBLE}"
        )
    });
    let mut related_stmt = conn.prepare_cached(&SQL)?;
    let related: BTreeSet<RelatedView> = related_stmt
        .query_map(
            &params.named(&[(":id", &id as &dyn rusqlite::ToSql)])[..],
            |r| {
                Ok(RelatedView {
                    relation: relation_from(&r.get::<_, String>(0)?),
                    outgoing: r.get(1)?,
                    key: format!("{}:{}", r.get::<_, String>(2)?, r.get::<_, String>(3)?),
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(related)
}

/// The compromised-site evidence counts of one site.
fn site_agg(conn: &Connection, site: &str, filter: &SightingFilter) -> Result<SiteAgg, StoreError> {
    let params = FilterParams::of(filter);
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {SITE_AGG_COLUMNS}
             FROM indicators i JOIN sightings s ON s.indicator_id = i.id
             WHERE i.site = :site AND {VISIBLE}"
        )
    });
    Ok(conn.prepare_cached(&SQL)?.query_row(
        &params.named(&[(":site", &site as &dyn rusqlite::ToSql)])[..],
        |r| site_agg_row(r, 0),
    )?)
}

/// The visible relationships of `r` (as in [`related_of`]).
const REL_VISIBLE: &str = concat!(
    "COALESCE(r.tlp, :unmarked) <= :max
             AND (:op IS NULL OR r.submission_id IN (SELECT id FROM submissions WHERE operation_id = :op)) AND ",
    relationship_policy!()
);

/// The views of every indicator a query selects, in three scans instead of
/// several statements per indicator: the indicators with their visible
/// sightings (grouped by indicator), their visible relationships, and the
/// site evidence of every site their URLs are on. Each view is then built
/// by [`build_view`], exactly as a single lookup builds it (the conformance
/// suite checks that the answers are equal).
/// One indicator's row and its visible sighting rows, as a bulk scan reads them.
struct Group {
    id: i64,
    key: String,
    kind: IndicatorKind,
    flags: String,
    enrichment: Option<String>,
    dataset: Option<i64>,
    site: Option<String>,
    rows: Vec<SightingRow>,
    /// A visible sighting was active in the query's period.
    active: bool,
}

/// A bulk read of the indicators a query names: the statement texts and
/// parameters its scans share.
struct Bulk<'q> {
    query: &'q IndicatorQuery,
    filter: FilterParams,
}

/// What views are built from besides an indicator's own rows: its
/// relationships, its site's evidence and the dataset versions, read for
/// the whole query before the views are built.
struct BulkContext {
    related: HashMap<i64, BTreeSet<RelatedView>>,
    sites: HashMap<String, SiteAgg>,
    versions: HashMap<i64, String>,
    memo: Memo,
}

impl<'q> Bulk<'q> {
    fn new(query: &'q IndicatorQuery, filter: &SightingFilter) -> Self {
        Bulk {
            query,
            filter: FilterParams::of(filter),
        }
    }

    /// The statement texts' country conditions: on `i`, on `x`, unqualified.
    /// Two texts, not `(:country IS NULL OR …)`: an OR keeps SQLite from
    /// using the country index, and a report per country would scan every sighting.
    fn in_country(&self) -> [&'static str; 3] {
        if self.query.country.is_some() {
            [
                "i.country = :country",
                "x.country = :country",
                "country = :country",
            ]
        } else {
            ["1", "1", "1"]
        }
    }

    /// Runs `f` with the named parameters of the statements.
    fn with_params<T>(
        &self,
        f: impl FnOnce(&[(&str, &dyn rusqlite::ToSql)]) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let country: &dyn rusqlite::ToSql = &self.query.country;
        if self.query.country.is_some() {
            f(&self.filter.named(&[(":country", country)]))
        } else {
            f(&self.filter.named(&[]))
        }
    }

    /// Reads every matching indicator with its visible sightings (in id
    /// order) and hands each to `each` as soon as its rows are complete.
    fn scan(
        &self,
        c: &Connection,
        each: &mut dyn FnMut(Group) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let since = self.query.since.map(unix);
        let until = self.query.until.map(unix);
        let in_period = |first: i64, last: i64| {
            since.is_none_or(|t| last >= t) && until.is_none_or(|t| first < t)
        };
        let [in_country, _, _] = self.in_country();
        let mut stmt = c.prepare_cached(&format!(
            "SELECT i.id, i.kind, i.value, i.flags, i.enrichment, i.site, i.dataset, {SIGHTING_COLUMNS}
             FROM indicators i JOIN sightings s ON s.indicator_id = i.id JOIN organisations o ON o.id = s.org_id
             WHERE {in_country} AND {VISIBLE}
             ORDER BY i.id"
        ))?;
        self.with_params(|named| {
            let mut rows = stmt.query(named)?;
            let mut current: Option<Group> = None;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let sighting = sighting_row(r, 7)?;
                let active = in_period(sighting.4, sighting.5);
                if let Some(g) = current.as_mut().filter(|g| g.id == id) {
                    g.active |= active;
                    g.rows.push(sighting);
                    continue;
                }
                let kind_s: String = r.get(1)?;
                let value: String = r.get(2)?;
                let kind: IndicatorKind = kind_s
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("unknown kind {kind_s:?}")))?;
                let next = Group {
                    id,
                    key: [kind_s.as_str(), ":", value.as_str()].concat(),
                    kind,
                    flags: r.get(3)?,
                    enrichment: r.get(4)?,
                    site: r.get(5)?,
                    dataset: r.get(6)?,
                    rows: vec![sighting],
                    active,
                };
                if let Some(done) = current.replace(next) {
                    each(done)?;
                }
            }
            match current {
                Some(done) => each(done),
                None => Ok(()),
            }
        })
    }

    /// The relationships, site evidence and dataset versions of the views
    /// (site evidence only when `sites` is set: some view is a URL on a site).
    fn context(&self, c: &Connection, sites: bool) -> Result<BulkContext, StoreError> {
        let [_, x_in_country, sub_in_country] = self.in_country();
        let mut related: HashMap<i64, BTreeSet<RelatedView>> = HashMap::new();
        let mut stmt = c.prepare_cached(&format!(
            "SELECT r.src, r.relation, 1, i.kind, i.value FROM relationships r
               JOIN indicators i ON i.id = r.dst JOIN indicators x ON x.id = r.src
               WHERE {x_in_country} AND {REL_VISIBLE}
             UNION
             SELECT r.dst, r.relation, 0, i.kind, i.value FROM relationships r
               JOIN indicators i ON i.id = r.src JOIN indicators x ON x.id = r.dst
               WHERE {x_in_country} AND {REL_VISIBLE}"
        ))?;
        self.with_params(|named| {
            let mut rows = stmt.query(named)?;
            while let Some(r) = rows.next()? {
                related.entry(r.get(0)?).or_default().insert(RelatedView {
                    relation: relation_from(&r.get::<_, String>(1)?),
                    outgoing: r.get(2)?,
                    key: format!("{}:{}", r.get::<_, String>(3)?, r.get::<_, String>(4)?),
                });
            }
            Ok(())
        })?;
        let mut by_site: HashMap<String, SiteAgg> = HashMap::new();
        if sites {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT i.site, {SITE_AGG_COLUMNS}
                 FROM indicators i JOIN sightings s ON s.indicator_id = i.id
                 WHERE i.site IN (SELECT site FROM indicators WHERE kind = 'url' AND site IS NOT NULL
                                    AND {sub_in_country})
                   AND {VISIBLE}
                 GROUP BY i.site"
            ))?;
            self.with_params(|named| {
                let mut rows = stmt.query(named)?;
                while let Some(r) = rows.next()? {
                    by_site.insert(r.get(0)?, site_agg_row(r, 1)?);
                }
                Ok(())
            })?;
        }
        // The dataset versions, merged into each enrichment here rather than
        // by `json_set` in SQL, which ran once per sighting row.
        let versions: HashMap<i64, String> = {
            let mut stmt = c.prepare_cached("SELECT id, version FROM datasets")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        Ok(BulkContext {
            related,
            sites: by_site,
            versions,
            memo: Memo::default(),
        })
    }
}

impl BulkContext {
    /// The view of one scanned indicator.
    fn view(
        &mut self,
        g: Group,
        now: OffsetDateTime,
        ctx: ReadCtx<'_>,
    ) -> Result<Option<IndicatorView>, StoreError> {
        let value = g.key.split_once(':').map_or("", |(_, v)| v);
        let dataset_version = match g.dataset {
            Some(d) => Some(self.versions.get(&d).cloned().ok_or_else(|| {
                StoreError::Corrupt(format!("indicator {} names unknown dataset {d}", g.id))
            })?),
            None => None,
        };
        let site = match (g.kind, &g.site) {
            (IndicatorKind::Url, Some(name)) => {
                Some(self.sites.get(name).copied().unwrap_or_default())
            }
            _ => None,
        };
        build_view(
            Stored {
                key: &g.key,
                kind: g.kind,
                value,
                flags: g.flags,
                enrichment: g.enrichment,
                dataset_version,
                registrable: g.site,
            },
            g.rows,
            self.related.remove(&g.id).unwrap_or_default(),
            site,
            now,
            ctx,
            &mut self.memo,
        )
    }
}

/// Every view a query matches, ordered by key and cut to its limit.
fn bulk_views(
    c: &Connection,
    query: &IndicatorQuery,
    filter: &SightingFilter,
    now: OffsetDateTime,
    ctx: ReadCtx<'_>,
) -> Result<Vec<IndicatorView>, StoreError> {
    let bulk = Bulk::new(query, filter);
    let mut groups: Vec<Group> = Vec::new();
    bulk.scan(c, &mut |g| {
        if g.active {
            groups.push(g);
        }
        Ok(())
    })?;
    // Ordered by key as Rust orders strings (SQLite's collation may differ).
    groups.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    if let Some(limit) = query.limit {
        groups.truncate(limit);
    }
    let sites = groups
        .iter()
        .any(|g| g.kind == IndicatorKind::Url && g.site.is_some());
    let mut context = bulk.context(c, sites)?;
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        out.extend(context.view(g, now, ctx)?);
    }
    Ok(out)
}

/// Every view a query matches (without its limit), each handed to `each`
/// as soon as its sightings are read: the relationships and site evidence
/// are read first, so that no indicator's rows wait for the others'.
fn each_view(
    c: &Connection,
    query: &IndicatorQuery,
    filter: &SightingFilter,
    now: OffsetDateTime,
    ctx: ReadCtx<'_>,
    each: &mut dyn FnMut(IndicatorView) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let bulk = Bulk::new(query, filter);
    let mut context = bulk.context(c, true)?;
    bulk.scan(c, &mut |g| {
        if !g.active {
            return Ok(());
        }
        match context.view(g, now, ctx)? {
            Some(v) => each(v),
            None => Ok(()),
        }
    })
}

/// Decoded JSON columns remembered across the views of one scan: a feed's
/// sightings carry the same few tag and hint lists, and indicators on one
/// network the same enrichment, so most of a country's columns are texts
/// already decoded. Decoding them was a fifth of a report's instructions;
/// a hash and a copy cost far less. Bounded: emptied when it holds
/// [`Memo::MAX`] texts of a kind (a scan of all-different texts costs one
/// look-up more per column than no memo).
#[derive(Default)]
struct Memo {
    lists: HashMap<String, Vec<String>>,
    enrichments: HashMap<String, pelita_enrich::Enrichment>,
}

impl Memo {
    const MAX: usize = 4_096;

    /// What `then` makes of `json` decoded, from `texts` when it was
    /// decoded before (one hash on a hit: `then` sees the remembered value).
    fn decoded<T: serde::de::DeserializeOwned, R>(
        texts: &mut HashMap<String, T>,
        json: &str,
        then: impl FnOnce(&T) -> R,
    ) -> Result<R, StoreError> {
        if let Some(known) = texts.get(json) {
            return Ok(then(known));
        }
        let decoded: T =
            serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let made = then(&decoded);
        if texts.len() >= Self::MAX {
            texts.clear();
        }
        texts.insert(json.to_owned(), decoded);
        Ok(made)
    }

    /// Adds the strings of the JSON list `json` to `set`.
    fn extend(&mut self, set: &mut BTreeSet<String>, json: &str) -> Result<(), StoreError> {
        Self::decoded(&mut self.lists, json, |list| {
            for t in list {
                if !set.contains(t) {
                    set.insert(t.clone());
                }
            }
        })
    }

    fn enrichment(&mut self, json: &str) -> Result<pelita_enrich::Enrichment, StoreError> {
        Self::decoded(&mut self.enrichments, json, Clone::clone)
    }
}

/// The fused view of one indicator from its visible sightings, relationships
/// and (for a URL) its site's evidence: the one place a view is assembled,
/// for single lookups and bulk reads alike.
fn build_view(
    stored: Stored<'_>,
    rows: Vec<SightingRow>,
    related: BTreeSet<RelatedView>,
    site: Option<SiteAgg>,
    now: OffsetDateTime,
    ctx: ReadCtx<'_>,
    memo: &mut Memo,
) -> Result<Option<IndicatorView>, StoreError> {
    let Stored {
        key,
        kind,
        value,
        flags,
        enrichment,
        dataset_version,
        registrable,
    } = stored;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut decoded = Vec::with_capacity(rows.len());
    for (source, tlp, rel, cred, first, last, count, withdrawn, malware, tags, hints, class) in rows
    {
        decoded.push(Row {
            source,
            tlp: tlp_from_rank(tlp),
            reliability: rel
                .and_then(|s| s.chars().next())
                .and_then(SourceReliability::from_char),
            credibility: cred
                .and_then(|d| u8::try_from(d).ok())
                .and_then(Credibility::from_digit),
            first_seen: from_unix(first)?,
            last_seen: from_unix(last)?,
            count: u64::try_from(count).unwrap_or(1),
            withdrawn,
            malware,
            tags,
            hints,
            class,
        });
    }
    let sightings: Vec<Sighting<'_>> = decoded
        .iter()
        .map(|r| Sighting {
            source: &r.source,
            reliability: r.reliability,
            credibility: r.credibility,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            count: r.count,
            withdrawn: r.withdrawn,
        })
        .collect();
    let Some(mut fused) = fuse(kind, &sightings, now, ctx.policy) else {
        return Ok(None);
    };
    // Kept, but not to be acted on: known-benign values and values that can
    // never be real infrastructure.
    // With a dataset version from `datasets`: set on the stored
    // enrichment, or on an empty one.
    let enrichment: Option<pelita_enrich::Enrichment> = match (enrichment, dataset_version) {
        (Some(j), None) => Some(memo.enrichment(&j)?),
        (None, None) => None,
        (j, Some(version)) => {
            let mut e = memo.enrichment(j.as_deref().unwrap_or("{}"))?;
            e.dataset_version = version;
            Some(e)
        }
    };
    // A URL or e-mail address matched through its host (a top site, a
    // webmail provider) is not benign: attackers abuse and compromise such
    // hosts. For those kinds the match is evidence for the compromised-site
    // rule, not a reason to suppress.
    if !matches!(kind, IndicatorKind::Url | IndicatorKind::Email) {
        for b in enrichment
            .iter()
            .flat_map(|e| &e.benign)
            .filter(|m| !(ctx.synthetic && SPECIAL_USE_LISTS.contains(&m.list.as_str())))
        {
            fused.suppress(Suppression::KnownBenign {
                list: b.name.clone(),
            });
        }
    }
    let mut classes: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &decoded {
        if let Some(c) = &r.class {
            *classes.entry(c).or_insert(0) += r.count;
        }
    }
    let mut classifications: Vec<(&str, u64)> = classes.into_iter().collect();
    classifications.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let classifications: Vec<String> = classifications
        .into_iter()
        .map(|(c, _)| c.to_owned())
        .collect();
    let mut per_source: BTreeMap<&str, SourceView> = BTreeMap::new();
    let (mut malware, mut tags, mut hints) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for r in &decoded {
        let e = per_source.entry(&r.source).or_insert_with(|| SourceView {
            source: r.source.clone(),
            sightings: 0,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            tlp: r.tlp,
            reliability: r.reliability,
            withdrawn: true,
        });
        e.sightings += r.count;
        e.first_seen = e.first_seen.min(r.first_seen);
        e.last_seen = e.last_seen.max(r.last_seen);
        e.tlp = e.tlp.max(r.tlp);
        e.reliability = match (e.reliability, r.reliability) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        e.withdrawn &= r.withdrawn;
        malware.extend(r.malware.iter().cloned());
        for (set, json) in [(&mut tags, &r.tags), (&mut hints, &r.hints)] {
            if let Some(j) = json {
                memo.extend(set, j)?;
            }
        }
    }
    let flags: Flags =
        serde_json::from_str(&flags).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    for f in flags
        .iter()
        .filter(|f| f.is_non_routable() && !(ctx.synthetic && synthetic_stand_in(*f)))
    {
        fused.suppress(Suppression::NonRoutable {
            flag: f.as_str().to_owned(),
        });
    }
    let site = match (site, &registrable) {
        (Some(agg), Some(name)) => Some(site_view(name, agg, &fused, enrichment.as_ref())),
        _ => None,
    };
    Ok(Some(IndicatorView {
        key: key.to_owned(),
        kind,
        value: value.to_owned(),
        flags,
        fused,
        sources: per_source.into_values().collect(),
        malware: malware.into_iter().collect(),
        tags: tags.into_iter().collect(),
        hints: hints.into_iter().collect(),
        related: related.into_iter().collect(),
        enrichment,
        classifications,
        site,
        registrable,
    }))
}

/// The compromised-site rule for a URL, from the visible evidence gathered
/// on its registrable domain.
fn site_view(
    site: &str,
    agg: SiteAgg,
    fused: &pelita_fuse::Fused,
    enrichment: Option<&pelita_enrich::Enrichment>,
) -> crate::SiteView {
    let age = agg
        .first
        .map(|f| (fused.first_seen.unix_timestamp() - f) / 86_400);
    let evidence = pelita_enrich::SiteEvidence {
        host_is_domain: true,
        distinct_paths: u32::try_from(agg.urls).unwrap_or(u32::MAX),
        independent_sources: u32::try_from(agg.sources).unwrap_or(u32::MAX),
        domain_age_days: age,
        public_sector_suffix: enrichment.is_some_and(|e| e.government.is_some()),
        known_benign: enrichment.is_some_and(|e| !e.benign.is_empty()),
        fraud_only: agg.fraud > 0 && agg.other == 0,
    };
    let assessment = pelita_enrich::site_assessment(&evidence);
    crate::SiteView {
        site: site.to_owned(),
        evidence,
        assessment,
    }
}

impl Store for SqliteStore {
    fn enricher(&self) -> Arc<Enricher> {
        Arc::clone(&self.enricher)
    }

    fn begin<'a>(
        &'a mut self,
        meta: &SubmissionMeta,
    ) -> Result<Box<dyn SubmissionSink + 'a>, StoreError> {
        // A read on the bare connection: `for_submission` below sets the
        // pragmas (`get` would turn foreign keys on just to have them off).
        let bulk = is_bulk(self.writer.conn(), meta.size, self.bulk_min_bytes)?;
        // A twin's connections keep the store in WAL mode whatever this
        // handle does; else its own idle readers would.
        let alone = !self.twinned.load(std::sync::atomic::Ordering::Relaxed);
        if bulk
            && alone
            && let Ok(mut idle) = self.readers.lock()
        {
            idle.clear();
        }
        let SqliteStore {
            writer, enricher, ..
        } = self;
        let (conn, rollback_journal) = writer.for_submission(bulk && alone)?;
        let conn: &Connection = conn;
        let tx = Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Deferred)?;
        let now = unix(meta.received_at);
        let org = org_id(&tx, &meta.source, now)?;
        let inserted = tx.execute(
            "INSERT INTO submissions (sha256, org_id, name, size, format, tlp, received_at, operation_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (sha256, org_id) DO NOTHING",
            params![
                meta.sha256,
                org,
                meta.name,
                i64::try_from(meta.size).unwrap_or(i64::MAX),
                meta.format,
                meta.tlp.map(tlp_rank),
                now,
                meta.operation.map(|o| o.0)
            ],
        )?;
        let submission: i64 = tx.query_row(
            "SELECT id FROM submissions WHERE sha256 = ?1 AND org_id = ?2",
            params![meta.sha256, org],
            |r| r.get(0),
        )?;
        for name in meta.recipients.iter().filter(|n| **n != meta.source) {
            let recipient = org_id(&tx, name, now)?;
            tx.execute(
                "INSERT INTO submission_recipients (submission_id, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![submission, recipient],
            )?;
        }
        // The same bytes submitted again to an operation join it (a
        // submission belongs to at most one operation: the first named).
        if let Some(op) = meta.operation {
            tx.execute(
                "UPDATE submissions SET operation_id = ?3 WHERE sha256 = ?1 AND org_id = ?2 AND operation_id IS NULL",
                params![meta.sha256, org, op.0],
            )?;
        }
        let (submission_id, received_at): (i64, i64) = tx.query_row(
            "SELECT id, received_at FROM submissions WHERE sha256 = ?1 AND org_id = ?2",
            params![meta.sha256, org],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (deferred, keys) = if bulk {
            let keys = KeyMap::load(&tx, self.key_map_max)?;
            let mut names = DEFERRABLE_INDEXES.to_vec();
            if keys.is_some() {
                names.push(KHASH_INDEX);
            }
            (defer_indexes(&tx, &names)?, keys)
        } else {
            (Vec::new(), None)
        };
        Ok(Box::new(SqliteSubmission {
            deferred,
            conn,
            rollback_journal,
            tx,
            enricher,
            submission_id,
            org_id: org,
            default_tlp: meta.tlp,
            // A re-ingested submission keeps the dates of its first ingestion.
            received_at,
            new_submission: inserted == 1,
            records: 0,
            sightings_added: 0,
            indicators_added: 0,
            ids: IdCache::default(),
            keys,
            key_map_max: self.key_map_max,
            name: meta.name.clone(),
            datasets: Vec::new(),
        }))
    }

    fn indicator(
        &self,
        key: &str,
        filter: &SightingFilter,
        now: OffsetDateTime,
    ) -> Result<Option<IndicatorView>, StoreError> {
        self.read(|c| view(c, key, filter, now, self.ctx()))
    }

    fn lookup(
        &self,
        input: &str,
        filter: &SightingFilter,
        now: OffsetDateTime,
    ) -> Result<Option<Lookup>, StoreError> {
        let Ok(parsed) = Indicator::parse(input, None, &ParseOptions::default()) else {
            return Ok(None);
        };
        let indicator = parsed.indicator;
        let key = indicator.key();
        self.read(|c| {
            // One read transaction for the handful of statements: one
            // snapshot, and one lock instead of one per statement.
            let c = &Snapshot::begin(c)?;
            let exact = view(c, &key, filter, now, self.ctx())?;
            let mut containing_networks = Vec::new();
            if let Some((lo, hi)) = net_range(&indicator) {
                let mut stmt = c.prepare_cached(
                    "SELECT value FROM indicators WHERE kind = 'cidr' AND net_lo <= ?1 AND net_hi >= ?2 ORDER BY net_lo DESC",
                )?;
                let nets: Vec<String> = stmt.query_map(params![lo.to_vec(), hi.to_vec()], |r| r.get(0))?.collect::<Result<_, _>>()?;
                for net in nets {
                    let net_key = format!("cidr:{net}");
                    if net_key != key {
                        containing_networks.extend(view(c, &net_key, filter, now, self.ctx())?);
                    }
                }
            }
            let mut parent_domains = Vec::new();
            if let Some(d) = indicator.domain() {
                let own = (indicator.kind() != IndicatorKind::Domain).then_some(d.as_str());
                for parent in own.into_iter().chain(d.parents()) {
                    parent_domains.extend(view(c, &format!("domain:{parent}"), filter, now, self.ctx())?);
                }
            }
            Ok(Some(Lookup { key: key.clone(), exact, containing_networks, parent_domains }))
        })
    }

    fn indicators(
        &self,
        query: &IndicatorQuery,
        filter: &SightingFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<IndicatorView>, StoreError> {
        self.read(|c| {
            // One read transaction: every view from the same snapshot (a
            // report's figures agree with each other while partners submit),
            // and one lock instead of one per statement. Dropped at the end
            // (a read-only transaction rolls back).
            let tx = Snapshot::begin(c)?;
            bulk_views(&tx, query, filter, now, self.ctx())
        })
    }

    fn for_each_indicator(
        &self,
        query: &IndicatorQuery,
        filter: &SightingFilter,
        now: OffsetDateTime,
        each: &mut dyn FnMut(IndicatorView) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if query.limit.is_some() {
            // The first by key: every view is needed before any is handed on.
            return crate::hand_on(self.indicators(query, filter, now)?, each);
        }
        self.read(|c| {
            // One snapshot, as for `indicators`.
            let tx = Snapshot::begin(c)?;
            each_view(&tx, query, filter, now, self.ctx(), each)
        })
    }

    fn stats(&self, filter: &SightingFilter) -> Result<Stats, StoreError> {
        self.kept(|c| &mut c.stats, *filter, || self.stats_now(filter))
    }

    fn seen_days(
        &self,
        filter: &SightingFilter,
        since: OffsetDateTime,
    ) -> Result<SeenDays, StoreError> {
        self.kept(
            |c| &mut c.seen_days,
            (*filter, unix(since)),
            || self.seen_days_now(filter, since),
        )
    }

    fn countries(&self, filter: &SightingFilter) -> Result<Vec<String>, StoreError> {
        // The distinct countries come from the country index alone; each is
        // then kept on its first visible sighting, where `stats` would count
        // every sighting of every indicator.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT c.country FROM (SELECT DISTINCT country FROM indicators WHERE country IS NOT NULL) c
                 WHERE EXISTS (SELECT 1 FROM indicators i JOIN sightings s ON s.indicator_id = i.id
                               WHERE i.country = c.country AND {VISIBLE})"
            )
        });
        self.read(|c| {
            let params = FilterParams::of(filter);
            let named = params.named(&[]);
            let mut stmt = c.prepare_cached(&SQL)?;
            let mut out: Vec<String> = stmt
                .query_map(&named[..], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            // In Rust's string order, as `Stats::by_country` (a BTreeMap) has them.
            out.sort_unstable();
            Ok(out)
        })
    }

    fn submissions(&self) -> Result<Vec<SubmissionRow>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.sha256, o.name, s.name, s.format, s.size, s.records, s.errors
                 FROM submissions s JOIN organisations o ON o.id = s.org_id ORDER BY s.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(SubmissionRow {
                    sha256: r.get(0)?,
                    source: r.get(1)?,
                    name: r.get(2)?,
                    format: r.get(3)?,
                    size: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                    records: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                    errors: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn put_operation(&mut self, spec: &OperationSpec) -> Result<OperationId, StoreError> {
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let now = unix(OffsetDateTime::now_utc());
        // One transaction for the operation and its members (IMMEDIATE: it
        // reads before it writes, and another process may be writing).
        let tx = self
            .writer
            .get()?
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO operations (name, title, starts_at, ends_at, countries, orgs, scope, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (name) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
                 ends_at = excluded.ends_at, countries = excluded.countries, orgs = excluded.orgs,
                 scope = excluded.scope",
            params![
                spec.name,
                spec.title,
                spec.starts_at.map(unix),
                spec.ends_at.map(unix),
                json(&spec.countries),
                json(&spec.organisations),
                spec.scope,
                now
            ],
        )?;
        let id: i64 = tx.query_row(
            "SELECT id FROM operations WHERE name = ?1",
            params![spec.name],
            |r| r.get(0),
        )?;
        // The members, for the sharing policy (AMBER within an operation).
        tx.execute(
            "DELETE FROM operation_members WHERE operation_id = ?1",
            params![id],
        )?;
        for name in &spec.organisations {
            let org = org_id(&tx, name, now)?;
            tx.execute(
                "INSERT INTO operation_members (operation_id, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![id, org],
            )?;
        }
        tx.commit()?;
        Ok(OperationId(id))
    }

    fn submission_report(&self, sha256: &str, org: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT COALESCE(s.report, '{}') FROM submissions s JOIN organisations o ON o.id = s.org_id
                 WHERE s.sha256 = ?1 AND o.name = ?2",
            )?
            .query_row(params![sha256, org], |r| r.get(0))
            .optional()?)
        })
    }

    fn org_id(&self, name: &str) -> Result<Option<OrgId>, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT id FROM organisations WHERE name = ?1")?
                    .query_row(params![name], |r| r.get(0))
                    .optional()?
                    .map(OrgId),
            )
        })
    }

    fn operations(&self) -> Result<Vec<Operation>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT o.id, o.name, o.title, o.starts_at, o.ends_at, o.countries, o.orgs, o.scope,
                        (SELECT COUNT(*) FROM submissions s WHERE s.operation_id = o.id)
                 FROM operations o ORDER BY o.name",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, i64>(8)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let list = |j: &str| -> Result<Vec<String>, StoreError> {
                serde_json::from_str(j).map_err(|e| StoreError::Corrupt(e.to_string()))
            };
            rows.into_iter()
                .map(
                    |(id, name, title, starts, ends, countries, orgs, scope, n)| {
                        Ok(Operation {
                            id: OperationId(id),
                            spec: OperationSpec {
                                name,
                                title,
                                starts_at: starts.map(from_unix).transpose()?,
                                ends_at: ends.map(from_unix).transpose()?,
                                countries: list(&countries)?,
                                organisations: list(&orgs)?,
                                scope,
                            },
                            submissions: u64::try_from(n).unwrap_or(0),
                        })
                    },
                )
                .collect()
        })
    }

    fn operation_stats(
        &self,
        operation: OperationId,
        filter: &SightingFilter,
    ) -> Result<OperationStats, StoreError> {
        let filter = filter.in_operation(operation);
        self.read(|c| {
            let params = FilterParams::of(&filter);
            let named = params.named(&[]);
            let mut out = OperationStats::default();
            // Counted by organisation id (no name copied per row, no join:
            // the visibility rule reads only the sighting), named at the end.
            let mut by_org: HashMap<i64, crate::Contribution> = HashMap::new();
            // Per (indicator, organisation): sightings. One pass, grouped in SQL.
            let mut stmt = c.prepare_cached(&format!(
                "SELECT s.indicator_id, s.org_id, COUNT(*) FROM sightings s
                 WHERE {VISIBLE} GROUP BY s.indicator_id, s.org_id ORDER BY s.indicator_id"
            ))?;
            let rows = stmt.query_map(&named[..], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            let mut current: Option<i64> = None;
            let mut orgs: Vec<i64> = Vec::new();
            let flush = |orgs: &mut Vec<i64>,
                         out: &mut OperationStats,
                         by_org: &mut HashMap<i64, crate::Contribution>| {
                if orgs.is_empty() {
                    return;
                }
                out.indicators += 1;
                let n = u64::try_from(orgs.len()).unwrap_or(u64::MAX);
                *out.by_source_count.entry(n).or_insert(0) += 1;
                for org in orgs.iter() {
                    let e = by_org.entry(*org).or_default();
                    e.indicators += 1;
                    if n == 1 {
                        e.unique += 1;
                    }
                }
                orgs.clear();
            };
            for row in rows {
                let (ind, org, n) = row?;
                if current != Some(ind) {
                    flush(&mut orgs, &mut out, &mut by_org);
                    current = Some(ind);
                }
                let n = u64::try_from(n).unwrap_or(0);
                out.sightings += n;
                by_org.entry(org).or_default().sightings += n;
                orgs.push(org);
            }
            flush(&mut orgs, &mut out, &mut by_org);
            // Submissions with a visible sighting (the others are not the reader's to count).
            let mut subs = c.prepare_cached(&format!(
                "SELECT s.org_id, COUNT(DISTINCT s.submission_id) FROM sightings s
                 WHERE {VISIBLE} GROUP BY s.org_id"
            ))?;
            for row in subs.query_map(&named[..], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })? {
                let (org, n) = row?;
                by_org.entry(org).or_default().submissions = u64::try_from(n).unwrap_or(0);
            }
            let mut names = c.prepare_cached("SELECT id, name FROM organisations")?;
            for row in names.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
                let (id, name) = row?;
                if let Some(counts) = by_org.remove(&id) {
                    out.by_source.insert(name, counts);
                }
            }
            if !by_org.is_empty() {
                return Err(StoreError::Corrupt(format!(
                    "{} organisation ids of sightings are not in organisations",
                    by_org.len()
                )));
            }
            Ok(out)
        })
    }

    fn set_action_status(
        &mut self,
        operation: OperationId,
        action_id: &str,
        state: &ActionState,
    ) -> Result<(), StoreError> {
        self.writer.get()?.execute(
            "INSERT INTO actions (operation_id, action_id, status, note, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (operation_id, action_id) DO UPDATE SET status = excluded.status,
                 note = excluded.note, updated_at = excluded.updated_at",
            params![
                operation.0,
                action_id,
                state.status.as_str(),
                state.note,
                unix(state.updated_at)
            ],
        )?;
        Ok(())
    }

    fn action_states(
        &self,
        operation: OperationId,
    ) -> Result<BTreeMap<String, ActionState>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT action_id, status, note, updated_at FROM actions WHERE operation_id = ?1",
            )?;
            let rows = stmt
                .query_map(params![operation.0], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut out = BTreeMap::new();
            for (id, status, note, at) in rows {
                let status = status
                    .parse::<ActionStatus>()
                    .map_err(StoreError::Corrupt)?;
                out.insert(
                    id,
                    ActionState {
                        status,
                        note,
                        updated_at: from_unix(at)?,
                    },
                );
            }
            Ok(out)
        })
    }

    fn mark_synthetic(&mut self) -> Result<(), StoreError> {
        self.writer.get()?.execute(
            "INSERT INTO settings (key, value) VALUES ('synthetic', '1')
             ON CONFLICT (key) DO UPDATE SET value = '1'",
            [],
        )?;
        self.synthetic = true;
        Ok(())
    }

    fn is_synthetic(&self) -> Result<bool, StoreError> {
        self.read(read_synthetic)
    }

    fn put_organisation(
        &mut self,
        name: &str,
        role: pelita_auth::Role,
    ) -> Result<OrgId, StoreError> {
        let now = unix(OffsetDateTime::now_utc());
        self.writer.get()?.execute(
            "INSERT INTO organisations (name, created_at, role) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET role = excluded.role",
            params![name, now, role.as_str()],
        )?;
        Ok(OrgId(self.writer.get()?.query_row(
            "SELECT id FROM organisations WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )?))
    }

    fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT id, name, role FROM organisations ORDER BY name")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(id, name, role)| {
                    Ok(Organisation {
                        id: OrgId(id),
                        name,
                        role: role.parse().map_err(|e: pelita_auth::ParseRoleError| {
                            StoreError::Corrupt(e.to_string())
                        })?,
                    })
                })
                .collect()
        })
    }

    fn put_token(&mut self, token: &TokenRow) -> Result<(), StoreError> {
        let org: Option<i64> = self
            .writer
            .get()?
            .query_row(
                "SELECT id FROM organisations WHERE name = ?1",
                params![token.grant.org],
                |r| r.get(0),
            )
            .optional()?;
        let org = org
            .ok_or_else(|| StoreError::Corrupt(format!("no organisation {:?}", token.grant.org)))?;
        let scopes: Vec<&str> = token.grant.scopes.iter().map(|s| s.as_str()).collect();
        self.writer.get()?.execute(
            "INSERT INTO tokens (id, org_id, name, hash, scopes, max_tlp, expires_at, created_at, revoked)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                token.id,
                org,
                token.name,
                token.hash,
                serde_json::to_string(&scopes).unwrap_or_else(|_| "[]".into()),
                token.grant.max_tlp.map(tlp_rank),
                token.grant.expires_at.map(unix),
                unix(token.created_at),
                token.grant.revoked
            ],
        )?;
        Ok(())
    }

    fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError> {
        Ok(self.read(|c| token_rows(c, Some(id)))?.into_iter().next())
    }

    fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        self.read(|c| token_rows(c, None))
    }

    fn revoke_token(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .writer
            .get()?
            .execute("UPDATE tokens SET revoked = 1 WHERE id = ?1", params![id])?
            > 0)
    }

    fn put_user(&mut self, user: &UserRow) -> Result<(), StoreError> {
        let conn = self.writer.get()?;
        let org: Option<i64> = conn
            .query_row(
                "SELECT id FROM organisations WHERE name = ?1",
                params![user.org],
                |r| r.get(0),
            )
            .optional()?;
        let org =
            org.ok_or_else(|| StoreError::Corrupt(format!("no organisation {:?}", user.org)))?;
        conn.execute(
            "INSERT INTO users (name, org_id, hash, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user.name, org, user.hash, unix(user.created_at), user.disabled],
        )?;
        Ok(())
    }

    fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self.read(|c| user_rows(c, Some(name)))?.into_iter().next())
    }

    fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        self.read(|c| user_rows(c, None))
    }

    fn set_user_disabled(&mut self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        let tx = self.writer.get()?.transaction()?;
        let n = tx.execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled],
        )?;
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", params![name])?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    fn put_session(&mut self, session: &SessionRow) -> Result<(), StoreError> {
        self.writer.get()?.execute(
            "INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                session.id_hash,
                session.user,
                session.csrf,
                unix(session.created_at),
                unix(session.expires_at),
                unix(session.last_seen)
            ],
        )?;
        Ok(())
    }

    fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        self.read(|c| {
            let row = c
                .prepare_cached(
                    "SELECT id_hash, user_name, csrf, created_at, expires_at, last_seen
                     FROM sessions WHERE id_hash = ?1",
                )?
                .query_row(params![id_hash], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })
                .optional()?;
            row.map(|(id_hash, user, csrf, created, expires, seen)| {
                Ok(SessionRow {
                    id_hash,
                    user,
                    csrf,
                    created_at: from_unix(created)?,
                    expires_at: from_unix(expires)?,
                    last_seen: from_unix(seen)?,
                })
            })
            .transpose()
        })
    }

    fn touch_session(&mut self, id_hash: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(self.writer.get()?.execute(
            "UPDATE sessions SET last_seen = max(last_seen, ?2) WHERE id_hash = ?1",
            params![id_hash, unix(at)],
        )? > 0)
    }

    fn delete_session(&mut self, id_hash: &str) -> Result<bool, StoreError> {
        Ok(self
            .writer
            .get()?
            .execute("DELETE FROM sessions WHERE id_hash = ?1", params![id_hash])?
            > 0)
    }

    fn delete_expired_sessions(
        &mut self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let n = self.writer.get()?.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen <= ?2",
            params![unix(now), unix(idle_before)],
        )?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn audit_append_all(
        &mut self,
        entries: Vec<AuditEntry>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        // IMMEDIATE: the head is read under the write lock. A deferred
        // transaction that read the head while another handle appended
        // (the CLI beside a running server) could not then write: busy,
        // and the server would fail closed.
        let tx = self
            .audit
            .get()?
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (mut seq, mut prev) = match audit_head(&tx)? {
            Some((seq, hash)) => (seq, hash),
            None => (0, crate::audit::GENESIS.to_owned()),
        };
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            seq += 1;
            let hash = crate::audit::entry_hash(&prev, seq, &entry);
            insert_audit(&tx, seq, &entry, &prev, &hash)?;
            out.push(AuditRecord {
                seq,
                entry,
                prev: std::mem::replace(&mut prev, hash.clone()),
                hash,
            });
        }
        if !out.is_empty() {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('audit_head', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![format!("{seq} {prev}")],
            )?;
        }
        tx.commit()?;
        Ok(out)
    }

    fn audit_entries(&self, from: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_read(|c| audit_records(c, from, limit))
    }

    fn audit_verify(&self) -> Result<AuditVerdict, StoreError> {
        self.audit_read(|c| {
            let tx = c.unchecked_transaction()?;
            let head = audit_head(&tx)?;
            let records = audit_records(&tx, i64::MIN, usize::MAX)?;
            Ok(crate::audit::verify_chain(
                &records,
                head.as_ref().map(|(s, h)| (*s, h.as_str())),
            ))
        })
    }

    fn check(&self) -> Result<Integrity, StoreError> {
        self.read(|c| {
            let engine: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            let mut problems = Vec::new();
            let mut fk = c.prepare("PRAGMA foreign_key_check")?;
            let mut rows = fk.query([])?;
            while let Some(row) = rows.next()? {
                let table: String = row.get(0)?;
                let rowid: Option<i64> = row.get(1)?;
                let parent: String = row.get(2)?;
                problems.push(format!("{table} row {rowid:?} refers to a missing {parent} row"));
            }
            let mut miscount = c.prepare(
                "SELECT s.sha256, s.sightings, (SELECT COUNT(*) FROM sightings x WHERE x.submission_id = s.id)
                 FROM submissions s WHERE s.sightings != (SELECT COUNT(*) FROM sightings x WHERE x.submission_id = s.id)",
            )?;
            let mut rows = miscount.query([])?;
            while let Some(row) = rows.next()? {
                let (sha, stored, actual): (String, i64, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
                problems.push(format!("submission {sha} acknowledged {stored} sightings but {actual} are stored"));
            }
            let orphans: i64 = c.query_row(
                "SELECT COUNT(*) FROM indicators i WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.indicator_id = i.id)
                   AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.src = i.id OR r.dst = i.id)",
                [],
                |r| r.get(0),
            )?;
            if orphans > 0 {
                problems.push(format!("{orphans} indicators have neither sightings nor relationships"));
            }
            Ok(Integrity { engine, problems })
        })
    }

    fn receipts(
        &self,
        filter: &SightingFilter,
        marking: Option<Tlp>,
    ) -> Result<Vec<crate::Receipt>, StoreError> {
        self.read(|c| receipts(c, filter, marking))
    }

    fn data_version(&self) -> Result<u64, StoreError> {
        let mut guard = self
            .versions
            .lock()
            .map_err(|_| StoreError::Corrupt("the version connection's lock is poisoned".into()))?;
        let conn = match &mut *guard {
            Some(c) => c,
            empty => {
                let c = Connection::open(&self.path)?;
                configure(&c)?;
                empty.insert(c)
            }
        };
        let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(u64::try_from(version).unwrap_or_default())
    }

    fn receipts_from(
        &self,
        filter: &SightingFilter,
        marking: Option<Tlp>,
        from: OffsetDateTime,
        at_least: usize,
        each: &mut dyn FnMut(crate::Receipt) -> Result<(), StoreError>,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        self.read(|c| {
            let c = Snapshot::begin(c)?;
            receipts_from(&c, filter, marking, from.unix_timestamp(), at_least, each)
        })
    }
}

/// [`Store::receipts`]: one scan of the visible sightings with their
/// submissions' receipt times, grouped by indicator.
fn receipts(
    c: &Connection,
    filter: &SightingFilter,
    marking: Option<Tlp>,
) -> Result<Vec<crate::Receipt>, StoreError> {
    let params = FilterParams::of(filter);
    let marking = marking.map(tlp_rank);
    let mut stmt = c.prepare_cached(&format!(
        "SELECT i.kind, i.value, MIN(sb.received_at), MAX(sb.received_at)
         FROM sightings s JOIN indicators i ON i.id = s.indicator_id
           JOIN submissions sb ON sb.id = s.submission_id
         WHERE {VISIBLE}
         GROUP BY s.indicator_id
         HAVING :marking IS NULL OR SUM(COALESCE(s.tlp, :unmarked) = :marking) > 0"
    ))?;
    let rows = stmt.query_map(
        &params.named(&[(":marking", &marking as &dyn rusqlite::ToSql)])[..],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, value, first, last) = row?;
        out.push(crate::Receipt {
            key: format!("{kind}:{value}"),
            first_received: from_unix(first)?,
            last_received: from_unix(last)?,
        });
    }
    // Ordered by key as Rust orders strings.
    out.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// [`Store::receipts_from`]: the receipt times from `from` on, one group
/// at a time. A group's candidates are the indicators with a visible
/// sighting in a submission received at that time (found through the
/// submissions, then `sightings_submission`); each is kept when no visible
/// sighting of it was received later (its others are read through the
/// unique index, of which `indicator_id` is the prefix). A group holding
/// most of the store's sightings (a store loaded at once, the demo's) is
/// read in one pass over every visible sighting instead, as
/// [`Store::receipts`] does: the candidate set would be most of the store.
fn receipts_from(
    c: &Connection,
    filter: &SightingFilter,
    marking: Option<Tlp>,
    from: i64,
    at_least: usize,
    each: &mut dyn FnMut(crate::Receipt) -> Result<(), StoreError>,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let params = FilterParams::of(filter);
    let marking = marking.map(tlp_rank);
    let total: i64 = c
        .prepare_cached("SELECT COALESCE(SUM(sightings), 0) FROM submissions")?
        .query_row([], |r| r.get(0))?;
    let mut times = c.prepare_cached(
        "SELECT received_at, SUM(sightings) FROM submissions WHERE received_at >= ?1
         GROUP BY received_at ORDER BY received_at",
    )?;
    let select = "SELECT i.kind, i.value, MIN(sb.received_at)
         FROM sightings s JOIN indicators i ON i.id = s.indicator_id
           JOIN submissions sb ON sb.id = s.submission_id";
    let having = "GROUP BY s.indicator_id
         HAVING MAX(sb.received_at) = :at
            AND (:marking IS NULL OR SUM(COALESCE(s.tlp, :unmarked) = :marking) > 0)";
    let mut candidates = c.prepare_cached(&format!(
        "{select}
         WHERE s.indicator_id IN (
             SELECT s.indicator_id FROM submissions sb
               JOIN sightings s ON s.submission_id = sb.id
             WHERE sb.received_at = :at AND {VISIBLE})
           AND {VISIBLE}
         {having}"
    ))?;
    let mut everything = c.prepare_cached(&format!("{select} WHERE {VISIBLE} {having}"))?;
    let mut handed = 0usize;
    let mut rows = times.query([from])?;
    while let Some(row) = rows.next()? {
        let at: i64 = row.get(0)?;
        if handed >= at_least {
            return Ok(Some(from_unix(at)?));
        }
        let in_group: i64 = row.get(1)?;
        let stmt = if in_group.saturating_mul(2) > total {
            &mut everything
        } else {
            &mut candidates
        };
        let last_received = from_unix(at)?;
        let mut found = stmt.query(
            &params.named(&[(":at", &at as &dyn rusqlite::ToSql), (":marking", &marking)])[..],
        )?;
        while let Some(r) = found.next()? {
            let text = |i: usize| -> Result<&str, StoreError> {
                r.get_ref(i)?
                    .as_str()
                    .map_err(|e| StoreError::Corrupt(format!("an indicator's key: {e}")))
            };
            let (kind, value) = (text(0)?, text(1)?);
            let mut key = String::with_capacity(kind.len() + 1 + value.len());
            key.push_str(kind);
            key.push(':');
            key.push_str(value);
            each(crate::Receipt {
                key,
                first_received: from_unix(r.get(2)?)?,
                last_received,
            })?;
            handed += 1;
        }
    }
    Ok(None)
}

/// Latest schema version (for `pelita` diagnostics).
pub fn schema_version() -> i64 {
    schema::latest()
}

/// The server shares one store between request threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<SqliteStore>();
};

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rusqlite::Connection;

    use std::collections::BTreeMap;

    use pelita_model::Tlp;

    use super::{
        DEFERRABLE_INDEXES, FilterParams, Memo, SqliteStore, VISIBLE, defer_indexes, is_bulk,
        tlp_from_rank,
    };
    use crate::conformance::{meta, now, record, submit};
    use crate::{SightingFilter, Stats, Store, StoreError};

    /// `stats` as it was: one SQL aggregate per figure (the reference the
    /// one-pass tally is held to), and the highest marking by `MAX`.
    fn stats_by_queries(store: &SqliteStore, filter: &SightingFilter) -> Result<Stats, StoreError> {
        store.read(|c| {
            let params = FilterParams::of(filter);
            let named = params.named(&[]);
            let count = |sql: &str| -> Result<u64, StoreError> {
                let n: i64 = c.prepare_cached(sql)?.query_row(&named[..], |r| r.get(0))?;
                Ok(u64::try_from(n).unwrap_or(0))
            };
            let grouped = |sql: &str| -> Result<BTreeMap<String, u64>, StoreError> {
                let mut stmt = c.prepare_cached(sql)?;
                let rows = stmt.query_map(&named[..], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
                let mut out = BTreeMap::new();
                for row in rows {
                    let (k, n) = row?;
                    out.insert(k, u64::try_from(n).unwrap_or(0));
                }
                Ok(out)
            };
            let by_kind = grouped(&format!(
                "SELECT i.kind, COUNT(DISTINCT i.id) FROM indicators i JOIN sightings s ON s.indicator_id = i.id
                 WHERE {VISIBLE} GROUP BY i.kind"
            ))?;
            let by_source = grouped(&format!(
                "SELECT o.name, COUNT(DISTINCT s.indicator_id) FROM sightings s JOIN organisations o ON o.id = s.org_id
                 WHERE {VISIBLE} GROUP BY o.name"
            ))?;
            Ok(Stats {
                indicators: by_kind.values().sum(),
                sightings: count(&format!("SELECT COUNT(*) FROM sightings s WHERE {VISIBLE}"))?,
                submissions: count(&format!("SELECT COUNT(DISTINCT s.submission_id) FROM sightings s WHERE {VISIBLE}"))?,
                sources: u64::try_from(by_source.len()).unwrap_or(0),
                withdrawn: count(&format!(
                    "SELECT COUNT(*) FROM (SELECT s.indicator_id FROM sightings s WHERE {VISIBLE}
                     GROUP BY s.indicator_id HAVING MIN(s.withdrawn) = 1)"
                ))?,
                by_country: grouped(&format!(
                    "SELECT i.country, COUNT(DISTINCT i.id) FROM indicators i JOIN sightings s ON s.indicator_id = i.id
                     WHERE {VISIBLE} AND i.country IS NOT NULL GROUP BY i.country"
                ))?,
                by_asn: grouped(&format!(
                    "SELECT 'AS' || i.asn || COALESCE(' ' || json_extract(i.enrichment, '$.as_name'), ''), COUNT(DISTINCT i.id)
                     FROM indicators i JOIN sightings s ON s.indicator_id = i.id
                     WHERE {VISIBLE} AND i.asn IS NOT NULL GROUP BY i.asn"
                ))?,
                by_class: grouped(&format!(
                    "SELECT s.class || '/' || s.rsit_type, COUNT(DISTINCT s.indicator_id) FROM sightings s
                     WHERE {VISIBLE} AND s.class IS NOT NULL GROUP BY s.class, s.rsit_type"
                ))?,
                by_kind,
                by_source,
                marking: {
                    let top: Option<i64> = c
                        .prepare(&format!("SELECT MAX(COALESCE(s.tlp, :unmarked)) FROM sightings s WHERE {VISIBLE}"))?
                        .query_row(&named[..], |r| r.get(0))?;
                    tlp_from_rank(top).filter(|t| *t != Tlp::Clear)
                },
            })
        })
    }

    /// Kept counts are answered only while nothing was committed: a
    /// submission through another handle or another process's connection
    /// shows in the next `stats` and `seen_days`.
    #[test]
    fn kept_counts_never_outlive_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let mut writer = SqliteStore::open(&path).unwrap();
        let reader = writer.twin().unwrap();
        let all = SightingFilter::everything();
        let since = now() - time::Duration::days(30);
        let mut want = 0;
        for (n, value) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
            .iter()
            .enumerate()
        {
            submit(
                &mut writer,
                &meta(&format!("k{n}"), "cert-a", None, 0),
                vec![record(value, 1, None, 1).unwrap()],
            )
            .unwrap();
            want += 1;
            for _ in 0..2 {
                assert_eq!(reader.stats(&all).unwrap().indicators, want);
                assert_eq!(reader.seen_days(&all, since).unwrap().indicators, want);
            }
        }
        // Another process's commit, through a connection of its own.
        Connection::open(&path)
            .unwrap()
            .execute("UPDATE sightings SET withdrawn = 1", [])
            .unwrap();
        assert_eq!(reader.stats(&all).unwrap().withdrawn, 3);
    }

    /// The one-pass `stats` equals the per-figure SQL it replaced, for every
    /// reader, ceiling and operation scope of random sharing scenarios, with
    /// sightings withdrawn and classified and indicators placed by ASN and
    /// country at random.
    #[test]
    fn one_pass_stats_equal_the_sql_aggregates() {
        use pelita_test_support::SplitMix64;

        use crate::scenario::{ORGS, Scenario, prepare};
        use crate::{OperationId, OrgId, Reader};
        let dir = tempfile::tempdir().unwrap();
        let mut rng = SplitMix64(20261206);
        let mut compared = 0;
        for n in 0..40 {
            let mut store = SqliteStore::open(&dir.path().join(format!("s{n}.db"))).unwrap();
            prepare(&mut store).unwrap();
            Scenario::random(&mut || rng.next_u64())
                .fill(&mut store, &|_, _| true)
                .unwrap();
            let salt = rng.next_u64() % 7;
            Connection::open(dir.path().join(format!("s{n}.db")))
                .unwrap()
                .execute_batch(&format!(
                        "UPDATE sightings SET withdrawn = ((id + {salt}) % 3 = 0),
                           class = CASE (id + {salt}) % 4 WHEN 0 THEN NULL WHEN 1 THEN 'fraud' ELSE 'malicious-code' END,
                           rsit_type = CASE (id + {salt}) % 4 WHEN 0 THEN NULL WHEN 1 THEN 'phishing'
                                       WHEN 2 THEN 'c2-server' ELSE 'infected-system' END;
                         UPDATE indicators SET asn = CASE (id + {salt}) % 3 WHEN 0 THEN NULL ELSE 64500 + id % 2 END,
                           country = CASE (id + {salt}) % 5 WHEN 0 THEN NULL WHEN 1 THEN 'MY' ELSE 'SG' END,
                           enrichment = json_object('as_name', 'Net ' || (id % 2));"
                ))
                .unwrap();
            let mut readers = vec![Reader::Operator, Reader::Anonymous];
            for (i, org) in ORGS.iter().enumerate() {
                readers.push(Reader::Member(
                    store
                        .org_id(org)
                        .unwrap()
                        .unwrap_or(OrgId(1_000 + i64::try_from(i).unwrap())),
                ));
            }
            for reader in readers {
                for ceiling in [
                    Tlp::Clear,
                    Tlp::Green,
                    Tlp::Amber,
                    Tlp::AmberStrict,
                    Tlp::Red,
                ] {
                    let base = SightingFilter {
                        reader,
                        ..SightingFilter::everything()
                    }
                    .at_most(ceiling);
                    for filter in [
                        base,
                        base.in_operation(OperationId(1)),
                        base.in_operation(OperationId(2)),
                    ] {
                        let want = stats_by_queries(&store, &filter).unwrap();
                        assert_eq!(store.stats(&filter).unwrap(), want, "store {n}, {filter:?}");
                        compared += usize::from(want.sightings > 0);
                    }
                }
            }
        }
        assert!(compared > 200, "only {compared} comparisons saw anything");
    }

    fn indexes(c: &Connection) -> Vec<(String, String)> {
        c.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A store of an older Pelita (4 KiB pages) is rewritten with 16 KiB
    /// pages, everything in it kept; not while another connection has it.
    #[test]
    fn compact_rewrites_an_old_store_with_larger_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("PRAGMA page_size = 4096; CREATE TABLE old (x); DROP TABLE old;")
                .unwrap();
        }
        let mut store = SqliteStore::open(&path).unwrap();
        let records = (1..=200)
            .map(|k| record(&format!("198.51.100.{}", k % 250), k, None, 1).unwrap())
            .collect();
        submit(&mut store, &meta("a", "cert-a", None, 1), records).unwrap();
        let all = SightingFilter::everything();
        let before = store.stats(&all).unwrap();

        let other = Connection::open(&path).unwrap();
        other
            .query_row("SELECT COUNT(*) FROM indicators", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap();
        let busy = store.compact();
        assert!(matches!(busy, Err(StoreError::Busy(_))), "{busy:?}");
        drop(other);

        let done = store.compact().unwrap();
        assert_eq!(
            (done.page_size_before, done.page_size),
            (4096, 16_384),
            "{done:?}"
        );
        assert_eq!(store.stats(&all).unwrap(), before);
        assert!(store.check().unwrap().is_ok());
        let mode: String = Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        // And the store takes submissions as before.
        submit(
            &mut store,
            &meta("b", "cert-a", None, 1),
            vec![record("203.0.113.5", 1, None, 1).unwrap()],
        )
        .unwrap();
        assert_eq!(
            store.stats(&all).unwrap().submissions,
            before.submissions + 1
        );
    }

    /// Two processes opening a new store at the same moment (`pelita serve`
    /// and `pelita ingest` on a fresh data directory): both open it, and
    /// the schema is created once.
    #[test]
    fn a_new_store_opened_twice_at_once_is_migrated_once() {
        for round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("pelita.db");
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || SqliteStore::open(&path).map(drop))
                })
                .collect();
            for t in threads {
                let opened = t.join().unwrap();
                assert!(opened.is_ok(), "round {round}: {opened:?}");
            }
            let store = SqliteStore::open(&path).unwrap();
            assert!(store.check().unwrap().is_ok(), "round {round}");
        }
    }

    /// Runs `each` on two more handles of `first`'s store at once, on two
    /// threads (numbered 0 and 1), and waits for both.
    fn on_two_handles(first: &SqliteStore, each: fn(usize, &mut SqliteStore)) {
        let threads: Vec<_> = (0..2)
            .map(|n| {
                let mut store = first.twin().unwrap();
                std::thread::spawn(move || each(n, &mut store))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    /// Two handles (the server's audit thread and its writer, or `pelita
    /// token` beside a running server) appending at once: every append
    /// succeeds and the chain stays whole.
    #[test]
    fn concurrent_audit_appends_keep_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let first = SqliteStore::open(&path).unwrap();
        on_two_handles(&first, |n, store| {
            for i in 0..150 {
                let entry = crate::AuditEntry {
                    at: now(),
                    org: format!("org-{n}"),
                    token: "-".into(),
                    action: "read".into(),
                    detail: format!("{i}"),
                    result_size: 1,
                };
                store.audit_append_all(vec![entry.clone(), entry]).unwrap();
            }
        });
        let verdict = first.audit_verify().unwrap();
        assert!(verdict.is_ok(), "{verdict:?}");
        assert_eq!(verdict.entries, 600);
    }

    /// Two handles (`pelita ingest` beside a running server) submitting
    /// and creating operations at once: each write waits for the other's,
    /// none fails as busy.
    #[test]
    fn concurrent_submissions_from_two_handles_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let first = SqliteStore::open(&path).unwrap();
        on_two_handles(&first, |n, store| {
            for i in 0..25 {
                let records = (1..=20)
                    .map(|k| record(&format!("198.51.{n}.{k}"), k, None, 1).unwrap())
                    .collect();
                submit(
                    store,
                    &meta(&format!("{n}x{i}"), "cert-a", None, 1),
                    records,
                )
                .unwrap();
                if n == 1 {
                    store
                        .put_operation(&crate::OperationSpec {
                            name: format!("op-{i}"),
                            title: "An operation".into(),
                            starts_at: None,
                            ends_at: None,
                            countries: vec!["SG".into()],
                            organisations: vec!["cert-a".into(), "firm-b".into()],
                            scope: "test".into(),
                        })
                        .unwrap();
                }
            }
        });
        let stats = first.stats(&SightingFilter::everything()).unwrap();
        assert_eq!(stats.submissions, 50, "{stats:?}");
        assert_eq!(first.operations().unwrap().len(), 25);
        assert!(first.check().unwrap().is_ok());
    }

    /// A commit through another handle (the server reads through one and
    /// writes through its twin) or another process moves the version.
    #[test]
    fn the_data_version_sees_other_handles_and_processes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let reader = SqliteStore::open(&path).unwrap();
        let mut writer = reader.twin().unwrap();
        let v0 = reader.data_version().unwrap();
        submit(
            &mut writer,
            &meta("a", "cert-a", None, 1),
            vec![record("198.51.100.1", 1, None, 1).unwrap()],
        )
        .unwrap();
        let v1 = reader.data_version().unwrap();
        assert_ne!(v0, v1, "the twin's commit");
        let other = Connection::open(&path).unwrap();
        other
            .execute("UPDATE organisations SET name = name", [])
            .unwrap();
        assert_ne!(
            reader.data_version().unwrap(),
            v1,
            "another connection's commit"
        );
    }

    /// Only a large submission into a store it would at least double is a
    /// bulk load, which drops the deferrable indexes inside its transaction.
    #[test]
    fn only_a_bulk_load_defers_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        drop(SqliteStore::open(&path).unwrap());
        let mut c = Connection::open(&path).unwrap();
        let all = indexes(&c);
        let bulk = |c: &Connection, size: u64| is_bulk(c, size, super::BULK_MIN_BYTES).unwrap();
        assert!(!bulk(&c, 1 << 20), "small");
        assert!(bulk(&c, 64 << 20), "large, into an empty store");
        assert!(is_bulk(&c, 1, 0).unwrap(), "min 0: always");
        let tx = c.transaction().unwrap();
        let rebuild = defer_indexes(&tx, &DEFERRABLE_INDEXES).unwrap();
        assert_eq!(rebuild.len(), DEFERRABLE_INDEXES.len());
        let left = indexes(&tx);
        assert_eq!(left.len(), all.len() - DEFERRABLE_INDEXES.len());
        assert!(
            left.iter()
                .all(|(n, _)| !DEFERRABLE_INDEXES.contains(&n.as_str()))
        );
        drop(tx); // rolled back: every index is there again
        assert_eq!(indexes(&c), all);
        // A store already holding more rows than the submission could add
        // keeps its indexes.
        c.execute_batch(
            "INSERT INTO indicators (id, khash, kind, value) VALUES (2000000, 1, 'domain', 'example.com')",
        )
        .unwrap();
        assert!(!bulk(&c, 64 << 20), "large store");
    }

    fn journal_mode(path: &std::path::Path) -> String {
        // Byte 18 of the header: 2 for WAL, 1 for a rollback journal.
        let header = std::fs::read(path).unwrap();
        match header.get(18) {
            Some(2) => "wal".into(),
            Some(1) => "rollback".into(),
            other => format!("{other:?}"),
        }
    }

    /// A bulk load into a store no one else has open writes with a
    /// rollback journal and leaves the store in WAL mode; with another
    /// connection open it stays in WAL mode throughout; a process opening
    /// the store during the load waits for its commit.
    #[test]
    fn a_bulk_load_uses_a_rollback_journal_only_when_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let mut store = SqliteStore::open(&path).unwrap();
        store.set_bulk_min_bytes(0);

        let mut sink = store.begin(&meta("alone", "cert-a", None, 0)).unwrap();
        assert_eq!(journal_mode(&path), "rollback");
        sink.record(record("198.51.100.1", 1, None, 0).unwrap())
            .unwrap();
        let opener = {
            let path = path.clone();
            std::thread::spawn(move || {
                let twin = SqliteStore::open(&path)?;
                twin.stats(&SightingFilter::everything())
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!opener.is_finished(), "an open waits for the bulk load");
        sink.commit(&crate::SubmissionOutcome::default()).unwrap();
        assert_eq!(journal_mode(&path), "wal");
        let stats = opener.join().unwrap().unwrap();
        assert_eq!(stats.indicators, 1, "the opener read the committed load");

        // Another connection open: the bulk load stays in WAL mode.
        let other = Connection::open(&path).unwrap();
        let _: i64 = other
            .query_row("SELECT COUNT(*) FROM indicators", [], |r| r.get(0))
            .unwrap();
        let more = vec![record("198.51.100.2", 1, None, 0).unwrap()];
        let sink = store.begin(&meta("shared", "cert-a", None, 0)).unwrap();
        assert_eq!(journal_mode(&path), "wal");
        drop(sink);
        submit(&mut store, &meta("shared", "cert-a", None, 0), more).unwrap();
        assert_eq!(journal_mode(&path), "wal");
        let integrity = store.check().unwrap();
        assert!(integrity.is_ok(), "{integrity:?}");
        drop(other);

        // A handle with a twin (the server's) keeps WAL and its warm idle
        // readers: it does not try.
        let twin = store.twin().unwrap();
        store.stats(&SightingFilter::everything()).unwrap();
        let idle = store.readers.lock().unwrap().len();
        assert!(idle > 0, "a read leaves an idle reader");
        let sink = store.begin(&meta("twinned", "cert-a", None, 0)).unwrap();
        assert_eq!(journal_mode(&path), "wal");
        drop(sink);
        assert_eq!(
            store.readers.lock().unwrap().len(),
            idle,
            "idle readers kept"
        );
        drop(twin);
    }

    /// A bulk submission answers as an ordinary one does, and leaves the
    /// same indexes behind.
    #[test]
    fn a_bulk_submission_answers_as_an_ordinary_one() {
        let dir = tempfile::tempdir().unwrap();
        let values = [
            "198.51.100.1",
            "http://portal.gov.example/login",
            "portal.gov.example",
            "192.0.2.0/24",
            "bad@example.net",
        ];
        let records: Vec<_> = values
            .iter()
            .zip(1..)
            .map(|(v, line)| record(v, line, None, 0).unwrap())
            .collect();
        let mut stores = Vec::new();
        for (name, size) in [("bulk.db", 64 << 20), ("ordinary.db", 100)] {
            let path = dir.path().join(name);
            let mut store = SqliteStore::open(&path).unwrap();
            let mut m = meta("bulk", "cert-a", None, 0);
            m.size = size;
            submit(&mut store, &m, records.clone()).unwrap();
            let integrity = store.check().unwrap();
            assert!(integrity.is_ok(), "{name}: {integrity:?}");
            stores.push((store, Connection::open(&path).unwrap()));
        }
        let [(bulk, bulk_c), (ordinary, ordinary_c)] = &stores[..] else {
            panic!("two stores")
        };
        assert_eq!(indexes(bulk_c), indexes(ordinary_c));
        let everything = SightingFilter::everything();
        for r in &records {
            let a = bulk.indicator(&r.key, &everything, now()).unwrap();
            assert!(a.is_some(), "{}", r.key);
            assert_eq!(a, ordinary.indicator(&r.key, &everything, now()).unwrap());
        }
    }

    /// A bulk load finds stored indicators through its key map, and tells
    /// apart keys that share a key hash: a stored row of another key with
    /// the same hash is never taken for the record's, before or after the
    /// record's own row exists.
    #[test]
    fn a_bulk_load_tells_apart_keys_of_one_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let mut store = SqliteStore::open(&path).unwrap();
        store.set_bulk_min_bytes(0);
        let c = Connection::open(&path).unwrap();
        let shared = crate::prepare::key_hash("ipv4:198.51.100.1");
        c.execute(
            "INSERT INTO indicators (khash, kind, value) VALUES (?1, 'domain', 'collides.example')",
            [shared],
        )
        .unwrap();
        c.execute(
            "INSERT INTO indicators (khash, kind, value) VALUES (?1, 'ipv4', '192.0.2.9')",
            [crate::prepare::key_hash("ipv4:192.0.2.9")],
        )
        .unwrap();
        let records = |lines: std::ops::Range<u64>| -> Vec<_> {
            lines
                .map(|n| {
                    record(["198.51.100.1", "192.0.2.9"][(n % 2) as usize], n, None, 0).unwrap()
                })
                .collect()
        };
        let first = submit(&mut store, &meta("k1", "cert-a", None, 0), records(0..4)).unwrap();
        assert_eq!(first.indicators_added, 1, "only 198.51.100.1 is new");
        assert_eq!(first.sightings_added, 4);
        let second = submit(&mut store, &meta("k2", "cert-b", None, 0), records(0..2)).unwrap();
        assert_eq!(
            second.indicators_added, 0,
            "found among the rows of its hash"
        );
        let rows: Vec<(String, String)> = c
            .prepare("SELECT kind, value FROM indicators WHERE khash = ?1 ORDER BY id")
            .unwrap()
            .query_map([shared], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                ("domain".to_string(), "collides.example".to_string()),
                ("ipv4".to_string(), "198.51.100.1".to_string())
            ]
        );
        let everything = SightingFilter::everything();
        let view = store
            .indicator("ipv4:198.51.100.1", &everything, now())
            .unwrap()
            .unwrap();
        assert_eq!(view.sources.iter().map(|s| s.sightings).sum::<u64>(), 3);
        // Only the planted row is amiss: it has no sightings.
        let integrity = store.check().unwrap();
        assert_eq!(
            (integrity.engine.as_str(), integrity.problems.as_slice()),
            (
                "ok",
                ["1 indicators have neither sightings nor relationships".to_string()].as_slice()
            )
        );
    }

    /// A bulk load whose key map outgrows its bound builds the key-hash
    /// index again mid-load and goes on with it: nothing is stored twice,
    /// and the store ends with the same indexes as an ordinary load's.
    #[test]
    fn a_bulk_load_past_its_key_map_bound_goes_on_with_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let all = indexes(&Connection::open(&path).unwrap());
        store.set_bulk_min_bytes(0);
        store.key_map_max = 4;
        let value = |n: u64| format!("198.51.100.{}", n % 20);
        // 20 values, then each again: the repeats come after the bound.
        let records: Vec<_> = (0..40)
            .map(|n| record(&value(n), n, None, 0).unwrap())
            .collect();
        let stats = submit(&mut store, &meta("k1", "cert-a", None, 0), records).unwrap();
        assert_eq!((stats.indicators_added, stats.sightings_added), (20, 40));
        let c = Connection::open(&path).unwrap();
        let count: i64 = c
            .query_row("SELECT COUNT(*) FROM indicators", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 20);
        assert_eq!(indexes(&c), all);
        // A second load starts over the bound: it keeps the index throughout.
        let again: Vec<_> = (0..20)
            .map(|n| record(&value(n), n, None, 0).unwrap())
            .collect();
        let stats = submit(&mut store, &meta("k2", "cert-a", None, 0), again).unwrap();
        assert_eq!((stats.indicators_added, stats.sightings_added), (0, 20));
        assert_eq!(indexes(&c), all);
        assert!(store.check().unwrap().is_ok());
    }

    /// A submission is written without foreign-key checks (its ids are
    /// its own), and every other write has them again: a sighting of an
    /// indicator that does not exist is refused after a submission.
    #[test]
    fn foreign_keys_are_enforced_again_after_a_submission() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
        let enforced = |store: &mut SqliteStore| -> Result<i64, StoreError> {
            Ok(store
                .writer
                .get()?
                .query_row("PRAGMA foreign_keys", [], |r| r.get(0))?)
        };
        assert_eq!(enforced(&mut store).unwrap(), 1);
        {
            let sink = store.begin(&meta("fk", "cert-a", None, 0)).unwrap();
            drop(sink); // rolled back
        }
        assert_eq!(enforced(&mut store).unwrap(), 1, "after a rollback");
        let records = vec![record("198.51.100.1", 1, None, 0).unwrap()];
        submit(&mut store, &meta("fk", "cert-a", None, 0), records).unwrap();
        assert!(store.writer.relaxed, "the submission ran relaxed");
        let orphan = store.writer.get().unwrap().execute(
            "INSERT INTO sightings (indicator_id, org_id, submission_id, location, first_seen, last_seen)
             VALUES (999, 1, 1, '{}', 0, 0)",
            [],
        );
        assert!(orphan.is_err(), "an orphan sighting is refused: {orphan:?}");
        let integrity = store.check().unwrap();
        assert!(integrity.is_ok(), "{integrity:?}");
    }

    #[test]
    fn the_memo_decodes_as_serde_does_and_stays_bounded() {
        let mut memo = Memo::default();
        let json = |i: usize| format!(r#"["feed:x","n\u00e9{i}"]"#);
        for round in 0..2 {
            for i in 0..Memo::MAX + 10 {
                let want: BTreeSet<String> = serde_json::from_str(&json(i)).unwrap();
                let mut got = BTreeSet::new();
                memo.extend(&mut got, &json(i)).unwrap();
                assert_eq!(got, want, "round {round}, {i}");
                assert!(memo.lists.len() <= Memo::MAX);
            }
        }
        let e = r#"{"country":"SG","asn":64500}"#;
        let want: pelita_enrich::Enrichment = serde_json::from_str(e).unwrap();
        assert_eq!(memo.enrichment(e).unwrap(), want);
        assert_eq!(memo.enrichment(e).unwrap(), want);
        // A corrupt column is an error each time it is read, never remembered.
        assert!(memo.extend(&mut BTreeSet::new(), "[1").is_err());
        assert!(memo.extend(&mut BTreeSet::new(), "[1").is_err());
        assert!(memo.enrichment("{").is_err());
    }
}
