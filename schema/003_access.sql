-- flamedex schema: who uploaded a profile, and the sign-in sessions of
-- people (server/session.h, docs/SECURITY.md).

-- The name of the token that uploaded the profile (the auth file's NAME);
-- NULL when the server ran without --auth-file, and for older uploads.
ALTER TABLE profiles ADD COLUMN uploaded_by TEXT;

-- One row per signed-in browser. The cookie value is never stored: only
-- its SHA-256, so a copy of this table opens no session.
CREATE TABLE sessions (
  id_hash     TEXT    PRIMARY KEY,   -- hex SHA-256 of the cookie value
  token_hash  TEXT    NOT NULL,      -- hex SHA-256 of the token signed in with
  name        TEXT    NOT NULL,      -- that token's name at sign-in
  created_at  INTEGER NOT NULL,      -- unix nanoseconds
  expires_at  INTEGER NOT NULL       -- unix nanoseconds
) WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions(expires_at);
