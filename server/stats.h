/*
 * stats.h: the statistical tests behind flamedex's judgements.
 *
 * Pure functions of their arguments: no allocation but what is stated, no
 * global state (lgamma_r, not lgamma, so concurrent requests do not race
 * on signgam). Every judgement that uses them (the diff's significance
 * marks, the CI gate, the leak table) documents in docs/ which test it
 * runs and how often it is wrong; their unit tests are in
 * tests/unit/test_stats.c.
 */
#ifndef FDX_STATS_H
#define FDX_STATS_H

#include <stdint.h>

/* Two-sided binomial test: the probability, under Binomial(n, p0), of an
 * outcome no more likely than k. Exact for small variance, normal with a
 * continuity correction once n*p0*(1-p0) >= 25. 1.0 when n == 0. */
double stats_binom_p(uint64_t k, uint64_t n, double p0);

/* Theil–Sen slope of y over t on points [a, b): the median of the
 * pairwise slopes (pairs with equal t skipped). 0 with fewer than two
 * points, or when the pairwise slopes cannot be allocated. */
double stats_theil_sen(const double *t, const double *y, int a, int b);

/* Mann–Kendall trend test on y[a, b): Kendall's tau in [-1, 1] and the
 * one-sided p-value of an increasing trend (normal approximation with
 * continuity correction; no tie correction). */
void stats_mann_kendall(const double *y, int a, int b, double *tau, double *p);

#endif
