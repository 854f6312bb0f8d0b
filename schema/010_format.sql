-- flamedex schema, migration 010: the format each profile was uploaded in
-- (ingest.h's ingest_format_name: pprof, pprof-uncompressed, text-debug1,
-- text-debug2, folded, speedscope), shown in the list and on the profile
-- page. NULL for the profiles stored before this migration: the server
-- fills those in at start (store_format_backfill) from the first bytes of
-- each one's upload, which the blobs table has unchanged.
ALTER TABLE profiles ADD COLUMN format TEXT;
