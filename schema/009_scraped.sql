-- flamedex schema, migration 009: the scrape job that stored a profile
-- (scrape.h), NULL for a profile someone uploaded. Retention (--retention,
-- --retention-bytes) deletes only profiles with a scrape_job, oldest first,
-- unless --retention-uploads says otherwise.
ALTER TABLE profiles ADD COLUMN scrape_job TEXT;
CREATE INDEX profiles_scraped ON profiles(uploaded_at) WHERE scrape_job IS NOT NULL;
