/*
 * respcache.c: response bodies by key, LRU, bounded (see respcache.h).
 *
 * A chained hash table of entries that are also on one doubly-linked
 * list, most recently used first; eviction takes from the tail.
 */
#include "respcache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct entry {
	struct entry *hnext;          /* hash chain */
	struct entry *prev, *next;    /* LRU list */
	uint64_t h;
	size_t klen, len;
	char *key;                    /* klen + 1 bytes */
	char *data;                   /* len bytes */
};

#define NBUCKETS 1024u

struct respcache {
	pthread_mutex_t mu;
	size_t max_bytes, max_entry, bytes;
	unsigned entries;
	unsigned long long hits, misses;
	struct entry *head, *tail;
	struct entry *bucket[NBUCKETS];
};

static size_t entry_bytes(const struct entry *e)
{
	return sizeof(*e) + e->klen + 1 + e->len;
}

struct respcache *respcache_new(size_t max_bytes, size_t max_entry)
{
	struct respcache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->max_bytes = max_bytes;
	c->max_entry = max_entry < max_bytes ? max_entry : max_bytes;
	return c;
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e->data);
	free(e);
}

void respcache_free(struct respcache *c)
{
	if (!c)
		return;
	for (struct entry *e = c->head, *n; e; e = n) {
		n = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void lru_unlink(struct respcache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct respcache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

/* The slot that points at key's entry (or at the NULL ending its chain). */
static struct entry **find(struct respcache *c, const char *key, size_t klen, uint64_t h)
{
	struct entry **pp = &c->bucket[h & (NBUCKETS - 1)];
	while (*pp && !((*pp)->h == h && (*pp)->klen == klen && !memcmp((*pp)->key, key, klen)))
		pp = &(*pp)->hnext;
	return pp;
}

/* Take e out of the table and the list, and free it. */
static void drop(struct respcache *c, struct entry **pp)
{
	struct entry *e = *pp;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->bytes -= entry_bytes(e);
	c->entries--;
	entry_free(e);
}

bool respcache_get(struct respcache *c, const char *key, struct buf *out)
{
	size_t klen = strlen(key);
	uint64_t h = hash_bytes(key, klen);
	pthread_mutex_lock(&c->mu);
	struct entry *e = *find(c, key, klen, h);
	if (e) {
		c->hits++;
		lru_unlink(c, e);
		lru_push(c, e);
		buf_add(out, e->data, e->len);
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->mu);
	return e != NULL;
}

void respcache_put(struct respcache *c, const char *key, const void *data, size_t len)
{
	size_t klen = strlen(key);
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->klen = klen;
	e->len = len;
	if (entry_bytes(e) > c->max_entry || !(e->key = malloc(klen + 1)) || !(e->data = malloc(len ? len : 1))) {
		entry_free(e);
		return;
	}
	memcpy(e->key, key, klen + 1);
	memcpy(e->data, data, len);
	e->h = hash_bytes(key, klen);
	pthread_mutex_lock(&c->mu);
	struct entry **pp = find(c, key, klen, e->h);
	if (*pp)
		drop(c, pp);
	while (c->tail && c->bytes + entry_bytes(e) > c->max_bytes) {
		struct entry *old = c->tail;
		drop(c, find(c, old->key, old->klen, old->h));
	}
	pp = &c->bucket[e->h & (NBUCKETS - 1)];
	e->hnext = *pp;
	*pp = e;
	lru_push(c, e);
	c->bytes += entry_bytes(e);
	c->entries++;
	pthread_mutex_unlock(&c->mu);
}

void respcache_stats(struct respcache *c, struct respcache_stats *out)
{
	pthread_mutex_lock(&c->mu);
	out->bytes = c->bytes;
	out->max_bytes = c->max_bytes;
	out->entries = c->entries;
	out->hits = c->hits;
	out->misses = c->misses;
	pthread_mutex_unlock(&c->mu);
}
