/*
 * store_pg.c: the PostgreSQL backend of the store (store_be.h), on the
 * connections of db_pg.c; the schema is schema/pg/.
 *
 * The same logical store as store_sqlite.c, answer for answer: text
 * columns are COLLATE "C" (bytewise order, ASCII-only lower()), NULLs sort
 * first where SQLite sorts them first, and the counters of the list and
 * the labels are kept in the writing transaction. What differs is that
 * many processes write at once:
 *   - every writer takes its row locks in one order: the function names
 *     (sorted, inserted ON CONFLICT DO NOTHING), the profile row, the
 *     profile_counts row of its kind, then label_counts rows sorted by
 *     key and value; so writers on several replicas never deadlock. A
 *     transaction that still fails with a deadlock or a serialization
 *     failure (40P01, 40001) is run again, a few times;
 *   - an upload writes its blobs first and its profiles row last (the
 *     foreign keys are deferred), so the counter rows every upload
 *     updates are held only for the end of its transaction;
 *   - a delete locks the profile row (FOR UPDATE) first, so two replicas
 *     deleting one profile delete it once (the second finds it gone: 1).
 * Blobs are bound and read as binary (bytea); the function index rows go
 * in with two statements whatever their number (binary bytea[] arrays).
 */
#include "store_be.h"

#include <endian.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_pg.h"
#include "limits.h"
#include "util.h"
#include "work.h"

/* tries of a write transaction that lost a deadlock or serialization race */
#define PG_TX_TRIES 4

#define Q(name, sql, n) static struct db_pg_stmt name = DB_PG_STMT(sql, n)

/* ---- small helpers -------------------------------------------------------- */

static PGresult *run(struct db_pg_conn *c, struct db_pg_stmt *st, const struct db_pg_params *p, bool bin)
{
	return db_pg_run(c, st, NULL, p, bin);
}

/* A command (no rows wanted): 0 or -1. */
static int cmd(struct db_pg_conn *c, struct db_pg_stmt *st, const struct db_pg_params *p)
{
	PGresult *r = run(c, st, p, false);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* The seq of profile id, locking its row when lock (FOR UPDATE): the seq
 * (and kind into kind when not NULL), 0 when unknown, -1 on error. */
static int64_t seq_of(struct db_pg_conn *c, const char *id, bool lock, char *kind, size_t kcap)
{
	Q(st_lock, "SELECT seq, kind FROM profiles WHERE id=$1 FOR UPDATE", 1);
	Q(st_plain, "SELECT seq, kind FROM profiles WHERE id=$1", 1);
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	PGresult *r = run(c, lock ? &st_lock : &st_plain, &p, false);
	if (!r)
		return -1;
	int64_t seq = 0;
	if (PQntuples(r) == 1) {
		seq = db_pg_int(r, 0, 0);
		if (kind)
			snprintf(kind, kcap, "%s", db_pg_str(r, 0, 1));
	}
	PQclear(r);
	return seq;
}

static void int_array(struct buf *b, const int64_t *v, int n)
{
	buf_addc(b, '{');
	for (int i = 0; i < n; i++)
		buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]);
	buf_addc(b, '}');
	buf_addc(b, '\0');
}

/* The binary form of a one-dimensional bytea[] of n elements (element i:
 * at(ctx, i, &len)) into b. */
static void put_be32(struct buf *b, uint32_t v)
{
	uint32_t x = htobe32(v);
	buf_add(b, &x, 4);
}

static void bytea_array(struct buf *b, size_t n, const void *(*at)(void *ctx, size_t i, size_t *len), void *ctx)
{
	put_be32(b, 1);    /* dimensions */
	put_be32(b, 0);    /* no NULLs */
	put_be32(b, 17);   /* element type: bytea */
	put_be32(b, (uint32_t)n);
	put_be32(b, 1);    /* lower bound */
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const void *d = at(ctx, i, &len);
		put_be32(b, (uint32_t)len);
		buf_add(b, d, len);
	}
}

/* ---- counters (the SQLite schema's migration 008, kept here) --------------- */

struct label_delta {
	const char *key, *value;
	int delta;
};

static int delta_cmp(const void *a, const void *b)
{
	const struct label_delta *x = a, *y = b;
	int k = strcmp(x->key, y->key);
	return k ? k : strcmp(x->value, y->value);
}

/* profile_counts of kind by dk, then label_counts of d[0, n) (sorted
 * here) by their deltas: the one lock order of every writer. */
static int count(struct db_pg_conn *c, const char *kind, int dk, struct label_delta *d, int n)
{
	Q(st_kind, "INSERT INTO profile_counts(kind, n) VALUES($1, $2) "
	           "ON CONFLICT (kind) DO UPDATE SET n = profile_counts.n + EXCLUDED.n", 2);
	Q(st_label, "INSERT INTO label_counts(key, value, kind, n) VALUES($1, $2, $3, $4) "
	            "ON CONFLICT (key, value, kind) DO UPDATE SET n = label_counts.n + EXCLUDED.n", 4);
	Q(st_gone, "DELETE FROM label_counts WHERE key=$1 AND value=$2 AND kind=$3 AND n <= 0", 3);
	struct db_pg_params p = { 0 };
	if (dk) {
		db_pg_ptext(&p, kind);
		db_pg_pint(&p, dk);
		if (cmd(c, &st_kind, &p) < 0)
			return -1;
	}
	qsort(d, (size_t)n, sizeof(*d), delta_cmp);
	for (int i = 0; i < n; i++) {
		if (!d[i].delta)
			continue;
		memset(&p, 0, sizeof(p));
		db_pg_ptext(&p, d[i].key);
		db_pg_ptext(&p, d[i].value);
		db_pg_ptext(&p, kind);
		db_pg_pint(&p, d[i].delta);
		if (cmd(c, &st_label, &p) < 0)
			return -1;
		if (d[i].delta < 0) {
			p.n = 3;
			if (cmd(c, &st_gone, &p) < 0)
				return -1;
		}
	}
	return 0;
}

/* Labels as stored: one per key, the last given winning (as SQLite's
 * INSERT OR REPLACE), sorted by key. n_out of them into out. */
static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_label *)a)->key, ((const struct store_label *)b)->key);
}

static void labels_norm(const struct store_label *in, int n, struct store_label *out, int *n_out)
{
	int k = 0;
	for (int i = n - 1; i >= 0; i--) {
		bool dup = false;
		for (int m = 0; m < k && !dup; m++)
			dup = strcmp(out[m].key, in[i].key) == 0;
		if (!dup)
			out[k++] = in[i];
	}
	qsort(out, (size_t)k, sizeof(*out), label_cmp);
	*n_out = k;
}

static int labels_insert(struct db_pg_conn *c, int64_t seq, const struct store_label *l, int n)
{
	Q(st, "INSERT INTO profile_labels(profile_seq, key, value) VALUES($1, $2, $3)", 3);
	for (int i = 0; i < n; i++) {
		struct db_pg_params p = { 0 };
		db_pg_pint(&p, seq);
		db_pg_ptext(&p, l[i].key);
		db_pg_ptext(&p, l[i].value);
		if (cmd(c, &st, &p) < 0)
			return -1;
	}
	return 0;
}

/* ---- setup ------------------------------------------------------------------ */

static int pg_health(void)
{
	Q(st, "SELECT 1", 0);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	PGresult *r = run(c, &st, NULL, false);
	db_pg_put(c);
	PQclear(r);
	return r ? 0 : -1;
}

static int pg_db_bytes(int64_t *bytes)
{
	Q(st, "SELECT pg_database_size(current_database())", 0);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	PGresult *r = run(c, &st, NULL, false);
	db_pg_put(c);
	if (!r)
		return -1;
	*bytes = PQntuples(r) == 1 ? db_pg_int(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* ---- writing ------------------------------------------------------------------ */

struct fx_ctx {
	const struct store_findex *fx;
	const size_t *order;   /* rows by name */
	bool vals;
};

static const void *fx_at(void *ctx, size_t i, size_t *len)
{
	struct fx_ctx *x = ctx;
	size_t k = x->order[i];
	if (x->vals) {
		*len = x->fx->off[k + 1] - x->fx->off[k];
		return x->fx->vals + x->fx->off[k];
	}
	*len = strlen(x->fx->names[k]);
	return x->fx->names[k];
}

static const struct store_findex *sort_fx;
static int fx_order_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_fx->names[x], sort_fx->names[y]);
	/* the same name twice: the later row wins (INSERT OR REPLACE) */
	return c ? c : (x > y) - (x < y);
}

/* The function index rows of profile seq, in the caller's transaction
 * (replacing any). 0 or -1. */
static int findex_write(struct db_pg_conn *c, int64_t seq, const struct store_findex *fx)
{
	Q(st_del, "DELETE FROM profile_functions WHERE profile_seq=$1", 1);
	Q(st_head, "INSERT INTO profile_findex(profile_seq, types, def_type, totals) VALUES($1, $2, $3, $4) "
	           "ON CONFLICT (profile_seq) DO UPDATE SET types=EXCLUDED.types, def_type=EXCLUDED.def_type, "
	           "totals=EXCLUDED.totals", 4);
	/* names in sorted order: concurrent uploads wait on each other's new
	 * names in one order, never in a cycle */
	Q(st_intern, "INSERT INTO functions(name) SELECT DISTINCT n FROM unnest($1::bytea[]) AS u(n) ORDER BY n "
	             "ON CONFLICT (name) DO NOTHING", 1);
	Q(st_rows, "INSERT INTO profile_functions(function_id, profile_seq, vals) "
	           "SELECT DISTINCT ON (u.n) f.id, $1, u.v FROM unnest($2::bytea[], $3::bytea[]) WITH ORDINALITY AS u(n, v, i) "
	           "JOIN functions f ON f.name = u.n ORDER BY u.n, u.i DESC", 3);
	int rc = -1;
	struct buf totals = BUF_INIT, names = BUF_INIT, vals = BUF_INIT;
	size_t *order = NULL;
	for (uint32_t t = 0; t < fx->n_types; t++)
		buf_printf(&totals, "%s%lld", t ? "\n" : "", (long long)fx->totals[t]);
	buf_addc(&totals, '\0');
	if (totals.oom)
		goto out;
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, seq);
	if (cmd(c, &st_del, &p) < 0)
		goto out;
	db_pg_ptext(&p, fx->types ? fx->types : "");
	db_pg_pint(&p, fx->def_type);
	db_pg_ptext(&p, totals.data);
	if (cmd(c, &st_head, &p) < 0)
		goto out;
	if (fx->n == 0) {
		rc = 0;
		goto out;
	}
	order = malloc(fx->n * sizeof(*order));
	if (!order)
		goto out;
	for (size_t i = 0; i < fx->n; i++)
		order[i] = i;
	/* qsort has no context argument: the comparison reads sort_fx, set
	 * under a lock of its own */
	static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&sort_mu);
	sort_fx = fx;
	qsort(order, fx->n, sizeof(*order), fx_order_cmp);
	sort_fx = NULL;
	pthread_mutex_unlock(&sort_mu);
	struct fx_ctx nx = { fx, order, false }, vx = { fx, order, true };
	bytea_array(&names, fx->n, fx_at, &nx);
	bytea_array(&vals, fx->n, fx_at, &vx);
	if (names.oom || vals.oom)
		goto out;
	memset(&p, 0, sizeof(p));
	db_pg_pblob(&p, names.data, names.len);
	if (cmd(c, &st_intern, &p) < 0)
		goto out;
	memset(&p, 0, sizeof(p));
	db_pg_pint(&p, seq);
	db_pg_pblob(&p, names.data, names.len);
	db_pg_pblob(&p, vals.data, vals.len);
	if (cmd(c, &st_rows, &p) < 0)
		goto out;
	rc = 0;
out:
	free(order);
	buf_release(&totals);
	buf_release(&names);
	buf_release(&vals);
	return rc;
}

/* The downsampling columns of profile seq, and every member marked as
 * merged into it, inside the caller's transaction: 0, STORE_CHANGED when a
 * member is gone or already merged (the caller rolls back), -1 error. The
 * members' rows are locked in id order, so two writers never wait on each
 * other in a cycle. */
static int ds_write(struct db_pg_conn *c, int64_t seq, const struct store_ds *ds)
{
	Q(st_head, "UPDATE profiles SET ds_step=$1, ds_members=$2, ds_agg=$3 WHERE seq=$4", 4);
	Q(st_mark, "UPDATE profiles SET ds_into=$1 WHERE id=$2 AND ds_into IS NULL AND ds_step IS NULL "
	           "AND scrape_job IS NOT NULL", 2);
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, ds->step_s);
	db_pg_pint(&p, ds->n_members);
	db_pg_ptext(&p, ds->agg);
	db_pg_pint(&p, seq);
	if (cmd(c, &st_head, &p) < 0)
		return -1;
	for (int i = 0; i < ds->n_members; i++) {
		memset(&p, 0, sizeof(p));
		db_pg_pint(&p, seq);
		db_pg_ptext(&p, ds->members[i]);
		PGresult *r = run(c, &st_mark, &p, false);
		if (!r)
			return -1;
		bool one = strcmp(PQcmdTuples(r), "1") == 0;
		PQclear(r);
		if (!one)
			return STORE_CHANGED;
	}
	return 0;
}

/* The group of an FDX4 row, inside the caller's transaction (store_be.h,
 * struct store_chunk): 0, STORE_SERIES_STALE, -1 error. The UPDATEs lock
 * the group's row until the commit, so a delete of the group's last
 * profile (delete_tx) waits for this upload and then sees its row. */
static int chunk_write(struct db_pg_conn *c, const struct store_chunk *ch)
{
	Q(st_new, "INSERT INTO dict_groups(grp, chunks, bytes) VALUES($1, 1, $2) ON CONFLICT DO NOTHING", 2);
	Q(st_next, "UPDATE dict_groups SET chunks=chunks+1, bytes=bytes+$1 WHERE grp=$2 AND chunks=$3", 3);
	Q(st_have, "UPDATE dict_groups SET chunks=chunks WHERE grp=$1 AND chunks>=$2", 2);
	Q(st_chunk, "INSERT INTO dict_chunks(grp, seq, data) VALUES($1, $2, $3)", 3);
	struct db_pg_params p = { 0 };
	struct db_pg_stmt *st;
	if (ch->seq == 0) {
		st = &st_new;
		db_pg_ptext(&p, ch->grp);
		db_pg_pint(&p, (int64_t)ch->len);
	} else if (ch->seq != UINT32_MAX) {
		st = &st_next;
		db_pg_pint(&p, (int64_t)ch->len);
		db_pg_ptext(&p, ch->grp);
		db_pg_pint(&p, ch->seq);
	} else {
		st = &st_have;
		db_pg_ptext(&p, ch->grp);
		db_pg_pint(&p, ch->need);
	}
	PGresult *r = run(c, st, &p, false);
	if (!r)
		return -1;
	bool one = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!one)
		return STORE_SERIES_STALE;
	if (ch->seq == UINT32_MAX)
		return 0;
	memset(&p, 0, sizeof(p));
	db_pg_ptext(&p, ch->grp);
	db_pg_pint(&p, ch->seq);
	db_pg_pblob(&p, ch->data, ch->len);
	return cmd(c, &st_chunk, &p);
}

/* One upload transaction: 0, STORE_CHANGED, or -1 (retryable tells why). */
static int add_tx(struct db_pg_conn *c, const struct store_new *n, const struct buf *stacks, int stacks_format,
                  const struct buf *types,
                  const char *id, const struct store_chunk *chunk)
{
	Q(st_seq, "SELECT nextval(pg_get_serial_sequence('profiles', 'seq'))", 0);
	Q(st_blob, "INSERT INTO blobs(profile_seq, raw) VALUES($1, $2)", 2);
	Q(st_stacks, "INSERT INTO stacks(profile_seq, format, data, grp) VALUES($1, $2, $3, $4)", 4);
	Q(st_prof, "INSERT INTO profiles(seq, id, name, kind, uploaded_at, time_nanos, duration_ns, samples, functions, "
	           "locations, bytes, types_json, client_time, uploaded_by, scrape_job, format) "
	           "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)", 16);
	const struct prof *pr = n->prof;
	if (db_pg_exec(c, "BEGIN") < 0)
		return -1;
	PGresult *r = run(c, &st_seq, NULL, false);
	if (!r)
		return -1;
	int64_t seq = db_pg_int(r, 0, 0);
	PQclear(r);
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, seq);
	db_pg_pblob(&p, n->raw_dropped ? (const uint8_t *)"" : n->raw, n->raw_dropped ? 0 : n->raw_len);
	if (cmd(c, &st_blob, &p) < 0)
		return -1;
	if (chunk) {
		int crc = chunk_write(c, chunk);
		if (crc != 0)
			return crc;
	}
	memset(&p, 0, sizeof(p));
	db_pg_pint(&p, seq);
	db_pg_pint(&p, stacks_format);
	db_pg_pblob(&p, stacks->data, stacks->len);
	db_pg_ptext(&p, chunk ? chunk->grp : NULL);
	if (cmd(c, &st_stacks, &p) < 0)
		return -1;
	if (n->findex && findex_write(c, seq, n->findex) < 0)
		return -1;
	struct buf tj = BUF_INIT;
	buf_add(&tj, types->data, types->len);
	buf_addc(&tj, '\0');
	if (tj.oom)
		return -1;
	memset(&p, 0, sizeof(p));
	db_pg_pint(&p, seq);
	db_pg_ptext(&p, id);
	db_pg_ptext(&p, n->name);
	db_pg_ptext(&p, prof_kind_name(pr->kind));
	db_pg_pint(&p, util_now_nanos());
	if (pr->time_nanos)
		db_pg_pint(&p, pr->time_nanos);
	else
		db_pg_pnull(&p);
	db_pg_pint(&p, pr->duration_nanos);
	db_pg_pint(&p, (int64_t)pr->orig_samples);
	db_pg_pint(&p, (int64_t)pr->orig_functions);
	db_pg_pint(&p, (int64_t)pr->orig_locations);
	db_pg_pint(&p, (int64_t)n->raw_len);
	db_pg_ptext(&p, tj.data);
	if (n->client_time && !pr->time_nanos)
		db_pg_pint(&p, n->client_time);
	else
		db_pg_pnull(&p);
	db_pg_ptext(&p, n->uploaded_by);
	db_pg_ptext(&p, n->scrape_job);
	db_pg_ptext(&p, n->format ? n->format : "pprof");
	int rc = cmd(c, &st_prof, &p);
	buf_release(&tj);
	if (rc < 0)
		return -1;
	if (n->ds) {   /* a downsampled profile: its members are marked merged */
		rc = ds_write(c, seq, n->ds);
		if (rc != 0)
			return rc;
	}
	struct store_label labels[FDX_MAX_PROFILE_LABELS];
	int nl = 0;
	labels_norm(n->labels, n->n_labels < (int)FDX_MAX_PROFILE_LABELS ? n->n_labels : (int)FDX_MAX_PROFILE_LABELS,
	            labels, &nl);
	if (labels_insert(c, seq, labels, nl) < 0)
		return -1;
	struct label_delta d[FDX_MAX_PROFILE_LABELS];
	for (int i = 0; i < nl; i++)
		d[i] = (struct label_delta){ labels[i].key, labels[i].value, 1 };
	if (count(c, prof_kind_name(pr->kind), 1, d, nl) < 0)
		return -1;
	return db_pg_exec(c, "COMMIT");
}

static int pg_add(const struct store_new *n, const struct buf *stacks, int stacks_format, const struct buf *types,
                  const char *id, const struct store_chunk *chunk)
{
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	int rc = -1;
	for (int t = 0; t < PG_TX_TRIES; t++) {
		rc = add_tx(c, n, stacks, stacks_format, types, id, chunk);
		if (rc == 0)
			break;
		db_pg_exec(c, "ROLLBACK");
		if (rc == STORE_CHANGED || rc == STORE_SERIES_STALE || !db_pg_retryable(c))
			break;
	}
	if (rc < 0)
		util_log("level=error msg=\"store failed\" backend=pg sqlstate=%s", db_pg_sqlstate(c));
	db_pg_put(c);
	return rc;
}

/* One delete transaction: 0, 1 unknown, -1 error. */
static int delete_tx(struct db_pg_conn *c, const char *id)
{
	Q(st_labels, "SELECT key, value FROM profile_labels WHERE profile_seq=$1 ORDER BY key", 1);
	Q(st_grp, "SELECT grp FROM stacks WHERE profile_seq=$1 AND grp IS NOT NULL", 1);
	Q(st_lock, "SELECT 1 FROM dict_groups WHERE grp=$1 FOR UPDATE", 1);
	Q(st_used, "SELECT 1 FROM stacks WHERE grp=$1 LIMIT 1", 1);
	Q(st_gdel, "DELETE FROM dict_groups WHERE grp=$1", 1);
	Q(st_cdel, "DELETE FROM dict_chunks WHERE grp=$1", 1);
	static struct db_pg_stmt dels[] = {
		DB_PG_STMT("DELETE FROM profile_labels WHERE profile_seq=$1", 1),
		DB_PG_STMT("DELETE FROM blobs WHERE profile_seq=$1", 1),
		DB_PG_STMT("DELETE FROM stacks WHERE profile_seq=$1", 1),
		DB_PG_STMT("DELETE FROM profile_functions WHERE profile_seq=$1", 1),
		DB_PG_STMT("DELETE FROM profile_findex WHERE profile_seq=$1", 1),
		DB_PG_STMT("DELETE FROM view_answers WHERE profile_seq=$1", 1),
		DB_PG_STMT("DELETE FROM profiles WHERE seq=$1", 1),
	};
	if (db_pg_exec(c, "BEGIN") < 0)
		return -1;
	char kind[32];
	int64_t seq = seq_of(c, id, true, kind, sizeof(kind));
	if (seq <= 0) {
		db_pg_exec(c, "ROLLBACK");
		return seq == 0 ? 1 : -1;
	}
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, seq);
	PGresult *lr = run(c, &st_labels, &p, false);
	if (!lr)
		return -1;
	int rc = -1;
	/* the row's series group goes with its last profile (series.h): its
	 * row locked first, then (a statement of its own, so that it sees
	 * an upload that committed while this one waited) whether any stacks
	 * row still names it */
	char grp[64] = "";
	PGresult *gr = run(c, &st_grp, &p, false);
	if (!gr)
		goto out;
	if (PQntuples(gr) > 0)
		snprintf(grp, sizeof(grp), "%s", db_pg_str(gr, 0, 0));
	PQclear(gr);
	for (size_t i = 0; i < sizeof(dels) / sizeof(dels[0]); i++)
		if (cmd(c, &dels[i], &p) < 0)
			goto out;
	if (grp[0]) {
		struct db_pg_params gp = { 0 };
		db_pg_ptext(&gp, grp);
		PGresult *lk = run(c, &st_lock, &gp, false);
		if (!lk)
			goto out;
		bool there = PQntuples(lk) > 0;
		PQclear(lk);
		if (there) {
			PGresult *u = run(c, &st_used, &gp, false);
			if (!u)
				goto out;
			bool used = PQntuples(u) > 0;
			PQclear(u);
			if (!used && (cmd(c, &st_gdel, &gp) < 0 || cmd(c, &st_cdel, &gp) < 0))
				goto out;
			if (!used)
				util_log("level=info msg=\"series group deleted\" grp=%s (its last profile went)", grp);
		}
	}
	struct label_delta d[FDX_MAX_PROFILE_LABELS];
	int nl = 0;
	for (int i = 0; i < PQntuples(lr) && nl < (int)FDX_MAX_PROFILE_LABELS; i++)
		d[nl++] = (struct label_delta){ db_pg_str(lr, i, 0), db_pg_str(lr, i, 1), -1 };
	if (count(c, kind, -1, d, nl) < 0)
		goto out;
	rc = db_pg_exec(c, "COMMIT");
out:
	PQclear(lr);
	return rc;
}

static int pg_delete(const char *id)
{
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	int rc = -1;
	for (int t = 0; t < PG_TX_TRIES; t++) {
		rc = delete_tx(c, id);
		if (rc >= 0)
			break;
		db_pg_exec(c, "ROLLBACK");
		if (!db_pg_retryable(c))
			break;
	}
	db_pg_put(c);
	return rc;
}

static int edit_tx(struct db_pg_conn *c, const char *id, const char *name, const struct store_label *labels,
                   int n_labels)
{
	Q(st_name, "UPDATE profiles SET name=$1 WHERE seq=$2", 2);
	Q(st_old, "SELECT key, value FROM profile_labels WHERE profile_seq=$1 ORDER BY key", 1);
	Q(st_del, "DELETE FROM profile_labels WHERE profile_seq=$1", 1);
	if (db_pg_exec(c, "BEGIN") < 0)
		return -1;
	char kind[32];
	int64_t seq = seq_of(c, id, true, kind, sizeof(kind));
	if (seq <= 0) {
		db_pg_exec(c, "ROLLBACK");
		return seq == 0 ? 1 : -1;
	}
	struct db_pg_params p = { 0 };
	if (name) {
		db_pg_ptext(&p, name);
		db_pg_pint(&p, seq);
		if (cmd(c, &st_name, &p) < 0)
			return -1;
	}
	if (labels) {
		memset(&p, 0, sizeof(p));
		db_pg_pint(&p, seq);
		PGresult *old = run(c, &st_old, &p, false);
		if (!old)
			return -1;
		int rc = -1;
		struct store_label nl[FDX_MAX_PROFILE_LABELS];
		int n_new = 0;
		labels_norm(labels, n_labels < (int)FDX_MAX_PROFILE_LABELS ? n_labels : (int)FDX_MAX_PROFILE_LABELS, nl,
		            &n_new);
		struct label_delta d[2 * FDX_MAX_PROFILE_LABELS];
		int nd = 0;
		for (int i = 0; i < PQntuples(old) && i < (int)FDX_MAX_PROFILE_LABELS; i++)
			d[nd++] = (struct label_delta){ db_pg_str(old, i, 0), db_pg_str(old, i, 1), -1 };
		for (int i = 0; i < n_new; i++) {
			bool same = false;
			for (int k = 0; k < nd && !same; k++) {
				if (d[k].delta == -1 && !strcmp(d[k].key, nl[i].key) && !strcmp(d[k].value, nl[i].value)) {
					d[k].delta = 0;   /* unchanged */
					same = true;
				}
			}
			if (!same)
				d[nd++] = (struct label_delta){ nl[i].key, nl[i].value, 1 };
		}
		if (cmd(c, &st_del, &p) == 0 && labels_insert(c, seq, nl, n_new) == 0 && count(c, kind, 0, d, nd) == 0)
			rc = 0;
		PQclear(old);
		if (rc < 0)
			return -1;
	}
	return db_pg_exec(c, "COMMIT");
}

static int pg_edit(const char *id, const char *name, const struct store_label *labels, int n_labels)
{
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	int rc = -1;
	for (int t = 0; t < PG_TX_TRIES; t++) {
		rc = edit_tx(c, id, name, labels, n_labels);
		if (rc >= 0)
			break;
		db_pg_exec(c, "ROLLBACK");
		if (!db_pg_retryable(c))
			break;
	}
	db_pg_put(c);
	return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

#define META_COLS "p.seq,p.id,p.name,p.kind,p.uploaded_at,p.time_nanos,p.duration_ns," \
                  "p.samples,p.functions,p.locations,p.bytes,p.types_json,p.client_time,p.uploaded_by,p.format," \
                  "p.scrape_job,p.ds_step,p.ds_members,p.ds_agg"

/* The metadata objects of rows [0, n) of r (META_COLS), their labels read
 * in one query. */
static void meta_rows(struct db_pg_conn *c, const PGresult *r, struct json *j, bool as_array)
{
	Q(st_labels, "SELECT profile_seq, key, value FROM profile_labels WHERE profile_seq = ANY($1::bigint[]) "
	             "ORDER BY profile_seq, key", 1);
	int n = PQntuples(r);
	int64_t *seqs = calloc((size_t)n + 1, sizeof(*seqs));
	struct buf arr = BUF_INIT;
	PGresult *lr = NULL;
	if (!seqs) {
		j->out->oom = true;   /* the writer's caller sees out of memory */
		return;
	}
	for (int i = 0; i < n; i++)
		seqs[i] = db_pg_int(r, i, 0);
	int_array(&arr, seqs, n);
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, arr.data ? arr.data : "{}");
	if (n > 0 && !arr.oom)
		lr = run(c, &st_labels, &p, false);
	int nl = lr ? PQntuples(lr) : 0;
	if (as_array)
		json_arr_begin(j);
	for (int i = 0; i < n; i++) {
		char ts[40];
		const char *id = db_pg_str(r, i, 1);
		json_obj_begin(j);
		json_key(j, "id");
		json_str(j, id);
		json_key(j, "name");
		json_str(j, db_pg_str(r, i, 2));
		json_key(j, "kind");
		json_str(j, db_pg_str(r, i, 3));
		json_key(j, "uploaded_at");
		util_rfc3339(db_pg_int(r, i, 4), ts);
		json_str(j, ts);
		int tcol = !db_pg_null(r, i, 5) ? 5 : !db_pg_null(r, i, 12) ? 12 : -1;
		json_key(j, "time");
		if (tcol < 0) {
			json_null(j);
		} else {
			util_rfc3339(db_pg_int(r, i, tcol), ts);
			json_str(j, ts);
		}
		json_key(j, "time_source");
		json_str(j, tcol == 5 ? "profile" : tcol == 12 ? "client" : "upload");
		json_key(j, "duration_ns");
		json_int(j, db_pg_int(r, i, 6));
		json_key(j, "samples");
		json_int(j, db_pg_int(r, i, 7));
		json_key(j, "functions");
		json_int(j, db_pg_int(r, i, 8));
		json_key(j, "locations");
		json_int(j, db_pg_int(r, i, 9));
		json_key(j, "bytes");
		json_int(j, db_pg_int(r, i, 10));
		const char *tj = db_pg_str(r, i, 11);
		size_t tl = strlen(tj);
		if (tl > 2 && tj[0] == '{' && tj[tl - 1] == '}') {
			buf_addc(j->out, ',');
			buf_add(j->out, tj + 1, tl - 2);
		}
		json_key(j, "uploaded_by");
		if (db_pg_null(r, i, 13))
			json_null(j);
		else
			json_str(j, db_pg_str(r, i, 13));
		json_key(j, "format");
		if (db_pg_null(r, i, 14))
			json_null(j);   /* stored before migration 003, not yet filled in */
		else
			json_str(j, db_pg_str(r, i, 14));
		json_key(j, "scraped");
		json_bool(j, !db_pg_null(r, i, 15));
		json_key(j, "downsampled");   /* downsample.h */
		if (db_pg_null(r, i, 16)) {
			json_null(j);
		} else {
			json_obj_begin(j);
			json_key(j, "step_seconds");
			json_int(j, db_pg_int(r, i, 16));
			json_key(j, "profiles");
			json_int(j, db_pg_int(r, i, 17));
			json_key(j, "agg");
			json_str(j, db_pg_str(r, i, 18));
			json_obj_end(j);
		}
		json_key(j, "labels");
		json_obj_begin(j);
		for (int k = 0; k < nl; k++) {
			if (db_pg_int(lr, k, 0) != seqs[i])
				continue;
			json_key(j, db_pg_str(lr, k, 1));
			json_str(j, db_pg_str(lr, k, 2));
		}
		json_obj_end(j);
		json_key(j, "url");
		char url[64];
		snprintf(url, sizeof(url), "/p/%s", id);
		json_str(j, url);
		json_obj_end(j);
	}
	if (as_array)
		json_arr_end(j);
	PQclear(lr);
	buf_release(&arr);
	free(seqs);
}

static int pg_meta(const char *id, struct json *j)
{
	Q(st, "SELECT " META_COLS " FROM profiles p WHERE p.id=$1", 1);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	PGresult *r = run(c, &st, &p, false);
	int rc = -1;
	if (r) {
		rc = PQntuples(r) == 1 ? 0 : 1;
		if (rc == 0)
			meta_rows(c, r, j, false);
		PQclear(r);
	}
	db_pg_put(c);
	return rc;
}

static int pg_list(const struct store_query *q, struct json *j)
{
	/* Assembled from constant fragments; every client value is bound,
	 * numbered in the order it is added. */
	struct db_pg_params p = { 0 };
	struct buf where = BUF_INIT, sql = BUF_INIT;
	buf_printf(&where, "WHERE true");
	int kq = 0, kname = 0, kkey = 0, kval = 0;
	if (q->kind) {
		db_pg_ptext(&p, q->kind);
		kq = p.n;
		buf_printf(&where, " AND p.kind=$%d", kq);
	}
	if (q->q) {
		db_pg_ptext(&p, q->q);
		kname = p.n;
		buf_printf(&where, " AND strpos(lower(p.name), lower($%d::text COLLATE \"C\")) > 0", kname);
	}
	if (q->label_key) {
		db_pg_ptext(&p, q->label_key);
		kkey = p.n;
		db_pg_ptext(&p, q->label_value);
		kval = p.n;
		buf_printf(&where, " AND l.key=$%d AND l.value=$%d", kkey, kval);
	}
	const char *from = q->label_key ? "profile_labels l JOIN profiles p ON p.seq=l.profile_seq" : "profiles p";
	const char *order = q->label_key ? "l.profile_seq" : "p.seq";
	/* the total: a count of the matches when q= asks, else the counters
	 * (numbered on their own: PostgreSQL wants every parameter used) */
	struct db_pg_params pc = { 0 };
	if (q->q) {
		pc = p;
		buf_printf(&sql, "SELECT count(*) FROM %s %s", from, where.data);
	} else if (q->label_key) {
		db_pg_ptext(&pc, q->label_key);
		db_pg_ptext(&pc, q->label_value);
		buf_printf(&sql, "SELECT coalesce(sum(n), 0) FROM label_counts WHERE key=$1 AND value=$2");
		if (q->kind) {
			db_pg_ptext(&pc, q->kind);
			buf_printf(&sql, " AND kind=$3");
		}
	} else {
		buf_printf(&sql, "SELECT coalesce(sum(n), 0) FROM profile_counts");
		if (q->kind) {
			db_pg_ptext(&pc, q->kind);
			buf_printf(&sql, " WHERE kind=$1");
		}
	}
	int rc = -1;
	struct db_pg_conn *c = NULL;
	if (where.oom || sql.oom || !(c = db_pg_get()))
		goto out;
	PGresult *r = db_pg_run(c, NULL, sql.data, &pc, false);
	if (!r)
		goto out;
	int64_t total = PQntuples(r) == 1 ? db_pg_int(r, 0, 0) : 0;
	PQclear(r);
	sql.len = 0;   /* reuse: buf_printf writes from len, NUL-terminated */
	db_pg_pint(&p, q->limit);
	int klim = p.n;
	db_pg_pint(&p, q->offset);
	buf_printf(&sql, "SELECT " META_COLS " FROM %s %s ORDER BY %s DESC LIMIT $%d OFFSET $%d", from, where.data, order,
	           klim, p.n);
	if (sql.oom || !(r = db_pg_run(c, NULL, sql.data, &p, false)))
		goto out;
	json_obj_begin(j);
	json_key(j, "profiles");
	meta_rows(c, r, j, true);
	PQclear(r);
	json_key(j, "total");
	json_int(j, total);
	json_obj_end(j);
	rc = 0;
out:
	db_pg_put(c);
	buf_release(&where);
	buf_release(&sql);
	return rc;
}

/* One bytea or text column of the row of id: malloc'd copy (NUL after). */
static int read_one(struct db_pg_stmt *st, const char *id, uint8_t **data, size_t *len)
{
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	PGresult *r = run(c, st, &p, true);
	int rc = -1;
	if (r) {
		if (PQntuples(r) == 0) {
			rc = 1;
		} else {
			size_t n = db_pg_len(r, 0, 0);
			*data = malloc(n + 1);
			if (*data) {
				memcpy(*data, db_pg_str(r, 0, 0), n);
				(*data)[n] = 0;
				*len = n;
				rc = 0;
			}
		}
		PQclear(r);
	}
	db_pg_put(c);
	return rc;
}

/* ---- stored view answers (answers.h, schema/pg/006) -------------------------------- */

static int pg_answer_put(const char *id, const char *name, int format, const void *gz, size_t gz_len, size_t raw_len)
{
	/* one statement in autocommit: the foreign key's check share-locks the
	 * profile row, so a delete under way (FOR UPDATE) is waited for and
	 * the row then refused; no row at all when the profile is unknown */
	Q(st, "INSERT INTO view_answers(profile_seq, name, format, raw_len, gz) "
	      "SELECT seq, $2, $3, $4, $5 FROM profiles WHERE id=$1 "
	      "ON CONFLICT (profile_seq, name) DO UPDATE SET format=excluded.format, raw_len=excluded.raw_len, "
	      "gz=excluded.gz RETURNING 1", 5);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	db_pg_ptext(&p, name);
	db_pg_pint(&p, format);
	db_pg_pint(&p, (int64_t)raw_len);
	db_pg_pblob(&p, gz, gz_len);
	PGresult *r = run(c, &st, &p, false);
	int rc = -1;
	if (r) {
		rc = PQntuples(r) == 1 ? 0 : 1;
		PQclear(r);
	}
	db_pg_put(c);
	return rc;
}

static int pg_answer_get(const char *id, const char *name, int format, uint8_t **gz, size_t *gz_len, size_t *raw_len)
{
	/* a binary result (the bytea as bytes): the length as text, whose
	 * binary form is its characters */
	Q(st, "SELECT a.gz, a.raw_len::text FROM view_answers a JOIN profiles p ON p.seq=a.profile_seq "
	      "WHERE p.id=$1 AND a.name=$2 AND a.format=$3", 3);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	db_pg_ptext(&p, name);
	db_pg_pint(&p, format);
	PGresult *r = run(c, &st, &p, true);
	int rc = -1;
	if (r) {
		if (PQntuples(r) == 0) {
			rc = 1;
		} else {
			char digits[24];
			size_t dn = db_pg_len(r, 0, 1), n = db_pg_len(r, 0, 0);
			if (dn > 0 && dn < sizeof(digits)) {
				memcpy(digits, db_pg_str(r, 0, 1), dn);
				digits[dn] = 0;
				*gz = malloc(n ? n : 1);
				if (*gz) {
					if (n)
						memcpy(*gz, db_pg_str(r, 0, 0), n);
					*gz_len = n;
					*raw_len = (size_t)strtoull(digits, NULL, 10);
					rc = 0;
				}
			}
		}
		PQclear(r);
	}
	db_pg_put(c);
	return rc;
}

static int pg_raw(const char *id, uint8_t **data, size_t *len)
{
	Q(st, "SELECT b.raw FROM blobs b JOIN profiles p ON p.seq=b.profile_seq WHERE p.id=$1", 1);
	return read_one(&st, id, data, len);
}

static int pg_dict_chunks(const char *grp, uint32_t from, uint32_t to,
                          int (*each)(void *ectx, uint32_t seq, const uint8_t *data, size_t len), void *ectx)
{
	/* binary results: seq as text (its characters) */
	Q(st, "SELECT data, seq::text FROM dict_chunks WHERE grp=$1 AND seq>=$2 AND seq<$3 ORDER BY seq", 3);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, grp);
	db_pg_pint(&p, from);
	db_pg_pint(&p, to);
	PGresult *r = run(c, &st, &p, true);
	int rc = -1;
	if (r) {
		int n = PQntuples(r);
		rc = (uint32_t)n == to - from ? 0 : -1;
		if (rc < 0)
			util_log("level=error msg=\"series chunks missing\" backend=pg grp=%s from=%u to=%u rows=%d", grp, from,
			         to, n);
		for (int i = 0; i < n && rc == 0; i++) {
			char digits[16];
			size_t dn = db_pg_len(r, i, 1);
			if (dn == 0 || dn >= sizeof(digits)) {
				rc = -1;
				break;
			}
			memcpy(digits, db_pg_str(r, i, 1), dn);
			digits[dn] = 0;
			uint32_t seq = (uint32_t)strtoul(digits, NULL, 10);
			if (seq != from + (uint32_t)i ||
			    each(ectx, seq, (const uint8_t *)db_pg_str(r, i, 0), db_pg_len(r, i, 0)) < 0)
				rc = -1;
		}
		PQclear(r);
	} else {
		util_log("level=error msg=\"series chunks query failed\" backend=pg grp=%s sqlstate=%s", grp,
		         db_pg_sqlstate(c));
	}
	db_pg_put(c);
	return rc;
}

static int pg_stacks(const char *id, int *format, uint8_t **data, size_t *len)
{
	/* a binary result (the bytea as bytes): the format as text, whose
	 * binary form is its characters */
	Q(st, "SELECT s.data, s.format::text FROM stacks s JOIN profiles p ON p.seq=s.profile_seq WHERE p.id=$1", 1);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	PGresult *r = run(c, &st, &p, true);
	int rc = -1;
	if (r) {
		if (PQntuples(r) == 0) {
			rc = 1;
		} else {
			char digits[16];
			size_t dn = db_pg_len(r, 0, 1);
			size_t n = db_pg_len(r, 0, 0);
			if (dn > 0 && dn < sizeof(digits)) {
				memcpy(digits, db_pg_str(r, 0, 1), dn);
				digits[dn] = 0;
				*format = atoi(digits);
				*data = malloc(n + 1);
				if (*data) {
					if (n)
						memcpy(*data, db_pg_str(r, 0, 0), n);
					(*data)[n] = 0;
					*len = n;
					rc = 0;
				}
			}
		}
		PQclear(r);
	}
	db_pg_put(c);
	return rc;
}

static int pg_exists(const char *id)
{
	Q(st, "SELECT 1 FROM profiles WHERE id=$1", 1);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	PGresult *r = run(c, &st, &p, false);
	int rc = r ? (PQntuples(r) ? 0 : 1) : -1;
	PQclear(r);
	db_pg_put(c);
	return rc;
}

static int pg_name(const char *id, char *out, size_t cap)
{
	Q(st, "SELECT name FROM profiles WHERE id=$1", 1);
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = read_one(&st, id, &data, &len);
	if (rc == 0 && cap > 0) {
		size_t n = len < cap - 1 ? len : cap - 1;
		memcpy(out, data, n);
		out[n] = '\0';
	}
	free(data);
	return rc;
}

/* A query of text columns with one text parameter a (and b when not NULL):
 * the result (PQclear it) with the connection given back, or NULL. */
static PGresult *query2(struct db_pg_stmt *st, const char *a, const char *b)
{
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return NULL;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, a);
	if (b)
		db_pg_ptext(&p, b);
	PGresult *r = run(c, st, &p, false);
	db_pg_put(c);
	return r;
}

static int pg_time(const char *id, int64_t *ns, const char **source)
{
	Q(st, "SELECT time_nanos, client_time, uploaded_at FROM profiles WHERE id=$1", 1);
	PGresult *r = query2(&st, id, NULL);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1) {
		static const char *const src[] = { "profile", "client", "upload" };
		int k = 0;
		while (k < 2 && db_pg_null(r, 0, k))
			k++;
		*ns = db_pg_int(r, 0, k);
		*source = src[k];
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_sizes(const char *id, struct store_sizes *out)
{
	Q(st, "SELECT octet_length(s.data)::bigint, substring(s.data from 5 for 8), p.samples FROM stacks s "
	      "JOIN profiles p ON p.seq=s.profile_seq WHERE p.id=$1", 1);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, id);
	PGresult *r = run(c, &st, &p, true);
	db_pg_put(c);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1) {
		out->stored = (size_t)db_pg_int(r, 0, 0);
		uint64_t raw = 0;
		if (db_pg_len(r, 0, 1) == 8)
			memcpy(&raw, db_pg_str(r, 0, 1), 8);
		out->inflated = (size_t)raw;
		int64_t n = db_pg_int(r, 0, 2);
		out->samples = n > 0 ? (size_t)n : 0;
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_label(const char *id, const char *key, char *out, size_t cap)
{
	Q(st, "SELECT l.value FROM profile_labels l JOIN profiles p ON p.seq=l.profile_seq WHERE p.id=$1 AND l.key=$2", 2);
	PGresult *r = query2(&st, id, key);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1) {
		snprintf(out, cap, "%s", db_pg_str(r, 0, 0));
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_labels(const char *key, struct json *j)
{
	Q(st_key, "SELECT value, kind, n FROM label_counts WHERE key=$1 ORDER BY value, kind LIMIT 100000", 1);
	Q(st_all, "SELECT key, count(DISTINCT value), sum(n) FROM label_counts GROUP BY key ORDER BY key LIMIT 10000", 0);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	if (key)
		db_pg_ptext(&p, key);
	PGresult *r = run(c, key ? &st_key : &st_all, &p, false);
	db_pg_put(c);
	if (!r)
		return -1;
	int n = PQntuples(r);
	json_obj_begin(j);
	if (key) {
		json_key(j, "key");
		json_str(j, key);
		json_key(j, "values");
		json_arr_begin(j);
		int64_t total = 0;
		for (int i = 0; i < n; i++) {
			const char *v = db_pg_str(r, i, 0);
			if (i == 0 || strcmp(v, db_pg_str(r, i - 1, 0)) != 0) {
				if (i > 0) {
					json_obj_end(j);
					json_key(j, "profiles");
					json_int(j, total);
					json_obj_end(j);
				}
				total = 0;
				json_obj_begin(j);
				json_key(j, "value");
				json_str(j, v);
				json_key(j, "kinds");
				json_obj_begin(j);
			}
			json_key(j, db_pg_str(r, i, 1));
			json_int(j, db_pg_int(r, i, 2));
			total += db_pg_int(r, i, 2);
		}
		if (n > 0) {
			json_obj_end(j);
			json_key(j, "profiles");
			json_int(j, total);
			json_obj_end(j);
		}
		json_arr_end(j);
	} else {
		json_key(j, "keys");
		json_arr_begin(j);
		for (int i = 0; i < n; i++) {
			json_obj_begin(j);
			json_key(j, "key");
			json_str(j, db_pg_str(r, i, 0));
			json_key(j, "values");
			json_int(j, db_pg_int(r, i, 1));
			json_key(j, "profiles");
			json_int(j, db_pg_int(r, i, 2));
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_obj_end(j);
	PQclear(r);
	return 0;
}

static void ids_out(const PGresult *r, char (*ids)[23], int max, int *n)
{
	*n = 0;
	for (int i = 0; i < PQntuples(r) && *n < max; i++)
		snprintf(ids[(*n)++], 23, "%s", db_pg_str(r, i, 0));
}

static int pg_ids_by_label(const char *key, const char *value, const char *kind, char (*ids)[23], int max, int *n)
{
	Q(st, "SELECT p.id FROM profiles p JOIN profile_labels l ON l.profile_seq=p.seq "
	      "WHERE l.key=$1 AND l.value=$2 AND ($3::text IS NULL OR p.kind=$3) AND p.ds_into IS NULL "
	      "ORDER BY coalesce(p.time_nanos, p.client_time, p.uploaded_at), p.seq LIMIT $4", 4);
	*n = 0;
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, key);
	db_pg_ptext(&p, value);
	db_pg_ptext(&p, kind);
	db_pg_pint(&p, max);
	PGresult *r = run(c, &st, &p, false);
	db_pg_put(c);
	if (!r)
		return -1;
	ids_out(r, ids, max, n);
	PQclear(r);
	return 0;
}

/* ---- the function index (findex.h) --------------------------------------------------- */

static int pg_findex_pending(char (*ids)[23], int max, int *n)
{
	Q(st, "SELECT p.id FROM profiles p WHERE NOT EXISTS "
	      "(SELECT 1 FROM profile_findex f WHERE f.profile_seq=p.seq) ORDER BY p.seq LIMIT $1", 1);
	*n = 0;
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, max);
	PGresult *r = run(c, &st, &p, false);
	db_pg_put(c);
	if (!r)
		return -1;
	ids_out(r, ids, max, n);
	PQclear(r);
	return 0;
}

static int pg_findex_put(const char *id, const struct store_findex *fx)
{
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	int rc = -1;
	for (int t = 0; t < PG_TX_TRIES; t++) {
		if (db_pg_exec(c, "BEGIN") < 0)
			break;
		int64_t seq = seq_of(c, id, true, NULL, 0);
		rc = seq < 0 ? -1 : seq == 0 ? 1 : findex_write(c, seq, fx) < 0 ? -1 : db_pg_exec(c, "COMMIT");
		if (rc != 0)
			db_pg_exec(c, "ROLLBACK");
		if (rc >= 0 || !db_pg_retryable(c))
			break;
	}
	db_pg_put(c);
	return rc;
}

/* Binary results: seq, id, time, duration, kind, types, def_type, totals,
 * indexed (bool), then the row's vals where asked. */
#define FX_COLS "p.seq, p.id, coalesce(p.time_nanos, p.client_time, p.uploaded_at), p.duration_ns, p.kind, " \
                "f.types, f.def_type, f.totals, f.profile_seq IS NOT NULL"

static void fx_row(const PGresult *r, int i, struct store_fx_profile *o)
{
	memset(o, 0, sizeof(*o));
	o->seq = db_pg_int(r, i, 0);
	snprintf(o->id, sizeof(o->id), "%s", db_pg_str(r, i, 1));
	o->time = db_pg_int(r, i, 2);
	o->duration_ns = db_pg_int(r, i, 3);
	snprintf(o->kind, sizeof(o->kind), "%s", db_pg_str(r, i, 4));
	o->indexed = db_pg_len(r, i, 8) == 1 && db_pg_str(r, i, 8)[0] == 1;
	if (!o->indexed)
		return;
	const char *types = db_pg_str(r, i, 5);
	snprintf(o->types, sizeof(o->types), "%s", types);
	o->def_type = (uint32_t)db_pg_int(r, i, 6);
	const char *tot = db_pg_str(r, i, 7);
	if (*types) {
		o->n_types = 1;
		for (const char *s = types; *s; s++)
			o->n_types += *s == '\n';
	}
	for (uint32_t t = 0; *tot && t < o->n_types && t < 16; t++) {
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

static int fx_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_fx_profile *)a)->id, ((const struct store_fx_profile *)b)->id);
}

static int pg_fx_profiles(const char (*ids)[23], int n, struct store_fx_profile *out, int *n_out)
{
	Q(st, "SELECT " FX_COLS " FROM profiles p LEFT JOIN profile_findex f ON f.profile_seq=p.seq "
	      "WHERE p.id = ANY($1::text[])", 1);
	*n_out = 0;
	if (n <= 0)
		return 0;
	struct buf arr = BUF_INIT;
	buf_addc(&arr, '{');
	for (int i = 0; i < n; i++) {
		buf_printf(&arr, "%s\"", i ? "," : "");
		for (const char *s = ids[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addc(&arr, '\\');
			buf_addc(&arr, *s);
		}
		buf_addc(&arr, '"');
	}
	buf_addc(&arr, '}');
	buf_addc(&arr, '\0');
	struct store_fx_profile *found = malloc((size_t)n * sizeof(*found));
	int rc = -1;
	struct db_pg_conn *c = NULL;
	if (arr.oom || !found || !(c = db_pg_get()))
		goto out;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, arr.data);
	PGresult *r = run(c, &st, &p, true);
	if (!r)
		goto out;
	int nf = 0;
	for (int i = 0; i < PQntuples(r) && nf < n; i++)
		fx_row(r, i, &found[nf++]);
	PQclear(r);
	qsort(found, (size_t)nf, sizeof(*found), fx_id_cmp);
	/* one entry per id asked for, as the SQLite backend's point lookups */
	for (int i = 0; i < n; i++) {
		struct store_fx_profile key;
		snprintf(key.id, sizeof(key.id), "%s", ids[i]);
		const struct store_fx_profile *f = bsearch(&key, found, (size_t)nf, sizeof(*found), fx_id_cmp);
		if (f)
			out[(*n_out)++] = *f;
	}
	qsort(out, (size_t)*n_out, sizeof(*out), fx_cmp);
	rc = 0;
out:
	db_pg_put(c);
	free(found);
	buf_release(&arr);
	return rc;
}

static int pg_fx_by_label(const char *key, const char *value, const char *kind, int64_t from, int64_t to,
                          struct store_fx_profile *out, int max, int *n_out)
{
	Q(st, "SELECT " FX_COLS " FROM profile_labels l JOIN profiles p ON p.seq=l.profile_seq "
	      "LEFT JOIN profile_findex f ON f.profile_seq=p.seq "
	      "WHERE l.key=$1 AND l.value=$2 AND ($3::text IS NULL OR p.kind=$3) AND p.ds_into IS NULL "
	      "AND coalesce(p.time_nanos, p.client_time, p.uploaded_at) BETWEEN $5 AND $6 "
	      "ORDER BY l.profile_seq LIMIT $4", 6);
	*n_out = 0;
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, key);
	db_pg_ptext(&p, value);
	db_pg_ptext(&p, kind);
	db_pg_pint(&p, max);
	db_pg_pint(&p, from);
	db_pg_pint(&p, to);
	PGresult *r = run(c, &st, &p, true);
	db_pg_put(c);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r) && *n_out < max; i++)
		fx_row(r, i, &out[(*n_out)++]);
	PQclear(r);
	qsort(out, (size_t)*n_out, sizeof(*out), fx_cmp);
	return 0;
}

static int pg_fx_names(int (*fn)(void *ctx, int64_t fid, const char *name), void *ctx)
{
	Q(st, "SELECT id, name FROM functions ORDER BY name", 0);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	PGresult *r = run(c, &st, NULL, true);
	db_pg_put(c);
	if (!r)
		return -1;
	int rc = 0;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++)
		rc = fn(ctx, db_pg_int(r, i, 0), db_pg_str(r, i, 1));
	PQclear(r);
	return rc;
}

static int pg_fx_all(int (*fn)(void *ctx, const struct store_fx_profile *p), void *ctx)
{
	Q(st, "SELECT " FX_COLS " FROM profile_findex f JOIN profiles p ON p.seq=f.profile_seq ORDER BY f.profile_seq", 0);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	PGresult *r = run(c, &st, NULL, true);
	db_pg_put(c);
	if (!r)
		return -1;
	int rc = 0;
	struct store_fx_profile o;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		fx_row(r, i, &o);
		rc = fn(ctx, &o);
	}
	PQclear(r);
	return rc;
}

static int pg_fx_rows_profiles(int64_t fid,
                               int (*fn)(void *ctx, const struct store_fx_profile *p, const uint8_t *vals, size_t len),
                               void *ctx)
{
	Q(st, "SELECT " FX_COLS ", pf.vals FROM profile_functions pf "
	      "JOIN profiles p ON p.seq=pf.profile_seq JOIN profile_findex f ON f.profile_seq=pf.profile_seq "
	      "WHERE pf.function_id=$1 ORDER BY pf.profile_seq", 1);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, fid);
	PGresult *r = run(c, &st, &p, true);
	db_pg_put(c);
	if (!r)
		return -1;
	int rc = 0;
	struct store_fx_profile o;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		fx_row(r, i, &o);
		rc = fn(ctx, &o, (const uint8_t *)db_pg_str(r, i, 9), db_pg_len(r, i, 9));
	}
	PQclear(r);
	return rc;
}

/* Profiles by array beyond this many, else one range scan of [first, last]. */
#define FX_POINT_LOOKUPS 2048

static int pg_fx_rows_of(const int64_t *fids, int n, const int64_t *seqs, int nseq,
                         int (*row)(void *ctx, int64_t seq, const uint8_t *vals, size_t len),
                         int (*end)(void *ctx, int k), void *ctx)
{
	Q(st_point, "SELECT profile_seq, vals FROM profile_functions WHERE function_id=$1 "
	            "AND profile_seq = ANY($2::bigint[]) ORDER BY profile_seq", 2);
	Q(st_range, "SELECT profile_seq, vals FROM profile_functions WHERE function_id=$1 "
	            "AND profile_seq BETWEEN $2 AND $3 ORDER BY profile_seq", 3);
	bool point = nseq <= FX_POINT_LOOKUPS;
	struct buf arr = BUF_INIT;
	if (point) {
		int_array(&arr, seqs, nseq);
		if (arr.oom) {
			buf_release(&arr);
			return -1;
		}
	}
	struct db_pg_conn *c = db_pg_get();
	if (!c) {
		buf_release(&arr);
		return -1;
	}
	int rc = 0;
	for (int k = 0; rc == 0 && k < n; k++) {
		struct db_pg_params p = { 0 };
		db_pg_pint(&p, fids[k]);
		if (point) {
			db_pg_ptext(&p, arr.data);
		} else {
			db_pg_pint(&p, seqs[0]);
			db_pg_pint(&p, seqs[nseq - 1]);
		}
		PGresult *r = run(c, point ? &st_point : &st_range, &p, true);
		if (!r) {
			rc = -1;
			break;
		}
		for (int i = 0; rc == 0 && i < PQntuples(r); i++)
			rc = row(ctx, db_pg_int(r, i, 0), (const uint8_t *)db_pg_str(r, i, 1), db_pg_len(r, i, 1));
		PQclear(r);
		if (rc == 0)
			rc = end(ctx, k);
	}
	db_pg_put(c);
	buf_release(&arr);
	return rc;
}

/* ---- selections and series (selection.h) ---------------------------------------------- */

#define SEL_TIME "coalesce(p.time_nanos, p.client_time, p.uploaded_at)"

/* The FROM/WHERE of the profiles of s into b, its values bound into p in
 * the order they are named, with the time range when with_time. */
static void sel_sql(const struct store_sel *s, bool with_time, const char *join, struct buf *b,
                    struct db_pg_params *p)
{
	if (s->n_labels > 0) {
		db_pg_ptext(p, s->labels[0].key);
		db_pg_ptext(p, s->labels[0].value);
		buf_printf(b, " FROM profile_labels l0 JOIN profiles p ON p.seq=l0.profile_seq%s"
		              " WHERE l0.key=$%d AND l0.value=$%d", join ? join : "", p->n - 1, p->n);
	} else {
		buf_printf(b, " FROM profiles p%s WHERE true", join ? join : "");
	}
	buf_printf(b, " AND p.ds_into IS NULL");   /* merged into a downsampled one: being deleted */
	for (int i = 1; i < s->n_labels; i++) {
		db_pg_ptext(p, s->labels[i].key);
		db_pg_ptext(p, s->labels[i].value);
		buf_printf(b, " AND EXISTS(SELECT 1 FROM profile_labels l WHERE l.profile_seq=p.seq AND l.key=$%d AND l.value=$%d)",
		           p->n - 1, p->n);
	}
	if (s->kind) {
		db_pg_ptext(p, s->kind);
		buf_printf(b, " AND p.kind=$%d", p->n);
	}
	if (with_time && s->has_from) {
		db_pg_pint(p, s->from);
		buf_printf(b, " AND " SEL_TIME ">=$%d", p->n);
	}
	if (with_time && s->has_to) {
		db_pg_pint(p, s->to);
		buf_printf(b, " AND " SEL_TIME "<=$%d", p->n);
	}
}

static int pg_select(const struct store_sel *s, char (*ids)[23], int max, int *n)
{
	*n = 0;
	if (s->n_labels > (DB_PG_MAX_PARAMS - 4) / 2)
		return -1;
	struct buf b = BUF_INIT;
	struct db_pg_params p = { 0 };
	buf_printf(&b, "SELECT p.id");
	sel_sql(s, true, NULL, &b, &p);
	db_pg_pint(&p, max);
	buf_printf(&b, " ORDER BY " SEL_TIME ", p.seq LIMIT $%d", p.n);
	int rc = -1;
	struct db_pg_conn *c = NULL;
	if (!b.oom && (c = db_pg_get())) {
		PGresult *r = db_pg_run(c, NULL, b.data, &p, false);
		if (r) {
			rc = 0;
			for (int i = 0; i < PQntuples(r) && *n < max; i++) {
				snprintf(ids[(*n)++], 23, "%s", db_pg_str(r, i, 0));
				if ((*n & 1023) == 0 && work_poll() != WORK_OK) {
					rc = -1;
					break;
				}
			}
			PQclear(r);
		}
	}
	db_pg_put(c);
	buf_release(&b);
	return rc;
}

static int pg_fx_select(const struct store_sel *s, struct store_fx_profile *out, int max, int *n_out)
{
	*n_out = 0;
	if (s->n_labels > (DB_PG_MAX_PARAMS - 4) / 2)
		return -1;
	struct buf b = BUF_INIT;
	struct db_pg_params p = { 0 };
	buf_printf(&b, "SELECT " FX_COLS);
	sel_sql(s, true, " LEFT JOIN profile_findex f ON f.profile_seq=p.seq", &b, &p);
	db_pg_pint(&p, max);
	buf_printf(&b, " ORDER BY " SEL_TIME ", p.seq LIMIT $%d", p.n);
	int rc = -1;
	struct db_pg_conn *c = NULL;
	if (!b.oom && (c = db_pg_get())) {
		PGresult *r = db_pg_run(c, NULL, b.data, &p, true);
		if (r) {
			rc = 0;
			for (int i = 0; i < PQntuples(r) && *n_out < max; i++) {
				fx_row(r, i, &out[(*n_out)++]);
				if ((*n_out & 1023) == 0 && work_poll() != WORK_OK)
					break;
			}
			PQclear(r);
		}
	}
	db_pg_put(c);
	buf_release(&b);
	return rc;
}

static int unhex(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

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
static void time_col(struct json *j, const PGresult *r, int row, int col)
{
	if (db_pg_null(r, row, col)) {
		json_null(j);
		return;
	}
	char ts[40];
	util_rfc3339(db_pg_int(r, row, col), ts);
	json_str(j, ts);
}

static void secs_or_null(struct json *j, unsigned s)
{
	if (s)
		json_uint(j, s);
	else
		json_null(j);
}

static int pg_series(const struct store_sel *s, const struct store_series_retention *ret, struct json *j)
{
	if (s->n_labels > (DB_PG_MAX_PARAMS - 4) / 2)
		return -1;
	struct buf b = BUF_INIT;
	struct db_pg_params p = { 0 };
	/* a profile's whole label set, hex-coded (no byte of a key or value
	 * can pass for a separator), in key order; NULL for none, first as
	 * in SQLite */
	/* (a downsampled profile's own "downsampled" label left out: it
	 * belongs to its series) */
	buf_printf(&b, "SELECT kind, ls, count(*), min(t), max(t), sum(bytes), "
	               "min(CASE WHEN ds_step IS NULL THEN t END), "
	               "max(CASE WHEN ds_step IS NOT NULL THEN t + ds_step * 1000000000 END), "
	               "count(*) FILTER (WHERE ds_step IS NOT NULL), max(ds_step), count(*) FILTER (WHERE uploaded), max(job) "
	               "FROM (SELECT p.kind, "
	               "(SELECT string_agg(encode(convert_to(pl.key, 'SQL_ASCII'), 'hex') || ':' || "
	               "encode(convert_to(pl.value, 'SQL_ASCII'), 'hex'), ',' ORDER BY pl.key) FROM profile_labels pl "
	               "WHERE pl.profile_seq=p.seq AND NOT (pl.key='downsampled' AND p.ds_step IS NOT NULL)) AS ls, "
	               SEL_TIME " AS t, p.bytes, p.ds_step, p.scrape_job IS NULL AS uploaded, p.scrape_job AS job");
	sel_sql(s, false, NULL, &b, &p);
	buf_printf(&b, ") x GROUP BY kind, ls ORDER BY ls COLLATE \"C\" NULLS FIRST, kind LIMIT %d", FDX_MAX_SELECTION);
	int rc = -1;
	struct db_pg_conn *c = NULL;
	PGresult *r = NULL;
	if (b.oom || !(c = db_pg_get()) || !(r = db_pg_run(c, NULL, b.data, &p, false)))
		goto out;
	json_obj_begin(j);
	json_key(j, "series");
	json_arr_begin(j);
	rc = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		json_obj_begin(j);
		json_key(j, "labels");
		json_obj_begin(j);
		const char *ls = db_pg_str(r, i, 1);
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
		json_str(j, db_pg_str(r, i, 0));
		json_key(j, "profiles");
		json_int(j, db_pg_int(r, i, 2));
		char ts[40];
		json_key(j, "first");
		util_rfc3339(db_pg_int(r, i, 3), ts);
		json_str(j, ts);
		json_key(j, "last");
		util_rfc3339(db_pg_int(r, i, 4), ts);
		json_str(j, ts);
		json_key(j, "bytes");
		json_int(j, db_pg_int(r, i, 5));
		/* how far back the data goes, and what keeps it (docs/API.md) */
		int64_t n_all = db_pg_int(r, i, 2), n_ds = db_pg_int(r, i, 8), n_up = db_pg_int(r, i, 10);
		json_key(j, "retention");
		json_obj_begin(j);
		json_key(j, "oldest");
		time_col(j, r, i, 3);
		json_key(j, "newest");
		time_col(j, r, i, 4);
		json_key(j, "raw_since");
		time_col(j, r, i, 6);
		json_key(j, "downsampled_until");
		time_col(j, r, i, 7);
		json_key(j, "downsampled_profiles");
		json_int(j, n_ds);
		json_key(j, "downsample_step_seconds");
		if (n_ds)
			json_int(j, db_pg_int(r, i, 9));
		else
			json_null(j);
		json_key(j, "retention_seconds");   /* of the raw profiles */
		secs_or_null(j, ret ? (n_up == n_all - n_ds && n_up ? ret->uploads_s : ret->scraped_s) : 0);
		json_key(j, "downsampled_retention_seconds");
		{
			/* a series is one job's (its labels include job:): its policy */
			unsigned ds_s = ret ? ret->downsampled_s : 0;
			if (ret && ret->downsampled_of && !db_pg_null(r, i, 11))
				ds_s = ret->downsampled_of(db_pg_str(r, i, 11));
			secs_or_null(j, ds_s);
		}
		json_obj_end(j);
		json_obj_end(j);
		if (work_poll() != WORK_OK) {
			rc = -1;
			break;
		}
	}
	json_arr_end(j);
	json_obj_end(j);
out:
	PQclear(r);
	db_pg_put(c);
	buf_release(&b);
	return rc;
}

/* ---- sessions, retention, jobs ------------------------------------------------------------- */

static int pg_session_put(const struct store_session *s, int64_t now)
{
	Q(st_gc, "DELETE FROM sessions WHERE expires_at <= $1", 1);
	Q(st_put, "INSERT INTO sessions(id_hash, token_hash, name, created_at, expires_at) VALUES($1, $2, $3, $4, $5)", 5);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, now);
	cmd(c, &st_gc, &p);
	memset(&p, 0, sizeof(p));
	db_pg_ptext(&p, s->id_hash);
	db_pg_ptext(&p, s->token_hash);
	db_pg_ptext(&p, s->name);
	db_pg_pint(&p, s->created_at);
	db_pg_pint(&p, s->expires_at);
	int rc = cmd(c, &st_put, &p);
	db_pg_put(c);
	return rc;
}

static int pg_session_get(const char *id_hash, struct store_session *out)
{
	Q(st, "SELECT token_hash, expires_at FROM sessions WHERE id_hash=$1", 1);
	memset(out, 0, sizeof(*out));
	PGresult *r = query2(&st, id_hash, NULL);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1) {
		snprintf(out->token_hash, sizeof(out->token_hash), "%s", db_pg_str(r, 0, 0));
		out->expires_at = db_pg_int(r, 0, 1);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_session_del(const char *id_hash)
{
	Q(st, "DELETE FROM sessions WHERE id_hash=$1", 1);
	PGresult *r = query2(&st, id_hash, NULL);
	PQclear(r);
	return r ? 0 : -1;
}

static int pg_retention_ids(enum store_retention which, int64_t before, char (*ids)[FDX_STORE_ID_CAP], int64_t *bytes,
                            int max)
{
	static struct db_pg_stmt sts[] = {
		[STORE_RET_SCRAPED_BEFORE] = DB_PG_STMT("SELECT id, bytes FROM profiles WHERE scrape_job IS NOT NULL "
		                                        "AND ds_step IS NULL AND uploaded_at < $1 "
		                                        "ORDER BY uploaded_at LIMIT $2", 2),
		[STORE_RET_UPLOADS_BEFORE] = DB_PG_STMT("SELECT id, bytes FROM profiles WHERE scrape_job IS NULL "
		                                        "AND uploaded_at < $1 ORDER BY uploaded_at LIMIT $2", 2),
		[STORE_RET_SCRAPED_OLDEST] = DB_PG_STMT("SELECT id, bytes FROM profiles WHERE scrape_job IS NOT NULL "
		                                        "AND $1::bigint IS NOT NULL ORDER BY uploaded_at LIMIT $2", 2),
	};
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, before);
	db_pg_pint(&p, max);
	PGresult *r = run(c, &sts[which], &p, false);
	db_pg_put(c);
	if (!r)
		return -1;
	int n = 0;
	for (int i = 0; i < PQntuples(r) && n < max; i++) {
		const char *id = db_pg_str(r, i, 0);
		if (strlen(id) >= FDX_STORE_ID_CAP)
			continue;
		snprintf(ids[n], FDX_STORE_ID_CAP, "%s", id);
		bytes[n++] = db_pg_int(r, i, 1);
	}
	PQclear(r);
	return n;
}

static int pg_scraped_stats(int64_t *bytes, int64_t *oldest)
{
	/* how far back scraped data goes: the oldest profile time, raw or
	 * downsampled, each through its partial index of migration 003 */
	Q(st, "SELECT coalesce((SELECT sum(bytes) FROM profiles WHERE scrape_job IS NOT NULL), 0), "
	      "coalesce(least((SELECT min(coalesce(time_nanos, client_time, uploaded_at)) FROM profiles "
	      "WHERE scrape_job IS NOT NULL AND ds_step IS NULL AND ds_into IS NULL), "
	      "(SELECT min(coalesce(time_nanos, client_time, uploaded_at)) FROM profiles WHERE ds_step IS NOT NULL)), 0)", 0);
	*bytes = *oldest = 0;
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	PGresult *r = run(c, &st, NULL, false);
	db_pg_put(c);
	if (!r)
		return -1;
	*bytes = db_pg_int(r, 0, 0);
	*oldest = db_pg_int(r, 0, 1);
	PQclear(r);
	return 0;
}

/* This process, as scrape_leases.owner knows it: made at the first lease. */
static char lease_owner[FDX_ID_LEN + 1];
static pthread_once_t owner_once = PTHREAD_ONCE_INIT;

static void owner_make(void)
{
	if (util_new_id(lease_owner) < 0)
		snprintf(lease_owner, sizeof(lease_owner), "pid%d", (int)getpid());
}

#define DB_NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"

static int pg_lease(const char *const *keys, int n, int ttl_ms, bool *mine)
{
	/* keys in order: replicas claiming the same rows wait on each other in
	 * one order. A row is this process's when it is already, or when its
	 * holder let it expire (the database's clock for both). */
	Q(st, "INSERT INTO scrape_leases(key, owner, expires_at) "
	      "SELECT k, $2, " DB_NOW_MS " + $3 FROM unnest($1::text[]) AS u(k) ORDER BY k "
	      "ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at "
	      "WHERE scrape_leases.owner = EXCLUDED.owner OR scrape_leases.expires_at < " DB_NOW_MS " "
	      "RETURNING key", 3);
	for (int i = 0; i < n; i++)
		mine[i] = false;
	if (n <= 0)
		return 0;
	pthread_once(&owner_once, owner_make);
	struct buf arr = BUF_INIT;
	buf_addc(&arr, '{');
	for (int i = 0; i < n; i++) {
		buf_printf(&arr, "%s\"", i ? "," : "");
		for (const char *s = keys[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addc(&arr, '\\');
			buf_addc(&arr, *s);
		}
		buf_addc(&arr, '"');
	}
	buf_addc(&arr, '}');
	struct db_pg_conn *c = NULL;
	int rc = -1;
	if (arr.oom || !(c = db_pg_get()))
		goto out;
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, arr.data);
	db_pg_ptext(&p, lease_owner);
	db_pg_pint(&p, ttl_ms);
	PGresult *r = run(c, &st, &p, false);
	if (!r)
		goto out;
	for (int k = 0; k < PQntuples(r); k++)
		for (int i = 0; i < n; i++)
			if (!mine[i] && strcmp(keys[i], db_pg_str(r, k, 0)) == 0)
				mine[i] = true;
	PQclear(r);
	rc = 0;
out:
	db_pg_put(c);
	buf_release(&arr);
	return rc;
}

static void pg_lease_release(void)
{
	Q(st, "DELETE FROM scrape_leases WHERE owner=$1", 1);
	if (!lease_owner[0])
		return;
	PQclear(query2(&st, lease_owner, NULL));
}

static int pg_job_lock(enum store_job job)
{
	(void)job;
	return db_pg_trylock(FDX_PG_LOCK_RETENTION);
}

/* ---- the upload format (schema/pg/003) ---------------------------------------------------- */

static long pg_format_backfill(const char *(*of_bytes)(const uint8_t *data, size_t n), size_t prefix)
{
	/* the first bytes of each upload: substring of an EXTERNAL bytea
	 * reads only the chunks it needs */
	Q(st_get, "SELECT p.seq, substring(b.raw from 1 for $1) FROM profiles p LEFT JOIN blobs b "
	          "ON b.profile_seq=p.seq WHERE p.format IS NULL ORDER BY p.seq LIMIT 64", 1);
	Q(st_put, "UPDATE profiles SET format=$1 WHERE seq=$2 AND format IS NULL", 2);
	long done = 0;
	for (;;) {
		struct db_pg_conn *c = db_pg_get();
		if (!c)
			return -1;
		struct db_pg_params p = { 0 };
		db_pg_pint(&p, (int64_t)(prefix ? prefix : 1));
		PGresult *r = run(c, &st_get, &p, true);
		if (!r) {
			db_pg_put(c);
			return -1;
		}
		int n = PQntuples(r), rc = 0;
		for (int i = 0; i < n && rc == 0; i++) {
			size_t len = db_pg_null(r, i, 1) ? 0 : db_pg_len(r, i, 1);
			const char *fmt = len ? of_bytes((const uint8_t *)db_pg_str(r, i, 1), len) : "pprof";
			memset(&p, 0, sizeof(p));
			db_pg_ptext(&p, fmt ? fmt : "pprof");
			db_pg_pint(&p, db_pg_int(r, i, 0));
			rc = cmd(c, &st_put, &p);
		}
		PQclear(r);
		db_pg_put(c);
		if (rc < 0)
			return -1;
		if (n == 0)
			return done;
		done += n;
	}
}

/* ---- downsampling (downsample.h) -------------------------------------------------------- */

static int pg_lock_take(const char *name, const char *holder, int64_t ttl_ns)
{
	/* one statement: the row is taken when free, expired or already ours */
	Q(st, "INSERT INTO locks(name, holder, expires) VALUES($1, $2, $3) ON CONFLICT (name) DO UPDATE "
	      "SET holder=EXCLUDED.holder, expires=EXCLUDED.expires "
	      "WHERE locks.holder=EXCLUDED.holder OR locks.expires <= $4 RETURNING holder", 4);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	int64_t now = util_now_nanos();
	struct db_pg_params p = { 0 };
	db_pg_ptext(&p, name);
	db_pg_ptext(&p, holder);
	db_pg_pint(&p, now + ttl_ns);
	db_pg_pint(&p, now);
	PGresult *r = run(c, &st, &p, false);
	db_pg_put(c);
	if (!r)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : 1;
	PQclear(r);
	return rc;
}

static void pg_lock_drop(const char *name, const char *holder)
{
	Q(st, "DELETE FROM locks WHERE name=$1 AND holder=$2", 2);
	PQclear(query2(&st, name, holder));
}

/* The candidates: scraped, raw, not merged yet (the partial index of
 * migration 003 covers exactly these). */
#define DS_CAND "p.scrape_job IS NOT NULL AND p.ds_step IS NULL AND p.ds_into IS NULL"
#define DS_COLS "p.seq, p.id, " SEL_TIME " AS t, p.bytes, p.kind, p.scrape_job, (p.duration_ns > 0)::int AS windowed"
/* A profile's label set as one text (hex-coded, in key order), '' for none. */
#define DS_LS "(coalesce((SELECT string_agg(encode(convert_to(pl.key, 'SQL_ASCII'), 'hex') || ':' || " \
              "encode(convert_to(pl.value, 'SQL_ASCII'), 'hex'), ',' ORDER BY pl.key) FROM profile_labels pl " \
              "WHERE pl.profile_seq=p.seq), '') COLLATE \"C\")"

static void ds_row(const PGresult *r, int i, struct store_ds_cand *o)
{
	memset(o, 0, sizeof(*o));
	o->seq = db_pg_int(r, i, 0);
	snprintf(o->id, sizeof(o->id), "%s", db_pg_str(r, i, 1));
	o->time = db_pg_int(r, i, 2);
	o->bytes = db_pg_int(r, i, 3);
	snprintf(o->kind, sizeof(o->kind), "%s", db_pg_str(r, i, 4));
	snprintf(o->job, sizeof(o->job), "%s", db_pg_null(r, i, 5) ? "" : db_pg_str(r, i, 5));
}

static int pg_ds_oldest(const char *job, int64_t from, int64_t before, struct store_ds_cand *out)
{
	/* through the job's partial index (migration 004) */
	Q(st, "SELECT " DS_COLS " FROM profiles p WHERE " DS_CAND " AND p.scrape_job = $3 AND " SEL_TIME " >= $1 AND "
	      SEL_TIME " < $2 ORDER BY " SEL_TIME ", p.seq LIMIT 1", 3);
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, from);
	db_pg_pint(&p, before);
	db_pg_ptext(&p, job);
	PGresult *r = run(c, &st, &p, false);
	db_pg_put(c);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1) {
		ds_row(r, 0, out);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_ds_page(const char *job, int64_t from, int64_t to, const struct store_ds_key *after, int max,
                      struct store_ds_page *pg)
{
	/* the job's candidates in the bucket through its partial index
	 * (migration 004), then sorted by series: the label set is read once
	 * per candidate */
	Q(st_first, "SELECT * FROM (SELECT " DS_COLS ", " DS_LS " AS ls FROM profiles p WHERE " DS_CAND
	            " AND p.scrape_job = $4 AND " SEL_TIME " >= $1 AND " SEL_TIME " < $2) x"
	            " ORDER BY kind, scrape_job, windowed, ls, t, seq LIMIT $3", 4);
	Q(st_after, "SELECT * FROM (SELECT " DS_COLS ", " DS_LS " AS ls FROM profiles p WHERE " DS_CAND
	            " AND p.scrape_job = $4 AND " SEL_TIME " >= $1 AND " SEL_TIME " < $2) x"
	            " WHERE (kind, scrape_job, windowed, ls) > ($5, $6, $7::int, $8)"
	            " ORDER BY kind, scrape_job, windowed, ls, t, seq LIMIT $3", 8);
	memset(pg, 0, sizeof(*pg));
	bool cursor = after && after->ls;
	pg->rows = malloc((size_t)max * sizeof(*pg->rows));
	pg->first = malloc(((size_t)max + 1) * sizeof(*pg->first));
	pg->keys = calloc((size_t)max, sizeof(*pg->keys));
	struct db_pg_conn *c = NULL;
	if (!pg->rows || !pg->first || !pg->keys || !(c = db_pg_get())) {
		store_ds_page_free(pg);
		return -1;
	}
	struct db_pg_params p = { 0 };
	db_pg_pint(&p, from);
	db_pg_pint(&p, to);
	db_pg_pint(&p, max);
	db_pg_ptext(&p, job);
	if (cursor) {
		db_pg_ptext(&p, after->kind);
		db_pg_ptext(&p, after->job);
		db_pg_pint(&p, after->windowed);
		db_pg_ptext(&p, after->ls);
	}
	PGresult *r = run(c, cursor ? &st_after : &st_first, &p, false);
	db_pg_put(c);
	if (!r) {
		store_ds_page_free(pg);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && pg->n < max; i++) {
		struct store_ds_cand *o = &pg->rows[pg->n];
		ds_row(r, i, o);
		int windowed = (int)db_pg_int(r, i, 6);
		const char *ls = db_pg_str(r, i, 7);
		struct store_ds_key *k = pg->n_groups ? &pg->keys[pg->n_groups - 1] : NULL;
		if (!k || strcmp(k->kind, o->kind) || strcmp(k->job, o->job) || k->windowed != windowed ||
		    strcmp(k->ls, ls)) {
			k = &pg->keys[pg->n_groups];
			snprintf(k->kind, sizeof(k->kind), "%s", o->kind);
			snprintf(k->job, sizeof(k->job), "%s", o->job);
			k->windowed = windowed;
			if (!(k->ls = strdup(ls))) {
				rc = -1;
				break;
			}
			pg->first[pg->n_groups++] = pg->n;
		}
		pg->n++;
	}
	PQclear(r);
	if (rc < 0) {
		store_ds_page_free(pg);
		return -1;
	}
	pg->first[pg->n_groups] = pg->n;
	pg->full = pg->n == max;
	return 0;
}

/* Up to max ids (and bytes) of st (one optional int64 parameter, then the
 * limit, then the scrape job if not NULL). */
static int ids_bytes(struct db_pg_stmt *st, bool has_arg, int64_t arg, const char *job, char (*ids)[23],
                     int64_t *bytes, int max, int *n)
{
	*n = 0;
	struct db_pg_conn *c = db_pg_get();
	if (!c)
		return -1;
	struct db_pg_params p = { 0 };
	if (has_arg)
		db_pg_pint(&p, arg);
	db_pg_pint(&p, max);
	if (job)
		db_pg_ptext(&p, job);
	PGresult *r = run(c, st, &p, false);
	db_pg_put(c);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r) && *n < max; i++) {
		snprintf(ids[*n], 23, "%s", db_pg_str(r, i, 0));
		bytes[*n] = db_pg_int(r, i, 1);
		(*n)++;
	}
	PQclear(r);
	return 0;
}

static int pg_ds_merged(char (*ids)[23], int64_t *bytes, int max, int *n)
{
	Q(st, "SELECT id, bytes FROM profiles WHERE ds_into IS NOT NULL ORDER BY ds_into, seq LIMIT $1", 1);
	return ids_bytes(&st, false, 0, NULL, ids, bytes, max, n);
}

static int pg_ds_expired(const char *job, int64_t before, char (*ids)[23], int64_t *bytes, int max, int *n)
{
	Q(st, "SELECT p.id, p.bytes FROM profiles p WHERE p.ds_step IS NOT NULL AND p.scrape_job = $3 AND " SEL_TIME
	      " < $1 ORDER BY " SEL_TIME ", p.seq LIMIT $2", 3);
	return ids_bytes(&st, true, before, job, ids, bytes, max, n);
}

static int pg_ds_next_job(const char *after, char *out, size_t cap)
{
	/* the smallest job after `after` among the candidates and among the
	 * downsampled profiles: two seeks of migration 004's indexes (the
	 * column is COLLATE "C": byte order, as SQLite's) */
	Q(st, "SELECT least((SELECT min(p.scrape_job) FROM profiles p WHERE " DS_CAND " AND p.scrape_job > $1),"
	      " (SELECT min(p.scrape_job) FROM profiles p WHERE p.ds_step IS NOT NULL AND p.scrape_job IS NOT NULL"
	      " AND p.scrape_job > $1))", 1);
	PGresult *r = query2(&st, after, NULL);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1 && !db_pg_null(r, 0, 0)) {
		snprintf(out, cap, "%s", db_pg_str(r, 0, 0));
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_labels_of(const char *id, struct store_label *out, int max, int *n)
{
	Q(st, "SELECT p.seq, l.key, l.value FROM profiles p LEFT JOIN profile_labels l ON l.profile_seq=p.seq "
	      "WHERE p.id=$1 ORDER BY l.key", 1);
	*n = 0;
	PGresult *r = query2(&st, id, NULL);
	if (!r)
		return -1;
	int rows = PQntuples(r);
	for (int i = 0; i < rows && *n < max; i++) {
		if (db_pg_null(r, i, 1))
			continue;
		snprintf(out[*n].key, sizeof(out[*n].key), "%s", db_pg_str(r, i, 1));
		snprintf(out[*n].value, sizeof(out[*n].value), "%s", db_pg_str(r, i, 2));
		(*n)++;
	}
	PQclear(r);
	return rows ? 0 : 1;
}

const struct store_backend store_pg_backend = {
	.name = "pg",
	.shared = true,
	.open = db_pg_open,
	.close = db_pg_close,
	.health = pg_health,
	.db_bytes = pg_db_bytes,
	.add = pg_add,
	.del = pg_delete,
	.exists = pg_exists,
	.meta = pg_meta,
	.list = pg_list,
	.raw = pg_raw,
	.stacks = pg_stacks,
	.dict_chunks = pg_dict_chunks,
	.name_of = pg_name,
	.edit = pg_edit,
	.labels = pg_labels,
	.time = pg_time,
	.sizes = pg_sizes,
	.label = pg_label,
	.ids_by_label = pg_ids_by_label,
	.findex_pending = pg_findex_pending,
	.findex_put = pg_findex_put,
	.fx_profiles = pg_fx_profiles,
	.fx_by_label = pg_fx_by_label,
	.fx_names = pg_fx_names,
	.fx_rows_of = pg_fx_rows_of,
	.fx_rows_profiles = pg_fx_rows_profiles,
	.fx_all = pg_fx_all,
	.select = pg_select,
	.series = pg_series,
	.session_put = pg_session_put,
	.session_get = pg_session_get,
	.session_del = pg_session_del,
	.retention_ids = pg_retention_ids,
	.scraped_stats = pg_scraped_stats,
	.job_lock = pg_job_lock,
	.lease = pg_lease,
	.lease_release = pg_lease_release,
	.format_backfill = pg_format_backfill,
	.fx_select = pg_fx_select,
	.lock_take = pg_lock_take,
	.lock_drop = pg_lock_drop,
	.ds_oldest = pg_ds_oldest,
	.ds_next_job = pg_ds_next_job,
	.ds_page = pg_ds_page,
	.ds_merged = pg_ds_merged,
	.ds_expired = pg_ds_expired,
	.labels_of = pg_labels_of,
	.answer_put = pg_answer_put,
	.answer_get = pg_answer_get,
};
