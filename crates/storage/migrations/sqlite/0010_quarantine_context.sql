-- What a quarantined record needs to be parsed again on its own, after the feed's options were
-- fixed: the header line of its CSV file (NULL for formats without one). A quarantine re-run
-- gives the parser this line, then the record.
ALTER TABLE quarantine ADD COLUMN context TEXT;
