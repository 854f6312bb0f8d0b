/*
 * store.c: profiles in SQLite (see store.h); decoded profiles go through cache.c.
 */
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "codec.h"
#include "db.h"
#include "limits.h"
#include "util.h"
#include "work.h"

#define STACKS_FORMAT 1

static struct cache *cache;

void store_release(struct prof *p)
{
	cache_release(cache, p);
}

void store_cache_add(const char *id, struct prof *p)
{
	cache_release(cache, cache_put(cache, id, p));
}

/* ---- setup ------------------------------------------------------------ */

int store_init(const char *db_path, size_t cache_bytes)
{
	cache = cache_new(cache_bytes);
	if (!cache)
		return -1;
	if (db_open(db_path) < 0) {
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
	db_close();
}

int store_health(void)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT count(*) FROM profiles", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = 0;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
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

static int step_done(sqlite3 *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		util_log("level=error msg=\"sql step failed\" err=\"%s\"", sqlite3_errmsg(c));
		return -1;
	}
	return 0;
}

int store_add(const struct store_new *n, char *id_out)
{
	const struct prof *p = n->prof;
	struct buf stacks = BUF_INIT, types = BUF_INIT;
	if (codec_encode(p, &stacks) < 0)
		goto fail_nolock;
	types_json(p, &types);
	if (types.oom || util_new_id(id_out) < 0)
		goto fail_nolock;

	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st = NULL;
	if (db_room(c, n->raw_len + stacks.len + types.len) < 0) {
		db_writer_unlock();
		buf_release(&stacks);
		buf_release(&types);
		return STORE_FULL;
	}
	if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(c,
	        "INSERT INTO profiles(id,name,kind,uploaded_at,time_nanos,duration_ns,samples,"
	        "functions,locations,bytes,types_json,client_time,uploaded_by) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, prof_kind_name(p->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, util_now_nanos());
	if (p->time_nanos)
		sqlite3_bind_int64(st, 5, p->time_nanos);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, p->duration_nanos);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)p->orig_samples);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)p->orig_functions);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)p->orig_locations);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)n->raw_len);
	sqlite3_bind_text(st, 11, types.data, (int)types.len, SQLITE_STATIC);
	if (n->client_time && !p->time_nanos)
		sqlite3_bind_int64(st, 12, n->client_time);
	else
		sqlite3_bind_null(st, 12);
	sqlite3_bind_text(st, 13, n->uploaded_by, -1, SQLITE_STATIC); /* NULL binds NULL */
	if (step_done(c, st) < 0)
		goto rollback;
	sqlite3_int64 seq = sqlite3_last_insert_rowid(c);

	for (int i = 0; i < n->n_labels; i++) {
		if (sqlite3_prepare_v2(c, "INSERT OR REPLACE INTO profile_labels(profile_seq,key,value) VALUES(?,?,?)",
		                       -1, &st, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, n->labels[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, n->labels[i].value, -1, SQLITE_STATIC);
		if (step_done(c, st) < 0)
			goto rollback;
	}
	if (sqlite3_prepare_v2(c, "INSERT INTO blobs(profile_seq,raw) VALUES(?,?)", -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_blob64(st, 2, n->raw, n->raw_len, SQLITE_STATIC);
	if (step_done(c, st) < 0)
		goto rollback;
	if (sqlite3_prepare_v2(c, "INSERT INTO stacks(profile_seq,format,data) VALUES(?,?,?)", -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, STACKS_FORMAT);
	sqlite3_bind_blob64(st, 3, stacks.data, stacks.len, SQLITE_STATIC);
	if (step_done(c, st) < 0)
		goto rollback;
	if (sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	db_writer_unlock();
	buf_release(&stacks);
	buf_release(&types);
	return 0;
rollback:;
	int full = db_is_full(c);
	util_log("level=error msg=\"store failed\" err=\"%s\" full=%d", sqlite3_errmsg(c), full);
	sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
	db_writer_unlock();
	buf_release(&stacks);
	buf_release(&types);
	return full ? STORE_FULL : -1;
fail:
	db_writer_unlock();
fail_nolock:
	buf_release(&stacks);
	buf_release(&types);
	return -1;
}

/* One delete transaction on c (the writer): 0, 1 unknown, -1 error. */
static int delete_tx(sqlite3 *c, const char *id)
{
	sqlite3_stmt *st;
	if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_int64 seq = -1;
	if (sqlite3_prepare_v2(c, "SELECT seq FROM profiles WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (seq < 0) {
		sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
		return 1;
	}
	static const char *const dels[] = {
		"DELETE FROM profile_labels WHERE profile_seq=?",
		"DELETE FROM blobs WHERE profile_seq=?",
		"DELETE FROM stacks WHERE profile_seq=?",
		"DELETE FROM profiles WHERE seq=?",
	};
	for (size_t i = 0; i < sizeof(dels) / sizeof(dels[0]); i++) {
		if (sqlite3_prepare_v2(c, dels[i], -1, &st, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_int64(st, 1, seq);
		if (step_done(c, st) < 0)
			goto rollback;
	}
	if (sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	return 0;
rollback:;
	/* db_is_full reads c's last error: keep it past the ROLLBACK */
	int full = db_is_full(c);
	sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
	return full ? STORE_FULL : -1;
}

int store_delete(const char *id)
{
	sqlite3 *c = db_writer_lock();
	/* A delete only frees space, so on a full disk it may take the
	 * reserve (db.h) and try again. */
	bool released = false;
	int rc = delete_tx(c, id);
	if (rc == STORE_FULL && db_reserve_release() == 0) {
		released = true;
		rc = delete_tx(c, id);
	}
	int reclaimed = rc == 0 ? db_reclaim(c) : 0;
	if (rc == 0 && reclaimed < 0 && !released && db_reserve_release() == 0) {
		released = true;
		reclaimed = db_reclaim(c);
	}
	/* Fill the reserve again once the WAL is all in the file: before,
	 * the space is what the checkpoint still needs. */
	if (released && reclaimed == 0)
		db_reserve_refill();
	db_writer_unlock();
	if (rc == 0)
		cache_forget(cache, id);
	return rc == STORE_FULL ? -1 : rc;
}

/* ---- reading ------------------------------------------------------------ */

#define META_COLS "p.seq,p.id,p.name,p.kind,p.uploaded_at,p.time_nanos,p.duration_ns," \
                  "p.samples,p.functions,p.locations,p.bytes,p.types_json,p.client_time,p.uploaded_by"

static void meta_row(sqlite3 *c, sqlite3_stmt *st, struct json *j)
{
	char ts[40];
	const char *id = (const char *)sqlite3_column_text(st, 1);
	json_obj_begin(j);
	json_key(j, "id");
	json_str(j, id);
	json_key(j, "name");
	json_str(j, (const char *)sqlite3_column_text(st, 2));
	json_key(j, "kind");
	json_str(j, (const char *)sqlite3_column_text(st, 3));
	json_key(j, "uploaded_at");
	util_rfc3339(sqlite3_column_int64(st, 4), ts);
	json_str(j, ts);
	/* time: the profile's own, else the client's time= (column 12) */
	int tcol = sqlite3_column_type(st, 5) != SQLITE_NULL ? 5 : sqlite3_column_type(st, 12) != SQLITE_NULL ? 12 : -1;
	json_key(j, "time");
	if (tcol < 0) {
		json_null(j);
	} else {
		util_rfc3339(sqlite3_column_int64(st, tcol), ts);
		json_str(j, ts);
	}
	json_key(j, "time_source");
	json_str(j, tcol == 5 ? "profile" : tcol == 12 ? "client" : "upload");
	json_key(j, "duration_ns");
	json_int(j, sqlite3_column_int64(st, 6));
	json_key(j, "samples");
	json_int(j, sqlite3_column_int64(st, 7));
	json_key(j, "functions");
	json_int(j, sqlite3_column_int64(st, 8));
	json_key(j, "locations");
	json_int(j, sqlite3_column_int64(st, 9));
	json_key(j, "bytes");
	json_int(j, sqlite3_column_int64(st, 10));
	/* period, sample_types, default_sample_type: stored pre-rendered as an
	 * object; splice its members in. */
	const char *tj = (const char *)sqlite3_column_text(st, 11);
	size_t tl = tj ? strlen(tj) : 0;
	if (tl > 2 && tj[0] == '{' && tj[tl - 1] == '}') {
		buf_addc(j->out, ',');
		buf_add(j->out, tj + 1, tl - 2);
	}
	json_key(j, "uploaded_by");
	if (sqlite3_column_type(st, 13) == SQLITE_NULL)
		json_null(j);
	else
		json_str(j, (const char *)sqlite3_column_text(st, 13));
	json_key(j, "labels");
	json_obj_begin(j);
	sqlite3_stmt *ls;
	if (sqlite3_prepare_v2(c, "SELECT key,value FROM profile_labels WHERE profile_seq=? ORDER BY key",
	                       -1, &ls, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(ls, 1, sqlite3_column_int64(st, 0));
		while (sqlite3_step(ls) == SQLITE_ROW) {
			json_key(j, (const char *)sqlite3_column_text(ls, 0));
			json_str(j, (const char *)sqlite3_column_text(ls, 1));
		}
		sqlite3_finalize(ls);
	}
	json_obj_end(j);
	json_key(j, "url");
	char url[64];
	snprintf(url, sizeof(url), "/p/%s", id ? id : "");
	json_str(j, url);
	json_obj_end(j);
}

int store_meta(const char *id, struct json *j)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT " META_COLS " FROM profiles p WHERE p.id=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			meta_row(c, st, j);
			rc = 0;
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

int store_list(const struct store_query *q, struct json *j)
{
	/* The WHERE clause is assembled from constant fragments only; every
	 * client value is bound. */
	char where[512] = "WHERE 1=1";
	if (q->kind)
		strcat(where, " AND p.kind=?1");
	if (q->q)
		strcat(where, " AND instr(lower(p.name), lower(?2)) > 0");
	if (q->label_key)
		strcat(where, " AND EXISTS(SELECT 1 FROM profile_labels l WHERE l.profile_seq=p.seq"
		              " AND l.key=?3 AND l.value=?4)");
	char sql[1024];
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	int rc = -1;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 total = 0;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM profiles p %s", where);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			snprintf(sql, sizeof(sql), "SELECT " META_COLS " FROM profiles p %s ORDER BY p.seq DESC LIMIT ?5 OFFSET ?6", where);
		if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK)
			goto out;
		if (q->kind)
			sqlite3_bind_text(st, 1, q->kind, -1, SQLITE_STATIC);
		if (q->q)
			sqlite3_bind_text(st, 2, q->q, -1, SQLITE_STATIC);
		if (q->label_key) {
			sqlite3_bind_text(st, 3, q->label_key, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, q->label_value, -1, SQLITE_STATIC);
		}
		if (pass == 0) {
			if (sqlite3_step(st) == SQLITE_ROW)
				total = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
			st = NULL;
			continue;
		}
		sqlite3_bind_int(st, 5, q->limit);
		sqlite3_bind_int(st, 6, q->offset);
		json_obj_begin(j);
		json_key(j, "profiles");
		json_arr_begin(j);
		while (sqlite3_step(st) == SQLITE_ROW)
			meta_row(c, st, j);
		json_arr_end(j);
		json_key(j, "total");
		json_int(j, total);
		json_obj_end(j);
		rc = 0;
	}
out:
	sqlite3_finalize(st);
	db_reader_put(c);
	return rc;
}

static int read_blob(const char *id, const char *sql, uint8_t **data, size_t *len)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			size_t n = (size_t)sqlite3_column_bytes(st, 0);
			const void *b = sqlite3_column_blob(st, 0);
			*data = malloc(n + 1);
			if (*data) {
				if (n)
					memcpy(*data, b, n);
				*len = n;
				rc = 0;
			}
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

int store_raw(const char *id, uint8_t **data, size_t *len)
{
	return read_blob(id, "SELECT b.raw FROM blobs b JOIN profiles p ON p.seq=b.profile_seq WHERE p.id=?",
	                 data, len);
}

/* cache.h's loader: read the stored stacks of id and decode them, the
 * blob charged to the current work while it is held. */
static struct prof *load_stacks(void *ctx, const char *id, int *status)
{
	(void)ctx;
	uint8_t *data;
	size_t len;
	double t0 = util_mono_ms();
	int rc = read_blob(id, "SELECT s.data FROM stacks s JOIN profiles p ON p.seq=s.profile_seq WHERE p.id=?",
	                   &data, &len);
	if (rc != 0) {
		*status = rc == 1 ? 404 : 500;
		return NULL;
	}
	if (work_charge(len) < 0) {
		free(data);
		*status = 503;
		return NULL;
	}
	struct prof *p = codec_decode(data, len);
	free(data);
	work_uncharge(len);
	if (!p) {
		*status = work_poll() != WORK_OK ? 503 : 500;
		if (*status == 500)
			util_log("level=error msg=\"stored stacks do not decode\" id=%s", id);
		return NULL;
	}
	util_log("level=info msg=decoded id=%s stored=%zu bytes=%zu ms=%.1f", id, len, prof_mem_bytes(p),
	         util_mono_ms() - t0);
	return p;
}

struct prof *store_get(const char *id, int *status)
{
	*status = 0;
	struct prof *p = cache_load(cache, id, load_stacks, NULL, status);
	if (!p && !*status)
		*status = 500;
	return p;
}

int store_ids_by_label(const char *key, const char *value, const char *kind,
                       char (*ids)[23], int max, int *n)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	*n = 0;
	if (sqlite3_prepare_v2(c,
	        "SELECT p.id FROM profiles p JOIN profile_labels l ON l.profile_seq=p.seq "
	        "WHERE l.key=?1 AND l.value=?2 AND (?3 IS NULL OR p.kind=?3) "
	        "ORDER BY coalesce(p.time_nanos,p.client_time,p.uploaded_at), p.seq LIMIT ?4",
	        -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
		if (kind)
			sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_int(st, 4, max);
		while (sqlite3_step(st) == SQLITE_ROW && *n < max) {
			snprintf(ids[*n], 23, "%s", (const char *)sqlite3_column_text(st, 0));
			(*n)++;
		}
		sqlite3_finalize(st);
		rc = 0;
	}
	db_reader_put(c);
	return rc;
}

int store_time(const char *id, int64_t *ns, const char **source)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT time_nanos, client_time, uploaded_at FROM profiles WHERE id=?", -1, &st,
	                       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			static const char *const src[] = { "profile", "client", "upload" };
			int k = 0;
			while (k < 2 && sqlite3_column_type(st, k) == SQLITE_NULL)
				k++;
			*ns = sqlite3_column_int64(st, k);
			*source = src[k];
			rc = 0;
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

int store_sizes(const char *id, struct store_sizes *out)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT length(s.data), substr(s.data, 5, 8), p.samples FROM stacks s "
	                       "JOIN profiles p ON p.seq=s.profile_seq WHERE p.id=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			out->stored = (size_t)sqlite3_column_int64(st, 0);
			uint64_t raw = 0;
			if (sqlite3_column_bytes(st, 1) == 8)
				memcpy(&raw, sqlite3_column_blob(st, 1), 8);
			out->inflated = (size_t)raw;
			int64_t n = sqlite3_column_int64(st, 2);
			out->samples = n > 0 ? (size_t)n : 0;
			rc = 0;
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

int store_label(const char *id, const char *key, char *out, size_t cap)
{
	if (cap == 0)
		return -1;
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT l.value FROM profile_labels l JOIN profiles p ON p.seq=l.profile_seq "
	                          "WHERE p.id=? AND l.key=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(st, 0);
			snprintf(out, cap, "%s", v ? v : "");
			rc = 0;
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

int store_labels(const char *key, struct json *j)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	const char *sql = key
		? "SELECT l.value, p.kind, count(*) FROM profile_labels l JOIN profiles p ON p.seq=l.profile_seq "
		  "WHERE l.key=?1 GROUP BY l.value, p.kind ORDER BY l.value, p.kind LIMIT 100000"
		: "SELECT key, count(DISTINCT value), count(*) FROM profile_labels GROUP BY key ORDER BY key LIMIT 10000";
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		json_obj_begin(j);
		if (key) {
			json_key(j, "key");
			json_str(j, key);
			json_key(j, "values");
			json_arr_begin(j);
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
			char prev[FDX_MAX_LABEL_LEN + 2] = "";
			bool open_ = false;
			int64_t total = 0;
			while (sqlite3_step(st) == SQLITE_ROW) {
				const char *v = (const char *)sqlite3_column_text(st, 0);
				if (!open_ || strcmp(v, prev) != 0) {
					if (open_) {
						json_obj_end(j);
						json_key(j, "profiles");
						json_int(j, total);
						json_obj_end(j);
					}
					snprintf(prev, sizeof(prev), "%s", v);
					open_ = true;
					total = 0;
					json_obj_begin(j);
					json_key(j, "value");
					json_str(j, v);
					json_key(j, "kinds");
					json_obj_begin(j);
				}
				json_key(j, (const char *)sqlite3_column_text(st, 1));
				json_int(j, sqlite3_column_int64(st, 2));
				total += sqlite3_column_int64(st, 2);
			}
			if (open_) {
				json_obj_end(j);
				json_key(j, "profiles");
				json_int(j, total);
				json_obj_end(j);
			}
			json_arr_end(j);
		} else {
			json_key(j, "keys");
			json_arr_begin(j);
			while (sqlite3_step(st) == SQLITE_ROW) {
				json_obj_begin(j);
				json_key(j, "key");
				json_str(j, (const char *)sqlite3_column_text(st, 0));
				json_key(j, "values");
				json_int(j, sqlite3_column_int64(st, 1));
				json_key(j, "profiles");
				json_int(j, sqlite3_column_int64(st, 2));
				json_obj_end(j);
			}
			json_arr_end(j);
		}
		json_obj_end(j);
		sqlite3_finalize(st);
		rc = 0;
	}
	db_reader_put(c);
	return rc;
}

int store_name(const char *id, char *out, size_t cap)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = read_blob(id, "SELECT name FROM profiles WHERE id=?", &data, &len);
	if (rc == 0 && cap > 0) {
		size_t n = len < cap - 1 ? len : cap - 1;
		memcpy(out, data, n);
		out[n] = '\0';
	}
	free(data);
	return rc;
}

int store_edit(const char *id, const char *name, const struct store_label *labels, int n_labels)
{
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	sqlite3_int64 seq = -1;
	if (sqlite3_prepare_v2(c, "SELECT seq FROM profiles WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (seq < 0) {
		rc = 1;
		goto rollback;
	}
	if (name) {
		if (sqlite3_prepare_v2(c, "UPDATE profiles SET name=? WHERE seq=?", -1, &st, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seq);
		if (step_done(c, st) < 0)
			goto rollback;
	}
	if (labels) {
		if (sqlite3_prepare_v2(c, "DELETE FROM profile_labels WHERE profile_seq=?", -1, &st, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_int64(st, 1, seq);
		if (step_done(c, st) < 0)
			goto rollback;
		for (int i = 0; i < n_labels; i++) {
			if (sqlite3_prepare_v2(c, "INSERT OR REPLACE INTO profile_labels(profile_seq,key,value) VALUES(?,?,?)",
			                       -1, &st, NULL) != SQLITE_OK)
				goto rollback;
			sqlite3_bind_int64(st, 1, seq);
			sqlite3_bind_text(st, 2, labels[i].key, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, labels[i].value, -1, SQLITE_STATIC);
			if (step_done(c, st) < 0)
				goto rollback;
		}
	}
	if (sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
out:
	db_writer_unlock();
	return rc;
}
