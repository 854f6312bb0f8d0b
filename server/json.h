/*
 * json.h: a small streaming JSON writer into a struct buf.
 *
 * The writer tracks whether a comma is needed, so callers just emit keys and
 * values in order. Strings are escaped for JSON and made valid UTF-8 (bytes
 * that are not UTF-8 become U+FFFD); '<', '>' and '&' are escaped too, so a
 * hostile function name can never close a <script> if JSON is ever inlined.
 */
#ifndef FDX_JSON_H
#define FDX_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf *out;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, struct buf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
/* Emit an object key; the next value call supplies its value. */
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
/* A percentage people read: v rounded to 4 decimal places, without
 * trailing zeros ("503.0303", "15", never "-0"); null when not finite.
 * For derived ratios only: exact sample values go through json_int. */
void json_pct(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Append already-valid JSON text as one value. */
void json_raw(struct json *j, const char *text);

/* Escape s (n bytes) as a JSON string literal, quotes included, into out. */
void json_escape(struct buf *out, const char *s, size_t n);

#endif
