/*
 * test_respcache.c: kept response bodies (respcache.h): a hit copies the
 * body, a put under a present key replaces it, the byte bound evicts the
 * least recently used first, a body over the entry bound is not kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "respcache.h"
#include "tests.h"

static bool get_str(struct respcache *c, const char *key, char *out, size_t cap)
{
	struct buf b = BUF_INIT;
	bool hit = respcache_get(c, key, &b);
	snprintf(out, cap, "%.*s", (int)b.len, b.data ? b.data : "");
	buf_release(&b);
	return hit;
}

START_TEST(respcache_hit_miss_replace)
{
	struct respcache *c = respcache_new(1 << 20, 1 << 16);
	ck_assert_ptr_nonnull(c);
	char got[64];
	ck_assert(!get_str(c, "a", got, sizeof(got)));
	respcache_put(c, "a", "alpha", 5);
	respcache_put(c, "ab", "beta", 4);
	ck_assert(get_str(c, "a", got, sizeof(got)));
	ck_assert_str_eq(got, "alpha");
	ck_assert(get_str(c, "ab", got, sizeof(got)));
	ck_assert_str_eq(got, "beta");
	respcache_put(c, "a", "gamma!", 6);
	ck_assert(get_str(c, "a", got, sizeof(got)));
	ck_assert_str_eq(got, "gamma!");
	struct respcache_stats st;
	respcache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_eq(st.hits, 3);
	ck_assert_uint_eq(st.misses, 1);
	/* a hit appends to what the buffer holds */
	struct buf b = BUF_INIT;
	buf_adds(&b, "x");
	ck_assert(respcache_get(c, "ab", &b));
	ck_assert_uint_eq(b.len, 5);
	ck_assert(!memcmp(b.data, "xbeta", 5));
	buf_release(&b);
	respcache_free(c);
}
END_TEST

START_TEST(respcache_bounds)
{
	/* room for about three 1000-byte bodies */
	struct respcache *c = respcache_new(3500, 2000);
	ck_assert_ptr_nonnull(c);
	char body[1000];
	memset(body, 'q', sizeof(body));
	respcache_put(c, "k1", body, sizeof(body));
	respcache_put(c, "k2", body, sizeof(body));
	respcache_put(c, "k3", body, sizeof(body));
	char got[8];
	ck_assert(get_str(c, "k1", got, sizeof(got))); /* k1 is now the most recent: k2 goes first */
	respcache_put(c, "k4", body, sizeof(body));
	ck_assert(!get_str(c, "k2", got, sizeof(got)));
	ck_assert(get_str(c, "k1", got, sizeof(got)));
	ck_assert(get_str(c, "k3", got, sizeof(got)));
	ck_assert(get_str(c, "k4", got, sizeof(got)));
	struct respcache_stats st;
	respcache_stats(c, &st);
	ck_assert_uint_le(st.bytes, st.max_bytes);
	ck_assert_uint_eq(st.entries, 3);
	/* over the entry bound: not kept, and nothing evicted for it */
	char *big = malloc(2500);
	ck_assert_ptr_nonnull(big);
	memset(big, 'z', 2500);
	respcache_put(c, "big", big, 2500);
	free(big);
	ck_assert(!get_str(c, "big", got, sizeof(got)));
	respcache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 3);
	respcache_free(c);
}
END_TEST

Suite *respcache_suite(void)
{
	Suite *s = suite_create("respcache");
	TCase *tc = tcase_create("respcache");
	tcase_add_test(tc, respcache_hit_miss_replace);
	tcase_add_test(tc, respcache_bounds);
	suite_add_tcase(s, tc);
	return s;
}
