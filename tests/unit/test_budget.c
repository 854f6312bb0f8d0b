/*
 * test_budget.c: the cost budgets of a work (work.h), the memory account
 * (budget.h), heavy-request admission (heavy.h) and the single-flight
 * loads of the cache (cache.h, cache_load).
 *
 * The memory account is process-global: every test starts from what it
 * finds there (used_now) and checks that it is back to that at the end.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "buf.h"
#include "cache.h"
#include "heavy.h"
#include "ingest.h"
#include "json.h"
#include "prof.h"
#include "tests.h"
#include "view.h"
#include "work.h"

static size_t used_now(void)
{
	struct budget_stats st;
	budget_stats(&st);
	return st.used;
}

/* A profile with n_funcs functions in one stack and n_samples samples. */
static struct prof *make_prof(int n_funcs, int n_samples)
{
	char names[64][24];
	uint64_t locs[64];
	ck_assert_int_le(n_funcs, 64);
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	for (int i = 0; i < n_funcs; i++) {
		snprintf(names[i], sizeof(names[i]), "pkg.f%03d", i);
		uint64_t fid = (uint64_t)i + 1;
		int64_t line = 10;
		pbw_function(&w, fid, names[i], "f.go");
		pbw_location(&w, fid, 0, 1, &fid, &line);
		locs[i] = fid;
	}
	for (int s = 0; s < n_samples; s++) {
		int64_t v = s + 1;
		size_t depth = (size_t)(1 + s % n_funcs);
		pbw_sample(&w, depth, locs + (size_t)n_funcs - depth, 1, &v, 0, NULL);
	}
	size_t n;
	uint8_t *data = pbw_finish(&w, &n);
	pbw_release(&w);
	struct decode_err err;
	struct prof *p = ingest_decode(data, n, 1u << 20, &err);
	free(data);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* ---- work units ---------------------------------------------------------- */

START_TEST(unit_budget_stops_at_the_same_poll)
{
	work_set_max_units(10);
	struct work w;
	work_begin(&w, 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(work_poll(), WORK_OK);
	ck_assert_int_eq(work_poll(), WORK_DEADLINE);
	ck_assert(w.over_units);
	ck_assert_int_eq(work_poll(), WORK_DEADLINE); /* it stays stopped */
	work_end(&w);
	work_set_max_units(0);
	ck_assert_int_eq(work_poll(), WORK_OK); /* no current work */
	work_begin(&w, 0);
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(work_poll(), WORK_OK);
	work_end(&w);
}
END_TEST

START_TEST(a_view_over_its_units_fails_whole)
{
	struct prof *p = make_prof(40, 400);
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	/* Enough units for a little of the work, not for all of it: every
	 * writer fails, none answers a partial result. */
	for (uint64_t units = 1; units < 2000; units = units * 3 + 1) {
		work_set_max_units(units);
		struct work w;
		work_begin(&w, 0);
		struct view v;
		int rc = view_build(p, &o, false, &v);
		struct buf out = BUF_INIT;
		struct json j;
		json_init(&j, &out);
		if (rc == 0) {
			rc = view_flame_json(&v, 0, &j);
			view_release(&v);
		}
		int why = work_poll();
		work_end(&w);
		if (why != WORK_OK)
			ck_assert_int_ne(rc, 0);
		else
			ck_assert_int_eq(rc, 0);
		buf_release(&out);
	}
	work_set_max_units(0);
	prof_free(p);
}
END_TEST

/* ---- the memory account -------------------------------------------------- */

START_TEST(charges_fit_the_account_and_are_given_back)
{
	size_t base = used_now();
	budget_init(base + 1000);
	struct work w;
	work_begin(&w, 0);
	ck_assert_int_eq(work_charge(600), 0);
	ck_assert_uint_eq(used_now(), base + 600);
	ck_assert_int_eq(work_charge(600), -1);
	ck_assert_int_eq(work_poll(), WORK_NOMEM);
	ck_assert_uint_eq(used_now(), base + 600);
	work_uncharge(100000); /* at most what was charged */
	ck_assert_uint_eq(used_now(), base);
	ck_assert_int_eq(work_charge(300), 0);
	work_end(&w); /* gives back what is still charged */
	ck_assert_uint_eq(used_now(), base);
	budget_init((size_t)1 << 40);
}
END_TEST

START_TEST(a_buffer_past_the_account_is_out_of_memory)
{
	size_t base = used_now();
	budget_init(base + 64 * 1024);
	struct work w;
	work_begin(&w, 0);
	struct buf b = BUF_INIT;
	char chunk[1024];
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 32; i++)
		buf_add(&b, chunk, sizeof(chunk));
	ck_assert(!b.oom);
	ck_assert_uint_gt(used_now(), base);
	for (int i = 0; i < 64; i++)
		buf_add(&b, chunk, sizeof(chunk));
	ck_assert(b.oom);
	ck_assert_int_eq(work_poll(), WORK_NOMEM);
	buf_release(&b);
	ck_assert_uint_eq(used_now(), base);
	work_end(&w);
	ck_assert_uint_eq(used_now(), base);
	budget_init((size_t)1 << 40);
}
END_TEST

START_TEST(a_json_writer_of_a_stopped_work_fails)
{
	struct work w;
	work_begin(&w, 0);
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_arr_begin(&j);
	json_int(&j, 1);
	ck_assert(!b.oom);
	work_stop(&w, WORK_CANCELLED);
	json_int(&j, 2);
	ck_assert(b.oom);
	buf_release(&b);
	work_end(&w);
}
END_TEST

/* ---- reservations -------------------------------------------------------- */

START_TEST(charges_come_out_of_the_reservation_and_return_to_it)
{
	size_t base = used_now();
	budget_init(base + 1000);
	struct work w;
	work_begin(&w, 0);
	ck_assert_int_eq(budget_reserve(&w.resv, 600, 0, NULL), 0);
	ck_assert_uint_eq(used_now(), base + 600);
	/* a second reservation of 600 does not fit beside it */
	struct budget_resv other = { 0 };
	ck_assert_int_eq(budget_reserve(&other, 600, 0, NULL), -1);
	ck_assert_uint_eq(other.seq, 0);
	/* charges inside the reservation do not move the account */
	ck_assert_int_eq(work_charge(500), 0);
	ck_assert_uint_eq(used_now(), base + 600);
	work_uncharge(200);          /* back to the reservation */
	ck_assert_uint_eq(used_now(), base + 600);
	ck_assert_int_eq(work_charge(700), 0); /* 300 from it, 400 beyond */
	ck_assert_uint_eq(used_now(), base + 1000);
	work_uncharge(1000);         /* 600 back to it, 400 to the account */
	ck_assert_uint_eq(used_now(), base + 600);
	/* a draw (given back by its holder) leaves the reservation for good */
	ck_assert(work_draw(250));
	ck_assert_uint_eq(used_now(), base + 600);
	budget_give(250);
	ck_assert_uint_eq(used_now(), base + 350);
	work_end(&w);                /* gives back the rest of it */
	ck_assert_uint_eq(used_now(), base);
	ck_assert_uint_eq(w.resv.seq, 0);
	budget_init((size_t)1 << 40);
}
END_TEST

START_TEST(a_reservation_beyond_the_account_reserves_nothing)
{
	size_t base = used_now();
	budget_init(base + 1000);
	struct budget_resv rv = { 0 };
	ck_assert_int_eq(budget_reserve(&rv, 5000, 0, NULL), 0);
	ck_assert_uint_eq(used_now(), base);
	ck_assert_uint_eq(rv.left, 0);
	ck_assert_uint_gt(rv.seq, 0);
	budget_unreserve(&rv);
	ck_assert_uint_eq(used_now(), base);
	budget_unreserve(&rv);       /* inactive: nothing */
	ck_assert_uint_eq(used_now(), base);
	budget_init((size_t)1 << 40);
}
END_TEST

START_TEST(a_younger_request_beyond_its_reservation_gives_way)
{
	size_t base = used_now();
	budget_init(base + 1000);
	struct budget_resv old = { 0 }, young = { 0 };
	ck_assert_int_eq(budget_reserve(&old, 1, 0, NULL), 0);
	ck_assert_int_eq(budget_reserve(&young, 1, 0, NULL), 0);
	ck_assert_uint_lt(old.seq, young.seq);
	ck_assert(budget_take_for(&old, 600, true, NULL));
	ck_assert(budget_take_for(&young, 300, true, NULL));
	/* the younger one is refused at once (it never waits) */
	ck_assert(!budget_take_for(&young, 200, true, NULL));
	/* the oldest, with no wait allowed, is refused too */
	ck_assert(!budget_take_for(&old, 200, true, NULL));
	/* more than it could hold alone: refused without waiting */
	old.wait_ms = 600000;
	ck_assert(!budget_take_for(&old, 500, true, NULL));
	budget_give_for(&young, 300);
	budget_unreserve(&young);
	ck_assert(budget_take_for(&old, 200, true, NULL));
	budget_give_for(&old, 800);
	budget_unreserve(&old);
	ck_assert_uint_eq(used_now(), base);
	budget_init((size_t)1 << 40);
}
END_TEST

struct oldest_arg {
	struct budget_resv *rv;
	size_t n;
	atomic_int done;   /* 1 taken, -1 refused */
};

static void *oldest_takes(void *p)
{
	struct oldest_arg *a = p;
	atomic_store(&a->done, budget_take_for(a->rv, a->n, true, NULL) ? 1 : -1);
	return NULL;
}

static void *reserves(void *p)
{
	struct oldest_arg *a = p;
	atomic_store(&a->done, budget_reserve(a->rv, a->n, 600000, NULL) == 0 ? 1 : -1);
	return NULL;
}

static void wait_waited(unsigned long long before)
{
	for (int i = 0; i < 60000; i++) { /* a generous bound: 60 s */
		struct budget_stats st;
		budget_stats(&st);
		if (st.waited > before)
			return;
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("nothing waited within 60 s");
}

static void wait_reserving(void)
{
	for (int i = 0; i < 60000; i++) { /* a generous bound: 60 s */
		struct budget_stats st;
		budget_stats(&st);
		if (st.reserving > 0)
			return;
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("no reservation waited within 60 s");
}

START_TEST(the_oldest_waits_for_what_the_younger_give_back)
{
	size_t base = used_now();
	budget_init(base + 1000);
	struct budget_resv old = { 0 }, young = { 0 };
	ck_assert_int_eq(budget_reserve(&old, 1, 600000, NULL), 0);
	ck_assert_int_eq(budget_reserve(&young, 1, 600000, NULL), 0);
	ck_assert(budget_take_for(&old, 600, true, NULL));
	ck_assert(budget_take_for(&young, 300, true, NULL));
	struct budget_stats st;
	budget_stats(&st);
	struct oldest_arg a = { &old, 300, 0 };
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, oldest_takes, &a), 0);
	wait_waited(st.waited);
	ck_assert_int_eq(atomic_load(&a.done), 0);
	/* while it waits, a younger one that needs more than fits is refused
	 * (it does not wait), and no new reservation is granted */
	ck_assert(!budget_take_for(&young, 200, true, NULL));
	struct budget_resv late = { 0 };
	budget_give_for(&young, 100);   /* 800 used: 300 still do not fit */
	ck_assert_int_eq(budget_reserve(&late, 100, 0, NULL), -1);
	budget_give_for(&young, 200);   /* it gives way */
	budget_unreserve(&young);
	pthread_join(t, NULL);
	ck_assert_int_eq(atomic_load(&a.done), 1);
	ck_assert_uint_eq(used_now(), base + 900);
	budget_give_for(&old, 900);
	budget_unreserve(&old);
	ck_assert_uint_eq(used_now(), base);
	budget_init((size_t)1 << 40);
}
END_TEST

START_TEST(a_reservation_waits_for_the_one_before_it)
{
	size_t base = used_now();
	budget_init(base + 1000);
	struct budget_resv first = { 0 }, second = { 0 };
	ck_assert_int_eq(budget_reserve(&first, 800, 0, NULL), 0);
	struct oldest_arg a = { &second, 800, 0 };
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, reserves, &a), 0);
	wait_reserving();
	ck_assert_int_eq(atomic_load(&a.done), 0);
	budget_unreserve(&first);
	pthread_join(t, NULL);
	ck_assert_int_eq(atomic_load(&a.done), 1);
	ck_assert_uint_eq(used_now(), base + 800);
	budget_unreserve(&second);
	ck_assert_uint_eq(used_now(), base);
	budget_init((size_t)1 << 40);
}
END_TEST

/* ---- admission ----------------------------------------------------------- */

START_TEST(heavy_slots_are_bounded)
{
	heavy_init(2, 0);
	ck_assert_int_eq(heavy_enter(), 0);
	ck_assert_int_eq(heavy_enter(), 0);
	ck_assert_int_eq(heavy_enter(), -1);
	struct heavy_stats st;
	heavy_stats(&st);
	ck_assert_uint_eq(st.running, 2);
	heavy_leave();
	ck_assert_int_eq(heavy_enter(), 0);
	heavy_leave();
	heavy_leave();
	heavy_stats(&st);
	ck_assert_uint_eq(st.running, 0);
	/* A stopped work is not admitted, even with room. */
	struct work w;
	work_begin(&w, 0);
	work_stop(&w, WORK_CANCELLED);
	ck_assert_int_eq(heavy_enter(), -1);
	work_end(&w);
	heavy_init(0, 0);
	ck_assert_int_eq(heavy_enter(), 0); /* no limit */
	heavy_leave();
}
END_TEST

struct waiter {
	int rc;
	atomic_int *go;
};

static void *heavy_waiter(void *arg)
{
	struct waiter *x = arg;
	x->rc = heavy_enter();
	if (x->rc == 0)
		heavy_leave();
	return NULL;
}

START_TEST(a_waiter_gets_the_freed_slot)
{
	heavy_init(1, 600 * 1000); /* it waits as long as it takes */
	ck_assert_int_eq(heavy_enter(), 0);
	struct waiter x = { -2, NULL };
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, heavy_waiter, &x), 0);
	struct heavy_stats st;
	do
		heavy_stats(&st);
	while (st.waiting == 0);
	heavy_leave();
	pthread_join(t, NULL);
	ck_assert_int_eq(x.rc, 0);
	heavy_init(0, 0);
}
END_TEST

/* ---- single-flight loads ------------------------------------------------- */

struct loader {
	atomic_int calls;
	atomic_int release;   /* the load may finish */
	int n_funcs;
};

static struct prof *slow_load(void *ctx, const char *id, int *status)
{
	(void)id;
	(void)status;
	struct loader *l = ctx;
	atomic_fetch_add(&l->calls, 1);
	while (!atomic_load(&l->release))
		;
	return make_prof(l->n_funcs, 20);
}

struct viewer {
	struct cache *c;
	struct loader *l;
	struct prof *p;
};

static void *viewer_run(void *arg)
{
	struct viewer *v = arg;
	int status = 0;
	v->p = cache_load(v->c, "BIG", slow_load, v->l, &status);
	return NULL;
}

START_TEST(concurrent_loads_of_one_id_decode_once)
{
	size_t base = used_now();
	/* A cache too small for the profile: it is never cached, yet shared. */
	struct cache *c = cache_new(16);
	struct loader l = { 0, 0, 30 };
	enum { N = 8 };
	struct viewer v[N];
	pthread_t t[N];
	v[0] = (struct viewer){ c, &l, NULL };
	ck_assert_int_eq(pthread_create(&t[0], NULL, viewer_run, &v[0]), 0);
	while (atomic_load(&l.calls) == 0)
		;
	for (int i = 1; i < N; i++) {
		v[i] = (struct viewer){ c, &l, NULL };
		ck_assert_int_eq(pthread_create(&t[i], NULL, viewer_run, &v[i]), 0);
	}
	struct cache_stats st;
	do
		cache_stats(c, &st);
	while (st.waiting < N - 1);
	atomic_store(&l.release, 1);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(atomic_load(&l.calls), 1);
	for (int i = 0; i < N; i++)
		ck_assert_ptr_eq(v[i].p, v[0].p);
	cache_stats(c, &st);
	ck_assert_uint_eq(st.loads, 1);
	ck_assert_uint_eq(st.shared, N - 1);
	ck_assert_uint_eq(st.cached, 0);
	/* Held but uncached: counted in the memory account. */
	ck_assert_uint_ge(used_now(), base + prof_mem_bytes(v[0].p));
	/* A later request while it is still held shares it too. */
	int status = 0;
	struct prof *again = cache_load(c, "BIG", slow_load, &l, &status);
	ck_assert_ptr_eq(again, v[0].p);
	ck_assert_int_eq(atomic_load(&l.calls), 1);
	cache_release(c, again);
	for (int i = 0; i < N; i++)
		cache_release(c, v[i].p);
	cache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(used_now(), base);
	/* Nobody holds it now: the next load decodes again. */
	struct prof *p = cache_load(c, "BIG", slow_load, &l, &status);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(atomic_load(&l.calls), 2);
	/* A deleted id is never shared. */
	cache_forget(c, "BIG");
	struct prof *fresh = cache_load(c, "BIG", slow_load, &l, &status);
	ck_assert_ptr_ne(fresh, p);
	ck_assert_int_eq(atomic_load(&l.calls), 3);
	cache_release(c, fresh);
	cache_release(c, p);
	ck_assert_uint_eq(used_now(), base);
	cache_free(c);
}
END_TEST

static struct prof *failing_load(void *ctx, const char *id, int *status)
{
	(void)ctx;
	(void)id;
	*status = 404;
	return NULL;
}

static struct prof *premade;

static struct prof *premade_load(void *ctx, const char *id, int *status)
{
	(void)ctx;
	(void)id;
	(void)status;
	struct prof *p = premade;
	premade = NULL;
	return p;
}

START_TEST(a_failed_load_is_not_cached)
{
	struct cache *c = cache_new(1u << 20);
	int status = 0;
	ck_assert_ptr_null(cache_load(c, "X", failing_load, NULL, &status));
	ck_assert_int_eq(status, 404);
	struct cache_stats st;
	cache_stats(c, &st);
	ck_assert_uint_eq(st.entries, 0);
	/* A profile too big for the cache and for the memory account. */
	size_t base = used_now();
	premade = make_prof(30, 20);
	budget_init(base + 16);
	struct work w;
	work_begin(&w, 0);
	struct cache *small = cache_new(16);
	ck_assert_ptr_null(cache_load(small, "BIG", premade_load, NULL, &status));
	ck_assert_int_eq(status, 503);
	ck_assert_int_eq(work_poll(), WORK_NOMEM);
	work_end(&w);
	cache_stats(small, &st);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(used_now(), base);
	budget_init((size_t)1 << 40);
	cache_free(small);
	cache_free(c);
}
END_TEST

START_TEST(a_name_tree_is_counted_in_the_cache)
{
	struct cache *c = cache_new((size_t)64 << 20);
	struct loader l = { 0, 1, 40 };
	int status = 0;
	struct prof *p = cache_load(c, "A", slow_load, &l, &status);
	struct cache_stats st;
	cache_stats(c, &st);
	size_t before = st.bytes;
	ck_assert_uint_eq(st.cached, 1);
	struct view_opts o;
	memset(&o, 0, sizeof(o));
	struct view v;
	ck_assert_int_eq(view_build(p, &o, false, &v), 0); /* builds p's name tree */
	view_release(&v);
	ck_assert_ptr_nonnull(p->ntree);
	cache_release(c, p);
	cache_stats(c, &st);
	ck_assert_uint_eq(st.bytes, prof_mem_bytes(p));
	ck_assert_uint_ne(st.bytes, before);
	cache_free(c);
}
END_TEST

Suite *budget_suite(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("budget");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, unit_budget_stops_at_the_same_poll);
	tcase_add_test(tc, a_view_over_its_units_fails_whole);
	tcase_add_test(tc, charges_fit_the_account_and_are_given_back);
	tcase_add_test(tc, a_buffer_past_the_account_is_out_of_memory);
	tcase_add_test(tc, a_json_writer_of_a_stopped_work_fails);
	tcase_add_test(tc, charges_come_out_of_the_reservation_and_return_to_it);
	tcase_add_test(tc, a_reservation_beyond_the_account_reserves_nothing);
	tcase_add_test(tc, a_younger_request_beyond_its_reservation_gives_way);
	tcase_add_test(tc, the_oldest_waits_for_what_the_younger_give_back);
	tcase_add_test(tc, a_reservation_waits_for_the_one_before_it);
	tcase_add_test(tc, heavy_slots_are_bounded);
	tcase_add_test(tc, a_waiter_gets_the_freed_slot);
	tcase_add_test(tc, concurrent_loads_of_one_id_decode_once);
	tcase_add_test(tc, a_failed_load_is_not_cached);
	tcase_add_test(tc, a_name_tree_is_counted_in_the_cache);
	suite_add_tcase(s, tc);
	return s;
}
