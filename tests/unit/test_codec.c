/*
 * test_codec.c: the stored form of a profile (codec.h): round trips that
 * give back the same profile, and damaged blobs that are refused.
 */
#include <stdbool.h>
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
	ck_assert_mem_eq(blob->data, "FDX3", 4);
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
	/* the locations' addresses and mappings came through */
	ck_assert_ptr_nonnull(q->loc_addr);
	ck_assert_uint_eq(q->n_maps, 1);
	ck_assert_uint_eq(q->maps[0].start, 0x400000);
	ck_assert_uint_eq(q->maps[0].limit, 0x800000);
	ck_assert_str_eq(prof_str(q, q->maps[0].file), "/bin/app");
	for (uint32_t i = 0; i < q->n_locs; i++) {
		ck_assert_uint_ge(q->loc_addr[i], 0x401010);
		ck_assert_uint_eq(q->loc_map[i], 0);
	}
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
	ck_assert_mem_eq(blob.data, "prefixFDX3", 10);
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

/* Re-compress a hand-edited raw stream as a blob (magic "FDX1", "FDX2" or "FDX3"). */
static void make_blob_v(const struct buf *raw, struct buf *out, const char *magic)
{
	uLongf zlen = compressBound(raw->len);
	buf_init(out);
	buf_grow(out, 12 + zlen);
	memcpy(out->data, magic, 4);
	uint64_t rl = raw->len;
	memcpy(out->data + 4, &rl, 8);
	ck_assert_int_eq(compress2((Bytef *)out->data + 12, &zlen, (const Bytef *)raw->data, raw->len, 1), Z_OK);
	out->len = 12 + zlen;
}

static void make_blob(const struct buf *raw, struct buf *out)
{
	make_blob_v(raw, out, "FDX1");
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
	ck_assert_ptr_null(q->loc_addr); /* an old blob: no addresses */
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

/* The minimal stream of codec_rejects_bad_indices (0 locations) in the
 * layout of magic: FDX3 has a pre-order flag after the node count. */
static void minimal_stream(struct buf *raw, const char *magic)
{
	static const uint8_t head[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t tail[] = { 0, 1, 0, 0 };
	buf_init(raw);
	buf_add(raw, head, sizeof(head));
	if (strcmp(magic, "FDX3") == 0)
		buf_addc(raw, 1);
	buf_add(raw, tail, sizeof(tail));
}

START_TEST(codec_sections)
{
	/* FDX2 and FDX3 both carry sections (addresses); FDX1 none */
	const char *magic = _i == 0 ? "FDX2" : "FDX3";
	struct buf raw, blob;
	minimal_stream(&raw, magic);
	size_t good = raw.len;
	/* without sections */
	make_blob_v(&raw, &blob, magic);
	struct prof *q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_null(q->loc_addr);
	prof_free(q);
	buf_release(&blob);
	/* an unknown section is skipped */
	static const uint8_t unknown[] = { 9, 2, 0x7f, 0x7f };
	buf_add(&raw, unknown, sizeof(unknown));
	make_blob_v(&raw, &blob, magic);
	q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_ptr_nonnull(q);
	prof_free(q);
	buf_release(&blob);
	/* in an FDX1 blob the same bytes are trailing garbage (and FDX3's
	 * flag is a stray byte) */
	make_blob_v(&raw, &blob, "FDX1");
	ck_assert_ptr_null(codec_decode((uint8_t *)blob.data, blob.len));
	buf_release(&blob);
	/* an addresses section for 0 locations and 0 mappings */
	raw.len = good;
	static const uint8_t addrs[] = { 1, 2, 0, 0 };
	buf_add(&raw, addrs, sizeof(addrs));
	make_blob_v(&raw, &blob, magic);
	q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(q->loc_addr);
	ck_assert_uint_eq(q->n_maps, 0);
	prof_free(q);
	buf_release(&blob);
	/* refused: a count of locations that is not the profile's, a section
	 * longer than the stream, a mapping whose file is no string, a
	 * section shorter than what it holds */
	static const uint8_t bad[][10] = {
		{ 4, 1, 2, 1, 0 },                   /* 1 location */
		{ 4, 1, 9, 0, 0 },                   /* length 9 */
		{ 8, 1, 7, 0, 1, 0, 0, 0, 5, 0 },    /* a mapping with file 5 */
		{ 5, 1, 1, 0, 0, 0 },                /* length 1 for 2 bytes */
	};
	for (int i = 0; i < 4; i++) {
		raw.len = good;
		buf_add(&raw, bad[i] + 1, bad[i][0]);
		make_blob_v(&raw, &blob, magic);
		ck_assert_msg(codec_decode((uint8_t *)blob.data, blob.len) == NULL, "bad section %d decoded (%s)", i, magic);
		buf_release(&blob);
	}
	buf_release(&raw);
}
END_TEST

START_TEST(codec_reads_old_formats)
{
	/* Blobs stored by older servers (FDX1: no addresses; FDX2: the trie
	 * as pairs, addresses in a section) still read, as the same profile. */
	int version = _i + 1;
	char magic[5] = "FDX0";
	magic[3] = (char)('0' + version);
	struct pbw w;
	pbw_reference(&w, true);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_ptr_nonnull(p->loc_addr);
	struct buf blob = BUF_INIT;
	ck_assert_int_eq(codec_encode_version(p, &blob, version), 0);
	ck_assert_mem_eq(blob.data, magic, 4);
	struct prof *q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_msg(q != NULL, "a %s blob no longer decodes", magic);
	if (version == 1) {
		/* FDX1 has no addresses: the same profile without them */
		ck_assert_ptr_null(q->loc_addr);
		free(p->loc_addr);
		free(p->loc_map);
		free(p->maps);
		p->loc_addr = NULL;
		p->loc_map = NULL;
		p->maps = NULL;
		p->n_maps = 0;
		expect_same_prof(p, q);
	} else {
		expect_same_prof(p, q);
		ck_assert_ptr_nonnull(q->loc_addr);
		ck_assert_uint_eq(q->n_maps, p->n_maps);
		for (uint32_t i = 0; i < p->n_locs; i++) {
			ck_assert_uint_eq(q->loc_addr[i], p->loc_addr[i]);
			ck_assert_uint_eq(q->loc_map[i], p->loc_map[i]);
		}
	}
	/* every truncation of it refused too */
	for (size_t k = 0; k < blob.len; k++)
		ck_assert_msg(codec_decode((uint8_t *)blob.data, k) == NULL, "truncated %s blob (%zu) accepted", magic, k);
	ck_assert_int_eq(codec_encode_version(p, &blob, 0), -1);
	ck_assert_int_eq(codec_encode_version(p, &blob, CODEC_FORMAT + 1), -1);
	prof_free(q);
	prof_free(p);
	buf_release(&blob);
}
END_TEST

/* Renumber p's trie breadth first (parents still before children, but no
 * longer in pre-order when a node with children has a later sibling). */
static bool renumber_bfs(struct prof *p)
{
	uint32_t n = p->n_nodes;
	uint32_t *depth = calloc(n, sizeof(uint32_t)), *order = malloc(n * sizeof(uint32_t)),
	         *newid = malloc(n * sizeof(uint32_t));
	struct prof_node *nn = malloc(n * sizeof(*nn));
	uint32_t maxd = 0, k = 0;
	for (uint32_t i = 1; i < n; i++) {
		depth[i] = depth[p->nodes[i].parent] + 1;
		if (depth[i] > maxd)
			maxd = depth[i];
	}
	for (uint32_t d = 0; d <= maxd; d++)
		for (uint32_t i = 0; i < n; i++)
			if (depth[i] == d)
				order[k++] = i;
	for (uint32_t i = 0; i < n; i++)
		newid[order[i]] = i;
	bool changed = false;
	for (uint32_t i = 0; i < n; i++) {
		nn[i].loc = p->nodes[order[i]].loc;
		nn[i].parent = newid[p->nodes[order[i]].parent];
		changed |= order[i] != i;
	}
	memcpy(p->nodes, nn, n * sizeof(*nn));
	for (uint32_t s = 0; s < p->n_samples; s++)
		p->samples[s].node = newid[p->samples[s].node];
	free(depth);
	free(order);
	free(newid);
	free(nn);
	return changed;
}

START_TEST(codec_roundtrip_not_preorder)
{
	/* A trie that is not in pre-order (merges and older decoders made
	 * such) is stored with parent deltas and comes back the same. */
	struct pbw w;
	pbw_reference(&w, true);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_msg(renumber_bfs(p), "the reference trie is its own breadth-first order: the test tests nothing");
	struct buf blob = BUF_INIT;
	struct prof *q = roundtrip(p, &blob);
	expect_same_prof(p, q);
	prof_free(q);
	prof_free(p);
	buf_release(&blob);
}
END_TEST

START_TEST(codec_rejects_bad_shape)
{
	/* Format 2's shape column: a parent delta out of range (a node its
	 * own parent, which no pre-order path holds either) is refused. */
	struct pbw w;
	pbw_reference(&w, false);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_ge(p->n_nodes, 3);
	struct buf blob = BUF_INIT;
	uint32_t save = p->nodes[1].parent;
	p->nodes[1].parent = 1;   /* its own parent: no encoding can say it */
	ck_assert_int_eq(codec_encode(p, &blob), 0);
	ck_assert_ptr_null(codec_decode((uint8_t *)blob.data, blob.len));
	p->nodes[1].parent = save;
	buf_release(&blob);
	prof_free(p);
}
END_TEST

START_TEST(codec_encode_capped)
{
	/* codec_encode_max: under the cap the same blob as codec_encode; one
	 * byte under its size, CODEC_OVER and the buffer as it was. */
	struct pbw w;
	pbw_reference(&w, true);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	struct buf full = BUF_INIT, b = BUF_INIT;
	ck_assert_int_eq(codec_encode(p, &full), 0);
	ck_assert_int_eq(codec_encode_max(p, &b, full.len), 0);
	ck_assert_uint_eq(b.len, full.len);
	ck_assert_mem_eq(b.data, full.data, full.len);
	b.len = 0;
	buf_adds(&b, "prefix");
	ck_assert_int_eq(codec_encode_max(p, &b, full.len - 1), CODEC_OVER);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_mem_eq(b.data, "prefix", 6);
	ck_assert_int_eq(codec_encode_max(p, &b, 1), CODEC_OVER);
	ck_assert_uint_eq(b.len, 6);
	/* 0: no cap */
	ck_assert_int_eq(codec_encode_max(p, &b, 0), 0);
	ck_assert_uint_eq(b.len, 6 + full.len);
	buf_release(&b);
	buf_release(&full);
	prof_free(p);
}
END_TEST

Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, codec_roundtrip_reference);
	tcase_add_loop_test(tc, codec_sections, 0, 2);
	tcase_add_test(tc, codec_roundtrip_append);
	tcase_add_test(tc, codec_roundtrip_empty);
	tcase_add_test(tc, codec_roundtrip_negative);
	tcase_add_test(tc, codec_rejects_damage);
	tcase_add_test(tc, codec_rejects_bad_indices);
	tcase_add_loop_test(tc, codec_reads_old_formats, 0, 2);
	tcase_add_test(tc, codec_roundtrip_not_preorder);
	tcase_add_test(tc, codec_rejects_bad_shape);
	tcase_add_test(tc, codec_encode_capped);
	suite_add_tcase(s, tc);
	return s;
}
