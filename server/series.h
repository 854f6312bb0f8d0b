/*
 * series.h: profiles of one series stored against a shared dictionary.
 *
 * A series is the profiles with one kind and one set of profile labels
 * (service:checkout, instance:...). Consecutive profiles of a series
 * repeat almost all their strings, functions, frames, mappings,
 * locations and stack prefixes; stored alone (codec.h) each one pays for
 * all of them again. Here they are interned once per series generation
 * ("group"), in an append-only log of chunks, and each profile stores
 * only its own part: metadata, labels and its samples against the
 * group's trie nodes (the "FDX4" blob, the stacks row's format
 * SERIES_FORMAT).
 *
 * Invariants:
 *  - A group's chunks are immutable once written and numbered 0, 1, ...;
 *    a profile needs the chunks [0, need) and no others. A group's name
 *    is never reused (it carries a fresh random id), so anything cached
 *    under it stays true for as long as it exists.
 *  - Only the process that made a group appends to it (its name is made
 *    here, per process); other processes (replicas) make their own. The
 *    backend checks, in the profile's own transaction, that the group
 *    still has the chunks the profile needs (deleting a group's last
 *    profile deletes the group); when it has not, the put is redone in a
 *    new group.
 *  - A profile read back (series_decode) has exactly the nodes, locations,
 *    frames, functions, mappings and strings it uses, in the group's
 *    order (parents before children), and the same views as the profile
 *    that was stored: the group only shares, it never adds.
 *  - Every index read from a chunk or a blob is checked: a damaged row
 *    gives an error, never a crash.
 *
 * This module knows no database: the writer hands store.c the new chunk
 * (if any) and the blob, and the reader asks store.c for chunks through
 * a callback.
 */
#ifndef FDX_SERIES_H
#define FDX_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "prof.h"

/* The stacks row's format for an FDX4 blob (codec formats are 1..3,
 * 0 is "none, decode the original"). */
#define SERIES_FORMAT 16
#define SERIES_GRP_CAP PROF_GRP_CAP   /* a group's name fits a profile's origin (prof.h) */

/* Which uploads are stored against their series (--series-storage):
 * none, those with at least one profile label (the default), all (a
 * profile without labels is then in the series of its kind). */
enum series_mode { SERIES_OFF = 0, SERIES_LABELLED, SERIES_ALL };
void series_set_mode(enum series_mode m);
enum series_mode series_mode(void);
int series_mode_parse(const char *s);   /* -1 unknown */

/* Profiles above this many trie nodes are stored alone (codec.h): the
 * shapes whose stacks barely repeat gain nothing from a group, and their
 * interning would cost a hash probe a node. */
#define SERIES_MAX_NODES (1u << 18)
/* A group is closed (the next profile starts a new one) past these: a
 * read needs all the group's chunks up to its own, so both bound a
 * cold read, and a closed group goes once its last profile does. */
#define SERIES_GROUP_NODES (1u << 21)
#define SERIES_GROUP_CHUNKS 512u
#define SERIES_GROUP_BYTES ((size_t)64 << 20)

struct series_put {
	char grp[SERIES_GRP_CAP];
	uint32_t need;       /* the chunks the profile needs: [0, need) */
	uint32_t seq;        /* the new chunk's number, UINT32_MAX: no new chunk */
	struct buf chunk;    /* the new chunk (empty when seq is UINT32_MAX) */
	struct buf blob;     /* the FDX4 blob */
	void *w;             /* the group's writer, locked until series_put_end */
};

/* Whether p, with these labels, goes to its series under the mode. */
bool series_wanted(const struct prof *p, int n_labels);

/* Intern p into the writer of its series (key: the kind and the sorted
 * labels, any bytes) and make its blob and the new chunk. The writer
 * stays locked until series_put_end: call it exactly once after the
 * store, with stored 0 when the row and the chunk are written, nonzero
 * when not (the writer is then dropped: what it interned may not be in
 * the database, so the next profile starts a new group). 0 or -1 (out
 * of memory; nothing locked). */
int series_put_begin(const char *key, size_t key_len, const struct prof *p, struct series_put *out);
void series_put_end(struct series_put *put, int stored);

/* The group and the chunks an FDX4 blob needs. 0 or -1 (not one). */
int series_blob_group(const uint8_t *blob, size_t n, char grp[SERIES_GRP_CAP], uint32_t *need);

/* store.c's reader of a group's chunks [from, to): calls each(ectx, seq,
 * data, len) for every one in order; 0, or -1 when one is missing or on
 * error. */
typedef int (*series_each_chunk)(void *ectx, uint32_t seq, const uint8_t *data, size_t len);
typedef int (*series_chunks_fn)(void *ctx, const char *grp, uint32_t from, uint32_t to, series_each_chunk each,
                                void *ectx);

/* The profile an FDX4 blob stores, its group read through fn. NULL on a
 * damaged blob or chunk, or when memory ran short. */
struct prof *series_decode(const uint8_t *blob, size_t n, series_chunks_fn fn, void *ctx);

/* Forget every cached group and writer (tests; shutdown). */
void series_reset(void);

/* Counters for /metrics. */
struct series_stats {
	uint64_t puts, chunks, chunk_bytes, blob_bytes, groups_made, dict_loads, dict_hits;
};
void series_stats(struct series_stats *out);

#endif
