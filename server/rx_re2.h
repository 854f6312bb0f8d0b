/*
 * rx_re2.h: the C face of RE2 (rx_re2.cc), for regex.c only.
 *
 * A thin extern "C" shim: compile with a memory budget, match, free. No
 * C++ exception leaves it (allocation failure is a status). A compiled
 * object is read-only after rx_re2_new; RE2 itself allows concurrent
 * matching. Matching is linear in the subject (RE2 never backtracks); when
 * RE2's DFA cache runs out it falls back to its NFA, so the only failure
 * is an allocation failing, which is reported, never taken as no match.
 */
#ifndef FDX_RX_RE2_H
#define FDX_RX_RE2_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* rx_re2_new statuses */
#define RX_RE2_OK 0
#define RX_RE2_SYNTAX 1    /* RE2 refuses the pattern */
#define RX_RE2_TOO_LARGE 2 /* the compiled program does not fit in max_mem */
#define RX_RE2_NOMEM 3     /* allocation failed */

/* Compile pattern[0, n) (UTF-8, RE2's Perl-like syntax as Go's regexp
 * has it). NULL with *status set and a message in err on failure. */
void *rx_re2_new(const char *pattern, size_t n, int64_t max_mem, int *status, char *err, size_t errcap);
/* 1 when s[0, n) matches (unanchored), 0 when not, -1 when RE2 could not
 * allocate. */
int rx_re2_match(const void *re, const char *s, size_t n);
void rx_re2_free(void *re);

#ifdef __cplusplus
}
#endif

#endif
