/*
 * json.c: streaming JSON writer (see json.h).
 */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "work.h"

void json_init(struct json *j, struct buf *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = false;
}

/* Separator before a value at the current level (unless it follows a key). */
static void sep(struct json *j)
{
	/* Every value passes here: the poll point of every JSON writer. A
	 * stopped work fails the buffer, so the writer returns -1 and nothing
	 * partial is sent (work.h). */
	if (work_poll() != WORK_OK)
		j->out->oom = true;
	if (j->need_comma[j->depth])
		buf_addc(j->out, ',');
	j->need_comma[j->depth] = true;
}

static void open(struct json *j, char c)
{
	sep(j);
	buf_addc(j->out, c);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	buf_addc(j->out, c);
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_key(struct json *j, const char *key)
{
	sep(j);
	json_escape(j->out, key, strlen(key));
	buf_addc(j->out, ':');
	/* The value that follows must not add a comma. */
	j->need_comma[j->depth] = false;
}

/* After a value inside an object the next key needs a comma: sep() set
 * need_comma before json_key cleared it, so values re-set it here. */
#define VALUE_BEGIN(j) sep(j)

void json_str(struct json *j, const char *s)
{
	VALUE_BEGIN(j);
	json_escape(j->out, s ? s : "", s ? strlen(s) : 0);
}

void json_strn(struct json *j, const char *s, size_t n)
{
	VALUE_BEGIN(j);
	json_escape(j->out, s, n);
}

void json_int(struct json *j, int64_t v)
{
	VALUE_BEGIN(j);
	buf_printf(j->out, "%lld", (long long)v);
}

void json_uint(struct json *j, uint64_t v)
{
	VALUE_BEGIN(j);
	buf_printf(j->out, "%llu", (unsigned long long)v);
}

void json_double(struct json *j, double v)
{
	VALUE_BEGIN(j);
	if (!isfinite(v))
		buf_adds(j->out, "null");
	else
		buf_printf(j->out, "%.17g", v);
}

void json_pct(struct json *j, double v)
{
	VALUE_BEGIN(j);
	if (!isfinite(v)) {
		buf_adds(j->out, "null");
		return;
	}
	char tmp[352];
	int n = snprintf(tmp, sizeof(tmp), "%.4f", v);
	if (n <= 0 || (size_t)n >= sizeof(tmp)) {
		buf_printf(j->out, "%.17g", v); /* beyond 1e300: not a percentage anyone reads */
		return;
	}
	while (n > 0 && tmp[n - 1] == '0')
		n--;
	if (n > 0 && tmp[n - 1] == '.')
		n--;
	tmp[n] = '\0';
	buf_adds(j->out, strcmp(tmp, "-0") == 0 ? "0" : tmp);
}

void json_bool(struct json *j, bool v)
{
	VALUE_BEGIN(j);
	buf_adds(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	VALUE_BEGIN(j);
	buf_adds(j->out, "null");
}

void json_raw(struct json *j, const char *text)
{
	VALUE_BEGIN(j);
	buf_adds(j->out, text);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void json_escape(struct buf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	static const char hex[] = "0123456789abcdef";
	buf_addc(out, '"');
	size_t i = 0, run = 0;
	while (i < n) {
		unsigned char c = s[i];
		const char *esc = NULL;
		char u[7];
		size_t ulen = 1;
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
			u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
			u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = 0;
			esc = u;
		} else if (c >= 0x80) {
			ulen = utf8_len(s + i, n - i);
			if (ulen == 0) {
				esc = "\xef\xbf\xbd"; /* U+FFFD */
				ulen = 1;
			}
		}
		if (esc) {
			if (run)
				buf_add(out, s + i - run, run);
			run = 0;
			buf_adds(out, esc);
			i += ulen;
		} else {
			run += ulen;
			i += ulen;
		}
	}
	if (run)
		buf_add(out, s + n - run, run);
	buf_addc(out, '"');
}
