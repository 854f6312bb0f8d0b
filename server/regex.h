/*
 * regex.h: the regular expressions of pprof's filters and drop_frames.
 *
 * go tool pprof matches with Go's regexp package; every pattern flamedex
 * takes from a client (focus, ignore, hide, tagfocus, tagignore) or from
 * an uploaded profile (drop_frames, keep_frames) goes through this module
 * so that there is one place deciding which syntax is accepted and what a
 * match costs.
 *
 * The engine is RE2 (rx_re2.h), the library Go's regexp was modelled on:
 * matching is linear in the subject and never backtracks. Syntax is Go's
 * exactly: rx_gosyntax.h refuses what RE2 takes and Go does not. Subjects
 * are matched as Go does: a byte that is not part of valid UTF-8 is read
 * as U+FFFD. A pattern is refused when it is longer than
 * FDX_MAX_REGEX_LEN or when its compiled form needs more than
 * FDX_REGEX_MAX_MEM (limits.h): RX_ERR_LIMIT, never a silent no-match.
 *
 * A compiled struct rx is read-only after rx_compile, except for its
 * failure flag, and may be used by one thread at a time. rx_release is
 * safe on a zeroed or failed rx.
 */
#ifndef FDX_REGEX_H
#define FDX_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct rx {
	void *impl;     /* NULL until compiled */
};

/* rx_compile flags */
#define RX_FULL 1u  /* match the whole subject: pprof's "^(" + re + ")$" for drop_frames */

/* rx_compile results (every failure is < 0, with a message in err) */
#define RX_ERR_SYNTAX (-1) /* Go's regexp refuses the pattern */
#define RX_ERR_LIMIT  (-2) /* longer than FDX_MAX_REGEX_LEN, or over FDX_REGEX_MAX_MEM compiled */
#define RX_ERR_NOMEM  (-3) /* out of memory */

/* Compile pattern[0, len). 0, or an RX_ERR_* with a message in err. */
int rx_compile(struct rx *r, const char *pattern, size_t len, unsigned flags, char *err, size_t errcap);
/* Does s[0, n) match (unanchored unless RX_FULL)? 1 yes, 0 no, -1 when
 * the match could not be run (out of memory). */
int rx_exec(const struct rx *r, const char *s, size_t n);
/* rx_exec as a bool, for loops that check rx_failed once at the end: a
 * match that could not be run returns false AND sets the rx's failure
 * flag, so a caller that checks rx_failed never takes it for no match. */
bool rx_match(const struct rx *r, const char *s, size_t n);
/* Has a match on r failed since it was compiled? */
bool rx_failed(const struct rx *r);
/* Set r's failure flag: for a caller that could not build a subject
 * (out of memory), so that its loop's rx_failed check sees it. */
void rx_fail(const struct rx *r);
void rx_release(struct rx *r);

#endif
