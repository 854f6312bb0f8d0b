/*
 * work.c: work budgets and stopping (see work.h).
 */
#include "work.h"

#include <stddef.h>

#include "budget.h"
#include "util.h"

static _Thread_local struct work *current;
static uint64_t default_units;

void work_set_max_units(uint64_t max_units)
{
	default_units = max_units;
}

void work_begin(struct work *w, int64_t budget_ms)
{
	atomic_store(&w->stop, WORK_OK);
	w->deadline_ms = budget_ms > 0 ? (int64_t)util_mono_ms() + budget_ms : 0;
	w->polls = 0;
	w->units = 0;
	w->max_units = default_units;
	w->over_units = false;
	w->charged = 0;
	w->resv = (struct budget_resv){ 0 };
	current = w;
}

void work_end(struct work *w)
{
	budget_give_for(&w->resv, w->charged);
	w->charged = 0;
	budget_unreserve(&w->resv);
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
	if (w->max_units && ++w->units > w->max_units) {
		w->over_units = true;
		work_stop(w, WORK_DEADLINE);
		return atomic_load(&w->stop);
	}
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

/* The current work was stopped (a wait in budget.c ends). */
static bool stopped(void)
{
	struct work *w = current;
	return w && atomic_load(&w->stop) != WORK_OK;
}

int work_charge(size_t n)
{
	struct work *w = current;
	if (!w || n == 0)
		return 0;
	if (!budget_take_for(&w->resv, n, true, stopped)) {
		work_stop(w, WORK_NOMEM);
		return -1;
	}
	w->charged += n;
	return 0;
}

bool work_draw(size_t n)
{
	struct work *w = current;
	if (!w)
		return budget_take(n);
	if (!budget_take_for(&w->resv, n, false, stopped)) {
		work_stop(w, WORK_NOMEM);
		return false;
	}
	return true;
}

void work_uncharge(size_t n)
{
	struct work *w = current;
	if (!w)
		return;
	if (n > w->charged)
		n = w->charged;
	w->charged -= n;
	budget_give_for(&w->resv, n);
}

int work_hold(struct work_held *h, size_t n)
{
	struct work *w = current;
	if (!w || n == 0)
		return 0;
	if (h->w != w) { /* made by another work (or none): start over */
		h->w = w;
		h->n = 0;
	}
	if (work_charge(n) < 0)
		return -1;
	h->n += n;
	return 0;
}

void work_unhold(struct work_held *h)
{
	if (h->w && h->w == current)
		work_uncharge(h->n);
	h->w = NULL;
	h->n = 0;
}

const char *work_reason(int why)
{
	switch (why) {
	case WORK_OK: return "not stopped";
	case WORK_CANCELLED: return "the client went away";
	case WORK_SHUTDOWN: return "the server is stopping";
	case WORK_DEADLINE: return "the request's time budget is spent";
	case WORK_NOMEM: return "the server's memory budget is spent";
	}
	return "stopped";
}
