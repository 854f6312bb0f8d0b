/*
 * filter.h: the filters of go tool pprof, with its semantics.
 *
 *   focus / ignore / hide   regexes (regex.h) matched unanchored against
 *                           function names, file names and mapping files
 *   show                    a regex: only the frames that match stay (pprof -show)
 *   show_from / prune_from  regexes: frames rootward of a sample's rootmost
 *                           show_from match go (a sample without one goes);
 *                           frames leafward of its leafmost prune_from match
 *                           go (pprof -show_from, -prune_from; prune_from is
 *                           matched against the function name cut at its
 *                           first '(' as pprof's simplifyFunc cuts it)
 *   tagfocus / tagignore    KEY=RE[,RE] on a label's values, RE[,RE] on
 *                           "key:value" strings, or numeric ranges
 *                           (KEY=1kb:4kb, KEY=10ms:, ...)
 *
 * Patterns are capped in length; regex.h says what a match may cost.
 * view.c applies them while folding (see view.h for the order).
 */
#ifndef FDX_FILTER_H
#define FDX_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "measure.h"
#include "prof.h"
#include "regex.h"

#define TAG_MAX_RES 16

struct tagfilter {
	char key[256];            /* "" = any key */
	bool numeric;
	/* numeric range, in 'unit' after pprof's scaling */
	int mode;                 /* 0 eq, 1 >=, 2 <=, 3 between */
	double lo, hi;
	char unit[32];
	/* regexes */
	int n_res;
	struct rx res[TAG_MAX_RES];
};

/* Parse a tagfocus/tagignore value; 0, or -1 with a message in err. */
int tagfilter_parse(struct tagfilter *t, const char *spec, char *err, size_t errcap);
void tagfilter_release(struct tagfilter *t);
/* Does the label set match? key_unit gives the unit of numeric keys
 * (from measure_num_units). */
bool tagfilter_match(const struct tagfilter *t, const struct prof *p, uint32_t labelset,
                     const uint32_t *key_unit);

struct view_opts {
	int type;                 /* sample type index */
	struct rx focus, ignore, hide;
	bool has_focus, has_ignore, has_hide;
	struct rx show, show_from, prune_from;
	bool has_show, has_show_from, has_prune_from;
	/* view_transform.h: collapse_recursion=1, merge_fn=RE */
	bool collapse_recursion, has_merge_fn;
	struct rx merge_fn;
	/* tagroot / tagleaf label keys (view_pseudo.h), in the order given */
	int n_tagroot, n_tagleaf;
	char tagroot[FDX_MAX_TAG_KEYS][FDX_MAX_TAG_KEY_LEN + 1];
	char tagleaf[FDX_MAX_TAG_KEYS][FDX_MAX_TAG_KEY_LEN + 1];
	struct tagfilter tagfocus, tagignore;
	bool has_tagfocus, has_tagignore;
	double scale;             /* 0 or 1: none; else values * scale, rounded (normalize) */
	int gran;                 /* enum view_gran (view_granularity.h); 0: functions */
	/* Not a request option: set by callers that read only the view's
	 * totals (the flame graph, top, the function index). view_build may
	 * then leave out the VIEW_SELF column (NULL): one int64 per node of
	 * the profile's name tree instead of two. */
	bool tot_only;
};

void view_opts_release(struct view_opts *o);

/* What focus, ignore and hide say of a frame: */
#define FILTER_FOCUS 1   /* matches focus */
#define FILTER_IGNORE 2  /* matches ignore */
#define FILTER_HIDE 4    /* matches hide, or does not match show */
#define FILTER_SHOW_FROM 8   /* matches show_from */
#define FILTER_PRUNE_FROM 16 /* its simplified function name matches prune_from */
#define FILTER_SHOW 32       /* matches show (folded into FILTER_HIDE) */

/* The FILTER_* bits of every frame of p under o: a frame matches when its
 * function's name or file, or its mapping's file, does. Each distinct
 * function and mapping file is matched once. p->n_frames entries,
 * malloc'd; NULL on allocation failure. */
/* pprof's simplifyFunc: the length of name without a leading '.' and
 * cut at its first '(' that does not begin "(anonymous namespace)" or
 * "operator()"; *start is the offset of the rest (0 or 1). */
size_t filter_simplify(const char *name, size_t n, size_t *start);
uint8_t *filter_frame_bits(const struct prof *p, const struct view_opts *o);
/* keep[ls] for every label set of p: passes tagfocus (when set) and not
 * tagignore (when set). p->n_labelsets entries, malloc'd; NULL on
 * allocation failure. */
uint8_t *filter_labelsets(const struct prof *p, const struct view_opts *o);

#endif
