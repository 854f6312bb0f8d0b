-- flamedex schema, migration 013: profiles stored against their series'
-- dictionary (server/series.h, docs/DESIGN.md "Series storage"). A group
-- is one generation of a series' dictionary, made by one process; its
-- chunks are append-only and immutable, numbered from 0. A stacks row of
-- format 16 (FDX4) names its group and needs chunks [0, need) of it.
ALTER TABLE stacks ADD COLUMN grp TEXT;
CREATE INDEX stacks_grp ON stacks(grp) WHERE grp IS NOT NULL;
CREATE TABLE dict_groups (
  grp     TEXT    PRIMARY KEY,
  chunks  INTEGER NOT NULL,       -- chunks written: [0, chunks)
  bytes   INTEGER NOT NULL        -- their bytes
) WITHOUT ROWID;
CREATE TABLE dict_chunks (
  grp   TEXT    NOT NULL,
  seq   INTEGER NOT NULL,
  data  BLOB    NOT NULL,
  PRIMARY KEY (grp, seq)
) WITHOUT ROWID;
