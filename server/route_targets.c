/*
 * route_targets.c: the scraper's state and the server's metrics.
 *
 *   GET /api/v1/targets   every scraped target (scrape.h): job, instance,
 *                         labels, health, last scrape, duration, bytes,
 *                         error, next scrape, each profile kind's own
 *                         state; and how far back scraped data goes
 *   GET /metrics          Prometheus text format (role: --metrics-role):
 *                         requests by route (metrics.h), the scraper's and
 *                         retention's (scrape.h), the memory account's
 *                         (budget.h), the caches' (decoded profiles,
 *                         merged models, merged views' answers), the
 *                         database's size
 */
#include <stdio.h>
#include <sys/stat.h>

#include "answers.h"
#include "budget.h"
#include "cache.h"
#include "config.h"
#include "metrics.h"
#include "respcache.h"
#include "routes.h"
#include "scrape.h"
#include "selection.h"
#include "series.h"
#include "store.h"

static long long file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

enum MHD_Result route_targets_list(struct req *r, const struct route_params *rp)
{
	(void)rp;
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (scrape_targets_json(&j) < 0 || out.oom) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "could not list the targets");
	}
	return reply_buf(r, 200, "application/json", &out);
}

enum MHD_Result route_targets_metrics(struct req *r, const struct route_params *rp)
{
	(void)rp;
	struct buf out = BUF_INIT;
	scrape_metrics(&out);
	metrics_write(&out);
	struct budget_stats bs;
	budget_stats(&bs);
	buf_printf(&out,
	           "# HELP flamedex_inflight_bytes Bytes held now against --max-inflight (budget.h).\n"
	           "# TYPE flamedex_inflight_bytes gauge\nflamedex_inflight_bytes %zu\n"
	           "# HELP flamedex_inflight_limit_bytes --max-inflight.\n"
	           "# TYPE flamedex_inflight_limit_bytes gauge\nflamedex_inflight_limit_bytes %zu\n"
	           "# HELP flamedex_inflight_peak_bytes The most held at once since start.\n"
	           "# TYPE flamedex_inflight_peak_bytes gauge\nflamedex_inflight_peak_bytes %zu\n"
	           "# HELP flamedex_inflight_refused_total Reservations refused for want of budget.\n"
	           "# TYPE flamedex_inflight_refused_total counter\nflamedex_inflight_refused_total %llu\n",
	           bs.used, bs.limit, bs.peak, bs.refused);
	/* the caches: hits are requests served from memory (a decoded profile
	 * found, or shared with a load under way; a kept merged model or
	 * answer; a kept answer of one profile's view), misses the ones that
	 * decoded, merged or rendered; on a shared database (PostgreSQL)
	 * store_get looks a profile up with cache_get before cache_load, so
	 * its hits are found there too */
	struct cache_stats prof_cs, merged_cs;
	struct respcache_stats ans, views;
	store_cache_stats(&prof_cs);
	selection_cache_stats(&merged_cs, &ans);
	views_cache_stats(&views);
	buf_printf(&out,
	           "# HELP flamedex_cache_hits_total Lookups answered from a cache, by cache.\n"
	           "# TYPE flamedex_cache_hits_total counter\n"
	           "flamedex_cache_hits_total{cache=\"profiles\"} %llu\n"
	           "flamedex_cache_hits_total{cache=\"merges\"} %llu\n"
	           "flamedex_cache_hits_total{cache=\"answers\"} %llu\n"
	           "flamedex_cache_hits_total{cache=\"views\"} %llu\n"
	           "# HELP flamedex_cache_misses_total Lookups that had to decode, merge or render, by cache.\n"
	           "# TYPE flamedex_cache_misses_total counter\n"
	           "flamedex_cache_misses_total{cache=\"profiles\"} %llu\n"
	           "flamedex_cache_misses_total{cache=\"merges\"} %llu\n"
	           "flamedex_cache_misses_total{cache=\"answers\"} %llu\n"
	           "flamedex_cache_misses_total{cache=\"views\"} %llu\n"
	           "# HELP flamedex_cache_bytes Bytes held by a cache now, by cache.\n"
	           "# TYPE flamedex_cache_bytes gauge\n"
	           "flamedex_cache_bytes{cache=\"profiles\"} %zu\n"
	           "flamedex_cache_bytes{cache=\"merges\"} %zu\n"
	           "flamedex_cache_bytes{cache=\"answers\"} %zu\n"
	           "flamedex_cache_bytes{cache=\"views\"} %zu\n"
	           "# HELP flamedex_cache_limit_bytes A cache's bound (--cache-bytes and its shares), by cache.\n"
	           "# TYPE flamedex_cache_limit_bytes gauge\n"
	           "flamedex_cache_limit_bytes{cache=\"profiles\"} %zu\n"
	           "flamedex_cache_limit_bytes{cache=\"merges\"} %zu\n"
	           "flamedex_cache_limit_bytes{cache=\"answers\"} %zu\n"
	           "flamedex_cache_limit_bytes{cache=\"views\"} %zu\n"
	           "# HELP flamedex_cache_entries Entries held by a cache now, by cache.\n"
	           "# TYPE flamedex_cache_entries gauge\n"
	           "flamedex_cache_entries{cache=\"profiles\"} %u\n"
	           "flamedex_cache_entries{cache=\"merges\"} %u\n"
	           "flamedex_cache_entries{cache=\"answers\"} %u\n"
	           "flamedex_cache_entries{cache=\"views\"} %u\n",
	           prof_cs.shared + prof_cs.get_hits, merged_cs.get_hits, ans.hits, views.hits, prof_cs.loads,
	           merged_cs.get_misses, ans.misses, views.misses, prof_cs.bytes, merged_cs.bytes, ans.bytes, views.bytes,
	           prof_cs.max_bytes, merged_cs.max_bytes, ans.max_bytes, views.max_bytes, prof_cs.cached,
	           merged_cs.cached, ans.entries, views.entries);
	/* series storage (series.h): what this process wrote and read */
	struct series_stats ss;
	series_stats(&ss);
	buf_printf(&out,
	           "# HELP flamedex_series_puts_total Profiles stored against their series' dictionary.\n"
	           "# TYPE flamedex_series_puts_total counter\nflamedex_series_puts_total %llu\n"
	           "# HELP flamedex_series_chunks_total Dictionary chunks written (a profile that repeats its series writes none).\n"
	           "# TYPE flamedex_series_chunks_total counter\nflamedex_series_chunks_total %llu\n"
	           "# HELP flamedex_series_chunk_bytes_total Bytes of the dictionary chunks written.\n"
	           "# TYPE flamedex_series_chunk_bytes_total counter\nflamedex_series_chunk_bytes_total %llu\n"
	           "# HELP flamedex_series_blob_bytes_total Bytes of the profiles' own parts written.\n"
	           "# TYPE flamedex_series_blob_bytes_total counter\nflamedex_series_blob_bytes_total %llu\n"
	           "# HELP flamedex_series_groups_made_total Dictionary groups started.\n"
	           "# TYPE flamedex_series_groups_made_total counter\nflamedex_series_groups_made_total %llu\n"
	           "# HELP flamedex_series_dict_loads_total Group dictionaries read from the database.\n"
	           "# TYPE flamedex_series_dict_loads_total counter\nflamedex_series_dict_loads_total %llu\n"
	           "# HELP flamedex_series_dict_hits_total Group dictionaries found in memory.\n"
	           "# TYPE flamedex_series_dict_hits_total counter\nflamedex_series_dict_hits_total %llu\n",
	           (unsigned long long)ss.puts, (unsigned long long)ss.chunks, (unsigned long long)ss.chunk_bytes,
	           (unsigned long long)ss.blob_bytes, (unsigned long long)ss.groups_made,
	           (unsigned long long)ss.dict_loads, (unsigned long long)ss.dict_hits);
	/* SQLite: the file and its WAL; PostgreSQL: pg_database_size, and
	 * no WAL of this database's own (the cluster's is shared) */
	long long db_b = 0, wal_b = 0;
	int64_t pg_b = 0;
	int brc = store_db_bytes(&pg_b);
	if (brc == 1) {
		char wal[sizeof(cfg.db) + 8];
		snprintf(wal, sizeof(wal), "%s-wal", cfg.db);
		db_b = file_bytes(cfg.db);
		wal_b = file_bytes(wal);
	} else if (brc == 0) {
		db_b = (long long)pg_b;
	}
	/* the views' answers kept in the database (answers.h) */
	struct answers_stats as;
	answers_stats(&as);
	buf_printf(&out,
	           "# HELP flamedex_view_answers_stored_hits_total Views served from an answer kept in the database (no decode).\n"
	           "# TYPE flamedex_view_answers_stored_hits_total counter\nflamedex_view_answers_stored_hits_total %llu\n"
	           "# HELP flamedex_view_answers_stored_misses_total Lookups of a kept view that found no answer of this format.\n"
	           "# TYPE flamedex_view_answers_stored_misses_total counter\nflamedex_view_answers_stored_misses_total %llu\n"
	           "# HELP flamedex_view_answers_stored_writes_total Answers written to the database.\n"
	           "# TYPE flamedex_view_answers_stored_writes_total counter\nflamedex_view_answers_stored_writes_total %llu\n"
	           "# HELP flamedex_view_answers_stored_skipped_total Answers not kept (over the size cap, or the profile gone).\n"
	           "# TYPE flamedex_view_answers_stored_skipped_total counter\nflamedex_view_answers_stored_skipped_total %llu\n"
	           "# HELP flamedex_view_answers_stored_errors_total Database errors reading or writing kept answers.\n"
	           "# TYPE flamedex_view_answers_stored_errors_total counter\nflamedex_view_answers_stored_errors_total %llu\n"
	           "# HELP flamedex_view_answers_stored_written_bytes_total Gzipped bytes of the answers written.\n"
	           "# TYPE flamedex_view_answers_stored_written_bytes_total counter\n"
	           "flamedex_view_answers_stored_written_bytes_total %llu\n"
	           "# HELP flamedex_view_answers_stored_served_bytes_total Gzipped bytes of the answers read back.\n"
	           "# TYPE flamedex_view_answers_stored_served_bytes_total counter\n"
	           "flamedex_view_answers_stored_served_bytes_total %llu\n",
	           as.hits, as.misses, as.writes, as.skipped, as.errors, as.bytes_written, as.bytes_served);
	buf_printf(&out,
	           "# HELP flamedex_database_bytes Size of the database file and its WAL (PostgreSQL: the database).\n"
	           "# TYPE flamedex_database_bytes gauge\nflamedex_database_bytes{file=\"db\"} %lld\n"
	           "flamedex_database_bytes{file=\"wal\"} %lld\n",
	           db_b, wal_b);
	if (out.oom) {
		buf_release(&out);
		return reply_error(r, 500, "internal", "out of memory");
	}
	return reply_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}
