/*
 * test_view_zoom.c: a view cut to one frame (view_zoom.h), read through
 * the folded export, on the tree profile of test_view.c: S1 main -> alpha
 * -> beta 10; S2 main -> alpha -> beta -> alpha 5; S3 main -> [gamma:8 ->
 * inlined:7] 3; S4 (no locations) 7; S5 main -> beta -> gamma:4 2.
 */
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "tests.h"
#include "view.h"
#include "view_granularity.h"
#include "view_zoom.h"

/* export_folded of the tree profile's view at gran, zoomed to path; its
 * total and the names matched in *total and *depth */
static char *zoomed(const char *path, int gran, int64_t *total, uint32_t *depth)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.gran = gran;
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0);
	ck_assert_int_eq(view_zoom(&v, path, strlen(path), depth), 0);
	*total = v.total;
	struct buf b = BUF_INIT;
	ck_assert_int_eq(export_folded(&v, &b), 0);
	buf_addc(&b, 0);
	char *s = strdup(b.data);
	buf_release(&b);
	view_release(&v);
	view_opts_release(&o);
	prof_free(p);
	return s;
}

static void folded_is(const char *path, int gran, const char *want, int64_t want_total, uint32_t want_depth)
{
	int64_t total;
	uint32_t depth;
	char *got = zoomed(path, gran, &total, &depth);
	ck_assert_msg(!strcmp(got, want), "zoom %s: got\n%s\nwant\n%s", path, got, want);
	ck_assert_int_eq(total, want_total);
	ck_assert_uint_eq(depth, want_depth);
	free(got);
}

START_TEST(zoom_keeps_the_frame_and_its_context)
{
	/* the frame's subtree, with the frames above it */
	folded_is("main.main;pkg.alpha", VIEW_GRAN_FUNCTIONS,
	          "main.main;pkg.alpha;pkg.beta 10\nmain.main;pkg.alpha;pkg.beta;pkg.alpha 5\n", 15, 2);
	folded_is("main.main;pkg.alpha;pkg.beta;pkg.alpha", VIEW_GRAN_FUNCTIONS,
	          "main.main;pkg.alpha;pkg.beta;pkg.alpha 5\n", 5, 4);
	/* a name the tree has not: the deepest frame the path reaches (the page's rule) */
	folded_is("main.main;pkg.beta;nope;pkg.gamma", VIEW_GRAN_FUNCTIONS, "main.main;pkg.beta;pkg.gamma 2\n", 2, 2);
	/* nothing reached, or no zoom: the whole view (S4 has no stack, so no line) */
	const char *all = "main.main;pkg.alpha;pkg.beta 10\nmain.main;pkg.alpha;pkg.beta;pkg.alpha 5\n"
	                  "main.main;pkg.beta;pkg.gamma 2\nmain.main;pkg.gamma;pkg.inlined 3\n";
	folded_is("nope", VIEW_GRAN_FUNCTIONS, all, 27, 0);
	folded_is("", VIEW_GRAN_FUNCTIONS, all, 27, 0);
	/* names at the view's granularity, with the page's escapes ("\;" "\\") */
	folded_is("main.main /src/main.go:1;pkg.gamma /src/pkg/c.go:8", VIEW_GRAN_LINES,
	          "main.main /src/main.go:1;pkg.gamma /src/pkg/c.go:8;pkg.inlined /src/pkg/inl.go:7 3\n", 3, 2);
	folded_is("main.ma\\in;pkg.beta", VIEW_GRAN_FUNCTIONS, "main.main;pkg.beta;pkg.gamma 2\n", 2, 2);
	folded_is("main.main\\;pkg.beta", VIEW_GRAN_FUNCTIONS, all, 27, 0);
	/* a trailing backslash or ';' ends the path */
	folded_is("main.main;pkg.beta;", VIEW_GRAN_FUNCTIONS, "main.main;pkg.beta;pkg.gamma 2\n", 2, 2);
	folded_is("main.main;pkg.beta\\", VIEW_GRAN_FUNCTIONS, all, 20, 1);
}
END_TEST

START_TEST(zoom_sets_cum_above_the_frame)
{
	struct prof *p = test_tree_profile();
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0);
	const char *path = "main.main;pkg.beta;pkg.gamma";
	ck_assert_int_eq(view_zoom(&v, path, strlen(path), NULL), 0);
	/* root, main.main and pkg.beta carry gamma's 2, every other node 0 */
	int nonzero = 0;
	for (uint32_t x = 0; x < v.t.n; x++) {
		if (v.t.col[VIEW_TOT][x] != 0) {
			ck_assert_int_eq(v.t.col[VIEW_TOT][x], 2);
			nonzero++;
		}
	}
	ck_assert_int_eq(nonzero, 4);
	ck_assert_int_eq(v.t.col[VIEW_SELF][0], 0);
	view_release(&v);
	view_opts_release(&o);
	prof_free(p);
}
END_TEST

/* build, zoom and export; every allocation failure is a -1, never another answer */
static int op_zoom(void *ctx, struct buf *out)
{
	const struct prof *p = ctx;
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.gran = VIEW_GRAN_LINES;
	struct view v;
	int rc = view_build(p, &o, false, &v);
	if (rc == 0) {
		const char *path = "main.main /src/main.go:1;pkg.alpha /src/pkg/a.go:2";
		rc = view_zoom(&v, path, strlen(path), NULL);
		if (rc == 0)
			rc = export_folded(&v, out);
		view_release(&v);
	}
	view_opts_release(&o);
	return rc < 0 ? -1 : rc;
}

START_TEST(zoom_under_allocation_failures)
{
	struct prof *p = test_tree_profile();
	failalloc_check("view_build + view_zoom + export_folded", op_zoom, p);
	prof_free(p);
}
END_TEST

Suite *view_zoom_suite(void)
{
	Suite *s = suite_create("view_zoom");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, zoom_keeps_the_frame_and_its_context);
	tcase_add_test(tc, zoom_sets_cum_above_the_frame);
	tcase_add_test(tc, zoom_under_allocation_failures);
	suite_add_tcase(s, tc);
	return s;
}
