/*
 * test_diff.c: base against target (diff.h): the views of a diff, the
 * union tree with each function's verdict (gate.h), the per-function
 * deltas, the CI check, and every allocation failure on the way.
 *
 * The base is test_tree_profile() (see test_view.c); the target, worked
 * out by hand with the same rules, root first (samples, cpu = samples *
 * 1000):
 *   T1 main -> alpha -> beta   20
 *   T2 main -> delta           60   (delta is new; gamma and inlined are gone)
 *   T3 main -> beta             4
 * Target flat/cum: main 0/84, alpha 0/20, beta 24/24, delta 60/60.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "jsoncheck.h"
#include "tests.h"

static struct prof *target_profile(void)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_sample_type(&w, "cpu", "nanoseconds");
	pbw_mapping(&w, 1, "/bin/app");
	pbw_function(&w, 1, "main.main", "/src/main.go");
	pbw_function(&w, 2, "pkg.alpha", "/src/pkg/a.go");
	pbw_function(&w, 3, "pkg.beta", "/src/pkg/b.go");
	pbw_function(&w, 4, "pkg.delta", "/src/pkg/d.go");
	for (uint64_t id = 1; id <= 4; id++) {
		int64_t line = (int64_t)id;
		pbw_location(&w, id, 1, 1, &id, &line);
	}
	static const uint64_t t1[] = { 3, 2, 1 }, t2[] = { 4, 1 }, t3[] = { 3, 1 };
	int64_t v[2] = { 20, 20000 };
	pbw_sample(&w, 3, t1, 2, v, 0, NULL);
	v[0] = 60, v[1] = 60000;
	pbw_sample(&w, 2, t2, 2, v, 0, NULL);
	v[0] = 4, v[1] = 4000;
	pbw_sample(&w, 2, t3, 2, v, 0, NULL);
	return test_decode(&w, true);
}

/* One function with the values vals[0..n) (n <= 4), kept apart by a label. */
static struct prof *values_profile(const char *type, const char *unit, const int64_t *vals, size_t n)
{
	static const struct pbw_label side[] = { { "side", "a", 0, NULL }, { "side", "b", 0, NULL },
	                                         { "side", "c", 0, NULL }, { "side", "d", 0, NULL } };
	ck_assert_uint_le(n, ARRLEN(side));
	return test_flat_profile(type, unit, vals, n, side, 1);
}

static const struct gate_opts gate_10_1 = { .max_growth_pct = 10, .min_share_pct = 1, .alpha = 0.01 };

static int check_10_1(const struct diff_in *in0, struct json *j)
{
	char summary[256];
	struct diff_in in = *in0;
	in.gate = gate_10_1;
	int rc = diff_check_json(&in, j, summary, sizeof(summary));
	if (rc >= 0) {
		json_key(j, "summary");
		json_str(j, summary);
	}
	return rc;
}

/* The writers add members to an object: wrap them in one. */
static int write_obj(int (*writer)(const struct diff_in *, struct json *), const struct diff_in *in,
                     struct buf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	int rc = writer(in, &j);
	json_obj_end(&j);
	return rc;
}

static int write_tree(const struct diff_in *in, struct buf *out)
{
	return write_obj(diff_tree_json, in, out);
}

static int write_top(const struct diff_in *in, struct buf *out)
{
	return write_obj(diff_top_json, in, out);
}

/* Base and target, their filters and the views of their diff. */
struct pair {
	struct prof *pb, *pt;
	struct view_opts o;
	struct diff_views d;
	struct diff_in in;
};

static void pair_open(struct pair *c, const char *hide, bool with_counts)
{
	char err[256];
	c->pb = test_tree_profile();
	c->pt = target_profile();
	test_view_opts(&c->o, 0, NULL, NULL, hide, NULL, NULL);
	ck_assert_int_eq(diff_views_build(&c->d, c->pb, c->pt, &c->o, false, with_counts, err, sizeof(err)), 0);
	diff_views_in(&c->d, &c->in);
	c->in.gate = gate_10_1;
}

static void pair_close(struct pair *c)
{
	diff_views_release(&c->d);
	view_opts_release(&c->o);
	prof_free(c->pb);
	prof_free(c->pt);
}

START_TEST(diff_tree)
{
	struct pair c;
	pair_open(&c, NULL, true);
	ck_assert(c.d.counts); /* samples/count is its own count type */
	ck_assert(c.d.scale == 1);
	ck_assert(c.d.p0 == 0.5); /* no durations */
	ck_assert_int_eq(c.d.base.total, 27);
	ck_assert_int_eq(c.d.target.total, 84);
	struct buf b = BUF_INIT;
	ck_assert_int_eq(write_tree(&c.in, &b), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "%s", b.data);
	/* [name, depth, base self, base total, target self, target total];
	 * the functions that changed (amounts, p0 = 1/2): main, 84 of 104
	 * samples, and delta, 60 of 60, grew beyond chance; beta (24 of 41)
	 * and alpha (20 of 35) did not, nor did gamma and inlined shrink
	 * enough (0 of 5 and of 3). Every frame of main and delta is marked. */
	ck_assert_str_eq(b.data,
	                 "{\"names\":[\"root\",\"main.main\",\"pkg.alpha\",\"pkg.beta\",\"pkg.gamma\",\"pkg.delta\","
	                 "\"pkg.inlined\"],"
	                 "\"nodes\":[[0,0,7,27,0,84],[1,1,0,20,0,84],[2,2,0,15,0,20],[3,3,10,15,20,20],"
	                 "[2,4,5,5,0,0],[3,2,0,2,4,4],[4,3,2,2,0,0],[5,2,0,0,60,60],[4,2,0,3,0,0],[6,3,3,3,0,0]],"
	                 "\"function_change\":[0,1,0,0,0,1,0],"
	                 "\"significant\":[false,true,false,false,false,false,false,true,false,false],"
	                 "\"grew\":2,\"shrank\":0,\"functions_tested\":6,\"alpha\":0.01,\"max_growth_pct\":10,"
	                 "\"min_share_pct\":1}");
	buf_release(&b);
	/* Pruned to four nodes by max(|base|, |target|): root 84, main 84,
	 * delta 60, then alpha and beta tie at 20: alpha, the parent, wins. */
	c.in.max_nodes = 4;
	ck_assert_int_eq(write_tree(&c.in, &b), 0);
	ck_assert_str_eq(b.data, "{\"names\":[\"root\",\"main.main\",\"pkg.alpha\",\"pkg.delta\"],"
	                         "\"nodes\":[[0,0,7,27,0,84],[1,1,5,20,4,84],[2,2,15,15,20,20],[3,2,0,0,60,60]],"
	                         "\"function_change\":[0,1,0,1],\"significant\":[false,true,false,true],"
	                         "\"grew\":2,\"shrank\":0,\"functions_tested\":6,\"alpha\":0.01,\"max_growth_pct\":10,"
	                         "\"min_share_pct\":1}");
	buf_release(&b);
	pair_close(&c);
	/* Without count views, significance is unknown. */
	pair_open(&c, NULL, false);
	ck_assert(!c.d.counts);
	ck_assert_ptr_null(c.in.base_n);
	ck_assert_int_eq(write_tree(&c.in, &b), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\"function_change\":[null,null,null,null,null,null,null],"
	                                     "\"significant\":[null,null,null,null,null,null,null,null,null,null],"
	                                     "\"grew\":null,\"shrank\":null,\"functions_tested\":null,"));
	buf_release(&b);
	pair_close(&c);
}
END_TEST

START_TEST(diff_top_and_check)
{
	struct pair c;
	pair_open(&c, NULL, false);
	struct diff_in in = c.in;
	struct buf b = BUF_INIT;
	ck_assert_int_eq(write_top(&in, &b), 0);
	ck_assert_msg(json_is_valid(b.data, b.len), "%s", b.data);
	/* By |target cum - base cum|: 64, 60, 7, 5, 5 (by name), 3. */
	ck_assert_str_eq(b.data,
	                 "{\"rows\":["
	                 "{\"function\":\"main.main\",\"base_flat\":0,\"base_cum\":20,\"target_flat\":0,"
	                 "\"target_cum\":84,\"status\":\"both\",\"change\":null,\"p_adjusted\":null},"
	                 "{\"function\":\"pkg.delta\",\"base_flat\":0,\"base_cum\":0,\"target_flat\":60,"
	                 "\"target_cum\":60,\"status\":\"new\",\"change\":null,\"p_adjusted\":null},"
	                 "{\"function\":\"pkg.beta\",\"base_flat\":10,\"base_cum\":17,\"target_flat\":24,"
	                 "\"target_cum\":24,\"status\":\"both\",\"change\":null,\"p_adjusted\":null},"
	                 "{\"function\":\"pkg.alpha\",\"base_flat\":5,\"base_cum\":15,\"target_flat\":0,"
	                 "\"target_cum\":20,\"status\":\"both\",\"change\":null,\"p_adjusted\":null},"
	                 "{\"function\":\"pkg.gamma\",\"base_flat\":2,\"base_cum\":5,\"target_flat\":0,"
	                 "\"target_cum\":0,\"status\":\"gone\",\"change\":null,\"p_adjusted\":null},"
	                 "{\"function\":\"pkg.inlined\",\"base_flat\":3,\"base_cum\":3,\"target_flat\":0,"
	                 "\"target_cum\":0,\"status\":\"gone\",\"change\":null,\"p_adjusted\":null}],\"count\":6,"
	                 "\"grew\":null,\"shrank\":null,\"functions_tested\":null,\"alpha\":0.01,\"max_growth_pct\":10,"
	                 "\"min_share_pct\":1}");
	buf_release(&b);
	/* Relative growth, two rows: new first, then main's x4.2. */
	in.sort = DIFF_SORT_REL;
	in.limit = 2;
	ck_assert_int_eq(write_top(&in, &b), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "{\"rows\":[{\"function\":\"pkg.delta\","));
	ck_assert_ptr_nonnull(strstr(b.data, "},{\"function\":\"main.main\","));
	ck_assert_ptr_nonnull(strstr(b.data, "\"count\":6,"));
	buf_release(&b);
	/* Without counts the gate cannot judge. */
	char summary[256];
	struct json j;
	json_init(&j, &b);
	json_obj_begin(&j);
	ck_assert_int_eq(diff_check_json(&in, &j, summary, sizeof(summary)), DIFF_NO_COUNTS);
	buf_release(&b);
	pair_close(&c);
	/* With counts: the top marks each row; main and delta grew beyond
	 * noise and 10%, beta (+41%) and alpha (+33%) are within noise. */
	pair_open(&c, NULL, true);
	in = c.in;
	ck_assert_int_eq(write_top(&in, &b), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\"target_cum\":84,\"status\":\"both\",\"change\":\"grew\",\"p_adjusted\":"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"target_cum\":24,\"status\":\"both\",\"change\":\"same\",\"p_adjusted\":"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"grew\":2,\"shrank\":0,\"functions_tested\":6,"));
	buf_release(&b);
	json_init(&j, &b);
	json_obj_begin(&j);
	ck_assert_int_eq(diff_check_json(&in, &j, summary, sizeof(summary)), 2);
	json_obj_end(&j);
	ck_assert_msg(json_is_valid(b.data, b.len), "%s", b.data);
	/* ranked by the lower bound of the amount gained: delta (+60 +- 15)
	 * before main (+64 +- 20) */
	ck_assert_str_eq(summary, "pkg.delta (new), main.main (+320%)");
	ck_assert_ptr_nonnull(strstr(b.data, "\"regressions\":[{\"function\":\"pkg.delta\",\"base_cum\":0,\"target_cum\":60,"
	                                     "\"base_count\":0,\"target_count\":60,\"share_before_pct\":0,"
	                                     "\"share_after_pct\":71.43,\"share_gained_pp\":222.22,\"growth_pct\":null,"
	                                     "\"growth_ci_pct\":[")); 
	ck_assert_ptr_nonnull(strstr(b.data, "\"within_noise\":[{\"function\":\"pkg.beta\","));
	ck_assert_ptr_nonnull(strstr(b.data, "\"code\":\"too_few_samples\""));
	buf_release(&b);
	/* Above 500% growth only delta; at a 80% share only main. */
	in.gate.max_growth_pct = 500;
	json_init(&j, &b);
	json_obj_begin(&j);
	ck_assert_int_eq(diff_check_json(&in, &j, summary, sizeof(summary)), 1);
	json_obj_end(&j);
	buf_release(&b);
	in.gate.max_growth_pct = 10;
	in.gate.min_share_pct = 80;
	json_init(&j, &b);
	json_obj_begin(&j);
	ck_assert_int_eq(diff_check_json(&in, &j, summary, sizeof(summary)), 1);
	json_obj_end(&j);
	ck_assert_str_eq(summary, "main.main (+320%)");
	buf_release(&b);
	pair_close(&c);
}
END_TEST

START_TEST(diff_views_refused)
{
	struct prof *pb = test_tree_profile();
	struct view_opts o;
	char err[256];
	struct diff_views d;
	/* No sample type of that name and unit in the target. */
	static const int64_t one = 1;
	struct prof *pt = values_profile("samples", "bytes", &one, 1);
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(diff_views_build(&d, pb, pt, &o, false, true, err, sizeof(err)), DIFF_INCOMPATIBLE);
	ck_assert_str_eq(err, "the target has no sample type samples/count; the profiles cannot be compared");
	prof_free(pt);
	/* Normalizing scales the target by base sum / target sum. */
	static const int64_t ten[] = { 9, 45 };
	pt = values_profile("samples", "count", ten, 2);
	ck_assert_int_eq(diff_views_build(&d, pb, pt, &o, true, false, err, sizeof(err)), 0);
	ck_assert(d.scale == 0.5);
	ck_assert_int_eq(d.target.total, 28); /* llround(4.5) + llround(22.5): halves away from zero */
	ck_assert(d.p0 == 0); /* shares are compared: diff_tree_json takes the totals */
	diff_views_release(&d);
	prof_free(pt);
	prof_free(pb);
	view_opts_release(&o);
	/* A target summing to almost nothing scales a huge base past 2^63:
	 * refused, not wrapped. */
	static const int64_t huge = 4000000000000000000LL, tiny[] = { 1000, -999 };
	pb = values_profile("samples", "count", &huge, 1);
	pt = values_profile("samples", "count", tiny, 2);
	test_view_opts(&o, 0, NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(diff_views_build(&d, pb, pt, &o, false, false, err, sizeof(err)), 0);
	diff_views_release(&d);
	ck_assert_int_eq(diff_views_build(&d, pb, pt, &o, true, false, err, sizeof(err)), VIEW_OVERFLOW);
	ck_assert_msg(strstr(err, "overflow 64 bits") != NULL, "%s", err);
	ck_assert_ptr_null(d.base.t.parent); /* released */
	prof_free(pt);
	prof_free(pb);
	view_opts_release(&o);
}
END_TEST

/* ---- allocation failures ---------------------------------------------------- */

enum { FA_BUILD, FA_TREE, FA_TOP, FA_CHECK };

struct fa_diff {
	struct pair p;      /* its views serve the writers */
	struct pair fresh;  /* the same profiles again for FA_BUILD, which frees their shared trees */
	int what;
};

static int op_diff(void *arg, struct buf *out)
{
	struct fa_diff *c = arg;
	struct diff_in in = c->p.in;
	in.max_nodes = 6;
	in.limit = 4;
	switch (c->what) {
	case FA_BUILD: {
		/* Forget the shared trees, so they are built under the hook too. */
		struct pair *f = &c->fresh;
		prof_ntree_free(f->pb->ntree);
		prof_ntree_free(f->pt->ntree);
		f->pb->ntree = f->pt->ntree = NULL;
		struct diff_views d;
		char err[256];
		int rc = diff_views_build(&d, f->pb, f->pt, &f->o, true, true, err, sizeof(err));
		if (rc != 0)
			return rc;
		diff_views_in(&d, &in);
		rc = write_tree(&in, out);
		diff_views_release(&d);
		return rc;
	}
	case FA_TREE:
		return write_tree(&in, out);
	case FA_TOP:
		return write_top(&in, out);
	default:
		return write_obj(check_10_1, &in, out);
	}
}

START_TEST(diff_failalloc)
{
	static const char *const names[] = { "diff_views_build", "diff tree", "diff top", "diff check" };
	struct fa_diff c;
	/* with a filter that hides frames, the views have private trees */
	pair_open(&c.p, _i ? "beta" : NULL, true);
	pair_open(&c.fresh, _i ? "beta" : NULL, false);
	for (c.what = FA_BUILD; c.what <= FA_CHECK; c.what++) {
		char what[64];
		snprintf(what, sizeof(what), "%s, hide %d", names[c.what], _i);
		failalloc_check(what, op_diff, &c);
	}
	pair_close(&c.p);
	pair_close(&c.fresh);
}
END_TEST

Suite *diff_suite(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");
	tcase_add_test(tc, diff_tree);
	tcase_add_test(tc, diff_top_and_check);
	tcase_add_test(tc, diff_views_refused);
	tcase_add_loop_test(tc, diff_failalloc, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
