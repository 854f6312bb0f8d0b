/*
 * test_stats.c: the binomial test, Theil–Sen and Mann–Kendall (stats.h).
 *
 * Expected values are worked out independently of stats.c:
 *  - binomial p-values of the exact branch: by hand for the small cases,
 *    and for every case as exact rationals with Python's fractions module,
 *    summing C(n,i) p^i (1-p)^(n-i) over the outcomes i no more likely than
 *    k (R's binom.test rule), e.g.
 *      sum(pm for pm in pms if pm <= pms[k] * (1 + Fraction(1, 10**7)))
 *  - binom.test(682, 925, p = 3/4) is the example in R's own binom.test
 *    documentation; R prints p-value = 0.3825;
 *  - normal tail values from the standard normal table, 2(1 − Φ(z));
 *  - Theil–Sen slopes and Mann–Kendall S by listing the pairs by hand.
 */
#include <math.h>
#include <stdint.h>

#include "stats.h"
#include "tests.h"

#define CLOSE(a, b, tol) ck_assert_msg(fabs((a) - (b)) <= (tol), "%s = %.17g, want %.17g (± %g)", #a, (double)(a), \
                                       (double)(b), (double)(tol))

/* ---- binomial ------------------------------------------------------------ */

START_TEST(binom_exact_by_hand)
{
	/* n = 1, p = 1/2: both outcomes are as likely as the observed one */
	CLOSE(stats_binom_p(0, 1, 0.5), 1.0, 1e-12);
	CLOSE(stats_binom_p(1, 1, 0.5), 1.0, 1e-12);
	/* n = 2: pmf 1/4, 1/2, 1/4; k = 0 counts 0 and 2 */
	CLOSE(stats_binom_p(0, 2, 0.5), 0.5, 1e-12);
	CLOSE(stats_binom_p(1, 2, 0.5), 1.0, 1e-12);
	/* n = 10, k = 0: 2/1024 */
	CLOSE(stats_binom_p(0, 10, 0.5), 1.0 / 512, 1e-12);
	/* n = 10, k = 2: outcomes 0, 1, 2, 8, 9, 10: 2(1 + 10 + 45)/1024 = 7/64;
	 * R's binom.test(2, 10) prints 0.1094 */
	CLOSE(stats_binom_p(2, 10, 0.5), 7.0 / 64, 1e-12);
	/* n = 5, p = 1/5: pmf .32768 .4096 .2048 .0512 .0064 .00032;
	 * k = 3 counts 3, 4, 5: 181/3125; k = 0 counts all but 1: 369/625 */
	CLOSE(stats_binom_p(3, 5, 0.2), 181.0 / 3125, 1e-12);
	CLOSE(stats_binom_p(0, 5, 0.2), 369.0 / 625, 1e-12);
}
END_TEST

START_TEST(binom_exact_reference)
{
	/* exact rationals (Python fractions, see the top of this file) */
	CLOSE(stats_binom_p(7, 20, 0.3), 0.6294979666766777, 1e-9);
	CLOSE(stats_binom_p(12, 30, 0.2), 0.010731062214007865, 1e-9);
	CLOSE(stats_binom_p(40, 99, 0.5), 0.06990057369494637, 1e-9);
}
END_TEST

START_TEST(binom_n_zero)
{
	CLOSE(stats_binom_p(0, 0, 0.5), 1.0, 0);
	CLOSE(stats_binom_p(0, 0, 0.01), 1.0, 0);
	CLOSE(stats_binom_p(0, 0, 0.99), 1.0, 0);
}
END_TEST

START_TEST(binom_degenerate_p)
{
	/* p0 = 0: only k = 0 can happen */
	CLOSE(stats_binom_p(0, 10, 0.0), 1.0, 1e-12);
	CLOSE(stats_binom_p(3, 10, 0.0), 0.0, 1e-12);
	/* p0 = 1: only k = n can happen */
	CLOSE(stats_binom_p(10, 10, 1.0), 1.0, 1e-12);
	CLOSE(stats_binom_p(9, 10, 1.0), 0.0, 1e-12);
}
END_TEST

/* The exact branch by brute force: every outcome's pmf, summed where it is
 * no more likely than k (independent of stats.c's walk from the mode). */
static double brute_binom_p(uint64_t k, uint64_t n, double p)
{
	int sg;
	double lg_n = lgamma_r((double)n + 1, &sg), sum = 0, lk = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t i = pass ? 0 : k; i <= (pass ? n : k); i++) {
			double l = lg_n - lgamma_r((double)i + 1, &sg) - lgamma_r((double)(n - i) + 1, &sg) +
			           (double)i * log(p) + (double)(n - i) * log1p(-p);
			if (!pass)
				lk = l;
			else if (l <= lk + 1e-7)
				sum += exp(l);
		}
	}
	return sum > 1 ? 1 : sum;
}

START_TEST(binom_exact_walk_equals_brute_force)
{
	static const uint64_t ns[] = { 1, 2, 3, 7, 20, 61, 200, 1000, 5000 };
	static const double ps[] = { 0.001, 0.013, 0.1, 0.3, 0.5, 0.77, 0.99, 0.9995 };
	int checked = 0;
	for (size_t a = 0; a < ARRLEN(ns); a++) {
		for (size_t b = 0; b < ARRLEN(ps); b++) {
			uint64_t n = ns[a];
			double p = ps[b];
			if ((double)n * p * (1 - p) >= 25)
				continue; /* the normal branch */
			uint64_t step = n <= 200 ? 1 : n / 97 + 1; /* brute force is O(n) a call */
			for (uint64_t k = 0; k <= n; k += step) {
				double want = brute_binom_p(k, n, p), got = stats_binom_p(k, n, p);
				ck_assert_msg(fabs(got - want) <= 1e-9 * (want > 1e-300 ? want : 1) + 1e-300,
				              "k=%llu n=%llu p=%g: %.17g vs %.17g", (unsigned long long)k,
				              (unsigned long long)n, p, got, want);
				checked++;
			}
		}
	}
	ck_assert_int_gt(checked, 1500);
}
END_TEST

START_TEST(binom_huge_n_small_variance)
{
	/* n = 1e8 and p0 = 1 - 1e-7 (variance ~10): values from summing every
	 * outcome within 400 of n with Python's math.lgamma. Summing all n + 1
	 * outcomes took minutes per call; the walk from the mode does not. */
	const uint64_t n = 100000000;
	const double p = 1 - 1e-7;
	CLOSE(stats_binom_p(n - 25, n, p), 4.694933417095709e-05, 1e-10);
	CLOSE(stats_binom_p(n, n, p), 9.234924147244632e-05, 1e-10);
	CLOSE(stats_binom_p(n - 3, n, p), 0.024613660462238455, 1e-8);
	CLOSE(stats_binom_p(n - 10, n, p), 1.0, 1e-12);
	/* and mirrored: k successes at p are n - k failures at 1 - p */
	CLOSE(stats_binom_p(25, n, 1e-7), 4.694933417095709e-05, 1e-10);
}
END_TEST

START_TEST(binom_symmetry)
{
	for (uint64_t k = 0; k <= 15; k++)
		CLOSE(stats_binom_p(k, 15, 0.5), stats_binom_p(15 - k, 15, 0.5), 1e-12);
	/* k successes at p are n-k failures at 1-p */
	for (uint64_t k = 0; k <= 12; k++)
		CLOSE(stats_binom_p(k, 12, 0.3), stats_binom_p(12 - k, 12, 0.7), 1e-9);
	/* and in the normal branch */
	for (uint64_t k = 150; k <= 250; k += 5)
		CLOSE(stats_binom_p(k, 400, 0.5), stats_binom_p(400 - k, 400, 0.5), 1e-12);
}
END_TEST

START_TEST(binom_monotone)
{
	/* further from the mean, smaller p (exact branch, p0 = 1/2) */
	for (uint64_t k = 10; k > 0; k--)
		ck_assert_msg(stats_binom_p(k - 1, 20, 0.5) < stats_binom_p(k, 20, 0.5), "k = %llu", (unsigned long long)k);
	CLOSE(stats_binom_p(10, 20, 0.5), 1.0, 1e-12);
	/* skewed: above the mode (6 of 30 at p0 = 1/5) p never rises */
	for (uint64_t k = 7; k <= 30; k++)
		ck_assert_msg(stats_binom_p(k, 30, 0.2) <= stats_binom_p(k - 1, 30, 0.2), "k = %llu", (unsigned long long)k);
	/* normal branch */
	for (uint64_t k = 200; k > 150; k--)
		ck_assert_msg(stats_binom_p(k - 1, 400, 0.5) < stats_binom_p(k, 400, 0.5), "k = %llu", (unsigned long long)k);
	for (uint64_t k = 0; k <= 30; k++) {
		double p = stats_binom_p(k, 30, 0.2);
		ck_assert(p >= 0 && p <= 1);
	}
}
END_TEST

START_TEST(binom_switch_point)
{
	/* n p (1-p) = 24.75 at n = 99: exact; 25 at n = 100: normal with a
	 * continuity correction, z = (|40 - 50| - 0.5) / 5 = 1.9 */
	CLOSE(stats_binom_p(40, 99, 0.5), 0.06990057369494637, 1e-9);
	CLOSE(stats_binom_p(40, 100, 0.5), 0.0574331196, 1e-9); /* 2(1 − Φ(1.9)) */
	CLOSE(stats_binom_p(60, 100, 0.5), 0.0574331196, 1e-9);
	/* the approximation is close to the exact answer at the switch,
	 * 0.05688793364098079 (Python fractions) */
	CLOSE(stats_binom_p(40, 100, 0.5), 0.05688793364098079, 1e-3);
	/* at the mean, z is clipped at 0 */
	CLOSE(stats_binom_p(50, 100, 0.5), 1.0, 1e-12);
	/* R's documentation example: exact 0.3825 (fractions: 0.38249156);
	 * var = 173.4 so this is the normal branch, within 0.015 */
	CLOSE(stats_binom_p(682, 925, 0.75), 0.3825, 0.015);
}
END_TEST

/* ---- Theil–Sen ----------------------------------------------------------- */

START_TEST(theil_sen_lines)
{
	double t[8], y[8];
	for (int i = 0; i < 8; i++) {
		t[i] = i;
		y[i] = 3 * i + 2;
	}
	CLOSE(stats_theil_sen(t, y, 0, 8), 3.0, 1e-12);
	for (int i = 0; i < 8; i++)
		y[i] = 7 - 0.5 * i;
	CLOSE(stats_theil_sen(t, y, 0, 8), -0.5, 1e-12);
	/* unequal spacing */
	double tu[] = { 0, 1, 3, 10 }, yu[] = { 0, 2, 6, 20 };
	CLOSE(stats_theil_sen(tu, yu, 0, 4), 2.0, 1e-12);
	/* a constant */
	double yc[] = { 4, 4, 4, 4 };
	CLOSE(stats_theil_sen(tu, yc, 0, 4), 0.0, 0);
}
END_TEST

START_TEST(theil_sen_outliers)
{
	/* y = 2t with both ends wild: 28 of the 45 pairs have slope 2, the 17
	 * pairs with an outlier are all steeper, so the 23rd slope is 2 */
	double t[10], y[10];
	for (int i = 0; i < 10; i++) {
		t[i] = i;
		y[i] = 2 * i;
	}
	y[0] = -500;
	y[9] = 1000;
	CLOSE(stats_theil_sen(t, y, 0, 10), 2.0, 1e-12);
	/* one wild point in the middle does not move it either */
	for (int i = 0; i < 10; i++)
		y[i] = 2 * i;
	y[5] = 1e6;
	CLOSE(stats_theil_sen(t, y, 0, 10), 2.0, 1e-12);
}
END_TEST

START_TEST(theil_sen_median_and_ranges)
{
	/* three slopes 1, 3/2, 3: the middle one */
	double t3[] = { 0, 1, 2 }, y3[] = { 0, 1, 3 };
	CLOSE(stats_theil_sen(t3, y3, 0, 3), 1.5, 1e-12);
	/* six slopes 1, 1, 1, 4/3, 3/2, 2: the mean of the 3rd and 4th */
	double t4[] = { 0, 1, 2, 3 }, y4[] = { 0, 1, 2, 4 };
	CLOSE(stats_theil_sen(t4, y4, 0, 4), (1 + 4.0 / 3) / 2, 1e-12);
	/* a pair with equal t is skipped: slopes 1 and -9 remain */
	double te[] = { 0, 0, 1 }, ye[] = { 0, 10, 1 };
	CLOSE(stats_theil_sen(te, ye, 0, 3), -4.0, 1e-12);
	/* only [a, b) counts: points 2, 3 of y4 */
	CLOSE(stats_theil_sen(t4, y4, 2, 4), 2.0, 1e-12);
	/* fewer than two points, or no pair with distinct t */
	CLOSE(stats_theil_sen(t4, y4, 1, 2), 0.0, 0);
	CLOSE(stats_theil_sen(t4, y4, 0, 0), 0.0, 0);
	double ts[] = { 5, 5 }, ys[] = { 1, 9 };
	CLOSE(stats_theil_sen(ts, ys, 0, 2), 0.0, 0);
}
END_TEST

/* ---- Mann–Kendall -------------------------------------------------------- */

START_TEST(mann_kendall_monotone)
{
	/* n = 10 rising: S = 45, var(S) = 10·9·25/18 = 125,
	 * z = (45 − 1)/√125 = 3.9355, 1 − Φ(3.9355) = 4.15e-5 */
	double y[10], tau, p;
	for (int i = 0; i < 10; i++)
		y[i] = i * i;
	stats_mann_kendall(y, 0, 10, &tau, &p);
	CLOSE(tau, 1.0, 1e-12);
	CLOSE(p, 4.152e-5, 0.005e-5);
	/* reversed: S = −45, z = −3.9355 */
	for (int i = 0; i < 10; i++)
		y[i] = -i;
	stats_mann_kendall(y, 0, 10, &tau, &p);
	CLOSE(tau, -1.0, 1e-12);
	CLOSE(p, 1 - 4.152e-5, 0.005e-5);
}
END_TEST

START_TEST(mann_kendall_constant_and_small)
{
	double y[6] = { 3, 3, 3, 3, 3, 3 }, tau, p;
	stats_mann_kendall(y, 0, 6, &tau, &p);
	CLOSE(tau, 0.0, 0);
	CLOSE(p, 0.5, 1e-12); /* S = 0: z = 0 (no tie correction) */
	/* 1, 3, 2: S = +1 +1 −1 = 1, tau = 1/3, z = (1 − 1)/√(3·2·11/18) = 0 */
	double z[] = { 1, 3, 2 };
	stats_mann_kendall(z, 0, 3, &tau, &p);
	CLOSE(tau, 1.0 / 3, 1e-12);
	CLOSE(p, 0.5, 1e-12);
	/* n = 5, 1 2 3 5 4: S = 9 − 1 = 8, var = 5·4·15/18 = 50/3,
	 * z = 7/√(50/3) = 1.7146, 1 − Φ(1.7146) = 0.04321 */
	double w[] = { 1, 2, 3, 5, 4 };
	stats_mann_kendall(w, 0, 5, &tau, &p);
	CLOSE(tau, 0.8, 1e-12);
	CLOSE(p, 0.04321, 0.00002);
	/* one point or none: no trend to test */
	stats_mann_kendall(w, 2, 3, &tau, &p);
	CLOSE(tau, 0.0, 0);
	CLOSE(p, 1.0, 0);
	stats_mann_kendall(w, 0, 0, &tau, &p);
	CLOSE(p, 1.0, 0);
	/* a sub-range: 3, 5, 4 has S = 1 */
	stats_mann_kendall(w, 2, 5, &tau, &p);
	CLOSE(tau, 1.0 / 3, 1e-12);
}
END_TEST

Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("binomial");
	tcase_add_test(tc, binom_exact_by_hand);
	tcase_add_test(tc, binom_exact_reference);
	tcase_add_test(tc, binom_n_zero);
	tcase_add_test(tc, binom_degenerate_p);
	tcase_add_test(tc, binom_exact_walk_equals_brute_force);
	tcase_add_test(tc, binom_huge_n_small_variance);
	tcase_add_test(tc, binom_symmetry);
	tcase_add_test(tc, binom_monotone);
	tcase_add_test(tc, binom_switch_point);
	suite_add_tcase(s, tc);
	tc = tcase_create("theil_sen");
	tcase_add_test(tc, theil_sen_lines);
	tcase_add_test(tc, theil_sen_outliers);
	tcase_add_test(tc, theil_sen_median_and_ranges);
	suite_add_tcase(s, tc);
	tc = tcase_create("mann_kendall");
	tcase_add_test(tc, mann_kendall_monotone);
	tcase_add_test(tc, mann_kendall_constant_and_small);
	suite_add_tcase(s, tc);
	return s;
}
