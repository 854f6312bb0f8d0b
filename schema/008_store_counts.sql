-- flamedex schema, migration 008: the store at scale (docs/DESIGN.md,
-- "The store at 100,000 profiles").
--   profile_counts  profiles per kind ('*': all), for the list's total
--   label_counts    profiles per (label key, value, kind), for the label
--                   filter's total and /api/v1/labels
--   profile_names   a trigram index of the names, for q= (3 bytes or more)
-- All three are kept by triggers, so they change in the same transaction
-- as the rows they count, whoever writes them.

CREATE TABLE profile_counts (
  kind  TEXT    PRIMARY KEY,
  n     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO profile_counts(kind, n) SELECT '*', count(*) FROM profiles;
INSERT INTO profile_counts(kind, n) SELECT kind, count(*) FROM profiles GROUP BY kind;
CREATE TRIGGER profile_counts_ins AFTER INSERT ON profiles BEGIN
  INSERT INTO profile_counts(kind, n) VALUES('*', 1) ON CONFLICT(kind) DO UPDATE SET n = n + 1;
  INSERT INTO profile_counts(kind, n) VALUES(NEW.kind, 1) ON CONFLICT(kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER profile_counts_del AFTER DELETE ON profiles BEGIN
  UPDATE profile_counts SET n = n - 1 WHERE kind IN ('*', OLD.kind);
END;

CREATE TABLE label_counts (
  key    TEXT    NOT NULL,
  value  TEXT    NOT NULL,
  kind   TEXT    NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (key, value, kind)
) WITHOUT ROWID;
INSERT INTO label_counts(key, value, kind, n)
  SELECT l.key, l.value, p.kind, count(*) FROM profile_labels l JOIN profiles p ON p.seq = l.profile_seq
  GROUP BY l.key, l.value, p.kind;
-- INSERT OR REPLACE deletes the row it replaces without firing delete
-- triggers (recursive_triggers is off): take that row out here.
CREATE TRIGGER label_counts_replace BEFORE INSERT ON profile_labels BEGIN
  UPDATE label_counts SET n = n - 1
   WHERE (key, value, kind) IN (SELECT l.key, l.value, p.kind FROM profile_labels l JOIN profiles p ON p.seq = l.profile_seq
                                 WHERE l.profile_seq = NEW.profile_seq AND l.key = NEW.key);
  DELETE FROM label_counts WHERE key = NEW.key AND n <= 0;
END;
CREATE TRIGGER label_counts_ins AFTER INSERT ON profile_labels BEGIN
  INSERT INTO label_counts(key, value, kind, n)
    VALUES(NEW.key, NEW.value, (SELECT kind FROM profiles WHERE seq = NEW.profile_seq), 1)
    ON CONFLICT(key, value, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER label_counts_del AFTER DELETE ON profile_labels BEGIN
  UPDATE label_counts SET n = n - 1
   WHERE key = OLD.key AND value = OLD.value AND kind = (SELECT kind FROM profiles WHERE seq = OLD.profile_seq);
  DELETE FROM label_counts WHERE key = OLD.key AND value = OLD.value AND n <= 0;
END;

CREATE VIRTUAL TABLE profile_names USING fts5(name, content='profiles', content_rowid='seq', tokenize='trigram');
INSERT INTO profile_names(profile_names) VALUES('rebuild');
CREATE TRIGGER profile_names_ins AFTER INSERT ON profiles BEGIN
  INSERT INTO profile_names(rowid, name) VALUES(NEW.seq, NEW.name);
END;
CREATE TRIGGER profile_names_del AFTER DELETE ON profiles BEGIN
  INSERT INTO profile_names(profile_names, rowid, name) VALUES('delete', OLD.seq, OLD.name);
END;
CREATE TRIGGER profile_names_upd AFTER UPDATE OF name ON profiles BEGIN
  INSERT INTO profile_names(profile_names, rowid, name) VALUES('delete', OLD.seq, OLD.name);
  INSERT INTO profile_names(rowid, name) VALUES(NEW.seq, NEW.name);
END;
