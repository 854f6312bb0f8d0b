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
 * most for one of them; ids are read RETENTION_BATCH at a time from a
 * reader connection. The candidates' SQL is here, beside the policy, on a
 * read-only connection of db.h; every write goes through store.h.
 */
#include "scrape.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
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

/* Up to max ids matching sql (one int64 parameter, or none when arg < 0). */
static int candidates(const char *sql, int64_t arg, char (*ids)[FDX_ID_LEN + 1], int64_t *bytes, int max)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK) {
		util_log("level=error msg=\"retention query failed\" err=\"%s\"", sqlite3_errmsg(c));
		db_reader_put(c);
		return -1;
	}
	if (arg >= 0)
		sqlite3_bind_int64(st, 1, arg);
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (!id || strlen(id) > FDX_ID_LEN)
			continue;
		memcpy(ids[n], id, strlen(id) + 1);
		bytes[n] = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_finalize(st);
	db_reader_put(c);
	return n;
}

static int64_t scalar_i64(const char *sql)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return v;
}

static bool should_stop(void)
{
	pthread_mutex_lock(&rmu);
	bool s = rstop;
	pthread_mutex_unlock(&rmu);
	return s;
}

/* Delete what sql finds until it finds nothing; the count, or -1. */
static int sweep(const char *sql, int64_t arg, bool scraped, int64_t *budget_bytes)
{
	int total = 0;
	for (;;) {
		if (should_stop())
			return total;
		char ids[RETENTION_BATCH][FDX_ID_LEN + 1];
		int64_t bytes[RETENTION_BATCH];
		int n = candidates(sql, arg, ids, bytes, RETENTION_BATCH);
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
		/* downsampled profiles (downsample.h) have --downsample-retention */
		rc = sweep("SELECT id, bytes FROM profiles WHERE scrape_job IS NOT NULL AND ds_step IS NULL AND uploaded_at < ?1 "
		           "ORDER BY uploaded_at LIMIT 32",
		           now - (int64_t)cfg.retention_s * 1000000000LL, true, NULL);
		if (rc < 0)
			return -1;
		total += rc;
	}
	if (cfg.retention_uploads_s) {
		rc = sweep("SELECT id, bytes FROM profiles WHERE scrape_job IS NULL AND uploaded_at < ?1 "
		           "ORDER BY uploaded_at LIMIT 32",
		           now - (int64_t)cfg.retention_uploads_s * 1000000000LL, false, NULL);
		if (rc < 0)
			return -1;
		total += rc;
	}
	if (cfg.retention_bytes) {
		int64_t have = scalar_i64("SELECT SUM(bytes) FROM profiles WHERE scrape_job IS NOT NULL");
		if (have < 0)
			return -1;
		int64_t over = have - (int64_t)cfg.retention_bytes;
		if (over > 0) {
			rc = sweep("SELECT id, bytes FROM profiles WHERE scrape_job IS NOT NULL ORDER BY uploaded_at LIMIT 32",
			           -1, true, &over);
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
	/* how far back scraped data goes: the oldest profile time, raw
	 * (scraped, not downsampled) or downsampled, each through its index
	 * of migration 010 */
	int64_t oldest = scalar_i64(
		"SELECT min(t) FROM (SELECT min(coalesce(time_nanos, client_time, uploaded_at)) AS t FROM profiles "
		"WHERE scrape_job IS NOT NULL AND ds_step IS NULL AND ds_into IS NULL UNION ALL "
		"SELECT min(coalesce(time_nanos, client_time, uploaded_at)) FROM profiles WHERE ds_step IS NOT NULL)");
	json_key(j, "oldest_scraped");
	if (oldest > 0) {
		char ts[40];
		util_rfc3339(oldest, ts);
		json_str(j, ts);
	} else {
		json_null(j);
	}
	int64_t bytes = scalar_i64("SELECT COALESCE(SUM(bytes),0) FROM profiles WHERE scrape_job IS NOT NULL");
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
