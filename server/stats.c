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

double stats_binom_p(uint64_t k, uint64_t n, double p0)
{
	if (n == 0)
		return 1.0;
	double mean = (double)n * p0, var = mean * (1 - p0);
	if (var >= 25) {
		/* normal approximation with continuity correction */
		double z = (fabs((double)k - mean) - 0.5) / sqrt(var);
		if (z < 0)
			z = 0;
		return erfc(z / sqrt(2.0));
	}
	/* exact: sum of outcomes no more likely than the observed one */
	double lk = log_binom_pmf(k, n, p0), sum = 0;
	for (uint64_t i = 0; i <= n; i++) {
		double l = log_binom_pmf(i, n, p0);
		if (l <= lk + 1e-7)
			sum += exp(l);
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
