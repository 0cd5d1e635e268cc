-- cirtkit schema 5 (PostgreSQL): the optional second factor of signing in (TOTP, RFC 6238).
-- The secret must be readable to check codes; the last step used stops a code being replayed.

ALTER TABLE users ADD COLUMN totp_secret TEXT, ADD COLUMN totp_last_step BIGINT;
