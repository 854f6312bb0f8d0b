/*
 * scrape_retention.c: --retention, --retention-bytes, --retention-uploads
 * (scrape.h, docs/SCRAPE.md).
 *
 * A background thread wakes every RETENTION_PERIOD_MS and deletes, oldest
 * first by the time they were stored:
 *   - scraped profiles (profiles.scrape_job set) stored more than
 *     --retention ago;
 *   - uploaded ones stored more than --retention-uploads ago (0: never);
 *   - while the scraped profiles' bytes exceed --retention-bytes, the
 *     oldest scraped ones.
 * Each deletion is store_delete: one small transaction of its own (which
 * also forgets the profile in the cache), so uploads and views wait at
 * most for one of them; ids are read RETENTION_BATCH at a time
 * (store_retention_ids). Replicas sharing a PostgreSQL database run the
 * passes once: only the process holding the retention job's lock
 * (store_job_lock, an advisory lock) sweeps; the others try again each
 * period, so one takes over within a period when the holder dies.
 */
#include "scrape.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "limits.h"
#include "store.h"
#include "util.h"

#define RETENTION_PERIOD_MS 1000
#define RETENTION_BATCH     32

static pthread_t th;
static bool th_on;
static pthread_mutex_t rmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rcv = PTHREAD_COND_INITIALIZER;
static bool rstop;
static atomic_ullong deleted_scraped, deleted_uploads, deleted_bytes;

static bool should_stop(void)
{
	pthread_mutex_lock(&rmu);
	bool s = rstop;
	pthread_mutex_unlock(&rmu);
	return s;
}

/* Delete what store_retention_ids(which, before) finds until it finds
 * nothing; the count, or -1. */
static int sweep(enum store_retention which, int64_t before, bool scraped, int64_t *budget_bytes)
{
	int total = 0;
	for (;;) {
		if (should_stop())
			return total;
		char ids[RETENTION_BATCH][FDX_ID_LEN + 1];
		int64_t bytes[RETENTION_BATCH];
		int n = store_retention_ids(which, before, ids, bytes, RETENTION_BATCH);
		if (n <= 0)
			return n < 0 ? -1 : total;
		for (int i = 0; i < n; i++) {
			if (budget_bytes && *budget_bytes <= 0)
				return total;
			int rc = store_delete(ids[i]);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				total++;
				atomic_fetch_add(scraped ? &deleted_scraped : &deleted_uploads, 1);
				atomic_fetch_add(&deleted_bytes, (unsigned long long)bytes[i]);
				if (budget_bytes)
					*budget_bytes -= bytes[i];
			}
		}
	}
}

int scrape_retention_pass(void)
{
	int total = 0, rc;
	int64_t now = util_now_nanos();
	if (cfg.retention_s) {
		rc = sweep(STORE_RET_SCRAPED_BEFORE, now - (int64_t)cfg.retention_s * 1000000000LL, true, NULL);
		if (rc < 0)
			return -1;
		total += rc;
	}
	if (cfg.retention_uploads_s) {
		rc = sweep(STORE_RET_UPLOADS_BEFORE, now - (int64_t)cfg.retention_uploads_s * 1000000000LL, false, NULL);
		if (rc < 0)
			return -1;
		total += rc;
	}
	if (cfg.retention_bytes) {
		int64_t have, oldest;
		if (store_scraped_stats(&have, &oldest) < 0)
			return -1;
		int64_t over = have - (int64_t)cfg.retention_bytes;
		if (over > 0) {
			rc = sweep(STORE_RET_SCRAPED_OLDEST, 0, true, &over);
			if (rc < 0)
				return -1;
			total += rc;
		}
	}
	if (total)
		util_log("level=info msg=\"retention deleted profiles\" count=%d", total);
	return total;
}

static void *loop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&rmu);
	while (!rstop) {
		pthread_mutex_unlock(&rmu);
		if (store_job_lock(STORE_JOB_RETENTION) == 1)
			scrape_retention_pass();
		pthread_mutex_lock(&rmu);
		if (rstop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += RETENTION_PERIOD_MS / 1000;
		pthread_cond_timedwait(&rcv, &rmu, &ts);
	}
	pthread_mutex_unlock(&rmu);
	return NULL;
}

int scrape_retention_start(void)
{
	if (!cfg.retention_s && !cfg.retention_bytes && !cfg.retention_uploads_s)
		return 0;
	rstop = false;
	if (pthread_create(&th, NULL, loop, NULL) != 0) {
		util_log("level=error msg=\"cannot start retention\"");
		return -1;
	}
	th_on = true;
	util_log("level=info msg=retention scraped_s=%u bytes=%zu uploads_s=%u", cfg.retention_s, cfg.retention_bytes,
	         cfg.retention_uploads_s);
	return 0;
}

void scrape_retention_stop(void)
{
	if (!th_on)
		return;
	pthread_mutex_lock(&rmu);
	rstop = true;
	pthread_cond_broadcast(&rcv);
	pthread_mutex_unlock(&rmu);
	pthread_join(th, NULL);
	th_on = false;
}

void scrape_retention_json(struct json *j)
{
	json_obj_begin(j);
	json_key(j, "scraped_seconds");
	json_uint(j, cfg.retention_s);
	json_key(j, "scraped_bytes_cap");
	json_uint(j, cfg.retention_bytes);
	json_key(j, "uploads_seconds");
	json_uint(j, cfg.retention_uploads_s);
	int64_t bytes = 0, oldest = 0;
	if (store_scraped_stats(&bytes, &oldest) < 0)
		bytes = oldest = 0;
	json_key(j, "oldest_scraped");
	if (oldest > 0) {
		char ts[40];
		util_rfc3339(oldest, ts);
		json_str(j, ts);
	} else {
		json_null(j);
	}
	json_key(j, "scraped_bytes");
	json_int(j, bytes < 0 ? 0 : bytes);
	json_key(j, "deleted_scraped");
	json_uint(j, atomic_load(&deleted_scraped));
	json_key(j, "deleted_uploads");
	json_uint(j, atomic_load(&deleted_uploads));
	json_obj_end(j);
}

void scrape_retention_metrics(struct buf *out)
{
	buf_printf(out,
	           "# HELP flamedex_retention_deleted_total Profiles deleted by retention, by source.\n"
	           "# TYPE flamedex_retention_deleted_total counter\n"
	           "flamedex_retention_deleted_total{source=\"scrape\"} %llu\n"
	           "flamedex_retention_deleted_total{source=\"upload\"} %llu\n"
	           "# HELP flamedex_retention_deleted_bytes_total Bytes of the profiles retention deleted.\n"
	           "# TYPE flamedex_retention_deleted_bytes_total counter\n"
	           "flamedex_retention_deleted_bytes_total %llu\n",
	           atomic_load(&deleted_scraped), atomic_load(&deleted_uploads), atomic_load(&deleted_bytes));
}
