/*
 * scrape.h: continuous collection. Go services' /debug/pprof endpoints are
 * fetched on a schedule (the --config file, scrape_config.h) and stored
 * like uploads; retention deletes old scraped profiles (scrape_retention.c).
 *
 * One slot per (job, target, profile kind). One fetcher thread runs every
 * transfer in a libcurl multi handle (at most FDX_SCRAPE_MAX_TRANSFERS at
 * once, a fresh connection each), so a CPU profile's seconds or a slow
 * target cost a socket, not a thread; FDX_SCRAPE_WORKERS decoder threads
 * pass each body received through ingest_decode and store_add: the same
 * decoder, limits and single transaction as an upload, with profile labels
 * job:<job_name>, instance:<host:port> and the target's static labels.
 *
 * Invariants:
 *   - a slot has at most one fetch in flight (fetching or being decoded); its first fetch is
 *     at a point of its interval fixed by a hash of its key (targets do
 *     not fire together), then every interval from the start of the last
 *     one; while it fails, at interval * 2^(failures-1), at most
 *     FDX_SCRAPE_MAX_BACKOFF_STEPS intervals and FDX_SCRAPE_MAX_BACKOFF_S;
 *   - a transfer is aborted past FDX_SCRAPE_MAX_BODY bytes (whatever the
 *     Content-Length says), after scrape_timeout (plus the seconds of a CPU
 *     or delta profile), on a redirect (not followed) and at stop; the body
 *     is charged to the in-flight budget (budget.h) as it grows;
 *   - scrape_reload swaps the configuration under the lock: slots whose
 *     (job, target, profile) stay keep their state and any fetch in flight
 *     finishes; removed ones finish their fetch and are dropped. A file that
 *     does not parse changes nothing.
 * Layer: beside the handlers (it uses the domain and the store, no HTTP);
 * main.c starts and stops it, route_targets.c reads it.
 */
#ifndef FDX_SCRAPE_H
#define FDX_SCRAPE_H

#include "buf.h"
#include "json.h"

/* Load cfg.scrape_config (when set) and start the workers and the
 * retention thread (when --retention or --retention-bytes is set). On a bad
 * file prints the reason to stderr and returns -1. */
int scrape_start(void);
/* Read cfg.scrape_config again (SIGHUP); 0, or -1 with the old
 * configuration kept and the reason logged. */
int scrape_reload(void);
/* Stop the workers (transfers in flight are aborted) and retention. */
void scrape_stop(void);

/* {"targets":[...], "retention":{...}} (docs/API.md, GET /api/v1/targets). */
int scrape_targets_json(struct json *j);
/* The scraper's and retention's metrics, Prometheus text format. */
void scrape_metrics(struct buf *out);

/* ---- scrape_retention.c ---- */
int scrape_retention_start(void);
void scrape_retention_stop(void);
/* One pass now: deletes what retention says; the number deleted or -1. */
int scrape_retention_pass(void);
void scrape_retention_json(struct json *j);
void scrape_retention_metrics(struct buf *out);

#endif
