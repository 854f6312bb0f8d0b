/*
 * regex.c: struct rx on RE2, with Go's syntax and subjects (see regex.h).
 */
#include "regex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "limits.h"
#include "rx_gosyntax.h"
#include "rx_re2.h"

struct rx_impl {
	void *re2;
	bool failed;
};

int rx_compile(struct rx *r, const char *pattern, size_t n, unsigned flags, char *err, size_t errcap)
{
	r->impl = NULL;
	if (n > FDX_MAX_REGEX_LEN) {
		snprintf(err, errcap, "regex longer than %u bytes", FDX_MAX_REGEX_LEN);
		return RX_ERR_LIMIT;
	}
	struct buf pat = BUF_INIT;
	if (flags & RX_FULL) {
		/* exactly pprof's wrapping (profile.RemoveUninteresting) */
		buf_adds(&pat, "^(");
		buf_add(&pat, pattern, n);
		buf_adds(&pat, ")$");
		if (pat.oom) {
			buf_release(&pat);
			snprintf(err, errcap, "out of memory");
			return RX_ERR_NOMEM;
		}
		pattern = pat.data;
		n = pat.len;
	}
	int gc = rx_gosyntax_check(pattern, n, err, errcap);
	if (gc < 0) {
		buf_release(&pat);
		return gc == -2 ? RX_ERR_NOMEM : RX_ERR_SYNTAX;
	}
	int st = RX_RE2_NOMEM;
	struct rx_impl *x = calloc(1, sizeof(*x));
	void *re = x ? rx_re2_new(pattern, n, FDX_REGEX_MAX_MEM, &st, err, errcap) : NULL;
	buf_release(&pat);
	if (!re) {
		free(x);
		if (st == RX_RE2_SYNTAX)
			return RX_ERR_SYNTAX;
		if (st == RX_RE2_TOO_LARGE)
			return RX_ERR_LIMIT;
		snprintf(err, errcap, "out of memory");
		return RX_ERR_NOMEM;
	}
	x->re2 = re;
	r->impl = x;
	return 0;
}

/* The length of the valid UTF-8 sequence at s[0, n) as Go's utf8 package
 * decodes it (no overlong forms, no surrogates, nothing past U+10FFFF), or
 * 0 when s[0] starts none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int rx_exec(const struct rx *r, const char *s, size_t n)
{
	struct rx_impl *x = r->impl;
	if (!x)
		return 0;
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	while (i < n && (k = utf8_seq(u + i, n - i)) > 0)
		i += k;
	int m;
	if (i == n) {
		m = rx_re2_match(x->re2, s, n);
	} else {
		/* Go reads each byte of invalid UTF-8 as U+FFFD (EF BF BD): match
		 * a copy that says so, so that [^a], . and \x{FFFD} agree. */
		if (n > (SIZE_MAX - 3) / 3)
			return -1;
		char *t = malloc(3 * n + 1);
		if (!t)
			return -1;
		size_t o = 0;
		memcpy(t, s, i);
		o = i;
		while (i < n) {
			k = utf8_seq(u + i, n - i);
			if (k) {
				memcpy(t + o, s + i, k);
				o += k;
				i += k;
			} else {
				memcpy(t + o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			}
		}
		m = rx_re2_match(x->re2, t, o);
		free(t);
	}
	return m;
}

bool rx_match(const struct rx *r, const char *s, size_t n)
{
	int m = rx_exec(r, s, n);
	if (m < 0) {
		((struct rx_impl *)r->impl)->failed = true;
		return false;
	}
	return m == 1;
}

bool rx_failed(const struct rx *r)
{
	const struct rx_impl *x = r->impl;
	return x && x->failed;
}

void rx_fail(const struct rx *r)
{
	struct rx_impl *x = r->impl;
	if (x)
		x->failed = true;
}

void rx_release(struct rx *r)
{
	struct rx_impl *x = r->impl;
	if (x) {
		rx_re2_free(x->re2);
		free(x);
	}
	r->impl = NULL;
}
