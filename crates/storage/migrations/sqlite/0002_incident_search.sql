-- cirtkit schema 2 (SQLite): incident lists and search.
-- Observables: ip_start and ip_end, the range an address or netblock covers, as 16-byte
-- big-endian blobs (IPv4 as ::ffff:a.b.c.d), so that byte order is address order. SQL cannot
-- compute them from the text: new rows get them from the storage code, existing rows from a
-- backfill in Rust that runs right after this migration, in the same transaction.

-- Full text: one FTS5 document per incident, its title, description and every journal entry, so
-- that all the words of a query may be found anywhere in the incident with one match, and the
-- matches come in id order (the list's order). Contentless (the text stays in its tables) with
-- delete support: triggers replace an incident's document when its text changes.
CREATE VIRTUAL TABLE incidents_fts USING fts5(title, description, journal, content='', contentless_delete=1);
INSERT INTO incidents_fts(rowid, title, description, journal)
SELECT i.id, i.title, i.description,
       COALESCE((SELECT group_concat(j.body, ' ') FROM journal_entries j WHERE j.incident_id = i.id), '')
FROM incidents i;

CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incidents_fts(rowid, title, description, journal) VALUES (new.id, new.title, new.description, '');
END;
CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
    DELETE FROM incidents_fts WHERE rowid = old.id;
END;
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF title, description ON incidents BEGIN
    DELETE FROM incidents_fts WHERE rowid = old.id;
    INSERT INTO incidents_fts(rowid, title, description, journal)
    VALUES (new.id, new.title, new.description,
            COALESCE((SELECT group_concat(j.body, ' ') FROM journal_entries j WHERE j.incident_id = new.id), ''));
END;
CREATE TRIGGER journal_entries_fts_insert AFTER INSERT ON journal_entries BEGIN
    DELETE FROM incidents_fts WHERE rowid = new.incident_id;
    INSERT INTO incidents_fts(rowid, title, description, journal)
    SELECT i.id, i.title, i.description,
           COALESCE((SELECT group_concat(j.body, ' ') FROM journal_entries j WHERE j.incident_id = i.id), '')
    FROM incidents i WHERE i.id = new.incident_id;
END;
CREATE TRIGGER journal_entries_fts_update AFTER UPDATE OF body ON journal_entries BEGIN
    DELETE FROM incidents_fts WHERE rowid = new.incident_id;
    INSERT INTO incidents_fts(rowid, title, description, journal)
    SELECT i.id, i.title, i.description,
           COALESCE((SELECT group_concat(j.body, ' ') FROM journal_entries j WHERE j.incident_id = i.id), '')
    FROM incidents i WHERE i.id = new.incident_id;
END;
CREATE TRIGGER journal_entries_fts_delete AFTER DELETE ON journal_entries BEGIN
    DELETE FROM incidents_fts WHERE rowid = old.incident_id;
    INSERT INTO incidents_fts(rowid, title, description, journal)
    SELECT i.id, i.title, i.description,
           COALESCE((SELECT group_concat(j.body, ' ') FROM journal_entries j WHERE j.incident_id = i.id), '')
    FROM incidents i WHERE i.id = old.incident_id;
END;

ALTER TABLE incident_observables ADD COLUMN ip_start BLOB;
ALTER TABLE incident_observables ADD COLUMN ip_end BLOB;
CREATE INDEX incident_observables_ip ON incident_observables(ip_start, ip_end) WHERE ip_start IS NOT NULL;
CREATE INDEX incident_observables_kind_value ON incident_observables(kind, value);

-- The list's filters; each index ends with the id, the list's order.
CREATE INDEX incidents_state_id ON incidents(state, id);
CREATE INDEX incidents_severity_id ON incidents(severity, id);
CREATE INDEX incidents_tlp_id ON incidents(tlp, id);
CREATE INDEX incidents_rsit_id ON incidents(rsit, id);
CREATE INDEX incidents_assignee_id ON incidents(assignee_id, id);
CREATE INDEX incidents_updated ON incidents(updated_at);
