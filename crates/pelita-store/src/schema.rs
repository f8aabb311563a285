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
