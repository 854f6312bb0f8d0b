/*
 * test_regex.c: the regexes of the view filters and drop_frames (regex.h):
 * RE2 underneath, Go's syntax on top (rx_gosyntax.h), Go's reading of
 * subjects that are not UTF-8, the limits, and linear cost on the shapes
 * that made PCRE2 backtrack for seconds or answer a wrong "no match".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "prof.h"
#include "regex.h"
#include "rx_gosyntax.h"
#include "tests.h"

static int compile(struct rx *r, const char *pat, unsigned flags)
{
	char err[256] = "";
	int rc = rx_compile(r, pat, strlen(pat), flags, err, sizeof(err));
	if (rc != 0) {
		ck_assert_msg(err[0] != '\0', "%s refused with no message", pat);
		ck_assert_ptr_null(r->impl);
	}
	return rc;
}

/* 1 when pat compiles and matches s, 0 when it does not match. */
static int matches(const char *pat, unsigned flags, const char *s, size_t n)
{
	struct rx r;
	ck_assert_msg(compile(&r, pat, flags) == 0, "%s refused", pat);
	int m = rx_exec(&r, s, n);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(rx_match(&r, s, n), m == 1);
	ck_assert(!rx_failed(&r));
	rx_release(&r);
	return m;
}

START_TEST(rx_basic)
{
	ck_assert(matches("a+b", 0, "xaab", 4));
	ck_assert(matches("a+b", 0, "ab", 2));
	ck_assert(!matches("a+b", 0, "b", 1));
	ck_assert(!matches("a+b", 0, "xaab", 2)); /* length, not NUL, bounds the subject */
	/* Invalid UTF-8 in a subject does not stop a match. */
	ck_assert(matches("a+b", 0, "\xff\xfe" "ab", 4));
	/* Go's $ matches only at the very end; ^ only at the start. */
	ck_assert(matches("a$", 0, "ba", 2));
	ck_assert(!matches("a$", 0, "a\n", 2));
	ck_assert(!matches("^b", 0, "a\nb", 3));
	ck_assert(matches("(?m)^b", 0, "a\nb", 3));
	/* Unanchored by default, as pprof's regexes. */
	ck_assert(matches("runtime\\.", 0, "x/runtime.mallocgc", 18));
	/* NUL is an ordinary byte in patterns and subjects. */
	ck_assert(matches("a\\x00b", 0, "za\0b", 4));
	/* Leftmost-first alternation, Perl classes, Unicode classes, flags. */
	ck_assert(matches("^\\w+$", 0, "main_1", 6));
	ck_assert(matches("\\pL", 0, "\xc3\xa9", 2));
	ck_assert(!matches("\\pL", 0, "12", 2));
	ck_assert(matches("(?i)MAIN", 0, "main", 4));
	ck_assert(matches("\\Q.*\\E", 0, "x.*y", 4));
	ck_assert(!matches("\\Q.*\\E", 0, "xy", 2));
	ck_assert(matches("(?P<name>a)b", 0, "ab", 2));
}
END_TEST

START_TEST(rx_full)
{
	/* RX_FULL is pprof's "^(" + re + ")$" exactly. */
	ck_assert(matches("runtime\\..*", RX_FULL, "runtime.gc", 10));
	ck_assert(!matches("runtime\\..*", RX_FULL, "x/runtime.gc", 12));
	ck_assert(matches("a|b", RX_FULL, "b", 1));
	ck_assert(!matches("a|b", RX_FULL, "ab", 2));
	/* the splice pprof makes: "^(a)|(b)$" starts with a or ends with b */
	ck_assert(matches("a)|(b", RX_FULL, "axx", 3));
	ck_assert(matches("a)|(b", RX_FULL, "xxb", 3));
	ck_assert(!matches("a)|(b", RX_FULL, "xax", 3));
	struct rx r;
	ck_assert_int_eq(compile(&r, "a)|(b", 0), RX_ERR_SYNTAX); /* alone it is not a regex */
}
END_TEST

/* Go reads a byte that is not part of valid UTF-8 as U+FFFD. */
START_TEST(rx_invalid_utf8_subject)
{
	ck_assert(matches("^.$", 0, "\xff", 1));
	ck_assert(matches("^[^a]$", 0, "\xff", 1));
	ck_assert(matches("^\\x{FFFD}\\x{FFFD}$", 0, "\xe2\x82", 2)); /* truncated: one per byte */
	ck_assert(matches("^...$", 0, "\xed\xa0\x80", 3));            /* a surrogate: three */
	ck_assert(matches("^.$", 0, "\xe2\x82\xac", 3));              /* the euro sign is one */
	ck_assert(matches("^a.b$", 0, "a\xc0\xaf" "b", 4) == 0);       /* overlong: two, not one */
	ck_assert(matches("^a..b$", 0, "a\xc0\xaf" "b", 4));
	ck_assert(matches("^x\\x{FFFD}y$", RX_FULL, "x\x80y", 3));
}
END_TEST

START_TEST(rx_errors)
{
	struct rx r;
	char err[256] = "";
	ck_assert_int_eq(compile(&r, "(", 0), RX_ERR_SYNTAX);
	rx_release(&r); /* safe after a failure */
	ck_assert_int_eq(compile(&r, "a[", 0), RX_ERR_SYNTAX);
	ck_assert_int_eq(compile(&r, "*", 0), RX_ERR_SYNTAX);
	ck_assert_int_eq(compile(&r, "a{1001}", 0), RX_ERR_SYNTAX);
	ck_assert_int_eq(compile(&r, "(a{100}){11}", 0), RX_ERR_SYNTAX); /* nested product over 1000 */
	ck_assert_int_eq(compile(&r, "\xff", 0), RX_ERR_SYNTAX);        /* a pattern must be UTF-8 */
	/* Longer than the cap: a limit, not a syntax error. */
	char *big = malloc(FDX_MAX_REGEX_LEN + 2);
	memset(big, 'a', FDX_MAX_REGEX_LEN + 1);
	big[FDX_MAX_REGEX_LEN + 1] = '\0';
	ck_assert_int_eq(compile(&r, big, 0), RX_ERR_LIMIT);
	big[FDX_MAX_REGEX_LEN] = '\0';
	ck_assert_int_eq(compile(&r, big, 0), 0);
	rx_release(&r);
	free(big);
	/* Go takes it, but its program is over FDX_REGEX_MAX_MEM: a limit
	 * (a 400), never a regex that silently matches nothing. */
	ck_assert_int_eq(compile(&r, "\\pL{1000}", 0), RX_ERR_LIMIT);
	/* A small error buffer is respected. */
	char tiny[8];
	memset(tiny, 'x', sizeof(tiny));
	ck_assert_int_eq(rx_compile(&r, "(", 1, 0, tiny, sizeof(tiny)), RX_ERR_SYNTAX);
	ck_assert_ptr_nonnull(memchr(tiny, '\0', sizeof(tiny)));
	(void)err;
	/* Matching an rx that never compiled is no match, not a crash. */
	struct rx z = { 0 };
	ck_assert_int_eq(rx_exec(&z, "a", 1), 0);
	ck_assert(!rx_failed(&z));
}
END_TEST

/* What RE2 takes and Go's regexp refuses (rx_gosyntax.h): refused. */
START_TEST(rx_go_syntax)
{
	static const char *const refused[] = {
		"\\C", "a\\C+", "(?<name>x)", "(?<=a)b", "(?<!a)b", "(?P<\xc3\xa9>x)", "(?P<a-b>x)",
		"\\p{Kawi}", "\\p{Vithkuqi}", "[\\p{Toto}]", "\\P{^Tangsa}",
		/* PCRE-only syntax, refused by RE2 itself */
		"(a)\\1", "(?=a)", "(?!a)", "(?R)", "x++", "x*+", "(?>x)", "(*NO_JIT)x", "\\Z", "\\K", "a**",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct rx r;
		ck_assert_msg(compile(&r, refused[i], 0) == RX_ERR_SYNTAX, "%s was not refused", refused[i]);
	}
	static const char *const taken[] = {
		"\\\\C", "\\Q\\C\\E", "(?P<n_1>x)", "\\p{Greek}", "\\pL", "\\P{^Han}", "[[:alpha:]]", "\\x{10FFFF}",
		"(?i)a", "(?U)a+", "(?s:.)", "a{1000}", "((a{10}){10}){10}", "\\b\\B\\A\\z", "[^\\x00-\\x{10FFFF}]",
	};
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		struct rx r;
		ck_assert_msg(compile(&r, taken[i], 0) == 0, "%s was refused", taken[i]);
		rx_release(&r);
	}
}
END_TEST

/* Go refuses a parse tree taller than 1000; RE2 has no such limit. The
 * boundaries below were found against Go 1.19's regexp.Compile. */
START_TEST(rx_go_nesting)
{
	char pat[8192];
	struct {
		const char *open, *mid, *close;
		int ok, bad; /* deepest nesting Go takes, shallowest it refuses */
	} shapes[] = {
		{ "(", "a", ")", 999, 1000 },   /* captures around a literal: height d + 1 */
		{ "(", "ab", ")", 999, 1000 },  /* a literal run is one node */
		{ "(", "a*", ")", 998, 999 },   /* the star adds one */
		{ "(?:", "a", ")", 1000, 1001 }, /* non-capturing groups add nothing... */
	};
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		for (int pass = 0; pass < 2; pass++) {
			int d = pass ? shapes[k].bad : shapes[k].ok;
			size_t n = 0;
			for (int i = 0; i < d; i++)
				n += (size_t)snprintf(pat + n, sizeof(pat) - n, "%s", shapes[k].open);
			n += (size_t)snprintf(pat + n, sizeof(pat) - n, "%s", shapes[k].mid);
			for (int i = 0; i < d; i++)
				n += (size_t)snprintf(pat + n, sizeof(pat) - n, "%s", shapes[k].close);
			char err[256];
			int rc = rx_gosyntax_check(pat, n, err, sizeof(err));
			if (k == 3) /* ...but the pattern is over the length cap past 1000 */
				ck_assert_int_eq(rc, 0);
			else
				ck_assert_msg(rc == (pass ? -1 : 0), "shape %zu depth %d: %d", k, d, rc);
		}
	}
}
END_TEST

/* The shapes that backtracked in PCRE2 are linear in RE2, and the answer
 * is the right one, not a budget's "no match": issue 10's
 * focus=^(.|.)*$\d|runtime matches runtime. */
START_TEST(rx_catastrophic)
{
	size_t n = 20000;
	char *s = malloc(n + 16);
	memset(s, 'a', n);
	s[n] = 'b';
	ck_assert(!matches("^(a|a)+$", 0, s, n + 1));
	ck_assert(matches("^(a|a)+b$", 0, s, n + 1));
	ck_assert(!matches("(x+x+)+y", 0, s, n));
	ck_assert(!matches("^(a+)+$", RX_FULL, s, n + 1));
	ck_assert(matches("(a*)*b", 0, s, n + 1));
	ck_assert(matches("^(.|.)*$\\d|runtime", 0, "runtime.mallocgc", 16));
	memcpy(s + n - 7, "runtime", 7);
	ck_assert(matches("^(.|.)*$\\d|runtime", 0, s, n));
	free(s);
}
END_TEST

/* ---- drop_frames / keep_frames of an uploaded profile ------------------- */

/* main.main -> pkg.alpha -> pkg.beta -> pkg.gamma (9), with drop_frames
 * and keep_frames as given (NULL: unset). */
static struct pbw drop_profile(const char *drop, const char *keep)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	const char *names[] = { "main.main", "pkg.alpha", "pkg.beta", "pkg.gamma" };
	for (uint64_t i = 1; i <= 4; i++) {
		int64_t line = 1;
		pbw_function(&w, i, names[i - 1], "x.go");
		pbw_location(&w, i, 0, 1, &i, &line);
	}
	if (drop)
		pbw_scalar(&w, 7, pbw_s(&w, drop));
	if (keep)
		pbw_scalar(&w, 8, pbw_s(&w, keep));
	uint64_t st[] = { 4, 3, 2, 1 };
	int64_t v = 9;
	pbw_sample(&w, 4, st, 1, &v, 0, NULL);
	return w;
}

static int64_t drop_value(const char *drop, const char *keep, const char *stack)
{
	struct pbw w = drop_profile(drop, keep);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	int64_t v = test_stack_value(p, stack, 0);
	prof_free(p);
	return v;
}

#define WHOLE "main.main;pkg.alpha;pkg.beta;pkg.gamma"

START_TEST(rx_drop_frames)
{
	/* pprof's Prune: the stack is cut above the matching frame. */
	ck_assert_int_eq(drop_value("pkg\\.beta", NULL, "main.main;pkg.alpha"), 9);
	/* whole-name match: "beta" alone matches no name */
	ck_assert_int_eq(drop_value("beta", NULL, WHOLE), 9);
	/* keep_frames rescues what drop_frames would drop */
	ck_assert_int_eq(drop_value("pkg\\..*a", "pkg\\.beta", "main.main;pkg.alpha;pkg.beta"), 0);
	ck_assert_int_eq(drop_value("pkg\\.(beta|gamma)", "pkg\\.beta", "main.main;pkg.alpha;pkg.beta"), 9);
	/* pprof's splice "^(" + re + ")$": "pkg)|(x" drops names starting with pkg */
	ck_assert_int_eq(drop_value("pkg)|(x", NULL, "main.main"), 9);
	/* Go's regexp refuses these: pprof's RemoveUninteresting fails and
	 * go tool pprof ignores the failure, so nothing is dropped. */
	ck_assert_int_eq(drop_value("pkg\\.beta\\C", NULL, WHOLE), 9);
	ck_assert_int_eq(drop_value("(?<=pkg)\\.beta", NULL, WHOLE), 9);
	ck_assert_int_eq(drop_value("pkg\\.beta", "(", WHOLE), 9); /* a bad keep_frames as well */
	ck_assert_int_eq(drop_value("(", "pkg", WHOLE), 9);
}
END_TEST

/* Go takes it; its compiled form is over FDX_REGEX_MAX_MEM: refused with
 * a clear error rather than a profile with nothing dropped. */
START_TEST(rx_drop_frames_over_budget)
{
	struct pbw w = drop_profile("\\pL{1000}", NULL);
	expect_refused_pbw(&w, 400, "bad_regex", "drop_frames");
	pbw_release(&w);
	char big[FDX_MAX_REGEX_LEN + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	w = drop_profile("pkg", big);
	expect_refused_pbw(&w, 400, "bad_regex", "keep_frames");
	pbw_release(&w);
}
END_TEST

/* The hostile upload of issue 10, in kind: a 20,000-char function name
 * under a drop_frames of 3,000 capture groups and nested stars, on many
 * locations. Linear: it finishes (the test timeout would fire if not),
 * and the answer is pprof's. */
START_TEST(rx_drop_frames_hostile)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	size_t n = 20000;
	char *name = malloc(n + 1);
	memset(name, 'a', n);
	name[n] = '\0';
	pbw_function(&w, 1, name, "x.go");
	pbw_function(&w, 2, "main.main", "x.go");
	uint64_t fid[2] = { 1, 2 };
	int64_t line[2] = { 1, 1 };
	for (uint64_t i = 1; i <= 200; i++)
		pbw_location(&w, i, 0, 2, fid, line); /* each: the long name inlined into main */
	char pat[4096];
	size_t k = 0;
	k += (size_t)snprintf(pat + k, sizeof(pat) - k, "(?:(a*)*)*");
	for (int i = 0; i < 1000; i++)
		k += (size_t)snprintf(pat + k, sizeof(pat) - k, "(a)");
	k += (size_t)snprintf(pat + k, sizeof(pat) - k, "b");
	pbw_scalar(&w, 7, pbw_s(&w, pat));
	for (uint64_t i = 1; i <= 200; i++) {
		int64_t v = 1;
		pbw_sample(&w, 1, &i, 1, &v, 0, NULL);
	}
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	int64_t total = 0;
	for (uint32_t i = 0; i < p->n_samples; i++)
		total += p->values[(size_t)i * p->n_types];
	ck_assert_int_eq(total, 200); /* nothing matched, nothing dropped */
	ck_assert_int_ge(test_func_named(p, "main.main"), 0);
	prof_free(p);
	free(name);
}
END_TEST

Suite *regex_suite(void)
{
	Suite *s = suite_create("regex");
	TCase *tc = tcase_create("regex");
	tcase_add_test(tc, rx_basic);
	tcase_add_test(tc, rx_full);
	tcase_add_test(tc, rx_invalid_utf8_subject);
	tcase_add_test(tc, rx_errors);
	tcase_add_test(tc, rx_go_syntax);
	tcase_add_test(tc, rx_go_nesting);
	tcase_add_test(tc, rx_catastrophic);
	suite_add_tcase(s, tc);
	TCase *td = tcase_create("drop_frames");
	tcase_add_test(td, rx_drop_frames);
	tcase_add_test(td, rx_drop_frames_over_budget);
	tcase_add_test(td, rx_drop_frames_hostile);
	suite_add_tcase(s, td);
	return s;
}
