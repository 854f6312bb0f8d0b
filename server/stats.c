/*
 * stats.c: binomial, Theil–Sen and Mann–Kendall (see stats.h).
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static double log_binom_pmf(uint64_t k, uint64_t n, double p)
{
	if (p <= 0)
		return k == 0 ? 0 : -INFINITY;
	if (p >= 1)
		return k == n ? 0 : -INFINITY;
	int sg;
	return lgamma_r((double)n + 1, &sg) - lgamma_r((double)k + 1, &sg) -
	       lgamma_r((double)(n - k) + 1, &sg) + (double)k * log(p) + (double)(n - k) * log1p(-p);
}

/* log pmf(i+1) - log pmf(i) under Binomial(n, p), 0 <= i < n. */
static double log_step_up(uint64_t i, uint64_t n, double lodds)
{
	return log((double)(n - i) / (double)(i + 1)) + lodds;
}

/* Sum of pmf over the tail that starts at i (its log pmf li) and runs
 * away from the mode in direction dir (+1 up to n, -1 down to 0). Terms
 * only fall along it, so it stops once they no longer change the sum. */
static double tail_sum(uint64_t i, double li, int dir, uint64_t n, double lodds)
{
	double sum = 0, first = li;
	for (;;) {
		sum += exp(li);
		if (li < first - 40 || (dir > 0 ? i == n : i == 0))
			return sum;
		if (dir > 0) {
			li += log_step_up(i, n, lodds);
			i++;
		} else {
			i--;
			li -= log_step_up(i, n, lodds);
		}
	}
}

double stats_binom_p(uint64_t k, uint64_t n, double p0)
{
	if (n == 0)
		return 1.0;
	if (k > n)
		return 0.0;
	if (p0 <= 0)
		return k == 0 ? 1.0 : 0.0;
	if (p0 >= 1)
		return k == n ? 1.0 : 0.0;
	double mean = (double)n * p0, var = mean * (1 - p0);
	if (var >= 25) {
		/* normal approximation with continuity correction */
		double z = (fabs((double)k - mean) - 0.5) / sqrt(var);
		if (z < 0)
			z = 0;
		return erfc(z / sqrt(2.0));
	}
	/* Exact: the sum of pmf(i) over the outcomes no more likely than k
	 * (R's binom.test rule, with its 1e-7 relative tolerance). pmf is
	 * unimodal, so those outcomes are k's own tail and the far end of the
	 * other side, found by walking from the mode; with var < 25 both walks
	 * are short whatever n is (no sum over all n + 1 outcomes). */
	double lodds = log(p0) - log1p(-p0);
	double mode_f = floor((double)(n + 1) * p0);
	uint64_t m = mode_f >= (double)n ? n : (uint64_t)mode_f;
	if (k == m)
		return 1.0;
	double lk = log_binom_pmf(k, n, p0), thr = lk + 1e-7;
	int dir = k > m ? 1 : -1;
	double sum = tail_sum(k, lk, dir, n, lodds);
	/* the other side: from the mode away from k, to the first outcome
	 * no more likely than k */
	uint64_t i = m;
	double li = log_binom_pmf(m, n, p0);
	for (;;) {
		if (li <= thr) {
			sum += tail_sum(i, li, -dir, n, lodds);
			break;
		}
		if (dir > 0 ? i == 0 : i == n)
			break;
		if (dir > 0) {
			i--;
			li -= log_step_up(i, n, lodds);
		} else {
			li += log_step_up(i, n, lodds);
			i++;
		}
	}
	return sum > 1 ? 1 : sum;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double stats_theil_sen(const double *t, const double *y, int a, int b)
{
	int n = b - a, m = 0;
	if (n < 2)
		return 0;
	double *sl = malloc((size_t)n * (size_t)n * sizeof(double));
	if (!sl)
		return 0;
	for (int i = a; i < b; i++)
		for (int j = i + 1; j < b; j++)
			if (t[j] > t[i])
				sl[m++] = (y[j] - y[i]) / (t[j] - t[i]);
	double r = 0;
	if (m) {
		qsort(sl, (size_t)m, sizeof(double), cmp_double);
		r = m % 2 ? sl[m / 2] : (sl[m / 2 - 1] + sl[m / 2]) / 2;
	}
	free(sl);
	return r;
}

void stats_mann_kendall(const double *y, int a, int b, double *tau, double *p)
{
	int n = b - a;
	double S = 0;
	for (int i = a; i < b; i++)
		for (int j = i + 1; j < b; j++)
			S += (y[j] > y[i]) - (y[j] < y[i]);
	double pairs = (double)n * (n - 1) / 2;
	*tau = pairs > 0 ? S / pairs : 0;
	double var = (double)n * (n - 1) * (2 * n + 5) / 18;
	if (var <= 0) {
		*p = 1;
		return;
	}
	double z = S > 0 ? (S - 1) / sqrt(var) : S < 0 ? (S + 1) / sqrt(var) : 0;
	*p = 0.5 * erfc(z / sqrt(2.0));
}
