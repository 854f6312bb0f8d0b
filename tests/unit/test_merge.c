/*
 * test_merge.c: many profiles folded into one (merge.h), and the merged
 * model written back as profile.proto (profwrite.h).
 *
 * The properties checked: the top of a merge is, per function, the sum of
 * the tops of its sources (flat and cum, every sample type); identical
 * stacks with identical labels fold into one sample; profiles of other
 * sample or period types are refused with a message naming both; the
 * header follows pprof's combineHeaders; a written merge decodes to the
 * same views; and every allocation failure on the way unwinds cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "decode.h"
#include "merge.h"
#include "profwrite.h"
#include "tests.h"
#include "view.h"

/* flat/cum of the function named name in view of p under type t; 0/0
 * when absent. */
static void fc(const struct prof *p, int t, const char *name, int64_t *flat, int64_t *cum)
{
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	o.type = t;
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0);
	uint32_t n = 0;
	struct top_row *rows = view_top(&v, &n);
	ck_assert_ptr_nonnull(rows);
	*flat = *cum = 0;
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(prof_str(p, rows[i].key), name)) {
			*flat = rows[i].flat;
			*cum = rows[i].cum;
		}
	free(rows);
	view_release(&v);
}

static struct prof *merged(const struct prof *const *srcs, int n)
{
	struct merge *m = merge_new();
	ck_assert_ptr_nonnull(m);
	char err[256];
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(merge_add(m, srcs[i], err, sizeof(err)), 0);
	struct prof *p = merge_finish(m);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* A second profile sharing functions with test_tree_profile (same names
 * and files) and adding one. */
static struct prof *other_profile(int64_t time_nanos, int64_t period)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_sample_type(&w, "cpu", "nanoseconds");
	pbw_period_type(&w, "cpu", "nanoseconds");
	pbw_scalar(&w, 12, (uint64_t)period);
	pbw_scalar(&w, 9, (uint64_t)time_nanos);
	pbw_scalar(&w, 10, 1000);
	pbw_mapping(&w, 1, "/bin/app");
	pbw_function(&w, 1, "main.main", "/src/main.go");
	pbw_function(&w, 2, "pkg.alpha", "/src/pkg/a.go");
	pbw_function(&w, 3, "pkg.omega", "/src/pkg/o.go");
	for (uint64_t id = 1; id <= 3; id++) {
		int64_t line = (int64_t)id;
		pbw_location(&w, id, 1, 1, &id, &line);
	}
	static const uint64_t s1[] = { 3, 2, 1 }, s2[] = { 2, 1 };
	static const struct pbw_label lab[] = { { "req", "x", 0, NULL } };
	int64_t v[2] = { 7, 7000 };
	pbw_sample(&w, 3, s1, 2, v, 0, NULL);
	v[0] = 5, v[1] = 5000;
	pbw_sample(&w, 2, s2, 2, v, 1, lab);
	return test_decode(&w, true);
}

static const char *const names[] = { "main.main", "pkg.alpha", "pkg.beta", "pkg.gamma", "pkg.omega", "pkg.delta" };

START_TEST(top_of_merge_is_sum_of_tops)
{
	struct prof *a = test_tree_profile(), *b = other_profile(5, 10);
	const struct prof *srcs[] = { a, b, a };
	struct prof *m = merged(srcs, 3);
	ck_assert_uint_eq(m->n_types, a->n_types);
	for (int t = 0; t < (int)m->n_types; t++) {
		for (size_t k = 0; k < ARRLEN(names); k++) {
			int64_t fa, ca, fb, cb, fm, cm;
			fc(a, t, names[k], &fa, &ca);
			fc(b, t, names[k], &fb, &cb);
			fc(m, t, names[k], &fm, &cm);
			ck_assert_msg(fm == 2 * fa + fb && cm == 2 * ca + cb, "%s type %d: merged %lld/%lld, sources %lld/%lld and %lld/%lld",
			              names[k], t, (long long)fm, (long long)cm, (long long)fa, (long long)ca, (long long)fb,
			              (long long)cb);
		}
	}
	/* a folded with itself: the same samples, values doubled */
	const struct prof *twice[] = { a, a };
	struct prof *aa = merged(twice, 2);
	ck_assert_uint_eq(aa->n_samples, a->n_samples);
	for (size_t i = 0; i < (size_t)a->n_samples * a->n_types; i++)
		ck_assert_int_eq(aa->values[i], 2 * a->values[i]);
	prof_free(aa);
	prof_free(m);
	prof_free(a);
	prof_free(b);
}
END_TEST

START_TEST(header_as_pprof_combines_it)
{
	struct prof *a = other_profile(300, 10), *b = other_profile(100, 40), *c = other_profile(0, 20);
	const struct prof *srcs[] = { a, b, c };
	struct prof *m = merged(srcs, 3);
	ck_assert_int_eq(m->period, 40);            /* the largest */
	ck_assert_int_eq(m->time_nanos, 0);         /* pprof: earliest, a zero wins when it comes last */
	ck_assert_int_eq(m->duration_nanos, 3000);  /* the sum */
	ck_assert_str_eq(prof_str(m, m->period_type), "cpu");
	prof_free(m);
	const struct prof *two[] = { a, b };
	m = merged(two, 2);
	ck_assert_int_eq(m->time_nanos, 100);
	prof_free(m);
	prof_free(a);
	prof_free(b);
	prof_free(c);
}
END_TEST

START_TEST(incompatible_types_refused)
{
	struct prof *a = test_tree_profile();
	static const int64_t vals[] = { 3 };
	struct prof *h = test_flat_profile("inuse_space", "bytes", vals, 1, NULL, 0);
	struct merge *m = merge_new();
	char err[256] = "";
	ck_assert_int_eq(merge_add(m, a, err, sizeof(err)), 0);
	ck_assert_int_eq(merge_add(m, h, err, sizeof(err)), MERGE_INCOMPATIBLE);
	/* pprof compares the period type first (test_flat_profile has none) */
	ck_assert_msg(strstr(err, "incompatible period types cpu/nanoseconds and /"), "%s", err);
	merge_free(m);
	prof_free(a);
	prof_free(h);
}
END_TEST

START_TEST(written_merge_decodes_to_the_same_views)
{
	struct prof *a = test_tree_profile(), *b = other_profile(5, 10);
	const struct prof *srcs[] = { a, b };
	struct prof *m = merged(srcs, 2);
	struct profwrite_opts o = { 0 };
	uint8_t *gz = NULL;
	size_t len = 0;
	ck_assert_int_eq(profwrite_gz(m, &o, &gz, &len), 0);
	ck_assert_uint_gt(len, 20);
	ck_assert_uint_eq(gz[0], 0x1f);
	struct prof *back = expect_decoded(gz, len);
	for (int t = 0; t < (int)m->n_types; t++)
		for (size_t k = 0; k < ARRLEN(names); k++) {
			int64_t f1, c1, f2, c2;
			fc(m, t, names[k], &f1, &c1);
			fc(back, t, names[k], &f2, &c2);
			ck_assert_int_eq(f1, f2);
			ck_assert_int_eq(c1, c2);
		}
	free(gz);
	prof_free(back);
	prof_free(m);
	prof_free(a);
	prof_free(b);
}
END_TEST

struct fa_ctx {
	const struct prof *a, *b;
};

static int merge_and_top(void *vctx, struct buf *out)
{
	struct fa_ctx *c = vctx;
	struct merge *m = merge_new();
	if (!m)
		return -1;
	char err[256];
	if (merge_add(m, c->a, err, sizeof(err)) != 0 || merge_add(m, c->b, err, sizeof(err)) != 0) {
		merge_free(m);
		return -1;
	}
	struct prof *p = merge_finish(m);
	if (!p)
		return -1;
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	o.type = 1;
	struct view v;
	int rc = view_build(p, &o, false, &v);
	if (rc == 0) {
		struct json j;
		json_init(&j, out);
		json_obj_begin(&j);
		rc = view_top_json(&v, false, 0, &j);
		json_obj_end(&j);
		view_release(&v);
		if (out->oom)
			rc = -1;
	}
	uint8_t *gz = NULL;
	size_t len = 0;
	struct profwrite_opts po = { 0 };
	if (rc == 0 && profwrite_gz(p, &po, &gz, &len) < 0)
		rc = -1;
	free(gz);
	prof_free(p);
	return rc;
}

START_TEST(allocation_failures_unwind)
{
	struct fa_ctx c = { test_tree_profile(), other_profile(5, 10) };
	failalloc_check("merge+top+write", merge_and_top, &c);
	prof_free((struct prof *)c.a);
	prof_free((struct prof *)c.b);
}
END_TEST

Suite *merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("merge");
	tcase_add_test(tc, top_of_merge_is_sum_of_tops);
	tcase_add_test(tc, header_as_pprof_combines_it);
	tcase_add_test(tc, incompatible_types_refused);
	tcase_add_test(tc, written_merge_decodes_to_the_same_views);
	tcase_add_test(tc, allocation_failures_unwind);
	suite_add_tcase(s, tc);
	return s;
}
