-- cirtkit schema 3 (PostgreSQL): signed-in sessions of the web interface.
-- Only a hash of the session secret is kept: a copy of the database lets no one sign in.

CREATE TABLE sessions (
    secret_hash  TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    address      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
