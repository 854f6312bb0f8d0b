/*
 * cache.h: decoded profiles shared between requests, bounded in bytes.
 *
 * Decoding a stored profile costs far more than answering a view of it, so
 * decoded profiles are kept here, keyed by profile id, and handed to every
 * request that asks for the same id. A profile is immutable once it is in
 * the cache: requests only read it, from any number of threads at once.
 *
 * Invariants:
 *
 *  - Reference counts. Every profile handed out by cache_get or cache_put
 *    is held once by the caller, who gives it back with cache_release
 *    exactly once. A held profile is never freed, whatever else happens
 *    (eviction, cache_forget, a newer copy of the same id).
 *
 *  - The byte budget. A profile's size is prof_mem_bytes() at insertion.
 *    The profiles that can be found by id ("cached") together never take
 *    more than the budget given to cache_new. A profile bigger than the
 *    whole budget is never cached: its caller gets it, cache_get does not
 *    find it, and it is freed at its last release; inserting it evicts
 *    nothing. A profile's size is measured again at each release, so its
 *    name tree (built lazily by the first view, view.c) is counted once it
 *    exists.
 *
 *  - The memory account. A profile in memory but not cached (too big,
 *    evicted or deleted while held) is counted in the memory account
 *    (budget.h) until its last release: every decoded profile is in
 *    exactly one of --cache-bytes and --max-inflight.
 *
 *  - Single flight. cache_load decodes a profile at most once at a time:
 *    a request asking for an id that another request is loading waits for
 *    that load and shares its result, and a profile still held by anyone
 *    (even one too big to cache) is shared rather than decoded again. So
 *    N concurrent viewers of one profile cost one decode and one copy.
 *
 *  - Eviction. Inserting a profile that does not fit evicts the least
 *    recently used cached profiles (by the last cache_get or cache_put of
 *    each) until it does. An evicted profile can no longer be found; it is
 *    freed at once if nobody holds it, else at its last release. Bytes are
 *    counted for cached profiles only, so held-but-evicted profiles are
 *    memory the budget does not see (bounded by the requests in flight).
 *
 *  - Deletion while in use. cache_forget(id) makes id unfindable at once
 *    (a later cache_get is NULL, so the caller reloads from the store and
 *    sees the deletion); requests already holding the profile keep
 *    reading it safely until they release it.
 *
 *  - At most one cached profile per id. When two requests decode the same
 *    id at once, the second cache_put still hands back its own copy, held,
 *    but does not cache it; it is freed at its release.
 *
 * Every function is thread-safe (one mutex per cache; no call does I/O or
 * decoding while holding it).
 */
#ifndef FDX_CACHE_H
#define FDX_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct prof;
struct cache;

/* A cache holding at most max_bytes of profiles; NULL when out of memory. */
struct cache *cache_new(size_t max_bytes);
/* Free the cache and every profile in it. No profile may still be held. */
void cache_free(struct cache *c);

/* The cached profile of id, held; NULL when it is not cached. */
struct prof *cache_get(struct cache *c, const char *id);
/* Hand a freshly decoded p (of profile id) to the cache, which owns it
 * from now on; returns p, held once by the caller. NULL when out of
 * memory, and then p has been freed. */
struct prof *cache_put(struct cache *c, const char *id, struct prof *p);
/* Decode the profile of id (status: 404, 500, 503 on NULL). */
typedef struct prof *(*cache_loader)(void *ctx, const char *id, int *status);
/* The profile of id, held: shared when it is cached, held by another
 * request or being loaded by one (then this waits, polling work_poll());
 * else loaded with load(ctx, id, status) and handed to the cache as by
 * cache_put, except that a profile too big to cache must fit in the
 * memory account (else NULL with status 503 and the current work stopped
 * with WORK_NOMEM). NULL with *status set on failure (503 also when the
 * current work was stopped while waiting). */
struct prof *cache_load(struct cache *c, const char *id, cache_loader load, void *ctx, int *status);
/* Give back a profile from cache_get, cache_put or cache_load; NULL is ignored. */
void cache_release(struct cache *c, struct prof *p);
/* id was deleted: nobody finds it any more (see above). */
void cache_forget(struct cache *c, const char *id);

struct cache_stats {
	size_t bytes;      /* of the cached profiles, <= max_bytes */
	size_t max_bytes;
	unsigned cached;   /* profiles findable by id */
	unsigned held;     /* profiles with at least one holder, cached or not */
	unsigned entries;  /* profiles in memory: cached or held */
	unsigned long long loads;   /* cache_load calls that decoded */
	unsigned long long shared;  /* cache_load calls that shared a profile */
	unsigned waiting;           /* cache_load calls waiting for another's load */
	unsigned long long get_hits, get_misses;   /* cache_get calls that found, did not find */
};
void cache_stats(struct cache *c, struct cache_stats *out);

#endif
