/*
 * timearg.h: a point in time given as a request parameter, read into Unix
 * nanoseconds (POST /api/v1/profiles?time=..., docs/API.md).
 *
 * Accepted forms:
 *   RFC 3339       "2024-05-01T12:00:00Z", "2024-05-01T14:00:00.25+02:00"
 *                  (a fraction of up to 9 digits; "t", "z" and a space for
 *                  "T" as RFC 3339 allows; a leap second 60 is read as the
 *                  next minute's 00)
 *   Unix seconds   a decimal number below 10^11, fraction allowed:
 *                  "1714564800", "1714564800.25"
 *   Unix ns        an integer of 10^17 and above: "1714564800250000000"
 * Integers in between (milliseconds, microseconds) are refused as
 * ambiguous rather than guessed. The time must be after the Unix epoch
 * and fit in int64 nanoseconds (before 2262-04-11).
 */
#ifndef FDX_TIMEARG_H
#define FDX_TIMEARG_H

#include <stddef.h>
#include <stdint.h>

/* s (NUL-terminated) into *ns. 0, or -1 with a message for the client in
 * err[cap] (what was wrong and the forms accepted). */
int timearg_parse(const char *s, int64_t *ns, char *err, size_t cap);

#endif
