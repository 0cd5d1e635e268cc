-- cirtkit schema 5 (SQLite): the optional second factor of signing in (TOTP, RFC 6238).
-- The secret must be readable to check codes; the last step used stops a code being replayed.

ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
