-- cirtkit schema 7 (SQLite): the incident list by organisation (and the visibility filter)
-- reads one index range in id order, as on PostgreSQL (see the PostgreSQL migration). It
-- replaces the index on organisation_id alone, which it covers. (Version 6 is the events
-- migration.) The journal's full-text trigger is unchanged here: FTS5 cannot add words to a
-- document, see docs/benchmarks.md.
CREATE INDEX incident_organisations_org_incident ON incident_organisations(organisation_id, incident_id);
DROP INDEX incident_organisations_org;
