/*
 * regex.h: the regular expressions of pprof's filters and drop_frames.
 *
 * go tool pprof matches with Go's regexp package; every pattern flamedex
 * takes from a client (focus, ignore, hide, tagfocus, tagignore) or from
 * an uploaded profile (drop_frames, keep_frames) goes through this module
 * so that there is one place deciding which syntax is accepted and what a
 * match costs.
 *
 * A compiled struct rx is read-only after rx_compile and may be used by
 * one thread at a time. rx_release is safe on a zeroed or failed rx.
 */
#ifndef FDX_REGEX_H
#define FDX_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct rx {
	void *impl;     /* NULL until compiled */
};

/* rx_compile flags */
#define RX_FULL 1u  /* match the whole subject (pprof's ^(?:re)$ for drop_frames) */

/* Compile pattern[0, len). 0, or -1 with a message in err (pattern
 * refused, too long, or out of memory). */
int rx_compile(struct rx *r, const char *pattern, size_t len, unsigned flags, char *err, size_t errcap);
/* Does s[0, n) match (unanchored unless RX_FULL)? Bytes that are not
 * UTF-8 never make matching fail. */
bool rx_match(const struct rx *r, const char *s, size_t n);
void rx_release(struct rx *r);

#endif
