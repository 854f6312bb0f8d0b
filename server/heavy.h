/*
 * heavy.h: admission control for heavy requests (views, diffs, leak
 * analyses): at most --max-heavy run at once; the others wait up to
 * --heavy-wait seconds for a slot and are then refused (503 busy with
 * Retry-After, route files).
 *
 * The memory account (budget.h) bounds what requests hold; this bounds
 * how many compete for the CPU at once, so that a burst of expensive
 * views queues briefly and then is told to come back, instead of every
 * one of them running slowly into its time budget.
 *
 * Invariants: at most max requests are admitted at once; every
 * heavy_enter that answered 0 is matched by one heavy_leave; a waiting
 * request stops waiting when its work is stopped (work.h: the client went
 * away, the server is stopping) and is then not admitted; waiters are
 * admitted in no particular order.
 *
 * Memory (budget.h's reservations): an admitted request takes a place in
 * the order of reservations (the oldest may wait for memory beyond its
 * reservation; the younger ones give way), and may reserve its estimate
 * with heavy_reserve, waiting up to --heavy-wait for it; heavy_leave
 * gives back what is left of it.
 *
 * A test-only hook: when the environment variable
 * FLAMEDEX_TEST_HEAVY_HOLD names a file that exists, every admitted
 * request creates NAME.held and waits (holding its slot) until NAME is
 * removed or its work is stopped, then removes NAME.held. Tests use it to
 * hold a slot without timing; unset, it costs one branch.
 */
#ifndef FDX_HEAVY_H
#define FDX_HEAVY_H

#include <stddef.h>

/* At most max at once (0: no limit); wait_ms at most for a slot. */
void heavy_init(unsigned max, unsigned wait_ms);
/* 0: admitted (call heavy_leave when done); -1: refused. */
int heavy_enter(void);
void heavy_leave(void);
/* Reserve n bytes (nothing when n is more than --max-inflight) for the current admitted
 * request, waiting up to --heavy-wait (budget_reserve). 0: reserved (or
 * no current work); -1: no room in time, nothing reserved: answer 503
 * busy with Retry-After. */
int heavy_reserve(size_t n);
/* Give back the current request's reservation now, before heavy_leave
 * (its answer is computed: what is left of the estimate is not needed for
 * the reply, which reply.c counts on its own). */
void heavy_unreserve(void);

struct heavy_stats {
	unsigned running, waiting, max;
	unsigned long long admitted, refused;
};
void heavy_stats(struct heavy_stats *out);

#endif
