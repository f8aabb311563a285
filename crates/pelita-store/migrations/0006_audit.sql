-- Pelita store, schema version 6: the audit log. Append-only and
-- hash-chained: each entry carries the SHA-256 of the previous entry and
-- its own, over its fields (see crates/pelita-store/src/audit.rs); the
-- newest hash is also kept in `settings` (`audit_head`), so removing the
-- last entries is detected too.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    org         TEXT    NOT NULL,
    token       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    result_size INTEGER NOT NULL,
    prev        TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
