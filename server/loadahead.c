/*
 * loadahead.c: profiles loaded ahead of their use (see loadahead.h).
 *
 * One mutex and one condition variable: helpers wait for room in the
 * window (or the stop), the caller for the profile it takes next; each
 * side broadcasts after a change. The loaded profiles sit in a ring of
 * `window` slots, id i in slot i % window (i is in [next_take,
 * next_take + window) while it is loaded or waits).
 */
#include "loadahead.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "store.h"
#include "work.h"

#define LA_MAX_THREADS 4

struct slot {
	struct prof *p;
	int status;
	bool ready;
};

struct loadahead;

struct helper {
	pthread_t th;
	bool started;
	bool live;            /* w is begun and may be stopped (under mu) */
	struct work w;
	struct loadahead *la;
};

struct loadahead {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char (*ids)[23];
	int n, window;
	int next_load, next_take;
	bool stop;
	struct slot *ring;
	int nthreads;
	struct helper h[LA_MAX_THREADS];
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	struct loadahead *la = h->la;
	work_begin(&h->w, 0);
	h->w.max_units = 0; /* the caller's budgets stop it (loadahead.h) */
	pthread_mutex_lock(&la->mu);
	h->live = true;
	for (;;) {
		while (!la->stop && !(la->next_load < la->n && la->next_load < la->next_take + la->window))
			pthread_cond_wait(&la->cv, &la->mu);
		if (la->stop)
			break;
		int i = la->next_load++;
		pthread_mutex_unlock(&la->mu);
		int st = 0;
		struct prof *p = store_get(la->ids[i], &st);
		pthread_mutex_lock(&la->mu);
		struct slot *s = &la->ring[i % la->window];
		s->p = p;
		s->status = p ? 0 : st;
		s->ready = true;
		pthread_cond_broadcast(&la->cv);
	}
	h->live = false;
	pthread_mutex_unlock(&la->mu);
	work_end(&h->w);
	return NULL;
}

/* Under mu: stop every helper (why: their works' reason). */
static void stop_locked(struct loadahead *la, int why)
{
	la->stop = true;
	for (int k = 0; k < la->nthreads; k++)
		if (la->h[k].live)
			work_stop(&la->h[k].w, why);
	pthread_cond_broadcast(&la->cv);
}

struct loadahead *loadahead_start(const char (*ids)[23], int n, int threads, int window)
{
	struct work *cur = work_current();
	if (cur && cur->max_units)
		threads = 0;
	if (threads > LA_MAX_THREADS)
		threads = LA_MAX_THREADS;
	if (threads > n - 1)
		threads = n - 1;
	if (threads < 0)
		threads = 0;
	if (window < threads + 1)
		window = threads + 1;
	struct loadahead *la = calloc(1, sizeof(*la));
	if (!la)
		return NULL;
	la->ring = calloc((size_t)window, sizeof(*la->ring));
	if (!la->ring) {
		free(la);
		return NULL;
	}
	pthread_mutex_init(&la->mu, NULL);
	pthread_cond_init(&la->cv, NULL);
	la->ids = ids;
	la->n = n;
	la->window = window;
	for (int k = 0; k < threads; k++) {
		la->h[k].la = la;
		if (pthread_create(&la->h[k].th, NULL, helper_main, &la->h[k]) != 0)
			break;
		la->h[k].started = true;
		la->nthreads = k + 1;
	}
	return la;
}

struct prof *loadahead_next(struct loadahead *la, int *status)
{
	*status = 0;
	if (la->next_take >= la->n) {
		*status = 500;
		return NULL;
	}
	if (la->nthreads == 0) {
		struct prof *p = store_get(la->ids[la->next_take++], status);
		return p;
	}
	pthread_mutex_lock(&la->mu);
	struct slot *s = &la->ring[la->next_take % la->window];
	while (!s->ready) {
		int why = work_poll();
		if (why != WORK_OK) {
			stop_locked(la, why);
			pthread_mutex_unlock(&la->mu);
			*status = 503;
			return NULL;
		}
		/* wake now and then to poll the caller's work */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		int rc = pthread_cond_timedwait(&la->cv, &la->mu, &ts);
		(void)rc;
	}
	struct prof *p = s->p;
	*status = s->status;
	s->p = NULL;
	s->ready = false;
	la->next_take++;
	pthread_cond_broadcast(&la->cv);
	pthread_mutex_unlock(&la->mu);
	return p;
}

void loadahead_end(struct loadahead *la)
{
	if (!la)
		return;
	pthread_mutex_lock(&la->mu);
	/* loads nobody will take are abandoned (a waiter on the same id in
	 * the cache loads it again itself, cache.h) */
	stop_locked(la, WORK_CANCELLED);
	pthread_mutex_unlock(&la->mu);
	for (int k = 0; k < la->nthreads; k++)
		if (la->h[k].started)
			pthread_join(la->h[k].th, NULL);
	for (int i = 0; i < la->window; i++)
		if (la->ring[i].ready)
			store_release(la->ring[i].p);
	pthread_cond_destroy(&la->cv);
	pthread_mutex_destroy(&la->mu);
	free(la->ring);
	free(la);
}
