-- Pelita store, schema version 4: what the sharing policy needs
-- (docs/specs/sharing-policy.md): the recipients a submitter names, and the
-- members of each operation.

CREATE TABLE submission_recipients (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (submission_id, org_id)
) WITHOUT ROWID;

CREATE TABLE operation_members (
    operation_id INTEGER NOT NULL REFERENCES operations(id),
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (operation_id, org_id)
) WITHOUT ROWID;
