/*
 * store_sqlite.c: the SQLite backend of the store (store_be.h), on the
 * connections of db.c. store.c holds the cache and chooses the backend.
 */
#include "store_be.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "limits.h"
#include "util.h"
#include "work.h"


/* ---- setup ------------------------------------------------------------ */

static int sq_open(const char *db, unsigned pool)
{
	(void)pool;
	return db_open(db);
}

static int sq_health(void)
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

/* The function index rows of profile seq on c, inside the caller's
 * transaction (replacing any). 0 or -1. */
static int findex_write(sqlite3 *c, sqlite3_int64 seq, const struct store_findex *fx)
{
	sqlite3_stmt *st = NULL, *intern = NULL, *get = NULL, *row = NULL;
	int rc = -1;
	struct buf totals = BUF_INIT;
	for (uint32_t t = 0; t < fx->n_types; t++)
		buf_printf(&totals, "%s%lld", t ? "\n" : "", (long long)fx->totals[t]);
	if (totals.oom)
		goto out;
	if (sqlite3_prepare_v2(c, "DELETE FROM profile_functions WHERE profile_seq=?", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, seq);
	if (step_done(c, st) < 0)
		goto out;
	if (sqlite3_prepare_v2(c, "INSERT OR REPLACE INTO profile_findex(profile_seq,types,def_type,totals) VALUES(?,?,?,?)",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, fx->types ? fx->types : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)fx->def_type);
	sqlite3_bind_text(st, 4, totals.data ? totals.data : "", (int)totals.len, SQLITE_STATIC);
	if (step_done(c, st) < 0)
		goto out;
	if (sqlite3_prepare_v2(c, "INSERT OR IGNORE INTO functions(name) VALUES(?)", -1, &intern, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c, "SELECT id FROM functions WHERE name=?", -1, &get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c, "INSERT OR REPLACE INTO profile_functions(function_id,profile_seq,vals) VALUES(?,?,?)",
	                       -1, &row, NULL) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < fx->n; i++) {
		sqlite3_bind_text(intern, 1, fx->names[i], -1, SQLITE_STATIC);
		if (sqlite3_step(intern) != SQLITE_DONE)
			goto out;
		sqlite3_reset(intern);
		sqlite3_bind_text(get, 1, fx->names[i], -1, SQLITE_STATIC);
		if (sqlite3_step(get) != SQLITE_ROW)
			goto out;
		sqlite3_int64 fid = sqlite3_column_int64(get, 0);
		sqlite3_reset(get);
		sqlite3_bind_int64(row, 1, fid);
		sqlite3_bind_int64(row, 2, seq);
		sqlite3_bind_blob64(row, 3, fx->vals + fx->off[i], fx->off[i + 1] - fx->off[i], SQLITE_STATIC);
		if (sqlite3_step(row) != SQLITE_DONE)
			goto out;
		sqlite3_reset(row);
	}
	rc = 0;
out:
	if (rc < 0)
		util_log("level=error msg=\"function index write failed\" err=\"%s\"", sqlite3_errmsg(c));
	sqlite3_finalize(intern);
	sqlite3_finalize(get);
	sqlite3_finalize(row);
	buf_release(&totals);
	return rc;
}

/* The downsampling columns of profile seq, and every member marked as
 * merged into it, inside the caller's transaction: 0, STORE_CHANGED when a
 * member is gone or already merged (the caller rolls back), -1 error. */
static int ds_write(sqlite3 *c, sqlite3_int64 seq, const struct store_ds *ds)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c, "UPDATE profiles SET ds_step=?, ds_members=?, ds_agg=? WHERE seq=?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, ds->step_s);
	sqlite3_bind_int(st, 2, ds->n_members);
	sqlite3_bind_text(st, 3, ds->agg, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, seq);
	if (step_done(c, st) < 0)
		return -1;
	if (sqlite3_prepare_v2(c, "UPDATE profiles SET ds_into=?1 WHERE id=?2 AND ds_into IS NULL AND ds_step IS NULL "
	                          "AND scrape_job IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = 0;
	for (int i = 0; i < ds->n_members && rc == 0; i++) {
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, ds->members[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		else if (sqlite3_changes(c) != 1)
			rc = STORE_CHANGED;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The group of an FDX4 row, inside the caller's transaction (store_be.h,
 * struct store_chunk): 0, STORE_SERIES_STALE, -1 error. */
static int chunk_write(sqlite3 *c, const struct store_chunk *ch)
{
	sqlite3_stmt *st;
	if (ch->seq == 0) {
		if (sqlite3_prepare_v2(c, "INSERT INTO dict_groups(grp,chunks,bytes) VALUES(?,1,?) ON CONFLICT DO NOTHING",
		                       -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, ch->grp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)ch->len);
	} else if (ch->seq != UINT32_MAX) {
		if (sqlite3_prepare_v2(c, "UPDATE dict_groups SET chunks=chunks+1, bytes=bytes+? WHERE grp=? AND chunks=?",
		                       -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ch->len);
		sqlite3_bind_text(st, 2, ch->grp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, ch->seq);
	} else {
		if (sqlite3_prepare_v2(c, "UPDATE dict_groups SET chunks=chunks WHERE grp=? AND chunks>=?", -1, &st, NULL) !=
		    SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, ch->grp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, ch->need);
	}
	if (step_done(c, st) < 0)
		return -1;
	if (sqlite3_changes(c) != 1)
		return STORE_SERIES_STALE;
	if (ch->seq == UINT32_MAX)
		return 0;
	if (sqlite3_prepare_v2(c, "INSERT INTO dict_chunks(grp,seq,data) VALUES(?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, ch->grp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ch->seq);
	sqlite3_bind_blob64(st, 3, ch->data, ch->len, SQLITE_STATIC);
	return step_done(c, st);
}

static int sq_add(const struct store_new *n, const struct buf *stacks_, int stacks_format, const struct buf *types_,
                  const char *id_out, const struct store_chunk *chunk)
{
	const struct prof *p = n->prof;
	const struct buf stacks = *stacks_, types = *types_;
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st = NULL;
	size_t fx_bytes = 0;
	if (n->findex)
		fx_bytes = n->findex->off[n->findex->n] + n->findex->n * 16;
	if (db_room(c, (n->raw_dropped ? 0 : n->raw_len) + stacks.len + types.len + fx_bytes + (chunk ? chunk->len : 0)) < 0) {
		db_writer_unlock();
		return STORE_FULL;
	}
	if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(c,
	        "INSERT INTO profiles(id,name,kind,uploaded_at,time_nanos,duration_ns,samples,"
	        "functions,locations,bytes,types_json,client_time,uploaded_by,format) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
	sqlite3_bind_text(st, 14, n->format ? n->format : "pprof", -1, SQLITE_STATIC);
	if (step_done(c, st) < 0)
		goto rollback;
	sqlite3_int64 seq = sqlite3_last_insert_rowid(c);
	if (n->scrape_job) {   /* a scraped profile (scrape.h): retention may delete it */
		if (sqlite3_prepare_v2(c, "UPDATE profiles SET scrape_job=? WHERE seq=?", -1, &st, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_text(st, 1, n->scrape_job, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seq);
		if (step_done(c, st) < 0)
			goto rollback;
	}
	if (n->ds) {   /* a downsampled profile: its members are marked merged */
		int drc = ds_write(c, seq, n->ds);
		if (drc == STORE_CHANGED) {
			sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
			db_writer_unlock();
			return STORE_CHANGED;
		}
		if (drc < 0)
			goto rollback;
	}

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
	sqlite3_bind_blob64(st, 2, n->raw_dropped ? (const void *)"" : n->raw, n->raw_dropped ? 0 : n->raw_len, SQLITE_STATIC);
	if (step_done(c, st) < 0)
		goto rollback;
	if (chunk) {
		int crc = chunk_write(c, chunk);
		if (crc == STORE_SERIES_STALE) {
			sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
			db_writer_unlock();
			return STORE_SERIES_STALE;
		}
		if (crc < 0)
			goto rollback;
	}
	if (sqlite3_prepare_v2(c, "INSERT INTO stacks(profile_seq,format,data,grp) VALUES(?,?,?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		goto rollback;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, stacks_format);
	sqlite3_bind_blob64(st, 3, stacks.len ? stacks.data : "", stacks.len, SQLITE_STATIC);
	if (chunk)
		sqlite3_bind_text(st, 4, chunk->grp, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	if (step_done(c, st) < 0)
		goto rollback;
	if (n->findex && findex_write(c, seq, n->findex) < 0)
		goto rollback;
	if (sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	db_writer_unlock();
	return 0;
rollback:;
	int full = db_is_full(c);
	util_log("level=error msg=\"store failed\" err=\"%s\" full=%d", sqlite3_errmsg(c), full);
	sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
	db_writer_unlock();
	return full ? STORE_FULL : -1;
fail:
	db_writer_unlock();
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
	/* the row's series group goes with its last profile (series.h) */
	char grp[64] = "";
	if (sqlite3_prepare_v2(c, "SELECT grp FROM stacks WHERE profile_seq=? AND grp IS NOT NULL", -1, &st, NULL) !=
	    SQLITE_OK)
		goto rollback;
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(grp, sizeof(grp), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	static const char *const dels[] = {
		"DELETE FROM profile_labels WHERE profile_seq=?",
		"DELETE FROM blobs WHERE profile_seq=?",
		"DELETE FROM stacks WHERE profile_seq=?",
		"DELETE FROM profile_functions WHERE profile_seq=?",
		"DELETE FROM profile_findex WHERE profile_seq=?",
		"DELETE FROM view_answers WHERE profile_seq=?",
		"DELETE FROM profiles WHERE seq=?",
	};
	for (size_t i = 0; i < sizeof(dels) / sizeof(dels[0]); i++) {
		if (sqlite3_prepare_v2(c, dels[i], -1, &st, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_int64(st, 1, seq);
		if (step_done(c, st) < 0)
			goto rollback;
	}
	if (grp[0]) {
		if (sqlite3_prepare_v2(c, "DELETE FROM dict_groups WHERE grp=?1 AND NOT EXISTS "
		                          "(SELECT 1 FROM stacks WHERE grp=?1)", -1, &st, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_text(st, 1, grp, -1, SQLITE_STATIC);
		if (step_done(c, st) < 0)
			goto rollback;
		if (sqlite3_changes(c) == 1) {
			if (sqlite3_prepare_v2(c, "DELETE FROM dict_chunks WHERE grp=?", -1, &st, NULL) != SQLITE_OK)
				goto rollback;
			sqlite3_bind_text(st, 1, grp, -1, SQLITE_STATIC);
			if (step_done(c, st) < 0)
				goto rollback;
		}
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

static int sq_delete(const char *id)
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
	return rc == STORE_FULL ? -1 : rc;
}

/* ---- reading ------------------------------------------------------------ */

#define META_COLS "p.seq,p.id,p.name,p.kind,p.uploaded_at,p.time_nanos,p.duration_ns," \
                  "p.samples,p.functions,p.locations,p.bytes,p.types_json,p.client_time,p.uploaded_by,p.format," \
                  "p.scrape_job,p.ds_step,p.ds_members,p.ds_agg"

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
	json_key(j, "format");
	if (sqlite3_column_type(st, 14) == SQLITE_NULL)
		json_null(j);   /* stored before migration 010, not yet filled in */
	else
		json_str(j, (const char *)sqlite3_column_text(st, 14));
	json_key(j, "scraped");
	json_bool(j, sqlite3_column_type(st, 15) != SQLITE_NULL);
	json_key(j, "downsampled");   /* downsample.h */
	if (sqlite3_column_type(st, 16) == SQLITE_NULL) {
		json_null(j);
	} else {
		json_obj_begin(j);
		json_key(j, "step_seconds");
		json_int(j, sqlite3_column_int64(st, 16));
		json_key(j, "profiles");
		json_int(j, sqlite3_column_int64(st, 17));
		json_key(j, "agg");
		json_str(j, (const char *)sqlite3_column_text(st, 18));
		json_obj_end(j);
	}
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

static int sq_meta(const char *id, struct json *j)
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

/* The FTS5 phrase of q (migration 008's trigram index of names): q in
 * double quotes, its quotes doubled. NULL when q is too short for a
 * trigram (< 3 bytes) or does not fit. */
static const char *name_phrase(const char *q, char *out, size_t cap)
{
	size_t n = 0, len = strlen(q);
	if (len < 3 || cap < 3)
		return NULL;
	out[n++] = '"';
	for (const char *s = q; *s; s++) {
		if (n + 3 >= cap)
			return NULL;
		if (*s == '"')
			out[n++] = '"';
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

static int sq_list(const struct store_query *q, struct json *j)
{
	/* The SQL is assembled from constant fragments only; every client
	 * value is bound. A label filter walks the (key, value, profile_seq)
	 * index newest first; q= takes its candidates from the trigram index
	 * (then checks the substring as before, so the answer is the same);
	 * totals come from the counters of migration 008 when no q= asks for
	 * a count of matches. */
	char phrase[2 * FDX_MAX_NAME_LEN + 8];
	const char *ph = q->q ? name_phrase(q->q, phrase, sizeof(phrase)) : NULL;
	char where[512] = "WHERE 1=1";
	if (q->kind)
		strcat(where, " AND p.kind=?1");
	if (q->q)
		strcat(where, " AND instr(lower(p.name), lower(?2)) > 0");
	if (ph)
		strcat(where, " AND p.seq IN (SELECT rowid FROM profile_names WHERE profile_names MATCH ?7)");
	if (q->label_key)
		strcat(where, " AND l.key=?3 AND l.value=?4");
	const char *from = q->label_key ? "profile_labels l JOIN profiles p ON p.seq=l.profile_seq" : "profiles p";
	const char *order = q->label_key ? "l.profile_seq" : "p.seq";
	char sql[1400];
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	int rc = -1;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 total = 0;
	if (q->q)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s %s", from, where);
	else if (q->label_key)
		snprintf(sql, sizeof(sql), "SELECT coalesce(sum(n),0) FROM label_counts WHERE key=?3 AND value=?4%s",
		         q->kind ? " AND kind=?1" : "");
	else
		snprintf(sql, sizeof(sql), "SELECT coalesce(sum(n),0) FROM profile_counts WHERE kind=%s",
		         q->kind ? "?1" : "'*'");
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			snprintf(sql, sizeof(sql), "SELECT " META_COLS " FROM %s %s ORDER BY %s DESC LIMIT ?5 OFFSET ?6",
			         from, where, order);
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
		if (ph && sqlite3_bind_parameter_index(st, "?7") > 0)
			sqlite3_bind_text(st, 7, ph, -1, SQLITE_STATIC);
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
	if (rc < 0)
		util_log("level=error msg=\"list failed\" err=\"%s\"", sqlite3_errmsg(c));
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

static int sq_raw(const char *id, uint8_t **data, size_t *len)
{
	return read_blob(id, "SELECT b.raw FROM blobs b JOIN profiles p ON p.seq=b.profile_seq WHERE p.id=?",
	                 data, len);
}

static int sq_stacks(const char *id, int *format, uint8_t **data, size_t *len)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT s.format, s.data FROM stacks s JOIN profiles p ON p.seq=s.profile_seq WHERE p.id=?",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			*format = sqlite3_column_int(st, 0);
			size_t n = (size_t)sqlite3_column_bytes(st, 1);
			const void *b = sqlite3_column_blob(st, 1);
			*data = malloc(n + 1);
			if (*data) {
				if (n)
					memcpy(*data, b, n);
				(*data)[n] = 0;
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

static int sq_dict_chunks(const char *grp, uint32_t from, uint32_t to,
                          int (*each)(void *ectx, uint32_t seq, const uint8_t *data, size_t len), void *ectx)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT seq, data FROM dict_chunks WHERE grp=? AND seq>=? AND seq<? ORDER BY seq", -1,
	                       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, grp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, to);
		rc = 0;
		uint32_t next = from;
		int s;
		while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
			uint32_t seq = (uint32_t)sqlite3_column_int64(st, 0);
			const void *b = sqlite3_column_blob(st, 1);
			size_t n = (size_t)sqlite3_column_bytes(st, 1);
			if (seq != next++ || each(ectx, seq, b ? b : (const void *)"", n) < 0)
				rc = -1;
		}
		if (rc == 0 && (s != SQLITE_DONE || next != to))
			rc = -1;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_exists(const char *id)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = read_blob(id, "SELECT 1 FROM profiles WHERE id=?", &data, &len);
	free(data);
	return rc;
}

static int sq_ids_by_label(const char *key, const char *value, const char *kind,
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
	        "WHERE l.key=?1 AND l.value=?2 AND (?3 IS NULL OR p.kind=?3) AND p.ds_into IS NULL "
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

static int sq_time(const char *id, int64_t *ns, const char **source)
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

static int sq_sizes(const char *id, struct store_sizes *out)
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

static int sq_label(const char *id, const char *key, char *out, size_t cap)
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

static int sq_labels(const char *key, struct json *j)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	const char *sql = key
		? "SELECT value, kind, n FROM label_counts WHERE key=?1 ORDER BY value, kind LIMIT 100000"
		: "SELECT key, count(DISTINCT value), sum(n) FROM label_counts GROUP BY key ORDER BY key LIMIT 10000";
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

static int sq_name(const char *id, char *out, size_t cap)
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

static int sq_edit(const char *id, const char *name, const struct store_label *labels, int n_labels)
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

/* ---- the function index (findex.h) ---------------------------------------- */

static long sq_format_backfill(const char *(*of_bytes)(const uint8_t *data, size_t n), size_t prefix)
{
	long done = 0;
	uint8_t *buf = malloc(prefix ? prefix : 1);
	if (!buf)
		return -1;
	for (;;) {
		sqlite3_int64 seqs[64];
		int n = 0;
		sqlite3 *c = db_reader_get();
		if (!c)
			goto fail;
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(c, "SELECT seq FROM profiles WHERE format IS NULL ORDER BY seq LIMIT 64", -1, &st,
		                       NULL) != SQLITE_OK) {
			db_reader_put(c);
			goto fail;
		}
		while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
			seqs[n++] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		/* the first bytes of each upload, read without loading the rest */
		const char *fmt[64];
		for (int i = 0; i < n; i++) {
			sqlite3_blob *b;
			size_t got = 0;
			if (sqlite3_blob_open(c, "main", "blobs", "raw", seqs[i], 0, &b) == SQLITE_OK) {
				int len = sqlite3_blob_bytes(b);
				got = (size_t)len < prefix ? (size_t)len : prefix;
				if (sqlite3_blob_read(b, buf, (int)got, 0) != SQLITE_OK)
					got = 0;
				sqlite3_blob_close(b);
			}
			fmt[i] = got ? of_bytes(buf, got) : "pprof";
		}
		db_reader_put(c);
		if (n == 0)
			break;
		c = db_writer_lock();
		int rc = sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
		for (int i = 0; rc == 0 && i < n; i++) {
			if (sqlite3_prepare_v2(c, "UPDATE profiles SET format=? WHERE seq=? AND format IS NULL", -1, &st,
			                       NULL) != SQLITE_OK) {
				rc = -1;
				break;
			}
			sqlite3_bind_text(st, 1, fmt[i], -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, seqs[i]);
			rc = step_done(c, st);
		}
		if (rc == 0 && sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			rc = -1;
		if (rc < 0)
			sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
		db_writer_unlock();
		if (rc < 0)
			goto fail;
		done += n;
	}
	free(buf);
	return done;
fail:
	free(buf);
	return -1;
}

static int sq_findex_pending(char (*ids)[23], int max, int *n)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	*n = 0;
	if (sqlite3_prepare_v2(c, "SELECT p.id FROM profiles p WHERE NOT EXISTS"
	                          "(SELECT 1 FROM profile_findex f WHERE f.profile_seq=p.seq) ORDER BY p.seq LIMIT ?",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int(st, 1, max);
		while (*n < max && sqlite3_step(st) == SQLITE_ROW) {
			snprintf(ids[*n], 23, "%s", (const char *)sqlite3_column_text(st, 0));
			(*n)++;
		}
		sqlite3_finalize(st);
		rc = 0;
	}
	db_reader_put(c);
	return rc;
}

static int sq_findex_put(const char *id, const struct store_findex *fx)
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
	if (findex_write(c, seq, fx) < 0 || sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
out:
	db_writer_unlock();
	return rc;
}

#define FX_COLS "p.seq,p.id,coalesce(p.time_nanos,p.client_time,p.uploaded_at),p.duration_ns,p.kind," \
                "f.types,f.def_type,f.totals,f.profile_seq IS NOT NULL"

static void fx_row(sqlite3_stmt *st, struct store_fx_profile *o)
{
	memset(o, 0, sizeof(*o));
	o->seq = sqlite3_column_int64(st, 0);
	snprintf(o->id, sizeof(o->id), "%s", (const char *)sqlite3_column_text(st, 1));
	o->time = sqlite3_column_int64(st, 2);
	o->duration_ns = sqlite3_column_int64(st, 3);
	snprintf(o->kind, sizeof(o->kind), "%s", (const char *)sqlite3_column_text(st, 4));
	o->indexed = sqlite3_column_int(st, 8);
	if (!o->indexed)
		return;
	const char *types = (const char *)sqlite3_column_text(st, 5);
	snprintf(o->types, sizeof(o->types), "%s", types ? types : "");
	o->def_type = (uint32_t)sqlite3_column_int(st, 6);
	const char *tot = (const char *)sqlite3_column_text(st, 7);
	if (types && *types) {
		o->n_types = 1;
		for (const char *s = types; *s; s++)
			o->n_types += *s == '\n';
	}
	for (uint32_t t = 0; tot && *tot && t < o->n_types && t < 16; t++) {
		char *end;
		o->totals[t] = strtoll(tot, &end, 10);
		tot = *end == '\n' ? end + 1 : end;
	}
}

static int fx_cmp(const void *a, const void *b)
{
	const struct store_fx_profile *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int sq_fx_profiles(const char (*ids)[23], int n, struct store_fx_profile *out, int *n_out)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	*n_out = 0;
	if (sqlite3_prepare_v2(c, "SELECT " FX_COLS " FROM profiles p LEFT JOIN profile_findex f ON f.profile_seq=p.seq "
	                          "WHERE p.id=?", -1, &st, NULL) == SQLITE_OK) {
		rc = 0;
		for (int i = 0; i < n; i++) {
			sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
			int s = sqlite3_step(st);
			if (s == SQLITE_ROW)
				fx_row(st, &out[(*n_out)++]);
			else if (s != SQLITE_DONE)
				rc = -1;
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
		qsort(out, (size_t)*n_out, sizeof(*out), fx_cmp);
	}
	db_reader_put(c);
	return rc;
}

static int sq_fx_names(int (*fn)(void *ctx, int64_t fid, const char *name), void *ctx)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT id, name FROM functions ORDER BY name", -1, &st, NULL) == SQLITE_OK) {
		rc = 0;
		int s;
		while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
			rc = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_fx_all(int (*fn)(void *ctx, const struct store_fx_profile *p), void *ctx)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT " FX_COLS " FROM profile_findex f JOIN profiles p ON p.seq=f.profile_seq "
	                          "ORDER BY f.profile_seq", -1, &st, NULL) == SQLITE_OK) {
		rc = 0;
		struct store_fx_profile o;
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			fx_row(st, &o);
			rc = fn(ctx, &o);
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_fx_rows_profiles(int64_t fid,
                           int (*fn)(void *ctx, const struct store_fx_profile *p, const uint8_t *vals, size_t len),
                           void *ctx)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT " FX_COLS ", pf.vals FROM profile_functions pf "
	                          "JOIN profiles p ON p.seq=pf.profile_seq JOIN profile_findex f ON f.profile_seq=pf.profile_seq "
	                          "WHERE pf.function_id=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, fid);
		rc = 0;
		struct store_fx_profile o;
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			fx_row(st, &o);
			rc = fn(ctx, &o, sqlite3_column_blob(st, 9), (size_t)sqlite3_column_bytes(st, 9));
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_fx_by_label(const char *key, const char *value, const char *kind, int64_t from, int64_t to,
                      struct store_fx_profile *out, int max, int *n_out)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	*n_out = 0;
	if (sqlite3_prepare_v2(c, "SELECT " FX_COLS " FROM profile_labels l JOIN profiles p ON p.seq=l.profile_seq "
	                          "LEFT JOIN profile_findex f ON f.profile_seq=p.seq "
	                          "WHERE l.key=?1 AND l.value=?2 AND (?3 IS NULL OR p.kind=?3) AND p.ds_into IS NULL "
	                          "AND coalesce(p.time_nanos,p.client_time,p.uploaded_at) BETWEEN ?5 AND ?6 LIMIT ?4",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
		if (kind)
			sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_int(st, 4, max);
		sqlite3_bind_int64(st, 5, from);
		sqlite3_bind_int64(st, 6, to);
		int s;
		while (*n_out < max && (s = sqlite3_step(st)) == SQLITE_ROW)
			fx_row(st, &out[(*n_out)++]);
		rc = 0;
		sqlite3_finalize(st);
		qsort(out, (size_t)*n_out, sizeof(*out), fx_cmp);
	}
	db_reader_put(c);
	return rc;
}

/* Point lookups while the profiles are few against the rows a function
 * may have; beyond, one range scan over [first seq, last seq]. */
#define FX_POINT_LOOKUPS 2048

static int sq_fx_rows_of(const int64_t *fids, int n, const int64_t *seqs, int nseq,
                     int (*row)(void *ctx, int64_t seq, const uint8_t *vals, size_t len), int (*end)(void *ctx, int k),
                     void *ctx)
{
	if (nseq <= 0)
		return 0;
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	bool point = nseq <= FX_POINT_LOOKUPS;
	const char *sql = point ? "SELECT profile_seq, vals FROM profile_functions WHERE function_id=?1 AND profile_seq=?2"
	                        : "SELECT profile_seq, vals FROM profile_functions WHERE function_id=?1 "
	                          "AND profile_seq BETWEEN ?2 AND ?3";
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		rc = 0;
		for (int k = 0; rc == 0 && k < n; k++) {
			for (int i = 0; rc == 0 && i < (point ? nseq : 1); i++) {
				sqlite3_bind_int64(st, 1, fids[k]);
				sqlite3_bind_int64(st, 2, seqs[i]);
				if (!point)
					sqlite3_bind_int64(st, 3, seqs[nseq - 1]);
				int s;
				while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
					rc = row(ctx, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
					         (size_t)sqlite3_column_bytes(st, 1));
				if (rc == 0 && s != SQLITE_DONE)
					rc = -1;
				sqlite3_reset(st);
			}
			if (rc == 0)
				rc = end(ctx, k);
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

/* ---- selections and series (selection.h) ---------------------------------- */

#define SEL_TIME "coalesce(p.time_nanos,p.client_time,p.uploaded_at)"

/* The FROM/WHERE of the profiles of s into b, with the time range when
 * with_time, and join (NULL: none) after the FROM; parameters numbered
 * from ?1 in the order sel_bind binds them. */
static void sel_sql(const struct store_sel *s, bool with_time, const char *join, struct buf *b)
{
	int k = 1;
	if (s->n_labels > 0) {
		buf_printf(b, " FROM profile_labels l0 JOIN profiles p ON p.seq=l0.profile_seq%s"
		              " WHERE l0.key=?%d AND l0.value=?%d", join ? join : "", k, k + 1);
		k += 2;
	} else {
		buf_printf(b, " FROM profiles p%s WHERE 1", join ? join : "");
	}
	buf_printf(b, " AND p.ds_into IS NULL");   /* merged into a downsampled one: being deleted */
	for (int i = 1; i < s->n_labels; i++, k += 2)
		buf_printf(b, " AND EXISTS(SELECT 1 FROM profile_labels l WHERE l.profile_seq=p.seq"
		              " AND l.key=?%d AND l.value=?%d)", k, k + 1);
	if (s->kind)
		buf_printf(b, " AND p.kind=?%d", k++);
	if (with_time && s->has_from)
		buf_printf(b, " AND " SEL_TIME ">=?%d", k++);
	if (with_time && s->has_to)
		buf_printf(b, " AND " SEL_TIME "<=?%d", k++);
}

static int sel_bind(sqlite3_stmt *st, const struct store_sel *s, bool with_time)
{
	int k = 1;
	for (int i = 0; i < s->n_labels; i++) {
		sqlite3_bind_text(st, k++, s->labels[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, k++, s->labels[i].value, -1, SQLITE_STATIC);
	}
	if (s->kind)
		sqlite3_bind_text(st, k++, s->kind, -1, SQLITE_STATIC);
	if (with_time && s->has_from)
		sqlite3_bind_int64(st, k++, s->from);
	if (with_time && s->has_to)
		sqlite3_bind_int64(st, k++, s->to);
	return k;
}

static int sq_select(const struct store_sel *s, char (*ids)[23], int max, int *n)
{
	*n = 0;
	struct buf b = BUF_INIT;
	buf_printf(&b, "SELECT p.id");
	sel_sql(s, true, NULL, &b);
	buf_printf(&b, " ORDER BY " SEL_TIME ", p.seq LIMIT ?%d", 2 * s->n_labels + 4);
	if (b.oom) {
		buf_release(&b);
		return -1;
	}
	sqlite3 *c = db_reader_get();
	if (!c) {
		buf_release(&b);
		return -1;
	}
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, b.data, -1, &st, NULL) == SQLITE_OK) {
		sel_bind(st, s, true);
		sqlite3_bind_int(st, 2 * s->n_labels + 4, max);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
			snprintf(ids[*n], 23, "%s", (const char *)sqlite3_column_text(st, 0));
			(*n)++;
			if ((*n & 1023) == 0 && work_poll() != WORK_OK)
				break;
		}
		if (step == SQLITE_DONE || (step == SQLITE_ROW && *n == max))
			rc = 0;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	buf_release(&b);
	return rc;
}

static int sq_fx_select(const struct store_sel *s, struct store_fx_profile *out, int max, int *n_out)
{
	*n_out = 0;
	struct buf q = BUF_INIT;
	buf_printf(&q, "SELECT " FX_COLS);
	sel_sql(s, true, " LEFT JOIN profile_findex f ON f.profile_seq=p.seq", &q);
	buf_printf(&q, " ORDER BY " SEL_TIME ", p.seq LIMIT ?%d", 2 * s->n_labels + 4);
	if (q.oom) {
		buf_release(&q);
		return -1;
	}
	sqlite3 *c = db_reader_get();
	if (!c) {
		buf_release(&q);
		return -1;
	}
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, q.data, -1, &st, NULL) == SQLITE_OK) {
		sel_bind(st, s, true);
		sqlite3_bind_int(st, 2 * s->n_labels + 4, max);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW && *n_out < max) {
			fx_row(st, &out[(*n_out)++]);
			if ((*n_out & 1023) == 0 && work_poll() != WORK_OK)
				break;
		}
		if (step == SQLITE_DONE || (step == SQLITE_ROW && *n_out == max))
			rc = 0;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	buf_release(&q);
	return rc;
}

static int unhex(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Decode n hex digits at s into out (cap bytes, NUL-terminated). */
static void unhex_str(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i + 2 <= n && k + 1 < cap; i += 2) {
		int hi = unhex((unsigned char)s[i]), lo = unhex((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			break;
		out[k++] = (char)(hi * 16 + lo);
	}
	out[k] = '\0';
}

/* A time in ns as RFC 3339, or null for a NULL column. */
static void time_col(struct json *j, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		json_null(j);
		return;
	}
	char ts[40];
	util_rfc3339(sqlite3_column_int64(st, col), ts);
	json_str(j, ts);
}

static void secs_or_null(struct json *j, unsigned s)
{
	if (s)
		json_uint(j, s);
	else
		json_null(j);
}

static int sq_series(const struct store_sel *s, const struct store_series_retention *ret, struct json *j)
{
	struct buf b = BUF_INIT;
	/* a profile's whole label set, hex-coded so that no byte of a key or
	 * value can be taken for a separator, in key order; a downsampled
	 * profile's own label left out (it belongs to its series) */
	buf_printf(&b, "SELECT p.kind, (SELECT group_concat(hk||':'||hv, ',') FROM"
	               " (SELECT hex(key) AS hk, hex(value) AS hv FROM profile_labels"
	               " WHERE profile_seq=p.seq AND NOT (key='downsampled' AND p.ds_step IS NOT NULL)"
	               " ORDER BY key)) AS ls,"
	               " count(*), min(" SEL_TIME "), max(" SEL_TIME "), sum(p.bytes),"
	               " min(CASE WHEN p.ds_step IS NULL THEN " SEL_TIME " END),"
	               " max(CASE WHEN p.ds_step IS NOT NULL THEN " SEL_TIME " + p.ds_step * 1000000000 END),"
	               " sum(p.ds_step IS NOT NULL), max(p.ds_step), sum(p.scrape_job IS NULL), max(p.scrape_job)");
	sel_sql(s, false, NULL, &b);
	buf_printf(&b, " GROUP BY p.kind, ls ORDER BY ls, p.kind LIMIT %d", FDX_MAX_SELECTION);
	if (b.oom) {
		buf_release(&b);
		return -1;
	}
	sqlite3 *c = db_reader_get();
	if (!c) {
		buf_release(&b);
		return -1;
	}
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, b.data, -1, &st, NULL) == SQLITE_OK) {
		sel_bind(st, s, false);
		json_obj_begin(j);
		json_key(j, "series");
		json_arr_begin(j);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			json_obj_begin(j);
			json_key(j, "labels");
			json_obj_begin(j);
			const char *ls = (const char *)sqlite3_column_text(st, 1);
			while (ls && *ls) {
				size_t len = strcspn(ls, ",");
				const char *colon = memchr(ls, ':', len);
				if (colon) {
					char k[FDX_MAX_LABEL_LEN + 1], v[FDX_MAX_LABEL_LEN + 1];
					unhex_str(ls, (size_t)(colon - ls), k, sizeof(k));
					unhex_str(colon + 1, len - (size_t)(colon - ls) - 1, v, sizeof(v));
					json_key(j, k);
					json_str(j, v);
				}
				ls += len;
				if (*ls == ',')
					ls++;
			}
			json_obj_end(j);
			json_key(j, "kind");
			json_str(j, (const char *)sqlite3_column_text(st, 0));
			json_key(j, "profiles");
			json_int(j, sqlite3_column_int64(st, 2));
			char ts[40];
			json_key(j, "first");
			util_rfc3339(sqlite3_column_int64(st, 3), ts);
			json_str(j, ts);
			json_key(j, "last");
			util_rfc3339(sqlite3_column_int64(st, 4), ts);
			json_str(j, ts);
			json_key(j, "bytes");
			json_int(j, sqlite3_column_int64(st, 5));
			/* how far back the data goes, and what keeps it (docs/API.md) */
			int64_t n_all = sqlite3_column_int64(st, 2), n_ds = sqlite3_column_int64(st, 8),
			        n_up = sqlite3_column_int64(st, 10);
			json_key(j, "retention");
			json_obj_begin(j);
			json_key(j, "oldest");
			time_col(j, st, 3);
			json_key(j, "newest");
			time_col(j, st, 4);
			json_key(j, "raw_since");
			time_col(j, st, 6);
			json_key(j, "downsampled_until");
			time_col(j, st, 7);
			json_key(j, "downsampled_profiles");
			json_int(j, n_ds);
			json_key(j, "downsample_step_seconds");
			if (n_ds)
				json_int(j, sqlite3_column_int64(st, 9));
			else
				json_null(j);
			json_key(j, "retention_seconds");   /* of the raw profiles */
			secs_or_null(j, ret ? (n_up == n_all - n_ds && n_up ? ret->uploads_s : ret->scraped_s) : 0);
			json_key(j, "downsampled_retention_seconds");
			{
				/* a series is one job's (its labels include job:): its policy */
				const char *job = (const char *)sqlite3_column_text(st, 11);
				unsigned ds_s = ret ? ret->downsampled_s : 0;
				if (ret && ret->downsampled_of && job)
					ds_s = ret->downsampled_of(job);
				secs_or_null(j, ds_s);
			}
			json_obj_end(j);
			json_obj_end(j);
			if (work_poll() != WORK_OK)
				break;
		}
		json_arr_end(j);
		json_obj_end(j);
		if (step == SQLITE_DONE)
			rc = 0;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	buf_release(&b);
	return rc;
}

/* ---- downsampling (downsample.h) ------------------------------------------ */

static int sq_lock_take(const char *name, const char *holder, int64_t ttl_ns)
{
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st = NULL;
	int rc = -1;
	int64_t now = util_now_nanos();
	if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(c, "SELECT holder, expires FROM locks WHERE name=?", -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	bool other = false;
	if (sqlite3_step(st) == SQLITE_ROW)
		other = strcmp((const char *)sqlite3_column_text(st, 0), holder) != 0 && sqlite3_column_int64(st, 1) > now;
	sqlite3_finalize(st);
	if (other) {
		rc = 1;
		goto rollback;
	}
	if (sqlite3_prepare_v2(c, "INSERT OR REPLACE INTO locks(name, holder, expires) VALUES(?,?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now + ttl_ns);
	if (step_done(c, st) < 0 || sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
out:
	db_writer_unlock();
	return rc;
}

static void sq_lock_drop(const char *name, const char *holder)
{
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c, "DELETE FROM locks WHERE name=? AND holder=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
		step_done(c, st);
	}
	db_writer_unlock();
}

/* The candidates: scraped, raw, not merged yet (the partial index of
 * migration 011 covers exactly these). */
#define DS_CAND "p.scrape_job IS NOT NULL AND p.ds_step IS NULL AND p.ds_into IS NULL"
#define DS_COLS "p.seq, p.id, " SEL_TIME ", p.bytes, p.kind, p.scrape_job, p.duration_ns > 0 AS windowed"
/* A profile's label set as one text (hex-coded, in key order), '' for none. */
#define DS_LS "coalesce((SELECT group_concat(hk||':'||hv, ',') FROM (SELECT hex(key) AS hk, hex(value) AS hv " \
              "FROM profile_labels WHERE profile_seq=p.seq ORDER BY key)), '')"

static void ds_row(sqlite3_stmt *st, struct store_ds_cand *o)
{
	memset(o, 0, sizeof(*o));
	o->seq = sqlite3_column_int64(st, 0);
	snprintf(o->id, sizeof(o->id), "%s", (const char *)sqlite3_column_text(st, 1));
	o->time = sqlite3_column_int64(st, 2);
	o->bytes = sqlite3_column_int64(st, 3);
	snprintf(o->kind, sizeof(o->kind), "%s", (const char *)sqlite3_column_text(st, 4));
	const char *job = (const char *)sqlite3_column_text(st, 5);
	snprintf(o->job, sizeof(o->job), "%s", job ? job : "");
}

static int sq_ds_oldest(const char *job, int64_t from, int64_t before, struct store_ds_cand *out)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT " DS_COLS " FROM profiles p WHERE " DS_CAND " AND p.scrape_job = ?3 AND "
	                          SEL_TIME " >= ?1 AND " SEL_TIME " < ?2 ORDER BY " SEL_TIME ", p.seq LIMIT 1", -1, &st,
	                          NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, before);
		sqlite3_bind_text(st, 3, job, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			ds_row(st, out);
			rc = 0;
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_ds_page(const char *job, int64_t from, int64_t to, const struct store_ds_key *after, int max,
                      struct store_ds_page *pg)
{
	memset(pg, 0, sizeof(*pg));
	bool cursor = after && after->ls;
	/* the bucket's candidates through the partial index, then sorted by
	 * series: the label set is read once per candidate */
	const char *sql = cursor
		? "SELECT * FROM (SELECT " DS_COLS ", " DS_LS " AS ls FROM profiles p WHERE " DS_CAND
		  " AND p.scrape_job = ?8 AND " SEL_TIME " >= ?1 AND " SEL_TIME " < ?2)"
		  " WHERE (kind, scrape_job, windowed, ls) > (?4, ?5, ?6, ?7)"
		  " ORDER BY kind, scrape_job, windowed, ls, 3, seq LIMIT ?3"
		: "SELECT * FROM (SELECT " DS_COLS ", " DS_LS " AS ls FROM profiles p WHERE " DS_CAND
		  " AND p.scrape_job = ?8 AND " SEL_TIME " >= ?1 AND " SEL_TIME " < ?2)"
		  " ORDER BY kind, scrape_job, windowed, ls, 3, seq LIMIT ?3";
	pg->rows = malloc((size_t)max * sizeof(*pg->rows));
	pg->first = malloc(((size_t)max + 1) * sizeof(*pg->first));
	pg->keys = calloc((size_t)max, sizeof(*pg->keys));
	if (!pg->rows || !pg->first || !pg->keys) {
		store_ds_page_free(pg);
		return -1;
	}
	sqlite3 *c = db_reader_get();
	if (!c) {
		store_ds_page_free(pg);
		return -1;
	}
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, to);
		sqlite3_bind_int(st, 3, max);
		sqlite3_bind_text(st, 8, job, -1, SQLITE_STATIC);
		if (cursor) {
			sqlite3_bind_text(st, 4, after->kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, after->job, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 6, after->windowed);
			sqlite3_bind_text(st, 7, after->ls, -1, SQLITE_STATIC);
		}
		int s = SQLITE_DONE;
		rc = 0;
		while (pg->n < max && (s = sqlite3_step(st)) == SQLITE_ROW) {
			struct store_ds_cand *o = &pg->rows[pg->n];
			ds_row(st, o);
			int windowed = sqlite3_column_int(st, 6);
			const char *ls = (const char *)sqlite3_column_text(st, 7);
			struct store_ds_key *k = pg->n_groups ? &pg->keys[pg->n_groups - 1] : NULL;
			if (!k || strcmp(k->kind, o->kind) || strcmp(k->job, o->job) || k->windowed != windowed ||
			    strcmp(k->ls, ls ? ls : "")) {
				k = &pg->keys[pg->n_groups];
				snprintf(k->kind, sizeof(k->kind), "%s", o->kind);
				snprintf(k->job, sizeof(k->job), "%s", o->job);
				k->windowed = windowed;
				if (!(k->ls = strdup(ls ? ls : ""))) {
					rc = -1;
					break;
				}
				pg->first[pg->n_groups++] = pg->n;
			}
			pg->n++;
		}
		if (rc == 0 && pg->n < max && s != SQLITE_DONE)
			rc = -1;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	if (rc < 0) {
		store_ds_page_free(pg);
		return -1;
	}
	pg->first[pg->n_groups] = pg->n;
	pg->full = pg->n == max;
	return 0;
}

/* Up to max ids (and bytes) of what sql (one optional int64 parameter)
 * selects. */
static int ids_bytes(const char *sql, bool has_arg, int64_t arg, const char *job, char (*ids)[23], int64_t *bytes,
                     int max, int *n)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	*n = 0;
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK) {
		if (has_arg)
			sqlite3_bind_int64(st, 1, arg);
		sqlite3_bind_int(st, has_arg ? 2 : 1, max);
		if (job)
			sqlite3_bind_text(st, 3, job, -1, SQLITE_STATIC);
		int s = SQLITE_DONE;
		while (*n < max && (s = sqlite3_step(st)) == SQLITE_ROW) {
			snprintf(ids[*n], 23, "%s", (const char *)sqlite3_column_text(st, 0));
			bytes[*n] = sqlite3_column_int64(st, 1);
			(*n)++;
		}
		rc = *n == max || s == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_ds_merged(char (*ids)[23], int64_t *bytes, int max, int *n)
{
	return ids_bytes("SELECT id, bytes FROM profiles WHERE ds_into IS NOT NULL ORDER BY ds_into, seq LIMIT ?1",
	                 false, 0, NULL, ids, bytes, max, n);
}

static int sq_ds_expired(const char *job, int64_t before, char (*ids)[23], int64_t *bytes, int max, int *n)
{
	return ids_bytes("SELECT p.id, p.bytes FROM profiles p WHERE p.ds_step IS NOT NULL AND p.scrape_job = ?3 AND "
	                 SEL_TIME " < ?1 ORDER BY " SEL_TIME ", p.seq LIMIT ?2",
	                 true, before, job, ids, bytes, max, n);
}

static int sq_ds_next_job(const char *after, char *out, size_t cap)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	/* the smallest job after `after` among the candidates and among the
	 * downsampled profiles: two index seeks (migration 012) */
	if (sqlite3_prepare_v2(c, "SELECT min(j) FROM ("
	                          "SELECT min(p.scrape_job) AS j FROM profiles p WHERE " DS_CAND " AND p.scrape_job > ?1"
	                          " UNION ALL SELECT min(p.scrape_job) FROM profiles p WHERE p.ds_step IS NOT NULL AND"
	                          " p.scrape_job IS NOT NULL AND p.scrape_job > ?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *j = (const char *)sqlite3_column_text(st, 0);
			if (!j) {
				rc = 1;
			} else {
				snprintf(out, cap, "%s", j);
				rc = 0;
			}
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_labels_of(const char *id, struct store_label *out, int max, int *n)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	*n = 0;
	if (sqlite3_prepare_v2(c, "SELECT p.seq, l.key, l.value FROM profiles p LEFT JOIN profile_labels l "
	                          "ON l.profile_seq=p.seq WHERE p.id=? ORDER BY l.key", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		int s;
		bool found = false;
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			found = true;
			if (sqlite3_column_type(st, 1) == SQLITE_NULL || *n >= max)
				continue;
			snprintf(out[*n].key, sizeof(out[*n].key), "%s", (const char *)sqlite3_column_text(st, 1));
			snprintf(out[*n].value, sizeof(out[*n].value), "%s", (const char *)sqlite3_column_text(st, 2));
			(*n)++;
		}
		rc = s != SQLITE_DONE ? -1 : found ? 0 : 1;
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

/* ---- stored view answers (answers.h, schema/014) --------------------------- */

static int sq_answer_put(const char *id, const char *name, int format, const void *gz, size_t gz_len, size_t raw_len)
{
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st;
	int rc = -1;
	/* one statement: the profile's seq and the row, in autocommit; the
	 * foreign key (foreign_keys=ON, db.c) and the writer lock mean a
	 * profile deleted meanwhile gets no row (0 changes: 1) */
	if (sqlite3_prepare_v2(c, "INSERT INTO view_answers(profile_seq,name,format,raw_len,gz) "
	                          "SELECT seq,?,?,?,? FROM profiles WHERE id=? "
	                          "ON CONFLICT(profile_seq,name) DO UPDATE SET format=excluded.format, "
	                          "raw_len=excluded.raw_len, gz=excluded.gz",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, format);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)raw_len);
		sqlite3_bind_blob64(st, 4, gz, gz_len, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
		if (step_done(c, st) == 0)
			rc = sqlite3_changes(c) == 1 ? 0 : 1;
	}
	db_writer_unlock();
	return rc;
}

static int sq_answer_get(const char *id, const char *name, int format, uint8_t **gz, size_t *gz_len, size_t *raw_len)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "SELECT a.raw_len, a.gz FROM view_answers a JOIN profiles p ON p.seq=a.profile_seq "
	                          "WHERE p.id=? AND a.name=? AND a.format=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, format);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			size_t n = (size_t)sqlite3_column_bytes(st, 1);
			const void *b = sqlite3_column_blob(st, 1);
			*gz = malloc(n ? n : 1);
			if (*gz) {
				if (n)
					memcpy(*gz, b, n);
				*gz_len = n;
				*raw_len = (size_t)sqlite3_column_int64(st, 0);
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

/* ---- sessions (session.h) ------------------------------------------------- */

static int run_done(sqlite3 *c, sqlite3_stmt *st)
{
	return step_done(c, st);
}

static int sq_session_put(const struct store_session *s, int64_t now)
{
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "DELETE FROM sessions WHERE expires_at <= ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, now);
		run_done(c, st);
	}
	if (sqlite3_prepare_v2(c, "INSERT INTO sessions(id_hash,token_hash,name,created_at,expires_at) VALUES(?,?,?,?,?)",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, s->id_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, s->token_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, s->created_at);
		sqlite3_bind_int64(st, 5, s->expires_at);
		rc = run_done(c, st);
	}
	db_writer_unlock();
	return rc;
}

static int sq_session_get(const char *id_hash, struct store_session *out)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(c, "SELECT token_hash, expires_at FROM sessions WHERE id_hash=?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, id_hash, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(st, 0);
			snprintf(out->token_hash, sizeof(out->token_hash), "%s", t ? t : "");
			out->expires_at = sqlite3_column_int64(st, 1);
			rc = 0;
		} else if (s == SQLITE_DONE) {
			rc = 1;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

static int sq_session_del(const char *id_hash)
{
	sqlite3 *c = db_writer_lock();
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(c, "DELETE FROM sessions WHERE id_hash=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id_hash, -1, SQLITE_STATIC);
		rc = run_done(c, st);
	}
	db_writer_unlock();
	return rc;
}

/* ---- retention (scrape_retention.c) ------------------------------------------ */

static int sq_retention_ids(enum store_retention which, int64_t before, char (*ids)[FDX_STORE_ID_CAP], int64_t *bytes,
                            int max)
{
	static const char *const sql[] = {
		/* downsampled profiles (downsample.h) have --downsample-retention */
		[STORE_RET_SCRAPED_BEFORE] = "SELECT id, bytes FROM profiles WHERE scrape_job IS NOT NULL AND ds_step IS NULL "
		                             "AND uploaded_at < ?1 "
		                             "ORDER BY uploaded_at LIMIT ?2",
		[STORE_RET_UPLOADS_BEFORE] = "SELECT id, bytes FROM profiles WHERE scrape_job IS NULL AND uploaded_at < ?1 "
		                             "ORDER BY uploaded_at LIMIT ?2",
		[STORE_RET_SCRAPED_OLDEST] = "SELECT id, bytes FROM profiles WHERE scrape_job IS NOT NULL AND ?1 IS NOT NULL "
		                             "ORDER BY uploaded_at LIMIT ?2",
	};
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(c, sql[which], -1, &st, NULL) != SQLITE_OK) {
		util_log("level=error msg=\"retention query failed\" err=\"%s\"", sqlite3_errmsg(c));
		db_reader_put(c);
		return -1;
	}
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int(st, 2, max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (!id || strlen(id) >= FDX_STORE_ID_CAP)
			continue;
		memcpy(ids[n], id, strlen(id) + 1);
		bytes[n] = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_finalize(st);
	db_reader_put(c);
	return n;
}

static int sq_scraped_stats(int64_t *bytes, int64_t *oldest)
{
	sqlite3 *c = db_reader_get();
	if (!c)
		return -1;
	sqlite3_stmt *st;
	int rc = -1;
	*bytes = *oldest = 0;
	/* how far back scraped data goes: the oldest profile time, raw
	 * (scraped, not downsampled) or downsampled, each through its index
	 * of migration 011 */
	if (sqlite3_prepare_v2(c, "SELECT COALESCE((SELECT SUM(bytes) FROM profiles WHERE scrape_job IS NOT NULL),0), "
	                          "COALESCE((SELECT min(t) FROM (SELECT min(coalesce(time_nanos, client_time, uploaded_at)) "
	                          "AS t FROM profiles WHERE scrape_job IS NOT NULL AND ds_step IS NULL AND ds_into IS NULL "
	                          "UNION ALL SELECT min(coalesce(time_nanos, client_time, uploaded_at)) FROM profiles "
	                          "WHERE ds_step IS NOT NULL)),0)", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			*bytes = sqlite3_column_int64(st, 0);
			*oldest = sqlite3_column_int64(st, 1);
			rc = 0;
		}
		sqlite3_finalize(st);
	}
	db_reader_put(c);
	return rc;
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.shared = false,
	.open = sq_open,
	.close = db_close,
	.health = sq_health,
	.add = sq_add,
	.del = sq_delete,
	.exists = sq_exists,
	.meta = sq_meta,
	.list = sq_list,
	.raw = sq_raw,
	.stacks = sq_stacks,
	.dict_chunks = sq_dict_chunks,
	.name_of = sq_name,
	.edit = sq_edit,
	.labels = sq_labels,
	.time = sq_time,
	.sizes = sq_sizes,
	.label = sq_label,
	.ids_by_label = sq_ids_by_label,
	.findex_pending = sq_findex_pending,
	.findex_put = sq_findex_put,
	.fx_profiles = sq_fx_profiles,
	.fx_by_label = sq_fx_by_label,
	.fx_names = sq_fx_names,
	.fx_rows_of = sq_fx_rows_of,
	.fx_rows_profiles = sq_fx_rows_profiles,
	.fx_all = sq_fx_all,
	.select = sq_select,
	.series = sq_series,
	.session_put = sq_session_put,
	.session_get = sq_session_get,
	.session_del = sq_session_del,
	.retention_ids = sq_retention_ids,
	.scraped_stats = sq_scraped_stats,
	.job_lock = NULL,
	.format_backfill = sq_format_backfill,
	.fx_select = sq_fx_select,
	.lock_take = sq_lock_take,
	.lock_drop = sq_lock_drop,
	.ds_oldest = sq_ds_oldest,
	.ds_next_job = sq_ds_next_job,
	.ds_page = sq_ds_page,
	.ds_merged = sq_ds_merged,
	.ds_expired = sq_ds_expired,
	.labels_of = sq_labels_of,
	.answer_put = sq_answer_put,
	.answer_get = sq_answer_get,
};
