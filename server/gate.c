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

/* ---- the run-to-run test -------------------------------------------------------- */

/* Trigamma, psi'(x) for x > 0: the recurrence up to 6, then the
 * asymptotic series. */
static double trigamma(double x)
{
	double s = 0;
	while (x < 6) {
		s += 1 / (x * x);
		x += 1;
	}
	double x2 = 1 / (x * x);
	return s + 1 / x + x2 / 2 + x2 / x * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 / 30)));
}

/* The y with trigamma(y) = v (v > 0): trigamma falls from +inf to 0, so
 * bisection on log y. */
static double trigamma_inv(double v)
{
	double lo = log(1e-8), hi = log(1e12);
	for (int i = 0; i < 200 && hi - lo > 1e-10; i++) {
		double mid = (lo + hi) / 2;
		if (trigamma(exp(mid)) > v)
			lo = mid;
		else
			hi = mid;
	}
	return exp((lo + hi) / 2);
}

/* The continued fraction of the regularized incomplete beta I_x(a, b)
 * (modified Lentz), for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1);
	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	double h = d;
	for (int m = 1; m < 10000; m++) {
		double m2 = 2.0 * m;
		double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + num * d;
		c = 1 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + num * d;
		c = 1 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return h;
}

/* I_x(a, b) */
static double beta_inc(double a, double b, double x)
{
	if (!(x > 0))
		return 0;
	if (!(x < 1))
		return 1;
	int sg;
	double lf = lgamma_r(a + b, &sg) - lgamma_r(a, &sg) - lgamma_r(b, &sg) + a * log(x) + b * log1p(-x);
	if (x < (a + 1) / (a + b + 2))
		return exp(lf) * beta_cf(a, b, x) / a;
	return 1 - exp(lf) * beta_cf(b, a, 1 - x) / b;
}

double gate_t_sf(double t, double df)
{
	if (isnan(t))
		return 1;
	if (df >= GATE_DF_POOLED)
		return 0.5 * erfc(t / sqrt(2.0));
	double x = df / (df + t * t), half = 0.5 * beta_inc(df / 2, 0.5, x);
	return t > 0 ? half : 1 - half;
}

/* The t with P[T >= t] = q (0 < q < 1), by bisection. */
static double t_quantile_up(double q, double df)
{
	double lo = -1e6, hi = 1e6;
	for (int i = 0; i < 300 && hi - lo > 1e-10 * (1 + fabs(lo)); i++) {
		double mid = (lo + hi) / 2;
		if (gate_t_sf(mid, df) > q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* The sampling variance of the log of a share s from a count a: the
 * binomial's (1 - s) / a, with 1 - s at least 1% (a caller near 100% is
 * not given a zero variance) and half a sample added (a = 0). */
static double log_share_var(double a, double total)
{
	double s = total > 0 ? a / total : 0, q = 1 - s;
	return (q > 0.01 ? q : 0.01) / (a + 0.5);
}

static double log_share(double a, double total)
{
	return log((a + 0.5) / (total + 0.5));
}

/* The moderated t of every tested function against k base runs (see
 * gate.h): fills p_up, p_down, log_ratio, se, df of each row in idx, and
 * res's spread. 0, or -1 out of memory. */
static int spread_test(struct gate_result *res, const uint32_t *idx, uint32_t m, const struct gate_fn *fns,
                       const struct gate_totals *tot)
{
	uint32_t k = tot->runs;
	double nt = (double)tot->target_n;
	res->runs = k;
	res->spread_sd = 0;
	res->spread_df = GATE_DF_POOLED;
	if (!m)
		return 0;
	/* per function: the runs' mean log share, V, its sampling part */
	double *mean = malloc((size_t)m * 3 * sizeof(double));
	if (!mean)
		return -1;
	double *v = mean + m, *sv = v + m;
	double d1 = (double)k - 1, excess = 0;
	for (uint32_t i = 0; i < m; i++) {
		const struct gate_fn *f = &fns[res->rows[idx[i]].fn];
		double s = 0, ss = 0, smp = 0;
		for (uint32_t j = 0; j < k; j++) {
			double a = f->run_n[j] > 0 ? (double)f->run_n[j] : 0, n = (double)tot->run_total[j];
			s += log_share(a, n);
			smp += log_share_var(a, n);
		}
		mean[i] = s / k;
		for (uint32_t j = 0; j < k; j++) {
			double a = f->run_n[j] > 0 ? (double)f->run_n[j] : 0, n = (double)tot->run_total[j];
			double e = log_share(a, n) - mean[i];
			ss += e * e;
		}
		v[i] = ss / d1;
		sv[i] = smp / k;
		excess += v[i] - sv[i];
	}
	/* the prior: tau0^2, the mean excess over sampling (unbiased for the
	 * functions' mean tau^2), and d0 from the spread of log(V / prior)
	 * beyond trigamma(d1 / 2), V's own (limma's fitFDist, with the prior's
	 * scale by moments) */
	double tau0 = excess / m > 0 ? excess / m : 0;
	double d0 = GATE_DF_POOLED;
	if (m >= 3) {
		double el = 0, el2 = 0;
		uint32_t used = 0;
		for (uint32_t i = 0; i < m; i++) {
			if (!(v[i] > 0))
				continue;
			double e = log(v[i] / (tau0 + sv[i]));
			el += e;
			el2 += e * e;
			used++;
		}
		if (used >= 3) {
			double mu = el / used, var = (el2 - used * mu * mu) / (used - 1);
			double extra = var - trigamma(d1 / 2);
			if (extra > 0) {
				d0 = 2 * trigamma_inv(extra);
				if (d0 > GATE_DF_POOLED)
					d0 = GATE_DF_POOLED;
			}
		}
	}
	res->spread_sd = sqrt(tau0);
	res->spread_df = d0;
	for (uint32_t i = 0; i < m; i++) {
		struct gate_row *r = &res->rows[idx[i]];
		const struct gate_fn *f = &fns[r->fn];
		double prior = tau0 + sv[i];
		double vv = d0 >= GATE_DF_POOLED ? prior : (d0 * prior + d1 * v[i]) / (d0 + d1);
		double tau = vv - sv[i] > 0 ? vv - sv[i] : 0;
		double b = f->target_n > 0 ? (double)f->target_n : 0;
		double se2 = tau + log_share_var(b, nt) + vv / k;
		r->log_ratio = log_share(b, nt) - mean[i];
		r->se = sqrt(se2);
		r->df = d0 >= GATE_DF_POOLED ? GATE_DF_POOLED : d0 + d1;
		double t = r->log_ratio / r->se;
		r->p_up = gate_t_sf(t, r->df);
		r->p_down = gate_t_sf(-t, r->df);
	}
	free(mean);
	return 0;
}

/* Growth (percent) at share s that k base runs of nb counts each and a
 * target of nt find power of the time at one-sided alpha / m, with
 * run-to-run spread tau (sd of a log share) and df: the smallest g with
 * log(1 + g) >= (t_{alpha/m} + z_power) se(g); +inf when none. */
static double detectable_runs(double s, double nb, double nt, uint32_t k, double tau, double df, uint32_t m,
                              double alpha, double power)
{
	if (!(s > 0) || !(nb > 0) || !(nt > 0) || k < 1 || !(alpha > 0))
		return INFINITY;
	double need = t_quantile_up(alpha / (m ? m : 1), df) + z_quantile(power);
	double lo = 0, hi = 1e4, g;
	/* se(g) falls as g rises (the target's count grows): bisection on
	 * the margin log(1 + g) - need se(g), which rises */
#define MARGIN(g) (log1p(g) - need * sqrt(tau * tau * (1 + 1.0 / k) + log_share_var(s * (1 + (g)) * nt, nt) + \
	                                    log_share_var(s * nb, nb) / k))
	if (MARGIN(hi) < 0)
		return INFINITY;
	for (int i = 0; i < 200 && hi - lo > 1e-9; i++) {
		g = (lo + hi) / 2;
		if (MARGIN(g) >= 0)
			hi = g;
		else
			lo = g;
	}
#undef MARGIN
	return hi * 100;
}

/* Counts each profile (k base runs and the target) needs for growth g at
 * share s to be found power of the time: from log(1 + g)^2 / need^2 =
 * tau^2 (1 + 1/k) + (1 - s) (1 / (s (1 + g)) + 1 / (s k)) / N; +inf when the
 * spread alone is too wide (more runs would not do: the target's own run
 * varies by tau). */
static double samples_needed_runs(double s, double g, uint32_t k, double tau, double df, uint32_t m, double alpha,
                                  double power)
{
	if (!(s > 0) || !(g > 0) || k < 1 || !(alpha > 0))
		return INFINITY;
	double need = t_quantile_up(alpha / (m ? m : 1), df) + z_quantile(power);
	double room = log1p(g) * log1p(g) / (need * need) - tau * tau * (1 + 1.0 / k);
	if (!(room > 0))
		return INFINITY;
	double q = 1 - s > 0.01 ? 1 - s : 0.01;
	return q * (1 / (s * (1 + g)) + 1 / (s * k)) / room;
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
	bool runs = o->normalize && tot->runs >= GATE_MIN_RUNS && tot->run_total;
	for (uint32_t j = 0; runs && j < tot->runs; j++)
		runs = tot->run_total[j] > 0;
	for (uint32_t i = 0; runs && i < m; i++)
		runs = fns[res->rows[idx[i]].fn].run_n != NULL;
	if (res->dispersion < 0 || (runs && spread_test(res, idx, m, fns, tot) < 0)) {
		free(idx);
		gate_result_release(res);
		return -1;
	}
	if (!runs && res->dispersion > 1) {
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
	if (runs) {
		/* a base run's counts: the merged base's over the runs */
		double df = res->spread_df >= GATE_DF_POOLED ? GATE_DF_POOLED : res->spread_df + tot->runs - 1;
		res->detectable_pct = detectable_runs(res->detectable_share, nb / tot->runs, nt, tot->runs, res->spread_sd, df,
		                                      m ? m : 1, o->alpha, GATE_POWER);
		double need = g > 0 ? samples_needed_runs(res->detectable_share, g, tot->runs, res->spread_sd, df, m ? m : 1,
		                                          o->alpha, GATE_POWER)
		                    : 0;
		res->samples_needed = isfinite(need) ? ceil(need) : INFINITY;
	} else {
		res->detectable_pct = detectable(res->detectable_share, nb, nt, p0, o->normalize, m ? m : 1, o->alpha,
		                                 GATE_POWER, res->dispersion);
		res->samples_needed = g > 0 ? ceil(gate_samples_needed(res->detectable_share, g, m ? m : 1, o->alpha,
		                                                       GATE_POWER) *
		                                   res->dispersion * res->dispersion)
		                            : 0;
	}
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

void gate_row_interval(const struct gate_fn *f, const struct gate_row *g, const struct gate_result *res, double *lo,
                       double *hi)
{
	if (!res->runs || !g->tested || !(g->se > 0)) {
		gate_interval(f, res, lo, hi);
		return;
	}
	double t = t_quantile_up(0.025, g->df);
	*lo = expm1(g->log_ratio - t * g->se) * 100;
	*hi = expm1(g->log_ratio + t * g->se) * 100;
}
