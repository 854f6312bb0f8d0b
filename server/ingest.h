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
 *      (debug=1 and debug=2) to textdump.h, folded stacks to
 *      import_folded.h, speedscope JSON to import_speedscope.h; legacy
 *      pprof formats (text and binary) and other known files are refused
 *      with 415 naming them.
 * No decoder calls back in here. The format an upload came in is named
 * by ingest_format_name (the profile list shows it, store.h keeps it).
 */
#ifndef FDX_INGEST_H
#define FDX_INGEST_H

#include <stdbool.h>
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
	INGEST_SPEEDSCOPE,        /* speedscope JSON (import_speedscope.h) */
};

/* What the API calls a format ("format" of a profile's metadata): pprof
 * (gzipped profile.proto), pprof-uncompressed, text-debug1, text-debug2,
 * folded, speedscope (the text formats whether gzipped or not); NULL for
 * INGEST_REFUSED. */
/* Whether a stored original of this format (ingest_format_name) decodes
 * again, with no options, to the profile its upload gave: a profile.proto
 * does (store.h's redecodable); imports may depend on upload options. */
bool ingest_redecodes(const char *format);
const char *ingest_format_name(enum ingest_format f, bool gzipped);

/* The format name of stored upload bytes (only the first n of them may
 * be given: a prefix of at least 64 KiB names them as the whole would).
 * "pprof" when nothing else fits. */
const char *ingest_format_of(const uint8_t *data, size_t n);

/* Options of an upload (NULL: the defaults). */
struct ingest_opts {
	/* speedscope files: which profile (import_speedscope.h's
	 * IMPORT_SPEEDSCOPE_DEFAULT, _ALL or an index); not DEFAULT with
	 * another format is a 400 bad_request */
	int speedscope_profile;
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
/* ingest_decode with options; *format (when format is not NULL) gets
 * ingest_format_name of what was read. */
struct prof *ingest_decode_opts(const uint8_t *data, size_t n, size_t max_inflated, const struct ingest_opts *o,
                                const char **format, struct decode_err *err);

#endif
