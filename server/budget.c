/*
 * budget.c: the memory account and its reservations (see budget.h).
 *
 * The account is one atomic counter; the reservations are a list under a
 * mutex, in admission order (the head is the oldest), and a FIFO of
 * requests waiting to reserve. While the oldest reservation waits for
 * memory beyond its reservation (starving), the FIFO's head does not
 * reserve, so what younger requests give back is not taken by new ones.
 */
#include "budget.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "util.h"

static atomic_size_t used, peak;
static atomic_ullong refused, reserved, waited;
static size_t limit = (size_t)1 << 30;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct budget_resv *oldest, *youngest;  /* active, by seq */
static unsigned long long next_seq;
struct qnode {
	struct qnode *next;
};
static struct qnode *q_head, **q_tail = &q_head;
static unsigned reserving;
static atomic_bool starving;

void budget_init(size_t l)
{
	limit = l;
}

static void note_peak(size_t now)
{
	size_t p = atomic_load(&peak);
	while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
		;
}

/* Reserve n bytes in the account without counting a refusal. */
static bool try_take(size_t n)
{
	size_t cur = atomic_load(&used);
	do {
		if (n > limit || cur > limit - n)
			return false;
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + n));
	note_peak(cur + n);
	return true;
}

bool budget_take(size_t n)
{
	if (try_take(n))
		return true;
	atomic_fetch_add(&refused, 1);
	return false;
}

void budget_force(size_t n)
{
	note_peak(atomic_fetch_add(&used, n) + n);
}

void budget_give(size_t n)
{
	atomic_fetch_sub(&used, n);
}

/* With mu held: wait on changed for at most ms milliseconds. */
static void wait_changed(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000 * 1000;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&changed, &mu, &ts);
}

int budget_reserve(struct budget_resv *rv, size_t n, unsigned wait_ms, bool (*stopped)(void))
{
	if (n > limit)
		n = 0; /* more than the whole account: reserve nothing, compete */
	pthread_mutex_lock(&mu);
	bool ok = n == 0;
	if (!ok) {
		struct qnode q = { NULL };
		*q_tail = &q;
		q_tail = &q.next;
		reserving++;
		rv->queued = true;
		double until = util_mono_ms() + wait_ms;
		bool w = false;
		for (;;) {
			if (q_head == &q && !atomic_load(&starving) && try_take(n)) {
				ok = true;
				break;
			}
			if ((stopped && stopped()) || util_mono_ms() >= until)
				break;
			if (!w)
				util_log("level=info msg=\"reservation waits\" bytes=%zu used=%zu limit=%zu", n,
				         (size_t)atomic_load(&used), limit);
			w = true;
			wait_changed(10);
		}
		/* unlink q (it may be anywhere if it gave up) */
		struct qnode **pp = &q_head;
		while (*pp != &q)
			pp = &(*pp)->next;
		*pp = q.next;
		q_tail = &q_head;
		while (*q_tail)
			q_tail = &(*q_tail)->next;
		reserving--;
		rv->queued = false;
		if (w)
			atomic_fetch_add(&waited, 1);
		if (!ok)
			atomic_fetch_add(&refused, 1);
		pthread_cond_broadcast(&changed);
	}
	if (ok) {
		if (!rv->seq) {
			rv->seq = ++next_seq;
			rv->prev = youngest;
			rv->next = NULL;
			if (youngest)
				youngest->next = rv;
			else
				oldest = rv;
			youngest = rv;
		}
		rv->wait_ms = wait_ms;
		if (n)
			rv->sized = true;
		rv->left += n;
		rv->cap += n;
		rv->held += n;
		if (n)
			atomic_fetch_add(&reserved, 1);
	}
	pthread_mutex_unlock(&mu);
	return ok ? 0 : -1;
}

void budget_unreserve(struct budget_resv *rv)
{
	if (!rv || !rv->seq)
		return;
	pthread_mutex_lock(&mu);
	budget_give(rv->left);
	if (rv->prev)
		rv->prev->next = rv->next;
	else
		oldest = rv->next;
	if (rv->next)
		rv->next->prev = rv->prev;
	else
		youngest = rv->prev;
	rv->left = rv->cap = rv->held = 0;
	rv->seq = 0;
	rv->sized = false;
	rv->prev = rv->next = NULL;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&mu);
}

bool budget_take_for(struct budget_resv *rv, size_t n, bool keep, bool (*stopped)(void))
{
	if (!rv || !rv->seq)
		return budget_take(n);
	size_t use = n < rv->left ? n : rv->left, rest = n - use;
	if (rest == 0)
		goto taken;
	pthread_mutex_lock(&mu);
	struct budget_resv *o = oldest;
	/* the oldest with an estimate reserved, not waiting to reserve more */
	while (o && (o->queued || !o->sized))
		o = o->next;
	bool first = o == rv;
	pthread_mutex_unlock(&mu);
	/* What fits is taken, by anyone (a small request goes on while the
	 * oldest waits; while it waits, no new reservation is granted). */
	if (try_take(rest))
		goto taken;
	/* Beyond the reservation and no room: only the oldest waits, and only
	 * when it could fit alone; the others give way. */
	if (!first || rv->held > limit || rest > limit - rv->held) {
		atomic_fetch_add(&refused, 1);
		return false;
	}
	atomic_store(&starving, true);
	atomic_fetch_add(&waited, 1);
	util_log("level=info msg=\"oldest request waits for memory\" bytes=%zu held=%zu used=%zu limit=%zu", rest,
	         rv->held, (size_t)atomic_load(&used), limit);
	double until = util_mono_ms() + rv->wait_ms;
	bool ok = false;
	while (!(stopped && stopped()) && util_mono_ms() < until) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if ((ok = try_take(rest)))
			break;
	}
	atomic_store(&starving, false);
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&mu);
	if (!ok) {
		atomic_fetch_add(&refused, 1);
		return false;
	}
taken:
	rv->left -= use;
	if (!keep)
		rv->cap -= use;   /* someone else gives these back */
	rv->held += rest;
	return true;
}

void budget_give_for(struct budget_resv *rv, size_t n)
{
	if (!rv || !rv->seq) {
		budget_give(n);
		return;
	}
	size_t room = rv->cap > rv->left ? rv->cap - rv->left : 0;
	size_t back = n < room ? n : room;
	rv->left += back;
	size_t gone = n - back;
	budget_give(gone);
	rv->held -= gone < rv->held ? gone : rv->held;
}

void budget_stats(struct budget_stats *out)
{
	out->used = atomic_load(&used);
	out->limit = limit;
	out->peak = atomic_load(&peak);
	out->refused = atomic_load(&refused);
	out->reserved = atomic_load(&reserved);
	out->waited = atomic_load(&waited);
	pthread_mutex_lock(&mu);
	out->reserving = reserving;
	pthread_mutex_unlock(&mu);
}
