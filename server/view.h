/*
 * view.h: the views of one profile, computed as go tool pprof computes them.
 *
 * view_build applies the filters of a request (filter.h) to a profile and
 * folds the kept samples into a name tree (ntree.h) of function names
 * (pprof's "functions" granularity; an inlined frame is a node of its
 * own), keyed by the profile's string ids. Every view reads that tree:
 *
 *   view_top.c       flat and cum per function (go tool pprof -top)
 *   view_flame.c     the flame graph
 *   view_sandwich.c  the callers and callees of one function
 *   view_tags.c      totals per label value (go tool pprof -tags)
 *   view_list.c      the line table of functions (go tool pprof -list)
 *   diff.c           base against target (diff.h)
 *
 * The profile is never modified (its shared name tree is built once, on
 * first use, under its lock), so one decoded profile serves many requests
 * at once.
 *
 * Every function returns 0 or a status below, or -1 when an allocation
 * failed; the JSON writers also return -1 when their buffer ran out of
 * memory. On anything but 0 the output is to be thrown away.
 */
#ifndef FDX_VIEW_H
#define FDX_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "json.h"
#include "ntree.h"
#include "prof.h"

enum {
	VIEW_NOT_FOUND = 1,   /* sandwich: the function is not in the view */
	VIEW_OVERFLOW = 2,    /* a sum does not fit in int64 (the message says which) */
	VIEW_TOO_MANY = 3,    /* list: more functions match than asked for */
};

/* Value columns of a view's tree. */
enum { VIEW_SELF, VIEW_TOT, VIEW_NCOLS };

struct view {
	const struct prof *p;
	int type;              /* sample type index */
	int64_t total;         /* pprof's total: sum of |value| over kept samples
	                        * (or of the pprof::base samples, in a diff profile) */
	/* col[VIEW_SELF]: the values of samples whose stack ends at the node;
	 * col[VIEW_TOT]: of those whose stack passes through it. The nodes
	 * are the profile's shared tree unless hide is set. With
	 * view_opts.tot_only, col[VIEW_SELF] may be NULL (a node's self is
	 * then its total less its children's). */
	struct ntree t;
	/* per-label-set sums of kept samples with a stack (with_tags only) */
	int64_t *ls_sum;
	bool *ls_seen;
	/* o->gran other than functions: p is this profile, keyed by the names
	 * at that granularity (view_granularity.h), owned by the view */
	struct prof *own_p;
	int gran;              /* o->gran */
};

/* Filter and fold p under o into v. with_tags fills ls_sum/ls_seen.
 * Filters, as pprof's FilterSamplesByName and FilterSamplesByTag: a
 * sample is dropped when a frame matches ignore, kept only when one
 * matches focus (both decided on the unhidden stack), frames matching
 * hide are removed and a sample left without frames is dropped; with any
 * of the three set, samples without locations are dropped. Then tagfocus
 * and tagignore. Values are multiplied by o->scale when it is not 0 or 1,
 * rounded (pprof's ScaleN). With o->gran, the tree's names (and v->p)
 * are those of that granularity, the filters still matching the
 * profile's functions and files as pprof's do (view_granularity.h).
 * 0, -1, or VIEW_OVERFLOW when the scaled
 * values overflow int64. v is released on failure. */
int view_build(const struct prof *p, const struct view_opts *o, bool with_tags, struct view *v);
void view_release(struct view *v);

struct top_row {
	uint32_t key;          /* string id of the function name */
	int64_t flat, cum;
};
/* Per-function flat/cum (unsorted; only functions with flat or cum != 0).
 * Returns a malloc'd array and its length in *n, NULL on failure. */
struct top_row *view_top(const struct view *v, uint32_t *n);
/* pprof's FlatNameOrder (or CumNameOrder): by |flat| (|cum|), then name,
 * then |cum| (|flat|). */
void view_top_sort(const struct prof *p, struct top_row *rows, uint32_t n, bool by_cum);

/* {"sample_type","total","count","rows":[{"function","flat","cum"}…]},
 * the first limit rows (all when limit <= 0). */
int view_top_json(const struct view *v, bool by_cum, long limit, struct json *j);
/* The same in another order: pprof's flat or cum order, or by name (byte
 * order); each row also has "sum", the running sum of flat over the rows
 * so far (pprof's sum%), and "inline": "inline" | "partial-inline" where
 * pprof -top prints that marker (view_top.c says when). */
enum view_top_order { VIEW_TOP_FLAT, VIEW_TOP_CUM, VIEW_TOP_NAME };
int view_top_json_order(const struct view *v, enum view_top_order order, long limit, struct json *j);
/* {"sample_type","total","names","files","nodes"} (ntree_json), pruned to
 * max_nodes (<= 0: all) by |cum|. */
int view_flame_json(const struct view *v, long max_nodes, struct json *j);
/* {"sample_type","total","function","cum","callees":{…},"callers":{…}}:
 * callees merges the subtrees under every outermost call of function,
 * callers is the inverted tree of the paths above them; both are rooted
 * at function and shaped as the flame graph. VIEW_NOT_FOUND when no node
 * of the view has that name. */
int view_sandwich_json(const struct view *v, const char *function, long max_nodes, struct json *j);
/* {"sample_type","total","tags":[{"key","numeric","unit"?,"total",
 * "n_values","values":[{"value","total"}…]}…]}: a sample adds its value
 * once to each label value it carries; keys by name, values by total.
 * max_values > 0 keeps that many values per key (n_values counts all).
 * The view must be built with_tags. VIEW_OVERFLOW when a total does not
 * fit in int64 (a key's total can exceed the profile's: a sample with
 * two values of one key counts twice); err then names the key. */
int view_tags_json(const struct view *v, long max_values, struct json *j, char *err, size_t errcap);

/* go tool pprof -list=re's numbers, without the sources: v must be built
 * at lines granularity. {"sample_type","total","granularity","functions":
 * [{"function","file","flat","cum","source":null,"lines":[{"line","flat",
 * "cum"}…]}…],"no_source_info":[names]}: one entry per function whose
 * name matches re and file it has lines in (function names in byte order,
 * then files), flat and cum the sums over its lines, lines ascending with
 * their own flat and cum (only lines with a value: pprof prints the
 * others as "."); no_source_info the matching functions without a file
 * name (pprof: "No source information"). VIEW_NOT_FOUND when no function
 * matches, VIEW_TOO_MANY when more than max_functions do, VIEW_OVERFLOW
 * when a sum does not fit. */
struct rx;
int view_list_json(const struct view *v, const struct rx *re, uint32_t max_functions, struct json *j);

/* The samples view_build keeps under o (o->scale is not applied):
 * keep[s] for every sample s; *fb the FILTER_* bits of every frame when
 * o hides frames (NULL otherwise), so a caller walking stacks can skip
 * hidden frames; *total pprof's report total, which go tool pprof
 * takes over all samples, before the filters; *kept_total view_build's
 * total (over the kept samples). For views
 * that walk each sample's stack themselves (cgraph.h). 0, -1, or
 * VIEW_OVERFLOW; on failure nothing is allocated. */
int view_kept_samples(const struct prof *p, const struct view_opts *o, uint8_t **keep, uint8_t **fb,
                      int64_t *total, int64_t *kept_total);

/* ---- helpers of the view writers ----------------------------------------- */

/* {"type","unit"} of sample type t ("" when p has none). */
void view_json_sample_type(struct json *j, const struct prof *p, int t);
/* The members "sample_type", "total" and "granularity" of v. */
void view_json_header(const struct view *v, struct json *j);
/* view_flame.c: for every string id that names a function: the string id of its file
 * (the first frame's), PROF_NONE for others. p->n_strs entries, malloc'd. */
uint32_t *view_key_files(const struct prof *p);
/* Write the tree t (names of p, keys string ids; totals in column col)
 * shaped as the flame graph (ntree_json with files), pruned to max_nodes
 * by |total|; root_name names node 0. 0 or -1. */
int view_tree_json(const struct prof *p, const struct ntree *t, int col, long max_nodes,
                   const char *root_name, struct json *j);

#endif
