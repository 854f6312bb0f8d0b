/*
 * leaks_kind.h: what a goroutine waits on, and which frame is where it
 * blocks.
 *
 * The leak table (leaks.h) groups goroutines by wait kind and blocking
 * site. Both are read from names the Go runtime writes, and the rules are
 * data: tables of rows { text, match, kind }, one table per input.
 *
 * One classification for both inputs. A proto profile has every frame; a
 * debug=2 dump leaves out the runtime's unexported frames (runtime.gopark,
 * runtime.chanrecv, runtime.semacquire1, ...) and prints instead the wait
 * reason they stand for ("chan receive", "semacquire"). So a proto stack
 * is first turned into the reason a dump would print (park rows), and from
 * there both inputs take the same road: the reason row, refined by the
 * frames both inputs show (frame rows). The same goroutine gets the same
 * kind from a proto snapshot and from a dump of the same moment; the
 * tests/leaks pairs check it on real programs.
 *
 *   park rows      unexported runtime frames a dump hides, and the wait
 *                  reason the runtime prints for them (proto stacks only)
 *   parked rows    the frame of every parked goroutine (runtime.gopark):
 *                  parked for a reason no park row names
 *   reason rows    the wait reason of a dump ("chan receive",
 *                  "semacquire", ...), or the one a park row gave, matched
 *                  by prefix; a row with ask_frames lets a frame row say more
 *   frame rows     function names both inputs show, leaf first: how a
 *                  goroutine is parked when the reason does not say
 *                  (sync.(*WaitGroup).Wait under "semacquire", time.Sleep
 *                  under a plain runtime.gopark)
 *   infra rows     frames of the runtime and the standard synchronisation
 *                  packages, never a blocking site (no kind)
 *
 * Within a table the first matching row wins; over a stack the leaf-most
 * frame that some row of the table matches wins. Only the
 * LEAKS_KIND_FRAMES leaf-most frames are read for the wait kind. Each
 * table in leaks_kind.c says which Go versions' names it covers;
 * tests/unit/test_leaks.c feeds every row a stack of the shape the runtime
 * writes, and tests/leaks/kinds is a real program parked in every kind.
 */
#ifndef FDX_LEAKS_KIND_H
#define FDX_LEAKS_KIND_H

#include <stdbool.h>
#include <stddef.h>

#define LEAKS_KIND_FRAMES 16

struct leaks_kind {
	const char *name;  /* "chan receive", "mutex", ... as the API shows it */
	double weight;     /* how suspicious a goroutine parked here is, (0, 1] */
	const char *doing; /* what the goroutines do, after "3 goroutines ":
	                    * "blocked receiving from a channel" */
	const char *usual; /* weight below 0.5: why a pile-up here is usually
	                    * benign ("idle connections wait so"); else NULL */
};

/* Every kind, in the order of docs/LEAKS.md's weights. */
extern const struct leaks_kind *const leaks_kinds[];
extern const int leaks_n_kinds;

enum leaks_match {
	LEAKS_PREFIX,      /* the text starts with the row's text */
	LEAKS_WHOLE,       /* the text is the row's text */
};

struct leaks_rule {
	const char *text;
	enum leaks_match match;
	const struct leaks_kind *kind;  /* NULL in the infra and park tables */
	bool ask_frames;   /* reason rows: a frame row, if one matches, decides */
	const char *reason; /* park rows: the wait reason a dump prints */
};

struct leaks_table {
	const struct leaks_rule *rows;
	int n;
};

extern const struct leaks_table leaks_kind_park_rows, leaks_kind_parked_rows, leaks_kind_reason_rows,
	leaks_kind_frame_rows, leaks_kind_infra_rows;

/* The wait kind of a text dump's goroutine from its wait reason and its
 * frames (leaf first): the reason row's kind, or with ask_frames the kind
 * of the leaf-most frame a frame row matches, if any. A reason no row
 * names is read from the frame rows, else "other" (parked all the same);
 * an empty reason is no reason: leaks_kind_of_stack decides. When rule is
 * not NULL, *rule is the row that decided (NULL: none, "other" or
 * "running"). */
const struct leaks_kind *leaks_kind_of_reason(const char *reason, const char *const *frames, int n,
                                              const struct leaks_rule **rule);

/* The wait kind of a stack with every frame (proto profiles, debug=1):
 * the leaf-most park row's reason, read as leaks_kind_of_reason reads a
 * dump's; else, when a parked row matches (parked for a reason no park
 * row names), the leaf-most frame row's kind or "other"; else (not
 * parked) "syscall" when a frame row says so, or "running". *rule as
 * above; a park row's reason decides through its reason row. */
const struct leaks_kind *leaks_kind_of_stack(const char *const *frames, int n, const struct leaks_rule **rule);

/* "1 goroutine blocked receiving from a channel", "2 goroutines running":
 * count goroutines of kind k, into out[cap]. */
void leaks_kind_amount(const struct leaks_kind *k, double count, char *out, size_t cap);

/* The infra row a frame matches, or NULL: a frame of the runtime or the
 * standard synchronisation packages, so the blocking site is further from
 * the leaf. */
const struct leaks_rule *leaks_kind_infra(const char *frame);

#endif
