-- cirtkit schema 2 (PostgreSQL): incident lists and search.
-- Observables: ip_start and ip_end, the range an address or netblock covers, as 16-byte
-- big-endian bytea (IPv4 as ::ffff:a.b.c.d), so that byte order is address order. Filled by the
-- storage code for new rows and, for existing rows, by a backfill in Rust that runs right after
-- this migration, in the same transaction (as on SQLite, where SQL cannot compute them).

-- Full text: one tsvector per incident over its title, description and every journal entry
-- (configuration `simple`, no stemming: the text is Arabic, French and English), with a GIN
-- index, so that all the words of a query may be found anywhere in the incident with one match.
-- Triggers keep it: a new journal entry appends its words; a changed text recomputes it.
CREATE FUNCTION incident_search_vector(incident BIGINT, title TEXT, description TEXT) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT to_tsvector('simple'::regconfig, title || ' ' || description)
        || COALESCE((SELECT to_tsvector('simple'::regconfig, string_agg(j.body, ' ' ORDER BY j.id))
                     FROM journal_entries j WHERE j.incident_id = incident), ''::tsvector)
$$;

-- The query for a user's words: each lexeme the `simple` parser finds, all required (whole
-- lexemes, not prefixes: the planner then has statistics for them and picks between the GIN index
-- for rare words and the id order for common ones). Lexemes are quoted (quotes and backslashes
-- doubled), so no input is read as an operator.
CREATE FUNCTION incident_search_query(words TEXT) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT to_tsquery('simple'::regconfig, COALESCE(string_agg(
        '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''', ' & '), ''))
    FROM unnest(to_tsvector('simple'::regconfig, words))
$$;

ALTER TABLE incidents ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
UPDATE incidents SET search = incident_search_vector(id, title, description);
CREATE INDEX incidents_search ON incidents USING GIN (search);

CREATE FUNCTION incidents_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := incident_search_vector(NEW.id, NEW.title, NEW.description);
    RETURN NEW;
END;
$$;
CREATE TRIGGER incidents_search_refresh BEFORE INSERT OR UPDATE OF title, description ON incidents
FOR EACH ROW EXECUTE FUNCTION incidents_search_refresh();

CREATE FUNCTION journal_entries_search_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents SET search = search || to_tsvector('simple'::regconfig, NEW.body) WHERE id = NEW.incident_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER journal_entries_search_append AFTER INSERT ON journal_entries
FOR EACH ROW EXECUTE FUNCTION journal_entries_search_append();

CREATE FUNCTION journal_entries_search_recompute() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents SET search = incident_search_vector(id, title, description) WHERE id = OLD.incident_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER journal_entries_search_recompute AFTER UPDATE OF body OR DELETE ON journal_entries
FOR EACH ROW EXECUTE FUNCTION journal_entries_search_recompute();

ALTER TABLE incident_observables ADD COLUMN ip_start BYTEA;
ALTER TABLE incident_observables ADD COLUMN ip_end BYTEA;
CREATE INDEX incident_observables_ip ON incident_observables(ip_start, ip_end) WHERE ip_start IS NOT NULL;
CREATE INDEX incident_observables_kind_value ON incident_observables(kind, value);

-- The list's filters; each index ends with the id, the list's order.
CREATE INDEX incidents_state_id ON incidents(state, id);
CREATE INDEX incidents_severity_id ON incidents(severity, id);
CREATE INDEX incidents_tlp_id ON incidents(tlp, id);
CREATE INDEX incidents_rsit_id ON incidents(rsit, id);
CREATE INDEX incidents_assignee_id ON incidents(assignee_id, id);
CREATE INDEX incidents_updated ON incidents(updated_at);
