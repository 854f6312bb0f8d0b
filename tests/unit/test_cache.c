/*
 * test_cache.c: the decoded-profile cache (cache.h).
 *
 * The profiles are real decoded profiles (built with the pbw_* writer and
 * pprof_decode), tagged so that each can be recognised: profile k has
 * n_funcs functions and its one sample has the value k + 1. Budgets are set in
 * multiples of what prof_mem_bytes says one such profile takes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "ingest.h"
#include "prof.h"
#include "tests.h"

/* A profile tagged k with n_funcs functions (leaf first) in one sample. */
static struct prof *make_prof(int k, int n_funcs)
{
	char names[64][24];
	uint64_t locs[64];
	ck_assert_int_le(n_funcs, 64);
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	for (int i = 0; i < n_funcs; i++) {
		snprintf(names[i], sizeof(names[i]), "pkg.f%03d", i);
		pbw_function(&w, (uint64_t)i + 1, names[i], "f.go");
		uint64_t fid = (uint64_t)i + 1;
		int64_t line = 10;
		pbw_location(&w, (uint64_t)i + 1, 0, 1, &fid, &line);
		locs[i] = (uint64_t)i + 1;
	}
	int64_t v = k + 1; /* a zero sample could be dropped */
	pbw_sample(&w, (size_t)n_funcs, locs, 1, &v, 0, NULL);
	size_t n;
	uint8_t *data = pbw_finish(&w, &n);
	pbw_release(&w);
	struct decode_err err;
	struct prof *p = ingest_decode(data, n, 1u << 20, &err);
	free(data);
	return p;
}

static int tag_of(const struct prof *p)
{
	return p->n_samples == 1 ? (int)p->values[0] - 1 : -1;
}

static struct prof *put_new(struct cache *c, const char *id, int k)
{
	struct prof *p = make_prof(k, 4);
	ck_assert_ptr_nonnull(p);
	struct prof *got = cache_put(c, id, p);
	ck_assert_ptr_eq(got, p);
	return got;
}

/* Bytes of one make_prof(k, 4) profile. */
static size_t one_size(void)
{
	struct prof *p = make_prof(1, 4);
	ck_assert_ptr_nonnull(p);
	size_t n = prof_mem_bytes(p);
	prof_free(p);
	ck_assert_uint_gt(n, 0);
	return n;
}

static void expect_stats(struct cache *c, unsigned cached, unsigned held, unsigned entries)
{
	struct cache_stats st;
	cache_stats(c, &st);
	ck_assert_uint_eq(st.cached, cached);
	ck_assert_uint_eq(st.held, held);
	ck_assert_uint_eq(st.entries, entries);
	ck_assert_uint_le(st.bytes, st.max_bytes);
}

/* Is id cached? (a get that is released at once) */
static bool is_cached(struct cache *c, const char *id)
{
	struct prof *p = cache_get(c, id);
	cache_release(c, p);
	return p != NULL;
}

START_TEST(insert_lookup_release)
{
	size_t sz = one_size();
	struct cache *c = cache_new(10 * sz);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(cache_get(c, "A"));
	struct prof *a = put_new(c, "A", 7);
	expect_stats(c, 1, 1, 1);
	struct cache_stats st;
	cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, sz);
	cache_release(c, a);
	expect_stats(c, 1, 0, 1);
	/* Two holders of the same profile. */
	struct prof *x = cache_get(c, "A"), *y = cache_get(c, "A");
	ck_assert_ptr_eq(x, a);
	ck_assert_ptr_eq(y, a);
	ck_assert_int_eq(tag_of(x), 7);
	expect_stats(c, 1, 1, 1);
	cache_release(c, x);
	expect_stats(c, 1, 1, 1);
	cache_release(c, y);
	expect_stats(c, 1, 0, 1);
	ck_assert_ptr_null(cache_get(c, "B"));
	cache_release(c, NULL);
	cache_free(c);
}
END_TEST

START_TEST(eviction_order)
{
	size_t sz = one_size();
	struct cache *c = cache_new(2 * sz + sz / 2); /* room for two */
	cache_release(c, put_new(c, "A", 1));
	cache_release(c, put_new(c, "B", 2));
	ck_assert(is_cached(c, "A")); /* A is now more recent than B */
	cache_release(c, put_new(c, "C", 3));
	ck_assert(!is_cached(c, "B"));
	expect_stats(c, 2, 0, 2);
	/* C was put after A was last used: D evicts A. */
	cache_release(c, put_new(c, "D", 4));
	ck_assert(!is_cached(c, "A"));
	ck_assert(is_cached(c, "C"));
	ck_assert(is_cached(c, "D"));
	struct cache_stats st;
	cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 2 * sz);

	/* An evicted profile that is still held stays readable, uncounted. */
	struct prof *held = cache_get(c, "C");
	cache_release(c, put_new(c, "E", 5));
	cache_release(c, put_new(c, "F", 6));
	ck_assert(!is_cached(c, "C"));
	ck_assert_int_eq(tag_of(held), 3);
	expect_stats(c, 2, 1, 3);
	cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 2 * sz);
	cache_release(c, held);
	expect_stats(c, 2, 0, 2);
	cache_free(c);
}
END_TEST

START_TEST(bigger_than_budget)
{
	size_t sz = one_size();
	struct cache *c = cache_new(sz + sz / 2);
	cache_release(c, put_new(c, "A", 1));
	struct prof *big = make_prof(9, 60);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_gt(prof_mem_bytes(big), sz + sz / 2);
	ck_assert_ptr_eq(cache_put(c, "BIG", big), big);
	ck_assert_int_eq(tag_of(big), 9);
	/* Not findable, and it evicted nothing. */
	ck_assert(!is_cached(c, "BIG"));
	ck_assert(is_cached(c, "A"));
	expect_stats(c, 1, 1, 2);
	cache_release(c, big);
	expect_stats(c, 1, 0, 1);
	cache_free(c);

	/* A zero budget caches nothing but still hands profiles out. */
	c = cache_new(0);
	struct prof *p = put_new(c, "A", 1);
	ck_assert(!is_cached(c, "A"));
	ck_assert_int_eq(tag_of(p), 1);
	cache_release(c, p);
	expect_stats(c, 0, 0, 0);
	cache_free(c);
}
END_TEST

START_TEST(delete_while_referenced)
{
	size_t sz = one_size();
	struct cache *c = cache_new(10 * sz);
	struct prof *a = put_new(c, "A", 1);
	cache_forget(c, "A");
	ck_assert(!is_cached(c, "A"));
	ck_assert_int_eq(tag_of(a), 1); /* still readable by its holder */
	expect_stats(c, 0, 1, 1);
	struct cache_stats st;
	cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, 0);
	/* A reload of the same id is a new profile, cached. */
	struct prof *again = put_new(c, "A", 2);
	ck_assert_ptr_ne(again, a);
	cache_release(c, again);
	ck_assert(is_cached(c, "A"));
	cache_release(c, a);
	expect_stats(c, 1, 0, 1);
	/* Forgetting a profile nobody holds frees it at once. */
	cache_forget(c, "A");
	expect_stats(c, 0, 0, 0);
	cache_forget(c, "nothing");
	cache_free(c);
}
END_TEST

START_TEST(same_id_twice)
{
	size_t sz = one_size();
	struct cache *c = cache_new(10 * sz);
	/* Two requests decoded A at once: the first copy stays the cached one. */
	struct prof *first = put_new(c, "A", 1);
	struct prof *second = put_new(c, "A", 2);
	expect_stats(c, 1, 2, 2);
	struct prof *got = cache_get(c, "A");
	ck_assert_ptr_eq(got, first);
	cache_release(c, got);
	ck_assert_int_eq(tag_of(second), 2);
	cache_release(c, second);
	expect_stats(c, 1, 1, 1);
	cache_release(c, first);
	expect_stats(c, 1, 0, 1);
	struct cache_stats st;
	cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, sz);
	cache_free(c);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

#define N_THREADS 8
#define N_ROUNDS 1500
#define N_IDS 16

struct worker {
	struct cache *c;
	unsigned seed;
	int wrong;   /* profiles whose tag did not match their id */
	int failed;  /* make_prof or cache_put returned NULL */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < N_ROUNDS; i++) {
		int k = (int)(rand_r(&w->seed) % N_IDS);
		char id[8];
		snprintf(id, sizeof(id), "id%d", k);
		struct prof *p = cache_get(w->c, id);
		if (!p) {
			struct prof *n = make_prof(k, 4);
			p = n ? cache_put(w->c, id, n) : NULL;
		}
		if (!p) {
			w->failed++;
			continue;
		}
		if (tag_of(p) != k)
			w->wrong++;
		if (rand_r(&w->seed) % 50 == 0)
			cache_forget(w->c, id); /* a delete while others may hold it */
		if (tag_of(p) != k)
			w->wrong++;
		cache_release(w->c, p);
	}
	return NULL;
}

START_TEST(concurrent_lookups)
{
	size_t sz = one_size();
	struct cache *c = cache_new(5 * sz + sz / 2); /* a third of the ids fit */
	struct worker w[N_THREADS];
	pthread_t t[N_THREADS];
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .c = c, .seed = 1234u + (unsigned)i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].wrong, 0);
		ck_assert_int_eq(w[i].failed, 0);
	}
	struct cache_stats st;
	cache_stats(c, &st);
	ck_assert_uint_eq(st.held, 0);
	ck_assert_uint_eq(st.entries, st.cached);
	ck_assert_uint_le(st.cached, 5);
	ck_assert_uint_gt(st.cached, 0);
	ck_assert_uint_eq(st.bytes, st.cached * sz);
	cache_free(c);
}
END_TEST

Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");
	tcase_add_test(tc, insert_lookup_release);
	tcase_add_test(tc, eviction_order);
	tcase_add_test(tc, bigger_than_budget);
	tcase_add_test(tc, delete_while_referenced);
	tcase_add_test(tc, same_id_twice);
	tcase_add_test(tc, concurrent_lookups);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
