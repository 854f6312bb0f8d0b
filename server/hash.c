/*
 * hash.c: open-addressing hash tables (see hash.h), linear probing.
 *
 * u64map: u64map_init(hint) sizes the table so that hint keys fit at
 * load 3/4 (cap = hint * 4/3 + 16); an insert that would pass 3/4
 * rehashes with hint cap * 3/2, which doubles the capacity (2 cap + 16).
 * strmap: capacity a power of two, at least 2 hint + 2; an insert that
 * would pass load 1/2 rehashes with hint cap, which quadruples it.
 */
#include "hash.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define EMPTY UINT64_MAX

static size_t pow2_for(size_t hint)
{
	size_t cap = 16;
	while (cap < hint * 2 + 2)
		cap *= 2;
	return cap;
}

static inline uint64_t slot_key(const struct u64slot *s)
{
	return (uint64_t)s->khi << 32 | s->klo;
}

/* Map a hash onto [0, cap) without division (Lemire's fastrange). */
static inline size_t slot_of(uint64_t h, size_t cap)
{
	return (size_t)(((__uint128_t)h * cap) >> 64);
}

int u64map_init(struct u64map *m, size_t hint)
{
	m->cap = hint * 4 / 3 + 16;
	m->len = 0;
	m->has_max = 0;
	m->slots = malloc(m->cap * sizeof(*m->slots));
	if (!m->slots) {
		m->cap = 0;
		return -1;
	}
	util_advise_huge(m->slots, m->cap * sizeof(*m->slots));   /* before the first touch */
	memset(m->slots, 0xff, m->cap * sizeof(*m->slots));
	return 0;
}

void u64map_release(struct u64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

static int u64map_rehash(struct u64map *m)
{
	struct u64map n;
	if (u64map_init(&n, m->cap + m->cap / 2) < 0)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		uint64_t k = slot_key(&m->slots[i]);
		if (k == EMPTY)
			continue;
		size_t j = slot_of(hash_mix64(k), n.cap);
		while (slot_key(&n.slots[j]) != EMPTY)
			j = j + 1 == n.cap ? 0 : j + 1;
		n.slots[j] = m->slots[i];
	}
	n.len = m->len;
	n.has_max = m->has_max;
	n.max_val = m->max_val;
	u64map_release(m);
	*m = n;
	return 0;
}

uint32_t *u64map_put(struct u64map *m, uint64_t key, int *inserted)
{
	if (key == EMPTY) {
		*inserted = !m->has_max;
		m->has_max = 1;
		return &m->max_val;
	}
	if ((m->len + 1) * 4 > m->cap * 3 && u64map_rehash(m) < 0)
		return NULL;
	size_t j = slot_of(hash_mix64(key), m->cap);
	for (;;) {
		struct u64slot *s = &m->slots[j];
		uint64_t k = slot_key(s);
		if (k == key) {
			*inserted = 0;
			return &s->val;
		}
		if (k == EMPTY) {
			s->klo = (uint32_t)key;
			s->khi = (uint32_t)(key >> 32);
			m->len++;
			*inserted = 1;
			return &s->val;
		}
		j = j + 1 == m->cap ? 0 : j + 1;
	}
}

int u64map_reserve(struct u64map *m, size_t n)
{
	if ((m->len + n + 1) * 4 <= m->cap * 3)
		return 0;
	struct u64map t;
	if (u64map_init(&t, (m->len + n) * 3 / 2 + 16) < 0)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		uint64_t k = slot_key(&m->slots[i]);
		if (k == EMPTY)
			continue;
		size_t j = slot_of(hash_mix64(k), t.cap);
		while (slot_key(&t.slots[j]) != EMPTY)
			j = j + 1 == t.cap ? 0 : j + 1;
		t.slots[j] = m->slots[i];
	}
	t.len = m->len;
	t.has_max = m->has_max;
	t.max_val = m->max_val;
	u64map_release(m);
	*m = t;
	return 0;
}

void u64map_prefetch(const struct u64map *m, uint64_t key)
{
	if (m->cap)
		__builtin_prefetch(&m->slots[slot_of(hash_mix64(key), m->cap)], 1);
}

uint32_t *u64map_get(const struct u64map *m, uint64_t key)
{
	if (key == EMPTY)
		return m->has_max ? (uint32_t *)&m->max_val : NULL;
	if (!m->cap)
		return NULL;
	size_t j = slot_of(hash_mix64(key), m->cap);
	for (;;) {
		struct u64slot *s = &m->slots[j];
		uint64_t k = slot_key(s);
		if (k == key)
			return &s->val;
		if (k == EMPTY)
			return NULL;
		j = j + 1 == m->cap ? 0 : j + 1;
	}
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

void strmap_repoint(struct strmap *m, const char *s, uint32_t len, const char *copy)
{
	size_t j = hash_bytes(s, len) & (m->cap - 1);
	while (m->strs[j]) {
		if (m->lens[j] == len && memcmp(m->strs[j], s, len) == 0) {
			m->strs[j] = copy;
			return;
		}
		j = (j + 1) & (m->cap - 1);
	}
}
