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
 * Changed: one notion for the whole diff, the CI gate's (gate.h): per
 * function, from the cum of the count sample type behind the compared type
 * (samples, *_objects, contentions, goroutine) in both profiles, a
 * conditional binomial test with Holm's correction across functions, and
 * the thresholds max_growth and min_share. The tree marks each frame with
 * its function's verdict; the top table and the gate list them.
 */
#ifndef FDX_DIFF_H
#define FDX_DIFF_H

#include "gate.h"
#include "json.h"
#include "view.h"

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
/* The count view of one base run p for the run-to-run test: the count
 * type behind o->type of base (by name and unit in p), with o's filters.
 * 0; -1 out of memory; DIFF_INCOMPATIBLE (message in err) when p lacks
 * it. */
int diff_run_count_view(struct view *v, const struct prof *base, const struct prof *p, const struct view_opts *o,
                        char *err, size_t errcap);

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
	/* the count views of each base run (n_runs of them) when the base is
	 * a selection of GATE_MIN_RUNS..GATE_MAX_RUNS profiles and test=runs
	 * was asked: the gate's
	 * run-to-run test (gate.h); NULL otherwise */
	const struct view *runs_n;
	uint32_t n_runs;
	/* the gate's thresholds (gate.h); normalize says whether shares (true)
	 * or amounts are compared, p0 is ignored (the one above is used) */
	struct gate_opts gate;
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
 * "function_change": parallel to names, each name's verdict as a function
 * (1 grew, -1 shrank, 0 neither), and "significant": parallel to nodes,
 * whether the node's function grew or shrank; both null without counts;
 * "grew", "shrank": how many functions did (null without counts). */
int diff_tree_json(const struct diff_in *in, struct json *j);
/* "rows": [{"function","base_flat","base_cum","target_flat","target_cum",
 * "status","change","p_adjusted"}…] sorted by in->sort, the first
 * in->limit (0: all); "count"; "grew", "shrank" (functions, of all rows),
 * "functions_tested". change is "grew", "shrank", "same", or null without
 * counts. */
int diff_top_json(const struct diff_in *in, struct json *j);

/* CI gate: the functions that grew (gate.h), ranked, with their evidence
 * and effect ("regressions"), those beyond the thresholds but within noise
 * ("within_noise", at most 10), the smallest detectable growth and a
 * "warnings" list; a one-line summary. Returns how many regressed, -1 on
 * allocation failure, DIFF_NO_COUNTS (negative) when no count type
 * exists (nothing written). The views must be unscaled (raw values). */
int diff_check_json(const struct diff_in *in, struct json *j, char *summary, size_t cap);

#define DIFF_NO_COUNTS (-2)

/* Each function's verdict (for the tree's marks): names point into the
 * profiles. 0 (*out malloc'd, res filled: release both); -1 out of
 * memory; DIFF_NO_COUNTS. */
struct diff_verdict {
	const char *name;
	uint32_t len;
	int verdict; /* GATE_* */
};
int diff_verdicts(const struct diff_in *in, struct diff_verdict **out, uint32_t *n, struct gate_result *res);
/* "grew", "shrank", "functions_tested" (null without res), "alpha",
 * "max_growth_pct", "min_share_pct". */
void diff_json_verdicts(const struct diff_in *in, const struct gate_result *res, struct json *j);

#endif
