/*
 * encoding.c: gzip content coding of response bodies (see encoding.h).
 */
#include "encoding.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* deflate level: 4 gets most of level 6's ratio on JSON at about half
 * its time. */
#define ENC_LEVEL 4

/* The q weight of one coding's parameters (after the first ';'), in
 * thousandths; 1000 when absent, 0 when unparsable as a weight. */
static int qvalue(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			p += 2;
			if (p >= end || (*p != '0' && *p != '1'))
				return 0;
			int q = (*p++ - '0') * 1000;
			if (p < end && *p == '.') {
				p++;
				for (int scale = 100; scale >= 1 && p < end && isdigit((unsigned char)*p); scale /= 10)
					q += (*p++ - '0') * scale;
			}
			return q > 1000 ? 1000 : q;
		}
		while (p < end && *p != ';')
			p++;
	}
	return 1000;
}

bool enc_accepts_gzip(const char *h)
{
	if (!h)
		return false;
	int gzip_q = -1, star_q = -1;
	const char *p = h;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *tok = p;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		size_t tl = (size_t)(p - tok);
		const char *par = p;
		while (*p && *p != ',')
			p++;
		int q = qvalue(par, p);
		if ((tl == 4 && strncasecmp(tok, "gzip", 4) == 0) || (tl == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
			gzip_q = q > gzip_q ? q : gzip_q;
		else if (tl == 1 && tok[0] == '*')
			star_q = q;
	}
	if (gzip_q >= 0)
		return gzip_q > 0;
	return star_q > 0;
}

bool enc_compressible(const char *ctype)
{
	if (!ctype)
		return false;
	static const char *const prefixes[] = { "application/json", "text/", "application/javascript",
		                                "image/svg+xml", "application/x-ndjson" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncasecmp(ctype, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

int enc_gzip(const void *in, size_t n, void **out, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, ENC_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)n);
	unsigned char *o = malloc(cap ? cap : 1);
	if (!o) {
		deflateEnd(&z);
		return -1;
	}
	const unsigned char *src = in;
	size_t left = n;
	z.next_out = o;
	int rc;
	do {
		/* avail_in is 32 bits: feed big bodies in pieces */
		if (z.avail_in == 0 && left) {
			uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
			z.next_in = (unsigned char *)(uintptr_t)src;
			z.avail_in = take;
			src += take;
			left -= take;
		}
		size_t used = (size_t)(z.next_out - o);
		z.avail_out = (uInt)(cap - used > (1u << 30) ? (1u << 30) : cap - used);
		rc = deflate(&z, left ? Z_NO_FLUSH : Z_FINISH);
	} while (rc == Z_OK);
	size_t produced = (size_t)(z.next_out - o);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(o);
		return -1;
	}
	*out = o;
	*out_len = produced;
	return 0;
}
