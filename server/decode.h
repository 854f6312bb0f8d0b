/*
 * decode.h: turn an uncompressed profile.proto message into a struct prof,
 * or say precisely why not.
 *
 * Every count is capped before use (strings, mappings, functions,
 * locations, samples, sample types, labels, stack and inline depth: see
 * limits.h) and every index and id in the message is checked before it is
 * followed, so any byte string gives a profile or an error, never a crash.
 * Semantics are those of github.com/google/pprof/profile (see decode.c).
 *
 * Uploads come through ingest.h, which inflates and sniffs them first;
 * textdump.h writes a message and decodes it here.
 */
#ifndef FDX_DECODE_H
#define FDX_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "prof.h"

/* Why an upload was refused, as the API reports it. */
struct decode_err {
	int status;         /* HTTP status: 400, 413, 415, 429, or 500 when out of memory */
	const char *code;   /* API error code (a string literal); NULL while no error is set */
	char message[256];  /* for people; never empty once code is set */
};

void decode_err_set(struct decode_err *e, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Decode data[0, n) as one Profile message (no gzip, no sniffing).
 * Returns a new profile, or NULL with *err set. */
struct prof *decode_proto(const uint8_t *data, size_t n, struct decode_err *err);
/* The same for a malloc'd message, which the decoder owns and frees on
 * every path: as soon as the samples are read, before the stack trie is
 * built, so that the inflated bytes and the trie are never held together. */
struct prof *decode_proto_owned(uint8_t *data, size_t n, struct decode_err *err);

#endif
