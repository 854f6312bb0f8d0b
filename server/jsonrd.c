/*
 * jsonrd.c: a small pull reader for JSON request bodies (see jsonrd.h).
 */
#include "jsonrd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void jsonrd_init(struct jsonrd *r, const char *s, size_t n)
{
	r->p = s ? s : "";
	r->end = r->p + (s ? n : 0);
}

static void skip_ws(struct jsonrd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

bool jsonrd_peek(struct jsonrd *r, char c)
{
	skip_ws(r);
	return r->p < r->end && *r->p == c;
}

bool jsonrd_eat(struct jsonrd *r, char c)
{
	if (!jsonrd_peek(r, c))
		return false;
	r->p++;
	return true;
}

bool jsonrd_word(struct jsonrd *r, const char *w)
{
	skip_ws(r);
	size_t n = strlen(w);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return false;
	r->p += n;
	return true;
}

bool jsonrd_done(struct jsonrd *r)
{
	skip_ws(r);
	return r->p == r->end;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Append n bytes to out[*k], keeping room for the NUL; false when full. */
static bool put(char *out, size_t cap, size_t *k, const char *b, size_t n)
{
	if (*k + n + 1 > cap)
		return false;
	memcpy(out + *k, b, n);
	*k += n;
	return true;
}

int jsonrd_string(struct jsonrd *r, char *out, size_t cap, size_t *len)
{
	if (!jsonrd_eat(r, '"'))
		return -1;
	const char *q = r->p;
	size_t k = 0;
	bool full = false;
	while (q < r->end && *q != '"') {
		unsigned char c = (unsigned char)*q;
		char tmp[4];
		size_t tn = 1;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			tmp[0] = (char)c;
			q++;
		} else {
			if (r->end - q < 2)
				return -1;
			char e = q[1];
			q += 2;
			static const char esc[] = "\"\\/bfnrt", dec[] = "\"\\/\b\f\n\r\t";
			const char *simple = e ? strchr(esc, e) : NULL;
			if (simple) {
				tmp[0] = dec[simple - esc];
			} else if (e == 'u') {
				unsigned u;
				if (r->end - q < 4 || hex4(q, &u) < 0)
					return -1;
				q += 4;
				if (u >= 0xDC00 && u <= 0xDFFF)
					return -1;
				if (u >= 0xD800 && u <= 0xDBFF) {
					unsigned lo;
					if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) < 0 || lo < 0xDC00 ||
					    lo > 0xDFFF)
						return -1;
					q += 6;
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				}
				if (u == 0)
					return -1;
				if (u < 0x80) {
					tmp[0] = (char)u;
				} else if (u < 0x800) {
					tmp[0] = (char)(0xC0 | (u >> 6));
					tmp[1] = (char)(0x80 | (u & 0x3F));
					tn = 2;
				} else if (u < 0x10000) {
					tmp[0] = (char)(0xE0 | (u >> 12));
					tmp[1] = (char)(0x80 | ((u >> 6) & 0x3F));
					tmp[2] = (char)(0x80 | (u & 0x3F));
					tn = 3;
				} else {
					tmp[0] = (char)(0xF0 | (u >> 18));
					tmp[1] = (char)(0x80 | ((u >> 12) & 0x3F));
					tmp[2] = (char)(0x80 | ((u >> 6) & 0x3F));
					tmp[3] = (char)(0x80 | (u & 0x3F));
					tn = 4;
				}
			} else {
				return -1;
			}
		}
		if (!full && !put(out, cap, &k, tmp, tn))
			full = true;
	}
	if (q >= r->end)
		return -1;
	r->p = q + 1;
	if (full)
		return -2;
	if (cap)
		out[k] = '\0';
	*len = k;
	return 0;
}

int jsonrd_number(struct jsonrd *r, double *v)
{
	skip_ws(r);
	const char *s = r->p, *q = s, *e = r->end;
	if (q < e && *q == '-')
		q++;
	if (q >= e || *q < '0' || *q > '9')
		return -1;
	if (*q == '0')
		q++;
	else
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	if (q < e && *q == '.') {
		q++;
		if (q >= e || *q < '0' || *q > '9')
			return -1;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (q >= e || *q < '0' || *q > '9')
			return -1;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	/* strtod wants a NUL: copy. A longer number is not one a profile
	 * writes (a double needs at most 17 significant digits). */
	char tmp[128];
	size_t n = (size_t)(q - s);
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	double d = strtod(tmp, NULL);
	if (!isfinite(d))
		return -1;
	*v = d;
	r->p = q;
	return 0;
}

int jsonrd_skip(struct jsonrd *r, int max_depth)
{
	skip_ws(r);
	if (r->p >= r->end)
		return -1;
	char c = *r->p;
	if (c == '"') {
		size_t len;
		return jsonrd_string(r, NULL, 0, &len) == -1 ? -1 : 0;
	}
	if (c == '{' || c == '[') {
		if (max_depth <= 0)
			return -2;
		char close = c == '{' ? '}' : ']';
		r->p++;
		if (jsonrd_eat(r, close))
			return 0;
		do {
			if (c == '{') {
				size_t len;
				if (jsonrd_string(r, NULL, 0, &len) == -1 || !jsonrd_eat(r, ':'))
					return -1;
			}
			int rc = jsonrd_skip(r, max_depth - 1);
			if (rc < 0)
				return rc;
		} while (jsonrd_eat(r, ','));
		return jsonrd_eat(r, close) ? 0 : -1;
	}
	if (jsonrd_word(r, "true") || jsonrd_word(r, "false") || jsonrd_word(r, "null"))
		return 0;
	double d;
	return jsonrd_number(r, &d);
}
