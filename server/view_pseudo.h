/*
 * view_pseudo.h: label values as pseudo-frames (pprof -tagroot / -tagleaf).
 *
 * tagroot=K1,K2 puts, above every sample's stack, one frame per key whose
 * name is the sample's value of that key (K1 outermost); tagleaf=K1,K2
 * puts them below the leaf (K2 innermost). A sample without the key gets
 * a frame printed "<unknown>", as pprof prints its empty-named one.
 *
 * Invariants and limits (docs/API.md):
 *   - the frames are added to the view's tree after the name filters have
 *     run; pprof adds them before, so a request whose focus, ignore, hide,
 *     show, show_from or prune_from would match a pseudo-frame's name (the
 *     value) or file (the key) is refused (VIEW_PSEUDO_MATCH) rather than
 *     answered differently from pprof. Otherwise the answer is pprof's:
 *     show hides every pseudo-frame, show_from cuts the root ones, and
 *     prune_from cuts the leaf ones of a sample it pruned;
 *   - a key with several values or a numeric value on one sample is
 *     refused (VIEW_PSEUDO_UNSUPPORTED): pprof would print a joined or
 *     formatted name that is not in the profile's string table. Go's
 *     runtime/pprof labels are single strings, so Go CPU and goroutine
 *     profiles never hit this;
 *   - the profile is not modified; the new tree is the view's own.
 */
#ifndef FDX_VIEW_PSEUDO_H
#define FDX_VIEW_PSEUDO_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

enum {
	VIEW_PSEUDO_MATCH = 10,        /* a name filter matches a pseudo-frame */
	VIEW_PSEUDO_UNSUPPORTED = 11,  /* a label with several or numeric values */
	VIEW_PSEUDO_NO_KEY = 12,       /* no sample has the label key */
};

/* The kept samples of a view, recorded by view_build when o asks for
 * pseudo-frames: node[i] is the node of v->t the sample's value went to,
 * ls[i] its label set, pruned[i] whether prune_from cut it. */
struct view_kept {
	uint32_t n, cap;
	uint32_t *node, *ls;
	int64_t *val;
	uint8_t *pruned;
};
int view_kept_add(struct view_kept *k, uint32_t node, uint32_t ls, int64_t val, bool pruned);
void view_kept_release(struct view_kept *k);

/* May o's tagroot/tagleaf be answered on p? 0; VIEW_PSEUDO_NO_KEY when
 * no sample has a key; VIEW_PSEUDO_MATCH or VIEW_PSEUDO_UNSUPPORTED (on
 * any sample, kept or not); -1 when out of memory. err says why. */
int view_pseudo_check(const struct prof *p, const struct view_opts *o, char *err, size_t errcap);
/* Replace v->t (finished, column VIEW_SELF filled, not summed up) by the
 * tree with o's pseudo-frames added, built from the kept samples (whose
 * node[] are nodes of v->t). o passed view_pseudo_check. 0, or -1
 * (allocation failure, the work was stopped). */
int view_pseudo_fold(struct view *v, const struct view_opts *o, const struct view_kept *k);

#endif
