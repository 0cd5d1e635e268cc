-- cirtkit schema 11 (SQLite): the hand-off of feed events to incidents by rule ([[handoff]] in
-- cirtkit.toml, docs/events.md). Version 10 is left to work on another branch.

-- How far each rule has looked at each feed's events: the id of the last event it has handed
-- off or passed over. It moves in the same transaction as the incidents it made or updated, so
-- a pass that dies leaves no trace and the next one takes the same events again.
CREATE TABLE handoff_marks (
    rule          TEXT NOT NULL,
    feed          TEXT NOT NULL,
    last_event_id INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (rule, feed)
);

-- The incidents a rule opened, by group (owner and classification type), so that later events
-- of the group join the incident while it is open and younger than the rule's window.
CREATE TABLE handoff_incidents (
    incident_id         INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    rule                TEXT NOT NULL,
    organisation_id     INTEGER,           -- no foreign key: the group outlives a removed organisation
    classification_type TEXT NOT NULL,     -- '' for events without one
    opened_at           TEXT NOT NULL
);
CREATE INDEX handoff_incidents_group ON handoff_incidents (rule, classification_type, organisation_id, opened_at);
