-- cirtkit schema 8 (SQLite): feed events as narrow rows pointing into compressed blocks
-- (crates/storage/src/event_blocks.rs), and the deduplication window read from the events.
--
-- An event's JSON and raw record now live in `event_blocks` (up to 256 events of one batch,
-- LZ4-compressed); the row keeps what lists filter on and (block_id, slot). Rows written
-- before keep their `payload` and no block. `dedup_seen` repeated every stored event's hash in
-- a second table with a random key (each batch touched pages all over it); the window is now
-- read from `events` through the index on (feed, time_observation), which grows at the end of
-- each feed's range as events come in (equal times in rowid order), and the rows it points to
-- are near one another. It replaces the index on time_observation alone.

CREATE TABLE event_blocks (
    id      INTEGER PRIMARY KEY,
    file_id INTEGER,
    events  INTEGER NOT NULL,
    data    BLOB NOT NULL
);

CREATE TABLE events_v8 (
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
    payload             TEXT,              -- events stored before schema 8: the whole JSON
    block_id            INTEGER,           -- since: the block holding the JSON and raw record…
    slot                INTEGER,           -- …and the event's place in it
    CHECK (payload IS NOT NULL OR (block_id IS NOT NULL AND slot IS NOT NULL))
);
INSERT INTO events_v8 (id, feed, time_observation, time_source, classification_type, taxonomy, source_ip,
                       source_asn, organisation_id, dedup_hash, file_id, payload)
SELECT id, feed, time_observation, time_source, classification_type, taxonomy, source_ip,
       source_asn, organisation_id, dedup_hash, file_id, payload FROM events;
DROP TABLE events;
ALTER TABLE events_v8 RENAME TO events;
CREATE INDEX events_source_ip ON events (source_ip) WHERE source_ip IS NOT NULL;
CREATE INDEX events_feed_time ON events (feed, time_observation);
CREATE INDEX events_organisation ON events (organisation_id, id) WHERE organisation_id IS NOT NULL;

DROP TABLE dedup_seen;
