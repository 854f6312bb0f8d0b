/*
 * view_zoom.h: a view cut to one frame of its flame graph, as the profile
 * page's zoom shows it, so an export of "the current view" is the zoomed
 * frame's (GET /profiles/{id}/export?zoom=).
 *
 * The zoom is the page's URL parameter (web/js/urlstate.js joinPath): the
 * names of the frames from the root's child down to the zoomed one, at
 * the view's granularity, joined with ';', a ';' or '\' inside a name
 * written "\;" or "\\". view_zoom finds the deepest node of the view's tree
 * the path reaches (the page's rule: a name the tree does not have ends
 * the path there, so the frame a page shows is the frame exported) and
 * keeps that node's subtree: every other node's values become zero but
 * those of the frames above it, whose cum becomes the zoomed frame's and
 * whose self zero (the context of the zoomed frame stays in its stacks).
 * v->total becomes the sum of |self| below the zoomed frame. A path that
 * reaches no node (or an empty one) changes nothing.
 *
 * Invariants: only v's value columns and total change (a view's columns
 * are its own, ntree_borrow); 0, or -1 when the work must stop
 * (work_poll) or memory ran out; *depth (may be NULL) is the number of
 * names that matched.
 */
#ifndef FDX_VIEW_ZOOM_H
#define FDX_VIEW_ZOOM_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

int view_zoom(struct view *v, const char *path, size_t len, uint32_t *depth);

#endif
