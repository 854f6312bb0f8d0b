/*
 * pool.c: worker threads and their FIFO queue (see pool.h).
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER; /* a job was queued, or stop */
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER; /* a job finished */
static struct pool_job *head, *tail;
static unsigned queued, running, n_threads;
static bool stopping;
static pthread_t *threads;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!head && !stopping)
			pthread_cond_wait(&work_cv, &lock);
		if (!head)
			break; /* stopping and the queue is empty */
		struct pool_job *job = head;
		head = job->next;
		if (!head)
			tail = NULL;
		queued--;
		running++;
		pthread_mutex_unlock(&lock);
		job->run(job);
		pthread_mutex_lock(&lock);
		running--;
		pthread_cond_broadcast(&idle_cv);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int pool_start(unsigned n)
{
	stopping = false;
	threads = calloc(n, sizeof(*threads));
	if (!threads)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&threads[i], NULL, worker, NULL) != 0) {
			pool_stop();
			return -1;
		}
		n_threads++;
	}
	return 0;
}

void pool_submit(struct pool_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&lock);
	if (tail)
		tail->next = job;
	else
		head = job;
	tail = job;
	queued++;
	pthread_cond_signal(&work_cv);
	pthread_mutex_unlock(&lock);
}

bool pool_cancel(struct pool_job *job)
{
	bool found = false;
	pthread_mutex_lock(&lock);
	for (struct pool_job **p = &head, *prev = NULL; *p; prev = *p, p = &(*p)->next) {
		if (*p != job)
			continue;
		*p = job->next;
		if (tail == job)
			tail = prev;
		queued--;
		found = true;
		pthread_cond_broadcast(&idle_cv);
		break;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

bool pool_wait_idle(double deadline_ms)
{
	pthread_mutex_lock(&lock);
	while (queued + running > 0) {
		double left = deadline_ms - util_mono_ms();
		if (left <= 0)
			break;
		if (left > 1000)
			left = 1000; /* wait in slices: any deadline, however far */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long long ns = (long long)ts.tv_nsec + (long long)(left * 1e6);
		ts.tv_sec += (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		int rc = pthread_cond_timedwait(&idle_cv, &lock, &ts);
		if (rc != 0 && rc != ETIMEDOUT)
			break;
	}
	bool idle = queued + running == 0;
	pthread_mutex_unlock(&lock);
	return idle;
}

unsigned pool_busy(void)
{
	pthread_mutex_lock(&lock);
	unsigned n = queued + running;
	pthread_mutex_unlock(&lock);
	return n;
}

void pool_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&lock);
	for (unsigned i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	threads = NULL;
	n_threads = 0;
}
