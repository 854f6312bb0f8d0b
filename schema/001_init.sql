-- flamedex schema, version 1.
-- profiles: one row per upload; the list and its filters read only this.
CREATE TABLE profiles (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT    NOT NULL UNIQUE,      -- 132-bit random, URL-safe
  name         TEXT    NOT NULL,
  kind         TEXT    NOT NULL,             -- cpu, heap, goroutine, mutex, block, other
  uploaded_at  INTEGER NOT NULL,             -- unix nanoseconds
  time_nanos   INTEGER,                      -- profile's own time, NULL if unset
  duration_ns  INTEGER NOT NULL,
  samples      INTEGER NOT NULL,
  functions    INTEGER NOT NULL,
  locations    INTEGER NOT NULL,
  bytes        INTEGER NOT NULL,             -- size of the upload
  types_json   TEXT    NOT NULL              -- period, sample_types, default_sample_type
);
CREATE INDEX profiles_kind ON profiles(kind, seq);

-- Profile-level labels given at upload (service:checkout), for series.
CREATE TABLE profile_labels (
  profile_seq  INTEGER NOT NULL REFERENCES profiles(seq),
  key          TEXT    NOT NULL,
  value        TEXT    NOT NULL,
  PRIMARY KEY (profile_seq, key)
) WITHOUT ROWID;
CREATE INDEX profile_labels_kv ON profile_labels(key, value, profile_seq);

-- The uploaded bytes, unchanged, for /raw.
CREATE TABLE blobs (
  profile_seq  INTEGER PRIMARY KEY REFERENCES profiles(seq),
  raw          BLOB    NOT NULL
);

-- The indexed stacks: functions, frames, the location trie, label sets and
-- samples aggregated per (stack, label set), in the compact form of
-- server/codec.c (format 1).
CREATE TABLE stacks (
  profile_seq  INTEGER PRIMARY KEY REFERENCES profiles(seq),
  format       INTEGER NOT NULL,
  data         BLOB    NOT NULL
);
