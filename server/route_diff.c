/*
 * route_diff.c: compare two profiles.
 *
 *   GET /api/v1/diff?base=ID&target=ID&sample_type=&normalize=0|1&max_nodes=N&<filters>
 *   GET /api/v1/diff/top?base=ID&target=ID&sample_type=&normalize=&sort=&limit=&<filters>
 *   GET /api/v1/diff/check?base=ID&target=ID&max_growth=PCT&min_share=PCT&alpha=P&normalize=&<filters>
 *       200 when no function grew beyond sampling noise and the thresholds
 *       (gate.h), 422 (code "regression") otherwise: a CI gate for
 *       `curl --fail`; 400 no_counts when the profiles have no count type.
 *
 * All three take max_growth, min_share and alpha: the tree's and the
 * top's marks of what changed are the gate's verdicts.
 *
 * base_tagfocus, base_tagignore, target_tagfocus, target_tagignore: the
 * label filters of one side, replacing tagfocus / tagignore there, so one
 * label value can be compared with another or with the rest (base and
 * target may be the same profile); a KEY= no sample has is 400
 * unknown_label.
 *
 * Either side may be a selection instead of one id (selection.h): base.ids=,
 * base.label=, base.type=, base.from=, base.to= (and target.…); that side
 * is then the merge of its profiles, as pprof merges several -diff_base
 * (or several target) sources. A base selection of GATE_MIN_RUNS to
 * GATE_MAX_RUNS profiles is read run by run with test=runs: the gate's
 * verdicts then come from the run-to-run test (gate.h).
 *
 * The sample type is chosen in the base profile (default: the base's
 * default) and must exist, with the same unit, in the target: anything
 * else is a 400 incompatible_profiles. A normalize that scales the
 * target's values past 64 bits is a 422 overflow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "limits.h"
#include "routes.h"
#include "selection.h"
#include "store.h"
#include "util.h"
#include "view_granularity.h"

/* A side's label filter, name=SPEC, parsed into t (*set when given). 0,
 * or -1 after replying in *res. */
static int side_tag(struct req *r, const struct prof *p, const char *name, struct tagfilter *t, bool *set,
                    enum MHD_Result *res)
{
	const char *v = req_arg(r, name);
	*set = false;
	if (!v || !*v)
		return 0;
	char err[256];
	if (strlen(v) > FDX_MAX_REGEX_LEN || tagfilter_parse(t, v, err, sizeof(err)) < 0) {
		if (strlen(v) > FDX_MAX_REGEX_LEN)
			snprintf(err, sizeof(err), "longer than %u bytes", FDX_MAX_REGEX_LEN);
		*res = reply_error(r, 400, "bad_regex", "%s: %s", name, err);
		return -1;
	}
	bool found = !t->key[0];
	for (uint32_t i = 0; i < p->n_labels && !found; i++)
		found = !strcmp(prof_str(p, p->labels[i].key), t->key);
	if (!found) {
		*res = reply_error(r, 400, "unknown_label", "%s: no sample has a label %.100s", name, t->key);
		tagfilter_release(t);
		return -1;
	}
	*set = true;
	return 0;
}

/* The diff tree, or its top table (top), or the CI gate (check). */
static enum MHD_Result compare_admitted(struct req *r, bool top, bool check);

struct compare_args {
	bool top, check;
};

static enum MHD_Result compare_run(struct req *r, void *ctx)
{
	struct compare_args *a = ctx;
	return compare_admitted(r, a->top, a->check);
}

static enum MHD_Result compare(struct req *r, bool top, bool check)
{
	struct compare_args a = { top, check };
	return views_heavy(r, compare_run, &a);
}

static enum MHD_Result compare_admitted(struct req *r, bool top, bool check)
{
	const char *bid = req_arg(r, "base"), *tid = req_arg(r, "target");
	if (bid && !*bid)
		bid = NULL;
	if (tid && !*tid)
		tid = NULL;
	/* a side without an id is a selection (merged below, after the cheap checks) */
	if ((bid && !util_is_id(bid)) || (tid && !util_is_id(tid)))
		return reply_error(r, 404, "not_found", "no profile with id %.40s", bid && !util_is_id(bid) ? bid : tid);
	const char *norm = req_arg(r, "normalize");
	bool normalize = norm && (!strcmp(norm, "1") || !strcmp(norm, "true"));
	if (norm && *norm && !normalize && strcmp(norm, "0") && strcmp(norm, "false"))
		return reply_error(r, 400, "bad_request", "normalize must be 0 or 1");
	long max_nodes, limit;
	const char *s;
	char *end;
	if (req_long(r, "max_nodes", FDX_DEFAULT_MAX_NODES, 0, 100000000, &max_nodes) < 0)
		return reply_error(r, 400, "bad_request", "max_nodes must be a non-negative integer");
	if (req_long(r, "limit", 0, 0, 100000000, &limit) < 0)
		return reply_error(r, 400, "bad_request", "limit must be a non-negative integer");
	double max_growth = GATE_DEFAULT_MAX_GROWTH, min_share = GATE_DEFAULT_MIN_SHARE, alpha = GATE_DEFAULT_ALPHA;
	if ((s = req_arg(r, "max_growth")) && *s) {
		max_growth = strtod(s, &end);
		if (*end || !(max_growth >= 0))
			return reply_error(r, 400, "bad_request", "max_growth must be a non-negative percentage");
	}
	if ((s = req_arg(r, "min_share")) && *s) {
		min_share = strtod(s, &end);
		if (*end || !(min_share >= 0) || min_share > 100)
			return reply_error(r, 400, "bad_request", "min_share must be a percentage from 0 to 100");
	}
	if ((s = req_arg(r, "alpha")) && *s) {
		alpha = strtod(s, &end);
		if (*end || !(alpha > 0) || !(alpha < 1))
			return reply_error(r, 400, "bad_request", "alpha must be a probability between 0 and 1 (exclusive)");
	}
	/* test=pair (default): the pair test, a base selection merged into
	 * one profile; runs: the run-to-run test against each profile of a
	 * base selection of GATE_MIN_RUNS..GATE_MAX_RUNS, or a 400. Not the
	 * default: bench/gate measured it no better (docs/GATE.md) */
	int test = 1; /* 1 pair, 2 runs */
	if ((s = req_arg(r, "test")) && *s) {
		test = !strcmp(s, "pair") ? 1 : !strcmp(s, "runs") ? 2 : -1;
		if (test < 0)
			return reply_error(r, 400, "bad_request", "test must be pair or runs");
		if (test == 2 && !normalize)
			return reply_error(r, 400, "bad_request", "test=runs compares shares: it needs normalize=1");
	}
	int sort = DIFF_SORT_CUM_DELTA;
	if ((s = req_arg(r, "sort")) && *s) {
		static const char *const names[] = { "cum_delta", "flat_delta", "relative", "target", "base" };
		sort = -1;
		for (int i = 0; i < 5; i++)
			if (!strcmp(s, names[i]))
				sort = i;
		if (sort < 0)
			return reply_error(r, 400, "bad_request", "sort must be cum_delta, flat_delta, relative, target or base");
	}

	int st1 = 0, st2 = 0;
	enum MHD_Result res;
	struct sel_prof sb = { 0 }, stg = { 0 };
	struct prof *pb = NULL, *pt = NULL;
	struct view_opts ob;
	bool have_opts = false;
	struct tagfilter side[4];
	bool side_set[4] = { false, false, false, false };
	memset(side, 0, sizeof(side));
	struct diff_views d;
	memset(&d, 0, sizeof(d));
	/* the base's runs, each held while the rows read their names */
	struct selection bsel = { 0 };
	struct prof *run_p[GATE_MAX_RUNS];
	struct view run_v[GATE_MAX_RUNS];
	uint32_t n_runs = 0;
	memset(run_v, 0, sizeof(run_v));
	for (int k = 0; k < 2; k++) {
		const char *id = k ? tid : bid;
		if (id)
			continue;
		int rc;
		if (k == 0) {
			rc = selection_parse(r, "base.", &bsel, &res);
			if (rc == 0)
				rc = selection_merge(r, &bsel, &sb, &res);
		} else
			rc = selection_load(r, "target.", &stg, &res);
		if (rc == SELECTION_ABSENT)
			res = reply_error(r, 400, "bad_request",
			                  "diff needs base=ID (or base.ids=, base.label=…) and target=ID (or target.ids=, "
			                  "target.label=…)");
		if (rc != 0)
			goto out;
	}
	pb = bid ? store_get(bid, &st1) : sb.p;
	pt = tid ? store_get(tid, &st2) : stg.p;
	if (!pb || !pt) {
		int st = !pb ? st1 : st2;
		res = st == 404 ? reply_error(r, 404, "not_found", "no profile with id %.40s", !pb ? bid : tid)
		                : reply_error(r, 500, "internal", "could not load a profile");
		goto out;
	}
	if (pb->n_types == 0 || pt->n_types == 0) { /* before the filters' errors */
		res = reply_error(r, 400, "incompatible_profiles", "a profile without sample types cannot be compared");
		goto out;
	}
	if (views_parse_opts(r, pb, &ob, &res) < 0)
		goto out;
	have_opts = true;
	if (!view_gran_available(pt, ob.gran)) {
		res = reply_error(r, 400, "bad_granularity",
		                  "the target was stored without location addresses; upload it again to diff at addresses");
		goto out;
	}
	static const char *const side_names[4] = { "base_tagfocus", "base_tagignore", "target_tagfocus",
		                                     "target_tagignore" };
	for (int i = 0; i < 4; i++)
		if (side_tag(r, i < 2 ? pb : pt, side_names[i], &side[i], &side_set[i], &res) < 0)
			goto out;
	/* each side: its own label filters, else the shared ones (ob owns those) */
	struct view_opts obase = ob, otags = ob;
	if (side_set[0])
		obase.tagfocus = side[0], obase.has_tagfocus = true;
	if (side_set[1])
		obase.tagignore = side[1], obase.has_tagignore = true;
	if (side_set[2])
		otags.tagfocus = side[2], otags.has_tagfocus = true;
	if (side_set[3])
		otags.tagignore = side[3], otags.has_tagignore = true;
	char why[512];
	/* the check judges raw values (it compares shares itself): its
	 * numbers are those go tool pprof -top prints for each profile; the
	 * function verdicts of every diff need the counts */
	int rc = diff_views_build_tags(&d, pb, pt, &obase, &otags, normalize && !check, true, why, sizeof(why));
	if (rc != 0) {
		res = rc == DIFF_INCOMPATIBLE ? reply_error(r, 400, "incompatible_profiles", "%s", why)
		    : rc == VIEW_OVERFLOW     ? reply_error(r, 422, "overflow", "%s", why)
		                              : reply_error(r, 500, "internal", "out of memory building the diff");
		goto out;
	}
	struct diff_in in;
	diff_views_in(&d, &in);
	in.max_nodes = max_nodes;
	in.sort = sort;
	in.limit = limit;
	in.gate = (struct gate_opts){ .max_growth_pct = max_growth, .min_share_pct = min_share, .alpha = alpha,
	                              .normalize = normalize };
	if (check && !d.counts) {
		res = reply_error(r, 400, "no_counts",
		                  "the profiles have no count sample type (samples, *_objects, contentions) to test "
		                  "against sampling noise");
		goto out;
	}
	bool can_runs = d.counts && normalize && !bid && bsel.n >= GATE_MIN_RUNS && bsel.n <= GATE_MAX_RUNS;
	if (test == 2 && !can_runs) {
		res = reply_error(r, 400, "bad_request",
		                  "test=runs needs a base selection of %d to %d profiles (base.ids=A,B,…) with a count "
		                  "sample type",
		                  GATE_MIN_RUNS, GATE_MAX_RUNS);
		goto out;
	}
	if (can_runs && test == 2) {
		for (int i = 0; i < bsel.n; i++) {
			int st = 0;
			struct prof *pr = store_get(bsel.ids[i], &st);
			if (!pr) {
				res = st == 404 ? reply_error(r, 404, "not_found", "no profile with id %.40s", bsel.ids[i])
				                : reply_error(r, 500, "internal", "could not load a profile");
				goto out;
			}
			run_p[n_runs] = pr;
			int vr = diff_run_count_view(&run_v[n_runs], pb, pr, &obase, why, sizeof(why));
			n_runs++;
			if (vr != 0) {
				res = vr == DIFF_INCOMPATIBLE ? reply_error(r, 400, "incompatible_profiles", "%s", why)
				                              : reply_error(r, 500, "internal", "out of memory building the diff");
				goto out;
			}
		}
		in.runs_n = run_v;
		in.n_runs = n_runs;
	}
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	json_obj_begin(&j);
	json_key(&j, "sample_type");
	view_json_sample_type(&j, pb, ob.type);
	json_key(&j, "base_total");
	json_int(&j, d.base.total);
	json_key(&j, "target_total");
	json_int(&j, d.target.total);
	json_key(&j, "normalize");
	json_bool(&j, normalize);
	json_key(&j, "scale");
	json_double(&j, check && normalize ? (d.target.total ? (double)d.base.total / (double)d.target.total : 0) : d.scale);
	char summary[1024];
	rc = check ? diff_check_json(&in, &j, summary, sizeof(summary))
	       : top ? diff_top_json(&in, &j) : diff_tree_json(&in, &j);
	if (check && rc > 0) {
		/* A failing gate is an error reply, so `curl --fail` fails the job. */
		json_key(&j, "error");
		json_obj_begin(&j);
		json_key(&j, "code");
		json_str(&j, "regression");
		json_key(&j, "message");
		char msg[1200];
		snprintf(msg, sizeof(msg), "%d function%s grew beyond sampling noise and more than %g%%: %s", rc,
		         rc == 1 ? "" : "s", max_growth, summary);
		json_str(&j, msg);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	if (rc < 0) {
		buf_release(&out);
		res = reply_error(r, 500, "internal", "out of memory building the diff");
		goto out;
	}
	res = reply_buf(r, check && rc > 0 ? 422 : 200, "application/json", &out);
out:
	for (uint32_t i = 0; i < n_runs; i++) {
		view_release(&run_v[i]);
		store_release(run_p[i]);
	}
	selection_release(&bsel);
	diff_views_release(&d);
	for (int i = 0; i < 4; i++)
		if (side_set[i])
			tagfilter_release(&side[i]);
	if (have_opts)
		view_opts_release(&ob);
	if (bid)
		store_release(pb);
	if (tid)
		store_release(pt);
	sel_prof_release(&sb);
	sel_prof_release(&stg);
	return res;
}

enum MHD_Result route_diff_tree(struct req *r, const struct route_params *p)
{
	return compare(r, false, false);
}

enum MHD_Result route_diff_top(struct req *r, const struct route_params *p)
{
	return compare(r, true, false);
}

enum MHD_Result route_diff_check(struct req *r, const struct route_params *p)
{
	return compare(r, false, true);
}
