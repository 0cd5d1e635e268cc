-- cirtkit schema 4 (SQLite): files kept with incidents, and the Message-IDs of the mail filed into
-- or sent from each incident (to thread answers by In-Reply-To and References).
-- Content stays in the database, so that one backup holds everything.

CREATE TABLE attachments (
    id               INTEGER PRIMARY KEY,
    incident_id      INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    journal_entry_id INTEGER NOT NULL REFERENCES journal_entries(id) ON DELETE CASCADE,
    filename         TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size             INTEGER NOT NULL CHECK (size >= 0),
    sha256           TEXT NOT NULL,
    content          BLOB NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX attachments_incident ON attachments(incident_id, id);

CREATE TABLE mail_messages (
    id               INTEGER PRIMARY KEY,
    message_id       TEXT NOT NULL,
    incident_id      INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    journal_entry_id INTEGER NOT NULL REFERENCES journal_entries(id) ON DELETE CASCADE,
    direction        TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    created_at       TEXT NOT NULL
);
CREATE INDEX mail_messages_message_id ON mail_messages(message_id);
