-- Pelita store, schema version 9: smaller rows, for faster ingest (every
-- byte is written twice, to the WAL and to the database) and a smaller store.
--
-- The enrichment dataset version (about 110 bytes, the same on almost every
-- row) moves out of each indicator's enrichment JSON into a table of its
-- own; the JSON keeps only what was found (no nulls, no empty lists).
-- Older rows keep their full JSON, which reads the same.
CREATE TABLE datasets (
    id       INTEGER PRIMARY KEY,
    version  TEXT    NOT NULL UNIQUE
);
ALTER TABLE indicators ADD COLUMN dataset INTEGER REFERENCES datasets(id);

-- A sighting's location no longer repeats its submission's file name (the
-- path as given, often longer than the rest of the row); a location in
-- another file (a part of a MISP feed) keeps its file. Existing rows are
-- brought to the same form, so that re-ingesting an old submission still
-- finds its sightings stored. (OR IGNORE: were a row to collide with one
-- already in the new form, it keeps its old form; both stay.)
UPDATE OR IGNORE sightings
SET location = json_remove(location, '$.file')
WHERE json_extract(location, '$.file') =
      (SELECT name FROM submissions WHERE submissions.id = sightings.submission_id);
