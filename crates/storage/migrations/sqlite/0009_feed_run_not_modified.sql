-- A feed run whose source answered "not modified" (HTTP 304): recorded as such, not as an empty run.
ALTER TABLE feed_runs ADD COLUMN not_modified BOOLEAN NOT NULL DEFAULT FALSE;
