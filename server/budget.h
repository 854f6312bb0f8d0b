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
 * Invariants: budget_used() <= the limit except through budget_force
 * (memory already allocated that must be counted: the next requests are
 * refused instead); every take is given back exactly once.
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

struct budget_stats {
	size_t used, limit, peak;
	unsigned long long refused;   /* budget_take calls that did not fit */
};
void budget_stats(struct budget_stats *out);

#endif
