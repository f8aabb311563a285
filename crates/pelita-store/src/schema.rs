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
    include_str!("../migrations/0010_clustered_sightings.sql"),
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
        let tx = conn.transaction()?;
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
    /// Schema 10 moves the sightings into a table clustered by indicator:
    /// every row and column is kept, the submission index is back, and the
    /// store answers and checks as before.
    #[test]
    fn schema_10_clusters_sightings_keeping_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pelita.db");
        let dump = |conn: &Connection| -> Vec<String> {
            let mut stmt = conn
                .prepare(
                    "SELECT json_array(indicator_id, org_id, submission_id, location, tlp, reliability,
                        credibility, first_seen, last_seen, count, withdrawn, malware, tags, hints,
                        context, class, rsit_type)
                     FROM sightings ORDER BY indicator_id, submission_id, location",
                )
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let before = {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..9] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 9).unwrap();
            conn.execute_batch(
                "INSERT INTO organisations (id, name, created_at) VALUES (1, 'cert-a', 0), (2, 'firm-b', 0);
                 INSERT INTO submissions (id, sha256, org_id, name, size, format, received_at, records, sightings)
                   VALUES (1, 'aa', 1, 'a.csv', 10, 'test', 100, 2, 2), (2, 'bb', 2, 'b.json', 10, 'test', 200, 1, 1);
                 INSERT INTO indicators (id, khash, kind, value, country) VALUES
                   (1, 11, 'ipv4', '198.51.100.1', 'ZZ'), (2, 22, 'domain', 'example.test', NULL);
                 INSERT INTO sightings (indicator_id, org_id, submission_id, location, tlp, reliability,
                     credibility, first_seen, last_seen, count, withdrawn, malware, tags, hints, context,
                     class, rsit_type) VALUES
                   (2, 1, 1, '{\"line\":2}', 1, 'B', 2, 100, 150, 1, 0, '[\"emotet\"]', '[\"tlp:green\"]',
                    '[\"c2\"]', 'ctx', 'malicious-code', 'c2-server'),
                   (1, 1, 1, '{\"line\":1}', NULL, NULL, NULL, 100, 100, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL),
                   (1, 2, 2, '{\"pointer\":\"/objects/0\"}', 4, 'A', 1, 50, 200, 3, 1, NULL, NULL, NULL, NULL,
                    'fraud', 'phishing');",
            )
            .unwrap();
            for (id, key) in [(1, "ipv4:198.51.100.1"), (2, "domain:example.test")] {
                conn.execute(
                    "UPDATE indicators SET khash = ?1 WHERE id = ?2",
                    params![crate::prepare::key_hash(key), id],
                )
                .unwrap();
            }
            dump(&conn)
        };
        assert_eq!(before.len(), 3);
        let store = SqliteStore::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        assert_eq!(dump(&conn), before, "every sighting, every column");
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'sightings'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        let indexed: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = 'sightings_submission'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, 1);
        let v = store
            .indicator("ipv4:198.51.100.1", &SightingFilter::everything(), now())
            .unwrap()
            .unwrap();
        assert_eq!(v.sources.len(), 2);
        let integrity = store.check().unwrap();
        assert!(integrity.is_ok(), "{integrity:?}");
    }
}
