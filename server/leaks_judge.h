/*
 * leaks_judge.h: the verdict on each leak candidate of a series, in
 * numbers and in words (docs/LEAKS.md has the rules). Internal to the
 * leak table: leaks.c groups snapshots into candidates, this judges them.
 *
 * Time is real time: t[i] is snapshot i's time in seconds from the first,
 * whatever the source (the profile's own, the client's time= or the
 * upload), so slopes are per second and ages in seconds; the reasons say
 * when some of the times were upload times.
 *
 * Order: leaks_judge_trend for every candidate, then leaks_judge_shares
 * over all of them (a share needs every candidate's growth), then
 * leaks_judge_verdict for each.
 */
#ifndef FDX_LEAKS_JUDGE_H
#define FDX_LEAKS_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "leaks.h"
#include "leaks_kind.h"

#define LEAKS_STACK_OUT 64

/* One goroutine of a text dump in one snapshot. */
struct leak_gor {
	int64_t goid;
	int64_t minutes;   /* the dump's "N minutes" blocked, 0 when it printed none */
};

struct leak_cand {
	char *site, *entry, *func, *file, *created_by;
	char *at;                     /* "file.go:42", or the function without a file */
	const struct leaks_kind *wk;  /* NULL for heap sites */
	char wait_reason[64];
	int64_t line;
	double *counts, *alloc;       /* per snapshot */
	char *stack[LEAKS_STACK_OUT];
	int nstack;
	struct buf *gors;             /* per snapshot: struct leak_gor, sorted by goid (text dumps) */
	bool confirmed;               /* goroutineleak profile */
	/* results */
	double lifetime_s;            /* oldest goroutine of the last snapshot, lower bound */
	long n_old;                   /* goroutines of the last snapshot at least min_age old */
	double slope_h, tau, mk_p, score, growth, share;
	bool plateau, leak, min_rising, reset;
	int seg_start;
	char reason[1024];
};

struct leak_series {
	const double *t;     /* seconds from the first snapshot */
	const double *tot;   /* total per snapshot */
	int n, seg;          /* snapshots; the first after the last restart */
	bool heap, text;     /* heap profiles; text dumps (goroutine ids) */
	bool upload_times;   /* some snapshot from seg on is timed by its upload */
	const struct leak_opts *o;
};

/* Ages, trend statistics, growth; c->seg_start is where c's trend starts
 * (after s->seg, or after a reset only c shows). */
void leaks_judge_trend(struct leak_cand *c, const struct leak_series *s);

/* growth_share of each of cands[0, n): its growth over the summed growth
 * of every candidate that grew (0 for one that did not), in [0, 1]. */
void leaks_judge_shares(struct leak_cand *cands, int n);

/* leak, score and reason. */
void leaks_judge_verdict(struct leak_cand *c, const struct leak_series *s);

#endif
