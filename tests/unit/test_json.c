/*
 * test_json.c: the JSON writer (json.h): escaping and the writer.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "jsoncheck.h"
#include "tests.h"

/* json_escape(s, n) must give exactly want (a NUL-free C string). */
static void check_escape(const char *s, size_t n, const char *want)
{
	struct buf b = BUF_INIT;
	json_escape(&b, s, n);
	ck_assert_msg(!b.oom, "buffer oom");
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_str_eq(b.data, want);
	ck_assert_msg(json_is_valid(b.data, b.len), "escape output is not valid JSON: %s", b.data);
	buf_release(&b);
}

#define ESC(lit, want) check_escape(lit, sizeof(lit) - 1, want)

/* ---- escaping ----------------------------------------------------------- */

START_TEST(escape_plain)
{
	ESC("", "\"\"");
	ESC("main.main", "\"main.main\"");
	ESC("a b/c", "\"a b/c\"");
}
END_TEST

START_TEST(escape_quote_backslash)
{
	ESC("a\"b", "\"a\\\"b\"");
	ESC("a\\b", "\"a\\\\b\"");
	ESC("\"\\\"", "\"\\\"\\\\\\\"\"");
	ESC("C:\\path\\", "\"C:\\\\path\\\\\"");
}
END_TEST

START_TEST(escape_control)
{
	ESC("\n\r\t", "\"\\n\\r\\t\"");
	ESC("\x01", "\"\\u0001\"");
	ESC("\x1f", "\"\\u001f\"");
	ESC("\b\f", "\"\\u0008\\u000c\"");
	ESC("\x7f", "\"\\u007f\"");
	ESC("x\x00y", "\"x\\u0000y\""); /* embedded NUL, length-delimited */
	/* Every control byte gives valid JSON with no raw control left. */
	for (int c = 0; c < 0x20; c++) {
		char in[3] = { 'a', (char)c, 'b' };
		struct buf b = BUF_INIT;
		json_escape(&b, in, 3);
		ck_assert(json_is_valid(b.data, b.len));
		for (size_t i = 0; i < b.len; i++)
			ck_assert_msg((unsigned char)b.data[i] >= 0x20, "raw control byte %d in output", c);
		buf_release(&b);
	}
}
END_TEST

START_TEST(escape_html)
{
	ESC("<script>", "\"\\u003cscript\\u003e\"");
	ESC("a&b", "\"a\\u0026b\"");
	ESC("</script><!--", "\"\\u003c/script\\u003e\\u003c!--\"");
}
END_TEST

START_TEST(escape_invalid_utf8)
{
	/* Each byte that is not part of a valid sequence becomes U+FFFD. */
	ESC("\xff", "\"\xef\xbf\xbd\"");
	ESC("a\xfe" "b", "\"a\xef\xbf\xbd" "b\"");
	ESC("\x80", "\"\xef\xbf\xbd\"");                       /* lone continuation */
	ESC("\xc0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\"");       /* overlong NUL */
	ESC("\xc1\xbf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");       /* overlong */
	ESC("\xe0\x80\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* overlong 3-byte */
	ESC("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate D800 */
	ESC("\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* > U+10FFFF */
	ESC("\xf5", "\"\xef\xbf\xbd\"");
	/* Truncated sequences at the end of the input. */
	ESC("ok\xe2\x82", "\"ok\xef\xbf\xbd\xef\xbf\xbd\"");
	ESC("\xf0\x9f\x98", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* A valid sequence right after an invalid byte survives. */
	ESC("\xff\xc3\xa9", "\"\xef\xbf\xbd\xc3\xa9\"");
	/* Lead byte followed by ASCII: the ASCII is kept (and escaped). */
	ESC("\xc3<", "\"\xef\xbf\xbd\\u003c\"");
}
END_TEST

START_TEST(escape_valid_utf8)
{
	ESC("caf\xc3\xa9", "\"caf\xc3\xa9\"");                 /* U+00E9 */
	ESC("\xe2\x82\xac", "\"\xe2\x82\xac\"");               /* U+20AC */
	ESC("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");       /* U+1F600 */
	ESC("\xce\xbcs", "\"\xce\xbcs\"");                     /* "us" with mu */
	ESC("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");               /* U+FFFD itself */
	ESC("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");       /* U+10FFFF */
	ESC("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");               /* U+D7FF */
	ESC("\xee\x80\x80", "\"\xee\x80\x80\"");               /* U+E000 */
	ESC("\xdf\xbf", "\"\xdf\xbf\"");                       /* U+07FF */
	ESC("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");               /* U+0800 */
}
END_TEST

START_TEST(escape_every_byte_valid)
{
	/* All 256 single bytes and a sweep of pairs always give valid JSON. */
	for (int a = 0; a < 256; a++) {
		for (int c = 0; c < 256; c += 17) {
			char in[2] = { (char)a, (char)c };
			struct buf b = BUF_INIT;
			json_escape(&b, in, 2);
			ck_assert_msg(json_is_valid(b.data, b.len), "bytes %02x %02x", a, c);
			buf_release(&b);
		}
	}
}
END_TEST

/* ---- writer ------------------------------------------------------------- */

START_TEST(writer_nested)
{
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_obj_begin(&j);
	json_key(&j, "a");
	json_int(&j, 1);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_int(&j, 1);
	json_int(&j, 2);
	json_obj_begin(&j);
	json_key(&j, "c");
	json_null(&j);
	json_key(&j, "d");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_str(&j, "s");
	json_arr_end(&j);
	json_key(&j, "e");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_key(&j, "f");
	json_bool(&j, true);
	json_key(&j, "g");
	json_bool(&j, false);
	json_key(&j, "h");
	json_raw(&j, "{\"x\":[1]}");
	json_key(&j, "i\"<");
	json_strn(&j, "ab", 1);
	json_obj_end(&j);
	ck_assert_str_eq(b.data, "{\"a\":1,\"b\":[1,2,{\"c\":null,\"d\":[]},[[]],\"s\"],\"e\":{},"
	                         "\"f\":true,\"g\":false,\"h\":{\"x\":[1]},\"i\\\"\\u003c\":\"a\"}");
	ck_assert(json_is_valid(b.data, b.len));
	buf_release(&b);
}
END_TEST

START_TEST(writer_top_level_array)
{
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_arr_begin(&j);
	for (int i = 0; i < 3; i++) {
		json_obj_begin(&j);
		json_key(&j, "i");
		json_int(&j, i);
		json_key(&j, "l");
		json_arr_begin(&j);
		for (int k = 0; k < i; k++)
			json_int(&j, k);
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	ck_assert_str_eq(b.data, "[{\"i\":0,\"l\":[]},{\"i\":1,\"l\":[0]},{\"i\":2,\"l\":[0,1]}]");
	buf_release(&b);
}
END_TEST

START_TEST(writer_numbers)
{
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_arr_begin(&j);
	json_int(&j, INT64_MIN);
	json_int(&j, INT64_MAX);
	json_int(&j, 0);
	json_int(&j, -1);
	json_uint(&j, UINT64_MAX);
	json_uint(&j, 0);
	json_double(&j, 0.5);
	json_double(&j, -2.0);
	json_double(&j, NAN);
	json_double(&j, INFINITY);
	json_double(&j, -INFINITY);
	json_arr_end(&j);
	ck_assert_str_eq(b.data, "[-9223372036854775808,9223372036854775807,0,-1,"
	                         "18446744073709551615,0,0.5,-2,null,null,null]");
	ck_assert(json_is_valid(b.data, b.len));
	buf_release(&b);
}
END_TEST

START_TEST(writer_double_roundtrip)
{
	static const double vals[] = { 0.1, 1.0 / 3.0, 1e300, -1e-300, 123456789.125, 5e-324 };
	for (size_t i = 0; i < ARRLEN(vals); i++) {
		struct buf b = BUF_INIT;
		struct json j;
		json_init(&j, &b);
		json_double(&j, vals[i]);
		ck_assert(json_is_valid(b.data, b.len));
		ck_assert_msg(strtod(b.data, NULL) == vals[i], "%s != %.17g", b.data, vals[i]);
		buf_release(&b);
	}
}
END_TEST

START_TEST(writer_pct)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 503.03030000000001, "503.0303" }, { 100.0 * 166 / 33, "503.0303" }, { 15, "15" }, { 0.5, "0.5" },
		{ 1.0 / 3.0, "0.3333" }, { 2.0 / 3.0, "0.6667" }, { 1e-7, "0" }, { -1e-7, "0" }, { -12.5, "-12.5" },
		{ 0, "0" }, { 1e300, NULL }, { INFINITY, "null" }, { NAN, "null" },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		struct buf b = BUF_INIT;
		struct json j;
		json_init(&j, &b);
		json_pct(&j, cases[i].v);
		ck_assert(json_is_valid(b.data, b.len));
		if (cases[i].want)
			ck_assert_str_eq(b.data, cases[i].want);
		else
			ck_assert(strtod(b.data, NULL) == cases[i].v && !strchr(b.data, '.'));
		buf_release(&b);
	}
}
END_TEST

START_TEST(writer_deep_nesting)
{
	/* Deeper than JSON_MAX_DEPTH: output must still be valid JSON with
	 * commas exactly where values are siblings. */
	enum { D = JSON_MAX_DEPTH + 8 };
	struct buf b = BUF_INIT, want = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	for (int i = 0; i < D; i++) {
		json_arr_begin(&j);
		json_int(&j, i);
		buf_printf(&want, "[%d,", i);
	}
	for (int i = D; i-- > 0;) {
		json_int(&j, 100 + i);
		json_arr_end(&j);
		buf_printf(&want, "%d]", 100 + i);
		if (i)
			buf_addc(&want, ',');
	}
	/* want: [0,[1,[2,...,102],101],100] */
	ck_assert_str_eq(b.data, want.data);
	ck_assert(json_is_valid(b.data, b.len));
	buf_release(&b);
	buf_release(&want);
}
END_TEST

Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("escape");
	tcase_add_test(tc, escape_plain);
	tcase_add_test(tc, escape_quote_backslash);
	tcase_add_test(tc, escape_control);
	tcase_add_test(tc, escape_html);
	tcase_add_test(tc, escape_invalid_utf8);
	tcase_add_test(tc, escape_valid_utf8);
	tcase_add_test(tc, escape_every_byte_valid);
	suite_add_tcase(s, tc);
	tc = tcase_create("writer");
	tcase_add_test(tc, writer_nested);
	tcase_add_test(tc, writer_top_level_array);
	tcase_add_test(tc, writer_numbers);
	tcase_add_test(tc, writer_double_roundtrip);
	tcase_add_test(tc, writer_pct);
	tcase_add_test(tc, writer_deep_nesting);
	suite_add_tcase(s, tc);
	return s;
}
