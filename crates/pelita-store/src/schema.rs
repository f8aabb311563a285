//! Versioned migrations, one file per version, applied in order inside a
//! transaction each; the version lives in SQLite's `user_version`.

use rusqlite::Connection;

use crate::StoreError;

/// Every migration, in order: version N is at index N-1.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_operations.sql"),
    include_str!("../migrations/0003_country_index.sql"),
    include_str!("../migrations/0004_sharing.sql"),
    include_str!("../migrations/0005_relationship_markings.sql"),
    include_str!("../migrations/0006_audit.sql"),
    include_str!("../migrations/0007_access.sql"),
    include_str!("../migrations/0008_people.sql"),
    include_str!("../migrations/0009_compact_rows.sql"),
];

/// The newest schema version this build knows.
pub(crate) fn latest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Brings the database to the latest version; refuses a newer one.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64, StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > latest() {
        return Err(StoreError::TooNew {
            found: current,
            known: latest(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(index).unwrap_or(i64::MAX) + 1;
        if version <= current {
            continue;
        }
        // Under the write lock, the version read again: another process
        // opening the same new store at the same moment may have applied
        // this migration since (`pelita serve` and `pelita ingest` started
        // together on a fresh data directory).
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version <= now {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(latest())
}

#[cfg(test)]
mod tests {
    use pelita_model::Location;
    use rusqlite::params;

    use super::*;
    use crate::conformance::{meta, now, record, submit};
    use crate::{SightingFilter, SqliteStore, Store};

    /// A store an older Pelita wrote (schema 8: the file name in every
    /// location, the dataset version inside the enrichment JSON) is
    /// brought to schema 9 without changing what it answers, and
    /// re-ingesting its submission still finds its sightings stored.
    #[test]
    fn schema_9_compacts_rows_written_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let m = meta("k1", "cert-a", None, 0);
        let old_enrichment = r#"{"country":"ZZ","asn":64500,"as_name":null,"cctld_country":null,"government":null,"benign":[],"dataset_version":"old-data"}"#;
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..8] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 8).unwrap();
            conn.execute(
                "INSERT INTO organisations (id, name, created_at) VALUES (1, ?1, 0)",
                params![m.source],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO submissions (id, sha256, org_id, name, size, format, received_at, records, sightings)
                 VALUES (1, ?1, 1, ?2, 100, 'test', ?3, 1, 1)",
                params![m.sha256, m.name, m.received_at.unix_timestamp()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO indicators (id, khash, kind, value, country, asn, enrichment)
                 VALUES (1, ?1, 'ipv4', '198.51.100.1', 'ZZ', 64500, ?2)",
                params![
                    crate::prepare::key_hash("ipv4:198.51.100.1"),
                    old_enrichment
                ],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO sightings (indicator_id, org_id, submission_id, location, first_seen, last_seen)
                 VALUES (1, 1, 1, ?1, ?2, ?2)",
                params![
                    format!(r#"{{"file":"{}","line":1}}"#, m.name),
                    m.received_at.unix_timestamp()
                ],
            )
            .unwrap();
        }
        let mut store = SqliteStore::open(&path).unwrap();
        let location: String = Connection::open(&path)
            .unwrap()
            .query_row("SELECT location FROM sightings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(location, r#"{"line":1}"#);

        let mut again = record("198.51.100.1", 1, None, 0).unwrap();
        again.location = Location::in_file(m.name.as_str()).with_line(1);
        let fresh = record("192.0.2.7", 2, None, 0).unwrap();
        let stats = submit(&mut store, &m, vec![again, fresh]).unwrap();
        assert_eq!(stats.sightings_added, 1, "only the new record's sighting");
        assert_eq!(stats.indicators_added, 1);

        let everything = SightingFilter::everything();
        let old = store
            .indicator("ipv4:198.51.100.1", &everything, now())
            .unwrap()
            .unwrap();
        let e = old.enrichment.unwrap();
        assert_eq!(
            (e.dataset_version.as_str(), e.country.as_deref(), e.asn),
            ("old-data", Some("ZZ"), Some(64500))
        );
        let new = store
            .indicator("ipv4:192.0.2.7", &everything, now())
            .unwrap()
            .unwrap();
        assert_eq!(
            new.enrichment.unwrap().dataset_version,
            store.enricher().version(),
            "a row written now reads its version back from the datasets table"
        );
    }
}
