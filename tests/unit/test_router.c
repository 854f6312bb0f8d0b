/*
 * test_router.c: the route table and the matcher (router.h).
 *
 * Paths are given as a client sends them and go through libmicrohttpd's
 * own MHD_http_unescape first, which is what the server does to a path
 * before the router sees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "router.h"
#include "tests.h"

/* Match method and raw (still percent-encoded) path into *m. */
static void route(enum http_method method, const char *raw, struct router_match *m)
{
	char path[2 * ROUTER_MAX_PATH];
	ck_assert_uint_lt(strlen(raw), sizeof(path));
	strcpy(path, raw);
	MHD_http_unescape(path);
	router_match(method, path, m);
}

/* raw resolves, with method, to the row with this pattern. */
static struct router_match *expect_route(enum http_method method, const char *raw, const char *pattern)
{
	static struct router_match m;
	route(method, raw, &m);
	ck_assert_msg(m.status == 200, "%s %s: status %d, want the route %s", http_method_name(method), raw,
	              m.status, pattern);
	ck_assert_msg(strcmp(m.route->pattern, pattern) == 0, "%s %s: matched %s, want %s",
	              http_method_name(method), raw, m.route->pattern, pattern);
	return &m;
}

static void expect_status(enum http_method method, const char *raw, int status)
{
	struct router_match m;
	route(method, raw, &m);
	ck_assert_msg(m.status == status, "%s %s: status %d, want %d", http_method_name(method), raw,
	              m.status, status);
}

static void expect_405(enum http_method method, const char *raw, const char *allow)
{
	struct router_match m;
	route(method, raw, &m);
	ck_assert_msg(m.status == 405, "%s %s: status %d, want 405", http_method_name(method), raw, m.status);
	char got[128];
	router_allow(m.allow, got, sizeof(got));
	ck_assert_msg(strcmp(got, allow) == 0, "%s %s: Allow \"%s\", want \"%s\"", http_method_name(method),
	              raw, got, allow);
}

/* A concrete path for pattern: ":name" becomes "v-name", "*" "a/b.js". */
static void concrete(const char *pattern, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *q = pattern; *q;) {
		size_t len = strcspn(q + 1, "/") + 1; /* "/seg" */
		int k;
		if (q[1] == ':')
			k = snprintf(out + used, cap - used, "/v-%.*s", (int)(len - 2), q + 2);
		else if (q[1] == '*')
			k = snprintf(out + used, cap - used, "/a/b.js");
		else
			k = snprintf(out + used, cap - used, "%.*s", (int)len, q);
		ck_assert(k > 0 && (size_t)k < cap - used);
		used += (size_t)k;
		q += len;
	}
}

START_TEST(every_route_resolves)
{
	size_t n;
	const struct route *t = router_table(&n);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		char path[256], slash[260];
		concrete(t[i].pattern, path, sizeof(path));
		snprintf(slash, sizeof(slash), "%s/", path);
		const char *variants[] = { path, strcmp(path, "/") ? slash : path };
		for (int v = 0; v < 2; v++) {
			struct router_match *m = expect_route(t[i].method, variants[v], t[i].pattern);
			ck_assert_msg(m->route == &t[i], "%s resolves to another row with its pattern", path);
			ck_assert_ptr_nonnull(m->route->handler);
			/* Every ":name" arrives as its segment. */
			int params = 0;
			for (const char *q = strchr(t[i].pattern, ':'); q; q = strchr(q + 1, ':')) {
				char name[32], want[40];
				snprintf(name, sizeof(name), "%.*s", (int)strcspn(q + 1, "/"), q + 1);
				snprintf(want, sizeof(want), "v-%s", name);
				const char *got = route_param(&m->params, name);
				ck_assert_msg(got && strcmp(got, want) == 0, "%s: parameter %s is %s", path, name,
				              got ? got : "missing");
				params++;
			}
			ck_assert_int_eq(m->params.n, params);
		}
		if (t[i].method == M_GET)
			ck_assert_ptr_eq(expect_route(M_HEAD, path, t[i].pattern)->route, &t[i]);
		/* PUT is no route's method: every known path answers 405. */
		struct router_match m;
		route(M_PUT, path, &m);
		ck_assert_int_eq(m.status, 405);
		ck_assert_msg(m.allow & (1u << t[i].method), "%s: Allow misses its own method", path);
		/* PATCH is one route's (renaming a profile); elsewhere 405 */
		route(M_PATCH, path, &m);
		if (strcmp(t[i].pattern, "/api/v1/profiles/:id") == 0)
			ck_assert_int_eq(m.status, 200);
		else
			ck_assert_int_eq(m.status, 405);
	}
}
END_TEST

START_TEST(the_api)
{
	/* The documented endpoints (docs/API.md), written out. */
	expect_route(M_POST, "/api/v1/profiles", "/api/v1/profiles");
	expect_route(M_GET, "/api/v1/profiles", "/api/v1/profiles");
	expect_route(M_GET, "/api/v1/profiles/ID", "/api/v1/profiles/:id");
	expect_route(M_DELETE, "/api/v1/profiles/ID", "/api/v1/profiles/:id");
	expect_route(M_PATCH, "/api/v1/profiles/ID", "/api/v1/profiles/:id");
	expect_route(M_GET, "/api/v1/profiles/ID/raw", "/api/v1/profiles/:id/raw");
	expect_route(M_GET, "/api/v1/profiles/ID/top", "/api/v1/profiles/:id/top");
	expect_route(M_GET, "/api/v1/profiles/ID/flamegraph", "/api/v1/profiles/:id/flamegraph");
	expect_route(M_GET, "/api/v1/profiles/ID/tags", "/api/v1/profiles/:id/tags");
	expect_route(M_GET, "/api/v1/profiles/ID/sandwich", "/api/v1/profiles/:id/sandwich");
	expect_route(M_GET, "/api/v1/profiles/ID/graph", "/api/v1/profiles/:id/graph");
	expect_route(M_GET, "/api/v1/profiles/ID/peek", "/api/v1/profiles/:id/peek");
	expect_route(M_GET, "/api/v1/diff", "/api/v1/diff");
	expect_route(M_GET, "/api/v1/diff/top", "/api/v1/diff/top");
	expect_route(M_GET, "/api/v1/diff/check", "/api/v1/diff/check");
	expect_route(M_GET, "/api/v1/leaks", "/api/v1/leaks");
	expect_route(M_GET, "/api/v1/profiles/ID/runtime", "/api/v1/profiles/:id/runtime");
	expect_route(M_GET, "/api/v1/diff/runtime", "/api/v1/diff/runtime");
	expect_route(M_GET, "/api/v1/functions", "/api/v1/functions");
	expect_route(M_GET, "/api/v1/functions/top", "/api/v1/functions/top");
	expect_route(M_GET, "/api/v1/timeline", "/api/v1/timeline");
	expect_route(M_GET, "/s", "/s");
	expect_route(M_GET, "/api/v1/labels", "/api/v1/labels");
	expect_route(M_GET, "/", "/");
	expect_route(M_GET, "/p/ID", "/p/:id");
	expect_route(M_GET, "/diff/A/B", "/diff/:base/:target");
	expect_route(M_GET, "/leaks", "/leaks");
	expect_route(M_GET, "/api/v1/targets", "/api/v1/targets");
	expect_route(M_GET, "/metrics", "/metrics");
	expect_route(M_GET, "/targets", "/targets");
	expect_route(M_HEAD, "/healthz", "/healthz");
	expect_route(M_GET, "/index.html", "/:file");
	expect_route(M_GET, "/favicon.svg", "/:file");
	expect_route(M_GET, "/css/app.css", "/css/*");
	expect_route(M_GET, "/js/flame/render.js", "/js/*");
}
END_TEST

START_TEST(unknown_paths)
{
	static const char *const paths[] = {
		"/api/v1/nope", "/api/v2/profiles", "/api/v1/profiles/ID/nope", "/api/v1/profiles/ID/top/more",
		"/api/v1/profiles/ID/raw/x", "/api/v1/diff/nope", "/api/v1/leaks/ID", "/api/v1/labels/x",
		"/api/v1", "/p/A/B", "/diff/A", "/diff/A/B/C", "/leaks/x", "/healthz/x", "/img/logo.png",
		"/API/v1/profiles",
	};
	static const enum http_method methods[] = { M_GET, M_HEAD, M_POST, M_DELETE, M_PUT, M_OTHER };
	for (size_t i = 0; i < ARRLEN(paths); i++)
		for (size_t k = 0; k < ARRLEN(methods); k++)
			expect_status(methods[k], paths[i], 404);
	/* "/css" is a file name like any other: GET looks for it (404 there). */
	expect_route(M_GET, "/css", "/:file");
	/* Not a path at all. */
	expect_status(M_GET, "", 404);
	expect_status(M_GET, "api/v1/profiles", 404);
}
END_TEST

START_TEST(wrong_methods)
{
	expect_405(M_PUT, "/api/v1/profiles", "GET, HEAD, POST");
	expect_405(M_DELETE, "/api/v1/profiles", "GET, HEAD, POST");
	expect_405(M_POST, "/api/v1/profiles/ID", "GET, HEAD, DELETE, PATCH");
	expect_405(M_PUT, "/api/v1/profiles/ID", "GET, HEAD, DELETE, PATCH");
	expect_405(M_OTHER, "/api/v1/profiles/ID", "GET, HEAD, DELETE, PATCH");
	expect_405(M_DELETE, "/api/v1/profiles/ID/raw", "GET, HEAD");
	expect_405(M_POST, "/api/v1/profiles/ID/top", "GET, HEAD");
	expect_405(M_DELETE, "/api/v1/profiles/ID/flamegraph", "GET, HEAD");
	expect_405(M_POST, "/api/v1/diff/check", "GET, HEAD");
	expect_405(M_POST, "/api/v1/leaks", "GET, HEAD");
	expect_405(M_OPTIONS, "/api/v1/labels", "GET, HEAD");
	expect_405(M_POST, "/healthz", "GET, HEAD");
	expect_405(M_POST, "/", "GET, HEAD");
	expect_405(M_DELETE, "/p/ID", "GET, HEAD");
	expect_405(M_POST, "/js/app.js", "GET, HEAD");
	/* HEAD runs wherever GET does. */
	expect_route(M_HEAD, "/api/v1/profiles/ID", "/api/v1/profiles/:id");
	expect_route(M_HEAD, "/api/v1/profiles/ID/raw", "/api/v1/profiles/:id/raw");
	char allow[128];
	router_allow(1u << M_DELETE | 1u << M_GET | 1u << M_HEAD, allow, sizeof(allow));
	ck_assert_str_eq(allow, "GET, HEAD, DELETE");
	router_allow(1u << M_DELETE | 1u << M_GET | 1u << M_HEAD, allow, 10); /* room for two */
	ck_assert_str_eq(allow, "GET, HEAD");
	router_allow(0, allow, sizeof(allow));
	ck_assert_str_eq(allow, "");
}
END_TEST

START_TEST(path_parameters)
{
	struct router_match *m = expect_route(M_GET, "/diff/AAA/BBB", "/diff/:base/:target");
	ck_assert_str_eq(route_param(&m->params, "base"), "AAA");
	ck_assert_str_eq(route_param(&m->params, "target"), "BBB");
	ck_assert_ptr_null(route_param(&m->params, "id"));
	m = expect_route(M_GET, "/api/v1/profiles/xYz-_09/sandwich", "/api/v1/profiles/:id/sandwich");
	ck_assert_int_eq(m->params.n, 1);
	ck_assert_str_eq(route_param(&m->params, "id"), "xYz-_09");
	/* A parameter is one whole segment, never empty. */
	m = expect_route(M_DELETE, "/api/v1/profiles/top", "/api/v1/profiles/:id");
	ck_assert_str_eq(route_param(&m->params, "id"), "top");
	expect_status(M_GET, "/diff//B", 404);
	/* The values live in the match, not in the caller's path. */
	char path[] = "/p/abc";
	struct router_match mine;
	router_match(M_GET, path, &mine);
	path[3] = 'X';
	ck_assert_str_eq(route_param(&mine.params, "id"), "abc");
}
END_TEST

START_TEST(too_many_segments)
{
	/* Eight segments fit, nine do not, even under a wildcard. */
	expect_route(M_GET, "/js/a/b/c/d/e/f/g.js", "/js/*");
	expect_status(M_GET, "/js/a/b/c/d/e/f/g/h.js", 404);
	expect_status(M_GET, "/a/b/c/d/e/f/g/h/i/j/k/l", 404);
	expect_status(M_GET, "/api/v1/profiles/ID/top/1/2/3/4/5", 404);
	/* A path that does not fit the router's buffer is a 414. */
	char *big = malloc(ROUTER_MAX_PATH + 8);
	big[0] = '/';
	memset(big + 1, 'a', ROUTER_MAX_PATH);
	big[ROUTER_MAX_PATH + 1] = '\0';
	expect_status(M_GET, big, 414);
	big[ROUTER_MAX_PATH - 1] = '\0'; /* ROUTER_MAX_PATH - 1 bytes: fits */
	expect_route(M_GET, big, "/:file");
	free(big);
}
END_TEST

START_TEST(trailing_slashes)
{
	expect_route(M_GET, "/api/v1/profiles/", "/api/v1/profiles");
	expect_route(M_POST, "/api/v1/profiles/", "/api/v1/profiles");
	struct router_match *m = expect_route(M_GET, "/p/ID/", "/p/:id");
	ck_assert_str_eq(route_param(&m->params, "id"), "ID");
	expect_route(M_GET, "/leaks/", "/leaks");
	expect_route(M_GET, "/", "/");
	expect_405(M_POST, "/api/v1/profiles/ID/top/", "GET, HEAD");
	/* Only one, and only at the end. */
	expect_status(M_GET, "/api/v1/profiles//", 404);
	expect_status(M_GET, "/api/v1/profiles//top", 404);
	expect_status(M_GET, "//api/v1/profiles", 404);
	expect_status(M_GET, "/api//v1/profiles", 404);
	expect_status(M_GET, "//", 404);
}
END_TEST

START_TEST(percent_encoding)
{
	/* libmicrohttpd decodes the path before the router sees it. */
	struct router_match *m = expect_route(M_GET, "/api/v1/profiles/a%20b/top", "/api/v1/profiles/:id/top");
	ck_assert_str_eq(route_param(&m->params, "id"), "a b");
	m = expect_route(M_GET, "/p/%41%62%63", "/p/:id");
	ck_assert_str_eq(route_param(&m->params, "id"), "Abc");
	expect_route(M_GET, "/api/v1/%70rofiles", "/api/v1/profiles");
	m = expect_route(M_GET, "/p/a+b", "/p/:id");
	ck_assert_str_eq(route_param(&m->params, "id"), "a+b"); /* '+' is a plus in a path */
	/* An encoded slash is a slash by then: it splits segments. */
	expect_route(M_GET, "/api%2Fv1%2Fprofiles", "/api/v1/profiles");
	m = expect_route(M_GET, "/api/v1/profiles/A%2Fraw", "/api/v1/profiles/:id/raw");
	ck_assert_str_eq(route_param(&m->params, "id"), "A");
	expect_status(M_GET, "/api/v1/profiles/..%2F..%2Fetc%2Fpasswd", 404);
	expect_status(M_GET, "/api/v1/profiles/%2F/top", 404); /* an empty segment */
	/* A dot segment is an ordinary segment: the handlers refuse such ids. */
	m = expect_route(M_GET, "/api/v1/profiles/%2E%2E/top", "/api/v1/profiles/:id/top");
	ck_assert_str_eq(route_param(&m->params, "id"), "..");
	/* Broken escapes stay as they are. */
	m = expect_route(M_GET, "/p/%zz", "/p/:id");
	ck_assert_str_eq(route_param(&m->params, "id"), "%zz");
}
END_TEST

Suite *router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("router");
	tcase_add_test(tc, every_route_resolves);
	tcase_add_test(tc, the_api);
	tcase_add_test(tc, unknown_paths);
	tcase_add_test(tc, wrong_methods);
	tcase_add_test(tc, path_parameters);
	tcase_add_test(tc, too_many_segments);
	tcase_add_test(tc, trailing_slashes);
	tcase_add_test(tc, percent_encoding);
	suite_add_tcase(s, tc);
	return s;
}
