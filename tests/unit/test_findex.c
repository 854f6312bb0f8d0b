/*
 * test_findex.c: the function index rows of a profile (findex.h) and the
 * timeline metric (timeline.h).
 *
 * The profile is made by hand: a recursive stack (main.main -> pkg.rec ->
 * pkg.rec -> pkg.leaf) whose cum counts pkg.rec once, as pprof -top does,
 * a second stack, two sample types, one negative value, and a function
 * that carries weight in one type only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findex.h"
#include "prof.h"
#include "tests.h"
#include "timeline.h"

static struct prof *rec_profile(void)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_sample_type(&w, "cpu", "nanoseconds");
	pbw_period_type(&w, "cpu", "nanoseconds");
	pbw_mapping(&w, 1, "/bin/app");
	pbw_function(&w, 1, "main.main", "/src/main.go");
	pbw_function(&w, 2, "pkg.rec", "/src/rec.go");
	pbw_function(&w, 3, "pkg.leaf", "/src/leaf.go");
	pbw_function(&w, 4, "pkg.zero", "/src/zero.go");
	for (uint64_t id = 1; id <= 4; id++) {
		int64_t line = (int64_t)id * 10;
		pbw_location(&w, id, 1, 1, &id, &line);
	}
	const uint64_t s1[] = { 3, 2, 2, 1 };   /* leaf first */
	const int64_t v1[] = { 3, 30 };
	pbw_sample(&w, 4, s1, 2, v1, 0, NULL);
	const uint64_t s2[] = { 2, 1 };
	const int64_t v2[] = { 2, -5 };
	pbw_sample(&w, 2, s2, 2, v2, 0, NULL);
	const uint64_t s3[] = { 4, 1 };
	const int64_t v3[] = { 0, 7 };
	pbw_sample(&w, 2, s3, 2, v3, 0, NULL);
	return test_decode(&w, true);
}

static const uint8_t *row_of(const struct findex *fx, const char *name, size_t *len)
{
	for (size_t i = 0; i < fx->rows.n; i++)
		if (!strcmp(fx->rows.names[i], name)) {
			*len = fx->rows.off[i + 1] - fx->rows.off[i];
			return fx->rows.vals + fx->rows.off[i];
		}
	return NULL;
}

static void expect_fc(const struct findex *fx, const char *name, uint32_t t, int64_t flat, int64_t cum)
{
	size_t len = 0;
	const uint8_t *v = row_of(fx, name, &len);
	ck_assert_msg(v != NULL, "%s has no row", name);
	int64_t f, c;
	ck_assert_int_eq(findex_vals_get(v, len, t, &f, &c), 0);
	ck_assert_msg(f == flat && c == cum, "%s type %u: flat %lld cum %lld, want %lld %lld", name, t,
	              (long long)f, (long long)c, (long long)flat, (long long)cum);
}

START_TEST(rows_as_pprof_top)
{
	struct prof *p = rec_profile();
	struct findex fx;
	ck_assert_int_eq(findex_build(p, &fx), 0);
	ck_assert_uint_eq(fx.rows.n_types, 2);
	ck_assert_str_eq(fx.rows.types, "samples\ncpu");
	ck_assert_uint_eq(fx.rows.def_type, p->default_type);
	/* pprof's total: sum of |value| */
	ck_assert_int_eq(fx.rows.totals[0], 5);
	ck_assert_int_eq(fx.rows.totals[1], 42);
	ck_assert_uint_eq(fx.rows.n, 4);
	expect_fc(&fx, "main.main", 0, 0, 5);
	expect_fc(&fx, "main.main", 1, 0, 32);
	/* recursion: pkg.rec's cum counts the sample once */
	expect_fc(&fx, "pkg.rec", 0, 2, 5);
	expect_fc(&fx, "pkg.rec", 1, -5, 25);
	expect_fc(&fx, "pkg.leaf", 0, 3, 3);
	expect_fc(&fx, "pkg.leaf", 1, 30, 30);
	/* weight in one type only: a row, with zeros in the other */
	expect_fc(&fx, "pkg.zero", 0, 0, 0);
	expect_fc(&fx, "pkg.zero", 1, 7, 7);
	/* no type 2; a cut row is malformed */
	size_t len;
	const uint8_t *v = row_of(&fx, "pkg.rec", &len);
	int64_t f, c;
	ck_assert_int_eq(findex_vals_get(v, len, 2, &f, &c), -1);
	ck_assert_int_eq(findex_vals_get(v, len - 1, 1, &f, &c), -1);
	findex_release(&fx);
	findex_release(&fx);   /* safe on a released one */
	prof_free(p);
}
END_TEST

START_TEST(timeline_metrics)
{
	struct store_fx_profile pr = { .indexed = 1, .n_types = 2, .def_type = 1, .duration_ns = 2000 };
	snprintf(pr.kind, sizeof(pr.kind), "cpu");
	snprintf(pr.types, sizeof(pr.types), "samples\ncpu");
	pr.totals[0] = 10;
	pr.totals[1] = 3000;
	double v;
	bool ok;
	ck_assert_str_eq(timeline_metric(&pr, &v, &ok), "cores");
	ck_assert(ok);
	ck_assert(v == 1.5);
	pr.duration_ns = 0;   /* no duration: no cores */
	timeline_metric(&pr, &v, &ok);
	ck_assert(!ok);
	snprintf(pr.kind, sizeof(pr.kind), "goroutine");
	snprintf(pr.types, sizeof(pr.types), "goroutine");
	pr.n_types = 1;
	pr.def_type = 0;
	ck_assert_str_eq(timeline_metric(&pr, &v, &ok), "goroutines");
	ck_assert(ok && v == 10);
	snprintf(pr.kind, sizeof(pr.kind), "heap");   /* a heap profile without inuse_space */
	ck_assert_str_eq(timeline_metric(&pr, &v, &ok), "inuse_bytes");
	ck_assert(!ok);
	pr.indexed = 0;
	snprintf(pr.kind, sizeof(pr.kind), "goroutine");
	timeline_metric(&pr, &v, &ok);
	ck_assert(!ok);
}
END_TEST

Suite *findex_suite(void)
{
	Suite *s = suite_create("findex");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rows_as_pprof_top);
	tcase_add_test(tc, timeline_metrics);
	suite_add_tcase(s, tc);
	return s;
}
