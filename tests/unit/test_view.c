/*
 * test_view.c: filtering and folding (view.h) and the views read off the
 * tree: top, flame graph, sandwich, tags.
 *
 * Expected numbers are worked out by hand with go tool pprof's rules:
 * flat is the value of samples whose leaf is the function; cum counts a
 * sample once per function even when it recurses; an inlined frame is a
 * function of its own; focus/ignore match any frame of a sample (name,
 * file or mapping), hide removes frames and drops a sample left with
 * none; any name filter drops samples without locations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "jsoncheck.h"
#include "ingest.h"
#include "prof.h"
#include "tests.h"
#include "view.h"
#include "view_pseudo.h"

struct prof *test_decode(struct pbw *w, bool release)
{
	size_t n;
	uint8_t *data = pbw_finish(w, &n);
	if (release)
		pbw_release(w);
	struct decode_err err;
	struct prof *p = ingest_decode(data, n, 1 << 20, &err);
	free(data);
	ck_assert_msg(p != NULL, "test profile refused: %s", err.message);
	return p;
}

/* ---- the tree profile ---------------------------------------------------
 *
 * Two types: samples/count (v) and cpu/nanoseconds (v * 1000).
 * Functions (file): main.main (/src/main.go), pkg.alpha (/src/pkg/a.go),
 * pkg.beta (/src/pkg/b.go), pkg.gamma (/src/pkg/c.go), pkg.inlined
 * (/src/pkg/inl.go); all locations in mapping /bin/app. Location 5 is
 * pkg.inlined inlined into pkg.gamma. Samples, root first:
 *   S1 main -> alpha -> beta            10   bytes=2048
 *   S2 main -> alpha -> beta -> alpha    5
 *   S3 main -> [gamma -> inlined]        3
 *   S4 (no locations)                    7
 *   S5 main -> beta -> gamma             2   k=v
 * Unfiltered: total 27; flat/cum: main 0/20, alpha 5/15 (S2 once),
 * beta 10/17, gamma 2/5, inlined 3/3.
 */
struct prof *test_tree_profile(void)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_sample_type(&w, "cpu", "nanoseconds");
	pbw_period_type(&w, "cpu", "nanoseconds");
	pbw_mapping(&w, 1, "/bin/app");
	pbw_function(&w, 1, "main.main", "/src/main.go");
	pbw_function(&w, 2, "pkg.alpha", "/src/pkg/a.go");
	pbw_function(&w, 3, "pkg.beta", "/src/pkg/b.go");
	pbw_function(&w, 4, "pkg.gamma", "/src/pkg/c.go");
	pbw_function(&w, 5, "pkg.inlined", "/src/pkg/inl.go");
	for (uint64_t id = 1; id <= 4; id++) {
		int64_t line = (int64_t)id;
		pbw_location(&w, id, 1, 1, &id, &line);
	}
	uint64_t f5[2] = { 5, 4 };
	int64_t l5[2] = { 7, 8 };
	pbw_location(&w, 5, 1, 2, f5, l5);
	const struct pbw_label bytes = { "bytes", NULL, 2048, NULL };
	const struct pbw_label kv = { "k", "v", 0, NULL };
	static const uint64_t s1[] = { 3, 2, 1 }, s2[] = { 2, 3, 2, 1 }, s3[] = { 5, 1 }, s5[] = { 4, 3, 1 };
	int64_t v[2];
	v[0] = 10, v[1] = 10000;
	pbw_sample(&w, 3, s1, 2, v, 1, &bytes);
	v[0] = 5, v[1] = 5000;
	pbw_sample(&w, 4, s2, 2, v, 0, NULL);
	v[0] = 3, v[1] = 3000;
	pbw_sample(&w, 2, s3, 2, v, 0, NULL);
	v[0] = 7, v[1] = 7000;
	pbw_sample(&w, 0, NULL, 2, v, 0, NULL);
	v[0] = 2, v[1] = 2000;
	pbw_sample(&w, 3, s5, 2, v, 1, &kv);
	return test_decode(&w, true);
}

struct want_row {
	const char *name;
	int64_t flat, cum;
};

void test_view_opts(struct view_opts *o, int type, const char *focus, const char *ignore, const char *hide,
                    const char *tagfocus, const char *tagignore)
{
	char err[256];
	memset(o, 0, sizeof(*o));
	o->type = type;
	if (focus) {
		ck_assert_int_eq(rx_compile(&o->focus, focus, strlen(focus), 0, err, sizeof(err)), 0);
		o->has_focus = true;
	}
	if (ignore) {
		ck_assert_int_eq(rx_compile(&o->ignore, ignore, strlen(ignore), 0, err, sizeof(err)), 0);
		o->has_ignore = true;
	}
	if (hide) {
		ck_assert_int_eq(rx_compile(&o->hide, hide, strlen(hide), 0, err, sizeof(err)), 0);
		o->has_hide = true;
	}
	if (tagfocus) {
		ck_assert_int_eq(tagfilter_parse(&o->tagfocus, tagfocus, err, sizeof(err)), 0);
		o->has_tagfocus = true;
	}
	if (tagignore) {
		ck_assert_int_eq(tagfilter_parse(&o->tagignore, tagignore, err, sizeof(err)), 0);
		o->has_tagignore = true;
	}
}

/* Build the view and compare total and the full top table. */
static void check_view(const struct prof *p, struct view_opts *o, int64_t total, const struct want_row *want,
                       size_t nwant)
{
	struct view v;
	ck_assert_int_eq(view_build(p, o, false, &v), 0);
	ck_assert_msg(v.total == total, "total %lld, want %lld", (long long)v.total, (long long)total);
	uint32_t n = 0;
	struct top_row *rows = view_top(&v, &n);
	ck_assert_ptr_nonnull(rows);
	for (size_t i = 0; i < nwant; i++) {
		bool found = false;
		for (uint32_t r = 0; r < n; r++) {
			if (strcmp(prof_str(p, rows[r].key), want[i].name) != 0)
				continue;
			found = true;
			ck_assert_msg(rows[r].flat == want[i].flat && rows[r].cum == want[i].cum,
			              "%s: flat/cum %lld/%lld, want %lld/%lld", want[i].name,
			              (long long)rows[r].flat, (long long)rows[r].cum, (long long)want[i].flat,
			              (long long)want[i].cum);
		}
		ck_assert_msg(found, "row %s missing", want[i].name);
	}
	for (uint32_t r = 0; r < n; r++) {
		bool expected = false;
		for (size_t i = 0; i < nwant; i++)
			expected |= strcmp(prof_str(p, rows[r].key), want[i].name) == 0;
		ck_assert_msg(expected, "unexpected row %s (%lld/%lld)", prof_str(p, rows[r].key),
		              (long long)rows[r].flat, (long long)rows[r].cum);
	}
	ck_assert_uint_eq(n, nwant);
	/* The top table JSON is valid and agrees on the count. */
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(view_top_json(&v, false, 0, &j), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "top JSON invalid: %s", b.data);
	char cnt[64];
	snprintf(cnt, sizeof(cnt), "\"count\":%zu,", nwant);
	ck_assert_ptr_nonnull(strstr(b.data, cnt));
	buf_release(&b);
	free(rows);
	view_release(&v);
	view_opts_release(o);
}

#define CHECK_VIEW(p, o, total, ...)                                            \
	do {                                                                    \
		static const struct want_row want_[] = { __VA_ARGS__ };          \
		check_view(p, o, total, want_, ARRLEN(want_));                  \
	} while (0)
#define CHECK_EMPTY(p, o)                                                       \
	check_view(p, o, 0, NULL, 0)

START_TEST(tree_unfiltered)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 27, { "main.main", 0, 20 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 17 },
	           { "pkg.gamma", 2, 5 }, { "pkg.inlined", 3, 3 });
	test_view_opts(&o, 1, NULL, NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 27000, { "main.main", 0, 20000 }, { "pkg.alpha", 5000, 15000 },
	           { "pkg.beta", 10000, 17000 }, { "pkg.gamma", 2000, 5000 }, { "pkg.inlined", 3000, 3000 });
	prof_free(p);
}
END_TEST

START_TEST(tree_sorting)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0);
	uint32_t n = 0;
	struct top_row *rows = view_top(&v, &n);
	ck_assert_uint_eq(n, 5);
	static const char *by_flat[] = { "pkg.beta", "pkg.alpha", "pkg.inlined", "pkg.gamma", "main.main" };
	static const char *by_cum[] = { "main.main", "pkg.beta", "pkg.alpha", "pkg.gamma", "pkg.inlined" };
	view_top_sort(p, rows, n, false);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_str_eq(prof_str(p, rows[i].key), by_flat[i]);
	view_top_sort(p, rows, n, true);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_str_eq(prof_str(p, rows[i].key), by_cum[i]);
	free(rows);
	/* JSON, sorted by cum, limited to 2 rows. */
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(view_top_json(&v, true, 2, &j), 0);
	ck_assert_str_eq(b.data, "{\"sample_type\":{\"type\":\"samples\",\"unit\":\"count\"},\"total\":27,"
	                         "\"count\":5,\"rows\":[{\"function\":\"main.main\",\"flat\":0,\"cum\":20,\"sum\":0},"
	                         "{\"function\":\"pkg.beta\",\"flat\":10,\"cum\":17,\"sum\":10}]}");
	buf_release(&b);
	view_release(&v);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

START_TEST(tree_focus)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	/* S3 (gamma is a line of location 5) and S5. */
	test_view_opts(&o, 0, "^pkg\\.gamma$", NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 5, { "main.main", 0, 5 }, { "pkg.beta", 0, 2 }, { "pkg.gamma", 2, 5 },
	           { "pkg.inlined", 3, 3 });
	/* File names match too: only the inlined function is in inl.go. */
	test_view_opts(&o, 0, "inl\\.go", NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 3, { "main.main", 0, 3 }, { "pkg.gamma", 0, 3 }, { "pkg.inlined", 3, 3 });
	/* The mapping file matches every location; S4 has none: dropped. */
	test_view_opts(&o, 0, "^/bin/app$", NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 20, { "main.main", 0, 20 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 17 },
	           { "pkg.gamma", 2, 5 }, { "pkg.inlined", 3, 3 });
	/* Focus keeps whole samples: alpha's samples bring beta along. */
	test_view_opts(&o, 0, "alpha", NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 15, { "main.main", 0, 15 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 15 });
	test_view_opts(&o, 0, "nothing-matches", NULL, NULL, NULL, NULL);
	CHECK_EMPTY(p, &o);
	prof_free(p);
}
END_TEST

START_TEST(tree_ignore)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, "pkg\\.beta", NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 3, { "main.main", 0, 3 }, { "pkg.gamma", 0, 3 }, { "pkg.inlined", 3, 3 });
	/* Ignoring an inlined frame drops the whole location's samples. */
	test_view_opts(&o, 0, NULL, "inlined", NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 17, { "main.main", 0, 17 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 17 },
	           { "pkg.gamma", 2, 2 });
	/* Ignore wins over focus. */
	test_view_opts(&o, 0, "alpha", "beta", NULL, NULL, NULL);
	CHECK_EMPTY(p, &o);
	/* An ignore that matches nothing still drops S4 (no locations). */
	test_view_opts(&o, 0, NULL, "zzz", NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 20, { "main.main", 0, 20 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 17 },
	           { "pkg.gamma", 2, 5 }, { "pkg.inlined", 3, 3 });
	prof_free(p);
}
END_TEST

START_TEST(tree_hide)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	/* beta's frames vanish; S2 becomes main -> alpha -> alpha. */
	test_view_opts(&o, 0, NULL, NULL, "pkg\\.beta", NULL, NULL);
	CHECK_VIEW(p, &o, 20, { "main.main", 0, 20 }, { "pkg.alpha", 15, 15 }, { "pkg.gamma", 2, 5 },
	           { "pkg.inlined", 3, 3 });
	/* S1 and S2 lose every frame: dropped, not counted at the root. */
	test_view_opts(&o, 0, NULL, NULL, "main\\.main|pkg\\.(alpha|beta)", NULL, NULL);
	CHECK_VIEW(p, &o, 5, { "pkg.gamma", 2, 5 }, { "pkg.inlined", 3, 3 });
	/* Hiding one line of an inlined location keeps the other. */
	test_view_opts(&o, 0, NULL, NULL, "pkg\\.inlined", NULL, NULL);
	CHECK_VIEW(p, &o, 20, { "main.main", 0, 20 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 17 },
	           { "pkg.gamma", 5, 5 });
	/* Hiding by mapping file hides every frame. */
	test_view_opts(&o, 0, NULL, NULL, "/bin/app", NULL, NULL);
	CHECK_EMPTY(p, &o);
	/* hide + focus: focus is decided on the unhidden stack. */
	test_view_opts(&o, 0, "pkg\\.beta", NULL, "pkg\\.beta", NULL, NULL);
	CHECK_VIEW(p, &o, 17, { "main.main", 0, 17 }, { "pkg.alpha", 15, 15 }, { "pkg.gamma", 2, 2 });
	prof_free(p);
}
END_TEST

/* One of show, show_from, prune_from (what) compiled into o. */
static void cut_opt(struct view_opts *o, const char *what, const char *re)
{
	char err[256];
	struct rx *x = !strcmp(what, "show") ? &o->show : !strcmp(what, "show_from") ? &o->show_from : &o->prune_from;
	bool *has = !strcmp(what, "show") ? &o->has_show
	            : !strcmp(what, "show_from") ? &o->has_show_from : &o->has_prune_from;
	ck_assert_int_eq(rx_compile(x, re, strlen(re), 0, err, sizeof(err)), 0);
	*has = true;
}

START_TEST(tree_cut)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	/* show_from: from the rootmost alpha down; S3, S4, S5 have none. */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	cut_opt(&o, "show_from", "pkg\\.alpha");
	CHECK_VIEW(p, &o, 15, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 15 });
	/* within an inlined location the lines rootward of the match go */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	cut_opt(&o, "show_from", "pkg\\.inlined");
	CHECK_VIEW(p, &o, 3, { "pkg.inlined", 3, 3 });
	/* prune_from: S2 loses its leaf alpha, S5 its gamma; S4 stays at the root */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	cut_opt(&o, "prune_from", "pkg\\.beta");
	CHECK_VIEW(p, &o, 27, { "main.main", 0, 20 }, { "pkg.alpha", 0, 15 }, { "pkg.beta", 17, 17 },
	           { "pkg.gamma", 0, 3 }, { "pkg.inlined", 3, 3 });
	/* ... and the inlined lines leafward of the match */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	cut_opt(&o, "prune_from", "pkg\\.gamma");
	CHECK_VIEW(p, &o, 27, { "main.main", 0, 20 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 17 },
	           { "pkg.gamma", 5, 5 });
	/* show keeps matching frames only; S3 and S4 are left with none */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	cut_opt(&o, "show", "pkg\\.(alpha|beta)");
	CHECK_VIEW(p, &o, 17, { "pkg.alpha", 5, 15 }, { "pkg.beta", 12, 17 });
	prof_free(p);
}
END_TEST

START_TEST(tree_tagroot)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	char err[256];
	/* S5 carries k=v; the others (S4 without a stack too) get <unknown> */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.n_tagroot = 1;
	strcpy(o.tagroot[0], "k");
	ck_assert_int_eq(view_pseudo_check(p, &o, err, sizeof(err)), 0);
	CHECK_VIEW(p, &o, 27, { "main.main", 0, 20 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 17 },
	           { "pkg.gamma", 2, 5 }, { "pkg.inlined", 3, 3 }, { "<unknown>", 7, 25 }, { "v", 0, 2 });
	/* at the leaf: every sample ends in its pseudo-frame */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.n_tagleaf = 1;
	strcpy(o.tagleaf[0], "k");
	CHECK_VIEW(p, &o, 27, { "main.main", 0, 20 }, { "pkg.alpha", 0, 15 }, { "pkg.beta", 0, 17 },
	           { "pkg.gamma", 0, 5 }, { "pkg.inlined", 0, 3 }, { "<unknown>", 25, 25 }, { "v", 2, 2 });
	/* a numeric label, a missing key, a filter matching a pseudo-frame */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.n_tagroot = 1;
	strcpy(o.tagroot[0], "bytes");
	ck_assert_int_eq(view_pseudo_check(p, &o, err, sizeof(err)), VIEW_PSEUDO_UNSUPPORTED);
	strcpy(o.tagroot[0], "nope");
	ck_assert_int_eq(view_pseudo_check(p, &o, err, sizeof(err)), VIEW_PSEUDO_NO_KEY);
	view_opts_release(&o);
	test_view_opts(&o, 0, "^v$", NULL, NULL, NULL, NULL);
	o.n_tagroot = 1;
	strcpy(o.tagroot[0], "k");
	ck_assert_int_eq(view_pseudo_check(p, &o, err, sizeof(err)), VIEW_PSEUDO_MATCH);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

START_TEST(tree_transforms)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	char err[256];
	/* S2 main;alpha;beta;alpha reads main;alpha;beta: its 5 go to beta */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.collapse_recursion = true;
	CHECK_VIEW(p, &o, 27, { "main.main", 0, 20 }, { "pkg.alpha", 0, 15 }, { "pkg.beta", 15, 17 },
	           { "pkg.gamma", 2, 5 }, { "pkg.inlined", 3, 3 });
	/* merging beta: S1's 10 go to alpha, S2 reads main;alpha;alpha, S5 main;gamma */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(rx_compile(&o.merge_fn, "beta", 4, 0, err, sizeof(err)), 0);
	o.has_merge_fn = true;
	CHECK_VIEW(p, &o, 27, { "main.main", 0, 20 }, { "pkg.alpha", 15, 15 }, { "pkg.gamma", 2, 5 },
	           { "pkg.inlined", 3, 3 });
	prof_free(p);
}
END_TEST

START_TEST(filter_simplify_names)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "main.(*T).m", "main." }, { ".foo", "foo" }, { "f(int)", "f" },
		{ "ns::(anonymous namespace)::g(x)", "ns::(anonymous namespace)::g" },
		{ "A::operator()(int)", "A::operator()" }, { "plain", "plain" }, { "", "" },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		size_t st, n = filter_simplify(cases[i].in, strlen(cases[i].in), &st);
		ck_assert_msg(n == strlen(cases[i].out) && !memcmp(cases[i].in + st, cases[i].out, n),
		              "%s -> %.*s", cases[i].in, (int)n, cases[i].in + st);
	}
}
END_TEST

START_TEST(tree_tags)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, "k=v", NULL);
	CHECK_VIEW(p, &o, 2, { "main.main", 0, 2 }, { "pkg.beta", 0, 2 }, { "pkg.gamma", 2, 2 });
	test_view_opts(&o, 0, NULL, NULL, NULL, "k=^w$", NULL);
	CHECK_EMPTY(p, &o);
	test_view_opts(&o, 0, NULL, NULL, NULL, "k=w,v", NULL); /* any of the regexes */
	CHECK_VIEW(p, &o, 2, { "main.main", 0, 2 }, { "pkg.beta", 0, 2 }, { "pkg.gamma", 2, 2 });
	test_view_opts(&o, 0, NULL, NULL, NULL, "^k:v$", NULL); /* no key: "key:value" */
	CHECK_VIEW(p, &o, 2, { "main.main", 0, 2 }, { "pkg.beta", 0, 2 }, { "pkg.gamma", 2, 2 });
	test_view_opts(&o, 0, NULL, NULL, NULL, "bytes=1kb:4kb", NULL);
	CHECK_VIEW(p, &o, 10, { "main.main", 0, 10 }, { "pkg.alpha", 0, 10 }, { "pkg.beta", 10, 10 });
	test_view_opts(&o, 0, NULL, NULL, NULL, "bytes=2kb", NULL);
	CHECK_VIEW(p, &o, 10, { "main.main", 0, 10 }, { "pkg.alpha", 0, 10 }, { "pkg.beta", 10, 10 });
	test_view_opts(&o, 0, NULL, NULL, NULL, "bytes=2048b", NULL);
	CHECK_VIEW(p, &o, 10, { "main.main", 0, 10 }, { "pkg.alpha", 0, 10 }, { "pkg.beta", 10, 10 });
	/* A unitless number never equals a value in bytes (pprof: unit "" vs "B"). */
	test_view_opts(&o, 0, NULL, NULL, NULL, "bytes=2048", NULL);
	CHECK_EMPTY(p, &o);
	test_view_opts(&o, 0, NULL, NULL, NULL, "bytes=4kb:", NULL);
	CHECK_EMPTY(p, &o);
	test_view_opts(&o, 0, NULL, NULL, NULL, "bytes=:1kb", NULL);
	CHECK_EMPTY(p, &o);
	/* tagignore keeps unlabelled samples, S4 included. */
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, "k=v");
	CHECK_VIEW(p, &o, 25, { "main.main", 0, 18 }, { "pkg.alpha", 5, 15 }, { "pkg.beta", 10, 15 },
	           { "pkg.gamma", 0, 3 }, { "pkg.inlined", 3, 3 });
	/* tag and name filters together. */
	test_view_opts(&o, 0, "gamma", NULL, NULL, NULL, "k=v");
	CHECK_VIEW(p, &o, 3, { "main.main", 0, 3 }, { "pkg.gamma", 0, 3 }, { "pkg.inlined", 3, 3 });
	prof_free(p);
}
END_TEST

START_TEST(tree_tags_json)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	struct view v;
	ck_assert_int_eq(view_build(p, &o, true, &v), 0);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(view_tags_json(&v, 0, &j, NULL, 0), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "tags JSON invalid: %s", b.data);
	ck_assert_str_eq(b.data,
	                 "{\"sample_type\":{\"type\":\"samples\",\"unit\":\"count\"},\"total\":27,\"tags\":["
	                 "{\"key\":\"bytes\",\"numeric\":true,\"unit\":\"bytes\",\"total\":10,"
	                 "\"labelled\":10,\"unlabelled\":17,\"n_values\":1,"
	                 "\"values\":[{\"value\":\"2kB\",\"total\":10}]},"
	                 "{\"key\":\"k\",\"numeric\":false,\"total\":2,\"labelled\":2,\"unlabelled\":25,\"n_values\":1,"
	                 "\"values\":[{\"value\":\"v\",\"total\":2}]}]}");
	buf_release(&b);
	view_release(&v);
	view_opts_release(&o);
	/* With a tag filter, only kept samples count. */
	test_view_opts(&o, 0, NULL, NULL, NULL, "k=v", NULL);
	ck_assert_int_eq(view_build(p, &o, true, &v), 0);
	json_init(&j, &b);
	ck_assert_int_eq(view_tags_json(&v, 0, &j, NULL, 0), 0);
	ck_assert(json_is_valid(b.data, b.len));
	ck_assert_ptr_null(strstr(b.data, "\"bytes\""));
	ck_assert_ptr_nonnull(strstr(b.data, "{\"value\":\"v\",\"total\":2}"));
	buf_release(&b);
	view_release(&v);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

struct prof *test_flat_profile(const char *type, const char *unit, const int64_t *vals, size_t n,
                               const struct pbw_label *labels, size_t per)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, type, unit);
	pbw_function(&w, 1, "f", "f.go");
	uint64_t id = 1;
	int64_t line = 1;
	pbw_location(&w, 1, 0, 1, &id, &line);
	for (size_t i = 0; i < n; i++)
		pbw_sample(&w, 1, &id, 1, &vals[i], per, labels + i * per);
	return test_decode(&w, true);
}

START_TEST(tree_tags_max_values)
{
	/* k=v (2), k=w (5), k=x (5): sorted by total, then value; capped. */
	static const struct pbw_label l[] = { { "k", "v", 0, NULL }, { "k", "w", 0, NULL }, { "k", "x", 0, NULL } };
	static const int64_t nums[] = { 2, 5, 5 };
	struct prof *p = test_flat_profile("samples", "count", nums, 3, l, 1);
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	struct view v;
	ck_assert_int_eq(view_build(p, &o, true, &v), 0);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(view_tags_json(&v, 2, &j, NULL, 0), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "tags JSON invalid: %s", b.data);
	ck_assert_ptr_nonnull(strstr(b.data, "\"total\":12,\"labelled\":12,\"unlabelled\":0,\"n_values\":3,\"values\":["
	                                     "{\"value\":\"w\",\"total\":5},{\"value\":\"x\",\"total\":5}]}"));
	buf_release(&b);
	view_release(&v);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

START_TEST(tree_flame_json)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	ck_assert_int_eq(view_flame_json(&v, 0, &j), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "flame JSON invalid: %s", b.data);
	/* Preorder, children by name; [name, depth, self, total]. */
	ck_assert_str_eq(b.data,
	                 "{\"sample_type\":{\"type\":\"samples\",\"unit\":\"count\"},\"total\":27,"
	                 "\"names\":[\"root\",\"main.main\",\"pkg.alpha\",\"pkg.beta\",\"pkg.gamma\",\"pkg.inlined\"],"
	                 "\"files\":[\"\",\"/src/main.go\",\"/src/pkg/a.go\",\"/src/pkg/b.go\",\"/src/pkg/c.go\","
	                 "\"/src/pkg/inl.go\"],"
	                 "\"nodes\":[[0,0,7,27],[1,1,0,20],[2,2,0,15],[3,3,10,15],[2,4,5,5],[3,2,0,2],"
	                 "[4,3,2,2],[4,2,0,3],[5,3,3,3]]}");
	buf_release(&b);
	/* Three nodes at most: root, main, alpha; pruned weight folds into self. */
	json_init(&j, &b);
	ck_assert_int_eq(view_flame_json(&v, 3, &j), 0);
	ck_assert(json_is_valid(b.data, b.len));
	ck_assert_ptr_nonnull(strstr(b.data, "\"names\":[\"root\",\"main.main\",\"pkg.alpha\"],"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"nodes\":[[0,0,7,27],[1,1,5,20],[2,2,15,15]]"));
	buf_release(&b);
	/* Sandwich around beta. */
	json_init(&j, &b);
	ck_assert_int_eq(view_sandwich_json(&v, "pkg.beta", 0, &j), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "sandwich JSON invalid: %s", b.data);
	ck_assert_ptr_nonnull(strstr(b.data, "\"cum\":17,"));
	buf_release(&b);
	json_init(&j, &b);
	ck_assert_int_eq(view_sandwich_json(&v, "no.such.function", 0, &j), VIEW_NOT_FOUND);
	buf_release(&b);
	view_release(&v);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

START_TEST(tree_diff_profile)
{
	/* Negative values (pprof -diff_base): total is the sum of absolute
	 * values, or of the pprof::base samples when there are any. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_function(&w, 1, "main", "m.go");
	pbw_function(&w, 2, "f", "f.go");
	pbw_function(&w, 3, "g", "g.go");
	for (uint64_t id = 1; id <= 3; id++) {
		int64_t line = 1;
		pbw_location(&w, id, 0, 1, &id, &line);
	}
	static const uint64_t sf[] = { 2, 1 }, sg[] = { 3, 1 };
	int64_t v = 10;
	pbw_sample(&w, 2, sf, 1, &v, 0, NULL);
	v = -4;
	pbw_sample(&w, 2, sg, 1, &v, 0, NULL);
	struct prof *p = test_decode(&w, false);
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 14, { "main", 0, 6 }, { "f", 10, 10 }, { "g", -4, -4 });
	prof_free(p);

	const struct pbw_label base = { "pprof::base", "true", 0, NULL };
	static const uint64_t sh[] = { 2, 1 };
	v = -3;
	pbw_sample(&w, 2, sh, 1, &v, 1, &base);
	p = test_decode(&w, true);
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	CHECK_VIEW(p, &o, 3, { "main", 0, 3 }, { "f", 7, 7 }, { "g", -4, -4 });
	prof_free(p);
}
END_TEST

START_TEST(tree_cancelling_node_kept)
{
	/* +5 and -5 on one stack from different label sets: the node has
	 * zero net value but must not vanish from the tree. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_function(&w, 1, "main", "m.go");
	pbw_function(&w, 2, "f", "f.go");
	for (uint64_t id = 1; id <= 2; id++) {
		int64_t line = 1;
		pbw_location(&w, id, 0, 1, &id, &line);
	}
	static const uint64_t s[] = { 2, 1 };
	const struct pbw_label a = { "side", "a", 0, NULL }, b = { "side", "b", 0, NULL };
	int64_t v = 5;
	pbw_sample(&w, 2, s, 1, &v, 1, &a);
	v = -5;
	pbw_sample(&w, 2, s, 1, &v, 1, &b);
	struct prof *p = test_decode(&w, true);
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	struct view v2;
	ck_assert_int_eq(view_build(p, &o, false, &v2), 0);
	ck_assert_int_eq(v2.total, 10);
	ck_assert_uint_eq(v2.t.n, 3); /* root, main, f */
	view_release(&v2);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

/* ---- tags that overflow ------------------------------------------------------ */

/* The tags view of p: its status, and its JSON or message in out. */
static int tags_of(const struct prof *p, char *out, size_t cap)
{
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	struct view v;
	ck_assert_int_eq(view_build(p, &o, true, &v), 0);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	out[0] = '\0';
	int rc = view_tags_json(&v, 0, &j, out, cap);
	if (rc == 0)
		snprintf(out, cap, "%s", b.data);
	buf_release(&b);
	view_release(&v);
	view_opts_release(&o);
	return rc;
}

START_TEST(tree_tags_overflow)
{
	/* pprof adds a sample's value once per label value it carries, so a
	 * key's total can pass 2^63 although the profile's total does not:
	 * the view says so instead of wrapping to a negative number. */
	const int64_t big = 8200000000000000000LL;
	char out[1024];
	const struct pbw_label two[2] = { { "k", "a", 0, NULL }, { "k", "b", 0, NULL } };
	struct prof *p = test_flat_profile("samples", "count", &big, 1, two, 2);
	ck_assert_int_eq(tags_of(p, out, sizeof(out)), VIEW_OVERFLOW);
	ck_assert_msg(strstr(out, "label k overflows 64 bits") != NULL, "%s", out);
	prof_free(p);
	/* The same value twice: that value's total overflows. */
	const struct pbw_label same[2] = { { "k", "a", 0, NULL }, { "k", "a", 0, NULL } };
	p = test_flat_profile("samples", "count", &big, 1, same, 2);
	ck_assert_int_eq(tags_of(p, out, sizeof(out)), VIEW_OVERFLOW);
	ck_assert_msg(strstr(out, "label k overflows") != NULL, "%s", out);
	prof_free(p);
	/* Two numbers that print alike (1.50kB) are one value. */
	const struct pbw_label nums[3] = { { "n", "x", 0, NULL }, { "size", NULL, 1536, "bytes" },
	                                   { "size", NULL, 1537, "bytes" } };
	p = test_flat_profile("samples", "count", &big, 1, nums, 3);
	ck_assert_int_eq(tags_of(p, out, sizeof(out)), VIEW_OVERFLOW);
	ck_assert_msg(strstr(out, "label size overflows") != NULL, "%s", out);
	prof_free(p);
	/* Up to the largest int64, totals are exact. */
	const int64_t half = INT64_MAX / 2;
	p = test_flat_profile("samples", "count", &half, 1, two, 2);
	ck_assert_int_eq(tags_of(p, out, sizeof(out)), 0);
	/* labelled counts the one sample once */
	ck_assert_msg(strstr(out, "\"key\":\"k\",\"numeric\":false,\"total\":9223372036854775806,"
	                          "\"labelled\":4611686018427387903,\"unlabelled\":0,\"n_values\":2,") != NULL,
	              "%s", out);
	prof_free(p);
}
END_TEST

/* ---- allocation failures -------------------------------------------------------- */

enum { FA_BUILD, FA_TOP, FA_FLAME, FA_FLAME_PRUNED, FA_TAGS, FA_SANDWICH };

struct fa_view {
	struct prof *p;  /* v's profile */
	struct prof *q;  /* the same again, for FA_BUILD (which frees its shared tree) */
	struct view_opts o;
	struct view v;   /* built unhooked, for the writers */
	int what;
};

/* Everything a view shows: its top table, flame graph and tags. */
static int write_view(const struct view *v, struct buf *out)
{
	struct json j;
	json_init(&j, out);
	int rc = view_top_json(v, true, 0, &j);
	if (rc == 0)
		rc = view_flame_json(v, 0, &j);
	if (rc == 0)
		rc = view_tags_json(v, 0, &j, NULL, 0);
	return rc;
}

static int op_view(void *arg, struct buf *out)
{
	struct fa_view *c = arg;
	struct json j;
	json_init(&j, out);
	switch (c->what) {
	case FA_BUILD: {
		/* Forget the profile's shared tree, so it is built under the hook too. */
		prof_ntree_free(c->q->ntree);
		c->q->ntree = NULL;
		struct view v;
		int rc = view_build(c->q, &c->o, true, &v);
		if (rc != 0)
			return rc;
		rc = write_view(&v, out);
		view_release(&v);
		return rc;
	}
	case FA_TOP:
		return view_top_json(&c->v, false, 3, &j);
	case FA_FLAME:
		return view_flame_json(&c->v, 0, &j);
	case FA_FLAME_PRUNED:
		return view_flame_json(&c->v, 3, &j);
	case FA_TAGS:
		return view_tags_json(&c->v, 1, &j, NULL, 0);
	default:
		return view_sandwich_json(&c->v, "pkg.beta", 2, &j);
	}
}

/* Every view under every allocation failure, unfiltered, with name and tag
 * filters, and with hide (a private tree). */
START_TEST(tree_failalloc)
{
	static const char *const names[] = { "view_build", "top", "flame", "flame pruned", "tags", "sandwich" };
	static const char *const filters[][5] = {
		{ NULL, NULL, NULL, NULL, NULL },
		{ "main", "inlined", NULL, NULL, "k=v" },
		{ NULL, NULL, "alpha", NULL, NULL },
		{ "beta", NULL, "gamma", "bytes=1kb:", NULL },
	};
	const char *const *f = filters[_i];
	struct fa_view c;
	c.p = test_tree_profile();
	c.q = test_tree_profile();
	test_view_opts(&c.o, 0, f[0], f[1], f[2], f[3], f[4]);
	ck_assert_int_eq(view_build(c.p, &c.o, true, &c.v), 0);
	for (c.what = FA_BUILD; c.what <= FA_SANDWICH; c.what++) {
		char what[64];
		snprintf(what, sizeof(what), "%s, filters %d", names[c.what], _i);
		failalloc_check(what, op_view, &c);
	}
	view_release(&c.v);
	view_opts_release(&c.o);
	prof_free(c.p);
	prof_free(c.q);
}
END_TEST

Suite *view_suite(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");
	tcase_add_test(tc, tree_unfiltered);
	tcase_add_test(tc, tree_cut);
	tcase_add_test(tc, tree_tagroot);
	tcase_add_test(tc, tree_transforms);
	tcase_add_test(tc, filter_simplify_names);
	tcase_add_test(tc, tree_sorting);
	tcase_add_test(tc, tree_focus);
	tcase_add_test(tc, tree_ignore);
	tcase_add_test(tc, tree_hide);
	tcase_add_test(tc, tree_tags);
	tcase_add_test(tc, tree_tags_json);
	tcase_add_test(tc, tree_tags_max_values);
	tcase_add_test(tc, tree_flame_json);
	tcase_add_test(tc, tree_diff_profile);
	tcase_add_test(tc, tree_cancelling_node_kept);
	tcase_add_test(tc, tree_tags_overflow);
	tcase_add_loop_test(tc, tree_failalloc, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
