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
 *   - enc_gzip is deterministic (fixed level, no name or time in the
 *     header): the same body and zlib give the same bytes, so a body
 *     gzipped once and kept (answers.h) is the representation a fresh
 *     reply would send under the same ETag;
 *   - enc_gzip never changes its input; on any failure it returns -1 and
 *     the caller sends the body as it is.
 *   - ETags (enc_etag) are strong and name one representation: the same
 *     key, server build and coding give the same tag, and a different
 *     coding (gzip or not) a different one, as RFC 9110 8.8.3 requires.
 *     The server build is a hash of the running executable, read once
 *     (enc_build_id), so a rebuilt server never answers 304 for a view it
 *     would now draw differently.
 *   - Everything else is a pure function of its arguments.
 */
#ifndef FDX_ENCODING_H
#define FDX_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* gunzip one gzip member in[0, n) that inflates to exactly want bytes into
 * a new malloc'ed *out: 0, or -1 (not gzip, corrupt, another length, out
 * of memory; *out untouched). want is the caller's cap too: nothing
 * beyond it is ever allocated. */
int enc_gunzip(const void *in, size_t n, size_t want, void **out);

/* Strong ETags: '"' + 32 hex digits + '"' and a NUL. */
#define ENC_ETAG_LEN 35

/* The ETag of the representation named by key[0, n) (e.g. a profile id
 * and a normalized query), in this server build, gzipped or not. */
void enc_etag(const void *key, size_t n, bool gz, char out[ENC_ETAG_LEN]);

/* Whether an If-None-Match value (NULL: none) names etag, or is "*".
 * Weak comparison (RFC 9110 13.1.2): a W/ prefix is ignored. */
bool enc_etag_matches(const char *if_none_match, const char *etag);

/* A hash of the running executable (/proc/self/exe), computed once;
 * thread-safe. Falls back to the version and build date when the file
 * cannot be read. */
uint64_t enc_build_id(void);

#endif
