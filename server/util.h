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
void util_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Copy s into out (cap bytes) with control chars, quotes, spaces escaped. */
void util_log_escape(const char *s, char *out, size_t cap);

/* Checked add of non-negative int64; returns false on overflow. */
static inline bool util_add_ok(int64_t *acc, int64_t v)
{
	return !__builtin_add_overflow(*acc, v, acc);
}

#endif
