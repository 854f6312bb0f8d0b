/*
 * respcache.h: finished response bodies kept for a repeated request,
 * bounded in bytes, least recently used first out.
 *
 * A merged view (route_merge.c) is a pure function of the ordered list of
 * profile ids merged and of the view's parameters: stored profiles never
 * change, so its JSON answer can be kept under a key that names both
 * (selection.h's merge key, then the query) and sent again as it is. What
 * makes that safe is the key, not this module: a selection that loses a
 * profile resolves to another id list, hence another key, and a caller
 * checks that every id of an ids= list still exists before it uses a hit.
 *
 * Invariants:
 *   - the bodies kept never take more than max_bytes together (key and
 *     body bytes counted); a body above max_entry is not kept, and
 *     putting one evicts nothing;
 *   - respcache_get copies the body out (into a buf, charged to the
 *     current work as every buf is); nothing handed out refers to the
 *     cache, so eviction and release never race a reader;
 *   - a key is kept once: a put under a present key replaces its body;
 *   - every function is thread-safe (one mutex; copies are made under it,
 *     no I/O).
 * The cache's own bytes are counted against its budget only (a share of
 * --cache-bytes, docs/DESIGN.md), as the decoded-profile cache's are.
 */
#ifndef FDX_RESPCACHE_H
#define FDX_RESPCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct respcache;

/* NULL when out of memory. */
struct respcache *respcache_new(size_t max_bytes, size_t max_entry);
void respcache_free(struct respcache *c);
/* Append the body kept under key to out; true when there was one (out
 * may then have run out of memory: check out->oom). */
bool respcache_get(struct respcache *c, const char *key, struct buf *out);
/* Keep a copy of data[0, len) under key (silently not, when it does not
 * fit or memory is short). */
void respcache_put(struct respcache *c, const char *key, const void *data, size_t len);

struct respcache_stats {
	size_t bytes, max_bytes;
	unsigned entries;
	unsigned long long hits, misses;
};
void respcache_stats(struct respcache *c, struct respcache_stats *out);

#endif
