/*
 * test_measure.c: pprof's unit scaling and label printing (measure.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "filter.h"
#include "tests.h"

static void check_label(int64_t v, const char *unit, const char *want)
{
	char out[64];
	measure_label(v, unit, out, sizeof(out));
	ck_assert_msg(strcmp(out, want) == 0, "measure_label(%lld, %s) = \"%s\", want \"%s\"",
	              (long long)v, unit, out, want);
}

START_TEST(units_label)
{
	check_label(1536, "bytes", "1.50kB");
	check_label(2000000, "nanoseconds", "2ms");
	check_label(0, "bytes", "0");
	check_label(-1536, "bytes", "-1.50kB");
	check_label(512, "bytes", "512B");
	check_label(1048576, "bytes", "1MB");
	check_label(3 * 1073741824LL, "bytes", "3GB");
	check_label(1500, "nanoseconds", "1.50us");
	check_label(90000000000LL, "nanoseconds", "90s");
	check_label(7200000000000LL, "nanoseconds", "2hrs");
	check_label(1, "seconds", "1s");
	check_label(100, "ms", "100ms");
	check_label(5, "count", "5");
	check_label(7, "widgets", "7"); /* unknown unit: pprof prints the bare number */
	check_label(1, "nanoseconds", "1ns");
	check_label(INT64_MIN, "count", "-9223372036854775808");
}
END_TEST

START_TEST(units_scale)
{
	const char *u = NULL;
	double v = measure_scale(1536, "bytes", "kb", &u);
	ck_assert(fabs(v - 1.5) < 1e-12);
	ck_assert_str_eq(u, "kB");
	v = measure_scale(3, "ms", "ns", &u);
	ck_assert(fabs(v - 3e6) < 1e-6);
	ck_assert_str_eq(u, "ns");
	v = measure_scale(2, "MB", "minimum", &u);
	ck_assert(fabs(v - 2) < 1e-12);
	ck_assert_str_eq(u, "MB");
	v = measure_scale(3, "count", "count", &u);
	ck_assert(fabs(v - 3) < 1e-12);
	ck_assert_str_eq(u, "");
	v = measure_scale(-2048, "bytes", "kb", &u);
	ck_assert(fabs(v + 2) < 1e-12);
	ck_assert_str_eq(u, "kB");
}
END_TEST

Suite *measure_suite(void)
{
	Suite *s = suite_create("measure");
	TCase *tc = tcase_create("measure");
	tcase_add_test(tc, units_label);
	tcase_add_test(tc, units_scale);
	suite_add_tcase(s, tc);
	return s;
}
