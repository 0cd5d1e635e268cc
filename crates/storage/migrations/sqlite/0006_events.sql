-- cirtkit schema 6 (SQLite): harmonised feed events, the feed files they came from (for "seen
-- before" and for resuming a run that was killed), quarantined records, the deduplication window,
-- and the record of feed runs. Schema 1's `events` table was a placeholder nothing wrote to.

DROP TABLE events;

-- One stored harmonised event. The columns beside `payload` are what lists filter on; `payload`
-- is the whole event as flat JSON with the harmonised names (docs/events.md).
CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    feed                TEXT NOT NULL,
    time_observation    TEXT NOT NULL,
    time_source         TEXT,
    classification_type TEXT,
    taxonomy            TEXT,
    source_ip           BLOB,              -- 16 bytes, IPv4 mapped into IPv6: byte order is address order
    source_asn          INTEGER,
    organisation_id     INTEGER,           -- the constituent owning the source, when known (no foreign key:
                                           -- events outlive a removed organisation)
    dedup_hash          INTEGER NOT NULL,
    file_id             INTEGER,
    payload             TEXT NOT NULL
);
CREATE INDEX events_source_ip ON events (source_ip) WHERE source_ip IS NOT NULL;
CREATE INDEX events_time_observation ON events (time_observation);
CREATE INDEX events_organisation ON events (organisation_id, id) WHERE organisation_id IS NOT NULL;

-- Every feed file taken in, by content. A batch of events commits with the file's progress
-- (rows_committed: records, events and quarantined ones, consumed in parser order), so a run
-- killed at any point resumes after exactly the committed records; a file `done` is not read again.
CREATE TABLE feed_files (
    id             INTEGER PRIMARY KEY,
    feed           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    name           TEXT,
    size           INTEGER NOT NULL,
    first_seen     TEXT NOT NULL,          -- also time.observation of its events, kept on resume
    state          TEXT NOT NULL CHECK (state IN ('partial', 'done', 'failed')),
    rows_committed INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    finished_at    TEXT,
    UNIQUE (feed, sha256)
);

-- Records a parser could not read, with the reason; the rest of their file went on.
CREATE TABLE quarantine (
    id      INTEGER PRIMARY KEY,
    feed    TEXT NOT NULL,
    file_id INTEGER REFERENCES feed_files (id),
    file    TEXT,
    line    INTEGER NOT NULL,
    code    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    raw     TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX quarantine_feed ON quarantine (feed, id);

-- The deduplication window: the key hash of each event stored, and when it was last stored.
-- Reloaded at start, so the window holds across restarts.
CREATE TABLE dedup_seen (
    hash      INTEGER PRIMARY KEY,
    last_seen TEXT NOT NULL
);

-- One row per run of a feed (also audited as one `feed.run` row).
CREATE TABLE feed_runs (
    id            INTEGER PRIMARY KEY,
    feed          TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    files         INTEGER NOT NULL,
    files_skipped INTEGER NOT NULL,
    read          INTEGER NOT NULL,
    stored        INTEGER NOT NULL,
    duplicates    INTEGER NOT NULL,
    dropped       INTEGER NOT NULL,
    quarantined   INTEGER NOT NULL,
    seconds       DOUBLE PRECISION NOT NULL,
    error         TEXT
);
CREATE INDEX feed_runs_feed ON feed_runs (feed, id);

-- HTTP collectors: the validators of the last download, for conditional requests.
CREATE TABLE feed_http_state (
    feed          TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT
);
