/*
 * pgo.h: a merged CPU profile written for Go's profile-guided optimisation
 * (default.pgo, Go 1.21+; docs/API.md "PGO").
 *
 * From the merged model it keeps the CPU sample types only (samples/count
 * and cpu/nanoseconds, what cmd/compile reads), drops every sample label,
 * keeps function start lines when the caller has them (the compiler keys
 * call sites by line - start line), and with keep_top = N > 0 keeps only
 * the N heaviest call edges: an edge is (caller location's innermost
 * frame, callee function) between adjacent locations of a stack, weighed
 * by the CPU time under it (the last CPU type; counted at each occurrence
 * in a stack); each sample keeps its stack from the leaf up to, not
 * including, the first caller reached through an edge that is not kept.
 * So every value stays on its leaf function (flat and the total are
 * unchanged) and the profile names no edge but the kept ones.
 */
#ifndef FDX_PGO_H
#define FDX_PGO_H

#include <stddef.h>
#include <stdint.h>

#include "prof.h"

#define PGO_NOT_CPU 1

/* Gzipped profile.proto for default.pgo into *out (malloc'd). start_line:
 * per function of p, or NULL. 0; PGO_NOT_CPU with a message in why when p
 * is not a CPU profile; -1 out of memory or stopped. */
int pgo_write(const struct prof *p, long keep_top, const int64_t *start_line, uint8_t **out, size_t *len,
              char *why, size_t whycap);

#endif
