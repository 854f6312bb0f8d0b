/*
 * pprof.h: turn an uploaded file into a struct prof, or say precisely why not.
 *
 * Accepts profile.proto bodies, gzipped or not. Every size is capped before
 * use (inflated bytes, entity counts, stack depth) and every index in the
 * file is checked before it is followed. Legacy text/binary formats and
 * other non-pprof files are recognised and refused with a 415 that names
 * them.
 */
#ifndef FDX_PPROF_H
#define FDX_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "prof.h"

struct pprof_err {
	int status;         /* HTTP status: 400, 413 or 415 */
	const char *code;   /* API error code */
	char message[256];
};

/* Inflate a gzip stream (several members allowed) into *out (malloc'd).
 * Returns 0, or -1 with err set (bad_gzip / inflated_too_large). */
int pprof_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
                 size_t *out_len, struct pprof_err *err);

/* Name of a known non-pprof format found in data, or NULL. */
const char *pprof_sniff_format(const uint8_t *data, size_t n);

/* Decode an upload. Returns a new profile or NULL with err set. */
struct prof *pprof_decode(const uint8_t *data, size_t n, size_t max_inflated,
                          struct pprof_err *err);

/* Decode an uncompressed profile.proto message (no sniffing). */
struct prof *pprof_decode_proto(const uint8_t *data, size_t n, struct pprof_err *err);

#endif
