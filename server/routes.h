/*
 * routes.h: the endpoint groups, one file each.
 *
 * Each handler gets the request (its body complete) and the path split
 * into segments; it replies exactly once.
 */
#ifndef FDX_ROUTES_H
#define FDX_ROUTES_H

#include "http.h"

#define ROUTE_MAX_SEGS 8

struct path {
	char *seg[ROUTE_MAX_SEGS];
	int n;
};

enum MHD_Result routes_dispatch(struct req *r);

/* route_profiles.c: upload, list, metadata, raw, delete */
enum MHD_Result route_profiles(struct req *r, const struct path *p);
/* GET /api/v1/labels (in route_profiles.c) */
enum MHD_Result route_labels(struct req *r, const struct path *p);
/* route_views.c: top, flamegraph, tags, sandwich (and diff) */
enum MHD_Result route_views(struct req *r, const struct path *p);
/* route_static.c: the web app and its assets, /healthz */
enum MHD_Result route_static(struct req *r, const struct path *p);

/* route_diff.c: /api/v1/diff and /api/v1/diff/top */
enum MHD_Result route_diff(struct req *r, const struct path *p);

/* route_leaks.c: /api/v1/leaks */
enum MHD_Result route_leaks(struct req *r, const struct path *p);

struct prof;
struct view_opts;
/* Parse sample_type and the filters for profile p into o. 0, or -1 after
 * replying with a 400 (result in *res). Release o with view_opts_release. */
int views_parse_opts(struct req *r, const struct prof *p, struct view_opts *o, enum MHD_Result *res);

#endif
