/*
 * diff.h: base vs target, as go tool pprof -diff_base computes it.
 *
 * Both profiles are filtered alike and folded into views (view.h); their
 * name trees are folded by name path into one union tree (ntree_fold,
 * names interned across both profiles) carrying both totals. Per function, target - base of flat and cum is exactly what
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
#include "view.h"

#define DIFF_ALPHA 0.001

/* The views a diff reads. */
struct diff_views {
	struct view base, target;
	/* views of the count type behind the compared type (see above), when
	 * asked for and both profiles have it */
	struct view base_n, target_n;
	bool counts;
	double scale;      /* applied to the target's values (1 unless normalize) */
	double p0;         /* for diff_in.p0 */
};

enum {
	DIFF_INCOMPATIBLE = 3, /* no common sample type; the message says why */
};

/* Build the views: type o->type of base (filters o) and the type of the
 * same name and unit in target, whose values are scaled by
 * base_sum / target_sum with normalize (pprof -normalize; a target
 * summing to 0 scales to 0); with_counts adds the count views. 0; -1 out
 * of memory; DIFF_INCOMPATIBLE or VIEW_OVERFLOW (scaled values overflow)
 * with a message in err. d is released on failure. */
int diff_views_build(struct diff_views *d, const struct prof *base, const struct prof *target,
                     const struct view_opts *o, bool normalize, bool with_counts, char *err, size_t errcap);
/* The same with the target's label filters taken from tags (its
 * tagfocus / tagignore and their has_ flags) instead of o's: the diff of
 * one label slice against another, of one profile or two. NULL: o's. */
int diff_views_build_tags(struct diff_views *d, const struct prof *base, const struct prof *target,
                          const struct view_opts *o, const struct view_opts *tags, bool normalize,
                          bool with_counts, char *err, size_t errcap);
void diff_views_release(struct diff_views *d);

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

/* The views of d as the inputs of the writers below (max_nodes, sort and
 * limit zero). */
void diff_views_in(const struct diff_views *d, struct diff_in *in);

/* The writers add members to an object the caller opened; 0 or -1 (also
 * when j's buffer ran out of memory).
 * "names", "nodes": the union tree shaped as the flame graph (ntree.h),
 * each node [name, depth, base self, base total, target self, target
 * total], pruned to max_nodes by max(|base|, |target|) totals;
 * "significant": parallel to nodes, true/false, or null without counts. */
int diff_tree_json(const struct diff_in *in, struct json *j);
/* "rows": [{"function","base_flat","base_cum","target_flat","target_cum",
 * "status"}…] sorted by in->sort, the first in->limit (0: all); "count". */
int diff_top_json(const struct diff_in *in, struct json *j);

/* CI gate: functions whose cum grew by more than max_growth_pct percent
 * (new functions count as infinite growth), among those holding at least
 * min_share_pct percent of the target total. Writes "regressions" and
 * the thresholds into j and a one-line summary; returns how many
 * regressed, or -1 on allocation failure. */
int diff_check_json(const struct diff_in *in, double max_growth_pct, double min_share_pct,
                    struct json *j, char *summary, size_t cap);

#endif
