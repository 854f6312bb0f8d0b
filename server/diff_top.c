/*
 * diff_top.c: per-function deltas of a diff and the CI gate (see diff.h).
 *
 * Both top tables (view_top) are joined by function name, so the deltas
 * are exactly what go tool pprof -top -diff_base prints.
 */
#include "diff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct ntree_intern u;
	memset(&u, 0, sizeof(u));
	struct drow *rows = NULL;
	bool ok = false;
	if (!rb || !rt || ntree_intern_init(&u, (size_t)nb + nt) < 0)
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
			uint32_t k = ntree_intern(&u, s, len);
			if (k == NTREE_NONE)
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
	ntree_intern_release(&u);
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
	return j->out->oom ? -1 : 0;
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
		json_pct(j, growth); /* null when new */
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
	return j->out->oom ? -1 : found;
}
