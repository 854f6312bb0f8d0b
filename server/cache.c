/*
 * cache.c: the decoded-profile cache (see cache.h).
 *
 * One list holds every profile in memory: the cached ones (findable by id,
 * counted in bytes) and the ones still held after eviction or deletion.
 * The list is short (a budget's worth of profiles plus those in flight),
 * so lookups and eviction scan it.
 */
#include "cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prof.h"
#include "util.h"

struct centry {
	char id[FDX_ID_LEN + 1];
	struct prof *p;
	size_t bytes;
	uint64_t used;   /* cache clock at the last get or put */
	int refs;
	bool cached;
	struct centry *next;
};

struct cache {
	pthread_mutex_t mu;
	struct centry *entries;
	size_t bytes, max;
	uint64_t clock;
};

struct cache *cache_new(size_t max_bytes)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->max = max_bytes;
	return c;
}

/* With mu held: free the entries nobody holds and nobody can find. */
static void sweep(struct cache *c)
{
	for (struct centry **e = &c->entries; *e;) {
		struct centry *v = *e;
		if (!v->cached && v->refs == 0) {
			*e = v->next;
			prof_free(v->p);
			free(v);
		} else {
			e = &v->next;
		}
	}
}

static void uncache(struct cache *c, struct centry *e)
{
	if (e->cached) {
		e->cached = false;
		c->bytes -= e->bytes;
	}
}

/* With mu held: uncache least recently used entries until at most
 * budget bytes are cached. */
static void evict_to(struct cache *c, size_t budget)
{
	while (c->bytes > budget) {
		struct centry *oldest = NULL;
		for (struct centry *e = c->entries; e; e = e->next)
			if (e->cached && (!oldest || e->used < oldest->used))
				oldest = e;
		if (!oldest)
			break;
		uncache(c, oldest);
	}
}

/* With mu held: the cached entry of id, or NULL. */
static struct centry *find(struct cache *c, const char *id)
{
	for (struct centry *e = c->entries; e; e = e->next)
		if (e->cached && strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	for (struct centry *e = c->entries; e; e = e->next) {
		uncache(c, e);
		e->refs = 0;
	}
	sweep(c);
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct prof *cache_get(struct cache *c, const char *id)
{
	struct prof *p = NULL;
	pthread_mutex_lock(&c->mu);
	struct centry *e = find(c, id);
	if (e) {
		e->used = ++c->clock;
		e->refs++;
		p = e->p;
	}
	pthread_mutex_unlock(&c->mu);
	return p;
}

struct prof *cache_put(struct cache *c, const char *id, struct prof *p)
{
	struct centry *n = calloc(1, sizeof(*n));
	if (!n || strlen(id) > FDX_ID_LEN) {
		free(n);
		prof_free(p);
		return NULL;
	}
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->p = p;
	n->bytes = prof_mem_bytes(p);
	n->refs = 1;
	pthread_mutex_lock(&c->mu);
	if (!find(c, id) && n->bytes <= c->max) {
		evict_to(c, c->max - n->bytes);
		n->cached = true;
		n->used = ++c->clock;
		c->bytes += n->bytes;
	}
	n->next = c->entries;
	c->entries = n;
	sweep(c);
	pthread_mutex_unlock(&c->mu);
	return p;
}

void cache_release(struct cache *c, struct prof *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&c->mu);
	for (struct centry *e = c->entries; e; e = e->next) {
		if (e->p == p) {
			if (e->refs > 0)
				e->refs--;
			break;
		}
	}
	sweep(c);
	pthread_mutex_unlock(&c->mu);
}

void cache_forget(struct cache *c, const char *id)
{
	pthread_mutex_lock(&c->mu);
	struct centry *e = find(c, id);
	if (e)
		uncache(c, e);
	sweep(c);
	pthread_mutex_unlock(&c->mu);
}

void cache_stats(struct cache *c, struct cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->mu);
	out->bytes = c->bytes;
	out->max_bytes = c->max;
	for (struct centry *e = c->entries; e; e = e->next) {
		out->entries++;
		out->cached += e->cached;
		out->held += e->refs > 0;
	}
	pthread_mutex_unlock(&c->mu);
}
