/*
 * export.h: a view written in the formats other tools read.
 *
 *   export_folded  one "a;b;c N" line per distinct stack with a non-zero
 *                  value (root first; Brendan Gregg's flamegraph.pl and
 *                  speedscope read it). A ';' inside a name is written ':'
 *                  and a control character ' ', since the format has no
 *                  escape; lines in the tree's order (children by name).
 *   export_pprof   a gzipped profile.proto of the view: its one sample
 *                  type, one sample per stack, one location and function
 *                  per name (the function's file when the profile has one),
 *                  the profile's period, time and duration. go tool pprof
 *                  -top of it equals -top of the source with the same
 *                  options (tests/api/test_export.py).
 *   export_svg     a standalone SVG flame graph (no script, no external
 *                  resource): root at the top, widths by cum, a <title>
 *                  tooltip with each frame's name and value; every name
 *                  XML-escaped; frames narrower than a pixel left out, at
 *                  most FDX_MAX_SVG_FRAMES frames.
 *
 * Invariants: the view is only read; each writer returns 0, -1 (out of
 * memory; the work was stopped), or EXPORT_TOO_LARGE when the output would
 * pass FDX_MAX_EXPORT_BYTES; on anything but 0 the buffer is to be thrown
 * away.
 */
#ifndef FDX_EXPORT_H
#define FDX_EXPORT_H

#include "buf.h"
#include "view.h"

enum { EXPORT_TOO_LARGE = 20 };

int export_folded(const struct view *v, struct buf *out);
int export_pprof(const struct view *v, struct buf *out);
int export_svg(const struct view *v, struct buf *out);

#endif
