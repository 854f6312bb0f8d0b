/*
 * test_textdump.c: goroutine text dumps and debug=1 profiles (textdump.h),
 * read with textdump_decode directly; how uploads are sniffed is tested
 * in test_ingest.c.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "prof.h"
#include "tests.h"
#include "textdump.h"

static struct prof *read_ok(const char *text, size_t n, enum textdump_format fmt)
{
	struct decode_err err;
	struct prof *p = textdump_decode((const uint8_t *)text, n, fmt, &err);
	ck_assert_msg(p != NULL, "textdump_decode failed: %d %s", err.status, err.message);
	return p;
}

/* Decoded or refused with a client error; never a crash. */
static void read_any(const uint8_t *data, size_t n, enum textdump_format fmt)
{
	struct decode_err err;
	struct prof *p = textdump_decode(data, n, fmt, &err);
	if (p)
		prof_free(p);
	else
		expect_client_error(&err, fmt == TEXTDUMP_DEBUG1 ? "as debug=1" : "as debug=2");
}

static const char dump_debug2[] =
	"goroutine 1 [running]:\n"
	"main.main()\n"
	"\t/src/main.go:10 +0x1d\n"
	"\n"
	"goroutine 7 [chan receive, 3 minutes]:\n"
	"main.worker(0xc000010000, {0x1, 0x2})\n"
	"\t/src/main.go:20 +0x2a\n"
	"main.helper(...)\n"
	"\t/src/main.go:30\n"
	"created by main.main in goroutine 1\n"
	"\t/src/main.go:12 +0x3b\n";


START_TEST(textdump_debug2)
{
	struct prof *p = read_ok(dump_debug2, sizeof(dump_debug2) - 1, TEXTDUMP_DEBUG2);
	ck_assert_int_eq(p->kind, PROF_KIND_GOROUTINE);
	ck_assert_uint_eq(p->n_types, 1);
	ck_assert_str_eq(prof_str(p, p->type_type[0]), "goroutine");
	ck_assert_int_eq(test_stack_value(p, "main.main", 0), 1);
	ck_assert_int_eq(test_stack_value(p, "main.helper;main.worker", 0), 1);
	uint32_t found = 0;
	for (uint32_t s = 0; s < p->n_samples; s++) {
		const struct prof_label *g = test_sample_label(p, s, "goid");
		ck_assert_ptr_nonnull(g);
		if (g->num != 7)
			continue;
		found++;
		const struct prof_label *st = test_sample_label(p, s, "state");
		const struct prof_label *wm = test_sample_label(p, s, "wait_minutes");
		const struct prof_label *cb = test_sample_label(p, s, "created_by");
		ck_assert_ptr_nonnull(st);
		ck_assert_str_eq(prof_str(p, st->str), "chan receive");
		ck_assert_ptr_nonnull(wm);
		ck_assert_int_eq(wm->num, 3);
		ck_assert_str_eq(prof_str(p, wm->unit), "minutes");
		ck_assert_ptr_nonnull(cb);
		ck_assert_str_eq(prof_str(p, cb->str), "main.main");
	}
	ck_assert_uint_eq(found, 1);
	prof_free(p);
}
END_TEST

START_TEST(textdump_debug1)
{
	static const char dump[] =
		"goroutine profile: total 3\n"
		"2 @ 0x1 0x2\n"
		"# labels: {\"job\":\"a\"}\n"
		"#\t0x1\tmain.worker+0x2a\t/src/main.go:20\n"
		"#\t0x2\tmain.main+0x1d\t/src/main.go:10\n"
		"\n"
		"1 @ 0x4\n"
		"#\t0x4\tmain.main+0x1d\t/src/main.go:10\n"
		"\n";
	struct prof *p = read_ok(dump, sizeof(dump) - 1, TEXTDUMP_DEBUG1);
	ck_assert_int_eq(p->kind, PROF_KIND_GOROUTINE);
	ck_assert_int_eq(test_stack_value(p, "main.main;main.worker", 0), 2);
	ck_assert_int_eq(test_stack_value(p, "main.main", 0), 1);
	bool saw = false;
	for (uint32_t s = 0; s < p->n_samples; s++) {
		const struct prof_label *l = test_sample_label(p, s, "job");
		if (l) {
			ck_assert_str_eq(prof_str(p, l->str), "a");
			ck_assert_int_eq(p->values[s], 2);
			saw = true;
		}
	}
	ck_assert(saw);
	prof_free(p);
}
END_TEST

START_TEST(textdump_odd_headers)
{
	/* Hostile headers: decoded or refused, never a crash (the sanitizer
	 * build checks memory safety), read as either format. */
	static const char *const dumps[] = {
		"goroutine 1 [a, 1 minutes, 2 minutes, 3 minutes, 4 minutes]:\nmain.main()\n\t/m.go:1\n",
		"goroutine 1 [a, 1 minutes, 2 minutes, 3 minutes]:\ncreated by x in goroutine 2\n\t/m.go:1\n",
		"goroutine 1 []:\n\n",
		"goroutine 99999999999999999999999 [x]:\nf()\n\t/f.go:99999999999999999999 +0x1\n",
		"goroutine 1 [x]:\n\t/no/function.go:1\nf(\n\t:\n",
		"goroutine profile: total 1\n99999999999999999999 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1\n"
		"99999999999999999999 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1\n",
		"goroutine profile: total 1\n1 @\n# labels: {\"a\":\"b\",\"c\"\n#\t\t\n",
	};
	for (size_t i = 0; i < ARRLEN(dumps); i++)
		for (int f = TEXTDUMP_DEBUG1; f <= TEXTDUMP_DEBUG2; f++)
			read_any((const uint8_t *)dumps[i], strlen(dumps[i]), (enum textdump_format)f);
}
END_TEST

START_TEST(textdump_no_terminator)
{
	/* The body is (data, n), not a C string: a number that ends the body
	 * must not be read past it (caught by the sanitizer build). */
	static const char *const dumps[] = {
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1",
		"goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10",
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1\n\n7",
	};
	for (size_t i = 0; i < ARRLEN(dumps); i++) {
		size_t n = strlen(dumps[i]);
		uint8_t *exact = malloc(n); /* no room for a terminator */
		memcpy(exact, dumps[i], n);
		for (int f = TEXTDUMP_DEBUG1; f <= TEXTDUMP_DEBUG2; f++)
			read_any(exact, n, (enum textdump_format)f);
		free(exact);
	}
}
END_TEST


START_TEST(textdump_crlf_and_indent)
{
	/* CRLF line ends, blank lines first, an indented header: the same
	 * profile as the plain text. */
	static const char d2[] =
		"\r\n\r\n  goroutine 1 [running]:\r\n"
		"main.main()\r\n"
		"\t/src/main.go:10 +0x1d\r\n"
		"\r\n"
		"\tgoroutine 7 [select, 2 minutes]:\r\n"
		"main.worker()\r\n"
		"\t/src/main.go:20 +0x2a\r\n";
	struct prof *p = read_ok(d2, sizeof(d2) - 1, TEXTDUMP_DEBUG2);
	ck_assert_int_eq(test_stack_value(p, "main.main", 0), 1);
	ck_assert_int_eq(test_stack_value(p, "main.worker", 0), 1);
	bool saw = false;
	for (uint32_t s = 0; s < p->n_samples; s++) {
		const struct prof_label *st = test_sample_label(p, s, "state");
		ck_assert_ptr_nonnull(st);
		if (strcmp(prof_str(p, st->str), "select") == 0) {
			const struct prof_label *wm = test_sample_label(p, s, "wait_minutes");
			ck_assert_ptr_nonnull(wm);
			ck_assert_int_eq(wm->num, 2);
			saw = true;
		}
	}
	ck_assert(saw);
	/* The file name has no stray '\r' left in it. */
	int f = test_func_named(p, "main.worker");
	ck_assert_int_ge(f, 0);
	ck_assert_str_eq(prof_str(p, p->funcs[f].file), "/src/main.go");
	prof_free(p);

	static const char d1[] =
		"\r\n \t\r\ngoroutine profile: total 3\r\n"
		"2 @ 0x1 0x2\r\n"
		"#\t0x1\tmain.worker+0x2a\t/src/main.go:20\r\n"
		"#\t0x2\tmain.main+0x1d\t/src/main.go:10\r\n"
		"\r\n"
		"1 @ 0x4\r\n"
		"#\t0x4\tmain.main+0x1d\t/src/main.go:10\r\n";
	p = read_ok(d1, sizeof(d1) - 1, TEXTDUMP_DEBUG1);
	ck_assert_int_eq(test_stack_value(p, "main.main;main.worker", 0), 2);
	ck_assert_int_eq(test_stack_value(p, "main.main", 0), 1);
	f = test_func_named(p, "main.main");
	ck_assert_int_ge(f, 0);
	ck_assert_str_eq(prof_str(p, p->funcs[f].file), "/src/main.go");
	prof_free(p);
}
END_TEST

START_TEST(textdump_header_lines)
{
	static const struct {
		const char *line;
		int fmt; /* -1: not a header */
	} cases[] = {
		{ "goroutine profile: total 3", TEXTDUMP_DEBUG1 },
		{ "  goroutine profile: total 3", TEXTDUMP_DEBUG1 },
		{ "goroutine 1 [running]:", TEXTDUMP_DEBUG2 },
		{ "\tgoroutine 18 gp=0xc000 m=nil [chan receive, 2 minutes]:", TEXTDUMP_DEBUG2 },
		{ "goroutine 1 running]:", -1 },
		{ "goroutine 1 [running:", -1 },
		{ "goroutine x [running]:", -1 },
		{ "goroutine 1", -1 },
		{ "main.main()", -1 },
		{ "", -1 },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		enum textdump_format f = TEXTDUMP_DEBUG1;
		bool is = textdump_is_header(cases[i].line, strlen(cases[i].line), &f);
		ck_assert_msg(is == (cases[i].fmt >= 0), "\"%s\": header %d", cases[i].line, is);
		if (is)
			ck_assert_msg((int)f == cases[i].fmt, "\"%s\": format %d", cases[i].line, f);
	}
}
END_TEST

START_TEST(textdump_no_goroutines)
{
	static const char text[] = "nothing to see\nhere\n";
	for (int f = TEXTDUMP_DEBUG1; f <= TEXTDUMP_DEBUG2; f++) {
		struct decode_err err;
		struct prof *p = textdump_decode((const uint8_t *)text, sizeof(text) - 1,
		                                 (enum textdump_format)f, &err);
		ck_assert_ptr_null(p);
		ck_assert_int_eq(err.status, 400);
		ck_assert_str_eq(err.code, "bad_profile");
	}
}
END_TEST

Suite *textdump_suite(void)
{
	Suite *s = suite_create("textdump");
	TCase *tc = tcase_create("textdump");
	tcase_add_test(tc, textdump_debug2);
	tcase_add_test(tc, textdump_debug1);
	tcase_add_test(tc, textdump_crlf_and_indent);
	tcase_add_test(tc, textdump_header_lines);
	tcase_add_test(tc, textdump_no_goroutines);
	tcase_add_test(tc, textdump_odd_headers);
	tcase_add_test(tc, textdump_no_terminator);
	suite_add_tcase(s, tc);
	return s;
}
