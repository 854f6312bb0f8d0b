/*
 * regex.c: struct rx on PCRE2 (see regex.h).
 */
#include "regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "limits.h"

struct rx_impl {
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

int rx_compile(struct rx *r, const char *pattern, size_t n, unsigned flags, char *err, size_t errcap)
{
	r->impl = NULL;
	if (n > FDX_MAX_REGEX_LEN) {
		snprintf(err, errcap, "regex longer than %u bytes", FDX_MAX_REGEX_LEN);
		return -1;
	}
	struct rx_impl *x = calloc(1, sizeof(*x));
	struct buf pat = BUF_INIT;
	if (!x)
		goto oom;
	if (flags & RX_FULL) {
		buf_adds(&pat, "^(?:");
		buf_add(&pat, pattern, n);
		buf_adds(&pat, ")$");
		if (pat.oom)
			goto oom;
		pattern = pat.data;
		n = pat.len;
	}
	int ec;
	PCRE2_SIZE eo;
	/* Go's $ matches only at the very end; invalid UTF-8 in names must not
	 * make matching fail. */
	x->re = pcre2_compile((PCRE2_SPTR)pattern, n,
	                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
	if (!x->re) {
		char msg[160];
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errcap, "bad regex at offset %zu: %s", (size_t)eo, msg);
		buf_release(&pat);
		free(x);
		return -1;
	}
	buf_release(&pat);
	pcre2_jit_compile(x->re, PCRE2_JIT_COMPLETE); /* best effort */
	x->md = pcre2_match_data_create_from_pattern(x->re, NULL);
	x->mc = pcre2_match_context_create(NULL);
	r->impl = x;
	if (!x->md || !x->mc) {
		rx_release(r);
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	pcre2_set_match_limit(x->mc, FDX_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(x->mc, FDX_REGEX_MATCH_LIMIT);
	return 0;
oom:
	buf_release(&pat);
	free(x);
	snprintf(err, errcap, "out of memory");
	return -1;
}

bool rx_match(const struct rx *r, const char *s, size_t n)
{
	const struct rx_impl *x = r->impl;
	return x && pcre2_match(x->re, (PCRE2_SPTR)s, n, 0, 0, x->md, x->mc) >= 0;
}

void rx_release(struct rx *r)
{
	struct rx_impl *x = r->impl;
	if (x) {
		if (x->md)
			pcre2_match_data_free(x->md);
		if (x->mc)
			pcre2_match_context_free(x->mc);
		if (x->re)
			pcre2_code_free(x->re);
		free(x);
	}
	r->impl = NULL;
}
