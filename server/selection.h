/*
 * selection.h: many profiles named by one request, and their merge.
 *
 * A selection is given in the query (docs/API.md, "Selections"), under a
 * prefix ("" for the merge views, "base." / "target." for a diff side):
 *
 *   PREFIXids=A,B,C               these profiles, in this order (duplicates
 *                                 collapsed); an unknown id is a 404
 *   PREFIXlabel=k:v (repeatable)  every profile carrying all these labels,
 *   PREFIXtype=KIND               of this kind,
 *   PREFIXfrom=T, PREFIXto=T      whose time (time_nanos, else the time=
 *                                 of the upload, else the upload time) is
 *                                 in [from, to]; T is RFC 3339 or Unix
 *                                 seconds (timearg.h); oldest first
 *
 * ids= cannot be combined with the others. Resolving never holds more
 * than FDX_MAX_SELECTION ids: one more is a 400 selection_too_large, none
 * a 404 empty_selection.
 *
 * selection_load resolves a selection and merges its profiles (merge.h),
 * folding one while helper threads read and decode the next few
 * (loadahead.h: at most one per CPU, 4, ahead); the merged model's bytes are charged
 * to the in-flight budget (budget.h) until sel_prof_release. A profile
 * deleted after the ids were read is left out (it is gone from the store
 * and from the cache at once, cache.h).
 */
#ifndef FDX_SELECTION_H
#define FDX_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "http.h"
#include "limits.h"
#include "prof.h"
#include "store.h"

#define SELECTION_ABSENT 1

struct selection {
	char (*ids)[23];
	int n;
	bool by_ids;
};

/* Parse and resolve the selection under prefix. 0 (s->n >= 1);
 * SELECTION_ABSENT when no parameter of the prefix is present (nothing
 * replied); -1 after replying with the error (result in *res). */
int selection_parse(struct req *r, const char *prefix, struct selection *s, enum MHD_Result *res);
void selection_release(struct selection *s);

/* A selection as the query gives it, not resolved to ids yet: ids= (in
 * by_ids, parsed as selection_parse does, unknown ids not looked up), or
 * the conditions in sel (its labels point into labels: do not copy the
 * struct). For callers that resolve it themselves (route_functions.c
 * reads the function index's rows of the same profiles). */
struct selection_query {
	bool by_ids;
	struct selection ids;
	struct store_label labels[FDX_MAX_SELECTION_LABELS];
	struct store_sel sel;
};
/* 0; SELECTION_ABSENT (nothing replied); -1 after replying. */
int selection_parse_query(struct req *r, const char *prefix, struct selection_query *q, enum MHD_Result *res);
void selection_query_release(struct selection_query *q);
/* A resolved selection of n profiles, read with room for one more than
 * --max-selection: 0 when 1 <= n <= the maximum, else -1 after replying
 * (400 selection_too_large saying how to narrow it, 404 empty_selection). */
int selection_check_count(struct req *r, const char *prefix, int n, enum MHD_Result *res);

/* Only the PREFIXlabel= conditions (repeats collapsed) into labels
 * (FDX_MAX_SELECTION_LABELS of room). 0, or -1 after replying. */
int selection_labels(struct req *r, const char *prefix, struct store_label *labels, int *n, enum MHD_Result *res);

/* A merged profile and what it holds of the budget. Merges are kept in a
 * cache of their own (cache.h; a quarter of --cache-bytes), keyed by a
 * 88-bit hash of the ordered list of ids merged, so a repeated request
 * re-folds nothing; the merged profile is then shared and read-only. A
 * cached merge is used only when every one of its ids still exists, and a
 * label selection resolves to other ids once one is deleted, so a deleted
 * profile never shows in a merge. */
struct sel_prof {
	struct prof *p;
	bool cached;       /* p is held from the merge cache */
	size_t charged;
	unsigned n;        /* profiles merged */
	char first[23];    /* the first of them */
};

/* Merged views' answers, kept (respcache.h; a sixteenth of --cache-bytes)
 * under a key of the view's name, the merge key of s (the ordered ids, as
 * above) and every query parameter but the selection's own, so a repeated
 * request (any selection that resolves to the same ids, the same view
 * parameters) is answered without merging again. selection_view_cached
 * builds the key into *key (a buf the caller releases) and, when an
 * answer is kept and (for ids=) every id still exists, appends it to out
 * (empty before) and answers true; else out is left empty and released.
 * selection_view_keep keeps out under key. */
bool selection_view_cached(struct req *r, const struct selection *s, const char *view, struct buf *key,
                           struct buf *out);
void selection_view_keep(const struct buf *key, const struct buf *out);

/* Merge the profiles of s into out. 0, or -1 after replying (400
 * incompatible_profiles naming the first pair that differs, 404 when
 * every profile was deleted meanwhile, 422 overflow, 503 busy). */
int selection_merge(struct req *r, const struct selection *s, struct sel_prof *out, enum MHD_Result *res);
/* selection_parse then selection_merge. */
int selection_load(struct req *r, const char *prefix, struct sel_prof *out, enum MHD_Result *res);
void sel_prof_release(struct sel_prof *sp);

/* The figures of the merged models' cache and the merged views' kept
 * answers (zeroed when off), for /metrics. */
struct cache_stats;
struct respcache_stats;
void selection_cache_stats(struct cache_stats *merged, struct respcache_stats *answers);

#endif
