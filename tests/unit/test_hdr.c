/*
 * test_hdr.c: the strict header checks (hdr.h), on raw header blocks and
 * on fields, and the pool's cancel (pool.h).
 */
#include <string.h>

#include "hdr.h"
#include "pool.h"
#include "tests.h"

#define MAX 1024

static struct hdr_scan scan(const char *raw)
{
	struct hdr_scan s;
	hdr_scan(raw, strlen(raw), MAX, &s);
	return s;
}

static void expect_ok(const char *raw)
{
	struct hdr_scan s = scan(raw);
	ck_assert_msg(s.result == HDR_OK, "%s: refused (%s)", raw, s.why ? s.why : "incomplete");
	ck_assert_uint_eq(s.len, (size_t)(strstr(raw, "\r\n\r\n") - raw) + 4);
}

/* raw is refused with status, for a reason that contains why. */
static void expect_bad(const char *raw, int status, const char *why)
{
	struct hdr_scan s = scan(raw);
	ck_assert_msg(s.result == HDR_BAD, "%s: not refused", raw);
	ck_assert_int_eq(s.status, status);
	ck_assert_msg(strstr(s.why, why) != NULL, "%s: why is \"%s\", want \"%s\"", raw, s.why, why);
}

START_TEST(test_valid_blocks)
{
	expect_ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	expect_ok("GET /x?y=1 HTTP/1.0\r\n\r\n");
	expect_ok("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"); /* an empty line before is ignored */
	expect_ok("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nbody bytes");
	expect_ok("POST /p HTTP/1.1\r\nhost: a\r\ntransfer-encoding: \tChunked\r\n\r\n");
	expect_ok("GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\nX-B: tab\there\r\nX-C: caf\xc3\xa9\r\n\r\n");
}
END_TEST

START_TEST(test_incomplete_blocks_wait)
{
	const char *partial[] = { "", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: a\r\n",
	                          "GET / HTTP/1.1\r\nHost: a\r\n\r" };
	for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++)
		ck_assert_msg(scan(partial[i]).result == HDR_MORE, "\"%s\" is not incomplete", partial[i]);
	/* ...until the limit: no end within MAX bytes is a 431. */
	char big[MAX + 8];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	struct hdr_scan s;
	hdr_scan(big, MAX, MAX, &s);
	ck_assert_int_eq(s.result, HDR_BAD);
	ck_assert_int_eq(s.status, 431);
	hdr_scan(big, MAX - 1, MAX, &s);
	ck_assert_int_eq(s.result, HDR_MORE);
}
END_TEST

START_TEST(test_line_endings_and_folding)
{
	expect_bad("GET / HTTP/1.1\nHost: a\n\n", 400, "bare LF");
	expect_bad("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400, "bare LF");
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "bare LF");
	expect_bad("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "bare CR");
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400, "obs-fold");
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", 400, "obs-fold");
	expect_bad("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "obs-fold");
	/* Refused as soon as the bad line is complete, before the block ends. */
	ck_assert_int_eq(scan("GET / HTTP/1.1\nHost").result, HDR_BAD);
}
END_TEST

START_TEST(test_malformed_lines)
{
	expect_bad("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "malformed header line");
	expect_bad("GET / HTTP/1.1\r\nHost\r\n\r\n", 400, "malformed header line");
	expect_bad("GET / HTTP/1.1\r\n: a\r\n\r\n", 400, "malformed header line");
	expect_bad("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400, "malformed header line");
	expect_bad("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400, "control character");
	expect_bad("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, "control character");
	static const char nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	struct hdr_scan s;
	hdr_scan(nul, sizeof(nul) - 1, MAX, &s);
	ck_assert_int_eq(s.result, HDR_BAD);
	expect_bad("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "request line");
	expect_bad("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "request line");
	expect_bad("GET /\r\n\r\n", 400, "request line");
	expect_bad("GET / HTTQ/1.1\r\n\r\n", 400, "request line");
	expect_bad("GET / HTTP/1.x\r\n\r\n", 400, "request line");
	expect_bad("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "request line");
	expect_bad("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1");
}
END_TEST

START_TEST(test_framing_rules)
{
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
	           "more than one Content-Length");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\n", 400,
	           "more than one Content-Length");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", 400, "not a decimal");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, "not a decimal");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400,
	           "not a decimal");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400, "not a decimal");
	/* Trailing whitespace: libmicrohttpd would not parse these either. */
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 \r\n\r\n", 400, "not a decimal");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\n\r\n", 400, "other than chunked");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
	           "both Content-Length and Transfer-Encoding");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	           400, "more than one Transfer-Encoding");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400,
	           "other than chunked");
	expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400, "other than chunked");
	expect_bad("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0");
	expect_bad("GET / HTTP/1.1\r\n\r\n", 400, "without a Host");
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host");
}
END_TEST

START_TEST(test_framing_on_fields)
{
	/* What http.c runs on the fields libmicrohttpd parsed. */
	struct hdr_framing f = HDR_FRAMING_INIT;
	f.http_minor = hdr_http_minor("HTTP/1.1");
	ck_assert_int_eq(f.http_minor, 1);
	ck_assert_ptr_nonnull(hdr_framing_verdict(&f)); /* no Host */
	hdr_framing_add(&f, "host", 4, "x", 1);
	ck_assert_ptr_null(hdr_framing_verdict(&f));
	hdr_framing_add(&f, "Content-Length", 14, "12", 2);
	ck_assert_ptr_null(hdr_framing_verdict(&f));
	hdr_framing_add(&f, "CONTENT-LENGTH", 14, "12", 2);
	ck_assert_str_eq(hdr_framing_verdict(&f), "more than one Content-Length header");
	ck_assert_int_eq(hdr_http_minor("HTTP/1.0"), 0);
	ck_assert_int_eq(hdr_http_minor("HTTP/1.10"), 0);
	ck_assert_int_eq(hdr_http_minor("HTTP/2.0"), 0);
	struct hdr_framing g = HDR_FRAMING_INIT; /* HTTP/1.0: Host optional */
	ck_assert_ptr_null(hdr_framing_verdict(&g));
}
END_TEST

static int runs;
static void count_run(struct pool_job *job)
{
	(void)job;
	__atomic_add_fetch(&runs, 1, __ATOMIC_SEQ_CST);
}

START_TEST(test_pool_cancel)
{
	/* Before the workers start nothing runs, so queued jobs can be taken
	 * out; the others run once each. */
	struct pool_job jobs[4];
	for (int i = 0; i < 4; i++) {
		jobs[i].run = count_run;
		pool_submit(&jobs[i]);
	}
	ck_assert_uint_eq(pool_busy(), 4);
	ck_assert(pool_cancel(&jobs[1]));
	ck_assert(pool_cancel(&jobs[3]));
	ck_assert(!pool_cancel(&jobs[3]));
	ck_assert_uint_eq(pool_busy(), 2);
	ck_assert_int_eq(pool_start(2), 0);
	ck_assert(pool_wait_idle(1e18));
	ck_assert_int_eq(__atomic_load_n(&runs, __ATOMIC_SEQ_CST), 2);
	ck_assert(!pool_cancel(&jobs[0])); /* ran */
	pool_stop();
}
END_TEST

Suite *hdr_suite(void)
{
	Suite *s = suite_create("hdr");
	TCase *tc = tcase_create("hdr");
	tcase_add_test(tc, test_valid_blocks);
	tcase_add_test(tc, test_incomplete_blocks_wait);
	tcase_add_test(tc, test_line_endings_and_folding);
	tcase_add_test(tc, test_malformed_lines);
	tcase_add_test(tc, test_framing_rules);
	tcase_add_test(tc, test_framing_on_fields);
	tcase_add_test(tc, test_pool_cancel);
	suite_add_tcase(s, tc);
	return s;
}
