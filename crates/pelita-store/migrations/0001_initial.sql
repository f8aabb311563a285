-- Pelita store, schema version 1.
-- One row per canonical indicator; one row per sighting (who said it, in
-- which submission, where, under which marking). Markings live on
-- sightings, never on indicators: every aggregate is computed over the
-- sightings a viewer may see.

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- A submission is one organisation sending one archived file (by SHA-256).
-- The same bytes from the same organisation are one submission (re-ingesting
-- is idempotent); the same bytes from two organisations are two.
-- A submission and all its sightings are written in one transaction: a
-- submission row exists only once everything it acknowledged is stored.
CREATE TABLE submissions (
    id           INTEGER PRIMARY KEY,
    sha256       TEXT    NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    name         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    format       TEXT    NOT NULL,
    tlp          INTEGER,
    received_at  INTEGER NOT NULL,
    -- Records received, sightings stored (recounted at commit; the integrity
    -- check compares it with the rows), records that failed.
    records      INTEGER NOT NULL DEFAULT 0,
    sightings    INTEGER NOT NULL DEFAULT 0,
    errors       INTEGER NOT NULL DEFAULT 0,
    report       TEXT,
    UNIQUE (sha256, org_id)
);

CREATE TABLE indicators (
    id     INTEGER PRIMARY KEY,
    -- FNV-1a 64 of the key `kind:value`: the index is on this integer, not on
    -- the text (8 bytes a row instead of a whole URL); a lookup checks kind
    -- and value too, so a collision costs one extra row read, never a wrong row.
    khash  INTEGER NOT NULL,
    kind   TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    -- Intrinsic flags as a JSON list of names (`["documentation"]`).
    flags  TEXT    NOT NULL DEFAULT '[]',
    -- For networks only: the range as 16-byte big-endian blobs (IPv4 mapped
    -- into ::ffff:0:0/96), for "which stored networks contain this address".
    net_lo BLOB,
    net_hi BLOB,
    -- Offline enrichment at first sight (pelita-enrich), with its dataset version inside:
    -- the country where it is hosted (IP) or whose ccTLD/government suffix it is under,
    -- the ASN, and the whole result as JSON.
    country    TEXT,
    asn        INTEGER,
    enrichment TEXT,
    -- For URLs and domains: the registrable domain (the site), to gather the
    -- evidence of the compromised-site rule.
    site       TEXT
);
CREATE INDEX indicators_site ON indicators (site) WHERE site IS NOT NULL;
CREATE INDEX indicators_khash ON indicators (khash);
CREATE INDEX indicators_net ON indicators (net_lo) WHERE net_lo IS NOT NULL;

CREATE TABLE sightings (
    id            INTEGER PRIMARY KEY,
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
    UNIQUE (indicator_id, submission_id, location)
);
-- Sightings by indicator use the unique index above (indicator_id is its prefix).
CREATE INDEX sightings_submission ON sightings (submission_id);

CREATE TABLE relationships (
    src         INTEGER NOT NULL REFERENCES indicators(id),
    dst         INTEGER NOT NULL REFERENCES indicators(id),
    relation    TEXT    NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    tlp         INTEGER,
    PRIMARY KEY (src, dst, relation, submission_id)
) WITHOUT ROWID;
CREATE INDEX relationships_dst ON relationships (dst);
