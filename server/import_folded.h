/*
 * import_folded.h: folded ("collapsed") stacks read as a profile.
 *
 * The format of Brendan Gregg's stackcollapse scripts, async-profiler's
 * collapsed output, py-spy --format raw and flamedex's own folded export:
 * one "frame;frame;frame COUNT" line per stack, root first, COUNT a
 * non-negative integer after the last blank. Blank lines are skipped;
 * CRLF is fine. The profile has one sample type, samples/count, one
 * function and location per distinct frame name, and one sample per line.
 *
 * Invariants: the text is converted to a profile.proto and handed to the
 * proto decoder (as textdump.c does), so the model and every limit of
 * decode.h hold; a line over FDX_MAX_FOLDED_LINE bytes, a stack deeper
 * than FDX_MAX_STACK_DEPTH, an empty frame or a missing or out-of-range
 * count is a 400 bad_profile naming the line (one trailing ';' before
 * the count is allowed: perf's stackcollapse writes some).
 */
#ifndef FDX_IMPORT_FOLDED_H
#define FDX_IMPORT_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "prof.h"

/* Does data look like folded stacks (ingest_sniff asks)? */
bool import_folded_sniff(const uint8_t *data, size_t n);
struct prof *import_folded(const uint8_t *data, size_t n, struct decode_err *err);

#endif
