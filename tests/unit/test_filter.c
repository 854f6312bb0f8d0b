/*
 * test_filter.c: parsing pprof's tag filters (filter.h). How filters
 * select samples is tested on views, in test_view.c.
 */
#include <math.h>
#include <string.h>

#include "filter.h"
#include "tests.h"

START_TEST(tagfilter_ranges)
{
	struct tagfilter t;
	char err[256] = "";
	ck_assert_int_eq(tagfilter_parse(&t, "bytes=1kb:2kb", err, sizeof(err)), 0);
	ck_assert(t.numeric);
	ck_assert_str_eq(t.key, "bytes");
	ck_assert_int_eq(t.mode, 3);
	ck_assert(fabs(t.lo - 1) < 1e-12);
	ck_assert(fabs(t.hi - 2) < 1e-12);
	ck_assert_str_eq(t.unit, "kB");
	tagfilter_release(&t);

	ck_assert_int_eq(tagfilter_parse(&t, "bytes=1kb:2mb", err, sizeof(err)), 0);
	ck_assert(t.numeric);
	ck_assert_int_eq(t.mode, 3);
	ck_assert(fabs(t.hi - 2048) < 1e-9); /* upper bound in the lower bound's unit */
	tagfilter_release(&t);

	ck_assert_int_eq(tagfilter_parse(&t, "bytes=4kb:", err, sizeof(err)), 0);
	ck_assert(t.numeric);
	ck_assert_int_eq(t.mode, 1);
	ck_assert(fabs(t.lo - 4) < 1e-12);
	tagfilter_release(&t);

	ck_assert_int_eq(tagfilter_parse(&t, "wait=:10ms", err, sizeof(err)), 0);
	ck_assert(t.numeric);
	ck_assert_str_eq(t.key, "wait");
	ck_assert_int_eq(t.mode, 2);
	ck_assert(fabs(t.hi - 10) < 1e-12);
	ck_assert_str_eq(t.unit, "ms");
	tagfilter_release(&t);

	ck_assert_int_eq(tagfilter_parse(&t, "64", err, sizeof(err)), 0);
	ck_assert(t.numeric);
	ck_assert_str_eq(t.key, "");
	ck_assert_int_eq(t.mode, 0);
	ck_assert(fabs(t.lo - 64) < 1e-12);
	tagfilter_release(&t);

	ck_assert_int_eq(tagfilter_parse(&t, "n=-5:5", err, sizeof(err)), 0);
	ck_assert(t.numeric);
	ck_assert(fabs(t.lo + 5) < 1e-12);
	ck_assert(fabs(t.hi - 5) < 1e-12);
	tagfilter_release(&t);
}
END_TEST

START_TEST(tagfilter_regexes)
{
	struct tagfilter t;
	char err[256] = "";
	/* Mixed units are not a range: the whole value is a regex. */
	ck_assert_int_eq(tagfilter_parse(&t, "bytes=1kb:2ms", err, sizeof(err)), 0);
	ck_assert(!t.numeric);
	ck_assert_int_eq(t.n_res, 1);
	tagfilter_release(&t);

	ck_assert_int_eq(tagfilter_parse(&t, "k=v,w", err, sizeof(err)), 0);
	ck_assert(!t.numeric);
	ck_assert_str_eq(t.key, "k");
	ck_assert_int_eq(t.n_res, 2);
	ck_assert(rx_match(&t.res[1], "w", 1));
	ck_assert(!rx_match(&t.res[0], "w", 1));
	tagfilter_release(&t);
	ck_assert_int_eq(t.n_res, 0);

	ck_assert_int_eq(tagfilter_parse(&t, "host:web", err, sizeof(err)), 0);
	ck_assert(!t.numeric);
	ck_assert_str_eq(t.key, "");
	ck_assert_int_eq(t.n_res, 1);
	tagfilter_release(&t);

	err[0] = '\0';
	ck_assert_int_eq(tagfilter_parse(&t, "k=(", err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');
	err[0] = '\0';
	ck_assert_int_eq(tagfilter_parse(&t, "k=a,(,b", err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');

	/* More regexes than TAG_MAX_RES. */
	char spec[256] = "k=";
	for (int i = 0; i <= TAG_MAX_RES; i++)
		strcat(spec, i ? ",a" : "a");
	err[0] = '\0';
	ck_assert_int_eq(tagfilter_parse(&t, spec, err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');

	/* A key too long for the struct. */
	char longkey[400];
	memset(longkey, 'k', 300);
	strcpy(longkey + 300, "=v");
	err[0] = '\0';
	ck_assert_int_eq(tagfilter_parse(&t, longkey, err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');
}
END_TEST

Suite *filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("filter");
	tcase_add_test(tc, tagfilter_ranges);
	tcase_add_test(tc, tagfilter_regexes);
	suite_add_tcase(s, tc);
	return s;
}
