/*
 * leaks_judge.c: verdicts on leak candidates (see leaks_judge.h).
 */
#include "leaks_judge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* "3 goroutines blocked receiving from a channel", "1.5 MiB in use". */
static void fmt_amount(char *out, size_t cap, const struct leak_cand *c, double v)
{
	if (c->wk)
		leaks_kind_amount(c->wk, v, out, cap);
	else if (fabs(v) >= 1048576)
		snprintf(out, cap, "%.1f MiB in use", v / 1048576);
	else if (fabs(v) >= 1024)
		snprintf(out, cap, "%.1f KiB in use", v / 1024);
	else
		snprintf(out, cap, "%.0f B in use", v);
}

/* "250 ms", "3.5 s", "36 s", "12 min", "3.5 h", "2.1 days". */
static void fmt_span(char *out, size_t cap, double s)
{
	if (s < 1)
		snprintf(out, cap, "%.0f ms", s * 1000);
	else if (s < 10)
		snprintf(out, cap, "%.1f s", s);
	else if (s < 120)
		snprintf(out, cap, "%.0f s", s);
	else if (s < 7200)
		snprintf(out, cap, "%.0f min", s / 60);
	else if (s < 172800)
		snprintf(out, cap, "%.1f h", s / 3600);
	else
		snprintf(out, cap, "%.1f days", s / 86400);
}

/* "+5 goroutines a second", "+1.2 MiB an hour": per_s in the largest
 * unit of time in which it is at least 1 (a day at most). */
static void fmt_rate(char *out, size_t cap, double per_s, bool heap)
{
	static const struct { const char *name; double s; } unit[] = {
		{ "a second", 1 }, { "a minute", 60 }, { "an hour", 3600 }, { "a day", 86400 },
	};
	size_t u = 0;
	while (u + 1 < sizeof(unit) / sizeof(unit[0]) && fabs(per_s) * unit[u].s < 1)
		u++;
	double v = per_s * unit[u].s;
	const char *sign = v < 0 ? "-" : "+";
	v = fabs(v);
	/* 15300, 12.5, 2.5, 0.05: no exponents, two or three figures */
	char num[32];
	snprintf(num, sizeof(num), v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 0.01 ? "%.2g" : "%.4f", v);
	if (!heap)
		snprintf(out, cap, "%s%s goroutine%s %s", sign, num, !strcmp(num, "1") ? "" : "s", unit[u].name);
	else if (v >= 1048576)
		snprintf(out, cap, "%s%.1f MiB %s", sign, v / 1048576, unit[u].name);
	else if (v >= 1024)
		snprintf(out, cap, "%s%.1f KiB %s", sign, v / 1024, unit[u].name);
	else
		snprintf(out, cap, "%s%.0f B %s", sign, v, unit[u].name);
}

/* Ages of the last snapshot's goroutines, lower bounds: a goroutine seen
 * in snapshot i (from seg on) with M minutes blocked was born at least
 * t[n-1] - t[i] + 60 M seconds before the last snapshot. */
static int ages(struct leak_cand *c, const struct leak_series *s, int seg)
{
	const struct buf *lb = &c->gors[s->n - 1];
	size_t nl = lb->len / sizeof(struct leak_gor);
	const struct leak_gor *last = (const struct leak_gor *)lb->data;
	c->lifetime_s = 0;
	c->n_old = 0;
	if (!nl)
		return 0;
	double *age = malloc(nl * sizeof(double));
	if (!age)
		return -1;
	for (size_t k = 0; k < nl; k++)
		age[k] = 60.0 * (double)last[k].minutes;
	for (int i = seg; i < s->n - 1; i++) {
		const struct leak_gor *g = (const struct leak_gor *)c->gors[i].data;
		size_t ng = c->gors[i].len / sizeof(struct leak_gor), p = 0, q = 0;
		double since = s->t[s->n - 1] - s->t[i];
		while (p < ng && q < nl) {
			if (g[p].goid < last[q].goid) {
				p++;
			} else if (g[p].goid > last[q].goid) {
				q++;
			} else {
				double a = since + 60.0 * (double)g[p].minutes;
				if (a > age[q])
					age[q] = a;
				p++, q++;
			}
		}
	}
	for (size_t k = 0; k < nl; k++) {
		if (age[k] > c->lifetime_s)
			c->lifetime_s = age[k];
		if (age[k] >= s->o->min_age_s)
			c->n_old++;
	}
	free(age);
	return 0;
}

void leaks_judge_trend(struct leak_cand *c, const struct leak_series *s)
{
	const double *y = c->counts, *t = s->t;
	int n = s->n, seg = s->seg;
	/* A site that rose, fell sharply and rises again: a leak reset by a
	 * restart the totals did not show. Judge the trend after the reset. */
	c->reset = false;
	if (!s->heap) {
		int j = -1;
		for (int i = seg + 1; i < n; i++)
			if (y[i] <= 0.5 * y[i - 1] && y[i - 1] - y[i] >= 3)
				j = i;
		if (j > 0 && j - seg >= 3 && n - j >= 3) {
			double tau0, p0;
			stats_mann_kendall(y, seg, j, &tau0, &p0);
			if (tau0 >= 0.6 && y[j - 1] > y[seg]) {
				seg = j;
				c->reset = true;
			}
		}
	}
	c->seg_start = seg;
	if (c->gors && ages(c, s, seg) < 0)
		c->lifetime_s = 0, c->n_old = 0; /* out of memory: no ages, as for a proto */
	int m = n - seg;
	if (m < 2)
		return;
	c->slope_h = stats_theil_sen(t, y, seg, n) * 3600;
	stats_mann_kendall(y, seg, n, &c->tau, &c->mk_p);
	c->growth = y[n - 1] - y[seg];
	/* minimum keeps rising: the minimum of each later third exceeds the one before */
	int third = m / 3 > 0 ? m / 3 : 1;
	double mins[3] = { INFINITY, INFINITY, INFINITY };
	for (int i = seg; i < n; i++) {
		int k = (i - seg) / third;
		if (k > 2)
			k = 2;
		if (y[i] < mins[k])
			mins[k] = y[i];
	}
	c->min_rising = m >= 3 && mins[1] > mins[0] && mins[2] > mins[1];
	/* plateau: the second half grows far less than the first */
	int half = seg + m / 2;
	double s1 = stats_theil_sen(t, y, seg, half + 1), s2 = stats_theil_sen(t, y, half, n);
	c->plateau = m >= 4 && s1 > 0 && s2 <= 0.15 * s1;
}

void leaks_judge_shares(struct leak_cand *cands, int n)
{
	double grew = 0;
	for (int i = 0; i < n; i++)
		if (cands[i].growth > 0)
			grew += cands[i].growth;
	for (int i = 0; i < n; i++)
		cands[i].share = cands[i].growth > 0 ? cands[i].growth / grew : 0;
}

/* ", the oldest 36 s old, 60 of them older than 30 s" (text dumps). */
static void age_words(char *out, size_t cap, const struct leak_cand *c, const struct leak_series *s, bool old)
{
	char a[32], b[32];
	out[0] = '\0';
	if (!s->text || c->lifetime_s <= 0)
		return;
	fmt_span(a, sizeof(a), c->lifetime_s);
	fmt_span(b, sizeof(b), s->o->min_age_s);
	if (old)
		snprintf(out, cap, ", the oldest %s old, %ld of them at least %s old", a, c->n_old, b);
	else
		snprintf(out, cap, ", the oldest %s old", a);
}

void leaks_judge_verdict(struct leak_cand *c, const struct leak_series *s)
{
	int n = s->n, seg = c->seg_start, m = n - seg;
	const struct leak_opts *o = s->o;
	double now = c->counts[n - 1];
	double w = c->wk ? c->wk->weight : 1.0;
	const char *at = c->at ? c->at : "?";
	char amt[160], ages_txt[128], span[32];
	fmt_amount(amt, sizeof(amt), c, now);
	fmt_span(span, sizeof(span), m >= 2 ? s->t[n - 1] - s->t[seg] : 0);
	bool old = s->text && w >= 0.8 && c->n_old >= o->min_count && c->n_old > 0;
	age_words(ages_txt, sizeof(ages_txt), c, s, old);

	if (c->confirmed) {
		c->leak = true;
		c->score = 1e6 + now;
		snprintf(c->reason, sizeof(c->reason),
		         "%s at %s, reported leaked by Go's goroutineleak profile (unreachable, can never wake)", amt, at);
		return;
	}
	if (m < 2) {
		/* One snapshot: rank by suspicious goroutines (LeakProf). */
		c->score = w * now;
		c->leak = c->wk && w >= 0.8 && (old || now >= (double)o->single_min_count);
		if (!c->wk)
			snprintf(c->reason, sizeof(c->reason), "%s at %s (one snapshot: upload a series to see growth)", amt, at);
		else if (c->leak)
			snprintf(c->reason, sizeof(c->reason), "%s at %s%s%s", amt, at, ages_txt,
			         old ? "" : ", far above what a healthy service parks at one site");
		else
			snprintf(c->reason, sizeof(c->reason), "%s at %s%s (one snapshot: upload a series to see a trend)", amt,
			         at, ages_txt);
		return;
	}
	bool never_down = true;
	for (int i = seg + 1; i < n; i++)
		if (c->counts[i] < c->counts[i - 1])
			never_down = false;
	bool trend = c->tau >= 0.6 && c->mk_p < 0.05 && c->slope_h > 0 && c->growth > 0;
	bool big = c->wk ? c->growth >= 3 : (c->share >= 0.05 || c->growth >= 1048576);
	c->leak = (w >= 0.5 && trend && big && !c->plateau) || old;
	double tp = c->tau > 0 ? c->tau : 0;
	c->score = w * ((c->growth > 0 ? c->growth : 0) * tp * (c->plateau ? 0.1 : 1) + 0.01 * now);
	if (!c->wk)
		c->score /= 1024; /* KiB */
	if (c->leak && c->score <= 0)
		c->score = 0.001;
	char rate[96];
	fmt_rate(rate, sizeof(rate), c->slope_h / 3600, !c->wk);
	if (c->leak) {
		snprintf(c->reason, sizeof(c->reason), "%s for %s (%d snapshots)%s%s: %s at %s%s", rate, span, m,
		         never_down ? ", never decreasing" : (c->min_rising ? ", minimum keeps rising" : ""),
		         c->share >= 0.5 ? ", most of the total growth" : "", amt, at, ages_txt);
	} else if (c->plateau) {
		snprintf(c->reason, sizeof(c->reason), "grew then levelled off (a pool or cache warming up): %s at %s", amt, at);
	} else if (c->growth <= 0) {
		snprintf(c->reason, sizeof(c->reason), "no growth over %s (%d snapshots): %s at %s%s", span, m, amt, at,
		         ages_txt);
	} else if (c->wk && w < 0.5) {
		snprintf(c->reason, sizeof(c->reason), "growing, but %s: %s at %s", c->wk->usual, amt, at);
	} else {
		snprintf(c->reason, sizeof(c->reason), "no steady growth (trend tau %.2f): %s at %s", c->tau, amt, at);
	}
	size_t l = strlen(c->reason);
	if (seg > 0)
		l += (size_t)snprintf(c->reason + l, sizeof(c->reason) - l, c->reset
		         ? "; it had risen before, fell at snapshot %d (a restart?) and rises again"
		         : "; trend measured after a restart at snapshot %d", seg + 1);
	if (s->upload_times && l < sizeof(c->reason))
		snprintf(c->reason + l, sizeof(c->reason) - l,
		         "; some times are upload times, not capture times, so rates and ages are as the uploads were paced");
}
