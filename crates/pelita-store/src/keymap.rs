//! The row id of every indicator by key hash, in memory, for a bulk load.
//!
//! Why: a bulk load into a new store spent about a quarter of its writer
//! thread on the key-hash index (`indicators_khash`): a seek that finds
//! nothing for every new indicator, then an insert at a random place in
//! the same B-tree (1 M URLhaus rows add 3 M indicators: BENCHMARKS.md,
//! "Ingest into the store", round 5). A bulk load is, by definition
//! ([`crate::sqlite`]'s `is_bulk`), at least as large as the store it goes
//! into, so the key hashes of every stored indicator fit in memory beside
//! it (16 bytes each). With them the index is dropped for the load, like
//! the other deferred indexes, and built once, sorted, at the commit; a
//! key hash the map does not hold is a new indicator without a seek.
//!
//! A key hash is not a key: two keys can share one (FNV-1a 64). So the
//! map gives the *candidates* for a hash, and the writer reads each
//! candidate's kind and value back by row id before taking it. A hash
//! held by several rows keeps all their ids.
//!
//! Bounded: past [`KeyMap::MAX`] entries the writer builds the index
//! again inside the transaction and goes on with it, as an ordinary
//! submission does (see `SqliteSubmission::write`).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rusqlite::Connection;

use crate::StoreError;

/// The key hash is already a good 64-bit hash: mixed once more, not rehashed.
#[derive(Default)]
pub(crate) struct KhashHasher(u64);

impl std::hash::Hasher for KhashHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = u64::from_ne_bytes(n.to_ne_bytes()).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A hash map keyed by key hashes.
pub(crate) type KhashMap<V> = HashMap<i64, V, BuildHasherDefault<KhashHasher>>;

/// Every stored indicator's row id by key hash.
#[derive(Debug, Default)]
pub(crate) struct KeyMap {
    /// A row id (> 0), or `-(n + 1)` for the `n`th list of [`KeyMap::shared`].
    ids: KhashMap<i64>,
    /// The ids of hashes that several rows share (almost always empty).
    shared: Vec<Vec<i64>>,
}

impl KeyMap {
    /// Most entries held (about 270 MB of table at the most): a load that
    /// adds more goes on with the index.
    pub(crate) const MAX: usize = 8 << 20;

    /// The key hash of every indicator in the store, or `None` when there
    /// are more than `max` ([`KeyMap::MAX`] but in tests).
    pub(crate) fn load(conn: &Connection, max: usize) -> Result<Option<KeyMap>, StoreError> {
        // The largest row id bounds the number of rows, without a count.
        let rows: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM indicators", [], |r| {
            r.get(0)
        })?;
        if !usize::try_from(rows).is_ok_and(|n| n <= max) {
            return Ok(None);
        }
        let mut map = KeyMap::default();
        let mut stmt = conn.prepare("SELECT khash, id FROM indicators")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            map.add(row.get(0)?, row.get(1)?);
        }
        Ok(Some(map))
    }

    /// How many hashes are held.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The ids of the rows whose key hashes to `khash`: none for a key
    /// not stored.
    pub(crate) fn candidates(&self, khash: i64) -> &[i64] {
        match self.ids.get(&khash) {
            None => &[],
            Some(id) if *id > 0 => std::slice::from_ref(id),
            Some(list) => usize::try_from(-(list + 1))
                .ok()
                .and_then(|n| self.shared.get(n))
                .map_or(&[], Vec::as_slice),
        }
    }

    /// Records that row `id` has key hash `khash`.
    pub(crate) fn add(&mut self, khash: i64, id: i64) {
        match self.ids.get_mut(&khash) {
            None => {
                self.ids.insert(khash, id);
            }
            Some(first) if *first > 0 => {
                let list = -(i64::try_from(self.shared.len()).unwrap_or(i64::MAX - 1) + 1);
                self.shared.push(vec![*first, id]);
                *first = list;
            }
            Some(list) => {
                if let Some(ids) = usize::try_from(-(*list + 1))
                    .ok()
                    .and_then(|n| self.shared.get_mut(n))
                {
                    ids.push(id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_hash_keeps_every_id_in_order() {
        let mut map = KeyMap::default();
        assert!(map.candidates(7).is_empty());
        map.add(7, 1);
        map.add(9, 2);
        assert_eq!(map.candidates(7), &[1]);
        map.add(7, 3);
        map.add(7, 4);
        map.add(-5, 5);
        map.add(-5, 6);
        assert_eq!(map.candidates(7), &[1, 3, 4]);
        assert_eq!(map.candidates(-5), &[5, 6]);
        assert_eq!(map.candidates(9), &[2]);
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn it_loads_what_the_store_holds() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE indicators (id INTEGER PRIMARY KEY, khash INTEGER NOT NULL);
             INSERT INTO indicators VALUES (1, 10), (2, 20), (3, 10);",
        )
        .unwrap();
        assert!(
            KeyMap::load(&conn, 2).unwrap().is_none(),
            "more than the bound"
        );
        let map = KeyMap::load(&conn, 3).unwrap().unwrap();
        assert_eq!(map.candidates(10), &[1, 3]);
        assert_eq!(map.candidates(20), &[2]);
        assert!(map.candidates(30).is_empty());
    }
}
