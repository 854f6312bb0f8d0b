/*
 * routes.h: the request handlers, one file per endpoint group.
 *
 * The router (router.h) calls a handler when the request's method and path
 * match its row of the route table: the method is right (HEAD runs the GET
 * handler; libmicrohttpd drops the body), the body is complete, and the
 * path parameters of the pattern (":id", ...) are in p. A handler replies
 * exactly once. No route file includes another; what two groups share is
 * declared here (views_parse_opts, at the end).
 */
#ifndef FDX_ROUTES_H
#define FDX_ROUTES_H

#include <string.h>

#include "http.h"

#define ROUTE_MAX_PARAMS 4

/* Path parameters: the segments matched by ":name" in the pattern, each
 * non-empty, as libmicrohttpd decoded them. */
struct route_params {
	int n;
	const char *name[ROUTE_MAX_PARAMS];
	const char *value[ROUTE_MAX_PARAMS];
};

/* The value of parameter name (without the ':'), or NULL. */
static inline const char *route_param(const struct route_params *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return NULL;
}

typedef enum MHD_Result (*route_handler)(struct req *r, const struct route_params *p);

/* route_profiles.c: upload, list, metadata, raw bytes, delete, labels */
enum MHD_Result route_profiles_upload(struct req *r, const struct route_params *p);
enum MHD_Result route_profiles_list(struct req *r, const struct route_params *p);
enum MHD_Result route_profiles_meta(struct req *r, const struct route_params *p);   /* :id */
enum MHD_Result route_profiles_delete(struct req *r, const struct route_params *p); /* :id */
enum MHD_Result route_profiles_raw(struct req *r, const struct route_params *p);    /* :id */
enum MHD_Result route_profiles_labels(struct req *r, const struct route_params *p);
enum MHD_Result route_profiles_edit(struct req *r, const struct route_params *p);   /* PATCH :id */
/* Content-Disposition of a download of the profile called name, whose
 * bytes call for extension ext (".pb.gz"), into out. */
void route_profiles_disposition(const char *name, const char *ext, struct buf *out);

/* route_views.c: views of one profile (:id) */
enum MHD_Result route_views_top(struct req *r, const struct route_params *p);
enum MHD_Result route_views_flamegraph(struct req *r, const struct route_params *p);
enum MHD_Result route_views_tags(struct req *r, const struct route_params *p);
/* route_graph.c: pprof's call graph (:id) as DOT, SVG or JSON; peek */
enum MHD_Result route_graph(struct req *r, const struct route_params *p);
enum MHD_Result route_graph_peek(struct req *r, const struct route_params *p);
enum MHD_Result route_views_sandwich(struct req *r, const struct route_params *p);
enum MHD_Result route_views_list(struct req *r, const struct route_params *p);  /* pprof -list's numbers */
/* route_export.c */
enum MHD_Result route_export(struct req *r, const struct route_params *p);

/* route_diff.c: two profiles compared (base= and target= in the query) */
enum MHD_Result route_diff_tree(struct req *r, const struct route_params *p);
enum MHD_Result route_diff_top(struct req *r, const struct route_params *p);
enum MHD_Result route_diff_check(struct req *r, const struct route_params *p);

/* route_runtime.c: the runtime share of CPU profiles (runtime_share.h) */
enum MHD_Result route_runtime_profile(struct req *r, const struct route_params *p); /* :id */
enum MHD_Result route_runtime_diff(struct req *r, const struct route_params *p);

/* route_functions.c: functions over time (findex.h), the timeline (timeline.h) */
enum MHD_Result route_functions_series(struct req *r, const struct route_params *p);
enum MHD_Result route_functions_top(struct req *r, const struct route_params *p);
enum MHD_Result route_functions_timeline(struct req *r, const struct route_params *p);
/* route_merge.c: series, merged views, the merged profile, default.pgo */
enum MHD_Result route_merge_series(struct req *r, const struct route_params *p);
enum MHD_Result route_merge_top(struct req *r, const struct route_params *p);
enum MHD_Result route_merge_flamegraph(struct req *r, const struct route_params *p);
enum MHD_Result route_merge_tags(struct req *r, const struct route_params *p);
enum MHD_Result route_merge_sandwich(struct req *r, const struct route_params *p);
enum MHD_Result route_merge_raw(struct req *r, const struct route_params *p);
enum MHD_Result route_merge_pgo(struct req *r, const struct route_params *p);

/* route_leaks.c: leak candidates over snapshots */
enum MHD_Result route_leaks(struct req *r, const struct route_params *p);
/* route_targets.c: the scraper's targets, /metrics */
enum MHD_Result route_targets_list(struct req *r, const struct route_params *p);
enum MHD_Result route_targets_metrics(struct req *r, const struct route_params *p);

/* route_static.c: the app's pages (all index.html), its files, /healthz */
enum MHD_Result route_static_page(struct req *r, const struct route_params *p);
enum MHD_Result route_static_file(struct req *r, const struct route_params *p);
enum MHD_Result route_static_versioned(struct req *r, const struct route_params *p);
enum MHD_Result route_static_healthz(struct req *r, const struct route_params *p);

/* route_auth.c: signing in and out (docs/SECURITY.md) */
enum MHD_Result route_auth_page(struct req *r, const struct route_params *p);    /* GET /login */
enum MHD_Result route_auth_login(struct req *r, const struct route_params *p);   /* POST, a token */
enum MHD_Result route_auth_logout(struct req *r, const struct route_params *p);
enum MHD_Result route_auth_whoami(struct req *r, const struct route_params *p);

struct prof;
struct view_opts;
/* route_views.c, also used by route_diff.c: parse sample_type and the
 * filters for profile p into o. 0, or -1 after replying with a 400 (result
 * in *res). Release o with view_opts_release. */
int views_parse_opts(struct req *r, const struct prof *p, struct view_opts *o, enum MHD_Result *res);
/* route_views.c, also used by route_runtime.c, route_export.c and
 * route_graph.c: the decoded profile id (release with store_release) with
 * its options parsed into o (release with view_opts_release); or NULL
 * after replying in *res (404 not_found, 500, or views_parse_opts' 400). */
struct prof *views_load(struct req *r, const char *id, struct view_opts *o, enum MHD_Result *res);

/* route_views.c, also used by route_diff.c and route_leaks.c: run
 * fn(r, ctx) as a heavy request (heavy.h): admitted, or answered 503 busy
 * with Retry-After when no slot frees up in time. */
enum MHD_Result views_heavy(struct req *r, enum MHD_Result (*fn)(struct req *r, void *ctx), void *ctx);
/* route_views.c, used by route_profiles.c after an upload: the answers of
 * the profile's default flame graph (GET .../flamegraph, no arguments:
 * what the page asks for first) and of the page's top table
 * (sort=flat&limit=1000) computed now and kept, in memory and in the
 * database (answers.h), so that the first view is as fast as a warm one,
 * after a restart and on another replica too. Nothing when memory is
 * short. */
void views_prime(const char *id, const struct prof *p);
/* route_views.c, for /metrics: the kept answers' figures (all 0 before
 * the first view, or with no share of --cache-bytes). */
struct respcache_stats;
void views_cache_stats(struct respcache_stats *out);
/* 503 busy with Retry-After and this message (heavy_reserve refused). */
enum MHD_Result views_busy(struct req *r, const char *msg);

#endif
