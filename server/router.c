/*
 * router.c: the route table and the matcher (see router.h).
 */
#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "metrics.h"
#include "util.h"

static const struct route table[] = {
	/* profiles (route_profiles.c) */
	{ M_POST,   "/api/v1/profiles",                route_profiles_upload,   ROLE_WRITE },
	{ M_GET,    "/api/v1/profiles",                route_profiles_list,     ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id",            route_profiles_meta,     ROLE_READ },
	{ M_DELETE, "/api/v1/profiles/:id",            route_profiles_delete,   ROLE_ADMIN },
	{ M_PATCH,  "/api/v1/profiles/:id",            route_profiles_edit,     ROLE_WRITE },
	{ M_GET,    "/api/v1/profiles/:id/raw",        route_profiles_raw,      ROLE_READ },
	{ M_GET,    "/api/v1/labels",                  route_profiles_labels,   ROLE_READ },
	/* views of one profile (route_views.c) */
	{ M_GET,    "/api/v1/profiles/:id/top",        route_views_top,         ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id/flamegraph", route_views_flamegraph,  ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id/tags",       route_views_tags,        ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id/sandwich",   route_views_sandwich,    ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id/list",       route_views_list,        ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id/graph",      route_graph,             ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id/peek",       route_graph_peek,        ROLE_READ },
	{ M_GET,    "/api/v1/profiles/:id/export",     route_export,            ROLE_READ },
	/* two profiles (route_diff.c), a series (route_leaks.c) */
	{ M_GET,    "/api/v1/diff",                    route_diff_tree,         ROLE_READ },
	{ M_GET,    "/api/v1/diff/top",                route_diff_top,          ROLE_READ },
	{ M_GET,    "/api/v1/diff/check",              route_diff_check,        ROLE_READ },
	{ M_GET,    "/api/v1/leaks",                   route_leaks,             ROLE_READ },
	/* the runtime share of CPU profiles (route_runtime.c) */
	{ M_GET,    "/api/v1/profiles/:id/runtime",    route_runtime_profile,   ROLE_READ },
	{ M_GET,    "/api/v1/diff/runtime",            route_runtime_diff,      ROLE_READ },
	/* functions over time, the timeline (route_functions.c) */
	{ M_GET,    "/api/v1/functions",               route_functions_series,  ROLE_READ },
	{ M_GET,    "/api/v1/functions/top",           route_functions_top,     ROLE_READ },
	{ M_GET,    "/api/v1/timeline",                route_functions_timeline, ROLE_READ },
	/* scraping (route_targets.c) */
	{ M_GET,    "/api/v1/targets",                 route_targets_list,      ROLE_READ },
	{ M_GET,    "/metrics",                        route_targets_metrics,   ROLE_METRICS },
	/* many profiles at once (route_merge.c) */
	{ M_GET,    "/api/v1/series",                  route_merge_series,      ROLE_READ },
	{ M_GET,    "/api/v1/merge/top",               route_merge_top,         ROLE_READ },
	{ M_GET,    "/api/v1/merge/flamegraph",        route_merge_flamegraph,  ROLE_READ },
	{ M_GET,    "/api/v1/merge/tags",              route_merge_tags,        ROLE_READ },
	{ M_GET,    "/api/v1/merge/sandwich",          route_merge_sandwich,    ROLE_READ },
	{ M_GET,    "/api/v1/merge/raw",               route_merge_raw,         ROLE_READ },
	{ M_GET,    "/api/v1/pgo",                     route_merge_pgo,         ROLE_READ },
	/* pages, all index.html: the app reads its state from the URL */
	{ M_GET,    "/",                               route_static_page,       ROLE_READ },
	{ M_GET,    "/p/:id",                          route_static_page,       ROLE_READ },
	{ M_GET,    "/diff/:base/:target",             route_static_page,       ROLE_READ },
	{ M_GET,    "/leaks",                          route_static_page,       ROLE_READ },
	{ M_GET,    "/s",                              route_static_page,       ROLE_READ },
	{ M_GET,    "/targets",                        route_static_page,       ROLE_READ },
	{ M_GET,    "/m",                              route_static_page,       ROLE_READ },
	{ M_GET,    "/healthz",                        route_static_healthz,    ROLE_OPEN },
	/* signing in and out (route_auth.c) */
	{ M_GET,    "/login",                          route_auth_page,         ROLE_OPEN },
	{ M_POST,   "/api/v1/login",                   route_auth_login,        ROLE_READ },
	{ M_POST,   "/api/v1/logout",                  route_auth_logout,       ROLE_OPEN },
	{ M_GET,    "/api/v1/whoami",                  route_auth_whoami,       ROLE_READ },
	/* the app's files under --web (a new directory there needs a row) */
	{ M_GET,    "/css/*",                          route_static_file,       ROLE_OPEN },
	{ M_GET,    "/js/*",                           route_static_file,       ROLE_OPEN },
	{ M_GET,    "/static/v/*",                     route_static_versioned,  ROLE_OPEN },
	{ M_GET,    "/:file",                          route_static_file,       ROLE_OPEN },
};

const struct route *router_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

/* Does pattern match the n segments seg? Parameters go to out->params,
 * their names to out->names. */
static bool match(const char *pattern, char *const *seg, int n, struct router_match *out)
{
	struct route_params *ps = &out->params;
	size_t used = 0;
	int i = 0;
	ps->n = 0;
	for (const char *q = pattern; *q == '/' && q[1];) {
		q++;
		size_t len = strcspn(q, "/");
		if (len == 1 && q[0] == '*' && q[1] == '\0')
			return i < n;
		if (i == n)
			return false;
		if (q[0] == ':') {
			if (ps->n == ROUTE_MAX_PARAMS || used + len > sizeof(out->names))
				return false; /* a pattern the structures cannot hold */
			memcpy(out->names + used, q + 1, len - 1);
			out->names[used + len - 1] = '\0';
			ps->name[ps->n] = out->names + used;
			ps->value[ps->n++] = seg[i];
			used += len;
		} else if (strlen(seg[i]) != len || memcmp(seg[i], q, len) != 0) {
			return false;
		}
		i++;
		q += len;
	}
	return i == n;
}

/* Split out->path in place into segments. 0, or 404 (an empty segment,
 * too many segments, no leading '/'). */
static int split(struct router_match *out, char **seg, int *n)
{
	char *s = out->path;
	size_t len = strlen(s);
	*n = 0;
	if (s[0] != '/')
		return 404;
	if (len > 2 && s[len - 1] == '/' && s[len - 2] != '/')
		s[--len] = '\0'; /* one trailing slash after a segment */
	if (len == 1)
		return 0; /* "/" */
	for (char *p = s + 1;;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!*p || *n == ROUTER_MAX_SEGS)
			return 404;
		seg[(*n)++] = p;
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

void router_match(enum http_method m, const char *path, struct router_match *out)
{
	out->route = NULL;
	out->allow = 0;
	out->params.n = 0;
	size_t len = strlen(path);
	if (len >= sizeof(out->path)) {
		out->status = 414;
		return;
	}
	memcpy(out->path, path, len + 1);
	char *seg[ROUTER_MAX_SEGS];
	int n;
	out->status = split(out, seg, &n);
	if (out->status)
		return;
	enum http_method want = m == M_HEAD ? M_GET : m;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!match(table[i].pattern, seg, n, out))
			continue;
		if (table[i].method == want) {
			out->status = 200;
			out->route = &table[i];
			return;
		}
		out->allow |= 1u << table[i].method;
		if (table[i].method == M_GET)
			out->allow |= 1u << M_HEAD;
	}
	out->params.n = 0;
	out->status = out->allow ? 405 : 404;
}

void router_allow(unsigned mask, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (int m = 0; m < M_COUNT; m++) {
		if (!(mask & (1u << m)))
			continue;
		int k = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", http_method_name((enum http_method)m));
		if (k < 0 || (size_t)k >= cap - used) {
			out[used] = '\0'; /* whole methods only */
			break;
		}
		used += (size_t)k;
	}
}

bool router_admit(struct req *r, enum MHD_Result *res)
{
	if (access_guard(r, res))
		return true;
	struct router_match m;
	router_match(r->method, r->url, &m);
	if (m.status != 200)
		return false; /* dispatch answers 404/405/414 without reading more */
	struct auth_who who;
	return access_check(r, m.route, &who, res);
}

enum MHD_Result router_dispatch(struct req *r)
{
	enum MHD_Result res;
	if (access_guard(r, &res))
		return res;
	struct router_match m;
	router_match(r->method, r->url, &m);
	if (m.status == 200) {
		struct auth_who who;
		if (access_check(r, m.route, &who, &res))
			return res;
		access_bind(r, &who);
		res = m.route->handler(r, &m.params);
		metrics_request(http_method_name(m.route->method), m.route->pattern, r->status, util_mono_ms() - r->t0);
		access_audit(r, m.route, &m.params);
		access_unbind();
		return res;
	}
	if (m.status == 414)
		return reply_error(r, 414, "uri_too_long", "the path is longer than %d bytes", ROUTER_MAX_PATH - 1);
	if (m.status == 405) {
		char allow[64];
		router_allow(m.allow, allow, sizeof(allow));
		reply_header(r, "Allow", allow);
		return reply_error(r, 405, "method_not_allowed", "%.32s is not allowed here; use %s", r->method_str,
		                   allow);
	}
	return reply_error(r, 404, "not_found", "no such endpoint");
}
