/*
 * fuzz_common.h: what the libFuzzer targets of tests/fuzz share.
 *
 * A target checks more than "no sanitizer report": ORACLE(cond, fmt, ...)
 * prints the failed condition and calls abort(), so libFuzzer saves the
 * input as a crash. The decoder targets apply the two checks below to
 * every input; each target adds its own (see the comment at its top).
 *
 * The targets link server/libflamedex.a; this file names no server source.
 */
#ifndef FDX_FUZZ_COMMON_H
#define FDX_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ingest.h"
#include "prof.h"

#define ORACLE(cond, ...)                                              \
	do {                                                           \
		if (!(cond)) {                                         \
			fprintf(stderr, "oracle failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);                  \
			fputc('\n', stderr);                           \
			abort();                                       \
		}                                                      \
	} while (0)

/* The entry point libFuzzer calls, once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A refused upload is an HTTP client error: status 400, 413 or 415, an
 * error code and a message. */
void fuzz_check_refusal(const struct decode_err *err);

/* p keeps the invariants prof.h states and the views rely on without
 * checking: every string, function, frame, location, node, label and
 * labelset id in range, parents before children, labelset 0 empty, each
 * (node, labelset) pair in one sample only. */
void fuzz_check_prof(const struct prof *p);

/* data[0, n) as a NUL-terminated string, cut at its first NUL byte, as a
 * query argument reaches the server; malloc'd. */
char *fuzz_cstr(const uint8_t *data, size_t n);

#endif
