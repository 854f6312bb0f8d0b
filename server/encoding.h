/*
 * encoding.h: content coding of response bodies (gzip, RFC 9110 8.4).
 *
 * reply.c compresses a body with gzip when the request's Accept-Encoding
 * allows it and the body is worth it: at least ENC_MIN_BYTES, of a type
 * that compresses (JSON, text, JavaScript, SVG; not images or protobuf,
 * which are compressed already or tiny). Such replies carry
 * Content-Encoding: gzip; every reply whose coding depends on the request
 * (compressible type and size) carries Vary: Accept-Encoding.
 *
 * Invariants:
 *   - enc_accepts_gzip follows the header's syntax: codings separated by
 *     commas, optional ";q=" weights; "gzip" or "x-gzip" with q > 0, or
 *     "*" with q > 0 when gzip is not named; q=0 refuses. A missing header
 *     accepts nothing (identity is always acceptable).
 *   - enc_gzip never changes its input; on any failure it returns -1 and
 *     the caller sends the body as it is.
 *   - Pure functions of their arguments: no I/O, no global state.
 */
#ifndef FDX_ENCODING_H
#define FDX_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

/* Bodies below this many bytes are sent as they are (the gzip header and
 * the deflate costs are not worth it). */
#define ENC_MIN_BYTES 1024

/* Whether an Accept-Encoding value (NULL: no header) admits gzip. */
bool enc_accepts_gzip(const char *accept_encoding);

/* Whether a body of this Content-Type (NULL: none) is worth compressing. */
bool enc_compressible(const char *ctype);

/* gzip in[0, n) into a new malloc'ed *out of *out_len bytes: 0, or -1
 * (out of memory or a zlib error; *out untouched). */
int enc_gzip(const void *in, size_t n, void **out, size_t *out_len);

#endif
