/*
 * merge.h: many decoded profiles folded into one, as pprof's profile.Merge
 * folds the sources of `go tool pprof -top A B C`.
 *
 * A merge is built incrementally: merge_add one source at a time (the
 * caller may release each source right after), merge_finish to get a
 * struct prof that every view (view.h) and writer reads like a decoded
 * upload. What it keeps of pprof's semantics:
 *
 *   - Compatibility. Every source must have the first one's period type
 *     and the same sample types (type and unit, in order); otherwise
 *     merge_add answers MERGE_INCOMPATIBLE and says which differs. The
 *     period of the merge is the largest, its time the smallest as
 *     combineHeaders takes it (a zero time is replaced by the next
 *     source's, and a zero after that wins), its duration the sum, its default sample type the first source's
 *     (combineHeaders in pprof).
 *   - Samples with the same stack (the same frames in every location, at
 *     every depth) and the same labels are one sample whose values are the
 *     sums; a sum beyond int64 is MERGE_OVERFLOW.
 *   - Strings, functions, frames, locations, label sets and trie nodes are
 *     interned across sources, so the merged model is no larger than its
 *     distinct content (a series repeats almost everything).
 *
 * Invariants: the merged prof's trie keeps parent < node; string 0 is "";
 * sources are only read. merge_add polls work_poll() and answers -1 when
 * it says stop (the caller asks work_poll() why). Not thread-safe: one
 * merge per request.
 */
#ifndef FDX_MERGE_H
#define FDX_MERGE_H

#include <stddef.h>

#include "prof.h"

enum {
	MERGE_INCOMPATIBLE = 1,
	MERGE_OVERFLOW = 2,
};

struct merge;

struct merge *merge_new(void);
/* Fold p into m. 0; MERGE_INCOMPATIBLE or MERGE_OVERFLOW with a message in
 * err (m is then unusable: free it); -1 out of memory or stopped. */
int merge_add(struct merge *m, const struct prof *p, char *err, size_t errcap);
/* Sources folded so far. */
unsigned merge_count(const struct merge *m);
/* Approximate heap bytes m holds now (for the memory budget). */
size_t merge_mem_bytes(const struct merge *m);
/* The merged profile (prof_free it), NULL when out of memory or when no
 * source was added; m is freed either way. */
struct prof *merge_finish(struct merge *m);
void merge_free(struct merge *m);

#endif
