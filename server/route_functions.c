/*
 * route_functions.c: functions over time, from the function index
 * (findex.h), and the timeline of a selection (timeline.h).
 *
 *   GET /api/v1/functions?match=RE&<selection>[&sample_type=NAME]
 *       for each function whose name matches RE (Go syntax, unanchored),
 *       its flat and cum in each profile of the selection, in time order,
 *       with the profile's total (go tool pprof -top's numbers).
 *   GET /api/v1/functions/top?match=RE[&sample_type=NAME&limit=N]
 *       across every stored profile: for each matching function, the
 *       profiles where its cum share (cum / total) is highest; ties newest
 *       first.
 *   GET /api/v1/timeline?<selection>
 *       every profile of the selection in time order with its duration
 *       and the total of each sample type (timeline.h).
 *
 * A selection is selection.h's (ids=A,B,C, or label=k:v repeated with
 * type=, from=, to=), parsed there, with the merges' errors; its
 * profiles are read as the function index knows them (store_fx_select,
 * store_fx_profiles). Nothing here decodes a profile.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "findex.h"
#include "limits.h"
#include "regex.h"
#include "routes.h"
#include "selection.h"
#include "store.h"
#include "timeline.h"
#include "util.h"
#include "work.h"

/* Functions one answer may hold (functions=N, default 100): a chart of
 * more is unreadable; and names one match= may select in the index
 * (each costs a range scan of it). */
#define FDX_MAX_FX_FUNCTIONS 1000
#define FDX_MAX_FX_MATCH 100000

/* A 500, or the reply of a stopped work (work.h) when that is why. */
static enum MHD_Result fail(struct req *r, const char *what)
{
	int why = work_poll();
	if (why != WORK_OK)
		return reply_stopped(r, why);
	return reply_error(r, 500, "internal", "%s", what);
}

struct sel {
	struct store_fx_profile *pr;   /* time order */
	int n;
	struct work_held held;         /* pr, charged to the work */
};

static void sel_release(struct sel *s)
{
	work_unhold(&s->held);
	free(s->pr);
	s->pr = NULL;
	s->n = 0;
}

/* Resolve the request's selection into s, through selection.h's parser
 * (the merges' errors); the rows come from the function index's view of
 * the profiles. 0, or -1 with *res replied. */
static int sel_resolve(struct req *r, struct sel *s, enum MHD_Result *res)
{
	memset(s, 0, sizeof(*s));
	struct selection_query q;
	int rc = selection_parse_query(r, "", &q, res);
	if (rc == SELECTION_ABSENT) {
		*res = reply_error(r, 400, "bad_request",
		                   "a selection is ids=A,B,C or label=key:value (repeatable) with type=, from=, to=");
		return -1;
	}
	if (rc < 0)
		return -1;
	int max = (int)cfg.max_selection;
	int room = q.by_ids ? q.ids.n : max + 1;
	if (work_hold(&s->held, ((size_t)room + 1) * sizeof(*s->pr)) < 0 ||
	    !(s->pr = malloc(((size_t)room + 1) * sizeof(*s->pr)))) {
		selection_query_release(&q);
		sel_release(s);
		*res = fail(r, "out of memory");
		return -1;
	}
	if (q.by_ids) {
		rc = store_fx_profiles((const char (*)[23])q.ids.ids, q.ids.n, s->pr, &s->n);
		/* an id that is not stored is a 404, as for a merge */
		for (int i = 0; rc == 0 && i < q.ids.n && s->n < q.ids.n; i++) {
			bool found = false;
			for (int k = 0; k < s->n && !found; k++)
				found = !strcmp(s->pr[k].id, q.ids.ids[i]);
			if (!found) {
				*res = reply_error(r, 404, "not_found", "no profile with id %s", q.ids.ids[i]);
				selection_query_release(&q);
				sel_release(s);
				return -1;
			}
		}
	} else {
		rc = store_fx_select(&q.sel, s->pr, max + 1, &s->n);
	}
	selection_query_release(&q);
	if (rc < 0) {
		sel_release(s);
		*res = fail(r, "selection failed");
		return -1;
	}
	if (selection_check_count(r, "", s->n, res) < 0) {
		sel_release(s);
		return -1;
	}
	return 0;
}

/* The index of sample type name in pr (its default when name is NULL),
 * or -1 when it has none such. */
static int type_index(const struct store_fx_profile *pr, const char *name)
{
	if (!pr->indexed || pr->n_types == 0)
		return -1;
	if (!name)
		return pr->def_type < pr->n_types && pr->def_type < 16 ? (int)pr->def_type : -1;
	size_t nl = strlen(name);
	const char *s = pr->types;
	for (int t = 0; t < (int)pr->n_types && t < 16; t++) {
		const char *e = strchr(s, '\n');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == nl && !memcmp(s, name, nl))
			return t;
		if (!e)
			break;
		s = e + 1;
	}
	return -1;
}

static int compile_match(struct req *r, struct rx *rx, enum MHD_Result *res)
{
	const char *m = req_arg(r, "match");
	if (!m || !*m) {
		*res = reply_error(r, 400, "bad_request", "match=REGEX is required");
		return -1;
	}
	char err[256];
	int rc = rx_compile(rx, m, strlen(m), 0, err, sizeof(err));
	if (rc == RX_ERR_NOMEM) {
		*res = fail(r, "out of memory");
		return -1;
	}
	if (rc < 0) {
		*res = reply_error(r, 400, "bad_regex", "match: %s", err);
		return -1;
	}
	return 0;
}

struct fn_match {
	const struct rx *rx;
	int64_t *fid;
	char **name;
	int n, cap;
	bool truncated;
};

static int collect_name(void *ctx, int64_t fid, const char *name)
{
	struct fn_match *m = ctx;
	if (work_poll() != WORK_OK)
		return -1;
	if (!rx_match(m->rx, name, strlen(name)))
		return 0;
	if (m->n == FDX_MAX_FX_MATCH) {
		m->truncated = true;
		return 1;
	}
	if (m->n == m->cap) {
		int nc = m->cap ? m->cap * 2 : 64;
		int64_t *nf = realloc(m->fid, (size_t)nc * sizeof(*nf));
		if (!nf)
			return -1;
		m->fid = nf;
		char **nn = realloc(m->name, (size_t)nc * sizeof(*nn));
		if (!nn)
			return -1;
		m->name = nn;
		m->cap = nc;
	}
	m->name[m->n] = strdup(name);
	if (!m->name[m->n])
		return -1;
	m->fid[m->n++] = fid;
	return 0;
}

static void fn_match_release(struct fn_match *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->name[i]);
	free(m->name);
	free(m->fid);
}

/* Names matching match= into m. 0, or -1 with *res replied. */
static int match_names(struct req *r, struct rx *rx, struct fn_match *m, enum MHD_Result *res)
{
	memset(m, 0, sizeof(*m));
	m->rx = rx;
	if (store_fx_names(collect_name, m) < 0 || rx_failed(rx)) {
		fn_match_release(m);
		*res = fail(r, "function search failed");
		return -1;
	}
	return 0;
}

/* ---- /api/v1/functions ------------------------------------------------------ */

struct series_ctx {
	const struct sel *s;
	const struct fn_match *m;
	const int *by_seq;       /* indices of s->pr sorted by seq */
	const int *tidx;         /* per profile: the type index, -1 none */
	int64_t *flat, *cum;     /* per profile */
	bool any;
	struct json *j;
	long emitted, limit;
	bool more;               /* stopped at limit with names left */
};

static int series_end(void *ctx, int k)
{
	struct series_ctx *x = ctx;
	const struct sel *s = x->s;
	struct json *j = x->j;
	if (work_poll() != WORK_OK)
		return -1;
	if (!x->any)
		return 0;
	if (x->emitted == x->limit) {
		x->more = true;
		return 1;
	}
	json_obj_begin(j);
	json_key(j, "function");
	json_str(j, x->m->name[k]);
	json_key(j, "points");
	json_arr_begin(j);
	for (int i = 0; i < s->n; i++) {
		if (x->tidx[i] < 0)
			continue;
		char ts[40];
		util_rfc3339(s->pr[i].time, ts);
		json_obj_begin(j);
		json_key(j, "id");
		json_str(j, s->pr[i].id);
		json_key(j, "time");
		json_str(j, ts);
		json_key(j, "total");
		json_int(j, s->pr[i].totals[x->tidx[i]]);
		json_key(j, "flat");
		json_int(j, x->flat[i]);
		json_key(j, "cum");
		json_int(j, x->cum[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	x->emitted++;
	x->any = false;
	memset(x->flat, 0, (size_t)s->n * sizeof(int64_t));
	memset(x->cum, 0, (size_t)s->n * sizeof(int64_t));
	return 0;
}

static int series_row(void *ctx, int64_t seq, const uint8_t *vals, size_t len)
{
	struct series_ctx *x = ctx;
	int lo = 0, hi = x->s->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int64_t ms = x->s->pr[x->by_seq[mid]].seq;
		if (ms == seq) {
			int i = x->by_seq[mid];
			if (x->tidx[i] >= 0 &&
			    findex_vals_get(vals, len, (uint32_t)x->tidx[i], &x->flat[i], &x->cum[i]) == 0 &&
			    (x->flat[i] || x->cum[i]))
				x->any = true;
			return 0;
		}
		if (ms < seq)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

struct seq_pair {
	int64_t seq;
	int i;
};

static int seq_pair_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct seq_pair *)a)->seq, y = ((const struct seq_pair *)b)->seq;
	return (x > y) - (x < y);
}

/* by_seq[0, s->n): indices of s->pr in seq order. 0 or -1. */
static int order_by_seq(const struct sel *s, int *by_seq)
{
	struct seq_pair *tmp = malloc(((size_t)s->n + 1) * sizeof(*tmp));
	if (!tmp)
		return -1;
	for (int i = 0; i < s->n; i++) {
		tmp[i].seq = s->pr[i].seq;
		tmp[i].i = i;
	}
	qsort(tmp, (size_t)s->n, sizeof(*tmp), seq_pair_cmp);
	for (int i = 0; i < s->n; i++)
		by_seq[i] = tmp[i].i;
	free(tmp);
	return 0;
}

enum MHD_Result route_functions_series(struct req *r, const struct route_params *rp)
{
	(void)rp;
	enum MHD_Result res;
	long fn_limit;
	if (req_long(r, "functions", 100, 1, FDX_MAX_FX_FUNCTIONS, &fn_limit) < 0)
		return reply_error(r, 400, "bad_request", "functions must be an integer from 1 to %d", FDX_MAX_FX_FUNCTIONS);
	struct rx rx = { 0 };
	if (compile_match(r, &rx, &res) < 0)
		return res;
	const char *st_name = req_arg(r, "sample_type");
	if (st_name && !*st_name)
		st_name = NULL;
	struct sel s;
	if (sel_resolve(r, &s, &res) < 0) {
		rx_release(&rx);
		return res;
	}
	struct fn_match m;
	if (match_names(r, &rx, &m, &res) < 0) {
		rx_release(&rx);
		sel_release(&s);
		return res;
	}
	rx_release(&rx);
	int *by_seq = malloc(((size_t)s.n + 1) * sizeof(int));
	int *tidx = malloc(((size_t)s.n + 1) * sizeof(int));
	int64_t *flat = malloc(((size_t)s.n + 1) * sizeof(int64_t));
	int64_t *cum = malloc(((size_t)s.n + 1) * sizeof(int64_t));
	struct buf out = BUF_INIT;
	if (!by_seq || !tidx || !flat || !cum) {
		res = fail(r, "out of memory");
		goto done;
	}
	int with_type = 0;
	for (int i = 0; i < s.n; i++) {
		by_seq[i] = i;
		tidx[i] = type_index(&s.pr[i], st_name);
		with_type += tidx[i] >= 0;
	}
	if (st_name && with_type == 0) {
		res = reply_error(r, 400, "bad_request", "no profile of the selection has sample type %.64s", st_name);
		goto done;
	}
	if (order_by_seq(&s, by_seq) < 0) {
		res = fail(r, "out of memory");
		goto done;
	}
	struct json j;
	json_init(&j, &out);
	json_obj_begin(&j);
	json_key(&j, "sample_type");
	if (st_name)
		json_str(&j, st_name);
	else
		json_null(&j);
	json_key(&j, "functions");
	json_arr_begin(&j);
	memset(flat, 0, (size_t)s.n * sizeof(int64_t));
	memset(cum, 0, (size_t)s.n * sizeof(int64_t));
	struct series_ctx x = { .s = &s, .m = &m, .by_seq = by_seq, .tidx = tidx, .flat = flat, .cum = cum,
	                        .j = &j, .limit = fn_limit };
	int64_t *seqs = malloc(((size_t)s.n + 1) * sizeof(int64_t));
	if (!seqs) {
		buf_release(&out);
		res = fail(r, "out of memory");
		goto done;
	}
	for (int i = 0; i < s.n; i++)
		seqs[i] = s.pr[by_seq[i]].seq;
	int frc = store_fx_rows_of(m.fid, m.n, seqs, s.n, series_row, series_end, &x);
	free(seqs);
	if (frc < 0) {
		buf_release(&out);
		res = fail(r, "function index read failed");
		goto done;
	}
	m.truncated |= x.more;
	json_arr_end(&j);
	json_key(&j, "profiles");
	json_int(&j, s.n);
	json_key(&j, "truncated");
	json_bool(&j, m.truncated);
	json_obj_end(&j);
	if (out.oom) {
		buf_release(&out);
		res = fail(r, "out of memory");
		goto done;
	}
	res = reply_buf(r, 200, "application/json", &out);
done:
	free(by_seq);
	free(tidx);
	free(flat);
	free(cum);
	fn_match_release(&m);
	sel_release(&s);
	return res;
}

/* ---- /api/v1/functions/top -------------------------------------------------- */

struct top_hit {
	double share;
	int64_t time, total, flat, cum;
	char id[23];
};

struct top_ctx {
	const char *st_name;
	struct top_hit *hits;
	size_t n, cap;
	bool oom;
};

static int top_row(void *ctx, const struct store_fx_profile *p, const uint8_t *vals, size_t len)
{
	struct top_ctx *x = ctx;
	if (work_poll() != WORK_OK)
		return -1;
	int t = type_index(p, x->st_name);
	int64_t flat, cum;
	if (t < 0 || findex_vals_get(vals, len, (uint32_t)t, &flat, &cum) < 0 || p->totals[t] == 0 || cum == 0)
		return 0;
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 256;
		struct top_hit *nh = realloc(x->hits, nc * sizeof(*nh));
		if (!nh) {
			x->oom = true;
			return -1;
		}
		x->hits = nh;
		x->cap = nc;
	}
	struct top_hit *h = &x->hits[x->n++];
	int64_t tot = p->totals[t] < 0 ? -p->totals[t] : p->totals[t];
	h->share = (double)(cum < 0 ? -cum : cum) / (double)tot;
	h->time = p->time;
	h->total = p->totals[t];
	h->flat = flat;
	h->cum = cum;
	memcpy(h->id, p->id, sizeof(h->id));
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct top_hit *x = a, *y = b;
	if (x->share != y->share)
		return x->share > y->share ? -1 : 1;
	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	return strcmp(x->id, y->id);
}

enum MHD_Result route_functions_top(struct req *r, const struct route_params *rp)
{
	(void)rp;
	enum MHD_Result res;
	long limit;
	if (req_long(r, "limit", 10, 1, 1000, &limit) < 0)
		return reply_error(r, 400, "bad_request", "limit must be an integer from 1 to 1000");
	long fn_limit;
	if (req_long(r, "functions", 20, 1, 100, &fn_limit) < 0)
		return reply_error(r, 400, "bad_request", "functions must be an integer from 1 to 100");
	struct rx rx = { 0 };
	if (compile_match(r, &rx, &res) < 0)
		return res;
	const char *st_name = req_arg(r, "sample_type");
	if (st_name && !*st_name)
		st_name = NULL;
	struct fn_match m;
	if (match_names(r, &rx, &m, &res) < 0) {
		rx_release(&rx);
		return res;
	}
	rx_release(&rx);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	json_obj_begin(&j);
	json_key(&j, "sample_type");
	if (st_name)
		json_str(&j, st_name);
	else
		json_null(&j);
	json_key(&j, "functions");
	json_arr_begin(&j);
	struct top_ctx x = { .st_name = st_name };
	long shown = 0;
	for (int f = 0; f < m.n; f++) {
		if (shown == fn_limit) {
			m.truncated = true;
			break;
		}
		x.n = 0;
		if (store_fx_rows_profiles(m.fid[f], top_row, &x) < 0) {
			buf_release(&out);
			free(x.hits);
			fn_match_release(&m);
			return fail(r, "function index read failed");
		}
		if (x.n == 0)
			continue;
		qsort(x.hits, x.n, sizeof(*x.hits), hit_cmp);
		shown++;
		json_obj_begin(&j);
		json_key(&j, "function");
		json_str(&j, m.name[f]);
		json_key(&j, "profiles_with");
		json_int(&j, (int64_t)x.n);
		json_key(&j, "profiles");
		json_arr_begin(&j);
		for (size_t i = 0; i < x.n && i < (size_t)limit; i++) {
			char ts[40];
			util_rfc3339(x.hits[i].time, ts);
			json_obj_begin(&j);
			json_key(&j, "id");
			json_str(&j, x.hits[i].id);
			json_key(&j, "time");
			json_str(&j, ts);
			json_key(&j, "total");
			json_int(&j, x.hits[i].total);
			json_key(&j, "flat");
			json_int(&j, x.hits[i].flat);
			json_key(&j, "cum");
			json_int(&j, x.hits[i].cum);
			json_key(&j, "cum_share");
			json_double(&j, x.hits[i].share);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	free(x.hits);
	json_arr_end(&j);
	json_key(&j, "truncated");
	json_bool(&j, m.truncated);
	json_obj_end(&j);
	fn_match_release(&m);
	if (out.oom) {
		buf_release(&out);
		return fail(r, "out of memory");
	}
	return reply_buf(r, 200, "application/json", &out);
}

/* ---- /api/v1/timeline ------------------------------------------------------- */

enum MHD_Result route_functions_timeline(struct req *r, const struct route_params *rp)
{
	(void)rp;
	enum MHD_Result res;
	struct sel s;
	if (sel_resolve(r, &s, &res) < 0)
		return res;
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	int rc = timeline_json(s.pr, s.n, &j);
	sel_release(&s);
	if (rc < 0 || out.oom) {
		buf_release(&out);
		return fail(r, "timeline failed");
	}
	return reply_buf(r, 200, "application/json", &out);
}
