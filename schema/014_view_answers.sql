-- flamedex schema, migration 014: the answers of a stored profile's views
-- computed at its upload, kept so that a restarted server (or another
-- replica) serves them without decoding the profile (server/answers.h,
-- docs/DESIGN.md "Stored answers"). 013 is another change's number.
--   name     the view and its query, as route_views.c keys its kept
--            answers (without the profile id)
--   format   answers.h's ANSWERS_FORMAT when it was written: a lookup
--            names the format it wants, so a server whose views draw
--            differently never serves an older one's bytes
--   raw_len  the JSON's length; gz: the JSON gzipped (encoding.h's
--            enc_gzip, the bytes a gzip-accepting client is sent)
-- Rows go with their profile: store_delete removes them in its
-- transaction (the foreign key makes a row of a deleted profile
-- impossible). IF NOT EXISTS: harmless if it ever runs twice.
CREATE TABLE IF NOT EXISTS view_answers (
  profile_seq  INTEGER NOT NULL REFERENCES profiles(seq),
  name         TEXT    NOT NULL,
  format       INTEGER NOT NULL,
  raw_len      INTEGER NOT NULL,
  gz           BLOB    NOT NULL,
  PRIMARY KEY (profile_seq, name)
);
