/*
 * diff_top.c: per-function deltas of a diff and the CI gate (see diff.h).
 *
 * Both top tables (view_top) are joined by function name, so the deltas
 * are exactly what go tool pprof -top -diff_base prints; the count views'
 * tops join them too, and gate.c judges the joined rows.
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
	int64_t bn, tn; /* cum of the count views */
	int verdict;    /* GATE_*, set by judge() */
	double q;       /* Holm-adjusted p of the row's direction */
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

/* Per-function base and target flat/cum (and cum counts) over the union
 * of the tops. Returns the rows (malloc'd, names point into the profiles)
 * and their number in *n, or NULL. */
static struct drow *diff_rows(const struct diff_in *in, uint32_t *n, int64_t **runs_out)
{
	enum { NS = 4 + GATE_MAX_RUNS };
	const struct view *src[NS] = { in->base, in->target, in->base_n, in->target_n };
	int nsrc = in->base_n && in->target_n ? 4 : 2;
	uint32_t k = nsrc == 4 && runs_out && in->runs_n && in->n_runs <= GATE_MAX_RUNS ? in->n_runs : 0;
	for (uint32_t j = 0; j < k; j++)
		src[nsrc++] = &in->runs_n[j];
	struct top_row *tops[NS];
	uint32_t cnt[NS];
	memset(tops, 0, sizeof(tops));
	memset(cnt, 0, sizeof(cnt));
	size_t sum = 0;
	struct ntree_intern u;
	memset(&u, 0, sizeof(u));
	struct drow *rows = NULL;
	int64_t *rn = NULL;
	if (runs_out)
		*runs_out = NULL;
	bool ok = false;
	for (int s = 0; s < nsrc; s++) {
		if (!(tops[s] = view_top(src[s], &cnt[s])))
			goto out;
		sum += cnt[s];
	}
	if (ntree_intern_init(&u, sum) < 0)
		goto out;
	rows = calloc(sum + 1, sizeof(*rows));
	if (!rows)
		goto out;
	if (k && !(rn = calloc((sum + 1) * k, sizeof(*rn))))
		goto out;
	for (int side = 0; side < nsrc; side++) {
		const struct view *v = src[side];
		struct top_row *r = tops[side];
		for (uint32_t i = 0; i < cnt[side]; i++) {
			const char *s = prof_str(v->p, r[i].key);
			uint32_t len = prof_strlen(v->p, r[i].key);
			uint32_t ix = ntree_intern(&u, s, len);
			if (ix == NTREE_NONE)
				goto out;
			rows[ix].name = s;
			rows[ix].len = len;
			switch (side) {
			case 0:
				rows[ix].bf += r[i].flat;
				rows[ix].bc += r[i].cum;
				break;
			case 1:
				rows[ix].tf += r[i].flat;
				rows[ix].tc += r[i].cum;
				break;
			case 2:
				rows[ix].bn += r[i].cum;
				break;
			case 3:
				rows[ix].tn += r[i].cum;
				break;
			default: /* a base run's counts */
				rn[(size_t)ix * k + (size_t)(side - 4)] += r[i].cum;
				break;
			}
		}
	}
	*n = u.n;
	ok = true;
	if (runs_out)
		*runs_out = rn;
out:
	for (int s = 0; s < nsrc; s++)
		free(tops[s]);
	ntree_intern_release(&u);
	if (!ok) {
		free(rows);
		free(rn);
		rows = NULL;
	}
	return rows;
}

/* The gate's judgement of the rows (gate.h): fills each row's verdict and
 * q, and returns the gate's input (malloc'd) and result in *fns and res
 * for the check's details. 0; -1 out of memory; DIFF_NO_COUNTS. */
static int judge(const struct diff_in *in, struct drow *rows, uint32_t n, const int64_t *rn, struct gate_fn **fns_out,
                 struct gate_result *res)
{
	memset(res, 0, sizeof(*res));
	if (fns_out)
		*fns_out = NULL;
	if (!in->base_n || !in->target_n)
		return DIFF_NO_COUNTS;
	struct gate_fn *fns = calloc((size_t)n + 1, sizeof(*fns));
	if (!fns)
		return -1;
	uint32_t k = rn ? in->n_runs : 0;
	for (uint32_t i = 0; i < n; i++)
		fns[i] = (struct gate_fn){ rows[i].name, rows[i].len, rows[i].bc, rows[i].tc, rows[i].bn, rows[i].tn,
			                   k ? rn + (size_t)i * k : NULL };
	int64_t run_total[GATE_MAX_RUNS];
	for (uint32_t j = 0; j < k; j++)
		run_total[j] = in->runs_n[j].total;
	struct gate_totals tot = { in->base->total, in->target->total, in->base_n->total, in->target_n->total, k,
		                   k ? run_total : NULL };
	struct gate_opts o = in->gate;
	o.p0 = in->p0;
	if (gate_judge(fns, n, &tot, &o, res) < 0) {
		free(fns);
		return -1;
	}
	for (uint32_t i = 0; i < res->n; i++) {
		const struct gate_row *g = &res->rows[i];
		struct drow *r = &rows[g->fn];
		r->verdict = g->verdict;
		r->q = g->verdict == GATE_SHRANK || (g->verdict == GATE_SAME && g->gained_pp < 0) ? g->q_down : g->q_up;
	}
	if (fns_out)
		*fns_out = fns;
	else
		free(fns);
	return 0;
}

/* A number people read: v with at most nd decimals (null when not finite). */
static void json_round(struct json *j, double v, int nd)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	char t[64];
	snprintf(t, sizeof(t), "%.*f", nd, v);
	/* no "-0" */
	json_raw(j, strspn(t, "-0.") == strlen(t) ? "0" : t);
}

/* A p-value: three significant digits. */
static void json_p(struct json *j, double p)
{
	char t[64];
	snprintf(t, sizeof(t), "%.3g", p > 0 ? p : 0);
	json_raw(j, t);
}

static const char *verdict_name(int v)
{
	return v == GATE_GREW ? "grew" : v == GATE_SHRANK ? "shrank" : "same";
}

int diff_top_json(const struct diff_in *in, struct json *j)
{
	uint32_t n = 0;
	int64_t *rn = NULL;
	struct drow *rows = diff_rows(in, &n, &rn);
	if (!rows)
		return -1;
	struct gate_result res;
	int jr = judge(in, rows, n, rn, NULL, &res);
	free(rn);
	if (jr == -1) {
		free(rows);
		return -1;
	}
	bool judged = jr == 0;
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
		json_key(j, "change");
		if (judged)
			json_str(j, verdict_name(rows[i].verdict));
		else
			json_null(j);
		json_key(j, "p_adjusted");
		if (judged)
			json_p(j, rows[i].q);
		else
			json_null(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "count");
	json_uint(j, n);
	diff_json_verdicts(in, judged ? &res : NULL, j);
	gate_result_release(&res);
	free(rows);
	return j->out->oom ? -1 : 0;
}

void diff_json_verdicts(const struct diff_in *in, const struct gate_result *res, struct json *j)
{
	json_key(j, "grew");
	if (res)
		json_uint(j, res->grew);
	else
		json_null(j);
	json_key(j, "shrank");
	if (res)
		json_uint(j, res->shrank);
	else
		json_null(j);
	json_key(j, "functions_tested");
	if (res)
		json_uint(j, res->tested);
	else
		json_null(j);
	json_key(j, "alpha");
	json_double(j, in->gate.alpha);
	json_key(j, "max_growth_pct");
	json_double(j, in->gate.max_growth_pct);
	json_key(j, "min_share_pct");
	json_double(j, in->gate.min_share_pct);
}

int diff_verdicts(const struct diff_in *in, struct diff_verdict **out, uint32_t *n_out, struct gate_result *res)
{
	*out = NULL;
	*n_out = 0;
	uint32_t n = 0;
	int64_t *rn = NULL;
	struct drow *rows = diff_rows(in, &n, &rn);
	if (!rows)
		return -1;
	int rc = judge(in, rows, n, rn, NULL, res);
	free(rn);
	if (rc != 0) {
		free(rows);
		return rc;
	}
	struct diff_verdict *v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		free(rows);
		gate_result_release(res);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		v[i] = (struct diff_verdict){ rows[i].name, rows[i].len, rows[i].verdict };
	free(rows);
	*out = v;
	*n_out = n;
	return 0;
}

/* ---- CI check ------------------------------------------------------------------ */

/* One row of the check: evidence and effect. */
static void check_row(struct json *j, const struct gate_fn *f, const struct gate_row *g, const struct gate_result *res)
{
	json_obj_begin(j);
	json_key(j, "function");
	json_strn(j, f->name, f->len);
	json_key(j, "base_cum");
	json_int(j, f->base_cum);
	json_key(j, "target_cum");
	json_int(j, f->target_cum);
	json_key(j, "base_count");
	json_int(j, f->base_n);
	json_key(j, "target_count");
	json_int(j, f->target_n);
	json_key(j, "share_before_pct");
	json_round(j, g->share_before, 2);
	json_key(j, "share_after_pct");
	json_round(j, g->share_after, 2);
	json_key(j, "share_gained_pp");
	json_round(j, g->gained_pp, 2);
	json_key(j, "growth_pct");
	json_round(j, g->growth_pct, 4); /* null when new; 4 decimals, as percentages people read */
	double lo, hi;
	gate_row_interval(f, g, res, &lo, &hi);
	json_key(j, "growth_ci_pct");
	json_arr_begin(j);
	json_round(j, lo, 4);
	json_round(j, hi, 4); /* null: unbounded (new) */
	json_arr_end(j);
	/* null when not tested (under min_share of both profiles together) */
	json_key(j, "p_value");
	if (g->tested)
		json_p(j, g->p_up);
	else
		json_null(j);
	json_key(j, "p_adjusted");
	if (g->tested)
		json_p(j, g->q_up);
	else
		json_null(j);
	/* the run-to-run test's statistic and degrees of freedom (null
	 * without base runs or untested; df null: the normal) */
	bool rt = res->runs && g->tested && g->se > 0;
	json_key(j, "t");
	if (rt)
		json_round(j, g->log_ratio / g->se, 3);
	else
		json_null(j);
	json_key(j, "df");
	if (rt && g->df < GATE_DF_POOLED)
		json_round(j, g->df, 2);
	else
		json_null(j);
	json_obj_end(j);
}

int diff_check_json(const struct diff_in *in, struct json *j, char *summary, size_t cap)
{
	uint32_t n = 0;
	int64_t *rn = NULL;
	struct drow *rows = diff_rows(in, &n, &rn);
	if (!rows)
		return -1;
	struct gate_fn *fns = NULL;
	struct gate_result res;
	int rc = judge(in, rows, n, rn, &fns, &res);
	free(rows);
	free(rn);
	for (uint32_t i = 0; rc == 0 && i < n; i++)
		fns[i].run_n = NULL; /* freed: the rows' details need none */
	if (rc != 0)
		return rc;
	const struct gate_opts *o = &in->gate;
	size_t sl = 0;
	summary[0] = '\0';
	json_key(j, "count_type");
	json_str(j, prof_str(in->base_n->p, in->base_n->p->type_type[in->base_n->type]));
	json_key(j, "base_count_total");
	json_int(j, in->base_n->total);
	json_key(j, "target_count_total");
	json_int(j, in->target_n->total);
	json_key(j, "test");
	json_str(j, res.runs ? "moderated t of log shares against the base runs' spread (empirical Bayes), one-sided, "
	                       "Holm across functions"
	            : o->normalize ? "conditional binomial of counts, share compared, one-sided, Holm across functions"
	                           : "conditional binomial of counts, amount compared, one-sided, Holm across functions");
	json_key(j, "p0");
	json_double(j, res.p0);
	json_key(j, "dispersion");
	json_round(j, res.dispersion, 3);
	json_key(j, "base_runs");
	json_uint(j, res.runs ? res.runs : 1);
	/* the run-to-run test's pooled spread: null without base runs */
	json_key(j, "run_spread");
	if (res.runs) {
		json_obj_begin(j);
		json_key(j, "share_sd_pct");
		json_round(j, expm1(res.spread_sd) * 100, 2);
		json_key(j, "prior_df");
		if (res.spread_df >= GATE_DF_POOLED)
			json_null(j); /* every function's spread is the pooled one */
		else
			json_round(j, res.spread_df, 2);
		json_obj_end(j);
	} else
		json_null(j);
	diff_json_verdicts(in, &res, j);
	json_key(j, "regressions");
	json_arr_begin(j);
	for (uint32_t i = 0; i < res.n && res.rows[i].verdict == GATE_GREW; i++) {
		const struct gate_row *g = &res.rows[i];
		const struct gate_fn *f = &fns[g->fn];
		check_row(j, f, g, &res);
		if (sl + 64 < cap) {
			int nl = (int)(f->len > 80 ? 80 : f->len);
			int w = isfinite(g->growth_pct)
				? snprintf(summary + sl, cap - sl, "%s%.*s (+%.0f%%)", sl ? ", " : "", nl, f->name, g->growth_pct)
				: snprintf(summary + sl, cap - sl, "%s%.*s (new)", sl ? ", " : "", nl, f->name);
			if (w > 0)
				sl += (size_t)w < cap - sl ? (size_t)w : cap - sl - 1;
		}
	}
	json_arr_end(j);
	/* beyond the thresholds, but within noise: what a threshold-only gate
	 * would have failed on */
	json_key(j, "within_noise");
	json_arr_begin(j);
	int shown = 0;
	for (uint32_t i = 0; i < res.n && shown < 10; i++) {
		const struct gate_row *g = &res.rows[i];
		if (g->verdict != GATE_SAME || !g->up)
			continue;
		check_row(j, &fns[g->fn], g, &res);
		shown++;
	}
	json_arr_end(j);
	json_key(j, "detectable");
	json_obj_begin(j);
	json_key(j, "share_pct");
	json_round(j, res.detectable_share * 100, 2);
	json_key(j, "growth_pct");
	json_round(j, res.detectable_pct, 1);
	json_key(j, "power");
	json_double(j, GATE_POWER);
	json_key(j, "samples_needed");
	json_round(j, res.samples_needed, 0);
	json_obj_end(j);
	json_key(j, "warnings");
	json_arr_begin(j);
	if (res.too_small && res.runs) {
		/* the run-to-run test: the spread, the target's counts and the
		 * number of runs decide */
		const char *cn = prof_str(in->base_n->p, in->base_n->p->type_type[in->base_n->type]);
		char msg[640];
		char need[160];
		if (isfinite(res.samples_needed))
			snprintf(need, sizeof(need), "growth of %g%% needs about %.0f %s in each profile", o->max_growth_pct,
			         res.samples_needed, cn);
		else
			snprintf(need, sizeof(need),
			         "no number of samples finds growth of %g%% against this spread: it is the runs that vary",
			         o->max_growth_pct);
		if (isfinite(res.detectable_pct))
			snprintf(msg, sizeof(msg),
			         "the profiles are too small or too noisy to judge growth of %g%%: with %u base runs of "
			         "about %.0f %s, %lld in the target, and shares varying by %.1f%% from run to run, a function "
			         "holding %g%% must grow by %.0f%% to be caught %.0f%% of the time; %s",
			         o->max_growth_pct, res.runs, (double)in->base_n->total / res.runs, cn,
			         (long long)in->target_n->total, expm1(res.spread_sd) * 100, res.detectable_share * 100,
			         res.detectable_pct, GATE_POWER * 100, need);
		else
			snprintf(msg, sizeof(msg),
			         "the profiles are too small or too noisy to judge: %u base runs of about %.0f %s, %lld in "
			         "the target, shares varying by %.1f%% from run to run",
			         res.runs, (double)in->base_n->total / res.runs, cn, (long long)in->target_n->total,
			         expm1(res.spread_sd) * 100);
		json_obj_begin(j);
		json_key(j, "code");
		json_str(j, "too_few_samples");
		json_key(j, "message");
		json_str(j, msg);
		json_obj_end(j);
	} else if (res.too_small) {
		char msg[512];
		if (isfinite(res.detectable_pct))
			snprintf(msg, sizeof(msg),
			         "the profiles are too small to judge growth of %g%%: with %lld and %lld %s, a function holding "
			         "%g%% must grow by %.0f%% to be caught %.0f%% of the time; growth of %g%% needs about %.0f "
			         "%s in each profile",
			         o->max_growth_pct, (long long)in->base_n->total, (long long)in->target_n->total,
			         prof_str(in->base_n->p, in->base_n->p->type_type[in->base_n->type]), res.detectable_share * 100,
			         res.detectable_pct, GATE_POWER * 100, o->max_growth_pct, res.samples_needed,
			         prof_str(in->base_n->p, in->base_n->p->type_type[in->base_n->type]));
		else
			snprintf(msg, sizeof(msg), "the profiles are too small to judge: %lld and %lld %s",
			         (long long)in->base_n->total, (long long)in->target_n->total,
			         prof_str(in->base_n->p, in->base_n->p->type_type[in->base_n->type]));
		json_obj_begin(j);
		json_key(j, "code");
		json_str(j, "too_few_samples");
		json_key(j, "message");
		json_str(j, msg);
		json_obj_end(j);
	}
	json_arr_end(j);
	int found = (int)res.grew;
	gate_result_release(&res);
	free(fns);
	return j->out->oom ? -1 : found;
}
