-- flamedex schema for PostgreSQL, migration 002: scrape target leases
-- (server/scrape.c, docs/DESIGN.md "Replicas"). Replicas sharing the
-- database all read the same --config; each target's profile kind (the
-- slot key: job, instance and profile, 0x1f-separated) is scraped by the
-- replica holding its row here. A replica renews its rows every second
-- and takes a row whose expiry (the database's clock, unix ms) has
-- passed, so the targets of a replica that died move to the others within
-- the lease time; a replica that stops cleanly deletes its rows.
CREATE TABLE scrape_leases (
  key         text COLLATE "C" PRIMARY KEY,
  owner       text COLLATE "C" NOT NULL,   -- the replica (random per process)
  expires_at  bigint NOT NULL              -- unix ms, the database's clock
);
CREATE INDEX scrape_leases_owner ON scrape_leases(owner);
