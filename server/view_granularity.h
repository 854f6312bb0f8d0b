/*
 * view_granularity.h: pprof's granularities (-functions, -filefunctions,
 * -files, -lines, -addresses), the one place flamedex applies them.
 *
 * A granularity decides the name a frame is printed and merged under
 * (pprof's NodeInfo.PrintableName after driver.aggregate):
 *   functions      "main.mix" (the profile's own frame keys, prof.h)
 *   filefunctions  "main.mix /src/main.go"
 *   files          "/src/main.go"
 *   lines          "main.mix /src/main.go:25"
 *   addresses      "0000000000401a2b main.mix /src/main.go:25" (the
 *                  location's address in 16 hex digits, left out when 0;
 *                  pprof -addresses keeps inlined frames, so each frame of
 *                  a location is a name of its own at the same address)
 * A file is Go's filepath.Clean of the function's file without the
 * /proc/self/cwd prefix (report.trimPath without -trim_path); a frame
 * without a function name is "[base of the mapping file]" or "<unknown>".
 *
 * view_gran_prof gives a profile whose frames are keyed by those names:
 * every view (view.h: top, flame graph, sandwich, diff, export) read from
 * it is the view at that granularity, while the filters, which pprof
 * applies before it aggregates, still match the original functions and
 * files (they are shared). cgraph.c names its graph nodes with
 * view_gran_frame.
 *
 * Invariants: the source profile is only read and must outlive the
 * derived one; the derived one shares everything but its strings (the
 * source's, same ids, then the new names), its frames and (addresses)
 * its location frames, and is freed with view_gran_prof_free only.
 */
#ifndef FDX_VIEW_GRANULARITY_H
#define FDX_VIEW_GRANULARITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "prof.h"

enum view_gran {
	VIEW_GRAN_FUNCTIONS = 0,
	VIEW_GRAN_FILEFUNCTIONS,
	VIEW_GRAN_FILES,
	VIEW_GRAN_LINES,
	VIEW_GRAN_ADDRESSES,
	VIEW_GRAN_COUNT
};

/* For error messages: the names view_gran_parse takes. */
#define VIEW_GRAN_LIST "functions, filefunctions, files, lines or addresses"

/* The granularity named s (NULL or "": functions); -1 when unknown. */
int view_gran_parse(const char *s);
/* "functions", ... */
const char *view_gran_name(int gran);
/* May p be viewed at gran? false only for addresses on a profile stored
 * without them (prof.h: loc_addr NULL while it has locations). */
bool view_gran_available(const struct prof *p, int gran);

/* The parts of a printed name (pprof's NameComponents). */
struct view_gran_parts {
	uint64_t addr;          /* printed when not 0 */
	const char *fn;         /* function name (not copied), "" when the granularity has none */
	size_t fn_len;
	struct buf file;        /* the cleaned file name, empty when not printed */
	int64_t line;           /* 0 unless lines or addresses */
	struct buf obj;         /* "[binary]" / "<unknown>", when neither function nor file is printed */
};

void view_gran_parts_release(struct view_gran_parts *pt);
/* Frame fr, one of the frames of location loc (its address is printed at
 * addresses; PROF_NONE: none), at gran: its printed name into name
 * (reset first) and, when pt is not NULL, its parts (reset first).
 * 0, or -1 when a buffer ran out of memory. */
int view_gran_frame(const struct prof *p, uint32_t loc, uint32_t fr, int gran, struct view_gran_parts *pt,
                    struct buf *name);

/* The profile p with its frames keyed by their names at gran (not
 * functions), the new names added to a copy of its strings. NULL when
 * out of memory, when the work was stopped, or when the granularity is
 * not available for p. */
struct prof *view_gran_prof(const struct prof *p, int gran);
void view_gran_prof_free(struct prof *gp);

#endif
