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
 * one decoded profile held at a time; the merged model's bytes are charged
 * to the in-flight budget (budget.h) until sel_prof_release. A profile
 * deleted after the ids were read is left out (it is gone from the store
 * and from the cache at once, cache.h).
 */
#ifndef FDX_SELECTION_H
#define FDX_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "prof.h"

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

struct store_label;
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

/* Merge the profiles of s into out. 0, or -1 after replying (400
 * incompatible_profiles naming the first pair that differs, 404 when
 * every profile was deleted meanwhile, 422 overflow, 503 busy). */
int selection_merge(struct req *r, const struct selection *s, struct sel_prof *out, enum MHD_Result *res);
/* selection_parse then selection_merge. */
int selection_load(struct req *r, const char *prefix, struct sel_prof *out, enum MHD_Result *res);
void sel_prof_release(struct sel_prof *sp);

#endif
