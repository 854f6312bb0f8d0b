/*
 * loadahead.h: the decoded profiles of an id list, loaded a few ahead of
 * their use on helper threads, so that a merge folds one profile while
 * the next ones are read from SQLite and decoded.
 *
 * loadahead_start starts up to `threads` helper threads (per call; they
 * end with it) that load ids[0, n) through store_get, in order, never
 * more than `window` profiles beyond the one the caller takes next;
 * loadahead_next hands them out in order. With threads = 0 (or one id)
 * nothing runs ahead: loadahead_next loads on the caller's thread, as a
 * plain loop of store_get would.
 *
 * Work and memory (work.h, budget.h): each helper runs its loads under a
 * work of its own, which the caller's thread stops when its own work
 * stops (loadahead_next polls it while it waits), so a stopped request
 * stops its helpers within one field of a decode; the helpers' memory is
 * charged to the one memory account as any load's is (store_get /
 * cache.h), and at most `window` loaded profiles wait for the caller. A
 * work with a unit budget (--max-request-work) loads on its own thread
 * only, so that its units count every field decoded, as before.
 */
#ifndef FDX_LOADAHEAD_H
#define FDX_LOADAHEAD_H

#include "prof.h"

struct loadahead;

/* NULL when out of memory or when no thread could start (the caller
 * then loads as before). ids must outlive the loadahead. */
struct loadahead *loadahead_start(const char (*ids)[23], int n, int threads, int window);
/* The profile of the next id (store_release it), or NULL with *status as
 * store_get sets it (503 when the caller's work was stopped meanwhile). */
struct prof *loadahead_next(struct loadahead *la, int *status);
/* Stop the helpers, wait for them, release what was loaded and not
 * taken, free la. NULL is ignored. */
void loadahead_end(struct loadahead *la);

#endif
