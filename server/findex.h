/*
 * findex.h: the function index of one profile, and its upkeep.
 *
 * For every function of a profile (pprof's "functions" granularity, as
 * view.h folds it: an inlined frame is a function of its own) and every
 * sample type, the flat and cum that go tool pprof -top prints (cum counts
 * a sample once per function however often the function is on its
 * stack), and per sample type pprof's total. store.c keeps these rows in
 * SQLite (schema/007_function_index.sql) so that the functions of many
 * profiles are read without decoding any of them.
 *
 * Invariants:
 *   - findex_build reads the profile and never modifies it; the result
 *     names the profile's strings, so it lives no longer than the profile;
 *   - a row is kept for a function when its flat or cum is not 0 in at
 *     least one sample type; its vals hold every type, in the profile's
 *     order, flat then cum, as zigzag varints (findex_vals_get reads one);
 *   - the memory findex_build holds is charged to the current work
 *     (work.h; a refusal unwinds with -1 and WORK_NOMEM);
 *   - findex_rebuild indexes every stored profile that has no index yet,
 *     decoding one profile at a time (memory bounded by one profile), and
 *     stops at the first failure (the next start goes on from there).
 */
#ifndef FDX_FINDEX_H
#define FDX_FINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "prof.h"
#include "store.h"
#include "work.h"

struct findex {
	struct store_findex rows;   /* what store_add / store_findex_put write */
	/* storage behind rows */
	int64_t *totals;
	const char **names;
	size_t *off;
	struct buf vals, types;
	struct work_held held;      /* names and off, charged to the work (work.h) */
};

/* The index rows of p into fx. 0, -1 (out of memory, or work_poll said
 * stop); fx is released on failure. */
int findex_build(const struct prof *p, struct findex *fx);
void findex_release(struct findex *fx);

/* flat and cum of sample type t from a row's vals. 0, -1 when vals is
 * malformed or has no type t. */
int findex_vals_get(const uint8_t *vals, size_t len, uint32_t t, int64_t *flat, int64_t *cum);

/* Index the stored profiles that have none (profiles stored before
 * migration 007). Returns how many it indexed, -1 on failure. */
long findex_rebuild(void);

#endif
