/*
 * gate.c: growth beyond sampling noise and the thresholds (see gate.h).
 */
#include "gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- distributions ---------------------------------------------------------- */

static double log_pmf(uint64_t k, uint64_t n, double p)
{
	int sg;
	return lgamma_r((double)n + 1, &sg) - lgamma_r((double)k + 1, &sg) - lgamma_r((double)(n - k) + 1, &sg) +
	       (double)k * log(p) + (double)(n - k) * log1p(-p);
}

/* Sum of pmf from k away from the mode (dir +1 up to n, -1 down to 0),
 * where the terms only fall; stops once they no longer count. */
static double tail(uint64_t k, uint64_t n, double p, int dir)
{
	double t = exp(log_pmf(k, n, p)), sum = 0, odds = p / (1 - p);
	uint64_t i = k;
	for (;;) {
		sum += t;
		if (t <= sum * 1e-17 || (dir > 0 ? i == n : i == 0))
			return sum;
		if (dir > 0) {
			t *= (double)(n - i) / (double)(i + 1) * odds;
			i++;
		} else {
			t *= (double)i / (double)(n - i + 1) / odds;
			i--;
		}
		if (t == 0)
			return sum;
	}
}

/* Poisson(lam): the sum of pmf from k away from the mode, as tail(). */
static double pois_tail(uint64_t k, double lam, int dir)
{
	int sg;
	double t = exp((double)k * log(lam) - lam - lgamma_r((double)k + 1, &sg)), sum = 0;
	uint64_t i = k;
	for (;;) {
		sum += t;
		if (t <= sum * 1e-17 || (dir < 0 && i == 0))
			return sum;
		if (dir > 0) {
			t *= lam / (double)(i + 1);
			i++;
		} else {
			t *= (double)i / lam;
			i--;
		}
		if (t == 0)
			return sum;
	}
}

/* P[Y >= k], Y ~ Poisson(lam) */
static double pois_sf(uint64_t k, double lam)
{
	if (k == 0)
		return 1;
	if (!(lam > 0))
		return 0;
	return (double)k > lam ? pois_tail(k, lam, 1) : 1 - pois_tail(k - 1, lam, -1);
}

/* x ln(x / m) + m - x without cancellation when x is near m: with
 * v = (x - m) / (x + m) it is (x - m) v + 2 x (v^3/3 + v^5/5 + ...). */
static double bd0(double x, double m)
{
	if (fabs(x - m) < 0.1 * (x + m)) {
		double v = (x - m) / (x + m), s = (x - m) * v, ej = 2 * x * v;
		for (int j = 1; j < 1000; j++) {
			ej *= v * v;
			double s1 = s + ej / (2 * j + 1);
			if (s1 == s)
				return s;
			s = s1;
		}
		return s;
	}
	return x * log(x / m) + m - x;
}

double gate_binom_sf(uint64_t k, uint64_t n, double p)
{
	if (k == 0)
		return 1;
	if (k > n || p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	double mean = (double)n * p, var = mean * (1 - p);
	if (var > 1e4) {
		/* P[X >= k] = P[X > k - 1/2]: the signed root of the deviance at
		 * x = k - 1/2 is very nearly standard normal */
		double x = (double)k - 0.5, nn = (double)n;
		if (x <= 0)
			return 1;
		double d = 2 * (bd0(x, mean) + bd0(nn - x, nn - mean));
		double z = sqrt(d > 0 ? d : 0);
		if (x < mean)
			z = -z;
		return 0.5 * erfc(z / sqrt(2.0));
	}
	double r;
	if (n > 1000000) {
		/* a small variance of a large n: p or 1 - p is tiny, and the
		 * binomial is Poisson (lgamma of n would lose the digits) */
		r = p <= 0.5 ? pois_sf(k, mean) : 1 - pois_sf(n - k + 1, (double)n * (1 - p));
	} else if ((double)k > mean)
		r = tail(k, n, p, 1);
	else
		r = 1 - tail(k - 1, n, p, -1);
	return r < 0 ? 0 : r > 1 ? 1 : r;
}

/* P[X <= k] */
static double binom_cdf(uint64_t k, uint64_t n, double p)
{
	return k >= n ? 1 : 1 - gate_binom_sf(k + 1, n, p);
}

/* Standard normal quantile, by bisection on erfc (only called a few times
 * a request). */
static double z_quantile(double q)
{
	if (!(q > 0))
		return -INFINITY;
	if (!(q < 1))
		return INFINITY;
	double lo = -40, hi = 40;
	for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
		double mid = (lo + hi) / 2;
		if (0.5 * erfc(-mid / sqrt(2.0)) < q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* ---- detectable change -------------------------------------------------------- */

double gate_samples_needed(double s, double g, uint32_t m, double alpha, double power)
{
	if (!(s > 0) || !(g > 0) || !(alpha > 0))
		return INFINITY;
	double z = z_quantile(1 - alpha / (m ? m : 1)) + z_quantile(power);
	return z * z * (2 + g) / (s * g * g);
}

/* The z of the conditional test for growth g at share s, counts at their
 * expectations. */
static double expected_z(double s, double nb, double nt, double p0, double g, bool shares)
{
	double a = s * nb;
	double b = shares ? s * (1 + g) * nt : a * (1 + g) * p0 / (1 - p0);
	double n = a + b;
	if (n <= 0)
		return 0;
	return (b - n * p0) / sqrt(n * p0 * (1 - p0));
}

static double detectable(double s, double nb, double nt, double p0, bool shares, uint32_t m, double alpha,
                         double power, double disp)
{
	if (!(s > 0) || !(nb > 0) || !(nt > 0) || !(p0 > 0 && p0 < 1) || !(alpha > 0))
		return INFINITY;
	/* the test divides z by the dispersion */
	double need = (z_quantile(1 - alpha / (m ? m : 1)) + z_quantile(power)) * (disp > 1 ? disp : 1);
	double hi = 1e4; /* +1,000,000% */
	if (expected_z(s, nb, nt, p0, hi, shares) < need)
		return INFINITY;
	double lo = 0;
	for (int i = 0; i < 200 && hi - lo > 1e-9; i++) {
		double mid = (lo + hi) / 2;
		if (expected_z(s, nb, nt, p0, mid, shares) >= need)
			hi = mid;
		else
			lo = mid;
	}
	return hi * 100;
}

double gate_detectable(double s, double nb, double nt, double p0, bool shares, uint32_t m, double alpha,
                       double power)
{
	return detectable(s, nb, nt, p0, shares, m, alpha, power, 1);
}

/* ---- the judgement ------------------------------------------------------------- */

/* Frames that say how a sample was taken, not where the time went: never
 * judged (docs/GATE.md). runtime.asyncPreempt is the frame a goroutine is
 * in when the preemption signal and the profiling signal arrive at the
 * same kernel tick; its share of same-code profiles swings from 1% to 40%
 * with the machine's load, and its samples are its caller's time. */
static const char *const artifacts[] = { "runtime.asyncPreempt" };

bool gate_is_artifact(const char *name, uint32_t len)
{
	for (size_t i = 0; i < sizeof(artifacts) / sizeof(artifacts[0]); i++)
		if (strlen(artifacts[i]) == len && !memcmp(artifacts[i], name, len))
			return true;
	return false;
}

struct holm_ctx {
	const struct gate_row *rows;
	bool up;
};

static int name_cmp(const struct gate_fn *x, const struct gate_fn *y)
{
	uint32_t l = x->len < y->len ? x->len : y->len;
	int r = l ? memcmp(x->name, y->name, l) : 0;
	return r ? r : (x->len < y->len ? -1 : x->len > y->len);
}

/* Holm: indices of the family sorted by p (p_up or p_down). */
static int cmp_p(const void *a, const void *b, void *arg)
{
	const struct holm_ctx *c = arg;
	const struct gate_row *x = &c->rows[*(const uint32_t *)a], *y = &c->rows[*(const uint32_t *)b];
	double px = c->up ? x->p_up : x->p_down, py = c->up ? y->p_up : y->p_down;
	if (px != py)
		return px < py ? -1 : 1;
	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

static void holm(struct gate_row *rows, uint32_t *idx, uint32_t m, bool up)
{
	struct holm_ctx c = { rows, up };
	qsort_r(idx, m, sizeof(*idx), cmp_p, &c);
	double run = 0;
	for (uint32_t i = 0; i < m; i++) {
		struct gate_row *r = &rows[idx[i]];
		double q = (double)(m - i) * (up ? r->p_up : r->p_down);
		if (q > 1)
			q = 1;
		if (q < run)
			q = run;
		run = q;
		if (up)
			r->q_up = q;
		else
			r->q_down = q;
	}
}

static int rank_of(const struct gate_row *r)
{
	return r->verdict == GATE_GREW ? 0 : r->verdict == GATE_SHRANK ? 1 : 2;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct gate_fn *fns = arg;
	const struct gate_row *x = a, *y = b;
	int rx = rank_of(x), ry = rank_of(y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	/* shrank: the largest lower bound of the share lost first */
	double kx = x->gained_lo, ky = y->gained_lo;
	if (rx == 1) {
		kx = -x->gained_pp - (x->gained_pp - x->gained_lo);
		ky = -y->gained_pp - (y->gained_pp - y->gained_lo);
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return name_cmp(&fns[x->fn], &fns[y->fn]);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The spread of the family's z-scores beyond sampling noise (an
 * "empirical null"): the median of |z| over 0.6745 (that of a standard
 * normal), the standard deviation of z were at least half the functions
 * unchanged; 1 when that is less or the family has fewer than
 * GATE_MIN_FAMILY functions; -1 out of memory. */
static double dispersion(const struct gate_row *rows, const uint32_t *idx, uint32_t m, double p0,
                         const struct gate_fn *fns)
{
	if (m < GATE_MIN_FAMILY)
		return 1;
	double *z = malloc((size_t)m * sizeof(*z));
	if (!z)
		return -1; /* out of memory: the caller fails */
	for (uint32_t i = 0; i < m; i++) {
		const struct gate_fn *f = &fns[rows[idx[i]].fn];
		double n = (double)f->base_n + (double)f->target_n;
		z[i] = fabs(((double)f->target_n - n * p0) / sqrt(n * p0 * (1 - p0)));
	}
	qsort(z, m, sizeof(*z), cmp_dbl);
	double at = (double)(m - 1) * 0.5;
	uint32_t k = (uint32_t)at;
	double q = z[k] + (k + 1 < m ? (at - k) * (z[k + 1] - z[k]) : 0);
	free(z);
	double s = q / 0.6744898;
	return s > 1 ? s : 1;
}

/* A one-sided p as its normal z, divided by s, and back. */
static double widen(double p, double s)
{
	if (!(p < 0.5))
		return p;
	double z = -z_quantile(p);
	return 0.5 * erfc(z / s / sqrt(2.0));
}

void gate_result_release(struct gate_result *res)
{
	free(res->rows);
	memset(res, 0, sizeof(*res));
}

int gate_judge(const struct gate_fn *fns, uint32_t n, const struct gate_totals *tot, const struct gate_opts *o,
               struct gate_result *res)
{
	memset(res, 0, sizeof(*res));
	res->rows = calloc((size_t)n + 1, sizeof(*res->rows));
	uint32_t *idx = malloc(((size_t)n + 1) * sizeof(*idx));
	if (!res->rows || !idx) {
		free(idx);
		gate_result_release(res);
		return -1;
	}
	res->n = n;
	double nb = tot->base_n > 0 ? (double)tot->base_n : 0, nt = tot->target_n > 0 ? (double)tot->target_n : 0;
	double vb = tot->base > 0 ? (double)tot->base : 0, vt = tot->target > 0 ? (double)tot->target : 0;
	double p0 = o->normalize ? (nb + nt > 0 ? nt / (nb + nt) : 0.5) : (o->p0 > 0 && o->p0 < 1 ? o->p0 : 0.5);
	res->p0 = p0;
	double g = o->max_growth_pct / 100, min_share = o->min_share_pct / 100;
	double floor_n = min_share * (nb + nt);
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct gate_fn *f = &fns[i];
		struct gate_row *r = &res->rows[i];
		r->fn = i;
		r->p_up = r->p_down = r->q_up = r->q_down = 1;
		r->share_before = vb > 0 ? 100 * (double)f->base_cum / vb : 0;
		r->share_after = vt > 0 ? 100 * (double)f->target_cum / vt : 0;
		/* the effect: the change of share (normalize), or of the amount
		 * as a share of the base's total, the target's amount counted at
		 * the base's time (1 - p0) / p0 */
		double a = f->base_n > 0 ? (double)f->base_n : 0, b = f->target_n > 0 ? (double)f->target_n : 0;
		double k = o->normalize ? 1 : (1 - p0) / p0, var;
		if (o->normalize) {
			r->gained_pp = r->share_after - r->share_before;
			r->growth_pct = r->share_before > 0 ? (r->share_after / r->share_before - 1) * 100
			              : r->share_after > 0 ? INFINITY : 0;
			var = (nb > 0 ? a / (nb * nb) : 0) + (nt > 0 ? b / (nt * nt) : 0);
		} else {
			r->gained_pp = vb > 0 ? 100 * ((double)f->target_cum * k - (double)f->base_cum) / vb : 0;
			r->growth_pct = f->base_cum > 0 ? ((double)f->target_cum * k / (double)f->base_cum - 1) * 100
			              : f->target_cum > 0 ? INFINITY : 0;
			var = nb > 0 ? (a + b * k * k) / (nb * nb) : 0;
		}
		/* its lower 95% bound, counts as Poisson */
		r->gained_lo = r->gained_pp - 1.959964 * 100 * sqrt(var);
		r->up = r->growth_pct > o->max_growth_pct && r->share_after >= o->min_share_pct;
		r->down = r->growth_pct < (1 / (1 + g) - 1) * 100 && r->share_before >= o->min_share_pct;
		if (gate_is_artifact(f->name, f->len)) {
			r->up = r->down = false;
			continue;
		}
		if (f->base_n < 0 || f->target_n < 0 || f->base_n + f->target_n <= 0 ||
		    (double)(f->base_n + f->target_n) < floor_n || nb <= 0 || nt <= 0)
			continue;
		uint64_t ua = (uint64_t)f->base_n, ub = (uint64_t)f->target_n;
		r->tested = true;
		r->p_up = gate_binom_sf(ub, ua + ub, p0);
		r->p_down = binom_cdf(ub, ua + ub, p0);
		idx[m++] = i;
	}
	res->tested = m;
	res->dispersion = dispersion(res->rows, idx, m, p0, fns);
	if (res->dispersion < 0) {
		free(idx);
		gate_result_release(res);
		return -1;
	}
	if (res->dispersion > 1) {
		/* overdispersed: each p to its z, shrunk by the spread, and back */
		for (uint32_t i = 0; i < m; i++) {
			struct gate_row *r = &res->rows[idx[i]];
			r->p_up = widen(r->p_up, res->dispersion);
			r->p_down = widen(r->p_down, res->dispersion);
		}
	}
	if (m) {
		holm(res->rows, idx, m, true);
		holm(res->rows, idx, m, false);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct gate_row *r = &res->rows[i];
		if (!r->tested)
			continue;
		if (r->up && r->q_up < o->alpha) {
			r->verdict = GATE_GREW;
			res->grew++;
		} else if (r->down && r->q_down < o->alpha) {
			r->verdict = GATE_SHRANK;
			res->shrank++;
		}
	}
	qsort_r(res->rows, n, sizeof(*res->rows), cmp_rows, (void *)fns);
	free(idx);

	res->detectable_share = min_share > 0.01 ? min_share : 0.01;
	res->detectable_pct = detectable(res->detectable_share, nb, nt, p0, o->normalize, m ? m : 1, o->alpha,
	                                 GATE_POWER, res->dispersion);
	res->samples_needed = g > 0 ? ceil(gate_samples_needed(res->detectable_share, g, m ? m : 1, o->alpha, GATE_POWER) *
	                                   res->dispersion * res->dispersion)
	                            : 0;
	res->too_small = !(res->detectable_pct <= o->max_growth_pct);
	return 0;
}

/* The p whose P[X >= b] (upper = false) or P[X <= b] (upper = true) is q. */
static double cp_bound(uint64_t b, uint64_t n, double q, bool upper)
{
	double lo = 0, hi = 1;
	for (int i = 0; i < 100 && hi - lo > 1e-13; i++) {
		double mid = (lo + hi) / 2;
		/* both tails move monotonically in p: sf rises, cdf falls */
		double v = upper ? binom_cdf(b, n, mid) : gate_binom_sf(b, n, mid);
		if (upper ? v > q : v < q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void gate_interval(const struct gate_fn *f, const struct gate_result *res, double *lo, double *hi)
{
	*lo = -100;
	*hi = INFINITY;
	if (f->base_n < 0 || f->target_n < 0 || f->base_n + f->target_n <= 0)
		return;
	uint64_t a = (uint64_t)f->base_n, b = (uint64_t)f->target_n, n = a + b;
	double p0 = res->p0, k = (1 - p0) / p0;
	if (b > 0) {
		double pl = cp_bound(b, n, 0.025, false);
		*lo = (pl / (1 - pl) * k - 1) * 100;
	}
	if (a > 0) {
		double pu = cp_bound(b, n, 0.025, true);
		*hi = pu >= 1 ? INFINITY : (pu / (1 - pu) * k - 1) * 100;
	}
}
