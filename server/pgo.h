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

/* Function start lines, which the decoded model does not keep, read from
 * the stored uploads: pgo_lines_add each upload's bytes (gzipped or not),
 * then pgo_lines_for the merged profile. A function is known by name and
 * file; a start line seen in several uploads is the first one's. */
struct pgo_lines;
struct pgo_lines *pgo_lines_new(void);
/* 0, or -1 when the bytes are not a profile.proto (they are then skipped
 * by the caller: a goroutine dump has no start lines) or out of memory. */
int pgo_lines_add(struct pgo_lines *t, const uint8_t *data, size_t n, size_t max_inflated);
/* Per function of p, its start line (0 unknown); malloc'd, NULL on failure. */
int64_t *pgo_lines_for(const struct pgo_lines *t, const struct prof *p);
void pgo_lines_free(struct pgo_lines *t);

#endif
