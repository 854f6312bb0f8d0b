/*
 * util.h: small helpers with no better home: ids, time formatting, logging.
 */
#ifndef FDX_UTIL_H
#define FDX_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Profile ids: 16 random bytes (128 bits) as 22 base64url characters. */
#define FDX_ID_LEN 22
int util_new_id(char out[FDX_ID_LEN + 1]);
bool util_is_id(const char *s);

/* RFC 3339 UTC with nanoseconds trimmed to what is non-zero. */
void util_rfc3339(int64_t unix_nanos, char out[40]);
int64_t util_now_nanos(void);
double util_mono_ms(void);

/* Log one line to stderr; fmt should produce key=value pairs. */
/* The tests' hold hook (heavy.h, downsample.h): when the file path names
 * exists (path NULL: never), make path.held and wait while the file is
 * still there and stop() says no, then remove path.held. */
void util_test_hold(const char *path, bool (*stop)(void));
void util_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Copy s into out (cap bytes) with control chars, quotes, spaces escaped. */
void util_log_escape(const char *s, char *out, size_t cap);

/* Ask for transparent huge pages on the 2 MiB-aligned part of the block
 * [p, p + bytes) when it is at least UTIL_HUGE_MIN bytes (the merge's
 * maps and arrays, hundreds of MB read at random: 4 KiB pages make every
 * lookup a TLB miss and every fresh page a fault). Advice only: nothing
 * happens when the kernel says no, or THP is off. */
#define UTIL_HUGE_MIN (8u << 20)
void util_advise_huge(void *p, size_t bytes);

/* Checked add of non-negative int64; returns false on overflow. */
static inline bool util_add_ok(int64_t *acc, int64_t v)
{
	return !__builtin_add_overflow(*acc, v, acc);
}

#endif
