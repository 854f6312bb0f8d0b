/*
 * test_regex.c: the regexes of the view filters (regex.h): RE2 semantics
 * where pprof relies on them, errors, and the match budget.
 */
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "tests.h"

START_TEST(rx_basic)
{
	struct rx r;
	char err[256] = "";
	ck_assert_int_eq(rx_compile(&r, "a+b", strlen("a+b"), 0, err, sizeof(err)), 0);
	ck_assert(rx_match(&r, "xaab", 4));
	ck_assert(rx_match(&r, "ab", 2));
	ck_assert(!rx_match(&r, "b", 1));
	ck_assert(!rx_match(&r, "xaab", 2)); /* length, not NUL, bounds the subject */
	/* Invalid UTF-8 in a subject must not stop a match. */
	ck_assert(rx_match(&r, "\xff\xfe" "ab", 4));
	rx_release(&r);
	/* Go's $ matches only at the very end. */
	ck_assert_int_eq(rx_compile(&r, "a$", strlen("a$"), 0, err, sizeof(err)), 0);
	ck_assert(rx_match(&r, "ba", 2));
	ck_assert(!rx_match(&r, "a\n", 2));
	rx_release(&r);
	/* Unanchored by default, as pprof's regexes. */
	ck_assert_int_eq(rx_compile(&r, "runtime\\.", strlen("runtime\\."), 0, err, sizeof(err)), 0);
	ck_assert(rx_match(&r, "x/runtime.mallocgc", 18));
	rx_release(&r);
}
END_TEST

START_TEST(rx_errors)
{
	struct rx r;
	char err[256] = "";
	ck_assert_int_eq(rx_compile(&r, "(", strlen("("), 0, err, sizeof(err)), -1);
	ck_assert_msg(err[0] != '\0', "no error message");
	ck_assert_ptr_null(r.impl);
	rx_release(&r); /* safe after a failure */
	err[0] = '\0';
	ck_assert_int_eq(rx_compile(&r, "a[", strlen("a["), 0, err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');
	err[0] = '\0';
	ck_assert_int_eq(rx_compile(&r, "*", strlen("*"), 0, err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');
	/* Longer than the cap. */
	char *big = malloc(5000);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	err[0] = '\0';
	ck_assert_int_eq(rx_compile(&r, big, strlen(big), 0, err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');
	free(big);
	/* A small error buffer is respected. */
	char tiny[8];
	memset(tiny, 'x', sizeof(tiny));
	ck_assert_int_eq(rx_compile(&r, "(", 1, 0, tiny, sizeof(tiny)), -1);
	ck_assert_ptr_nonnull(memchr(tiny, '\0', sizeof(tiny)));
}
END_TEST

START_TEST(rx_catastrophic)
{
	/* Exponential backtracking is cut by the match budget: a bounded
	 * no-match instead of a hang (the test timeout would fire). */
	struct rx r;
	char err[256];
	ck_assert_int_eq(rx_compile(&r, "^(a|a)+$", strlen("^(a|a)+$"), 0, err, sizeof(err)), 0);
	char s[64];
	memset(s, 'a', 40);
	s[40] = 'b';
	ck_assert(!rx_match(&r, s, 41));
	rx_release(&r);
}
END_TEST

Suite *regex_suite(void)
{
	Suite *s = suite_create("regex");
	TCase *tc = tcase_create("regex");
	tcase_add_test(tc, rx_basic);
	tcase_add_test(tc, rx_errors);
	tcase_add_test(tc, rx_catastrophic);
	suite_add_tcase(s, tc);
	return s;
}
