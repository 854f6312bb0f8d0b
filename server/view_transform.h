/*
 * view_transform.h: flame-graph transforms of a view, past what pprof has.
 *
 *   collapse_recursion  a frame whose function is already on the path
 *                       above it is dropped, so A;B;A;C reads A;B;C
 *                       (speedscope's "flatten recursion", key r); its
 *                       value stays with the stack
 *   merge_fn=RE         frames whose function name matches RE (Go syntax,
 *                       unanchored, the name only) are dropped and their
 *                       self value goes to their caller (the Firefox
 *                       Profiler's "merge function"); a stack left with no
 *                       frame counts at the root
 *
 * Both refold the view's finished tree (after filters and pseudo-frames)
 * into a new one; totals are unchanged. The profile is not modified.
 */
#ifndef FDX_VIEW_TRANSFORM_H
#define FDX_VIEW_TRANSFORM_H

#include "view.h"

/* Does o ask for a transform? */
bool view_transform_wanted(const struct view_opts *o);
/* Replace v->t (finished, VIEW_SELF filled, not summed up) by its
 * transform under o. 0, or -1 (out of memory, the work was stopped, a
 * regex match could not run). */
int view_transform(struct view *v, const struct view_opts *o);

#endif
