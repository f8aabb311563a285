-- Pelita store, schema version 7: organisations' roles and API tokens.
-- Only the argon2id hash of a token's secret is stored; the secret is
-- shown once, when the token is made.
ALTER TABLE organisations ADD COLUMN role TEXT NOT NULL DEFAULT 'submitting-partner';

CREATE TABLE tokens (
    id          TEXT    PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    name        TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    -- JSON list of scopes (`["read","submit"]`).
    scopes      TEXT    NOT NULL,
    max_tlp     INTEGER,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX tokens_org ON tokens (org_id);
