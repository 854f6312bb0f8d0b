-- flamedex schema for PostgreSQL, migration 004: the SQLite migration 012
-- (downsampling per scrape job, server/downsample.c, docs/SCRAPE.md "Per
-- job"). Each job has its own policy, so a pass walks the jobs one by one
-- (store_ds_next_job) and reads each job's candidates and downsampled
-- profiles by time.
-- the candidates of a job, by time
CREATE INDEX profiles_ds_job_raw ON profiles(scrape_job, (coalesce(time_nanos, client_time, uploaded_at)), seq)
  WHERE scrape_job IS NOT NULL AND ds_step IS NULL AND ds_into IS NULL;
-- the downsampled profiles of a job, by time (their retention)
CREATE INDEX profiles_ds_job ON profiles(scrape_job, (coalesce(time_nanos, client_time, uploaded_at)))
  WHERE ds_step IS NOT NULL;
