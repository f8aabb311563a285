-- Pelita store, schema version 10: sightings clustered by indicator.
--
-- Until now a sighting was a row in a rowid table plus an entry in the
-- unique (indicator_id, submission_id, location) index, and every read of
-- an indicator's sightings went through the index and then, row by row,
-- into the table. As a WITHOUT ROWID table keyed by those same columns the
-- sightings of one indicator are stored together, in the key's B-tree:
-- one B-tree insert per sighting instead of two, a smaller store (no
-- rowid, no second copy of the key) and a country's scan in a report that
-- reads its indicators' sightings in place (twice as fast on the demo's
-- store). Nothing referred to the rowid.
CREATE TABLE sightings_clustered (
    indicator_id  INTEGER NOT NULL REFERENCES indicators(id),
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    location      TEXT    NOT NULL,
    -- TLP as its rank: 0 clear, 1 green, 2 amber, 3 amber+strict, 4 red; NULL unmarked.
    tlp           INTEGER,
    reliability   TEXT,
    credibility   INTEGER,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    count         INTEGER NOT NULL DEFAULT 1,
    withdrawn     INTEGER NOT NULL DEFAULT 0,
    malware       TEXT,
    tags          TEXT,
    hints         TEXT,
    context       TEXT,
    -- ENISA RSIT class and type, from this sighting's hints, tags and malware.
    class         TEXT,
    rsit_type     TEXT,
    PRIMARY KEY (indicator_id, submission_id, location)
) WITHOUT ROWID;

-- In key order: the new B-tree is built by appending.
INSERT INTO sightings_clustered
SELECT indicator_id, org_id, submission_id, location, tlp, reliability, credibility,
       first_seen, last_seen, count, withdrawn, malware, tags, hints, context, class, rsit_type
FROM sightings
ORDER BY indicator_id, submission_id, location;

DROP TABLE sightings;
ALTER TABLE sightings_clustered RENAME TO sightings;
CREATE INDEX sightings_submission ON sightings (submission_id);
