-- flamedex: outside a transaction
-- flamedex schema, version 5 (migration 005): auto_vacuum=INCREMENTAL, so
-- that a DELETE gives its space back to the file system (server/db.c,
-- db_reclaim, runs PRAGMA incremental_vacuum after each). Changing
-- auto_vacuum on a database that has tables takes a VACUUM, which cannot run
-- in a transaction: db.c runs a migration whose first line is the one above
-- outside of one (VACUUM is atomic itself; after a crash it runs again).
-- VACUUM rewrites the whole file: on an existing database it needs free
-- space of about twice the database's size while it runs.
PRAGMA auto_vacuum=INCREMENTAL;
VACUUM;
