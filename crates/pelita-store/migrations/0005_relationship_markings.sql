-- Pelita store, schema version 5: a relationship is stored once per
-- statement *and marking*. Two records of one submission can state the
-- same relationship under different markings; keeping only the first made
-- what a reader sees depend on the order of the records (found by the
-- sharing property test). Now a reader who may see either statement sees
-- the relationship, exactly as on a store that holds only that statement.
CREATE TABLE relationships_v5 (
    src           INTEGER NOT NULL REFERENCES indicators(id),
    dst           INTEGER NOT NULL REFERENCES indicators(id),
    relation      TEXT    NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    tlp           INTEGER,
    -- The marking as part of the key (-1: unmarked).
    tlp_key       INTEGER NOT NULL,
    PRIMARY KEY (src, dst, relation, submission_id, tlp_key)
) WITHOUT ROWID;
INSERT INTO relationships_v5 (src, dst, relation, submission_id, tlp, tlp_key)
    SELECT src, dst, relation, submission_id, tlp, COALESCE(tlp, -1) FROM relationships;
DROP TABLE relationships;
ALTER TABLE relationships_v5 RENAME TO relationships;
CREATE INDEX relationships_dst ON relationships (dst);
