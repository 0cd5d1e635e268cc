-- cirtkit schema 1 (PostgreSQL): the constituency, incidents, partners, users, tokens, events, audit.
-- Times are timestamptz (microseconds).

CREATE TABLE organisations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    sector      TEXT NOT NULL,
    country     TEXT NOT NULL,
    languages   TEXT NOT NULL,          -- JSON array of ISO 639 codes
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE organisation_contacts (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    position        BIGINT NOT NULL,
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    phone           TEXT,
    openpgp_key     TEXT,
    language        TEXT NOT NULL,
    role            TEXT NOT NULL,
    PRIMARY KEY (organisation_id, position)
);

CREATE TABLE organisation_netblocks (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    network         TEXT NOT NULL,
    PRIMARY KEY (organisation_id, network)
);

CREATE TABLE organisation_asns (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    asn             BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, asn)
);

CREATE TABLE organisation_domains (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    domain          TEXT NOT NULL,
    PRIMARY KEY (organisation_id, domain)
);
CREATE INDEX organisation_domains_domain ON organisation_domains(domain);

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    email           TEXT,
    role            TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations(id),
    language        TEXT NOT NULL,
    password_hash   TEXT,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CHECK ((role = 'constituent') = (organisation_id IS NOT NULL))
);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE incident_counters (
    year        BIGINT PRIMARY KEY,
    last_number BIGINT NOT NULL
);

CREATE TABLE incidents (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    rsit              TEXT NOT NULL,
    severity          TEXT NOT NULL,
    tlp               TEXT NOT NULL,
    pap               TEXT NOT NULL,
    state             TEXT NOT NULL,
    assignee_id       BIGINT REFERENCES users(id),
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    respond_by        TIMESTAMPTZ NOT NULL,
    resolve_by        TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    resolved_at       TIMESTAMPTZ
);
CREATE INDEX incidents_state ON incidents(state, created_at);
CREATE INDEX incidents_created ON incidents(created_at);

CREATE TABLE incident_organisations (
    incident_id     BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (incident_id, organisation_id)
);
CREATE INDEX incident_organisations_org ON incident_organisations(organisation_id);

CREATE TABLE incident_observables (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (incident_id, kind, value)
);
CREATE INDEX incident_observables_value ON incident_observables(value);

CREATE TABLE journal_entries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    reply_to    BIGINT REFERENCES journal_entries(id),
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX journal_entries_incident ON journal_entries(incident_id, id);

CREATE TABLE incident_links (
    from_incident BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    to_incident   BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (from_incident, to_incident, kind),
    CHECK (from_incident <> to_incident)
);

CREATE TABLE partners (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    country    TEXT,
    max_tlp    TEXT NOT NULL,
    contacts   TEXT NOT NULL,           -- JSON array of contacts
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Harmonised feed events; the feed pipeline fills and extends this table.
CREATE TABLE events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_observation TIMESTAMPTZ NOT NULL,
    feed_name        TEXT NOT NULL,
    payload          TEXT NOT NULL
);

-- The append-only audit log, chained with SHA-256: each row's hash covers the previous hash.
CREATE TABLE audit_log (
    id        BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before    TEXT,
    after     TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- One row: the chain's head. Every audited write updates it first, which serialises writers.
CREATE TABLE audit_head (
    singleton BIGINT PRIMARY KEY CHECK (singleton = 1),
    last_id   BIGINT NOT NULL,
    hash      TEXT NOT NULL
);
INSERT INTO audit_head (singleton, last_id, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
