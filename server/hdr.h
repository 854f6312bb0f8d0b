/*
 * hdr.h: strict checks of a request's header block, against request
 * smuggling and desynchronisation behind a proxy.
 *
 * Two levels:
 *
 *   hdr_framing_*  the framing rules, on header fields already split into
 *                  (name, value): at most one Content-Length, made of
 *                  digits only; no Transfer-Encoding together with a
 *                  Content-Length; Transfer-Encoding only once, only
 *                  "chunked", never in HTTP/1.0; exactly one Host in
 *                  HTTP/1.1. http.c runs them on the fields libmicrohttpd
 *                  parsed (every request, TLS ones included).
 *
 *   hdr_scan       the raw bytes of a header block (conn.c peeks them on
 *                  the socket before libmicrohttpd reads anything): every
 *                  line ends in CRLF (no bare LF, no bare CR), no line
 *                  starts with a space or tab (obs-fold), the request line
 *                  is METHOD SP TARGET SP HTTP/1.x, each field is
 *                  token ":" value with no whitespace before the colon and
 *                  no control character but tab in the value, and then the
 *                  framing rules above. These are what libmicrohttpd
 *                  0.9.75 accepts silently (it takes a bare LF as a line
 *                  end and folds continuation lines), so they can only be
 *                  seen on the raw bytes.
 *
 * A verdict names the first problem found in words a client can act on;
 * each rejected request is a 400 (505 for an HTTP version other than 1.x,
 * 431 for a header block over the limit).
 */
#ifndef FDX_HDR_H
#define FDX_HDR_H

#include <stdbool.h>
#include <stddef.h>

/* What the framing rules count. Zero it (or HDR_FRAMING_INIT) first. */
struct hdr_framing {
	int http_minor;        /* 0: HTTP/1.0, 1: HTTP/1.1 (or later 1.x) */
	unsigned n_cl, n_te, n_host;
	bool cl_bad;           /* a Content-Length that is not 1*DIGIT */
	bool te_bad;           /* a Transfer-Encoding other than "chunked" */
};
#define HDR_FRAMING_INIT { 0, 0, 0, 0, false, false }

/* Count one header field: the value without its leading whitespace but
 * with any trailing whitespace (libmicrohttpd 0.9.75 keeps it, and then
 * neither parses "5 " as a length nor "chunked " as chunked, so neither
 * may pass). Names are compared case-insensitively. */
void hdr_framing_add(struct hdr_framing *f, const char *name, size_t name_len, const char *value,
                     size_t value_len);
/* NULL when the fields frame the request unambiguously, else why not. */
const char *hdr_framing_verdict(const struct hdr_framing *f);
/* The minor version of "HTTP/1.x" (0 for anything else). */
int hdr_http_minor(const char *version);

enum hdr_result {
	HDR_MORE,   /* no complete header block yet, nothing wrong so far */
	HDR_OK,     /* a complete, valid header block of len bytes */
	HDR_BAD,    /* refuse: status and why are set */
};

struct hdr_scan {
	enum hdr_result result;
	size_t len;        /* HDR_OK: bytes up to and including the empty line */
	int status;        /* HDR_BAD: 400, 431 or 505 */
	const char *why;   /* HDR_BAD: static text */
};

/* Check the first n bytes received on a connection. max is the largest
 * header block accepted: with no complete block within max bytes the
 * verdict is 431. */
void hdr_scan(const char *buf, size_t n, size_t max, struct hdr_scan *out);

#endif
