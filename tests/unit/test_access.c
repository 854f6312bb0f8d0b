/*
 * test_access.c: tokens and roles (auth.h), the Host and Origin rules
 * (origin.h), and the role of every route (router.h, access.h).
 *
 * The route matrix is written out here, independently of router.c: every
 * row of the table must have a rule in `policy` below (a new route fails
 * this test until someone decides who may call it), and every rule must
 * still have its row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "auth.h"
#include "config.h"
#include "origin.h"
#include "router.h"
#include "tests.h"

/* ---- SHA-256: the FIPS 180-4 examples (and NIST's one-million-a) ---------- */

START_TEST(sha256_vectors)
{
	static const struct {
		const char *in, *hex;
	} v[] = {
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
		  "mnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char hex[AUTH_HEX_LEN + 1];
	for (size_t i = 0; i < ARRLEN(v); i++) {
		auth_sha256_hex(v[i].in, strlen(v[i].in), hex);
		ck_assert_str_eq(hex, v[i].hex);
	}
	size_t n = 1000000;
	char *a = malloc(n);
	memset(a, 'a', n);
	auth_sha256_hex(a, n, hex);
	free(a);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(equal_and_random)
{
	ck_assert(auth_equal("abcd", "abcd", 4));
	ck_assert(!auth_equal("abcd", "abce", 4));
	ck_assert(!auth_equal("xbcd", "abcd", 4));
	ck_assert(auth_equal("a", "b", 0));
	char a[64], b[64];
	ck_assert_int_eq(auth_random_b64url(32, a), 0);
	ck_assert_int_eq(auth_random_b64url(32, b), 0);
	ck_assert_uint_eq(strlen(a), 43);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	ck_assert_int_eq(auth_random_b64url(16, a), 0);
	ck_assert_uint_eq(strlen(a), 22);
	ck_assert_int_eq(auth_random_b64url(65, a), -1); /* more than it can draw at once */
}
END_TEST

/* ---- the auth file ------------------------------------------------------- */

#define TOK_A "fdx_alpha-token"
#define TOK_B "fdx_bravo-token"

/* "ROLE NAME HEX" of token into out. */
static void line_for(const char *role, const char *name, const char *token, char *out, size_t cap)
{
	char hex[AUTH_HEX_LEN + 1];
	auth_sha256_hex(token, strlen(token), hex);
	snprintf(out, cap, "%s %s %s", role, name, hex);
}

START_TEST(auth_file_parses)
{
	char a[200], b[200], text[600], err[200];
	line_for("admin", "alice", TOK_A, a, sizeof(a));
	line_for("read", "ci.bot@example-1", TOK_B, b, sizeof(b));
	for (char *c = b; *c; c++) /* upper-case hex is the same hash */
		if (*c >= 'a' && *c <= 'f' && c > strrchr(b, ' '))
			*c = (char)(*c - 'a' + 'A');
	snprintf(text, sizeof(text), "# tokens\n\n  %s  \r\n\t%s\n# end", a, b);
	struct auth_table *t = auth_table_parse(text, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(auth_table_len(t), 2);
	auth_table_install(t);
	ck_assert(auth_enabled());

	struct auth_who w;
	ck_assert(auth_find_token(TOK_A, strlen(TOK_A), &w));
	ck_assert_int_eq(w.role, AUTH_ADMIN);
	ck_assert_str_eq(w.name, "alice");
	ck_assert(auth_find_token(TOK_B, strlen(TOK_B), &w));
	ck_assert_int_eq(w.role, AUTH_READ);
	ck_assert_str_eq(w.name, "ci.bot@example-1");
	char hex[AUTH_HEX_LEN + 1];
	auth_sha256_hex(TOK_B, strlen(TOK_B), hex);
	ck_assert_str_eq(w.token_hash, hex);
	ck_assert(auth_find_hash(hex, &w));
	ck_assert_str_eq(w.name, "ci.bot@example-1");
	/* A near miss, a prefix, the hash offered as a token, nothing. */
	ck_assert(!auth_find_token("fdx_alpha-tokeN", 15, &w));
	ck_assert(!auth_find_token(TOK_A, strlen(TOK_A) - 1, &w));
	ck_assert(!auth_find_token(hex, strlen(hex), &w));
	ck_assert(!auth_find_token("", 0, &w));
	ck_assert(!auth_find_hash("00", &w));

	auth_table_install(NULL);
	ck_assert(!auth_enabled());
	ck_assert(!auth_find_token(TOK_A, strlen(TOK_A), &w));
}
END_TEST

/* tmpl with each "L", "H" and "S" replaced by sub[0], sub[1], sub[2]. */
static void fill(const char *tmpl, const char *const sub[3], char *out, size_t cap)
{
	size_t o = 0;
	for (const char *c = tmpl; *c; c++) {
		const char *s = *c == 'L' ? sub[0] : *c == 'H' ? sub[1] : *c == 'S' ? sub[2] : NULL;
		size_t n = s ? strlen(s) : 1;
		ck_assert_uint_lt(o + n, cap);
		memcpy(out + o, s ? s : c, n);
		o += n;
	}
	out[o] = '\0';
}

START_TEST(auth_file_errors_name_the_line)
{
	char good[200], text[800], err[200];
	line_for("write", "bob", TOK_A, good, sizeof(good));
	const char *hex = strrchr(good, ' ') + 1;
	char short_hex[AUTH_HEX_LEN + 1];
	snprintf(short_hex, sizeof(short_hex), "%.63sg", hex);
	/* L: a good line, H: its hash, S: a hash with a non-hex digit (no
	 * other L, H or S in the templates) */
	const char *const sub[3] = { good, hex, short_hex };
	static const struct {
		const char *tmpl;
		const char *want;
	} cases[] = {
		{ "L\nreader bob H\n", "line 2: the role must be read, write or admin" },
		{ "#\nL\nwrite\n", "line 3: a name must follow the role" },
		{ "write bob\n", "line 1: the hex SHA-256 of the token must follow the name" },
		{ "write b/b H\n", "line 1: the name must be" },
		{ "\n\nadmin bob abc\n", "line 3: the token hash must be 64 hex digits" },
		{ "admin bob S\n", "line 1: the token hash must be 64 hex digits" },
		{ "L extra\n", "line 1: more than three fields" },
		{ "L\nL\n", "line 2: the same token hash as an earlier line" },
		{ "admin bob0123456789012345678901234567890123456789012345678901234567890123456789 H",
		  "line 1: the name must be" },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		fill(cases[i].tmpl, sub, text, sizeof(text));
		err[0] = '\0';
		struct auth_table *t = auth_table_parse(text, err, sizeof(err));
		ck_assert_msg(t == NULL, "case %zu parsed: %s", i, text);
		ck_assert_msg(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0, "case %zu: \"%s\", want \"%s\"",
		              i, err, cases[i].want);
		ck_assert_msg(!strstr(err, hex), "case %zu: the message repeats the file: %s", i, err);
	}
	/* An empty file is a table of no tokens. */
	struct auth_table *t = auth_table_parse("# nobody yet\n", err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(auth_table_len(t), 0);
	auth_table_free(t);
}
END_TEST

START_TEST(roles_by_name)
{
	ck_assert_int_eq(auth_role_parse("read"), AUTH_READ);
	ck_assert_int_eq(auth_role_parse("write"), AUTH_WRITE);
	ck_assert_int_eq(auth_role_parse("admin"), AUTH_ADMIN);
	ck_assert_int_eq(auth_role_parse("none"), AUTH_NONE);
	ck_assert_int_eq(auth_role_parse("Admin"), AUTH_NONE);
	ck_assert_str_eq(auth_role_name(AUTH_WRITE), "write");
}
END_TEST

/* ---- failed attempts ------------------------------------------------------- */

START_TEST(failed_attempts_run_out_per_address)
{
	unsigned saved = cfg.auth_failures, retry = 0;
	cfg.auth_failures = 3;
	const char *addr = "192.0.2.77", *other = "192.0.2.78";
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(!auth_limited(addr, &retry), "limited after %d failures", i);
		auth_failed(addr);
	}
	ck_assert(auth_limited(addr, &retry));
	/* 3 a minute: one more attempt in at most 20 s */
	ck_assert_uint_ge(retry, 1);
	ck_assert_uint_le(retry, 20);
	ck_assert(!auth_limited(other, &retry));
	cfg.auth_failures = saved;
}
END_TEST

/* ---- the Host and Origin rules --------------------------------------------- */

static void origin_with(const char *listen, const char *public_url, const char *allowed)
{
	snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen);
	snprintf(cfg.public_url, sizeof(cfg.public_url), "%s", public_url);
	snprintf(cfg.allowed_hosts, sizeof(cfg.allowed_hosts), "%s", allowed);
	ck_assert_int_eq(origin_init(), 0);
}

START_TEST(host_rule)
{
	struct config saved = cfg;
	origin_with("127.0.0.1:8080", "", "");
	ck_assert(origin_host_rule());
	static const char *const ok[] = { "127.0.0.1:8080", "127.0.0.1", "localhost:8080", "LOCALHOST",
	                                  "localhost.:8080", "[::1]:8080", "10.1.2.3:9", NULL };
	static const char *const bad[] = { "evil.example:8080", "evil.example", "127.0.0.1.evil.example",
	                                   "localhost.evil.example", "flamedex.example.com", "", ":8080",
	                                   "::1", "a b", "[::1", "host:port", NULL };
	for (int i = 0; ok[i]; i++)
		ck_assert_msg(origin_host_ok(ok[i]), "Host %s refused", ok[i]);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(!origin_host_ok(bad[i]), "Host %s answered", bad[i]);
	ck_assert(origin_host_ok(NULL)); /* HTTP/1.0 without Host */

	origin_with("127.0.0.1:8080", "https://flamedex.example.com", "prof.internal, Other.Example:443");
	ck_assert(origin_host_ok("flamedex.example.com"));
	ck_assert(origin_host_ok("FLAMEDEX.example.com:443"));
	ck_assert(origin_host_ok("prof.internal:8080"));
	ck_assert(origin_host_ok("other.example"));
	ck_assert(!origin_host_ok("example.com"));
	ck_assert(!origin_host_ok("evil.example"));
	ck_assert(origin_https());

	/* Not loopback, nothing named: no rule (and a warning in the log). */
	origin_with("0.0.0.0:8080", "", "");
	ck_assert(!origin_host_rule());
	ck_assert(origin_host_ok("evil.example"));
	ck_assert(!origin_https());
	/* Not loopback, a public URL: the rule again, the listen name too. */
	origin_with("box.lan:8080", "http://flamedex.lan", "");
	ck_assert(origin_host_rule());
	ck_assert(origin_host_ok("box.lan:8080"));
	ck_assert(origin_host_ok("flamedex.lan"));
	ck_assert(!origin_host_ok("evil.example"));
	/* "*": any Host, even on loopback. */
	origin_with("127.0.0.1:8080", "", "*");
	ck_assert(!origin_host_rule());
	ck_assert(origin_host_ok("evil.example"));

	/* Bad flags are refused at start. */
	snprintf(cfg.public_url, sizeof(cfg.public_url), "flamedex.example.com");
	ck_assert_int_eq(origin_init(), -1);
	snprintf(cfg.public_url, sizeof(cfg.public_url), "https://flamedex.example.com/app/");
	ck_assert_int_eq(origin_init(), -1);
	snprintf(cfg.public_url, sizeof(cfg.public_url), "https://flamedex.example.com/");
	ck_assert_int_eq(origin_init(), 0);
	snprintf(cfg.allowed_hosts, sizeof(cfg.allowed_hosts), "ok.example,bad/name");
	ck_assert_int_eq(origin_init(), -1);
	cfg = saved;
	origin_init();
}
END_TEST

START_TEST(origin_rule)
{
	struct config saved = cfg;
	origin_with("127.0.0.1:8080", "https://flamedex.example.com", "");
	const char *host = "127.0.0.1:8080";
	/* no browser: nothing to check */
	ck_assert(origin_write_ok(NULL, NULL, host));
	ck_assert(origin_write_ok(NULL, NULL, NULL));
	/* the page's own origin, as the browser spells it */
	ck_assert(origin_write_ok("http://127.0.0.1:8080", "same-origin", host));
	ck_assert(origin_write_ok("http://127.0.0.1:8080", NULL, host));
	ck_assert(origin_write_ok("HTTP://127.0.0.1:8080", NULL, host));
	ck_assert(origin_write_ok("http://localhost", NULL, "localhost:80"));
	ck_assert(origin_write_ok("http://[::1]:8080", NULL, "[::1]:8080"));
	ck_assert(origin_write_ok(NULL, "same-origin", host));
	ck_assert(origin_write_ok(NULL, "none", host));
	/* the public URL, from behind a proxy that passes another Host */
	ck_assert(origin_write_ok("https://flamedex.example.com", "same-origin", "127.0.0.1:8080"));
	ck_assert(origin_write_ok("https://flamedex.example.com:443", NULL, "127.0.0.1:8080"));
	/* other origins: another port, another scheme, another host, null */
	ck_assert(!origin_write_ok("http://127.0.0.1:8081", NULL, host));
	ck_assert(!origin_write_ok("https://127.0.0.1:8080", NULL, host));
	ck_assert(!origin_write_ok("http://evil.example:8080", NULL, host));
	ck_assert(!origin_write_ok("http://flamedex.example.com", NULL, host)); /* http, not https */
	ck_assert(!origin_write_ok("null", NULL, host));
	ck_assert(!origin_write_ok("http://127.0.0.1:8080/", NULL, host));
	ck_assert(!origin_write_ok("http://127.0.0.1:8080", NULL, NULL));
	/* Sec-Fetch-Site says so even where Origin looks right */
	ck_assert(!origin_write_ok("http://127.0.0.1:8080", "cross-site", host));
	ck_assert(!origin_write_ok(NULL, "cross-site", host));
	ck_assert(!origin_write_ok(NULL, "same-site", host));
	cfg = saved;
	origin_init();
}
END_TEST

/* ---- every route × every caller ------------------------------------------- */

/* Who may call each route: the policy, written out (docs/SECURITY.md). */
static const struct {
	enum http_method method;
	const char *pattern;
	enum route_role role;
} policy[] = {
	{ M_POST, "/api/v1/profiles", ROLE_WRITE },
	{ M_GET, "/api/v1/profiles", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id", ROLE_READ },
	{ M_DELETE, "/api/v1/profiles/:id", ROLE_ADMIN },
	{ M_PATCH, "/api/v1/profiles/:id", ROLE_WRITE },
	{ M_GET, "/api/v1/profiles/:id/raw", ROLE_READ },
	{ M_GET, "/api/v1/labels", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/top", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/flamegraph", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/tags", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/sandwich", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/list", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/graph", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/peek", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/export", ROLE_READ },
	{ M_GET, "/api/v1/diff", ROLE_READ },
	{ M_GET, "/api/v1/diff/top", ROLE_READ },
	{ M_GET, "/api/v1/diff/check", ROLE_READ },
	{ M_GET, "/api/v1/leaks", ROLE_READ },
	{ M_GET, "/api/v1/profiles/:id/runtime", ROLE_READ },
	{ M_GET, "/api/v1/diff/runtime", ROLE_READ },
	{ M_GET, "/api/v1/functions", ROLE_READ },
	{ M_GET, "/api/v1/functions/top", ROLE_READ },
	{ M_GET, "/api/v1/timeline", ROLE_READ },
	{ M_GET, "/api/v1/targets", ROLE_READ },
	{ M_GET, "/metrics", ROLE_METRICS },
	{ M_GET, "/targets", ROLE_READ },
	{ M_GET, "/api/v1/series", ROLE_READ },
	{ M_GET, "/api/v1/merge/top", ROLE_READ },
	{ M_GET, "/api/v1/merge/flamegraph", ROLE_READ },
	{ M_GET, "/api/v1/merge/tags", ROLE_READ },
	{ M_GET, "/api/v1/merge/sandwich", ROLE_READ },
	{ M_GET, "/api/v1/merge/raw", ROLE_READ },
	{ M_GET, "/api/v1/pgo", ROLE_READ },
	{ M_GET, "/", ROLE_READ },
	{ M_GET, "/p/:id", ROLE_READ },
	{ M_GET, "/diff/:base/:target", ROLE_READ },
	{ M_GET, "/leaks", ROLE_READ },
	{ M_GET, "/s", ROLE_READ },
	{ M_GET, "/m", ROLE_READ },
	{ M_GET, "/healthz", ROLE_OPEN },
	{ M_GET, "/login", ROLE_OPEN },
	{ M_POST, "/api/v1/login", ROLE_READ },
	{ M_POST, "/api/v1/logout", ROLE_OPEN },
	{ M_GET, "/api/v1/whoami", ROLE_READ },
	{ M_GET, "/css/*", ROLE_OPEN },
	{ M_GET, "/js/*", ROLE_OPEN },
	{ M_GET, "/static/v/*", ROLE_OPEN },
	{ M_GET, "/:file", ROLE_OPEN },
};

/* The callers, and what each gets from a route needing each role. */
enum caller { NOBODY, BAD_TOKEN, READER, WRITER, ADMIN, N_CALLERS };
static const char *const caller_name[] = { "nobody", "a bad token", "read", "write", "admin" };
static const int want[][N_CALLERS] = {
	/*                nobody  bad   read  write admin */
	[ROLE_OPEN]  = {  0,      0,    0,    0,    0 },
	[ROLE_READ]  = {  401,    401,  0,    0,    0 },
	[ROLE_WRITE] = {  401,    401,  403,  0,    0 },
	[ROLE_ADMIN] = {  401,    401,  403,  403,  0 },
};

static int status_for(enum route_role need, enum caller c)
{
	static const enum auth_role have[] = { AUTH_NONE, AUTH_NONE, AUTH_READ, AUTH_WRITE, AUTH_ADMIN };
	enum access_auth a = c == NOBODY ? ACCESS_ANON : c == BAD_TOKEN ? ACCESS_BAD : ACCESS_OK;
	return access_status(true, need, a, have[c]);
}

START_TEST(every_route_has_its_rule)
{
	size_t n;
	const struct route *t = router_table(&n);
	bool used[ARRLEN(policy)] = { false };
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(t[i].role != ROLE_UNSET, "%s %s has no role in the route table",
		              http_method_name(t[i].method), t[i].pattern);
		size_t k = 0;
		while (k < ARRLEN(policy) && !(policy[k].method == t[i].method && !strcmp(policy[k].pattern, t[i].pattern)))
			k++;
		ck_assert_msg(k < ARRLEN(policy), "%s %s has no rule in test_access.c's policy: decide who may call it",
		              http_method_name(t[i].method), t[i].pattern);
		used[k] = true;
		ck_assert_msg(t[i].role == policy[k].role, "%s %s: the table says role %d, the policy %d",
		              http_method_name(t[i].method), t[i].pattern, t[i].role, policy[k].role);
		enum route_role need = access_need(&t[i]); /* ROLE_METRICS resolved */
		ck_assert(need >= ROLE_OPEN && need <= ROLE_ADMIN);
		for (int c = 0; c < N_CALLERS; c++) {
			int got = status_for(need, (enum caller)c);
			ck_assert_msg(got == want[need][c], "%s %s by %s: %d, want %d", http_method_name(t[i].method),
			              t[i].pattern, caller_name[c], got, want[need][c]);
			/* without an auth file, nobody is asked */
			ck_assert_int_eq(access_status(false, need, ACCESS_ANON, AUTH_NONE), 0);
		}
	}
	for (size_t k = 0; k < ARRLEN(policy); k++)
		ck_assert_msg(used[k], "the policy's %s %s is no longer a route", http_method_name(policy[k].method),
		              policy[k].pattern);
}
END_TEST

START_TEST(limits_errors_and_rules_nobody_wrote)
{
	/* out of attempts: 429 wherever a token is needed, even a good one */
	ck_assert_int_eq(access_status(true, ROLE_READ, ACCESS_LIMITED, AUTH_NONE), 429);
	ck_assert_int_eq(access_status(true, ROLE_OPEN, ACCESS_LIMITED, AUTH_NONE), 0);
	ck_assert_int_eq(access_status(true, ROLE_READ, ACCESS_ERROR, AUTH_NONE), 500);
	/* a row without a rule needs admin */
	struct route r = { M_GET, "/x", route_static_healthz, ROLE_UNSET };
	ck_assert_int_eq(access_need(&r), ROLE_ADMIN);
	ck_assert_int_eq(status_for(access_need(&r), WRITER), 403);
	/* /metrics follows --metrics-role */
	char saved[sizeof(cfg.metrics_role)];
	memcpy(saved, cfg.metrics_role, sizeof(saved));
	r.role = ROLE_METRICS;
	static const struct {
		const char *flag;
		enum route_role need;
	} m[] = { { "open", ROLE_OPEN }, { "read", ROLE_READ }, { "write", ROLE_WRITE }, { "admin", ROLE_ADMIN } };
	for (size_t i = 0; i < ARRLEN(m); i++) {
		snprintf(cfg.metrics_role, sizeof(cfg.metrics_role), "%s", m[i].flag);
		ck_assert_int_eq(access_need(&r), m[i].need);
	}
	memcpy(cfg.metrics_role, saved, sizeof(saved));
}
END_TEST

Suite *access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");
	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, equal_and_random);
	tcase_add_test(tc, auth_file_parses);
	tcase_add_test(tc, auth_file_errors_name_the_line);
	tcase_add_test(tc, roles_by_name);
	tcase_add_test(tc, failed_attempts_run_out_per_address);
	tcase_add_test(tc, host_rule);
	tcase_add_test(tc, origin_rule);
	tcase_add_test(tc, every_route_has_its_rule);
	tcase_add_test(tc, limits_errors_and_rules_nobody_wrote);
	suite_add_tcase(s, tc);
	return s;
}
