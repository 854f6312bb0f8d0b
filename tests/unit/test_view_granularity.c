/*
 * test_view_granularity.c: names at a granularity (view_granularity.h),
 * views of the derived profile, and the line table (view_list_json), on
 * the tree profile of test_view.c, worked out by hand:
 *
 * Locations 1-4 hold main.main:1, pkg.alpha:2, pkg.beta:3, pkg.gamma:4 at
 * 0x401010 + 16 (id - 1); location 5 (0x401050) is pkg.inlined:7 inlined
 * into pkg.gamma:8. Samples (count), root first: S1 main -> alpha -> beta
 * 10; S2 main -> alpha -> beta -> alpha 5; S3 main -> [gamma:8 ->
 * inlined:7] 3; S4 (no locations) 7; S5 main -> beta -> gamma:4 2.
 * At lines: main:1 0/20, alpha:2 5/15, beta:3 10/17, gamma:4 2/2,
 * gamma:8 0/3, inlined:7 3/3 (flat/cum).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "tests.h"
#include "view.h"
#include "view_granularity.h"

static void name_is(const struct prof *p, uint32_t loc, uint32_t k, int gran, const char *want)
{
	struct buf b = BUF_INIT;
	struct view_gran_parts parts;
	memset(&parts, 0, sizeof(parts));
	uint32_t fr = p->loc_frames[p->locs[loc].off + k];
	ck_assert_int_eq(view_gran_frame(p, loc, fr, gran, &parts, &b), 0);
	buf_addc(&b, 0);
	ck_assert_str_eq(b.data, want);
	buf_release(&b);
	view_gran_parts_release(&parts);
}

/* the location of the profile whose outermost frame is function fn */
static uint32_t loc_of(const struct prof *p, const char *fn, uint32_t nframes)
{
	for (uint32_t L = 0; L < p->n_locs; L++) {
		const struct prof_frame *f = &p->frames[p->loc_frames[p->locs[L].off]];
		if (p->locs[L].n == nframes && f->func != PROF_NONE && !strcmp(prof_str(p, p->funcs[f->func].name), fn))
			return L;
	}
	ck_abort_msg("no location of %s", fn);
	return 0;
}

START_TEST(names_at_each_granularity)
{
	struct prof *p = test_tree_profile();
	uint32_t beta = loc_of(p, "pkg.beta", 1), gamma = loc_of(p, "pkg.gamma", 2);
	name_is(p, beta, 0, VIEW_GRAN_FUNCTIONS, "pkg.beta");
	name_is(p, beta, 0, VIEW_GRAN_FILEFUNCTIONS, "pkg.beta /src/pkg/b.go");
	name_is(p, beta, 0, VIEW_GRAN_FILES, "/src/pkg/b.go");
	name_is(p, beta, 0, VIEW_GRAN_LINES, "pkg.beta /src/pkg/b.go:3");
	name_is(p, beta, 0, VIEW_GRAN_ADDRESSES, "0000000000401030 pkg.beta /src/pkg/b.go:3");
	/* an inlined frame: its own name at the location's address */
	name_is(p, gamma, 0, VIEW_GRAN_ADDRESSES, "0000000000401050 pkg.gamma /src/pkg/c.go:8");
	name_is(p, gamma, 1, VIEW_GRAN_ADDRESSES, "0000000000401050 pkg.inlined /src/pkg/inl.go:7");
	ck_assert_int_eq(view_gran_parse(NULL), VIEW_GRAN_FUNCTIONS);
	ck_assert_int_eq(view_gran_parse("addresses"), VIEW_GRAN_ADDRESSES);
	ck_assert_int_eq(view_gran_parse("Lines"), -1);
	ck_assert_str_eq(view_gran_name(VIEW_GRAN_FILES), "files");
	ck_assert(view_gran_available(p, VIEW_GRAN_ADDRESSES));
	/* without addresses (an old blob, a merge): addresses only is refused */
	uint64_t *a = p->loc_addr;
	p->loc_addr = NULL;
	ck_assert(!view_gran_available(p, VIEW_GRAN_ADDRESSES));
	ck_assert(view_gran_available(p, VIEW_GRAN_LINES));
	ck_assert_ptr_null(view_gran_prof(p, VIEW_GRAN_ADDRESSES));
	p->loc_addr = a;
	prof_free(p);
}
END_TEST

static void row_is(const char *json, const char *name, long long flat, long long cum)
{
	char want[256];
	snprintf(want, sizeof(want), "{\"function\":\"%s\",\"flat\":%lld,\"cum\":%lld,", name, flat, cum);
	ck_assert_msg(strstr(json, want) != NULL, "no row %s in %s", want, json);
}

static char *top_at(const struct prof *p, int gran)
{
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.gran = gran;
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	ck_assert_int_eq(view_top_json(&v, false, 0, &j), 0);
	view_release(&v);
	view_opts_release(&o);
	buf_addc(&out, 0);
	return out.data; /* the test frees it */
}

START_TEST(top_at_lines_and_addresses)
{
	struct prof *p = test_tree_profile();
	char *s = top_at(p, VIEW_GRAN_LINES);
	ck_assert_msg(strstr(s, "\"granularity\":\"lines\"") != NULL, "%s", s);
	row_is(s, "main.main /src/main.go:1", 0, 20);
	row_is(s, "pkg.alpha /src/pkg/a.go:2", 5, 15);
	row_is(s, "pkg.beta /src/pkg/b.go:3", 10, 17);
	row_is(s, "pkg.gamma /src/pkg/c.go:4", 2, 2);
	row_is(s, "pkg.gamma /src/pkg/c.go:8", 0, 3);
	row_is(s, "pkg.inlined /src/pkg/inl.go:7", 3, 3);
	ck_assert_msg(strstr(s, "\"count\":6") != NULL, "%s", s);
	free(s);
	s = top_at(p, VIEW_GRAN_FILES);
	row_is(s, "/src/pkg/c.go", 2, 5); /* gamma:4 and gamma:8 are one file */
	free(s);
	s = top_at(p, VIEW_GRAN_ADDRESSES);
	row_is(s, "0000000000401040 pkg.gamma /src/pkg/c.go:4", 2, 2);
	row_is(s, "0000000000401050 pkg.inlined /src/pkg/inl.go:7", 3, 3);
	free(s);
	/* the derived profile: a frame per location frame at addresses */
	struct prof *gp = view_gran_prof(p, VIEW_GRAN_ADDRESSES);
	ck_assert_ptr_nonnull(gp);
	ck_assert_uint_eq(gp->n_frames, p->n_loc_frames);
	ck_assert_uint_gt(gp->n_strs, p->n_strs);
	/* the source's strings keep their ids */
	for (uint32_t i = 0; i < p->n_strs; i++)
		ck_assert_str_eq(prof_str(gp, i), prof_str(p, i));
	view_gran_prof_free(gp);
	prof_free(p);
}
END_TEST

static char *list_of(const struct prof *p, const char *re, uint32_t max, int *rc)
{
	struct view_opts o;
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	o.gran = VIEW_GRAN_LINES;
	struct rx x;
	char err[128];
	ck_assert_int_eq(rx_compile(&x, re, strlen(re), 0, err, sizeof(err)), 0);
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	*rc = view_list_json(&v, &x, max, &j);
	view_release(&v);
	view_opts_release(&o);
	rx_release(&x);
	buf_addc(&out, 0);
	return out.data;
}

START_TEST(list_as_pprof)
{
	struct prof *p = test_tree_profile();
	int rc;
	char *s = list_of(p, "gamma", 10, &rc);
	ck_assert_int_eq(rc, 0);
	/* the header sums the lines: flat 2, cum 2 + 3 */
	ck_assert_msg(strstr(s, "{\"function\":\"pkg.gamma\",\"file\":\"/src/pkg/c.go\",\"flat\":2,\"cum\":5,"
	                        "\"source\":null,\"lines\":[{\"line\":4,\"flat\":2,\"cum\":2},"
	                        "{\"line\":8,\"flat\":0,\"cum\":3}]}") != NULL, "%s", s);
	free(s);
	s = list_of(p, "^pkg\\.(alpha|beta)$", 10, &rc);
	ck_assert_int_eq(rc, 0);
	char *a = strstr(s, "\"pkg.alpha\""), *b = strstr(s, "\"pkg.beta\"");
	ck_assert_msg(a && b && a < b, "%s", s); /* in name order */
	free(s);
	s = list_of(p, "^pkg\\.", 3, &rc);
	ck_assert_int_eq(rc, VIEW_TOO_MANY); /* four functions */
	free(s);
	s = list_of(p, "^nothing$", 3, &rc);
	ck_assert_int_eq(rc, VIEW_NOT_FOUND);
	free(s);
	prof_free(p);
}
END_TEST

struct fa_gran {
	struct prof *p;
	struct rx x;
	int gran;
	bool list;
};

static int op_gran(void *arg, struct buf *out)
{
	struct fa_gran *c = arg;
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	o.gran = c->gran;
	struct view v;
	int rc = view_build(c->p, &o, false, &v);
	if (rc != 0)
		return rc;
	struct json j;
	json_init(&j, out);
	rc = c->list ? view_list_json(&v, &c->x, 10, &j) : view_top_json(&v, true, 0, &j);
	if (rc == 0 && !c->list)
		rc = view_flame_json(&v, 0, &j);
	view_release(&v);
	return rc;
}

START_TEST(granularity_failalloc)
{
	struct fa_gran c;
	char err[128];
	c.p = test_tree_profile();
	ck_assert_int_eq(rx_compile(&c.x, "pkg", 3, 0, err, sizeof(err)), 0);
	static const int grans[] = { VIEW_GRAN_LINES, VIEW_GRAN_FILES, VIEW_GRAN_ADDRESSES };
	for (int i = 0; i < 3; i++) {
		c.gran = grans[i];
		c.list = false;
		failalloc_check(view_gran_name(c.gran), op_gran, &c);
	}
	c.gran = VIEW_GRAN_LINES;
	c.list = true;
	failalloc_check("list", op_gran, &c);
	rx_release(&c.x);
	prof_free(c.p);
}
END_TEST

Suite *view_granularity_suite(void)
{
	Suite *s = suite_create("view_granularity");
	TCase *tc = tcase_create("view_granularity");
	tcase_add_test(tc, names_at_each_granularity);
	tcase_add_test(tc, top_at_lines_and_addresses);
	tcase_add_test(tc, list_as_pprof);
	tcase_add_test(tc, granularity_failalloc);
	suite_add_tcase(s, tc);
	return s;
}
