/*
 * pool.h: a fixed set of worker threads that run queued jobs in FIFO
 * order (the request handlers: http.c queues a request here once its body
 * is complete, so that libmicrohttpd's polling threads never block on
 * SQLite or a long view).
 *
 * Jobs are intrusive: the caller embeds a struct pool_job in its own
 * object, so queueing never allocates and never fails once the pool runs.
 *
 * Invariants:
 *   - at most the pool's thread count of jobs run at once; the others
 *     wait in the queue, oldest first;
 *   - a job queued is run exactly once, by one worker, unless
 *     pool_cancel takes it out first (pool_stop lets the queue empty);
 *   - the pool is global (one per process): pool_start once, pool_stop
 *     once.
 */
#ifndef FDX_POOL_H
#define FDX_POOL_H

#include <stdbool.h>
#include <stdint.h>

struct pool_job {
	void (*run)(struct pool_job *job); /* called on a worker thread */
	struct pool_job *next;             /* queue link (the pool's) */
};

/* Start n worker threads. 0, or -1 (and nothing runs) when a thread cannot
 * be created. */
int pool_start(unsigned n);

/* Queue job (job->run set by the caller). */
void pool_submit(struct pool_job *job);

/* Take job out of the queue if no worker has taken it yet. true when it
 * was removed (it will not run: the caller finishes it); false when it
 * runs or ran. */
bool pool_cancel(struct pool_job *job);

/* Wait until no job is queued or running, at most until the monotonic
 * time deadline_ms (util_mono_ms() scale). true when idle. */
bool pool_wait_idle(double deadline_ms);

/* Jobs queued or running now (for logs and tests of the stop path). */
unsigned pool_busy(void);

/* Let the workers finish the queue, then join them. */
void pool_stop(void);

#endif
