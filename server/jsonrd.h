/*
 * jsonrd.h: a small pull reader for JSON: request bodies (PATCH bodies:
 * an object of strings and objects of strings) and uploaded JSON files
 * (speedscope's, import_speedscope.h: numbers, arrays, values skipped).
 *
 * The reader walks a byte range it does not own and never allocates.
 * Invariants: it never reads outside [p, end); a string is copied out
 * only whole (with escapes decoded, \uXXXX and surrogate pairs to UTF-8)
 * and NUL-terminated, or not at all; control characters inside strings,
 * \u0000, lone surrogates and bad escapes are syntax errors.
 */
#ifndef FDX_JSONRD_H
#define FDX_JSONRD_H

#include <stdbool.h>
#include <stddef.h>

struct jsonrd {
	const char *p, *end;
};

void jsonrd_init(struct jsonrd *r, const char *s, size_t n);
/* Skip whitespace; the next byte is c (not consumed). */
bool jsonrd_peek(struct jsonrd *r, char c);
/* Skip whitespace; consume c when it is next. */
bool jsonrd_eat(struct jsonrd *r, char c);
/* Skip whitespace; consume the literal word ("null", "true"...) when next. */
bool jsonrd_word(struct jsonrd *r, const char *w);
/* A string into out (cap bytes with the NUL): 0, -1 syntax error, -2 longer
 * than cap-1 bytes. *len gets its length. */
int jsonrd_string(struct jsonrd *r, char *out, size_t cap, size_t *len);
/* A number (JSON's grammar exactly: no leading '+', '.5', hex, NaN) into
 * *v: 0, -1 not a number or out of double's range. */
int jsonrd_number(struct jsonrd *r, double *v);
/* Skip one value of any kind, checking its syntax, nested at most
 * max_depth arrays and objects deep: 0, -1 syntax error, -2 too deep. */
int jsonrd_skip(struct jsonrd *r, int max_depth);
/* Nothing but whitespace is left. */
bool jsonrd_done(struct jsonrd *r);

#endif
