/*
 * leaks_kind.h: what a goroutine waits on, and which frame is where it
 * blocks.
 *
 * The leak table (leaks.h) groups goroutines by wait kind and blocking
 * site. Both are read from names the Go runtime writes, and the rules are
 * data: tables of rows { text, match, kind }, one table per input.
 *
 *   frame rows     a function name in a stack, leaf first: runtime and
 *                  sync frames that say how a goroutine is parked
 *   semaphore rows the sync semaphores, for a stack no frame row matches
 *                  (their callers, WaitGroup.Wait or Mutex.Lock, say more)
 *   parked rows    the frames of a goroutine parked for a reason no other
 *                  row names (kind "other")
 *   reason rows    the wait reason of a text dump ("chan receive",
 *                  "semacquire", ...), matched by prefix
 *   infra rows     frames of the runtime and the standard synchronisation
 *                  packages, never a blocking site (no kind)
 *
 * Within a table the first matching row wins; over a stack the leaf-most
 * frame that some row of the table matches wins, and the frame, semaphore
 * and parked tables are tried in that order. Only the LEAKS_KIND_FRAMES
 * leaf-most frames are read for the wait kind. Each table in leaks_kind.c
 * says which Go versions' names it covers; tests/unit/test_leaks.c feeds
 * every row a stack of the shape the runtime writes.
 */
#ifndef FDX_LEAKS_KIND_H
#define FDX_LEAKS_KIND_H

#include <stdbool.h>

#define LEAKS_KIND_FRAMES 16

struct leaks_kind {
	const char *name;  /* "chan receive", "mutex", ... as the API shows it */
	double weight;     /* how suspicious a goroutine parked here is, (0, 1] */
};

enum leaks_match {
	LEAKS_PREFIX,      /* the text starts with the row's text */
	LEAKS_WHOLE,       /* the text is the row's text */
};

struct leaks_rule {
	const char *text;
	enum leaks_match match;
	const struct leaks_kind *kind;  /* NULL in the infra table */
	bool ask_frames;   /* reason rows: the frames may say waitgroup or cond instead */
};

struct leaks_table {
	const struct leaks_rule *rows;
	int n;
};

extern const struct leaks_table leaks_kind_frame_rows, leaks_kind_semaphore_rows, leaks_kind_parked_rows,
	leaks_kind_reason_rows, leaks_kind_infra_rows;

/* The wait kind of a stack of function names, leaf first: the kind of the
 * leaf-most frame a frame row matches; else that of a semaphore row; else
 * "other" when a parked row matches (parked for a reason no row names);
 * else "running". When rule is not NULL, *rule is the row that decided
 * (NULL: running). */
const struct leaks_kind *leaks_kind_of_stack(const char *const *frames, int n, const struct leaks_rule **rule);

/* The wait kind of a text dump's goroutine from its wait reason. A reason
 * no row matches falls back to leaks_kind_of_stack, and so does *rule,
 * except that a non-empty reason is never "running" but "other" (text
 * dumps leave the runtime.gopark frame out). */
const struct leaks_kind *leaks_kind_of_reason(const char *reason, const char *const *frames, int n,
                                              const struct leaks_rule **rule);

/* The infra row a frame matches, or NULL: a frame of the runtime or the
 * standard synchronisation packages, so the blocking site is further from
 * the leaf. */
const struct leaks_rule *leaks_kind_infra(const char *frame);

#endif
