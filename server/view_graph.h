/*
 * view_graph.h: a DOT graph laid out and drawn as SVG by Graphviz (libgvc,
 * libcgraph; the "dot" layout engine, as go tool pprof -svg runs it).
 *
 * Graphviz is not thread-safe: one context, created on first use, and
 * every layout under one lock, so layouts run one at a time. Their time
 * is bounded by the caller's caps on the graph (FDX_MAX_GRAPH_SVG_NODES,
 * _EDGES in limits.h), not by a deadline: a layout cannot be cancelled.
 */
#ifndef FDX_VIEW_GRAPH_H
#define FDX_VIEW_GRAPH_H

#include <stddef.h>

#include "buf.h"

#define VIEW_GRAPH_UNAVAILABLE 3 /* Graphviz could not read or lay out the graph */

/* The SVG of the DOT text dot[0..n) appended to out. 0, -1 when out of
 * memory, VIEW_GRAPH_UNAVAILABLE (err says why) when Graphviz failed. */
int view_graph_svg(const char *dot, size_t n, struct buf *out, char *err, size_t errcap);

#endif
