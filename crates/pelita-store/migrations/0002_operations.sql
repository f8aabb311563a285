-- Pelita store, schema version 2: operations, their actions, and store settings.

-- An operation: a named, time-boxed joint effort (countries, organisations,
-- scope). Submissions may belong to one; operation reports use only the
-- sightings of its submissions.
CREATE TABLE operations (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    starts_at   INTEGER,
    ends_at     INTEGER,
    -- JSON lists of ISO country codes and organisation names.
    countries   TEXT    NOT NULL DEFAULT '[]',
    orgs        TEXT    NOT NULL DEFAULT '[]',
    scope       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

ALTER TABLE submissions ADD COLUMN operation_id INTEGER REFERENCES operations(id);
CREATE INDEX submissions_operation ON submissions (operation_id) WHERE operation_id IS NOT NULL;

-- The status of a recommended action, by its stable id (`rule:country:group`).
-- An action with no row is open.
CREATE TABLE actions (
    operation_id INTEGER NOT NULL REFERENCES operations(id),
    action_id    TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (operation_id, action_id)
) WITHOUT ROWID;

-- Store-wide settings (`synthetic` = '1' for a demo or training store).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
