/*
 * heavy.c: admission control for heavy requests (see heavy.h).
 */
#include "heavy.h"

#include <pthread.h>
#include <time.h>

#include "util.h"
#include "work.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static unsigned max_running, wait_limit_ms, running, waiting;
static unsigned long long admitted, refused;

void heavy_init(unsigned max, unsigned wait_ms)
{
	pthread_mutex_lock(&mu);
	max_running = max;
	wait_limit_ms = wait_ms;
	pthread_mutex_unlock(&mu);
}

/* The current work was stopped (read without counting a work unit). */
static int stopped(void)
{
	struct work *w = work_current();
	return w && atomic_load(&w->stop) != WORK_OK;
}

int heavy_enter(void)
{
	pthread_mutex_lock(&mu);
	double until = util_mono_ms() + wait_limit_ms;
	waiting++;
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
	return ok ? 0 : -1;
}

void heavy_leave(void)
{
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
