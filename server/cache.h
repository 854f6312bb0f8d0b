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
 *    whole budget is never cached: its caller gets it, nobody else finds
 *    it, and it is freed at its last release; inserting it evicts nothing.
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
/* Give back a profile from cache_get or cache_put; NULL is ignored. */
void cache_release(struct cache *c, struct prof *p);
/* id was deleted: nobody finds it any more (see above). */
void cache_forget(struct cache *c, const char *id);

struct cache_stats {
	size_t bytes;      /* of the cached profiles, <= max_bytes */
	size_t max_bytes;
	unsigned cached;   /* profiles findable by id */
	unsigned held;     /* profiles with at least one holder, cached or not */
	unsigned entries;  /* profiles in memory: cached or held */
};
void cache_stats(struct cache *c, struct cache_stats *out);

#endif
