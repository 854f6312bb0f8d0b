/*
 * test_jsonrd.c: the JSON body reader (jsonrd.h), and the download name
 * of /raw (route_profiles_disposition), both fed what clients send.
 */
#include <string.h>

#include "buf.h"
#include "jsonrd.h"
#include "routes.h"
#include "tests.h"

static int read_one(const char *in, char *out, size_t cap, size_t *len)
{
	struct jsonrd r;
	jsonrd_init(&r, in, strlen(in));
	int rc = jsonrd_string(&r, out, cap, len);
	if (rc == 0 && !jsonrd_done(&r))
		return -3;
	return rc;
}

START_TEST(strings_and_escapes)
{
	char out[32];
	size_t len;
	ck_assert_int_eq(read_one(" \"plain\" ", out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, "plain");
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(read_one("\"a\\\"b\\\\c\\/d\\n\\t\"", out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, "a\"b\\c/d\n\t");
	ck_assert_int_eq(read_one("\"\\u00e9\\u20ac\\ud83d\\ude00\"", out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	ck_assert_int_eq(read_one("\"\"", out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, 0);
	/* exactly cap-1 bytes fit, one more is too long (and is not copied) */
	ck_assert_int_eq(read_one("\"abc\"", out, 4, &len), 0);
	ck_assert_int_eq(read_one("\"abcd\"", out, 4, &len), -2);
	/* broken ones */
	static const char *const bad[] = {
		"\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"\\u0000\"", "\"\\udc00\"", "\"\\ud800x\"",
		"\"tab\there\"", "'single'", "", "\"\\", "\"\\u",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(read_one(bad[i], out, sizeof(out), &len) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(structure)
{
	const char *in = "{ \"name\" : \"x\", \"labels\": {} } ";
	struct jsonrd r;
	char s[16];
	size_t len;
	jsonrd_init(&r, in, strlen(in));
	ck_assert(jsonrd_eat(&r, '{'));
	ck_assert_int_eq(jsonrd_string(&r, s, sizeof(s), &len), 0);
	ck_assert(jsonrd_eat(&r, ':'));
	ck_assert_int_eq(jsonrd_string(&r, s, sizeof(s), &len), 0);
	ck_assert(jsonrd_eat(&r, ','));
	ck_assert_int_eq(jsonrd_string(&r, s, sizeof(s), &len), 0);
	ck_assert_str_eq(s, "labels");
	ck_assert(jsonrd_eat(&r, ':'));
	ck_assert(jsonrd_eat(&r, '{'));
	ck_assert(!jsonrd_eat(&r, ','));
	ck_assert(jsonrd_eat(&r, '}'));
	ck_assert(!jsonrd_done(&r));
	ck_assert(jsonrd_eat(&r, '}'));
	ck_assert(jsonrd_done(&r));
	jsonrd_init(&r, NULL, 0);
	ck_assert(jsonrd_done(&r));
	ck_assert(!jsonrd_eat(&r, '{'));
	jsonrd_init(&r, "null", 4);
	ck_assert(jsonrd_word(&r, "null"));
	ck_assert(jsonrd_done(&r));
}
END_TEST

static void check_disp(const char *name, const char *ext, const char *want)
{
	struct buf b = BUF_INIT;
	route_profiles_disposition(name, ext, &b);
	ck_assert(!b.oom);
	ck_assert_str_eq(b.data, want);
	buf_release(&b);
}

START_TEST(download_names)
{
	check_disp("checkout cpu", ".pb.gz", "attachment; filename=\"checkout cpu.pb.gz\"; filename*=UTF-8''checkout%20cpu.pb.gz");
	/* the upload's own extension gives way to the one the bytes call for */
	check_disp("cpu.pb.gz", ".pb", "attachment; filename=\"cpu.pb\"; filename*=UTF-8''cpu.pb");
	check_disp("dump.txt", ".txt", "attachment; filename=\"dump.txt\"; filename*=UTF-8''dump.txt");
	check_disp("heap.pprof", ".pb.gz", "attachment; filename=\"heap.pb.gz\"; filename*=UTF-8''heap.pb.gz");
	/* quotes, separators and controls never reach the header as themselves */
	check_disp("a\"b/c\\d\r\ne;f", ".pb",
	           "attachment; filename=\"a_b_c_d__e_f.pb\"; filename*=UTF-8''a%22b_c_d__e%3Bf.pb");
	check_disp("caf\xc3\xa9", ".pb", "attachment; filename=\"caf__.pb\"; filename*=UTF-8''caf%C3%A9.pb");
	/* nothing left of the name */
	check_disp("", ".pb", "attachment; filename=\"profile.pb\"; filename*=UTF-8''profile.pb");
	check_disp(".pb.gz", ".pb.gz", "attachment; filename=\"profile.pb.gz\"; filename*=UTF-8''profile.pb.gz");
}
END_TEST

Suite *jsonrd_suite(void)
{
	Suite *s = suite_create("jsonrd");
	TCase *tc = tcase_create("reader");
	tcase_add_test(tc, strings_and_escapes);
	tcase_add_test(tc, structure);
	tcase_add_test(tc, download_names);
	suite_add_tcase(s, tc);
	return s;
}
