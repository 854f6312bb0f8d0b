-- flamedex PostgreSQL schema, migration 005: series storage (the same as
-- the SQLite migration 013_series.sql; server/series.h).
ALTER TABLE stacks ADD COLUMN grp TEXT;
CREATE INDEX stacks_grp ON stacks(grp) WHERE grp IS NOT NULL;
CREATE TABLE dict_groups (
  grp     TEXT    PRIMARY KEY,
  chunks  INTEGER NOT NULL,
  bytes   BIGINT  NOT NULL
);
CREATE TABLE dict_chunks (
  grp   TEXT    NOT NULL,
  seq   INTEGER NOT NULL,
  data  BYTEA   NOT NULL,
  PRIMARY KEY (grp, seq)
);
ALTER TABLE dict_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
