-- cirtkit schema 7 (PostgreSQL): what EXPLAIN (ANALYZE, BUFFERS) of the incident list showed
-- under `cirtkit bench api` (100,000 incidents, 1,000,000 journal entries; docs/benchmarks.md).
-- (Version 6 is the events migration.)

-- The list by organisation (and the visibility filter): one index range, in id order, so the
-- newest 50 incidents of an organisation are its index's last 50 entries, read backwards,
-- instead of every incident of the organisation fetched and sorted. It replaces the index on
-- organisation_id alone, which it covers.
CREATE INDEX incident_organisations_org_incident ON incident_organisations(organisation_id, incident_id);
DROP INDEX incident_organisations_org;

-- Journal entries add their words to the incident's search document once per statement and
-- incident, not once per row: each UPDATE of an incident writes a new row version and new
-- entries in every index on incidents (the GIN index on `search` makes the update non-HOT), so
-- ten entries inserted together left ten dead versions of the incident behind. One INSERT of a
-- single entry (the usual case) works as before.
DROP TRIGGER journal_entries_search_append ON journal_entries;
DROP FUNCTION journal_entries_search_append();
CREATE FUNCTION journal_entries_search_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents i SET search = i.search || n.words
    FROM (SELECT e.incident_id, to_tsvector('simple'::regconfig, string_agg(e.body, ' ' ORDER BY e.id)) AS words
          FROM new_entries e GROUP BY e.incident_id) n
    WHERE i.id = n.incident_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER journal_entries_search_append AFTER INSERT ON journal_entries
REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_search_append();
