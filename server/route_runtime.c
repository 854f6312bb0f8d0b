/*
 * route_runtime.c: the runtime share of CPU profiles (runtime_share.h).
 *
 *   GET /api/v1/profiles/{id}/runtime?sample_type=&<filters>
 *   GET /api/v1/diff/runtime?base=ID&target=ID&sample_type=&<filters>
 *
 * The upload's profile label go_version (or version) names the version
 * of every sample when no sample carries such a label itself.
 * A sample type that is not CPU-like is a 200 with "applicable": false
 * and the reason (the strip is not shown), not an error. In the diff the
 * sample type is chosen in the base and must exist in the target with the
 * same unit (else 400 incompatible_profiles), as in route_diff.c.
 */
#include <stdio.h>
#include <string.h>

#include "routes.h"
#include "runtime_share.h"
#include "store.h"
#include "util.h"
#include "view.h"

/* Build the share of p (stored as id) under o and write it to j. 0, or
 * -1 after replying (in *res). */
static int share_json(struct req *r, const char *id, const struct prof *p, const struct view_opts *o,
                      struct json *j, enum MHD_Result *res)
{
	/* the profile-level version label of the upload, used when no sample
	 * carries one */
	static const char *const keys[] = { "go_version", "version" };
	if (o->has_show || o->has_show_from || o->has_prune_from || o->collapse_recursion || o->has_merge_fn) {
		*res = reply_error(r, 400, "bad_request", "runtime shares take focus, ignore, hide and tag filters only");
		return -1;
	}
	if (o->gran != 0) {
		*res = reply_error(r, 400, "bad_granularity", "runtime shares are per function (granularity=functions)");
		return -1;
	}
	char value[160];
	const char *pkey = NULL;
	for (int i = 0; i < 2 && !pkey; i++) {
		int lr = store_label(id, keys[i], value, sizeof(value));
		if (lr < 0) {
			*res = reply_error(r, 500, "internal", "could not read the profile's labels");
			return -1;
		}
		if (lr == 0)
			pkey = keys[i];
	}
	struct runtime_share s;
	int rc = runtime_share_build(p, o, pkey, pkey ? value : NULL, &s);
	if (rc == 0)
		rc = runtime_share_json(&s, j);
	runtime_share_release(&s);
	if (rc == RUNTIME_SHARE_OVERFLOW) {
		*res = reply_error(r, 422, "overflow", "the sample values overflow 64 bits");
		return -1;
	}
	if (rc != 0) {
		*res = reply_error(r, 500, "internal", "out of memory building the runtime share");
		return -1;
	}
	return 0;
}

enum MHD_Result route_runtime_profile(struct req *r, const struct route_params *p)
{
	const char *id = route_param(p, "id");
	if (!id || !util_is_id(id))
		return reply_error(r, 404, "not_found", "no profile with id %.40s", id ? id : "");
	struct view_opts o;
	enum MHD_Result res;
	struct prof *prof = views_load(r, id, &o, &res);
	if (!prof) {
		return res;
	}
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	int rc = share_json(r, id, prof, &o, &j, &res);
	view_opts_release(&o);
	store_release(prof);
	if (rc < 0) {
		buf_release(&out);
		return res;
	}
	return reply_buf(r, 200, "application/json", &out);
}

enum MHD_Result route_runtime_diff(struct req *r, const struct route_params *p)
{
	(void)p;
	const char *bid = req_arg(r, "base"), *tid = req_arg(r, "target");
	if (!bid || !tid || !*bid || !*tid)
		return reply_error(r, 400, "bad_request", "diff/runtime needs base=ID and target=ID");
	if (!util_is_id(bid) || !util_is_id(tid))
		return reply_error(r, 404, "not_found", "no profile with id %.40s",
		                   util_is_id(bid) ? tid : bid);
	int st1 = 0, st2 = 0;
	struct prof *pb = store_get(bid, &st1);
	struct prof *pt = store_get(tid, &st2);
	enum MHD_Result res;
	struct view_opts o;
	bool have_opts = false;
	struct buf out = BUF_INIT;
	if (!pb || !pt) {
		int st = !pb ? st1 : st2;
		res = st == 404
		              ? reply_error(r, 404, "not_found", "no profile with id %.40s", !pb ? bid : tid)
		              : reply_error(r, 500, "internal", "could not load a profile");
		goto out;
	}
	if (pb->n_types == 0 || pt->n_types == 0) {
		res = reply_error(r, 400, "incompatible_profiles",
		                  "a profile without sample types cannot be compared");
		goto out;
	}
	if (views_parse_opts(r, pb, &o, &res) < 0)
		goto out;
	have_opts = true;
	int bt = o.type;
	const char *type = prof_str(pb, pb->type_type[bt]), *unit = prof_str(pb, pb->type_unit[bt]);
	int tt = -1;
	for (uint32_t i = 0; i < pt->n_types && tt < 0; i++)
		if (!strcmp(prof_str(pt, pt->type_type[i]), type))
			tt = (int)i;
	if (tt < 0 || strcmp(prof_str(pt, pt->type_unit[tt]), unit) != 0) {
		res = reply_error(r, 400, "incompatible_profiles",
		                  tt < 0 ? "the target has no sample type %.64s"
		                         : "sample type %.64s has another unit in the target",
		                  type);
		goto out;
	}
	struct json j;
	json_init(&j, &out);
	json_obj_begin(&j);
	json_key(&j, "base");
	if (share_json(r, bid, pb, &o, &j, &res) < 0)
		goto out;
	o.type = tt;
	json_key(&j, "target");
	if (share_json(r, tid, pt, &o, &j, &res) < 0)
		goto out;
	json_obj_end(&j);
	if (out.oom) {
		res = reply_error(r, 500, "internal", "out of memory building the runtime share");
		goto out;
	}
	res = reply_buf(r, 200, "application/json", &out);
out:
	buf_release(&out);
	if (have_opts)
		view_opts_release(&o);
	store_release(pb);
	store_release(pt);
	return res;
}
