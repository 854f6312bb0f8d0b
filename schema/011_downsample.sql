-- flamedex schema, migration 011: downsampling (server/downsample.c,
-- docs/SCRAPE.md "Downsampling").
--   profiles.ds_step     seconds of the bucket a downsampled profile covers
--                        (NULL: not a downsampled profile)
--   profiles.ds_members  how many scraped profiles were merged into it
--   profiles.ds_agg      'sum' or 'avg', how they were merged
--   profiles.ds_into     on a scraped profile already merged into the
--                        downsampled profile of that seq: it is deleted
--                        next (selections and series leave it out now)
--   locks                named leases (store_lock_take), so that one
--                        process downsamples a database at a time
ALTER TABLE profiles ADD COLUMN ds_step INTEGER;
ALTER TABLE profiles ADD COLUMN ds_members INTEGER;
ALTER TABLE profiles ADD COLUMN ds_agg TEXT;
ALTER TABLE profiles ADD COLUMN ds_into INTEGER;
-- the candidates: scraped, raw, not merged yet, by time
CREATE INDEX profiles_ds_raw ON profiles(coalesce(time_nanos, client_time, uploaded_at), seq)
  WHERE scrape_job IS NOT NULL AND ds_step IS NULL AND ds_into IS NULL;
-- the merged ones waiting to be deleted
CREATE INDEX profiles_ds_into ON profiles(ds_into) WHERE ds_into IS NOT NULL;
-- the downsampled profiles, by time (their retention)
CREATE INDEX profiles_ds ON profiles(coalesce(time_nanos, client_time, uploaded_at)) WHERE ds_step IS NOT NULL;
CREATE TABLE locks (
  name     TEXT    PRIMARY KEY,
  holder   TEXT    NOT NULL,
  expires  INTEGER NOT NULL   -- unix ns
) WITHOUT ROWID;
