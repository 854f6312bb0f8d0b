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
#include "store.h"
#include "util.h"

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
	if (!bid || !tid || !*bid || !*tid)
		return reply_error(r, 400, "bad_request", "diff needs base=ID and target=ID");
	if (!util_is_id(bid) || !util_is_id(tid))
		return reply_error(r, 404, "not_found", "no profile with id %.40s", util_is_id(bid) ? tid : bid);
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
	struct prof *pb = store_get(bid, &st1);
	struct prof *pt = store_get(tid, &st2);
	enum MHD_Result res;
	struct view_opts ob;
	bool have_opts = false;
	struct diff_views d;
	memset(&d, 0, sizeof(d));
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
	char why[512];
	/* the check judges raw values (it compares shares itself): its
	 * numbers are those go tool pprof -top prints for each profile */
	int rc = diff_views_build(&d, pb, pt, &ob, normalize && !check, true, why, sizeof(why));
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
	diff_views_release(&d);
	if (have_opts)
		view_opts_release(&ob);
	store_release(pb);
	store_release(pt);
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
