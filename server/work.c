/*
 * work.c: work budgets and stopping (see work.h).
 */
#include "work.h"

#include <stddef.h>

#include "util.h"

static _Thread_local struct work *current;

void work_begin(struct work *w, int64_t budget_ms)
{
	atomic_store(&w->stop, WORK_OK);
	w->deadline_ms = budget_ms > 0 ? (int64_t)util_mono_ms() + budget_ms : 0;
	w->polls = 0;
	current = w;
}

void work_end(struct work *w)
{
	if (current == w)
		current = NULL;
}

struct work *work_current(void)
{
	return current;
}

int work_poll(void)
{
	struct work *w = current;
	if (!w)
		return WORK_OK;
	int s = atomic_load_explicit(&w->stop, memory_order_relaxed);
	if (s != WORK_OK)
		return s;
	if (w->deadline_ms && ++w->polls >= WORK_CLOCK_EVERY) {
		w->polls = 0;
		if ((int64_t)util_mono_ms() >= w->deadline_ms) {
			work_stop(w, WORK_DEADLINE);
			return atomic_load(&w->stop);
		}
	}
	return WORK_OK;
}

void work_stop(struct work *w, int why)
{
	int expected = WORK_OK;
	if (why != WORK_OK)
		atomic_compare_exchange_strong(&w->stop, &expected, why);
}

const char *work_reason(int why)
{
	switch (why) {
	case WORK_OK: return "not stopped";
	case WORK_CANCELLED: return "the client went away";
	case WORK_SHUTDOWN: return "the server is stopping";
	case WORK_DEADLINE: return "the request's time budget is spent";
	case WORK_NOMEM: return "the request's memory budget is spent";
	}
	return "stopped";
}
