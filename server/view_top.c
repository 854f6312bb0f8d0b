/*
 * view_top.c: the top table, flat and cum per function (see view.h).
 */
#include "view.h"

#include <stdlib.h>
#include <string.h>

struct top_row *view_top(const struct view *v, uint32_t *nrows)
{
	const struct prof *p = v->p;
	const struct ntree *t = &v->t;
	int64_t *flat = calloc((size_t)p->n_strs + 1, sizeof(int64_t));
	int64_t *cum = calloc((size_t)p->n_strs + 1, sizeof(int64_t));
	uint8_t *used = calloc((size_t)p->n_strs + 1, 1);
	struct top_row *rows = NULL;
	if (!flat || !cum || !used)
		goto out;
	for (uint32_t x = 1; x < t->n; x++) {
		if (work_poll() != WORK_OK)
			goto out;
		uint32_t key = t->key[x];
		flat[key] += t->col[VIEW_SELF][x];
		if (t->first[x])
			cum[key] += t->col[VIEW_TOT][x];
		used[key] = 1;
	}
	uint32_t n = 0;
	for (uint32_t s = 0; s < p->n_strs; s++)
		if (used[s] && (flat[s] || cum[s]))
			n++;
	rows = malloc(((size_t)n + 1) * sizeof(*rows));
	if (!rows)
		goto out;
	n = 0;
	for (uint32_t s = 0; s < p->n_strs; s++) {
		if (used[s] && (flat[s] || cum[s])) {
			rows[n].key = s;
			rows[n].flat = flat[s];
			rows[n].cum = cum[s];
			n++;
		}
	}
	*nrows = n;
out:
	free(flat);
	free(cum);
	free(used);
	return rows;
}

struct rows_ctx {
	const struct prof *p;
	bool by_cum;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct rows_ctx *rc = arg;
	const struct top_row *x = a, *y = b;
	int64_t x1 = llabs(rc->by_cum ? x->cum : x->flat), y1 = llabs(rc->by_cum ? y->cum : y->flat);
	if (x1 != y1)
		return x1 > y1 ? -1 : 1;
	int c = strcmp(prof_str(rc->p, x->key), prof_str(rc->p, y->key));
	if (c)
		return c;
	int64_t x2 = llabs(rc->by_cum ? x->flat : x->cum), y2 = llabs(rc->by_cum ? y->flat : y->cum);
	if (x2 != y2)
		return x2 > y2 ? -1 : 1;
	return 0;
}

void view_top_sort(const struct prof *p, struct top_row *rows, uint32_t n, bool by_cum)
{
	struct rows_ctx ctx = { p, by_cum };
	qsort_r(rows, n, sizeof(*rows), cmp_rows, &ctx);
}

int view_top_json(const struct view *v, bool by_cum, long limit, struct json *j)
{
	uint32_t n = 0;
	struct top_row *rows = view_top(v, &n);
	if (!rows)
		return -1;
	view_top_sort(v->p, rows, n, by_cum);
	json_obj_begin(j);
	view_json_header(v, j);
	json_key(j, "count");
	json_uint(j, n);
	json_key(j, "rows");
	json_arr_begin(j);
	for (uint32_t i = 0; i < n && (limit <= 0 || i < (uint32_t)limit); i++) {
		json_obj_begin(j);
		json_key(j, "function");
		json_strn(j, prof_str(v->p, rows[i].key), prof_strlen(v->p, rows[i].key));
		json_key(j, "flat");
		json_int(j, rows[i].flat);
		json_key(j, "cum");
		json_int(j, rows[i].cum);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	free(rows);
	return j->out->oom ? -1 : 0;
}
