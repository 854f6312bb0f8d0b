/*
 * profwrite.h: a decoded (or merged) profile written back as a gzipped
 * profile.proto that go tool pprof reads (protobuf-c, schema/profile.proto).
 *
 * What is written is the model of prof.h: one Function per function, one
 * Location per location (its frames as Lines, innermost first, the
 * mapping named by its outermost frame's mapping file), one Mapping per
 * distinct mapping file (flagged as symbolized, so pprof does not try to
 * symbolize again), one Sample per (stack, label set) with its labels.
 * Addresses are not kept by the model and are written as 0. The numbers
 * pprof prints from the result (-top, -tags, per function) equal those of
 * the views of the same model (view.h).
 */
#ifndef FDX_PROFWRITE_H
#define FDX_PROFWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prof.h"

struct profwrite_opts {
	const uint32_t *types;          /* sample types to write, in order; NULL: all */
	uint32_t n_types;
	bool drop_labels;               /* write samples without their labels */
	const int64_t *start_line;      /* per function of p, NULL: 0 */
	const uint32_t *max_depth;      /* per sample: locations kept, leaf first
	                                 * (UINT32_MAX all); NULL: all */
	double scale;                   /* 0 or 1: none; else every value times
	                                 * scale, rounded as pprof's Scale */
};

/* The gzipped profile.proto of p into *out (malloc'd, *len bytes). 0, or
 * -1 when out of memory or stopped (work_poll). */
int profwrite_gz(const struct prof *p, const struct profwrite_opts *o, uint8_t **out, size_t *len);

#endif
