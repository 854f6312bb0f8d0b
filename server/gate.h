/*
 * gate.h: which functions changed beyond sampling noise and beyond the
 * thresholds, between a base and a new profile: the CI gate's judgement
 * (/api/v1/diff/check) and the diff page's one notion of "changed"
 * (/api/v1/diff and /api/v1/diff/top). docs/GATE.md says why this test
 * and how often it is wrong.
 *
 * Pure: no HTTP, no SQL, no profile; its input is, per function, the cum
 * of the compared sample type and the cum of its count type (samples,
 * *_objects, contentions) in both profiles, with their totals.
 *
 * The test. A function's counts a (base) and b (new) are treated as two
 * Poisson counts; conditioned on a + b, under "no change" b is
 * Binomial(a + b, p0), with p0 = N_new / (N_base + N_new) when shares are
 * compared (normalize) and the new profile's share of the profiled time
 * (or one half) when amounts are. One-sided exact p-values for growth
 * (P[X >= b]) and for shrinking (P[X <= b]); the family of tested
 * functions is those holding at least min_share% of both profiles' counts
 * together (a + b >= min_share% of N_base + N_new: a choice on a + b, so
 * the conditional test stays exact), and each direction is
 * corrected with Holm's step-down procedure across that family (the
 * family-wise error rate stays under alpha whatever the dependence between
 * functions, which cum counts of callers and callees have).
 *
 * Same-code runs of real programs differ by more than Poisson noise (the
 * garbage collector, the machine's load): when the tested functions'
 * z-scores spread wider than a standard normal (the median of |z| over
 * 0.6745 > 1, with at least GATE_MIN_FAMILY of them, half at least
 * unchanged), each p-value is that of its z divided by that spread (an
 * empirical null, after Efron) before the correction.
 *
 * With several base runs (gate_totals.runs >= GATE_MIN_RUNS, shares
 * compared) each function's own run-to-run spread is measured instead:
 * the log of its share in each base run has a sample variance V (runs - 1
 * degrees of freedom), modelled as tau^2 + sampling variance; V is
 * shrunk towards the functions' pooled tau0^2 + its own sampling variance
 * with d0 prior degrees of freedom estimated from how much the V spread
 * beyond what their chi^2 law allows (empirical Bayes, Smyth's moderated
 * t, 2004), and the target's log share is compared with the runs' mean by
 * a t with d0 + runs - 1 degrees of freedom, its variance tau^2 (its own
 * run) + its sampling variance + V / runs. Holm and the thresholds as
 * above.
 *
 * Frames that record how a sample was taken (gate_is_artifact) are never
 * judged. A function grew when its Holm-adjusted p-value for growth is < alpha,
 * its growth exceeds max_growth%, and it holds at least min_share% of the
 * new profile; it shrank, symmetrically, when its adjusted p for shrinking
 * is < alpha, it fell below 1/(1 + max_growth%) of its base and held at
 * least min_share% of the base. Growth is of the share (normalize) or of
 * the amount (otherwise), from the compared type's values.
 *
 * Invariants: gate_judge never reads past n; a result is released safely
 * when zeroed; rows are a permutation of the input (every function once),
 * ordered grew, shrank, then the rest; within each, by the lower 95% bound
 * of the share gained (shrank: of the share lost), then name.
 */
#ifndef FDX_GATE_H
#define FDX_GATE_H

#include <stdbool.h>
#include <stdint.h>

#define GATE_DEFAULT_ALPHA 0.01
#define GATE_DEFAULT_MAX_GROWTH 10 /* percent */
#define GATE_DEFAULT_MIN_SHARE 1   /* percent */
#define GATE_POWER 0.8 /* "detectable": seen this often */
#define GATE_MIN_FAMILY 20 /* functions needed to measure the dispersion */
#define GATE_MIN_RUNS 2    /* base runs that make the run-to-run test */
#define GATE_MAX_RUNS 32   /* at most: more base profiles are one merged base */

struct gate_fn {
	const char *name;
	uint32_t len;
	int64_t base_cum, target_cum; /* the compared type's values */
	int64_t base_n, target_n;     /* the count type's */
	/* the count type's cum in each base run (gate_totals.runs of them;
	 * NULL without runs): base_n is their sum */
	const int64_t *run_n;
};

struct gate_opts {
	double max_growth_pct;
	double min_share_pct;
	double alpha;     /* family-wise, per direction */
	bool normalize;   /* compare shares; else amounts */
	double p0;        /* amounts: the new profile's expected fraction of a
	                   * function's counts under "no change" (0 or >= 1:
	                   * one half) */
};

struct gate_totals {
	int64_t base, target;     /* values */
	int64_t base_n, target_n; /* counts */
	/* several base runs (the base is their merge): with at least
	 * GATE_MIN_RUNS and shares compared, the run-to-run test below */
	uint32_t runs;
	const int64_t *run_total; /* counts of each run */
};

enum { GATE_SAME = 0, GATE_GREW = 1, GATE_SHRANK = 2 };

struct gate_row {
	uint32_t fn;         /* index of the input function */
	int verdict;         /* GATE_* */
	bool tested;         /* in the family */
	bool up, down;       /* beyond the thresholds, up or down, noise or not */
	double share_before, share_after; /* percent of each profile's total */
	/* normalize: share_after - share_before; amounts: (target_cum * (1 -
	 * p0) / p0 - base_cum) as a percentage of the base's total */
	double gained_pp;
	double gained_lo;    /* its lower 95% bound (the ranking key) */
	/* of the share (normalize) or of the amount at the base's time (the
	 * target's times (1 - p0) / p0); +inf when new, -100 when gone */
	double growth_pct;
	double p_up, p_down; /* one-sided exact p-values */
	double q_up, q_down; /* Holm-adjusted (1 when not tested) */
	/* the run-to-run test (gate_result.runs > 0, tested rows): the log of
	 * the share's ratio (target over the base runs' geometric mean), its
	 * standard error and the t's degrees of freedom */
	double log_ratio, se, df;
};

struct gate_result {
	struct gate_row *rows;
	uint32_t n;
	uint32_t tested, grew, shrank;
	double p0;                /* used */
	/* the spread of the tested functions' z-scores beyond Poisson noise
	 * (median |z| / 0.6745, at least 1): the p-values are those of z /
	 * dispersion */
	double dispersion;
	/* the run-to-run test: base runs used (0: the pair test), the
	 * functions' pooled run-to-run spread of a share (sd of its log, the
	 * prior of the empirical Bayes shrinkage) and the prior's degrees of
	 * freedom (how much each function's own spread is pulled to it;
	 * GATE_DF_POOLED: completely) */
	uint32_t runs;
	double spread_sd, spread_df;
	/* growth (percent) a function holding min_share (at least 1%) would
	 * need to be found GATE_POWER of the time with these counts and this
	 * dispersion; +inf when none would do */
	double detectable_pct;
	double detectable_share;  /* the share it is computed for */
	/* samples each profile needs to find max_growth at that share
	 * GATE_POWER of the time, times dispersion^2 (0 when max_growth is 0) */
	double samples_needed;
	bool too_small;           /* detectable_pct > max_growth_pct */
};

#define GATE_DF_POOLED 1e6

/* Frames never judged (they record how a sample was taken):
 * runtime.asyncPreempt. */
bool gate_is_artifact(const char *name, uint32_t len);

/* Judge n functions. 0, or -1 out of memory (res zeroed). */
int gate_judge(const struct gate_fn *fns, uint32_t n, const struct gate_totals *tot,
               const struct gate_opts *o, struct gate_result *res);
void gate_result_release(struct gate_result *res);

/* 95% interval of a row's growth (percent), from its counts (exact,
 * Clopper-Pearson on the conditional binomial); lo -100 when b = 0, hi
 * +inf when a = 0. */
void gate_interval(const struct gate_fn *f, const struct gate_result *res, double *lo, double *hi);

/* A row's 95% interval of growth: gate_interval's, or with base runs
 * (res->runs) the run-to-run t's on the log ratio of shares. */
void gate_row_interval(const struct gate_fn *f, const struct gate_row *g, const struct gate_result *res, double *lo,
                       double *hi);

/* P[T >= t] for Student's t with df degrees of freedom (df >=
 * GATE_DF_POOLED: the standard normal). */
double gate_t_sf(double t, double df);

/* P[X >= k] for X ~ Binomial(n, p): exact while n p (1 - p) <= 1e4, else
 * the signed-root deviance approximation with continuity correction. */
double gate_binom_sf(uint64_t k, uint64_t n, double p);

/* Growth (percent) that a function holding share s (fraction) of profiles
 * of nb and nt counts is found with probability power, one-sided at
 * alpha/m (normal approximation of the conditional binomial), growth of
 * its share (shares) or of its amount at the expected fraction p0; +inf
 * when no growth is. */
double gate_detectable(double s, double nb, double nt, double p0, bool shares, uint32_t m, double alpha,
                       double power);
/* Counts each of two equal profiles needs for growth g (fraction) of a
 * function holding share s to be found with probability power, at
 * alpha/m: (z_{1-alpha/m} + z_power)^2 (2 + g) / (s g^2). */
double gate_samples_needed(double s, double g, uint32_t m, double alpha, double power);

#endif
