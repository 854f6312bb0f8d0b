/*
 * jsoncheck.h: a strict JSON (RFC 8259) syntax checker, header-only, used
 * by the unit tests and the fuzz target as an oracle for the JSON writers.
 * It also requires strings to be valid UTF-8 (no surrogates, no overlongs).
 */
#ifndef FDX_JSONCHECK_H
#define FDX_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jc {
	const unsigned char *p, *end;
	int depth;
};

static inline bool jc_value(struct jc *c);

static inline void jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static inline bool jc_lit(struct jc *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

static inline bool jc_hex(unsigned char h)
{
	return (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
}

/* One UTF-8 sequence at c->p (first byte >= 0x80). */
static inline bool jc_utf8(struct jc *c)
{
	unsigned char b = *c->p;
	size_t len;
	unsigned cp;
	if (b >= 0xc2 && b <= 0xdf) {
		len = 2;
		cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		cp = b & 0x0f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		cp = b & 0x07;
	} else {
		return false;
	}
	if ((size_t)(c->end - c->p) < len)
		return false;
	for (size_t i = 1; i < len; i++) {
		if ((c->p[i] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (c->p[i] & 0x3f);
	}
	if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return false;
	if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return false;
	c->p += len;
	return true;
}

static inline bool jc_string(struct jc *c)
{
	if (!jc_lit(c, "\""))
		return false;
	while (c->p < c->end) {
		unsigned char b = *c->p;
		if (b == '"') {
			c->p++;
			return true;
		}
		if (b < 0x20)
			return false;
		if (b == '\\') {
			c->p++;
			if (c->p >= c->end)
				return false;
			unsigned char e = *c->p++;
			if (e == 'u') {
				if (c->end - c->p < 4)
					return false;
				for (int i = 0; i < 4; i++)
					if (!jc_hex(c->p[i]))
						return false;
				c->p += 4;
			} else if (!strchr("\"\\/bfnrt", e) || e == 0) {
				return false;
			}
			continue;
		}
		if (b >= 0x80) {
			if (!jc_utf8(c))
				return false;
			continue;
		}
		c->p++;
	}
	return false;
}

static inline bool jc_digits(struct jc *c)
{
	const unsigned char *s = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

static inline bool jc_number(struct jc *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!jc_digits(c))
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!jc_digits(c))
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!jc_digits(c))
			return false;
	}
	return true;
}

static inline bool jc_container(struct jc *c, char open, char close, bool obj)
{
	if (++c->depth > 512)
		return false;
	c->p++; /* open */
	(void)open;
	jc_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return true;
	}
	for (;;) {
		jc_ws(c);
		if (obj) {
			if (!jc_string(c))
				return false;
			jc_ws(c);
			if (!jc_lit(c, ":"))
				return false;
		}
		if (!jc_value(c))
			return false;
		jc_ws(c);
		if (c->p >= c->end)
			return false;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == close) {
			c->p++;
			c->depth--;
			return true;
		}
		return false;
	}
}

static inline bool jc_value(struct jc *c)
{
	jc_ws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{': return jc_container(c, '{', '}', true);
	case '[': return jc_container(c, '[', ']', false);
	case '"': return jc_string(c);
	case 't': return jc_lit(c, "true");
	case 'f': return jc_lit(c, "false");
	case 'n': return jc_lit(c, "null");
	default: return jc_number(c);
	}
}

/* Is s[0..n) exactly one JSON value (surrounding whitespace allowed)? */
static inline bool json_is_valid(const char *s, size_t n)
{
	struct jc c = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };
	if (!s)
		return false;
	if (!jc_value(&c))
		return false;
	jc_ws(&c);
	return c.p == c.end;
}

#endif
