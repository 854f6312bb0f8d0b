/*
 * ingest.h: an upload's bytes turned into a struct prof, or a precise
 * reason why not. The one entry point for uploaded bodies.
 *
 * A body goes through three steps:
 *   1. gzip (several members allowed) is inflated, capped at max_inflated
 *      bytes, after reserving what it may inflate to from the shared
 *      in-flight budget (budget.h; 429 when it is spent);
 *   2. one sniffer, ingest_sniff, tells the formats apart;
 *   3. profile.proto goes to the proto decoder (decode.h), goroutine text
 *      (debug=1 and debug=2) to textdump.h; legacy pprof formats (text and
 *      binary) and other known files are refused with 415 naming them.
 * Neither decoder calls back in here.
 */
#ifndef FDX_INGEST_H
#define FDX_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "prof.h"

enum ingest_format {
	INGEST_PROTO,             /* nothing else: left to the proto decoder to judge */
	INGEST_GOROUTINE_DEBUG1,  /* "goroutine profile: total N" */
	INGEST_GOROUTINE_DEBUG2,  /* "goroutine N [...]:" blocks, crash output */
	INGEST_REFUSED,           /* a known format flamedex does not read */
	INGEST_FOLDED,            /* folded stacks text (import_folded.h) */
};

/* Inflate a gzip stream (several members allowed) into *out (malloc'd).
 * Returns 0, or -1 with err set (bad_gzip, inflated_too_large). */
int ingest_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out, size_t *out_len,
                  struct decode_err *err);

/* Which format the (inflated) bytes are in. *name is set to a name for
 * people, which for INGEST_REFUSED is what the 415 message says. Leading
 * blank lines and whitespace are skipped, CRLF line ends are fine. */
enum ingest_format ingest_sniff(const uint8_t *data, size_t n, const char **name);

/* Decode an upload of n bytes (n > 0 expected; 0 is a 400). Returns a new
 * profile, or NULL with *err set: 400, 413, 415, 429 (budget spent) or
 * 500 (out of memory). */
struct prof *ingest_decode(const uint8_t *data, size_t n, size_t max_inflated, struct decode_err *err);

#endif
