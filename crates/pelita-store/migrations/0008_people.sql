-- Pelita store, schema version 8: people (web interface accounts) and
-- their server-side sessions. Only the argon2id hash of a password is
-- stored, and only the SHA-256 (hex) of a session's random 256-bit id.
CREATE TABLE users (
    name        TEXT    PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    hash        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX users_org ON users (org_id);

CREATE TABLE sessions (
    id_hash     TEXT    PRIMARY KEY,
    user_name   TEXT    NOT NULL REFERENCES users(name),
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expiry ON sessions (expires_at);
