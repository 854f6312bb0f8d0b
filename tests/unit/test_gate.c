/*
 * test_gate.c: the gate's judgement (gate.h): the binomial tail against
 * exact values, Holm's correction, the ranking (the cause first), the
 * small-sample warning, and the edge cases: zero counts, a function only
 * in the new profile, counts near 2^62, the artifact frame; Student's t
 * tail and the run-to-run test against several base runs.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gate.h"
#include "tests.h"

#define FN(n, bc, tc) { n, (uint32_t)sizeof(n) - 1, bc, tc, bc, tc, NULL }

static const struct gate_opts opts_10_1 = { .max_growth_pct = 10, .min_share_pct = 1, .alpha = 0.01,
                                            .normalize = true };

static const struct gate_row *row_of(const struct gate_result *r, const struct gate_fn *fns, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (!strcmp(fns[r->rows[i].fn].name, name))
			return &r->rows[i];
	ck_abort_msg("no row %s", name);
	return NULL;
}

START_TEST(gate_binomial_tail)
{
	/* Binomial(10, 1/2): P[X >= 8] = (45 + 10 + 1) / 1024 */
	ck_assert_double_eq_tol(gate_binom_sf(8, 10, 0.5), 56.0 / 1024, 1e-12);
	ck_assert_double_eq_tol(gate_binom_sf(3, 10, 0.5), 1 - 56.0 / 1024, 1e-12); /* below the mean */
	ck_assert(gate_binom_sf(0, 10, 0.5) == 1);
	ck_assert(gate_binom_sf(11, 10, 0.5) == 0);
	ck_assert(gate_binom_sf(1, 10, 0) == 0);
	ck_assert(gate_binom_sf(10, 10, 1) == 1);
	/* Binomial(20, 0.1): P[X >= 5] = 0.0431745 (R: pbinom(4, 20, .1, lower=F)) */
	ck_assert_double_eq_tol(gate_binom_sf(5, 20, 0.1), 0.04317450, 1e-7);
	/* a huge n with a tiny p is Poisson(10): P[X >= 10] = 0.5420703 */
	ck_assert_double_eq_tol(gate_binom_sf(10, 100000000, 1e-7), 0.5420703, 1e-6);
	/* huge counts: the deviance approximation; the median is 1/2, and
	 * 5 sd above the mean is 2.87e-7 */
	uint64_t n = 1000000000000ULL;
	ck_assert_double_eq_tol(gate_binom_sf(n / 2 + 1, n, 0.5), 0.5, 1e-3);
	ck_assert_double_eq_tol(gate_binom_sf(n / 2 + 2500000, n, 0.5) / 2.866516e-7, 1, 1e-2);
}
END_TEST

START_TEST(gate_holm)
{
	/* Four functions of 10,000 samples each side; the Holm-adjusted
	 * p-values are m p for the smallest, then (m - 1) p, ..., never
	 * falling, never above 1, and at least the raw p. */
	struct gate_fn fns[] = {
		FN("a", 500, 600), FN("b", 500, 580), FN("c", 500, 560), FN("d", 500, 500),
		FN("rest", 8000, 7760),
	};
	struct gate_totals tot = { 10000, 10000, 10000, 10000, 0, NULL };
	struct gate_result r;
	ck_assert_int_eq(gate_judge(fns, 5, &tot, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.tested, 5);
	const struct gate_row *a = row_of(&r, fns, "a"), *b = row_of(&r, fns, "b"), *c = row_of(&r, fns, "c");
	ck_assert_double_eq_tol(a->q_up, 5 * a->p_up, 1e-15);
	ck_assert_double_eq_tol(b->q_up, fmax(4 * b->p_up, a->q_up), 1e-15);
	ck_assert_double_eq_tol(c->q_up, fmin(1, fmax(3 * c->p_up, b->q_up)), 1e-15);
	for (uint32_t i = 0; i < r.n; i++) {
		ck_assert(r.rows[i].q_up >= r.rows[i].p_up && r.rows[i].q_up <= 1);
		ck_assert(r.rows[i].q_down >= r.rows[i].p_down && r.rows[i].q_down <= 1);
	}
	/* a (+20%, p ~ 1e-3 raw) survives the correction; c (+12%) does not */
	ck_assert(a->p_up < 0.01 && a->q_up < 0.01);
	ck_assert_int_eq(a->verdict, GATE_GREW);
	ck_assert(c->p_up < 0.05 && c->q_up > 0.01);
	ck_assert_int_eq(c->verdict, GATE_SAME);
	ck_assert_int_eq(row_of(&r, fns, "d")->verdict, GATE_SAME);
	ck_assert_uint_eq(r.shrank, 0); /* rest: -3%, under the threshold */
	gate_result_release(&r);
}
END_TEST

START_TEST(gate_ranking)
{
	/* A real regression: main.regexWork 5% -> 10%, its caller
	 * main.handler 30% -> 35%, tiny runtime functions 0.05% -> 0.2%
	 * (+300%, under min_share), main.main 100% both. The cause comes
	 * first, the caller (+17%) after it; the tiny ones are not judged. */
	struct gate_fn fns[] = {
		FN("main.main", 100000, 100000), FN("runtime.nextFree", 50, 200), FN("main.handler", 30000, 35000),
		FN("main.regexWork", 5000, 10000), FN("main.encode", 10000, 8000), FN("runtime.mallocgc", 60, 240),
	};
	struct gate_totals tot = { 100000, 100000, 100000, 100000, 0, NULL };
	struct gate_result r;
	ck_assert_int_eq(gate_judge(fns, 6, &tot, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.grew, 2);
	ck_assert_uint_eq(r.shrank, 1);
	ck_assert_str_eq(fns[r.rows[0].fn].name, "main.regexWork");
	ck_assert_str_eq(fns[r.rows[1].fn].name, "main.handler");
	ck_assert_str_eq(fns[r.rows[2].fn].name, "main.encode"); /* shrank next */
	ck_assert_int_eq(r.rows[2].verdict, GATE_SHRANK);
	ck_assert_double_eq_tol(r.rows[0].share_before, 5, 1e-12);
	ck_assert_double_eq_tol(r.rows[0].share_after, 10, 1e-12);
	ck_assert_double_eq_tol(r.rows[0].gained_pp, 5, 1e-12);
	ck_assert_double_eq_tol(r.rows[0].growth_pct, 100, 1e-9);
	ck_assert(!row_of(&r, fns, "runtime.nextFree")->tested);
	ck_assert_int_eq(row_of(&r, fns, "runtime.nextFree")->verdict, GATE_SAME);
	/* the interval of the cause's growth holds its estimate */
	double lo, hi;
	gate_interval(&fns[r.rows[0].fn], &r, &lo, &hi);
	ck_assert(lo > 80 && lo < 100 && hi > 100 && hi < 120);
	gate_result_release(&r);
	/* Between two growers, the larger lower bound of the share gained
	 * first: +4 pp (2% -> 6%) before +2 pp (5% -> 7%). */
	struct gate_fn two[] = { FN("small", 5000, 7000), FN("big", 2000, 6000), FN("rest", 93000, 87000) };
	ck_assert_int_eq(gate_judge(two, 3, &tot, &opts_10_1, &r), 0);
	ck_assert_str_eq(two[r.rows[0].fn].name, "big");
	ck_assert_str_eq(two[r.rows[1].fn].name, "small");
	gate_result_release(&r);
}
END_TEST

START_TEST(gate_small_samples)
{
	/* 800 samples a profile: a function holding 1% would have to grow by
	 * hundreds of percent to be seen; the result says so. */
	struct gate_fn fns[] = { FN("main.work", 40, 60), FN("main.main", 800, 800) };
	struct gate_totals small = { 800, 800, 800, 800, 0, NULL };
	struct gate_result r;
	ck_assert_int_eq(gate_judge(fns, 2, &small, &opts_10_1, &r), 0);
	ck_assert(r.too_small);
	ck_assert(r.detectable_pct > 100);
	ck_assert_double_eq_tol(r.detectable_share, 0.01, 1e-15);
	ck_assert_uint_eq(r.grew, 0); /* +50% of 40 samples is noise */
	/* samples needed for +10% at 1%, m = 2: the closed form */
	ck_assert(r.samples_needed == ceil(gate_samples_needed(0.01, 0.1, 2, 0.01, GATE_POWER)));
	gate_result_release(&r);
	/* ten million samples: 10% at 1% is well within reach */
	struct gate_totals big = { 10000000, 10000000, 10000000, 10000000, 0, NULL };
	struct gate_fn fb[] = { FN("main.work", 100000, 100000), FN("main.main", 10000000, 10000000) };
	ck_assert_int_eq(gate_judge(fb, 2, &big, &opts_10_1, &r), 0);
	ck_assert(!r.too_small);
	ck_assert(r.detectable_pct < 10);
	gate_result_release(&r);
	/* The docs' table (docs/GATE.md): 5% growing by 20%, m = 25, alpha
	 * 0.01, 80% power: (3.3528 + 0.8416)^2 * 2.2 / (0.05 * 0.04) */
	ck_assert_double_eq_tol(gate_samples_needed(0.05, 0.2, 25, 0.01, 0.8), 19350, 20);
	ck_assert(isinf(gate_samples_needed(0.05, 0, 25, 0.01, 0.8)));
	/* the detectable growth at the samples needed is the growth asked */
	double n = gate_samples_needed(0.05, 0.2, 25, 0.01, 0.8);
	ck_assert_double_eq_tol(gate_detectable(0.05, n, n, 0.5, true, 25, 0.01, 0.8), 20, 0.5);
}
END_TEST

START_TEST(gate_edges)
{
	struct gate_result r;
	/* nothing at all */
	struct gate_totals zero = { 0, 0, 0, 0, 0, NULL };
	ck_assert_int_eq(gate_judge(NULL, 0, &zero, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.n, 0);
	ck_assert(r.too_small);
	gate_result_release(&r);
	/* zero counts in both, and a base of zero samples */
	struct gate_fn z[] = { FN("a", 0, 0), FN("b", 0, 10) };
	struct gate_totals half = { 0, 10, 0, 10, 0, NULL };
	ck_assert_int_eq(gate_judge(z, 2, &half, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.tested, 0);
	ck_assert_uint_eq(r.grew, 0);
	gate_result_release(&r);
	/* a function only in the new profile: growth +inf, its interval
	 * unbounded above and well above zero below */
	struct gate_fn nw[] = { FN("main.new", 0, 600), FN("main.main", 10000, 10000) };
	struct gate_totals tot = { 10000, 10000, 10000, 10000, 0, NULL };
	ck_assert_int_eq(gate_judge(nw, 2, &tot, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.grew, 1);
	ck_assert_str_eq(nw[r.rows[0].fn].name, "main.new");
	ck_assert(isinf(r.rows[0].growth_pct));
	double lo, hi;
	gate_interval(&nw[r.rows[0].fn], &r, &lo, &hi);
	ck_assert(isinf(hi));
	ck_assert(lo > 1000);
	gate_result_release(&r);
	/* a function gone from the new profile shrank; its interval is
	 * -100% below */
	struct gate_fn gone[] = { FN("main.old", 600, 0), FN("main.main", 10000, 10000) };
	ck_assert_int_eq(gate_judge(gone, 2, &tot, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.shrank, 1);
	ck_assert_double_eq_tol(r.rows[0].growth_pct, -100, 1e-12);
	gate_interval(&gone[r.rows[0].fn], &r, &lo, &hi);
	ck_assert(lo == -100 && hi < -90);
	gate_result_release(&r);
	/* huge counts: 2.5% -> 2.6% of 4e18 samples is beyond noise, and
	 * nothing overflows */
	int64_t N = 4000000000000000000LL;
	struct gate_fn huge[] = { { "main.f", 6, N / 40, N / 1000 * 26, N / 40, N / 1000 * 26, NULL },
		                  { "main.main", 9, N, N, N, N, NULL } };
	struct gate_totals ht = { N, N, N, N, 0, NULL };
	ck_assert_int_eq(gate_judge(huge, 2, &ht, &(struct gate_opts){ 1, 1, 0.01, true, 0 }, &r), 0);
	ck_assert_uint_eq(r.grew, 1);
	ck_assert(r.rows[0].q_up < 1e-100);
	ck_assert_double_eq_tol(r.rows[0].growth_pct, 4, 1e-9);
	ck_assert(!r.too_small);
	gate_interval(&huge[r.rows[0].fn], &r, &lo, &hi);
	ck_assert(lo < 4 && hi > 4 && hi - lo < 0.01);
	gate_result_release(&r);
	/* the same profile twice: nothing changes */
	struct gate_fn same[] = { FN("a", 5000, 5000), FN("b", 300, 300), FN("main", 10000, 10000) };
	ck_assert_int_eq(gate_judge(same, 3, &tot, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.grew + r.shrank, 0);
	gate_result_release(&r);
	/* runtime.asyncPreempt is never judged, whatever it does */
	struct gate_fn ap[] = { FN("runtime.asyncPreempt", 100, 4000), FN("main.main", 10000, 10000) };
	ck_assert_int_eq(gate_judge(ap, 2, &tot, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.grew, 0);
	ck_assert(!row_of(&r, ap, "runtime.asyncPreempt")->tested);
	gate_result_release(&r);
	/* amounts (normalize off) over unequal durations: twice the time,
	 * twice the samples is no growth */
	struct gate_fn am[] = { FN("a", 1000, 2000), FN("main", 10000, 20000) };
	struct gate_totals at = { 10000, 20000, 10000, 20000, 0, NULL };
	struct gate_opts amounts = opts_10_1;
	amounts.normalize = false;
	amounts.p0 = 2.0 / 3;
	ck_assert_int_eq(gate_judge(am, 2, &at, &amounts, &r), 0);
	ck_assert_uint_eq(r.grew, 0);
	ck_assert_double_eq_tol(row_of(&r, am, "a")->growth_pct, 0, 1e-9);
	gate_result_release(&r);
	/* ... and with p0 = 1/2 it is +100% */
	amounts.p0 = 0;
	ck_assert_int_eq(gate_judge(am, 2, &at, &amounts, &r), 0);
	ck_assert_uint_eq(r.grew, 2);
	gate_result_release(&r);
}
END_TEST

START_TEST(gate_dispersion)
{
	/* 30 functions that all moved by +-10% (z = +-2.2: more than
	 * Poisson noise allows, as same-code runs of a real program do) and
	 * one that grew by 25% (z = 10.5): as Poisson noise it would fail;
	 * measured (median |z| / 0.6745 = 3.4), the 25% is within that noise
	 * and a 60% growth is not. */
	struct gate_fn fns[33];
	char names[31][8];
	for (int i = 0; i < 30; i++) {
		snprintf(names[i], sizeof(names[i]), "f%02d", i);
		fns[i] = (struct gate_fn){ names[i], 3, 1000, i % 2 ? 1100 : 900, 1000, i % 2 ? 1100 : 900, NULL };
	}
	fns[30] = (struct gate_fn)FN("main.some", 1000, 1250);
	fns[31] = (struct gate_fn)FN("main.real", 1000, 1600);
	fns[32] = (struct gate_fn)FN("main.main", 100000, 100000);
	struct gate_totals tot = { 100000, 100000, 100000, 100000, 0, NULL };
	struct gate_result r;
	ck_assert_int_eq(gate_judge(fns, 33, &tot, &opts_10_1, &r), 0);
	/* at 1% of both together (2,000 samples) 18 are tested: too few to
	 * measure a spread, so none is assumed */
	ck_assert_uint_eq(r.tested, 18);
	ck_assert(r.dispersion == 1);
	ck_assert_int_eq(row_of(&r, fns, "main.some")->verdict, GATE_GREW);
	gate_result_release(&r);
	struct gate_opts all = opts_10_1;
	all.min_share_pct = 0.5;
	ck_assert_int_eq(gate_judge(fns, 33, &tot, &all, &r), 0);
	ck_assert_uint_eq(r.tested, 33);
	ck_assert_double_eq_tol(r.dispersion, 50 / sqrt(475.0) / 0.6744898, 1e-9); /* 900 of 1900 */
	ck_assert_int_eq(row_of(&r, fns, "main.some")->verdict, GATE_SAME);
	ck_assert_int_eq(row_of(&r, fns, "main.real")->verdict, GATE_GREW);
	ck_assert_uint_eq(r.grew, 1);
	/* what it can see shrinks by the dispersion: the samples needed grow
	 * by its square */
	ck_assert(r.samples_needed == ceil(gate_samples_needed(0.01, 0.1, 33, 0.01, GATE_POWER) * r.dispersion * r.dispersion));
	gate_result_release(&r);
}
END_TEST

START_TEST(gate_student_t)
{
	/* df 1 is Cauchy: P[T >= 1] = 1/4; df 2: P[T >= t] = (1 - t / sqrt(2 + t^2)) / 2 */
	ck_assert_double_eq_tol(gate_t_sf(1, 1), 0.25, 1e-12);
	ck_assert_double_eq_tol(gate_t_sf(2, 2), 0.5 * (1 - 2 / sqrt(6.0)), 1e-12);
	ck_assert_double_eq_tol(gate_t_sf(-2, 2), 1 - 0.5 * (1 - 2 / sqrt(6.0)), 1e-12);
	/* the tables' 97.5% point of t with 10 degrees of freedom */
	ck_assert_double_eq_tol(gate_t_sf(2.228139, 10), 0.025, 1e-6);
	/* many degrees of freedom: the normal */
	ck_assert_double_eq_tol(gate_t_sf(3, 1e5), 0.5 * erfc(3 / sqrt(2.0)), 1e-5);
	ck_assert_double_eq_tol(gate_t_sf(3, GATE_DF_POOLED), 0.5 * erfc(3 / sqrt(2.0)), 1e-15);
	ck_assert_double_eq_tol(gate_t_sf(0, 3), 0.5, 1e-15);
}
END_TEST

/* Three base runs of 200,000 counts: 30 functions of 10,000 whose share
 * moves by +-1.2% to +-18% from run to run (as the allocator's and the
 * encoder's do between same-code runs), main.quiet (20,000 in each) and
 * main.noisy (20,000, +-8%); in the target main.quiet and main.noisy both
 * grew by 15%. */
START_TEST(gate_runs)
{
	enum { K = 3, NF = 33 };
	static const double wiggle[K] = { -0.06, 0, 0.06 };
	int64_t runs[NF][K];
	struct gate_fn fns[NF];
	char names[30][8];
	int64_t target_total = 200000;
	for (int i = 0; i < 30; i++) {
		snprintf(names[i], sizeof(names[i]), "f%02d", i);
		int64_t sum = 0;
		double amp = 0.2 * pow(15, (i % 5) / 4.0); /* 1.2% to 18%: some vary much more */
		for (int j = 0; j < K; j++)
			sum += runs[i][j] = (int64_t)(10000 * (1 + amp * wiggle[(i + j) % K]));
		fns[i] = (struct gate_fn){ names[i], 3, sum, 10000, sum, 10000, runs[i] };
	}
	for (int j = 0; j < K; j++) {
		runs[30][j] = 20000;
		runs[31][j] = (int64_t)(20000 * (1 + 4 * wiggle[j] / 3));
		runs[32][j] = 200000;
	}
	fns[30] = (struct gate_fn){ "main.quiet", 10, 60000, 23000, 60000, 23000, runs[30] };
	fns[31] = (struct gate_fn){ "main.noisy", 10, 60000, 23000, 60000, 23000, runs[31] };
	fns[32] = (struct gate_fn){ "main.main", 9, 600000, 200000, 600000, 200000, runs[32] };
	int64_t run_total[K] = { 200000, 200000, 200000 };
	struct gate_totals tot = { 600000, target_total, 600000, target_total, K, run_total };
	struct gate_opts o = opts_10_1;
	o.min_share_pct = 0.5;
	struct gate_result r;
	ck_assert_int_eq(gate_judge(fns, NF, &tot, &o, &r), 0);
	ck_assert_uint_eq(r.runs, K);
	ck_assert_uint_eq(r.tested, NF);
	/* the pooled spread: the functions' mean variance (a log's sd), and
	 * how far they differ beyond chi^2 noise: a finite prior df */
	ck_assert(r.spread_sd > 0.04 && r.spread_sd < 0.12);
	ck_assert(r.spread_df > 0 && r.spread_df < GATE_DF_POOLED);
	const struct gate_row *q = row_of(&r, fns, "main.quiet"), *n = row_of(&r, fns, "main.noisy");
	ck_assert(q->tested && q->se > 0 && q->df > 2);
	ck_assert_double_eq_tol(q->log_ratio, log(23000.5 / 200000.5) - log(20000.5 / 200000.5), 1e-12);
	/* +15% is beyond the quiet function's spread... */
	ck_assert(q->p_up < n->p_up);
	/* ...and within the noisy one's */
	ck_assert_int_eq(n->verdict, GATE_SAME);
	ck_assert_int_eq(r.grew, q->verdict == GATE_GREW ? 1 : 0);
	double lo, hi;
	gate_row_interval(&fns[q->fn], q, &r, &lo, &hi);
	ck_assert(lo < 15 && hi > 15 && lo < hi);
	/* the samples needed: finite for growth well beyond the spread,
	 * none when the spread alone hides it */
	ck_assert(r.samples_needed > 0);
	gate_result_release(&r);
	o.max_growth_pct = 1;
	ck_assert_int_eq(gate_judge(fns, NF, &tot, &o, &r), 0);
	ck_assert(isinf(r.samples_needed) && r.too_small);
	gate_result_release(&r);
	/* one run, or amounts compared: the pair test */
	tot.runs = 1;
	ck_assert_int_eq(gate_judge(fns, NF, &tot, &opts_10_1, &r), 0);
	ck_assert_uint_eq(r.runs, 0);
	gate_result_release(&r);
	tot.runs = K;
	o = opts_10_1;
	o.normalize = false;
	ck_assert_int_eq(gate_judge(fns, NF, &tot, &o, &r), 0);
	ck_assert_uint_eq(r.runs, 0);
	gate_result_release(&r);
}
END_TEST

Suite *gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("gate");
	tcase_add_test(tc, gate_binomial_tail);
	tcase_add_test(tc, gate_holm);
	tcase_add_test(tc, gate_ranking);
	tcase_add_test(tc, gate_small_samples);
	tcase_add_test(tc, gate_edges);
	tcase_add_test(tc, gate_dispersion);
	tcase_add_test(tc, gate_student_t);
	tcase_add_test(tc, gate_runs);
	suite_add_tcase(s, tc);
	return s;
}
