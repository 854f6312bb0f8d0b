/*
 * store.c: the store's front (see store.h): chooses the backend of --db
 * (store_be.h), keeps the decoded-profile cache (cache.c) and what both
 * backends share (the stacks' stored form, ids, the types JSON).
 */
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "codec.h"
#include "db_pg.h"
#include "series.h"
#include "store_be.h"
#include "util.h"
#include "work.h"

static struct cache *cache;
static const struct store_backend *be = &store_sqlite_backend;
static _Thread_local bool unavailable;

/* Format 0 of the stacks row: no stacks form (an empty data column); the
 * profile is read back by decoding its original bytes again
 * (store_set_raw_decoder). Otherwise the row's format is codec.h's
 * version of the blob. */
#define STACKS_FORMAT_RAW 0
/* The stacks form is left out only when both (and the original can be
 * decoded again): it would pass this share of the original bytes, and
 * decoding the original would cost about what decoding the trie does,
 * i.e. the original's location references are at most REDECODE_MAX_X
 * times the trie's nodes. On shapes whose stacks barely compress (random
 * deep leaves) the stacks form is 0.75x the gzipped upload and decodes no
 * faster than the original (the sorted trie build); on a trie that shares
 * most prefixes (8M references in 1.2M nodes) it decodes 3x faster, and
 * is kept. docs/BENCHMARKS.md. */
#define STACKS_MAX_SHARE_NUM 1
#define STACKS_MAX_SHARE_DEN 3
#define REDECODE_MAX_X 3

static store_raw_decoder raw_decoder;

void store_set_raw_decoder(store_raw_decoder fn)
{
	raw_decoder = fn;
}

void store_note_unavailable(void)
{
	unavailable = true;
}

bool store_unavailable(void)
{
	return unavailable;
}

void store_unavailable_clear(void)
{
	unavailable = false;
}

bool store_db_is_pg(const char *db)
{
	return db_pg_is_conninfo(db);
}

const char *store_backend_name(void)
{
	return be->name;
}

void store_release(struct prof *p)
{
	cache_release(cache, p);
}

/* FLAMEDEX_TEST_REDECODE=1 (tests only: check-api-pg, check-api-tsan):
 * an upload's decoded model is not kept, so that every view of it reads
 * the stored form back (the codec's or the series', series.h). */
static bool test_redecode;

void store_cache_add(const char *id, struct prof *p)
{
	if (test_redecode) {
		prof_free(p);
		return;
	}
	cache_release(cache, cache_put(cache, id, p));
}

/* ---- setup ------------------------------------------------------------ */

int store_init(const char *db, size_t cache_bytes, unsigned pool)
{
	be = store_db_is_pg(db) ? &store_pg_backend : &store_sqlite_backend;
	const char *rd = getenv("FLAMEDEX_TEST_REDECODE");
	test_redecode = rd && strcmp(rd, "1") == 0;
	cache = cache_new(cache_bytes);
	if (!cache)
		return -1;
	if (be->open(db, pool) < 0) {
		cache_free(cache);
		cache = NULL;
		return -1;
	}
	return 0;
}

void store_shutdown(void)
{
	cache_free(cache);
	cache = NULL;
	series_reset();
	be->close();
}

int store_health(void)
{
	return be->health();
}

int store_db_bytes(int64_t *bytes)
{
	return be->db_bytes ? be->db_bytes(bytes) : 1;
}

/* ---- writing ------------------------------------------------------------ */

static void types_json(const struct prof *p, struct buf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "period");
	json_obj_begin(&j);
	json_key(&j, "type");
	json_str(&j, prof_str(p, p->period_type));
	json_key(&j, "unit");
	json_str(&j, prof_str(p, p->period_unit));
	json_key(&j, "value");
	json_int(&j, p->period);
	json_obj_end(&j);
	json_key(&j, "sample_types");
	json_arr_begin(&j);
	for (uint32_t i = 0; i < p->n_types; i++) {
		json_obj_begin(&j);
		json_key(&j, "type");
		json_str(&j, prof_str(p, p->type_type[i]));
		json_key(&j, "unit");
		json_str(&j, prof_str(p, p->type_unit[i]));
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "default_sample_type");
	if (p->n_types)
		json_str(&j, prof_str(p, p->type_type[p->default_type]));
	else
		json_null(&j);
	json_obj_end(&j);
}

/* The series key of an upload: its kind and its labels, sorted. */
static int label_cmp(const void *a, const void *b)
{
	const struct store_label *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

static int series_key(const struct store_new *n, struct buf *key)
{
	struct store_label *ls = n->n_labels ? malloc((size_t)n->n_labels * sizeof(*ls)) : NULL;
	if (n->n_labels && !ls)
		return -1;
	if (n->n_labels)
		memcpy(ls, n->labels, (size_t)n->n_labels * sizeof(*ls));
	qsort(ls, (size_t)n->n_labels, sizeof(*ls), label_cmp);
	buf_adds(key, prof_kind_name(n->prof->kind));
	for (int i = 0; i < n->n_labels; i++) {
		buf_addc(key, '\x1f');
		buf_adds(key, ls[i].key);
		buf_addc(key, '\x1e');
		buf_adds(key, ls[i].value);
	}
	free(ls);
	return key->oom ? -1 : 0;
}

/* Store n against its series (series.h): 0, STORE_FULL, STORE_CHANGED,
 * -1, or 1 when it is not stored that way (the caller stores it alone). */
static int add_series(const struct store_new *n, const struct buf *types, const char *id)
{
	struct buf key = BUF_INIT;
	if (series_key(n, &key) < 0) {
		buf_release(&key);
		return 1;
	}
	int rc = 1;
	/* a stale group (its last profile deleted meanwhile) is redone in a
	 * new one */
	for (int tries = 0; tries < 3; tries++) {
		struct series_put sp;
		if (series_put_begin(key.data, key.len, n->prof, &sp) < 0) {
			rc = 1;
			break;
		}
		struct store_chunk ch = { sp.grp, sp.need, sp.seq, (const uint8_t *)sp.chunk.data, sp.chunk.len };
		rc = be->add(n, &sp.blob, SERIES_FORMAT, types, id, &ch);
		series_put_end(&sp, rc);
		if (rc != STORE_SERIES_STALE)
			break;
	}
	buf_release(&key);
	return rc == STORE_SERIES_STALE ? -1 : rc;
}

int store_add(const struct store_new *n, char *id_out)
{
	const struct prof *p = n->prof;
	struct buf stacks = BUF_INIT, types = BUF_INIT;
	int rc = -1;
	if (series_wanted(p, n->n_labels)) {
		types_json(p, &types);
		if (types.oom || util_new_id(id_out) < 0)
			goto out;
		rc = add_series(n, &types, id_out);
		if (rc != 1)
			goto out;
		buf_release(&types);
		rc = -1;
	}
	/* The stacks form, unless it would pass its share of the original
	 * and the original can be decoded again instead. */
	int stacks_format = CODEC_FORMAT;
	bool cheap = p->in_refs > 0 && p->in_refs <= (uint64_t)REDECODE_MAX_X * p->n_nodes;
	size_t max = n->redecodable && !n->raw_dropped && raw_decoder && cheap
	                 ? (size_t)((uint64_t)n->raw_len * STACKS_MAX_SHARE_NUM / STACKS_MAX_SHARE_DEN) + 1
	                 : 0;
	int enc = codec_encode_max(p, &stacks, max);
	if (enc == CODEC_OVER) {
		stacks_format = STACKS_FORMAT_RAW;
		buf_release(&stacks);
	} else if (enc < 0) {
		goto out;
	}
	types_json(p, &types);
	if (types.oom || util_new_id(id_out) < 0)
		goto out;
	rc = be->add(n, &stacks, stacks_format, &types, id_out, NULL);
out:
	buf_release(&stacks);
	buf_release(&types);
	return rc;
}

int store_delete(const char *id)
{
	int rc = be->del(id);
	if (rc == 0)
		cache_forget(cache, id);
	return rc;
}

int store_edit(const char *id, const char *name, const struct store_label *labels, int n_labels)
{
	return be->edit(id, name, labels, n_labels);
}

/* ---- reading ------------------------------------------------------------ */

int store_meta(const char *id, struct json *j)
{
	return be->meta(id, j);
}

int store_list(const struct store_query *q, struct json *j)
{
	return be->list(q, j);
}

int store_raw(const char *id, uint8_t **data, size_t *len)
{
	return be->raw(id, data, len);
}

int store_name(const char *id, char *out, size_t cap)
{
	return be->name_of(id, out, cap);
}

static int read_chunks(void *ctx, const char *grp, uint32_t from, uint32_t to, series_each_chunk each, void *ectx)
{
	(void)ctx;
	return be->dict_chunks(grp, from, to, each, ectx);
}

/* cache.h's loader: read the stored stacks of id and decode them (or, for
 * a profile stored without them, its original bytes), the blob charged to
 * the current work while it is held. */
static struct prof *load_stacks(void *ctx, const char *id, int *status)
{
	(void)ctx;
	uint8_t *data;
	size_t len;
	int format = 0;
	double t0 = util_mono_ms();
	int rc = be->stacks(id, &format, &data, &len);
	if (rc == 0 && format == STACKS_FORMAT_RAW) {
		free(data);
		rc = raw_decoder ? be->raw(id, &data, &len) : -1;
	}
	if (rc != 0) {
		*status = rc == 1 ? 404 : 500;
		return NULL;
	}
	if (work_charge(len) < 0) {
		free(data);
		*status = 503;
		return NULL;
	}
	int raw_status = 0;
	struct prof *p = format == STACKS_FORMAT_RAW ? raw_decoder(data, len, &raw_status)
	                 : format == SERIES_FORMAT ? series_decode(data, len, read_chunks, NULL)
	                                           : codec_decode(data, len);
	free(data);
	work_uncharge(len);
	if (!p && format == SERIES_FORMAT && raw_decoder && work_poll() == WORK_OK) {
		/* its group could not be read (the database busy or a chunk
		 * damaged): the original bytes, when they were kept, stand in */
		uint8_t *raw = NULL;
		size_t rlen = 0;
		if (be->raw(id, &raw, &rlen) == 0 && rlen > 0 && work_charge(rlen) == 0) {
			util_log("level=warn msg=\"series group unreadable: decoding the original\" id=%s", id);
			p = raw_decoder(raw, rlen, &raw_status);
			work_uncharge(rlen);
		}
		free(raw);
	}
	if (!p && (raw_status == 429 || raw_status == 503) && work_poll() == WORK_OK && work_current()) {
		/* the decoder's memory was refused (ingest's reservation): the
		 * same stop as a refused charge of the stacks form, so every
		 * caller answers it as a busy server (work.h) */
		work_stop(work_current(), WORK_NOMEM);
	}
	if (!p) {
		*status = work_poll() != WORK_OK || raw_status == 429 || raw_status == 503 ? 503 : 500;
		if (*status == 500)
			util_log("level=error msg=\"stored %s do not decode\" id=%s",
			         format == STACKS_FORMAT_RAW ? "original bytes" : "stacks", id);
		return NULL;
	}
	util_log("level=info msg=decoded id=%s from=%s stored=%zu bytes=%zu ms=%.1f", id,
	         format == STACKS_FORMAT_RAW ? "original" : format == SERIES_FORMAT ? "series" : "stacks", len, prof_mem_bytes(p), util_mono_ms() - t0);
	return p;
}

struct prof *store_get(const char *id, int *status)
{
	*status = 0;
	/* Profiles never change once stored, but another replica may have
	 * deleted this one: on a shared database a cached copy is served only
	 * while its row is still there (one lookup of the id's unique index). */
	if (be->shared) {
		struct prof *held = cache_get(cache, id);
		if (held) {
			int rc = be->exists(id);
			if (rc == 0)
				return held;
			cache_release(cache, held);
			if (rc == 1)
				cache_forget(cache, id);
			*status = rc == 1 ? 404 : 500;
			return NULL;
		}
	}
	struct prof *p = cache_load(cache, id, load_stacks, NULL, status);
	if (!p && !*status)
		*status = 500;
	return p;
}

int store_ids_by_label(const char *key, const char *value, const char *kind, char (*ids)[23], int max, int *n)
{
	return be->ids_by_label(key, value, kind, ids, max, n);
}

int store_time(const char *id, int64_t *ns, const char **source)
{
	return be->time(id, ns, source);
}

int store_sizes(const char *id, struct store_sizes *out)
{
	return be->sizes(id, out);
}

int store_label(const char *id, const char *key, char *out, size_t cap)
{
	if (cap == 0)
		return -1;
	return be->label(id, key, out, cap);
}

int store_labels(const char *key, struct json *j)
{
	return be->labels(key, j);
}

/* ---- the function index (findex.h) ---------------------------------------- */

int store_findex_pending(char (*ids)[23], int max, int *n)
{
	return be->findex_pending(ids, max, n);
}

int store_findex_put(const char *id, const struct store_findex *fx)
{
	return be->findex_put(id, fx);
}

int store_fx_profiles(const char (*ids)[23], int n, struct store_fx_profile *out, int *n_out)
{
	return be->fx_profiles(ids, n, out, n_out);
}

int store_fx_by_label(const char *key, const char *value, const char *kind, int64_t from, int64_t to,
                      struct store_fx_profile *out, int max, int *n_out)
{
	return be->fx_by_label(key, value, kind, from, to, out, max, n_out);
}

int store_fx_names(int (*fn)(void *ctx, int64_t fid, const char *name), void *ctx)
{
	return be->fx_names(fn, ctx);
}

int store_fx_rows_of(const int64_t *fids, int n, const int64_t *seqs, int nseq,
                     int (*row)(void *ctx, int64_t seq, const uint8_t *vals, size_t len), int (*end)(void *ctx, int k),
                     void *ctx)
{
	if (nseq <= 0)
		return 0;
	return be->fx_rows_of(fids, n, seqs, nseq, row, end, ctx);
}

int store_fx_rows_profiles(int64_t fid,
                           int (*fn)(void *ctx, const struct store_fx_profile *p, const uint8_t *vals, size_t len),
                           void *ctx)
{
	return be->fx_rows_profiles(fid, fn, ctx);
}

int store_fx_all(int (*fn)(void *ctx, const struct store_fx_profile *p), void *ctx)
{
	return be->fx_all(fn, ctx);
}

/* ---- selections and series (selection.h) ---------------------------------- */

int store_select(const struct store_sel *s, char (*ids)[23], int max, int *n)
{
	return be->select(s, ids, max, n);
}

int store_fx_select(const struct store_sel *s, struct store_fx_profile *out, int max, int *n_out)
{
	return be->fx_select(s, out, max, n_out);
}

int store_series(const struct store_sel *s, const struct store_series_retention *ret, struct json *j)
{
	return be->series(s, ret, j);
}

long store_format_backfill(const char *(*of_bytes)(const uint8_t *data, size_t n), size_t prefix)
{
	return be->format_backfill(of_bytes, prefix);
}

/* ---- sessions, retention, jobs ------------------------------------------------ */

int store_session_put(const struct store_session *s, int64_t now)
{
	return be->session_put(s, now);
}

int store_session_get(const char *id_hash, struct store_session *out)
{
	return be->session_get(id_hash, out);
}

int store_session_del(const char *id_hash)
{
	return be->session_del(id_hash);
}

int store_retention_ids(enum store_retention which, int64_t before, char (*ids)[FDX_STORE_ID_CAP], int64_t *bytes,
                        int max)
{
	return be->retention_ids(which, before, ids, bytes, max);
}

int store_scraped_stats(int64_t *bytes, int64_t *oldest)
{
	return be->scraped_stats(bytes, oldest);
}

int store_job_lock(enum store_job job)
{
	return be->job_lock ? be->job_lock(job) : 1;
}

bool store_leases_shared(void)
{
	return be->lease != NULL;
}

int store_lease(const char *const *keys, int n, int ttl_ms, bool *mine)
{
	if (!be->lease) {
		for (int i = 0; i < n; i++)
			mine[i] = true;
		return 0;
	}
	return be->lease(keys, n, ttl_ms, mine);
}

void store_lease_release(void)
{
	if (be->lease_release)
		be->lease_release();
}

/* ---- downsampling (downsample.h) ------------------------------------------ */

int store_lock_take(const char *name, const char *holder, int64_t ttl_ns)
{
	return be->lock_take(name, holder, ttl_ns);
}

void store_lock_drop(const char *name, const char *holder)
{
	be->lock_drop(name, holder);
}

int store_ds_oldest(const char *job, int64_t from, int64_t before, struct store_ds_cand *out)
{
	return be->ds_oldest(job, from, before, out);
}

int store_ds_next_job(const char *after, char *out, size_t cap)
{
	return be->ds_next_job(after ? after : "", out, cap);
}

int store_ds_page(const char *job, int64_t from, int64_t to, const struct store_ds_key *after, int max,
                  struct store_ds_page *pg)
{
	return be->ds_page(job, from, to, after, max, pg);
}

int store_ds_merged(char (*ids)[23], int64_t *bytes, int max, int *n)
{
	return be->ds_merged(ids, bytes, max, n);
}

int store_ds_expired(const char *job, int64_t before, char (*ids)[23], int64_t *bytes, int max, int *n)
{
	return be->ds_expired(job, before, ids, bytes, max, n);
}

int store_labels_of(const char *id, struct store_label *out, int max, int *n)
{
	return be->labels_of(id, out, max, n);
}

int store_answer_put(const char *id, const char *name, int format, const void *gz, size_t gz_len, size_t raw_len)
{
	return be->answer_put(id, name, format, gz, gz_len, raw_len);
}

int store_answer_get(const char *id, const char *name, int format, uint8_t **gz, size_t *gz_len, size_t *raw_len)
{
	return be->answer_get(id, name, format, gz, gz_len, raw_len);
}

void store_ds_key_free(struct store_ds_key *k)
{
	free(k->ls);
	k->ls = NULL;
}

int store_ds_key_copy(struct store_ds_key *dst, const struct store_ds_key *src)
{
	store_ds_key_free(dst);
	memcpy(dst->kind, src->kind, sizeof(dst->kind));
	memcpy(dst->job, src->job, sizeof(dst->job));
	dst->windowed = src->windowed;
	if (src->ls && !(dst->ls = strdup(src->ls)))
		return -1;
	return 0;
}

void store_ds_page_free(struct store_ds_page *pg)
{
	for (int g = 0; g < pg->n_groups; g++)
		store_ds_key_free(&pg->keys[g]);
	free(pg->rows);
	free(pg->first);
	free(pg->keys);
	memset(pg, 0, sizeof(*pg));
}


/* ---- the cache's figures (/metrics) ---------------------------------------- */

void store_cache_stats(struct cache_stats *out)
{
	if (cache)
		cache_stats(cache, out);
	else
		memset(out, 0, sizeof(*out));
}
