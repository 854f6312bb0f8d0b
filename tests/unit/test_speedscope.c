/*
 * test_speedscope.c: the speedscope importer (import_speedscope.h): the
 * sniffer, the limits it is given (frames, events, profiles, which the
 * API tests cannot reach with files of a sane size), values and their
 * rounding, and the JSON numbers and skips of jsonrd.h it reads with.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "import_speedscope.h"
#include "ingest.h"
#include "jsonrd.h"
#include "tests.h"

#define SCHEMA "\"$schema\":\"" IMPORT_SPEEDSCOPE_SCHEMA "\""

static struct prof *imp(const char *text, const struct import_speedscope_opts *o, struct decode_err *err)
{
	return import_speedscope((const uint8_t *)text, strlen(text), o, err);
}

static int64_t total(const struct prof *p)
{
	int64_t t = 0;
	for (uint32_t i = 0; i < p->n_samples; i++)
		t += p->values[i];
	return t;
}

START_TEST(sniff)
{
	static const char yes[] = " \n{" SCHEMA ",\"profiles\":[]}";
	ck_assert(import_speedscope_sniff((const uint8_t *)yes, strlen(yes)));
	static const char no1[] = "[\"" IMPORT_SPEEDSCOPE_SCHEMA "\"]";
	ck_assert(!import_speedscope_sniff((const uint8_t *)no1, strlen(no1)));
	static const char no2[] = "{\"traceEvents\":[]}";
	ck_assert(!import_speedscope_sniff((const uint8_t *)no2, strlen(no2)));
	const char *name;
	ck_assert_int_eq(ingest_sniff((const uint8_t *)yes, strlen(yes), &name), INGEST_SPEEDSCOPE);
	ck_assert_int_eq(ingest_sniff((const uint8_t *)no2, strlen(no2), &name), INGEST_REFUSED);
	ck_assert_str_eq(ingest_format_of((const uint8_t *)yes, strlen(yes)), "speedscope");
}
END_TEST

START_TEST(values_rounded)
{
	/* 1.5 ns -> 2, 2.5 ns -> 3 (halves away from zero), 0.4 ns -> 0 */
	static const char t[] = "{" SCHEMA ",\"shared\":{\"frames\":[{\"name\":\"a\"},{\"name\":\"b\",\"file\":\"b.c\","
	                        "\"line\":7}]},\"profiles\":[{\"type\":\"sampled\",\"unit\":\"nanoseconds\",\"samples\":"
	                        "[[0],[0,1],[1],[]],\"weights\":[1.5,2.5,0.4,1e3]}]}";
	struct decode_err err;
	struct prof *p = imp(t, NULL, &err);
	ck_assert_msg(p != NULL, "refused: %s", err.message);
	ck_assert_int_eq(total(p), 2 + 3 + 0 + 1000);
	ck_assert_str_eq(prof_str(p, p->type_type[0]), "cpu");
	ck_assert_str_eq(prof_str(p, p->type_unit[0]), "nanoseconds");
	ck_assert_int_eq(p->kind, PROF_KIND_CPU);
	prof_free(p);
	/* evented: intervals are differences of rounded times, so they add up
	 * to the rounded span; milliseconds scale by 10^6 */
	static const char e[] = "{" SCHEMA ",\"shared\":{\"frames\":[{\"name\":\"a\"}]},\"profiles\":[{\"type\":\"evented\","
	                        "\"unit\":\"milliseconds\",\"startValue\":0.0000001,\"endValue\":1,\"events\":["
	                        "{\"type\":\"O\",\"frame\":0,\"at\":0.0000001},{\"type\":\"O\",\"frame\":0,\"at\":0.0000003},"
	                        "{\"type\":\"C\",\"frame\":0,\"at\":0.0000008},{\"type\":\"C\",\"frame\":0,\"at\":0.0000011}]}]}";
	p = imp(e, NULL, &err);
	ck_assert_msg(p != NULL, "refused: %s", err.message);
	ck_assert_int_eq(total(p), 1);    /* round(0.1 ns * 10) ... (1.1 - 0.1) * 1e6 ns = 1 ns */
	ck_assert_int_eq(p->duration_nanos, 1000000);
	prof_free(p);
}
END_TEST

START_TEST(limits_given)
{
	static const char t[] = "{" SCHEMA ",\"shared\":{\"frames\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]},"
	                        "\"profiles\":[{\"type\":\"evented\",\"unit\":\"none\",\"events\":["
	                        "{\"type\":\"O\",\"frame\":0,\"at\":0},{\"type\":\"O\",\"frame\":1,\"at\":1},"
	                        "{\"type\":\"C\",\"frame\":1,\"at\":2},{\"type\":\"C\",\"frame\":0,\"at\":3}]},"
	                        "{\"type\":\"sampled\",\"unit\":\"none\",\"samples\":[[2]],\"weights\":[5]}]}";
	struct decode_err err;
	struct prof *p = imp(t, &(struct import_speedscope_opts){ .profile = IMPORT_SPEEDSCOPE_ALL }, &err);
	ck_assert_msg(p != NULL, "refused: %s", err.message);
	ck_assert_int_eq(total(p), 3 + 5);
	prof_free(p);
	p = imp(t, &(struct import_speedscope_opts){ .max_frames = 2 }, &err);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err.status, 400);
	ck_assert_ptr_nonnull(strstr(err.message, "more than 2 frames"));
	p = imp(t, &(struct import_speedscope_opts){ .max_events = 3 }, &err);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err.message, "more than 3 events"));
	p = imp(t, &(struct import_speedscope_opts){ .max_events = 4 }, &err);
	ck_assert_msg(p != NULL, "refused: %s", err.message);
	prof_free(p);
	p = imp(t, &(struct import_speedscope_opts){ .max_profiles = 1 }, &err);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err.message, "more than 1 profiles"));
	/* the second profile alone */
	p = imp(t, &(struct import_speedscope_opts){ .profile = 1 }, &err);
	ck_assert_msg(p != NULL, "refused: %s", err.message);
	ck_assert_int_eq(total(p), 5);
	prof_free(p);
}
END_TEST

START_TEST(through_ingest)
{
	static const char t[] = "{" SCHEMA ",\"shared\":{\"frames\":[{\"name\":\"a\"}]},\"profiles\":[{\"type\":\"sampled\","
	                        "\"unit\":\"bytes\",\"samples\":[[0]],\"weights\":[4096]}]}";
	struct decode_err err;
	const char *fmt = NULL;
	struct prof *p = ingest_decode_opts((const uint8_t *)t, strlen(t), MiB, NULL, &fmt, &err);
	ck_assert_msg(p != NULL, "refused: %s", err.message);
	ck_assert_str_eq(fmt, "speedscope");
	ck_assert_int_eq(p->kind, PROF_KIND_HEAP);
	ck_assert_str_eq(prof_str(p, p->type_type[0]), "space");
	prof_free(p);
	/* profile= is for speedscope files only */
	static const char folded[] = "main;a 1\n";
	struct ingest_opts o = { .speedscope_profile = 0 };
	ck_assert_ptr_null(ingest_decode_opts((const uint8_t *)folded, strlen(folded), MiB, &o, &fmt, &err));
	ck_assert_int_eq(err.status, 400);
	ck_assert_str_eq(err.code, "bad_request");
	ck_assert_str_eq(ingest_format_name(INGEST_PROTO, true), "pprof");
	ck_assert_str_eq(ingest_format_name(INGEST_PROTO, false), "pprof-uncompressed");
	ck_assert_str_eq(ingest_format_of((const uint8_t *)folded, strlen(folded)), "folded");
}
END_TEST

START_TEST(numbers_and_skips)
{
	static const struct {
		const char *in;
		int ok;
		double v;
	} nums[] = {
		{ "0", 1, 0 }, { "-0", 1, 0 }, { "12", 1, 12 }, { "1.5", 1, 1.5 }, { "-2.5e3", 1, -2500 },
		{ "1E-2", 1, 0.01 }, { "01", 0, 0 }, { "+1", 0, 0 }, { ".5", 0, 0 }, { "1.", 0, 0 },
		{ "1e", 0, 0 }, { "1e999", 0, 0 }, { "NaN", 0, 0 }, { "-", 0, 0 }, { "0x10", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		struct jsonrd r;
		jsonrd_init(&r, nums[i].in, strlen(nums[i].in));
		double v = -1;
		int rc = jsonrd_number(&r, &v);
		bool ok = rc == 0 && jsonrd_done(&r);
		ck_assert_msg(ok == (bool)nums[i].ok, "%s: %d", nums[i].in, rc);
		if (ok)
			ck_assert_msg(v == nums[i].v, "%s read as %g", nums[i].in, v);
	}
	static const char *const good[] = { "{\"a\":[1,{\"b\":null},true,false,\"x\"],\"c\":{}}", "[]", "\"s\"", "-1e5" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct jsonrd r;
		jsonrd_init(&r, good[i], strlen(good[i]));
		ck_assert_msg(jsonrd_skip(&r, 8) == 0 && jsonrd_done(&r), "%s", good[i]);
	}
	static const char *const bad[] = { "{\"a\":}", "[1,]", "{\"a\" 1}", "[1 2]", "tru", "{1:2}", "[", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jsonrd r;
		jsonrd_init(&r, bad[i], strlen(bad[i]));
		int rc = jsonrd_skip(&r, 8);
		ck_assert_msg(rc == -1 || (rc == 0 && !jsonrd_done(&r)), "%s skipped", bad[i]);
	}
	struct jsonrd r;
	jsonrd_init(&r, "[[[[1]]]]", 9);
	ck_assert_int_eq(jsonrd_skip(&r, 3), -2);
	jsonrd_init(&r, "[[[[1]]]]", 9);
	ck_assert_int_eq(jsonrd_skip(&r, 4), 0);
}
END_TEST

Suite *speedscope_suite(void)
{
	Suite *s = suite_create("speedscope");
	TCase *tc = tcase_create("import");
	tcase_add_test(tc, sniff);
	tcase_add_test(tc, values_rounded);
	tcase_add_test(tc, limits_given);
	tcase_add_test(tc, through_ingest);
	tcase_add_test(tc, numbers_and_skips);
	suite_add_tcase(s, tc);
	return s;
}
