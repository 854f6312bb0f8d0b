/*
 * jsonrd.c: a small pull reader for JSON request bodies (see jsonrd.h).
 */
#include "jsonrd.h"

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
