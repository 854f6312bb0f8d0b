/*
 * hash.h: open-addressing hash tables used while decoding and querying.
 *
 * u64map: uint64 key -> uint32 value (any key).
 * strmap: interns byte strings -> dense uint32 ids; the strings are not
 *         copied, the caller keeps them alive as long as the map.
 *         Power-of-two capacity, load factor at most 1/2 (the capacity
 *         quadruples when an insert would pass it).
 *
 * *_init(m, hint): hint is the number of keys expected; more may be added.
 */
#ifndef FDX_HASH_H
#define FDX_HASH_H

#include <stddef.h>
#include <stdint.h>

struct u64slot {
	uint32_t klo, khi;   /* the key, split so the slot is 12 bytes, 4-aligned */
	uint32_t val;
};

/* Slots hold key and value together (one cache miss per probe), 12 bytes
 * each; capacity is any size, load factor at most 3/4 (the capacity
 * doubles when an insert would pass it). */
struct u64map {
	struct u64slot *slots;
	size_t cap;
	size_t len;
	/* UINT64_MAX marks empty slots, so that one key lives here */
	int has_max;
	uint32_t max_val;
};

int u64map_init(struct u64map *m, size_t hint);
void u64map_release(struct u64map *m);
/* Returns pointer to the value slot for key, inserting (with *inserted=1,
 * value left for the caller to set) if absent; NULL on allocation failure. */
uint32_t *u64map_put(struct u64map *m, uint64_t key, int *inserted);
/* Returns the value pointer or NULL. */
uint32_t *u64map_get(const struct u64map *m, uint64_t key);
/* Room for n more keys without a rehash. 0 or -1. */
int u64map_reserve(struct u64map *m, size_t n);
/* Start loading the slot where key's probe begins into the CPU cache (a
 * lookup of it soon costs no memory stall); changes nothing. */
void u64map_prefetch(const struct u64map *m, uint64_t key);

struct strmap {
	const char **strs;
	uint32_t *lens;
	uint32_t *ids;
	size_t cap;
	size_t len;
};

int strmap_init(struct strmap *m, size_t hint);
void strmap_release(struct strmap *m);
/* Look s up; if absent insert it with id next_id. Returns the id, or
 * UINT32_MAX on allocation failure. *inserted tells which happened. */
uint32_t strmap_intern(struct strmap *m, const char *s, uint32_t len, uint32_t next_id, int *inserted);
/* Point the key equal to s[0, len) at copy (the same bytes, which live
 * longer than s): for a caller that interns from a scratch buffer. */
void strmap_repoint(struct strmap *m, const char *s, uint32_t len, const char *copy);

static inline uint64_t hash_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t hash_bytes(const void *p, size_t n);

#endif
