/*
 * hash.c: open-addressing hash tables (see hash.h). Linear probing,
 * load factor kept under 1/2.
 */
#include "hash.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT64_MAX

static size_t pow2_for(size_t hint)
{
	size_t cap = 16;
	while (cap < hint * 2 + 2)
		cap *= 2;
	return cap;
}

int u64map_init(struct u64map *m, size_t hint)
{
	m->cap = pow2_for(hint);
	m->len = 0;
	m->keys = malloc(m->cap * sizeof(*m->keys));
	m->vals = malloc(m->cap * sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		u64map_release(m);
		return -1;
	}
	memset(m->keys, 0xff, m->cap * sizeof(*m->keys));
	return 0;
}

void u64map_release(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->len = 0;
}

static int u64map_rehash(struct u64map *m)
{
	struct u64map n;
	if (u64map_init(&n, m->cap) < 0)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == EMPTY)
			continue;
		size_t j = hash_mix64(m->keys[i]) & (n.cap - 1);
		while (n.keys[j] != EMPTY)
			j = (j + 1) & (n.cap - 1);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	n.len = m->len;
	u64map_release(m);
	*m = n;
	return 0;
}

uint32_t *u64map_put(struct u64map *m, uint64_t key, int *inserted)
{
	if ((m->len + 1) * 2 > m->cap && u64map_rehash(m) < 0)
		return NULL;
	size_t j = hash_mix64(key) & (m->cap - 1);
	while (m->keys[j] != EMPTY) {
		if (m->keys[j] == key) {
			*inserted = 0;
			return &m->vals[j];
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->len++;
	*inserted = 1;
	return &m->vals[j];
}

uint32_t *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	size_t j = hash_mix64(key) & (m->cap - 1);
	while (m->keys[j] != EMPTY) {
		if (m->keys[j] == key)
			return &m->vals[j];
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

uint64_t hash_bytes(const void *p, size_t n)
{
	/* FNV-1a, finished with a mixer. */
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return hash_mix64(h ^ n);
}

int strmap_init(struct strmap *m, size_t hint)
{
	m->cap = pow2_for(hint);
	m->len = 0;
	m->strs = calloc(m->cap, sizeof(*m->strs));
	m->lens = malloc(m->cap * sizeof(*m->lens));
	m->ids = malloc(m->cap * sizeof(*m->ids));
	if (!m->strs || !m->lens || !m->ids) {
		strmap_release(m);
		return -1;
	}
	return 0;
}

void strmap_release(struct strmap *m)
{
	free(m->strs);
	free(m->lens);
	free(m->ids);
	m->strs = NULL;
	m->lens = NULL;
	m->ids = NULL;
	m->cap = m->len = 0;
}

static int strmap_rehash(struct strmap *m)
{
	struct strmap n;
	if (strmap_init(&n, m->cap) < 0)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->strs[i])
			continue;
		size_t j = hash_bytes(m->strs[i], m->lens[i]) & (n.cap - 1);
		while (n.strs[j])
			j = (j + 1) & (n.cap - 1);
		n.strs[j] = m->strs[i];
		n.lens[j] = m->lens[i];
		n.ids[j] = m->ids[i];
	}
	n.len = m->len;
	strmap_release(m);
	*m = n;
	return 0;
}

uint32_t strmap_intern(struct strmap *m, const char *s, uint32_t len, uint32_t next_id, int *inserted)
{
	if ((m->len + 1) * 2 > m->cap && strmap_rehash(m) < 0)
		return UINT32_MAX;
	size_t j = hash_bytes(s, len) & (m->cap - 1);
	while (m->strs[j]) {
		if (m->lens[j] == len && memcmp(m->strs[j], s, len) == 0) {
			*inserted = 0;
			return m->ids[j];
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->strs[j] = s;
	m->lens[j] = len;
	m->ids[j] = next_id;
	m->len++;
	*inserted = 1;
	return next_id;
}
