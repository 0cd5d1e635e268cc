-- cirtkit schema 6 (PostgreSQL): harmonised feed events, the feed files they came from (for "seen
-- before" and for resuming a run that was killed), quarantined records, the deduplication window,
-- and the record of feed runs. Schema 1's `events` table was a placeholder nothing wrote to.

DROP TABLE events;

-- One stored harmonised event, partitioned by day of time_observation: the daily partitions
-- (events_YYYYMMDD) are created on demand before a batch is written, and an old day is dropped
-- whole. The columns beside `payload` are what lists filter on.
CREATE TABLE events (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY,
    feed                TEXT NOT NULL,
    time_observation    TIMESTAMPTZ NOT NULL,
    time_source         TIMESTAMPTZ,
    classification_type TEXT,
    taxonomy            TEXT,
    source_ip           BYTEA,             -- 16 bytes, IPv4 mapped into IPv6: byte order is address order
    source_asn          BIGINT,
    organisation_id     BIGINT,            -- the constituent owning the source, when known (no foreign key:
                                           -- events outlive a removed organisation)
    dedup_hash          BIGINT NOT NULL,
    file_id             BIGINT,
    payload             JSONB NOT NULL,
    PRIMARY KEY (id, time_observation)
) PARTITION BY RANGE (time_observation);
CREATE INDEX events_source_ip ON events (source_ip) WHERE source_ip IS NOT NULL;
CREATE INDEX events_time_observation ON events (time_observation);
CREATE INDEX events_organisation ON events (organisation_id, id) WHERE organisation_id IS NOT NULL;

-- Every feed file taken in, by content. A batch of events commits with the file's progress
-- (rows_committed: records, events and quarantined ones, consumed in parser order), so a run
-- killed at any point resumes after exactly the committed records; a file `done` is not read again.
CREATE TABLE feed_files (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    name           TEXT,
    size           BIGINT NOT NULL,
    first_seen     TIMESTAMPTZ NOT NULL,   -- also time.observation of its events, kept on resume
    state          TEXT NOT NULL CHECK (state IN ('partial', 'done', 'failed')),
    rows_committed BIGINT NOT NULL DEFAULT 0,
    error          TEXT,
    finished_at    TIMESTAMPTZ,
    UNIQUE (feed, sha256)
);

-- Records a parser could not read, with the reason; the rest of their file went on.
CREATE TABLE quarantine (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed    TEXT NOT NULL,
    file_id BIGINT REFERENCES feed_files (id),
    file    TEXT,
    line    BIGINT NOT NULL,
    code    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    raw     TEXT NOT NULL,
    at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX quarantine_feed ON quarantine (feed, id);

-- The deduplication window: the key hash of each event stored, and when it was last stored.
-- Reloaded at start, so the window holds across restarts.
CREATE TABLE dedup_seen (
    hash      BIGINT PRIMARY KEY,
    last_seen TIMESTAMPTZ NOT NULL
);

-- One row per run of a feed (also audited as one `feed.run` row).
CREATE TABLE feed_runs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed          TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    files         BIGINT NOT NULL,
    files_skipped BIGINT NOT NULL,
    read          BIGINT NOT NULL,
    stored        BIGINT NOT NULL,
    duplicates    BIGINT NOT NULL,
    dropped       BIGINT NOT NULL,
    quarantined   BIGINT NOT NULL,
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
