/*
 * test_codec.c: the stored form of a profile (codec.h): round trips that
 * give back the same profile, and damaged blobs that are refused.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "codec.h"
#include "prof.h"
#include "tests.h"

static struct prof *roundtrip(const struct prof *p, struct buf *blob)
{
	ck_assert_int_eq(codec_encode(p, blob), 0);
	ck_assert_uint_ge(blob->len, 12);
	ck_assert_mem_eq(blob->data, "FDX1", 4);
	struct prof *q = codec_decode((uint8_t *)blob->data, blob->len);
	ck_assert_msg(q != NULL, "codec_decode failed on a fresh blob");
	return q;
}

START_TEST(codec_roundtrip_reference)
{
	struct pbw w;
	pbw_reference(&w, true);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	struct buf blob = BUF_INIT;
	struct prof *q = roundtrip(p, &blob);
	expect_same_prof(p, q);
	/* And once more from the decoded copy: identical bytes. */
	struct buf blob2 = BUF_INIT;
	ck_assert_int_eq(codec_encode(q, &blob2), 0);
	ck_assert_uint_eq(blob.len, blob2.len);
	ck_assert_mem_eq(blob.data, blob2.data, blob.len);
	buf_release(&blob2);
	buf_release(&blob);
	prof_free(q);
	prof_free(p);
}
END_TEST

START_TEST(codec_roundtrip_append)
{
	/* codec_encode appends to what is already in the buffer. */
	struct pbw w;
	pbw_reference(&w, false);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	struct buf blob = BUF_INIT;
	buf_adds(&blob, "prefix");
	ck_assert_int_eq(codec_encode(p, &blob), 0);
	ck_assert_mem_eq(blob.data, "prefixFDX1", 10);
	struct prof *q = codec_decode((uint8_t *)blob.data + 6, blob.len - 6);
	ck_assert_ptr_nonnull(q);
	expect_same_prof(p, q);
	prof_free(q);
	prof_free(p);
	buf_release(&blob);
}
END_TEST

START_TEST(codec_roundtrip_empty)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "goroutine", "count");
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	struct buf blob = BUF_INIT;
	struct prof *q = roundtrip(p, &blob);
	expect_same_prof(p, q);
	prof_free(q);
	prof_free(p);
	buf_release(&blob);
}
END_TEST

START_TEST(codec_roundtrip_negative)
{
	/* A diff profile (negative values) must survive storage. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_function(&w, 1, "f", "f.go");
	uint64_t fid = 1;
	int64_t line = 3;
	pbw_location(&w, 1, 0, 1, &fid, &line);
	uint64_t loc = 1;
	int64_t v = -5;
	pbw_sample(&w, 1, &loc, 1, &v, 0, NULL);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(p->values[0], -5);
	struct buf blob = BUF_INIT;
	ck_assert_int_eq(codec_encode(p, &blob), 0);
	struct prof *q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_msg(q != NULL, "codec_decode rejects a blob with a negative sample value");
	expect_same_prof(p, q);
	prof_free(q);
	prof_free(p);
	buf_release(&blob);
}
END_TEST

START_TEST(codec_rejects_damage)
{
	struct pbw w;
	pbw_reference(&w, false);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	struct buf blob = BUF_INIT;
	ck_assert_int_eq(codec_encode(p, &blob), 0);
	uint8_t *d = (uint8_t *)blob.data;
	/* Wrong magic, short, every truncation. */
	ck_assert_ptr_null(codec_decode((const uint8_t *)"FDX2", 4));
	ck_assert_ptr_null(codec_decode(d, 11));
	for (size_t k = 0; k < blob.len; k++)
		ck_assert_msg(codec_decode(d, k) == NULL, "truncated blob (%zu of %zu) accepted", k, blob.len);
	/* Bad magic. */
	d[0] = 'X';
	ck_assert_ptr_null(codec_decode(d, blob.len));
	d[0] = 'F';
	/* A raw length that does not match the stream. */
	d[4] ^= 1;
	ck_assert_ptr_null(codec_decode(d, blob.len));
	d[4] ^= 1;
	/* A huge claimed raw length is refused before allocating. */
	uint8_t save[8];
	memcpy(save, d + 4, 8);
	memset(d + 4, 0xff, 8);
	ck_assert_ptr_null(codec_decode(d, blob.len));
	memcpy(d + 4, save, 8);
	struct prof *q = codec_decode(d, blob.len);
	ck_assert_ptr_nonnull(q);
	prof_free(q);
	buf_release(&blob);
	prof_free(p);
}
END_TEST

/* Re-compress a hand-edited raw stream as a blob. */
static void make_blob(const struct buf *raw, struct buf *out)
{
	uLongf zlen = compressBound(raw->len);
	buf_init(out);
	buf_grow(out, 12 + zlen);
	memcpy(out->data, "FDX1", 4);
	uint64_t rl = raw->len;
	memcpy(out->data + 4, &rl, 8);
	ck_assert_int_eq(compress2((Bytef *)out->data + 12, &zlen, (const Bytef *)raw->data, raw->len, 1), Z_OK);
	out->len = 12 + zlen;
}

START_TEST(codec_rejects_bad_indices)
{
	/* Minimal raw streams with one bad index each: all refused. */
	struct buf raw = BUF_INIT, blob;
	/* 1 string "", 0 types, default 0, period type/unit 0/0, period,
	 * time, duration, kind, orig x3, 0 funcs, 0 frames, 0 locs,
	 * 0 loc_frames, 1 node, 0 labels, 1 labelset (n=0), 0 samples. */
	static const uint8_t good[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                                0, 0, 0, 1, 0, 1, 0, 0 };
	buf_add(&raw, good, sizeof(good));
	make_blob(&raw, &blob);
	struct prof *q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_msg(q != NULL, "minimal blob refused");
	prof_free(q);
	buf_release(&blob);
	/* period_type = 5 (only 1 string) */
	raw.data[4] = 5;
	make_blob(&raw, &blob);
	ck_assert_ptr_null(codec_decode((uint8_t *)blob.data, blob.len));
	buf_release(&blob);
	raw.data[4] = 0;
	/* 0 nodes (node 0 must exist) */
	raw.data[17] = 0;
	make_blob(&raw, &blob);
	ck_assert_ptr_null(codec_decode((uint8_t *)blob.data, blob.len));
	buf_release(&blob);
	raw.data[17] = 1;
	/* trailing garbage */
	buf_addc(&raw, 0);
	make_blob(&raw, &blob);
	ck_assert_ptr_null(codec_decode((uint8_t *)blob.data, blob.len));
	buf_release(&blob);
	buf_release(&raw);
}
END_TEST

Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, codec_roundtrip_reference);
	tcase_add_test(tc, codec_roundtrip_append);
	tcase_add_test(tc, codec_roundtrip_empty);
	tcase_add_test(tc, codec_roundtrip_negative);
	tcase_add_test(tc, codec_rejects_damage);
	tcase_add_test(tc, codec_rejects_bad_indices);
	suite_add_tcase(s, tc);
	return s;
}
