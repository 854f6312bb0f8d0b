-- flamedex schema, version 4 (migration 004): the time a client gave at
-- upload (POST /api/v1/profiles?time=...), in unix nanoseconds. Stored only
-- for a profile without a time of its own (time_nanos NULL), as goroutine
-- text dumps are; NULL otherwise. A profile's time is time_nanos, else
-- client_time, else uploaded_at (docs/API.md, "time_source").
ALTER TABLE profiles ADD COLUMN client_time INTEGER;
