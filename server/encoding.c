/*
 * encoding.c: gzip content coding of response bodies (see encoding.h).
 */
#include "encoding.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "autoconfig.h"
#include "hash.h"

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

int enc_gunzip(const void *in, size_t n, size_t want, void **out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	unsigned char *o = malloc(want + 1);   /* one byte more: a longer stream is caught */
	if (!o) {
		inflateEnd(&z);
		return -1;
	}
	const unsigned char *src = in;
	size_t left = n;
	z.next_out = o;
	int rc;
	do {
		if (z.avail_in == 0 && left) {
			uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
			z.next_in = (unsigned char *)(uintptr_t)src;
			z.avail_in = take;
			src += take;
			left -= take;
		}
		size_t used = (size_t)(z.next_out - o);
		size_t room = want + 1 - used;
		z.avail_out = (uInt)(room > (1u << 30) ? (1u << 30) : room);
		rc = inflate(&z, Z_NO_FLUSH);
	} while (rc == Z_OK && (z.avail_in || left) && z.next_out < o + want + 1);
	size_t produced = (size_t)(z.next_out - o);
	inflateEnd(&z);
	if (rc != Z_STREAM_END || produced != want || z.avail_in || left) {
		free(o);
		return -1;
	}
	*out = o;
	return 0;
}

/* ---- ETags ------------------------------------------------------------------- */

static uint64_t build_id;
static pthread_once_t build_once = PTHREAD_ONCE_INIT;

static void compute_build_id(void)
{
	uint64_t h = hash_bytes(PACKAGE_VERSION " " __DATE__ " " __TIME__, sizeof(PACKAGE_VERSION " " __DATE__ " " __TIME__) - 1);
	FILE *f = fopen("/proc/self/exe", "rb");
	if (f) {
		static unsigned char chunk[1 << 16];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			h = hash_mix64(h ^ hash_bytes(chunk, n));
		fclose(f);
	}
	build_id = h;
}

uint64_t enc_build_id(void)
{
	pthread_once(&build_once, compute_build_id);
	return build_id;
}

void enc_etag(const void *key, size_t n, bool gz, char out[ENC_ETAG_LEN])
{
	uint64_t b = enc_build_id();
	uint64_t k = hash_bytes(key, n);
	/* 128 bits: two mixes of (key, build, coding) */
	uint64_t h1 = hash_mix64(k ^ hash_mix64(b) ^ (gz ? 0x9e3779b97f4a7c15ull : 0));
	uint64_t h2 = hash_mix64(hash_mix64(k + 0x632be59bd9b4e019ull) ^ b ^ (gz ? 1u : 2u) ^ (uint64_t)n << 1);
	snprintf(out, ENC_ETAG_LEN, "\"%016llx%016llx\"", (unsigned long long)h1, (unsigned long long)h2);
}

bool enc_etag_matches(const char *inm, const char *etag)
{
	if (!inm)
		return false;
	size_t el = strlen(etag);
	const char *p = inm;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		const char *tok = p;
		if (*p == '"') {
			p++;
			while (*p && *p != '"')
				p++;
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != ' ' && *p != '\t')
				p++;
		}
		if ((size_t)(p - tok) == el && memcmp(tok, etag, el) == 0)
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}
