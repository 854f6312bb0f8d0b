/*
 * work.h: what one unit of work (a request, an upload, a background job)
 * may spend, and the means to stop it from outside.
 *
 * A struct work is begun on the thread that does the work (work_begin),
 * which makes it that thread's current work; long loops anywhere below
 * (decoding, folding, emitting JSON, statistics) call work_poll() every
 * so often and unwind with an error when it says stop. Other threads stop
 * a work with work_stop(): the HTTP layer when the client hangs up or the
 * server is told to stop.
 *
 * Invariants:
 *   - work_poll() is cheap (an atomic load; the clock is read only every
 *     WORK_CLOCK_EVERY calls) and may be called with no current work
 *     (it then always answers WORK_OK);
 *   - once a work is stopped it stays stopped: every later work_poll()
 *     answers the same reason, so callers need not propagate the reason
 *     themselves, only "stop";
 *   - work_end() must be called on the thread that began the work, and
 *     clears that thread's current work; it gives back every byte still
 *     charged to the work (work_charge), so a work that unwinds early
 *     leaks nothing from the memory account (budget.h);
 *   - a work has two cost budgets: time (deadline_ms, --max-request-time)
 *     and work units (max_units, --max-request-work: one unit is one
 *     work_poll() call, so a unit budget stops a request at the same
 *     point on every machine); either spent answers WORK_DEADLINE, and
 *     over_units says which one;
 *   - the charges of a work are made and given back on its own thread;
 *     they come out of its reservation first (w->resv, budget.h) and
 *     return to it, and only the oldest reservation waits for memory.
 *
 * The reasons map to replies in one place (http.c): WORK_CANCELLED and
 * WORK_SHUTDOWN close the connection or answer 503; WORK_DEADLINE answers
 * 503 over_budget naming the limit; WORK_NOMEM answers 503 busy with
 * Retry-After.
 */
#ifndef FDX_WORK_H
#define FDX_WORK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h"

enum work_stop {
	WORK_OK = 0,
	WORK_CANCELLED,   /* the client went away */
	WORK_SHUTDOWN,    /* the server is stopping */
	WORK_DEADLINE,    /* the work's time budget is spent */
	WORK_NOMEM,       /* the work's memory budget is spent */
};

#define WORK_CLOCK_EVERY 1024

struct work {
	atomic_int stop;          /* enum work_stop */
	int64_t deadline_ms;      /* util_mono_ms() value; 0 = no deadline */
	unsigned polls;           /* calls since the clock was last read */
	uint64_t units;           /* work_poll() calls so far */
	uint64_t max_units;       /* 0 = no unit budget */
	bool over_units;          /* WORK_DEADLINE came from the unit budget */
	size_t charged;           /* bytes charged to the memory account */
	struct budget_resv resv;  /* its reservation (heavy.c), or none */
};

/* The unit budget every work begun from now on gets (0 = none). */
void work_set_max_units(uint64_t max_units);
/* Start w on this thread with a time budget of budget_ms (0 = none). */
void work_begin(struct work *w, int64_t budget_ms);
void work_end(struct work *w);
/* This thread's current work, or NULL. */
struct work *work_current(void);
/* WORK_OK to go on, or why the current work must stop. */
int work_poll(void);
/* Stop w for reason why (not WORK_OK); the first reason wins. Safe from
 * any thread while w is alive. */
void work_stop(struct work *w, int why);
/* Charge n bytes the current work is about to hold to the memory account
 * (budget.h). 0, or -1 when they do not fit: the work is then stopped
 * with WORK_NOMEM (and the caller unwinds). With no current work, 0 and
 * nothing is charged. */
int work_charge(size_t n);
/* Take n bytes for the current work that another owner gives back later
 * with budget_give (the decoded-profile cache): from its reservation
 * first, as work_charge; false (the work is then stopped with
 * WORK_NOMEM) when they do not fit. With no current work, budget_take. */
bool work_draw(size_t n);
/* Give back n bytes charged to the current work (at most what it has
 * charged; with no current work, nothing). */
void work_uncharge(size_t n);
/* Bytes a structure (a buffer, a tree) holds, charged to the work that
 * made it: zero it to start; work_hold charges n more to the current work
 * (0, or -1 as work_charge); work_unhold gives everything back, but only
 * on the thread of that same work (elsewhere the work has given them back
 * at its end, or will). */
struct work_held {
	struct work *w;
	size_t n;
};
int work_hold(struct work_held *h, size_t n);
void work_unhold(struct work_held *h);
/* Human text for a reason ("the client went away", ...). */
const char *work_reason(int why);

#endif
