/*
 * budget.h: the memory account: bytes that all requests together may hold
 * at once, against one global budget (--max-inflight).
 *
 * Each request is capped on its own (--max-body, --max-inflated, the
 * entity limits), but sixty-four hostile requests at their caps would
 * still exhaust memory. So everything a request holds beyond a few
 * kilobytes is charged here before (or as) it is held, and given back
 * when it is freed:
 *
 *   - upload bodies, as they arrive (http.c), and inflated bytes (ingest.c):
 *     refused with 429 busy when they do not fit;
 *   - the working memory of a handler (work.h's work_charge): stored blobs
 *     being decoded, view arrays, private name trees, JSON being written
 *     (struct buf charges its growth to the current work): refused by
 *     stopping the work with WORK_NOMEM, answered 503 busy + Retry-After;
 *   - decoded profiles that are held but not counted in the cache
 *     (--cache-bytes): too big for it, or evicted while still in use
 *     (cache.c charges them with budget_force);
 *   - response bodies until libmicrohttpd has sent and freed them
 *     (reply.c), so slow readers of big replies are counted.
 *
 * The decoded-profile cache is the other bound (cache.h): the server holds
 * at most --cache-bytes of cached profiles and their name trees plus
 * --max-inflight of everything else, plus a baseline (code, SQLite's page
 * cache, per-connection buffers).
 *
 * Reservations (heavy.c): requests that grow side by side would all reach
 * the limit at the same moment and all be refused, although each fits
 * alone. So a heavy request holds a reservation (struct budget_resv): its
 * estimate, set aside in the account when it is admitted (the oldest
 * waiting reservation first, others wait behind it, up to --heavy-wait);
 * its charges come out of the reservation first, and what it gives back
 * returns to it (up to the amount reserved). Only a charge beyond the
 * reservation competes for the rest of the account, and there the oldest
 * reservation of an estimate wins (requests that reserved nothing, such
 * as views, never wait): when it does not fit, the oldest request waits for
 * memory (up to its wait bound) while every younger one is refused at
 * once and unwinds, giving its bytes back. So of N requests that each fit
 * alone, at least one always finishes; with good estimates all do, one
 * after another.
 *
 * Invariants: budget_used() <= the limit except through budget_force
 * (memory already allocated that must be counted: the next requests are
 * refused instead); every take is given back exactly once; a reservation's
 * unused bytes (left) are counted in used and given back by
 * budget_unreserve; only the oldest active reservation ever waits inside
 * budget_take_for (the oldest not itself waiting to reserve), so waiting
 * never deadlocks (the younger ones never
 * wait there, they fail and give back).
 */
#ifndef FDX_BUDGET_H
#define FDX_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

void budget_init(size_t limit);
/* Reserve n bytes; false (nothing reserved) when they do not fit. */
bool budget_take(size_t n);
/* Count n bytes that are held already, even beyond the limit. */
void budget_force(size_t n);
void budget_give(size_t n);

/* A reservation (zero it to start: all zeros is "none"). Owned by one
 * thread (the request's); budget.c links it into the active list. */
struct budget_resv {
	size_t left;      /* reserved, counted in used, not yet charged */
	size_t cap;       /* bytes reserved: what is given back returns up to this */
	size_t held;      /* bytes counted for this request: reserved + beyond */
	unsigned long long seq;  /* admission order (1, 2, ...); 0: not active */
	unsigned wait_ms; /* how long its charges beyond may wait (oldest only) */
	bool queued;      /* waiting in budget_reserve for more (under budget.c's lock) */
	bool sized;       /* it reserved an estimate (n > 0) */
	struct budget_resv *prev, *next;
};
/* Make rv active with n bytes reserved (n more than the whole limit:
 * nothing is reserved, the request competes for the account),
 * waiting up to wait_ms for them, in order of arrival, while stopped()
 * (may be NULL) says no. Calling it again on an active rv adds n more
 * (waiting the same way). 0: reserved; -1: nothing changed (no room in
 * time, or stopped). wait_ms also bounds later waits in budget_take_for. */
int budget_reserve(struct budget_resv *rv, size_t n, unsigned wait_ms, bool (*stopped)(void));
/* Give back what rv still holds unused and make it inactive (nothing when
 * it is not active). */
void budget_unreserve(struct budget_resv *rv);
/* Take n bytes for the holder of rv (rv NULL or inactive: budget_take):
 * from its reservation first, the rest from the account; when that does
 * not fit and rv is the oldest active reservation of an estimate (and the request could
 * fit alone), wait for memory up to rv->wait_ms while stopped() says no.
 * With keep, bytes given back later with budget_give_for return to rv;
 * without, they are someone else's to give back (budget_give). */
bool budget_take_for(struct budget_resv *rv, size_t n, bool keep, bool (*stopped)(void));
/* Give back n bytes taken with budget_take_for(rv, n, true). */
void budget_give_for(struct budget_resv *rv, size_t n);

struct budget_stats {
	size_t used, limit, peak;
	unsigned long long refused;   /* budget_take calls that did not fit */
	unsigned long long reserved;  /* reservations made */
	unsigned long long waited;    /* reservations and charges that had to wait */
	unsigned reserving;           /* reservations waiting now */
};
void budget_stats(struct budget_stats *out);

#endif
