/*
 * diff.c: union call tree and per-function deltas of two profiles
 * (see diff.h).
 */
#include "diff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "stats.h"

/* Names of the union tree: strings of either profile, interned. */
struct unames {
	struct strmap map;
	const char **s;
	uint32_t *len;
	uint32_t n, cap;
};

static uint32_t uname(struct unames *u, const char *s, uint32_t len)
{
	int ins;
	uint32_t id = strmap_intern(&u->map, s, len, u->n, &ins);
	if (id == UINT32_MAX)
		return UINT32_MAX;
	if (ins) {
		if (u->n == u->cap) {
			uint32_t nc = u->cap ? u->cap * 2 : 256;
			const char **ns = realloc(u->s, nc * sizeof(*ns));
			if (!ns)
				return UINT32_MAX;
			u->s = ns;
			uint32_t *nl = realloc(u->len, nc * sizeof(*nl));
			if (!nl)
				return UINT32_MAX;
			u->len = nl;
			u->cap = nc;
		}
		u->s[u->n] = s;
		u->len[u->n] = len;
		u->n++;
	}
	return id;
}

struct utree {
	struct u64map map;
	uint32_t n, cap;
	uint32_t *parent, *key;
	int64_t *v[4];   /* base self, base tot, target self, target tot */
	int64_t *c[2];   /* base count tot, target count tot */
};

static int ut_grow(struct utree *t)
{
	uint32_t nc = t->cap ? t->cap * 2 : 1024;
	uint32_t *np = realloc(t->parent, nc * sizeof(uint32_t));
	if (!np)
		return -1;
	t->parent = np;
	uint32_t *nk = realloc(t->key, nc * sizeof(uint32_t));
	if (!nk)
		return -1;
	t->key = nk;
	for (int i = 0; i < 6; i++) {
		int64_t **a = i < 4 ? &t->v[i] : &t->c[i - 4];
		int64_t *na = realloc(*a, nc * sizeof(int64_t));
		if (!na)
			return -1;
		memset(na + t->cap, 0, (nc - t->cap) * sizeof(int64_t));
		*a = na;
	}
	t->cap = nc;
	return 0;
}

static uint32_t ut_child(struct utree *t, uint32_t parent, uint32_t key)
{
	int ins;
	uint32_t *slot = u64map_put(&t->map, (uint64_t)parent << 32 | key, &ins);
	if (!slot)
		return UINT32_MAX;
	if (!ins)
		return *slot;
	if (t->n == t->cap && ut_grow(t) < 0)
		return UINT32_MAX;
	t->parent[t->n] = parent;
	t->key[t->n] = key;
	*slot = t->n;
	return t->n++;
}

static void ut_release(struct utree *t)
{
	u64map_release(&t->map);
	free(t->parent);
	free(t->key);
	for (int i = 0; i < 4; i++)
		free(t->v[i]);
	free(t->c[0]);
	free(t->c[1]);
}

/* Map view v into the union tree and add its values in their role:
 * 0 base values, 1 target values, 2 base counts, 3 target counts. */
static int ut_add_role(struct utree *t, struct unames *u, const struct view *v, int role)
{
	uint32_t *m = malloc(((size_t)v->n + 1) * sizeof(uint32_t));
	if (!m)
		return -1;
	m[0] = 0;
	for (uint32_t i = 1; i < v->n; i++) {
		uint32_t k = uname(u, prof_str(v->p, v->key[i]), prof_strlen(v->p, v->key[i]));
		if (k == UINT32_MAX || (m[i] = ut_child(t, m[v->parent[i]], k)) == UINT32_MAX) {
			free(m);
			return -1;
		}
	}
	for (uint32_t i = 0; i < v->n; i++) {
		switch (role) {
		case 0:
			t->v[0][m[i]] += v->self[i];
			t->v[1][m[i]] += v->tot[i];
			break;
		case 1:
			t->v[2][m[i]] += v->self[i];
			t->v[3][m[i]] += v->tot[i];
			break;
		case 2:
			t->c[0][m[i]] += v->tot[i];
			break;
		default:
			t->c[1][m[i]] += v->tot[i];
			break;
		}
	}
	free(m);
	return 0;
}

/* ---- output --------------------------------------------------------------- */

struct sort_ctx {
	const struct unames *u;
	const uint32_t *key;
};

static int cmp_name(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	uint32_t x = c->key[*(const uint32_t *)a], y = c->key[*(const uint32_t *)b];
	uint32_t lx = c->u->len[x], ly = c->u->len[y];
	int r = memcmp(c->u->s[x], c->u->s[y], lx < ly ? lx : ly);
	return r ? r : (lx < ly ? -1 : lx > ly);
}

static int cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x > y ? -1 : x < y;
}

static int64_t weight(const struct utree *t, uint32_t i)
{
	int64_t b = llabs(t->v[1][i]), g = llabs(t->v[3][i]);
	return b > g ? b : g;
}

int diff_tree_json(const struct diff_in *in, struct json *j)
{
	struct unames u;
	struct utree t;
	memset(&u, 0, sizeof(u));
	memset(&t, 0, sizeof(t));
	int rc = -1;
	uint8_t *keep = NULL;
	uint32_t *off = NULL, *list = NULL, *order = NULL, *depth = NULL, *nix = NULL;
	int64_t *w = NULL;
	if (strmap_init(&u.map, 1024) < 0 || u64map_init(&t.map, 1024) < 0 || ut_grow(&t) < 0)
		goto out;
	t.n = 1;
	t.parent[0] = 0;
	t.key[0] = UINT32_MAX;
	if (ut_add_role(&t, &u, in->base, 0) < 0 || ut_add_role(&t, &u, in->target, 1) < 0)
		goto out;
	bool counts = in->base_n && in->target_n;
	if (counts && (ut_add_role(&t, &u, in->base_n, 2) < 0 || ut_add_role(&t, &u, in->target_n, 3) < 0))
		goto out;
	uint32_t n = t.n;
	/* prune to max_nodes by max(|base|, |target|) */
	keep = malloc(n);
	w = malloc((size_t)n * sizeof(int64_t));
	if (!keep || !w)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		w[i] = weight(&t, i);
	/* nodes with no weight on either side (filtered away) are not sent */
	memset(keep, 0, n);
	keep[0] = 1;
	for (uint32_t i = 1; i < n; i++)
		keep[i] = w[i] != 0 && keep[t.parent[i]];
	if (in->max_nodes > 0 && (uint64_t)in->max_nodes < n) {
		qsort(w, n, sizeof(int64_t), cmp_desc);
		int64_t thr = w[in->max_nodes - 1];
		long count = 1;
		memset(keep, 0, n);
		keep[0] = 1;
		for (uint32_t i = 1; i < n; i++)
			if (weight(&t, i) > thr && keep[t.parent[i]]) {
				keep[i] = 1;
				count++;
			}
		for (uint32_t i = 1; i < n && count < in->max_nodes; i++)
			if (!keep[i] && thr > 0 && weight(&t, i) == thr && keep[t.parent[i]]) {
				keep[i] = 1;
				count++;
			}
	}
	/* children sorted by name */
	off = calloc((size_t)n + 2, sizeof(uint32_t));
	list = malloc(((size_t)n + 1) * sizeof(uint32_t));
	order = malloc(((size_t)n + 1) * sizeof(uint32_t));
	depth = malloc(((size_t)n + 1) * sizeof(uint32_t));
	nix = malloc(((size_t)u.n + 1) * sizeof(uint32_t));
	if (!off || !list || !order || !depth || !nix)
		goto out;
	for (uint32_t i = 1; i < n; i++)
		if (keep[i])
			off[t.parent[i] + 1]++;
	for (uint32_t i = 0; i < n; i++)
		off[i + 1] += off[i];
	{
		uint32_t *fill = order; /* scratch */
		memcpy(fill, off, (size_t)n * sizeof(uint32_t));
		for (uint32_t i = 1; i < n; i++)
			if (keep[i])
				list[fill[t.parent[i]]++] = i;
	}
	struct sort_ctx sc = { &u, t.key };
	for (uint32_t i = 0; i < n; i++)
		if (off[i + 1] - off[i] > 1)
			qsort_r(list + off[i], off[i + 1] - off[i], sizeof(uint32_t), cmp_name, &sc);
	uint32_t norder = 0, sp = 0;
	uint32_t *stack = depth; /* scratch before depths */
	stack[sp++] = 0;
	while (sp) {
		uint32_t x = stack[--sp];
		order[norder++] = x;
		for (uint32_t c = off[x + 1]; c-- > off[x];)
			stack[sp++] = list[c];
	}
	memset(nix, 0xff, ((size_t)u.n + 1) * sizeof(uint32_t));
	json_key(j, "names");
	json_arr_begin(j);
	json_str(j, "root");
	uint32_t next = 1;
	for (uint32_t i = 1; i < norder; i++) {
		uint32_t k = t.key[order[i]];
		if (nix[k] == UINT32_MAX) {
			nix[k] = next++;
			json_strn(j, u.s[k], u.len[k]);
		}
	}
	json_arr_end(j);
	json_key(j, "nodes");
	json_arr_begin(j);
	depth[0] = 0;
	for (uint32_t i = 0; i < norder; i++) {
		uint32_t x = order[i];
		if (x)
			depth[x] = depth[t.parent[x]] + 1;
		int64_t bs = t.v[1][x], ts = t.v[3][x];
		for (uint32_t c = off[x]; c < off[x + 1]; c++) {
			bs -= t.v[1][list[c]];
			ts -= t.v[3][list[c]];
		}
		json_arr_begin(j);
		json_uint(j, x ? nix[t.key[x]] : 0);
		json_uint(j, depth[x]);
		json_int(j, bs);
		json_int(j, t.v[1][x]);
		json_int(j, ts);
		json_int(j, t.v[3][x]);
		json_arr_end(j);
	}
	json_arr_end(j);
	/* significance per node, parallel to nodes */
	json_key(j, "significant");
	json_arr_begin(j);
	int64_t bn = counts ? t.c[0][0] : 0, tn = counts ? t.c[1][0] : 0;
	double p0 = in->p0 > 0 && in->p0 < 1 ? in->p0 : (bn + tn > 0 ? (double)tn / (double)(bn + tn) : 0.5);
	for (uint32_t i = 0; i < norder; i++) {
		uint32_t x = order[i];
		if (!counts || bn <= 0 || tn <= 0) {
			json_null(j);
			continue;
		}
		int64_t b = t.c[0][x], g = t.c[1][x];
		if (b < 0 || g < 0) {
			json_null(j);
			continue;
		}
		json_bool(j, stats_binom_p((uint64_t)g, (uint64_t)(b + g), p0) < DIFF_ALPHA);
	}
	json_arr_end(j);
	rc = 0;
out:
	free(keep);
	free(w);
	free(off);
	free(list);
	free(order);
	free(depth);
	free(nix);
	free(u.s);
	free(u.len);
	strmap_release(&u.map);
	ut_release(&t);
	return rc;
}

/* ---- diff top -------------------------------------------------------------- */

struct drow {
	const char *name;
	uint32_t len;
	int64_t bf, bc, tf, tc;
};

static int cmp_drow(const void *a, const void *b, void *arg)
{
	int sort = *(const int *)arg;
	const struct drow *x = a, *y = b;
	double kx, ky;
	switch (sort) {
	case DIFF_SORT_FLAT_DELTA:
		kx = fabs((double)(x->tf - x->bf));
		ky = fabs((double)(y->tf - y->bf));
		break;
	case DIFF_SORT_REL:
		kx = x->bc == 0 ? INFINITY : fabs((double)(x->tc - x->bc) / (double)x->bc);
		ky = y->bc == 0 ? INFINITY : fabs((double)(y->tc - y->bc) / (double)y->bc);
		if (x->tc == 0 && x->bc == 0)
			kx = 0;
		if (y->tc == 0 && y->bc == 0)
			ky = 0;
		break;
	case DIFF_SORT_TARGET_CUM:
		kx = (double)llabs(x->tc);
		ky = (double)llabs(y->tc);
		break;
	case DIFF_SORT_BASE_CUM:
		kx = (double)llabs(x->bc);
		ky = (double)llabs(y->bc);
		break;
	default:
		kx = fabs((double)(x->tc - x->bc));
		ky = fabs((double)(y->tc - y->bc));
		break;
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	/* ties: the larger absolute cum change, then name */
	double cx = fabs((double)(x->tc - x->bc)), cy = fabs((double)(y->tc - y->bc));
	if (cx != cy)
		return cx > cy ? -1 : 1;
	uint32_t l = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->name, y->name, l);
	return r ? r : (x->len < y->len ? -1 : x->len > y->len);
}

/* Per-function base and target flat/cum over the union of both tops.
 * Returns the rows (malloc'd, names point into the profiles) and their
 * number in *n, or NULL. */
static struct drow *diff_rows(const struct diff_in *in, uint32_t *n)
{
	uint32_t nb = 0, nt = 0;
	struct top_row *rb = view_top(in->base, &nb);
	struct top_row *rt = view_top(in->target, &nt);
	struct unames u;
	memset(&u, 0, sizeof(u));
	struct drow *rows = NULL;
	bool ok = false;
	if (!rb || !rt || strmap_init(&u.map, (size_t)nb + nt) < 0)
		goto out;
	rows = calloc((size_t)nb + nt + 1, sizeof(*rows));
	if (!rows)
		goto out;
	for (int side = 0; side < 2; side++) {
		const struct view *v = side ? in->target : in->base;
		struct top_row *r = side ? rt : rb;
		uint32_t cnt = side ? nt : nb;
		for (uint32_t i = 0; i < cnt; i++) {
			const char *s = prof_str(v->p, r[i].key);
			uint32_t len = prof_strlen(v->p, r[i].key);
			uint32_t k = uname(&u, s, len);
			if (k == UINT32_MAX)
				goto out;
			rows[k].name = s;
			rows[k].len = len;
			if (side) {
				rows[k].tf += r[i].flat;
				rows[k].tc += r[i].cum;
			} else {
				rows[k].bf += r[i].flat;
				rows[k].bc += r[i].cum;
			}
		}
	}
	*n = u.n;
	ok = true;
out:
	free(rb);
	free(rt);
	free(u.s);
	free(u.len);
	strmap_release(&u.map);
	if (!ok) {
		free(rows);
		rows = NULL;
	}
	return rows;
}

int diff_top_json(const struct diff_in *in, struct json *j)
{
	uint32_t n = 0;
	struct drow *rows = diff_rows(in, &n);
	if (!rows)
		return -1;
	int sort = in->sort;
	qsort_r(rows, n, sizeof(*rows), cmp_drow, &sort);
	json_key(j, "rows");
	json_arr_begin(j);
	for (uint32_t i = 0; i < n && (in->limit <= 0 || i < (uint32_t)in->limit); i++) {
		json_obj_begin(j);
		json_key(j, "function");
		json_strn(j, rows[i].name, rows[i].len);
		json_key(j, "base_flat");
		json_int(j, rows[i].bf);
		json_key(j, "base_cum");
		json_int(j, rows[i].bc);
		json_key(j, "target_flat");
		json_int(j, rows[i].tf);
		json_key(j, "target_cum");
		json_int(j, rows[i].tc);
		json_key(j, "status");
		json_str(j, rows[i].bc == 0 && rows[i].bf == 0 ? "new"
		            : rows[i].tc == 0 && rows[i].tf == 0 ? "gone" : "both");
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "count");
	json_uint(j, n);
	free(rows);
	return 0;
}

/* ---- CI check ------------------------------------------------------------------ */

int diff_check_json(const struct diff_in *in, double max_growth_pct, double min_share_pct,
                    struct json *j, char *summary, size_t cap)
{
	uint32_t n = 0;
	struct drow *rows = diff_rows(in, &n);
	if (!rows)
		return -1;
	int sort = DIFF_SORT_REL; /* biggest relative growth first */
	qsort_r(rows, n, sizeof(*rows), cmp_drow, &sort);
	double ttot = (double)in->target->total;
	int found = 0;
	size_t sl = 0;
	summary[0] = '\0';
	json_key(j, "regressions");
	json_arr_begin(j);
	for (uint32_t i = 0; i < n; i++) {
		const struct drow *r = &rows[i];
		if (ttot <= 0 || (double)r->tc * 100 < min_share_pct * ttot)
			continue;
		double growth = r->bc > 0 ? ((double)r->tc - (double)r->bc) * 100 / (double)r->bc : INFINITY;
		if (growth <= max_growth_pct)
			continue;
		found++;
		json_obj_begin(j);
		json_key(j, "function");
		json_strn(j, r->name, r->len);
		json_key(j, "base_cum");
		json_int(j, r->bc);
		json_key(j, "target_cum");
		json_int(j, r->tc);
		json_key(j, "growth_pct");
		json_double(j, growth); /* null when new */
		json_obj_end(j);
		if (sl + 64 < cap) {
			int nl = (int)(r->len > 80 ? 80 : r->len);
			int w = isfinite(growth)
				? snprintf(summary + sl, cap - sl, "%s%.*s (+%.0f%%)", sl ? ", " : "", nl, r->name, growth)
				: snprintf(summary + sl, cap - sl, "%s%.*s (new)", sl ? ", " : "", nl, r->name);
			if (w > 0)
				sl += (size_t)w < cap - sl ? (size_t)w : cap - sl - 1;
		}
	}
	json_arr_end(j);
	json_key(j, "max_growth_pct");
	json_double(j, max_growth_pct);
	json_key(j, "min_share_pct");
	json_double(j, min_share_pct);
	free(rows);
	return found;
}
