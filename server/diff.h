/*
 * diff.h: base vs target, as go tool pprof -diff_base computes it.
 *
 * Both profiles are filtered alike and folded into name trees (tree.h);
 * the trees are merged by name path into one union tree carrying both
 * values. Per function, target - base of flat and cum is exactly what
 * `go tool pprof -top -diff_base BASE TARGET` prints; with normalize the
 * target's values are first scaled by base_total/target_total per sample,
 * as pprof -normalize does (so equal within rounding).
 *
 * Significance: for each node, the sample counts behind it (from a count
 * sample type of the same profile: samples, *_objects, contentions,
 * goroutine) are tested against "no change" with a binomial test
 * conditioned on the node's total count: under H0 the target holds a
 * share p0 of the node's samples — its share of all samples when shares
 * are compared (normalize=1), its share of the profiled time when amounts
 * are (normalize=0; one half without durations). A change is significant
 * when the two-sided p-value is below DIFF_ALPHA.
 */
#ifndef FDX_DIFF_H
#define FDX_DIFF_H

#include "json.h"
#include "tree.h"

#define DIFF_ALPHA 0.001

struct diff_in {
	const struct view *base, *target;
	/* count views for significance (NULL when no count type exists) */
	const struct view *base_n, *target_n;
	/* the target's expected share of samples under "no change": base vs
	 * target totals when comparing shares (normalize), their durations (or
	 * one half) when comparing amounts */
	double p0;
	long max_nodes;
	int sort;          /* for top: DIFF_SORT_* */
	long limit;
};

enum {
	DIFF_SORT_CUM_DELTA,   /* |target_cum - base_cum| */
	DIFF_SORT_FLAT_DELTA,  /* |target_flat - base_flat| */
	DIFF_SORT_REL,         /* |relative change of cum|, new/gone first */
	DIFF_SORT_TARGET_CUM,
	DIFF_SORT_BASE_CUM,
};

int diff_tree_json(const struct diff_in *in, struct json *j);
int diff_top_json(const struct diff_in *in, struct json *j);

/* CI gate: functions whose cum grew by more than max_growth_pct percent
 * (new functions count as infinite growth), among those holding at least
 * min_share_pct percent of the target total. Writes "regressions" and
 * the thresholds into j and a one-line summary; returns how many
 * regressed, or -1 on allocation failure. */
int diff_check_json(const struct diff_in *in, double max_growth_pct, double min_share_pct,
                    struct json *j, char *summary, size_t cap);

#endif
