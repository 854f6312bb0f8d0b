/*
 * heavy.c: admission control for heavy requests (see heavy.h).
 */
#include "heavy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"

#include "util.h"
#include "work.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static unsigned max_running, wait_limit_ms, running, waiting;
static unsigned long long admitted, refused;
static const char *hold_path;   /* the test hook (heavy.h), or NULL */

void heavy_init(unsigned max, unsigned wait_ms)
{
	pthread_mutex_lock(&mu);
	max_running = max;
	wait_limit_ms = wait_ms;
	const char *h = getenv("FLAMEDEX_TEST_HEAVY_HOLD");
	hold_path = h && *h ? h : NULL;
	pthread_mutex_unlock(&mu);
}

/* The current work was stopped (read without counting a work unit). */
static int stopped(void)
{
	struct work *w = work_current();
	return w && atomic_load(&w->stop) != WORK_OK;
}

static bool stopped_b(void)
{
	return stopped() != 0;
}

int heavy_enter(void)
{
	pthread_mutex_lock(&mu);
	double until = util_mono_ms() + wait_limit_ms;
	waiting++;
	if (max_running && running >= max_running && wait_limit_ms)
		util_log("level=info msg=\"heavy request waits\" running=%u waiting=%u", running, waiting);
	while (max_running && running >= max_running && !stopped() && util_mono_ms() < until) {
		/* Wake at least every 50 ms to notice a stopped work. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&freed, &mu, &ts);
	}
	waiting--;
	int ok = !stopped() && (!max_running || running < max_running);
	if (ok) {
		running++;
		admitted++;
	} else {
		refused++;
	}
	pthread_mutex_unlock(&mu);
	if (!ok)
		return -1;
	/* Take a place in the order of reservations (nothing reserved yet):
	 * the oldest admitted request is the one that may wait for memory. */
	struct work *w = work_current();
	if (w)
		budget_reserve(&w->resv, 0, wait_limit_ms, NULL);
	util_test_hold(hold_path, stopped_b);
	return 0;
}

int heavy_reserve(size_t n)
{
	struct work *w = work_current();
	if (!w)
		return 0;
	return budget_reserve(&w->resv, n, wait_limit_ms, stopped_b);
}

void heavy_unreserve(void)
{
	struct work *w = work_current();
	if (w)
		budget_unreserve(&w->resv);
}

void heavy_leave(void)
{
	struct work *w = work_current();
	if (w)
		budget_unreserve(&w->resv);
	pthread_mutex_lock(&mu);
	if (running > 0)
		running--;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&mu);
}

void heavy_stats(struct heavy_stats *out)
{
	pthread_mutex_lock(&mu);
	out->running = running;
	out->waiting = waiting;
	out->max = max_running;
	out->admitted = admitted;
	out->refused = refused;
	pthread_mutex_unlock(&mu);
}
