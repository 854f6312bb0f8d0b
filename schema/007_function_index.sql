-- flamedex schema, migration 007: the function index (server/findex.h).
-- Functions are interned across profiles; per profile and function, the
-- flat and cum of every sample type (go tool pprof -top's numbers), so
-- that "which profiles contain X, and how much" is answered without
-- decoding a stored profile. Rows are written in the upload's own
-- transaction and removed in the delete's; profiles stored before this
-- migration have no profile_findex row, and the server indexes them at
-- start (findex_rebuild), one profile decoded at a time.

CREATE TABLE functions (
  id    INTEGER PRIMARY KEY,
  name  TEXT    NOT NULL UNIQUE
);

-- One row per indexed profile: its sample type names (one per line, in
-- the profile's order), the index of the default one, and pprof's total
-- of each (decimal, one per line).
CREATE TABLE profile_findex (
  profile_seq  INTEGER PRIMARY KEY REFERENCES profiles(seq) ON DELETE CASCADE,
  types        TEXT    NOT NULL,
  def_type     INTEGER NOT NULL,
  totals       TEXT    NOT NULL
);

-- vals: for each sample type in order, flat then cum as zigzag varints
-- (findex_vals_get reads them).
CREATE TABLE profile_functions (
  function_id  INTEGER NOT NULL REFERENCES functions(id),
  profile_seq  INTEGER NOT NULL REFERENCES profiles(seq) ON DELETE CASCADE,
  vals         BLOB    NOT NULL,
  PRIMARY KEY (function_id, profile_seq)
) WITHOUT ROWID;
CREATE INDEX profile_functions_seq ON profile_functions(profile_seq);
