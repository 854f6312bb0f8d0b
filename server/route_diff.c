/*
 * route_diff.c: compare two profiles.
 *
 *   GET /api/v1/diff?base=ID&target=ID&sample_type=&normalize=0|1&max_nodes=N&<filters>
 *   GET /api/v1/diff/top?base=ID&target=ID&sample_type=&normalize=&sort=&limit=&<filters>
 *   GET /api/v1/diff/check?base=ID&target=ID&max_growth=PCT&min_share=PCT&normalize=&<filters>
 *       200 when no function's cum grew more than max_growth percent, 422
 *       (code "regression") otherwise: a CI gate for `curl --fail`.
 *
 * The sample type is chosen in the base profile (default: the base's
 * default) and must exist, with the same unit, in the target: anything
 * else is a 400 incompatible_profiles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "limits.h"
#include "routes.h"
#include "store.h"
#include "util.h"

static int find_type(const struct prof *p, const char *type, const char *unit)
{
	for (uint32_t i = 0; i < p->n_types; i++)
		if (!strcmp(prof_str(p, p->type_type[i]), type) && (!unit || !strcmp(prof_str(p, p->type_unit[i]), unit)))
			return (int)i;
	return -1;
}

/* A count-valued sample type that measures the same thing as type t:
 * cpu -> samples, X_space -> X_objects, delay -> contentions; or t itself
 * when its unit is a count. -1 when there is none. */
static int count_type(const struct prof *p, int t)
{
	const char *name = prof_str(p, p->type_type[t]);
	if (!strcmp(prof_str(p, p->type_unit[t]), "count"))
		return t;
	char want[128];
	size_t n = strlen(name);
	if (n > 6 && !strcmp(name + n - 6, "_space") && n < sizeof(want) - 8) {
		snprintf(want, sizeof(want), "%.*s_objects", (int)(n - 6), name);
		int k = find_type(p, want, "count");
		if (k >= 0)
			return k;
	}
	if (!strcmp(name, "space"))
		return find_type(p, "objects", "count");
	if (!strcmp(name, "cpu") || !strcmp(name, "wall") || !strcmp(name, "time"))
		return find_type(p, "samples", "count");
	if (!strcmp(name, "delay"))
		return find_type(p, "contentions", "count");
	return -1;
}

static int64_t type_sum(const struct prof *p, int t)
{
	int64_t s = 0;
	for (uint32_t i = 0; i < p->n_samples; i++)
		s += p->values[(size_t)i * p->n_types + (size_t)t];
	return s;
}

/* The diff tree, or its top table (top), or the CI gate (check). */
static enum MHD_Result compare(struct req *r, bool top, bool check)
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
	double max_growth = 10, min_share = 1;
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
	struct view_opts ob, ot;
	bool have_opts = false;
	struct view vb, vt, vbn, vtn;
	memset(&vb, 0, sizeof(vb));
	memset(&vt, 0, sizeof(vt));
	memset(&vbn, 0, sizeof(vbn));
	memset(&vtn, 0, sizeof(vtn));
	if (!pb || !pt) {
		int st = !pb ? st1 : st2;
		res = st == 404 ? reply_error(r, 404, "not_found", "no profile with id %.40s", !pb ? bid : tid)
		                : reply_error(r, 500, "internal", "could not load a profile");
		goto out;
	}
	if (pb->n_types == 0 || pt->n_types == 0) {
		res = reply_error(r, 400, "incompatible_profiles", "a profile without sample types cannot be compared");
		goto out;
	}
	if (views_parse_opts(r, pb, &ob, &res) < 0)
		goto out;
	have_opts = true;
	const char *tname = prof_str(pb, pb->type_type[ob.type]);
	const char *tunit = prof_str(pb, pb->type_unit[ob.type]);
	int tt = find_type(pt, tname, tunit);
	if (tt < 0) {
		res = reply_error(r, 400, "incompatible_profiles",
		                  "the target has no sample type %.64s/%.64s; the profiles cannot be compared", tname, tunit);
		goto out;
	}
	ot = ob;           /* same compiled filters, used one after the other */
	ot.type = tt;
	double scale = 1;
	if (normalize) {
		int64_t bs = type_sum(pb, ob.type), ts = type_sum(pt, tt);
		scale = ts == 0 ? 0 : (double)bs / (double)ts;
		/* 0 means "no scaling" in view_opts; a target summing to 0 scales
		 * everything to 0, as pprof's Normalize does. */
		ot.scale = scale == 0 ? 1e-300 : scale;
	}
	if (view_build(pb, &ob, false, &vb) < 0 || view_build(pt, &ot, false, &vt) < 0) {
		res = reply_error(r, 500, "internal", "out of memory building the diff");
		goto out;
	}
	int cb = count_type(pb, ob.type), ct = cb >= 0 ? find_type(pt, prof_str(pb, pb->type_type[cb]), "count") : -1;
	bool counts = cb >= 0 && ct >= 0;
	top = top || check; /* the check needs no tree */
	if (counts && !top) {
		struct view_opts obn = ob, otn = ot;
		obn.type = cb;
		otn.type = ct;
		otn.scale = 0;
		if (view_build(pb, &obn, false, &vbn) < 0 || view_build(pt, &otn, false, &vtn) < 0) {
			res = reply_error(r, 500, "internal", "out of memory building the diff");
			goto out;
		}
	}
	/* p0 for significance: see diff.h */
	double p0 = 0;
	if (counts && !normalize) {
		p0 = 0.5;
		if (pb->duration_nanos > 0 && pt->duration_nanos > 0)
			p0 = (double)pt->duration_nanos / (double)(pb->duration_nanos + pt->duration_nanos);
	}
	struct diff_in in = {
		.p0 = p0,
		.base = &vb, .target = &vt,
		.base_n = counts && !top ? &vbn : NULL, .target_n = counts && !top ? &vtn : NULL,
		.max_nodes = max_nodes, .sort = sort, .limit = limit,
	};
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	json_obj_begin(&j);
	json_key(&j, "sample_type");
	json_sample_type(&j, pb, ob.type);
	json_key(&j, "base_total");
	json_int(&j, vb.total);
	json_key(&j, "target_total");
	json_int(&j, vt.total);
	json_key(&j, "normalize");
	json_bool(&j, normalize);
	json_key(&j, "scale");
	json_double(&j, scale);
	char summary[1024];
	int rc = check ? diff_check_json(&in, max_growth, min_share, &j, summary, sizeof(summary))
	       : top ? diff_top_json(&in, &j) : diff_tree_json(&in, &j);
	if (check && rc > 0) {
		/* A failing gate is an error reply, so `curl --fail` fails the job. */
		json_key(&j, "error");
		json_obj_begin(&j);
		json_key(&j, "code");
		json_str(&j, "regression");
		json_key(&j, "message");
		char msg[1200];
		snprintf(msg, sizeof(msg), "%d function%s grew more than %g%%: %s", rc, rc == 1 ? "" : "s",
		         max_growth, summary);
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
	view_release(&vb);
	view_release(&vt);
	view_release(&vbn);
	view_release(&vtn);
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
