/*
 * diff.c: the views of a diff and their union call tree (see diff.h).
 */
#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- the views ---------------------------------------------------------------- */

static int find_type(const struct prof *p, const char *type, const char *unit)
{
	for (uint32_t i = 0; i < p->n_types; i++)
		if (!strcmp(prof_str(p, p->type_type[i]), type) && (!unit || !strcmp(prof_str(p, p->type_unit[i]), unit)))
			return (int)i;
	return -1;
}

/* A count-valued sample type that measures the same thing as type t:
 * cpu -> samples, X_space -> X_objects, delay -> contentions; or t itself
 * when its unit is a count. -1 when there is none. */
static int count_type(const struct prof *p, int t)
{
	const char *name = prof_str(p, p->type_type[t]);
	if (!strcmp(prof_str(p, p->type_unit[t]), "count"))
		return t;
	char want[128];
	size_t n = strlen(name);
	if (n > 6 && !strcmp(name + n - 6, "_space") && n < sizeof(want) - 8) {
		snprintf(want, sizeof(want), "%.*s_objects", (int)(n - 6), name);
		int k = find_type(p, want, "count");
		if (k >= 0)
			return k;
	}
	if (!strcmp(name, "space"))
		return find_type(p, "objects", "count");
	if (!strcmp(name, "cpu") || !strcmp(name, "wall") || !strcmp(name, "time"))
		return find_type(p, "samples", "count");
	if (!strcmp(name, "delay"))
		return find_type(p, "contentions", "count");
	return -1;
}

/* The sum of type t over all samples (fits: the decoder checked the sum of
 * absolute values). */
static int64_t type_sum(const struct prof *p, int t)
{
	int64_t s = 0;
	for (uint32_t i = 0; i < p->n_samples; i++)
		s += p->values[(size_t)i * p->n_types + (size_t)t];
	return s;
}

void diff_views_release(struct diff_views *d)
{
	view_release(&d->base);
	view_release(&d->target);
	view_release(&d->base_n);
	view_release(&d->target_n);
	memset(d, 0, sizeof(*d));
}

int diff_views_build(struct diff_views *d, const struct prof *pb, const struct prof *pt,
                     const struct view_opts *ob, bool normalize, bool with_counts, char *err, size_t errcap)
{
	return diff_views_build_tags(d, pb, pt, ob, NULL, normalize, with_counts, err, errcap);
}

int diff_views_build_tags(struct diff_views *d, const struct prof *pb, const struct prof *pt,
                          const struct view_opts *ob, const struct view_opts *tags, bool normalize,
                          bool with_counts, char *err, size_t errcap)
{
	memset(d, 0, sizeof(*d));
	d->scale = 1;
	if (pb->n_types == 0 || pt->n_types == 0) {
		snprintf(err, errcap, "a profile without sample types cannot be compared");
		return DIFF_INCOMPATIBLE;
	}
	const char *tname = prof_str(pb, pb->type_type[ob->type]);
	const char *tunit = prof_str(pb, pb->type_unit[ob->type]);
	int tt = find_type(pt, tname, tunit);
	if (tt < 0) {
		snprintf(err, errcap, "the target has no sample type %.64s/%.64s; the profiles cannot be compared",
		         tname, tunit);
		return DIFF_INCOMPATIBLE;
	}
	struct view_opts ot = *ob; /* same compiled filters, used one after the other */
	ot.type = tt;
	if (tags) {
		ot.tagfocus = tags->tagfocus;
		ot.tagignore = tags->tagignore;
		ot.has_tagfocus = tags->has_tagfocus;
		ot.has_tagignore = tags->has_tagignore;
	}
	if (normalize) {
		int64_t bs = type_sum(pb, ob->type), ts = type_sum(pt, tt);
		d->scale = ts == 0 ? 0 : (double)bs / (double)ts;
		/* 0 means "no scaling" in view_opts; a target summing to 0 scales
		 * everything to 0, as pprof's Normalize does. */
		ot.scale = d->scale == 0 ? 1e-300 : d->scale;
	}
	int rc = view_build(pb, ob, false, &d->base);
	if (rc == 0)
		rc = view_build(pt, &ot, false, &d->target);
	int cb = count_type(pb, ob->type);
	int ct = cb >= 0 ? find_type(pt, prof_str(pb, pb->type_type[cb]), "count") : -1;
	d->counts = with_counts && cb >= 0 && ct >= 0;
	if (rc == 0 && d->counts) {
		struct view_opts obn = *ob, otn = ot;
		obn.type = cb;
		otn.type = ct;
		otn.scale = 0;
		rc = view_build(pb, &obn, false, &d->base_n);
		if (rc == 0)
			rc = view_build(pt, &otn, false, &d->target_n);
	}
	if (rc != 0) {
		if (rc == VIEW_OVERFLOW)
			snprintf(err, errcap, "the target's values scaled by %g overflow 64 bits", d->scale);
		diff_views_release(d);
		return rc;
	}
	/* p0 for significance: see diff.h */
	if (d->counts && !normalize) {
		d->p0 = 0.5;
		if (pb->duration_nanos > 0 && pt->duration_nanos > 0)
			d->p0 = (double)pt->duration_nanos / (double)(pb->duration_nanos + pt->duration_nanos);
	}
	return 0;
}

int diff_run_count_view(struct view *v, const struct prof *base, const struct prof *p, const struct view_opts *o,
                        char *err, size_t errcap)
{
	memset(v, 0, sizeof(*v));
	int cb = count_type(base, o->type);
	int cp = cb >= 0 ? find_type(p, prof_str(base, base->type_type[cb]), "count") : -1;
	if (cp < 0) {
		snprintf(err, errcap, "a base profile has no count sample type %.64s",
		         cb >= 0 ? prof_str(base, base->type_type[cb]) : "");
		return DIFF_INCOMPATIBLE;
	}
	struct view_opts on = *o;
	on.type = cp;
	on.scale = 0;
	int rc = view_build(p, &on, false, v);
	return rc == 0 ? 0 : rc == VIEW_OVERFLOW ? DIFF_INCOMPATIBLE : -1;
}

void diff_views_in(const struct diff_views *d, struct diff_in *in)
{
	memset(in, 0, sizeof(*in));
	in->base = &d->base;
	in->target = &d->target;
	in->base_n = d->counts ? &d->base_n : NULL;
	in->target_n = d->counts ? &d->target_n : NULL;
	in->p0 = d->p0;
}

/* ---- the union tree ----------------------------------------------------------- */

/* Columns of the union tree: totals of the four views. */
enum { U_BASE, U_TARGET, U_BASE_N, U_TARGET_N, U_NCOLS };

static int64_t mag(int64_t x)
{
	return x >= 0 ? x : x == INT64_MIN ? INT64_MAX : -x;
}

/* "function_change" (parallel to the names shown) and "significant"
 * (parallel to the nodes shown): each function's verdict (verdict[key],
 * GATE_*), or nulls without counts. */
static void json_changes(const struct ntree *t, const struct ntree_walk *w, const int8_t *verdict, struct json *j)
{
	json_key(j, "function_change");
	json_arr_begin(j);
	if (verdict) {
		/* name_ix is per key; the names' order is the walk's */
		int8_t *by_ix = calloc((size_t)w->n_names + 1, 1);
		if (!by_ix) {
			j->out->oom = true;
			return;
		}
		for (uint32_t i = 1; i < w->n; i++) { /* the root's key is no name */
			uint32_t k = ntree_key(t, w->order[i]), ix = w->name_ix[k];
			if (ix != NTREE_NONE && ix < w->n_names)
				by_ix[ix] = verdict[k] == GATE_GREW ? 1 : verdict[k] == GATE_SHRANK ? -1 : 0;
		}
		for (uint32_t i = 0; i < w->n_names; i++)
			json_int(j, by_ix[i]);
		free(by_ix);
	} else {
		for (uint32_t i = 0; i < w->n_names; i++)
			json_null(j);
	}
	json_arr_end(j);
	json_key(j, "significant");
	json_arr_begin(j);
	for (uint32_t i = 0; i < w->n; i++) {
		if (!verdict)
			json_null(j);
		else
			json_bool(j, i > 0 && verdict[ntree_key(t, w->order[i])] != GATE_SAME);
	}
	json_arr_end(j);
}

int diff_tree_json(const struct diff_in *in, struct json *j)
{
	struct ntree_intern u;
	struct ntree t;
	struct ntree_walk w;
	memset(&u, 0, sizeof(u));
	memset(&t, 0, sizeof(t));
	memset(&w, 0, sizeof(w));
	int64_t *weight = NULL;
	int8_t *verdict = NULL;
	struct diff_verdict *dv = NULL;
	uint32_t ndv = 0;
	struct gate_result res;
	memset(&res, 0, sizeof(res));
	int rc = -1;
	bool counts = in->base_n && in->target_n;
	const struct view *src[U_NCOLS] = { in->base, in->target, in->base_n, in->target_n };
	if (ntree_intern_init(&u, 1024) < 0 || ntree_init(&t, U_NCOLS, NTREE_NONE, 1024) < 0)
		goto out;
	/* Each column adds one view, whose totals fit: a fold cannot overflow. */
	for (int c = 0; c < (counts ? U_NCOLS : U_BASE_N); c++) {
		struct ntree_names sn = prof_names(src[c]->p);
		if (ntree_fold(&t, &u, c, &src[c]->t, &sn, VIEW_TOT) != 0)
			goto out;
	}
	/* each function's verdict, by the tree's keys (the same names: the
	 * tops are of the same views) */
	int vr = counts ? diff_verdicts(in, &dv, &ndv, &res) : DIFF_NO_COUNTS;
	if (vr == -1)
		goto out;
	if (vr == 0) {
		for (uint32_t i = 0; i < ndv; i++)
			if (ntree_intern(&u, dv[i].name, dv[i].len) == NTREE_NONE)
				goto out;
		if (!(verdict = calloc((size_t)u.n + 1, 1)))
			goto out;
		for (uint32_t i = 0; i < ndv; i++)
			verdict[ntree_intern(&u, dv[i].name, dv[i].len)] = (int8_t)dv[i].verdict;
	}
	struct ntree_names names = ntree_intern_names(&u);
	if (ntree_finish(&t, &names, false) < 0 || !(weight = malloc(((size_t)t.n + 1) * sizeof(int64_t))))
		goto out;
	/* nodes with no weight on either side (filtered away) are not sent */
	for (uint32_t i = 0; i < t.n; i++) {
		int64_t b = mag(t.col[U_BASE][i]), g = mag(t.col[U_TARGET][i]);
		weight[i] = b > g ? b : g;
	}
	if (ntree_walk(&t, names.n, weight, in->max_nodes, &w) < 0)
		goto out;
	static const int cols[] = { U_BASE, U_TARGET };
	ntree_json(&t, &w, &names, "root", NULL, cols, 2, j);
	json_changes(&t, &w, verdict, j);
	diff_json_verdicts(in, vr == 0 ? &res : NULL, j);
	rc = j->out->oom ? -1 : 0;
out:
	free(verdict);
	free(dv);
	gate_result_release(&res);
	free(weight);
	ntree_walk_release(&w);
	ntree_release(&t);
	ntree_intern_release(&u);
	return rc;
}
