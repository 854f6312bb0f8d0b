/*
 * test_encoding.c: gzip content coding (encoding.h): which Accept-Encoding
 * values admit gzip, which types are compressed, and that enc_gzip's
 * output inflates back to its input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "encoding.h"
#include "tests.h"

START_TEST(enc_accept_header)
{
	ck_assert(!enc_accepts_gzip(NULL));
	ck_assert(!enc_accepts_gzip(""));
	ck_assert(!enc_accepts_gzip("identity"));
	ck_assert(!enc_accepts_gzip("br, deflate"));
	ck_assert(enc_accepts_gzip("gzip"));
	ck_assert(enc_accepts_gzip("GZIP"));
	ck_assert(enc_accepts_gzip("x-gzip"));
	ck_assert(enc_accepts_gzip("gzip, deflate, br"));
	ck_assert(enc_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
	ck_assert(enc_accepts_gzip(" deflate ,gzip ; q=0.5"));
	ck_assert(!enc_accepts_gzip("gzip;q=0"));
	ck_assert(!enc_accepts_gzip("gzip;q=0.000"));
	ck_assert(enc_accepts_gzip("gzip;q=0.001"));
	ck_assert(enc_accepts_gzip("*"));
	ck_assert(!enc_accepts_gzip("*;q=0"));
	ck_assert(!enc_accepts_gzip("gzip;q=0, *"));    /* named gzip wins over * */
	ck_assert(!enc_accepts_gzip("gzipx, xgzip"));   /* whole tokens only */
	ck_assert(!enc_accepts_gzip("gzip;q=x"));       /* an unparsable weight refuses */
}
END_TEST

START_TEST(enc_types)
{
	ck_assert(enc_compressible("application/json"));
	ck_assert(enc_compressible("text/html; charset=utf-8"));
	ck_assert(enc_compressible("text/css"));
	ck_assert(enc_compressible("application/javascript"));
	ck_assert(enc_compressible("image/svg+xml"));
	ck_assert(!enc_compressible(NULL));
	ck_assert(!enc_compressible("image/png"));
	ck_assert(!enc_compressible("application/octet-stream"));
	ck_assert(!enc_compressible("application/gzip"));
}
END_TEST

static void roundtrip(const unsigned char *in, size_t n)
{
	void *z = NULL;
	size_t zl = 0;
	ck_assert_int_eq(enc_gzip(in, n, &z, &zl), 0);
	ck_assert_ptr_nonnull(z);
	ck_assert_uint_ge(zl, 18);                    /* gzip header + trailer */
	ck_assert_uint_eq(((unsigned char *)z)[0], 0x1f);
	ck_assert_uint_eq(((unsigned char *)z)[1], 0x8b);
	unsigned char *back = malloc(n + 1);
	ck_assert_ptr_nonnull(back);
	z_stream s;
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(inflateInit2(&s, 16 + MAX_WBITS), Z_OK);
	s.next_in = z;
	s.avail_in = (uInt)zl;
	s.next_out = back;
	s.avail_out = (uInt)(n + 1);
	ck_assert_int_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(s.total_out, n);
	inflateEnd(&s);
	if (n)
		ck_assert_mem_eq(back, in, n);
	free(back);
	free(z);
}

/* enc_gunzip gives back exactly what enc_gzip took, and refuses a wrong
 * length, a cut or corrupt stream and bytes that are not gzip. */
static void gunzip_back(const unsigned char *in, size_t n)
{
	void *z = NULL, *back = NULL;
	size_t zl = 0;
	ck_assert_int_eq(enc_gzip(in, n, &z, &zl), 0);
	ck_assert_int_eq(enc_gunzip(z, zl, n, &back), 0);
	if (n)
		ck_assert_mem_eq(back, in, n);
	free(back);
	back = NULL;
	ck_assert_int_eq(enc_gunzip(z, zl, n + 1, &back), -1);   /* shorter than said */
	ck_assert_ptr_null(back);
	if (n) {
		ck_assert_int_eq(enc_gunzip(z, zl, n - 1, &back), -1);   /* longer than said */
		ck_assert_ptr_null(back);
	}
	ck_assert_int_eq(enc_gunzip(z, zl - 4, n, &back), -1);   /* cut: no length trailer */
	ck_assert_ptr_null(back);
	((unsigned char *)z)[zl - 6] ^= 0x55;   /* the CRC no longer matches */
	ck_assert_int_eq(enc_gunzip(z, zl, n, &back), -1);
	ck_assert_ptr_null(back);
	free(z);
	ck_assert_int_eq(enc_gunzip(in, n, n, &back), -1);   /* not gzip at all */
	ck_assert_ptr_null(back);
}

START_TEST(enc_gunzip_checks)
{
	gunzip_back((const unsigned char *)"", 0);
	gunzip_back((const unsigned char *)"{\"a\":1}", 7);
	size_t n = 1u << 20;
	unsigned char *big = malloc(n);
	ck_assert_ptr_nonnull(big);
	uint32_t x = 7;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (i % 8) ? (unsigned char)'a' : (unsigned char)(x >> 24);
	}
	gunzip_back(big, n);
	/* the same input gzips to the same bytes (a kept gzipped body is what a
	 * fresh reply sends) */
	void *z1, *z2;
	size_t l1, l2;
	ck_assert_int_eq(enc_gzip(big, n, &z1, &l1), 0);
	ck_assert_int_eq(enc_gzip(big, n, &z2, &l2), 0);
	ck_assert_uint_eq(l1, l2);
	ck_assert_mem_eq(z1, z2, l1);
	free(z1);
	free(z2);
	free(big);
}
END_TEST

START_TEST(enc_gzip_roundtrip)
{
	roundtrip((const unsigned char *)"", 0);
	roundtrip((const unsigned char *)"x", 1);
	size_t n = 3u << 20;
	unsigned char *big = malloc(n);
	ck_assert_ptr_nonnull(big);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		/* JSON-like: mostly repetitive, partly random */
		big[i] = (i % 64) < 48 ? (unsigned char)"{\"name\":\"main.f\",\"v\":[1,2]}"[i % 27]
		                       : (unsigned char)(x >> 24);
	}
	roundtrip(big, n);
	/* compressible input shrinks */
	memset(big, 'a', n);
	void *z;
	size_t zl;
	ck_assert_int_eq(enc_gzip(big, n, &z, &zl), 0);
	ck_assert_uint_lt(zl, n / 100);
	free(z);
	free(big);
}
END_TEST

START_TEST(enc_etags)
{
	char a[ENC_ETAG_LEN], b[ENC_ETAG_LEN], c[ENC_ETAG_LEN], d[ENC_ETAG_LEN];
	enc_etag("view 1 abc", 10, false, a);
	enc_etag("view 1 abc", 10, false, b);
	enc_etag("view 1 abc", 10, true, c);
	enc_etag("view 1 abd", 10, false, d);
	ck_assert_uint_eq(strlen(a), ENC_ETAG_LEN - 1);
	ck_assert(a[0] == '"' && a[ENC_ETAG_LEN - 2] == '"');
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);   /* gzip is another representation */
	ck_assert_str_ne(a, d);
	ck_assert_uint_eq(enc_build_id(), enc_build_id());
	ck_assert(enc_etag_matches(a, a));
	ck_assert(enc_etag_matches("*", a));
	ck_assert(!enc_etag_matches(NULL, a));
	ck_assert(!enc_etag_matches("", a));
	char list[200];
	snprintf(list, sizeof(list), "\"x\", W/%s", a);
	ck_assert(enc_etag_matches(list, a));
	snprintf(list, sizeof(list), "\"x\" , %s ,\"y\"", c);
	ck_assert(enc_etag_matches(list, c));
	ck_assert(!enc_etag_matches(list, a));
	/* a tag that only contains another's text does not match */
	snprintf(list, sizeof(list), "%.*sx\"", ENC_ETAG_LEN - 2, a);
	ck_assert(!enc_etag_matches(list, a));
}
END_TEST

Suite *encoding_suite(void)
{
	Suite *s = suite_create("encoding");
	TCase *tc = tcase_create("encoding");
	tcase_add_test(tc, enc_accept_header);
	tcase_add_test(tc, enc_types);
	tcase_add_test(tc, enc_gzip_roundtrip);
	tcase_add_test(tc, enc_gunzip_checks);
	tcase_add_test(tc, enc_etags);
	suite_add_tcase(s, tc);
	return s;
}
