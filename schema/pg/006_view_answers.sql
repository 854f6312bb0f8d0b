-- flamedex schema for PostgreSQL, migration 006: the SQLite migration 014
-- (the answers of a stored profile's views computed at its upload, kept
-- so that a restarted server or another replica serves them without
-- decoding the profile; server/answers.h). 005 is another change's number.
-- The foreign key is not deferred: an answer is written in a transaction
-- of its own after the upload's, and its check takes a share lock on the
-- profile row, so an answer written while a delete runs waits for it and
-- then fails (the delete locks the row FOR UPDATE first) rather than
-- outliving its profile. gz is gzip already: STORAGE EXTERNAL, as blobs.
CREATE TABLE IF NOT EXISTS view_answers (
  profile_seq  bigint NOT NULL REFERENCES profiles(seq),
  name         text COLLATE "C" NOT NULL,
  format       integer NOT NULL,
  raw_len      bigint NOT NULL,
  gz           bytea NOT NULL,
  PRIMARY KEY (profile_seq, name)
);
ALTER TABLE view_answers ALTER COLUMN gz SET STORAGE EXTERNAL;
