/*
 * cache.c: the decoded-profile cache (see cache.h).
 *
 * One list holds every profile in memory: the cached ones (findable by id,
 * counted in bytes), the ones still held after eviction or deletion or too
 * big to cache (counted in the memory account, budget.h), and the ones
 * being loaded (a placeholder others wait on). The list is short (a
 * budget's worth of profiles plus those in flight), so lookups and
 * eviction scan it.
 */
#include "cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "prof.h"
#include "util.h"
#include "work.h"

struct centry {
	char id[FDX_ID_LEN + 1];
	struct prof *p;      /* NULL while loading */
	size_t bytes;
	size_t charged;      /* bytes counted in the memory account (uncached, held) */
	uint64_t used;       /* cache clock at the last get or put */
	int refs;
	bool cached;
	bool forgotten;      /* deleted: never handed out again */
	bool loading;
	struct centry *next;
};

struct cache {
	pthread_mutex_t mu;
	pthread_cond_t loaded;   /* a load finished (or failed) */
	struct centry *entries;
	size_t bytes, max;
	uint64_t clock;
	unsigned long long loads, shared;
	unsigned long long get_hits, get_misses;
	unsigned waiting;        /* cache_load calls waiting for a load */
};

struct cache *cache_new(size_t max_bytes)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->loaded, NULL);
	c->max = max_bytes;
	return c;
}

/* With mu held: count an uncached entry's bytes in the memory account
 * (or stop counting them). */
static void charge(struct centry *e)
{
	if (!e->cached && !e->loading && e->refs > 0 && e->charged != e->bytes) {
		if (e->bytes > e->charged)
			budget_force(e->bytes - e->charged);
		else
			budget_give(e->charged - e->bytes);
		e->charged = e->bytes;
	}
}

/* With mu held: free the entries nobody holds and nobody can find. */
static void sweep(struct cache *c)
{
	for (struct centry **e = &c->entries; *e;) {
		struct centry *v = *e;
		if (!v->cached && v->refs == 0 && !v->loading) {
			*e = v->next;
			budget_give(v->charged);
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
		charge(e);
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

/* With mu held: an entry of id that cache_load may share: cached, or held
 * and not deleted, or being loaded; the cached one first. */
static struct centry *find_live(struct cache *c, const char *id)
{
	struct centry *e = find(c, id);
	if (e)
		return e;
	for (e = c->entries; e; e = e->next)
		if (!e->forgotten && (e->refs > 0 || e->loading) && strcmp(e->id, id) == 0)
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
		e->loading = false;
	}
	sweep(c);
	pthread_mutex_unlock(&c->mu);
	pthread_cond_destroy(&c->loaded);
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
		c->get_hits++;
	} else {
		c->get_misses++;
	}
	pthread_mutex_unlock(&c->mu);
	return p;
}

/* The bytes of p now, its name tree included once built. */
static size_t measure(struct prof *p)
{
	pthread_mutex_lock(&p->lazy_mu);
	size_t n = prof_mem_bytes(p);
	pthread_mutex_unlock(&p->lazy_mu);
	return n;
}

/* With mu held: n (bytes n->bytes, held once) joins the cache when it
 * fits and nothing else cached has its id; else it is counted in the
 * memory account, with work_draw (the loading request's reservation
 * first) when take is set (false: nothing
 * changed, the caller frees it), else budget_force. */
static bool place(struct cache *c, struct centry *n, bool take)
{
	if (!n->forgotten && !find(c, n->id) && n->bytes <= c->max) {
		evict_to(c, c->max - n->bytes);
		n->cached = true;
		n->used = ++c->clock;
		c->bytes += n->bytes;
		return true;
	}
	if (take) {
		if (!work_draw(n->bytes))
			return false;
		n->charged = n->bytes;
	}
	charge(n);
	return true;
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
	n->bytes = measure(p);
	n->refs = 1;
	pthread_mutex_lock(&c->mu);
	place(c, n, false);
	n->next = c->entries;
	c->entries = n;
	sweep(c);
	pthread_mutex_unlock(&c->mu);
	return p;
}

/* With mu held: wait up to 50 ms for a load to finish. */
static void wait_loaded(struct cache *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&c->loaded, &c->mu, &ts);
}

struct prof *cache_load(struct cache *c, const char *id, cache_loader load, void *ctx, int *status)
{
	if (strlen(id) > FDX_ID_LEN) {
		*status = 404;
		return NULL;
	}
	pthread_mutex_lock(&c->mu);
	struct centry *e;
	while ((e = find_live(c, id)) && e->loading) {
		if (work_poll() != WORK_OK) {
			pthread_mutex_unlock(&c->mu);
			*status = 503;
			return NULL;
		}
		c->waiting++;
		wait_loaded(c);
		c->waiting--;
	}
	if (e) {
		e->used = ++c->clock;
		e->refs++;
		c->shared++;
		struct prof *p = e->p;
		pthread_mutex_unlock(&c->mu);
		return p;
	}
	struct centry *n = calloc(1, sizeof(*n));
	if (!n) {
		pthread_mutex_unlock(&c->mu);
		*status = 500;
		return NULL;
	}
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->loading = true;
	n->refs = 1;
	n->next = c->entries;
	c->entries = n;
	c->loads++;
	pthread_mutex_unlock(&c->mu);

	struct prof *p = load(ctx, id, status);
	size_t bytes = p ? measure(p) : 0;

	pthread_mutex_lock(&c->mu);
	n->loading = false;
	n->p = p;
	n->bytes = bytes;
	if (p && !place(c, n, true)) {
		/* Too big to cache and no room in the memory account. */
		work_stop(work_current(), WORK_NOMEM);
		*status = 503;
		p = NULL;
	}
	if (!p)
		n->refs = 0; /* swept below; waiters load again themselves */
	sweep(c);
	pthread_cond_broadcast(&c->loaded);
	pthread_mutex_unlock(&c->mu);
	return p;
}

void cache_release(struct cache *c, struct prof *p)
{
	if (!p)
		return;
	size_t now = measure(p); /* a name tree may have been built meanwhile */
	pthread_mutex_lock(&c->mu);
	for (struct centry *e = c->entries; e; e = e->next) {
		if (e->p != p)
			continue;
		if (now != e->bytes) {
			if (e->cached) {
				c->bytes = c->bytes - e->bytes + now;
				e->bytes = now;
				if (now > c->max)
					uncache(c, e);
				else
					evict_to(c, c->max);
			} else {
				e->bytes = now;
				charge(e);
			}
		}
		if (e->refs > 0)
			e->refs--;
		if (e->refs == 0 && e->charged) {
			budget_give(e->charged); /* unheld: freed by the sweep, or cached */
			e->charged = 0;
		}
		break;
	}
	sweep(c);
	pthread_mutex_unlock(&c->mu);
}

void cache_forget(struct cache *c, const char *id)
{
	pthread_mutex_lock(&c->mu);
	for (struct centry *e = c->entries; e; e = e->next) {
		if (strcmp(e->id, id) == 0) {
			uncache(c, e);
			e->forgotten = true;
		}
	}
	sweep(c);
	pthread_mutex_unlock(&c->mu);
}

void cache_stats(struct cache *c, struct cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->mu);
	out->bytes = c->bytes;
	out->max_bytes = c->max;
	out->loads = c->loads;
	out->shared = c->shared;
	out->get_hits = c->get_hits;
	out->get_misses = c->get_misses;
	out->waiting = c->waiting;
	for (struct centry *e = c->entries; e; e = e->next) {
		if (e->loading)
			continue;
		out->entries++;
		out->cached += e->cached;
		out->held += e->refs > 0;
	}
	pthread_mutex_unlock(&c->mu);
}
