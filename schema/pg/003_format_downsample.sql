-- flamedex schema for PostgreSQL, migration 003: the SQLite migrations 010
-- (each profile's upload format) and 011 (downsampling, named leases) in
-- one step; the columns mean what schema/010_format.sql and
-- schema/011_downsample.sql say.
ALTER TABLE profiles ADD COLUMN format text COLLATE "C";
ALTER TABLE profiles ADD COLUMN ds_step bigint;
ALTER TABLE profiles ADD COLUMN ds_members bigint;
ALTER TABLE profiles ADD COLUMN ds_agg text COLLATE "C";
ALTER TABLE profiles ADD COLUMN ds_into bigint;
-- the candidates: scraped, raw, not merged yet, by time
CREATE INDEX profiles_ds_raw ON profiles((coalesce(time_nanos, client_time, uploaded_at)), seq)
  WHERE scrape_job IS NOT NULL AND ds_step IS NULL AND ds_into IS NULL;
-- the merged ones waiting to be deleted
CREATE INDEX profiles_ds_into ON profiles(ds_into) WHERE ds_into IS NOT NULL;
-- the downsampled profiles, by time (their retention)
CREATE INDEX profiles_ds ON profiles((coalesce(time_nanos, client_time, uploaded_at))) WHERE ds_step IS NOT NULL;
-- profiles stored before the format was kept (store_format_backfill)
CREATE INDEX profiles_no_format ON profiles(seq) WHERE format IS NULL;
-- named leases (store_lock_take): one replica downsamples at a time
CREATE TABLE locks (
  name     text COLLATE "C" PRIMARY KEY,
  holder   text COLLATE "C" NOT NULL,
  expires  bigint NOT NULL   -- unix ns, the holder's clock
);
