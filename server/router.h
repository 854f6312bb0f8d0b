/*
 * router.h: the route table (the whole HTTP API, in router.c, on one
 * screen) and the dispatcher that main.c hands to http_start.
 *
 * A request is matched on its method and its path as libmicrohttpd
 * delivers it: percent-decoded ("%2F" is already a '/'), without the
 * query string. The path is split at '/'; a pattern is matched segment
 * by segment:
 *
 *   "name"    that literal segment (case-sensitive)
 *   ":name"   any non-empty segment, handed to the handler as parameter
 *             name (routes.h: route_param)
 *   "*"       last in a pattern only: one or more remaining segments (the
 *             handler reads r->url)
 *
 * One trailing slash is ignored ("/p/ID/" is "/p/ID", as the web app
 * reads it); any other empty segment ("//", "/a//b") matches nothing. A
 * path of more than ROUTER_MAX_SEGS segments matches nothing; one of
 * ROUTER_MAX_PATH bytes or more is a 414.
 *
 * Rows are tried in order and the first whose pattern and method both
 * match runs; HEAD runs the GET row. When no pattern matches the path the
 * reply is 404 not_found; when some do but none with this method it is
 * 405 method_not_allowed with an Allow header listing their methods (HEAD
 * wherever GET is). Handlers check no method.
 *
 * Every row names the role its route needs (docs/SECURITY.md); access.h
 * checks it, in router_dispatch, before the handler runs:
 *
 *   ROLE_OPEN     anyone: the app's files, /healthz, the sign-in page,
 *                 signing out
 *   ROLE_READ     a read token or better (or a sign-in): views, lists,
 *                 pages (to nobody, a page answers the sign-in page, 401)
 *   ROLE_WRITE    write or admin: uploads and edits
 *   ROLE_ADMIN    admin: deletes, targets, retention
 *   ROLE_METRICS  what --metrics-role says (default read): for /metrics
 *
 * ROLE_UNSET (0) is a row without a rule: it is refused as ROLE_ADMIN and
 * fails the unit tests. Without --auth-file no role is checked; the Host
 * and Origin rules (origin.h) apply to every request either way.
 */
#ifndef FDX_ROUTER_H
#define FDX_ROUTER_H

#include <stddef.h>

#include "http.h"
#include "routes.h"

#define ROUTER_MAX_SEGS 8
#define ROUTER_MAX_PATH 1024

enum route_role { ROLE_UNSET = 0, ROLE_OPEN, ROLE_READ, ROLE_WRITE, ROLE_ADMIN, ROLE_METRICS };

struct route {
	enum http_method method;
	const char *pattern;
	route_handler handler;
	enum route_role role;
};

/* The route table, n rows. */
const struct route *router_table(size_t *n);

struct router_match {
	int status;                 /* 200 (route is set), 404, 405 or 414 */
	const struct route *route;
	unsigned allow;             /* 405: bit 1u << m for each allowed method m */
	struct route_params params; /* 200: point into the buffers below */
	char path[ROUTER_MAX_PATH];
	char names[64];
};

/* Resolve a method and a path against the table into out. */
void router_match(enum http_method m, const char *path, struct router_match *out);

/* The Allow header value for a method mask: "GET, HEAD, DELETE" (in the
 * order of enum http_method). */
void router_allow(unsigned mask, char *out, size_t cap);

/* The dispatcher for http_start: refuses what the Host and Origin rules
 * refuse (access_guard), resolves the route (replying 404, 405 with Allow,
 * or 414), checks its role (access_check: 401, 403, 429), then runs the
 * handler with the caller bound (access_who) and writes the audit line of
 * a state-changing request (access_audit). */
enum MHD_Result router_dispatch(struct req *r);
/* http_admit_fn (http.h): the same Host, Origin and role checks as
 * router_dispatch, before a body is read; true when it replied. */
bool router_admit(struct req *r, enum MHD_Result *res);

#endif
