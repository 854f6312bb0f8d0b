/*
 * route_merge.c: many profiles at once (selection.h).
 *
 *   GET /api/v1/series?type=&label=k:v…
 *   GET /api/v1/merge/top?<selection>&agg=sum|avg&sample_type=&sort=&limit=&<filters>
 *   GET /api/v1/merge/flamegraph?<selection>&agg=&sample_type=&max_nodes=&<filters>
 *   GET /api/v1/merge/tags?<selection>&agg=&sample_type=&max_values=&<filters>
 *   GET /api/v1/merge/sandwich?<selection>&function=NAME&agg=&sample_type=&<filters>
 *   GET /api/v1/merge/raw?<selection>&agg=
 *   GET /api/v1/pgo?<selection>&keep_top=N
 *
 * The merged model (merge.h) goes through the views of one profile
 * (view.h), so the answers have their shapes, with one more member first:
 * "merge": {"profiles", "agg", "kind", "first", "sample_types",
 * "default_sample_type", "duration_ns"}. agg=sum is pprof's merge; agg=avg
 * divides every value by the number of profiles merged, rounded as pprof's
 * Scale rounds (the mean snapshot, for goroutine and heap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "downsample.h"
#include "json.h"
#include "limits.h"
#include "pgo.h"
#include "profwrite.h"
#include "routes.h"
#include "selection.h"
#include "store.h"
#include "util.h"
#include "view.h"
#include "work.h"

/* the retention of job's downsampled profiles (its own policy, else the base) */
static unsigned job_ds_retention(const char *job)
{
	struct scrape_downsample d;
	downsample_settings_for(job, &d);
	return d.retention_s;
}

enum MHD_Result route_merge_series(struct req *r, const struct route_params *rp)
{
	(void)rp;
	enum MHD_Result res;
	/* the series endpoint takes type= and label= only */
	if (req_arg(r, "ids") || req_arg(r, "from") || req_arg(r, "to"))
		return reply_error(r, 400, "bad_request", "series takes type= and label= only");
	const char *kind = req_arg(r, "type");
	if (kind && *kind && prof_kind_parse(kind) < 0)
		return reply_error(r, 400, "bad_request", "type must be one of cpu, heap, goroutine, mutex, block, other");
	/* label= parsed as a selection would be; the ids are not needed */
	struct store_label labels[FDX_MAX_SELECTION_LABELS];
	int n = 0;
	if (selection_labels(r, "", labels, &n, &res) < 0)
		return res;
	struct store_sel q = { .labels = labels, .n_labels = n, .kind = kind && *kind ? kind : NULL };
	struct scrape_downsample ds;
	downsample_settings(&ds);
	struct store_series_retention ret = { .scraped_s = cfg.retention_s, .uploads_s = cfg.retention_uploads_s,
		                              .downsampled_s = ds.retention_s, .downsampled_of = job_ds_retention };
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (store_series(&q, &ret, &j) < 0 || out.oom) {
		buf_release(&out);
		int why = work_poll();
		return why != WORK_OK ? reply_stopped(r, why) : reply_error(r, 500, "internal", "could not list series");
	}
	return reply_buf(r, 200, "application/json", &out);
}

/* agg= : 0 sum, 1 avg, -1 bad. */
static int parse_agg(struct req *r)
{
	const char *a = req_arg(r, "agg");
	if (!a || !*a || !strcmp(a, "sum"))
		return 0;
	return !strcmp(a, "avg") ? 1 : -1;
}

/* Prepend "merge":{…} to the object in out. */
static int add_merge_member(struct buf *out, const struct sel_prof *sp, bool avg)
{
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_obj_begin(&j);
	json_key(&j, "merge");
	json_obj_begin(&j);
	json_key(&j, "profiles");
	json_int(&j, sp->n);
	json_key(&j, "agg");
	json_str(&j, avg ? "avg" : "sum");
	json_key(&j, "kind");
	json_str(&j, prof_kind_name(sp->p->kind));
	json_key(&j, "first");
	json_str(&j, sp->first);
	json_key(&j, "sample_types");
	json_arr_begin(&j);
	for (uint32_t t = 0; t < sp->p->n_types; t++)
		view_json_sample_type(&j, sp->p, (int)t);
	json_arr_end(&j);
	json_key(&j, "default_sample_type");
	json_str(&j, sp->p->n_types ? prof_str(sp->p, sp->p->type_type[sp->p->default_type]) : "");
	json_key(&j, "duration_ns");
	json_int(&j, sp->p->duration_nanos);
	json_obj_end(&j);
	if (b.oom || !out->data || out->len < 2 || out->data[0] != '{') {
		buf_release(&b);
		return -1;
	}
	if (out->len > 2)
		buf_add(&b, ",", 1);
	buf_add(&b, out->data + 1, out->len - 1);
	if (b.oom) {
		buf_release(&b);
		return -1;
	}
	buf_release(out);
	*out = b;
	return 0;
}

enum merge_view { MV_TOP, MV_FLAME, MV_TAGS, MV_SANDWICH };

static enum MHD_Result merge_view_admitted(struct req *r, enum merge_view what);

static enum MHD_Result merge_view_run(struct req *r, void *ctx)
{
	return merge_view_admitted(r, *(enum merge_view *)ctx);
}

/* A merge is a heavy request (heavy.h), as a view of one profile is. */
static enum MHD_Result merge_view(struct req *r, enum merge_view what)
{
	return views_heavy(r, merge_view_run, &what);
}

static enum MHD_Result merge_view_admitted(struct req *r, enum merge_view what)
{
	long limit = 0, max_nodes = FDX_DEFAULT_MAX_NODES, max_values = 0;
	enum view_top_order order = VIEW_TOP_FLAT;
	const char *sort = req_arg(r, "sort");
	if (sort && *sort) {
		if (!strcmp(sort, "cum"))
			order = VIEW_TOP_CUM;
		else if (!strcmp(sort, "name"))
			order = VIEW_TOP_NAME;
		else if (strcmp(sort, "flat") != 0)
			return reply_error(r, 400, "bad_request", "sort must be flat, cum or name");
	}
	if (req_long(r, "limit", 0, 0, 100000000, &limit) < 0)
		return reply_error(r, 400, "bad_request", "limit must be a non-negative integer");
	if (req_long(r, "max_values", 0, 0, 100000000, &max_values) < 0)
		return reply_error(r, 400, "bad_request", "max_values must be a non-negative integer");
	if (req_long(r, "max_nodes", FDX_DEFAULT_MAX_NODES, 0, 100000000, &max_nodes) < 0)
		return reply_error(r, 400, "bad_request", "max_nodes must be a non-negative integer");
	int agg = parse_agg(r);
	if (agg < 0)
		return reply_error(r, 400, "bad_request", "agg must be sum or avg");
	const char *function = req_arg(r, "function");
	if (what == MV_SANDWICH && (!function || !*function))
		return reply_error(r, 400, "bad_request", "sandwich needs function=NAME");

	struct sel_prof sp;
	struct selection sel;
	enum MHD_Result res;
	int rc = selection_parse(r, "", &sel, &res);
	if (rc == SELECTION_ABSENT)
		return reply_error(r, 400, "bad_request", "a merge needs ids=A,B,… or label=k:v (with type=, from=, to=)");
	if (rc < 0)
		return res;
	/* the same view of the same profiles, answered before: sent again */
	static const char *const names[] = { "top", "flamegraph", "tags", "sandwich" };
	struct buf key = BUF_INIT, out = BUF_INIT;
	if (selection_view_cached(r, &sel, names[what], &key, &out)) {
		selection_release(&sel);
		buf_release(&key);
		if (out.oom) {
			buf_release(&out);
			return reply_stopped(r, WORK_NOMEM);
		}
		return reply_buf(r, 200, "application/json", &out);
	}
	rc = selection_merge(r, &sel, &sp, &res);
	selection_release(&sel);
	if (rc < 0) {
		buf_release(&key);
		buf_release(&out);
		return res;
	}
	struct view_opts o;
	if (views_parse_opts(r, sp.p, &o, &res) < 0) {
		sel_prof_release(&sp);
		buf_release(&key);
		buf_release(&out);
		return res;
	}
	if (agg == 1 && sp.n > 1)
		o.scale = 1.0 / (double)sp.n;
	struct view v;
	char why[512] = "";
	rc = view_build(sp.p, &o, what == MV_TAGS, &v);
	struct json j;
	json_init(&j, &out);
	if (rc == 0) {
		if (what == MV_TOP)
			rc = view_top_json_order(&v, order, limit, &j);
		else if (what == MV_FLAME)
			rc = view_flame_json(&v, max_nodes, &j);
		else if (what == MV_TAGS)
			rc = view_tags_json(&v, max_values, &j, why, sizeof(why));
		else
			rc = view_sandwich_json(&v, function, max_nodes, &j);
		view_release(&v);
	}
	view_opts_release(&o);
	if (rc == 0 && add_merge_member(&out, &sp, agg == 1) < 0)
		rc = -1;
	sel_prof_release(&sp);
	if (rc != 0)
		buf_release(&out);
	else
		selection_view_keep(&key, &out);
	buf_release(&key);
	if (rc == VIEW_OVERFLOW)
		return reply_error(r, 422, "overflow", "%s", why[0] ? why : "the values overflow 64 bits");
	if (rc == VIEW_NOT_FOUND)
		return reply_error(r, 404, "not_found", "function %.200s is not in this view", function);
	if (rc != 0) {
		int w = work_poll();
		return w != WORK_OK ? reply_stopped(r, w) : reply_error(r, 500, "internal", "out of memory building the view");
	}
	return reply_buf(r, 200, "application/json", &out);
}

enum MHD_Result route_merge_top(struct req *r, const struct route_params *p)
{
	(void)p;
	return merge_view(r, MV_TOP);
}

enum MHD_Result route_merge_flamegraph(struct req *r, const struct route_params *p)
{
	(void)p;
	return merge_view(r, MV_FLAME);
}

enum MHD_Result route_merge_tags(struct req *r, const struct route_params *p)
{
	(void)p;
	return merge_view(r, MV_TAGS);
}

enum MHD_Result route_merge_sandwich(struct req *r, const struct route_params *p)
{
	(void)p;
	return merge_view(r, MV_SANDWICH);
}

static enum MHD_Result merge_download_admitted(struct req *r, bool pgo);

static enum MHD_Result merge_download_run(struct req *r, void *ctx)
{
	return merge_download_admitted(r, *(bool *)ctx);
}

static enum MHD_Result merge_download(struct req *r, bool pgo)
{
	return views_heavy(r, merge_download_run, &pgo);
}

/* The merged profile as a download: raw (everything, agg applied) or pgo. */
static enum MHD_Result merge_download_admitted(struct req *r, bool pgo)
{
	int agg = 0;
	long keep_top = 0;
	if (pgo) {
		if (req_long(r, "keep_top", 0, 0, 100000000, &keep_top) < 0)
			return reply_error(r, 400, "bad_request", "keep_top must be a non-negative integer");
	} else if ((agg = parse_agg(r)) < 0) {
		return reply_error(r, 400, "bad_request", "agg must be sum or avg");
	}
	struct sel_prof sp;
	struct selection sel;
	enum MHD_Result res;
	int rc = selection_parse(r, "", &sel, &res);
	if (rc == SELECTION_ABSENT)
		return reply_error(r, 400, "bad_request", "needs ids=A,B,… or label=k:v (with type=, from=, to=)");
	if (rc < 0)
		return res;
	if (selection_merge(r, &sel, &sp, &res) < 0) {
		selection_release(&sel);
		return res;
	}
	uint8_t *data = NULL;
	size_t len = 0;
	char why[256] = "";
	if (pgo) {
		/* start lines are not in the decoded model: read them from the uploads */
		int64_t *lines = NULL;
		struct pgo_lines *pl = sp.p->kind == PROF_KIND_CPU ? pgo_lines_new() : NULL;
		for (int i = 0; pl && i < sel.n && work_poll() == WORK_OK; i++) {
			uint8_t *raw = NULL;
			size_t rlen = 0;
			if (store_raw(sel.ids[i], &raw, &rlen) == 0)
				pgo_lines_add(pl, raw, rlen, cfg.max_inflated); /* a profile without them adds none */
			free(raw);
		}
		if (pl)
			lines = pgo_lines_for(pl, sp.p);
		pgo_lines_free(pl);
		rc = work_poll() != WORK_OK ? -1 : pgo_write(sp.p, keep_top, lines, &data, &len, why, sizeof(why));
		free(lines);
	} else {
		struct profwrite_opts o = { 0 };
		if (agg == 1 && sp.n > 1)
			o.scale = 1.0 / (double)sp.n; /* scale <= 1: no overflow */
		rc = profwrite_gz(sp.p, &o, &data, &len);
	}
	sel_prof_release(&sp);
	selection_release(&sel);
	if (rc == PGO_NOT_CPU)
		return reply_error(r, 400, "not_cpu", "%s", why);
	if (rc != 0) {
		int w = work_poll();
		return w != WORK_OK ? reply_stopped(r, w) : reply_error(r, 500, "internal", "out of memory writing the profile");
	}
	reply_header(r, "Content-Disposition",
	             pgo ? "attachment; filename=default.pgo" : "attachment; filename=\"merged.pb.gz\"");
	return reply_owned(r, 200, "application/octet-stream", data, len);
}

enum MHD_Result route_merge_raw(struct req *r, const struct route_params *p)
{
	(void)p;
	return merge_download(r, false);
}

enum MHD_Result route_merge_pgo(struct req *r, const struct route_params *p)
{
	(void)p;
	return merge_download(r, true);
}
