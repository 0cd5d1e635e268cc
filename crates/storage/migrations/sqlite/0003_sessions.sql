-- cirtkit schema 3 (SQLite): signed-in sessions of the web interface.
-- Only a hash of the session secret is kept: a copy of the database lets no one sign in.

CREATE TABLE sessions (
    secret_hash  TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    address      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
