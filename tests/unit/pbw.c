/*
 * pbw.c: the tests' profile.proto writer (see tests.h), and the reference
 * profile built with it.
 *
 * It is written for the tests and does not use the server's code (not
 * even wire.h), so that what the decoder reads was encoded independently.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests.h"

/* ---- protobuf writer ------------------------------------------------------ */

void pb_varint(struct buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	buf_add(b, tmp, n);
}

void pb_tag(struct buf *b, uint32_t field, int wt)
{
	pb_varint(b, (uint64_t)field << 3 | (uint64_t)wt);
}

void pb_uint(struct buf *b, uint32_t field, uint64_t v)
{
	pb_tag(b, field, 0);
	pb_varint(b, v);
}

void pb_bytes(struct buf *b, uint32_t field, const void *p, size_t n)
{
	pb_tag(b, field, 2);
	pb_varint(b, n);
	buf_add(b, p, n);
}

void pb_msg(struct buf *b, uint32_t field, struct buf *sub)
{
	pb_bytes(b, field, sub->data, sub->len);
	buf_release(sub);
}

void pbw_init(struct pbw *w)
{
	memset(w, 0, sizeof(*w));
	buf_init(&w->body);
	w->strs[0] = "";
	w->nstrs = 1;
}

void pbw_release(struct pbw *w)
{
	buf_release(&w->body);
}

uint64_t pbw_s(struct pbw *w, const char *s)
{
	for (size_t i = 0; i < w->nstrs; i++)
		if (strcmp(w->strs[i], s) == 0)
			return i;
	ck_assert_uint_lt(w->nstrs, PBW_MAX_STRS);
	w->strs[w->nstrs] = s;
	return w->nstrs++;
}

static void value_type(struct pbw *w, uint32_t field, const char *type, const char *unit)
{
	struct buf m = BUF_INIT;
	pb_uint(&m, 1, pbw_s(w, type));
	pb_uint(&m, 2, pbw_s(w, unit));
	pb_msg(&w->body, field, &m);
}

void pbw_sample_type(struct pbw *w, const char *type, const char *unit)
{
	value_type(w, 1, type, unit);
}

void pbw_period_type(struct pbw *w, const char *type, const char *unit)
{
	value_type(w, 11, type, unit);
}

void pbw_mapping(struct pbw *w, uint64_t id, const char *file)
{
	struct buf m = BUF_INIT;
	pb_uint(&m, 1, id);
	pb_uint(&m, 2, 0x400000);
	pb_uint(&m, 3, 0x800000);
	pb_uint(&m, 5, pbw_s(w, file));
	pb_uint(&m, 7, 1);
	pb_msg(&w->body, 3, &m);
}

void pbw_function_raw(struct pbw *w, uint64_t id, uint64_t name, uint64_t file)
{
	struct buf m = BUF_INIT;
	pb_uint(&m, 1, id);
	pb_uint(&m, 2, name);
	pb_uint(&m, 3, name);
	pb_uint(&m, 4, file);
	pb_msg(&w->body, 5, &m);
}

void pbw_function(struct pbw *w, uint64_t id, const char *name, const char *file)
{
	pbw_function_raw(w, id, pbw_s(w, name), pbw_s(w, file));
}

void pbw_location(struct pbw *w, uint64_t id, uint64_t mapping_id, size_t nlines,
                  const uint64_t *func_ids, const int64_t *lines)
{
	struct buf m = BUF_INIT;
	pb_uint(&m, 1, id);
	if (mapping_id)
		pb_uint(&m, 2, mapping_id);
	pb_uint(&m, 3, 0x401000 + id * 16);
	for (size_t i = 0; i < nlines; i++) {
		struct buf l = BUF_INIT;
		pb_uint(&l, 1, func_ids[i]);
		pb_uint(&l, 2, (uint64_t)lines[i]);
		pb_msg(&m, 4, &l);
	}
	pb_msg(&w->body, 4, &m);
}

void pbw_sample(struct pbw *w, size_t nlocs, const uint64_t *locs, size_t nvals,
                const int64_t *vals, size_t nlabels, const struct pbw_label *labels)
{
	struct buf m = BUF_INIT, packed = BUF_INIT;
	/* location ids packed, values unpacked: both encodings must work. */
	for (size_t i = 0; i < nlocs; i++)
		pb_varint(&packed, locs[i]);
	if (nlocs)
		pb_msg(&m, 1, &packed);
	for (size_t i = 0; i < nvals; i++)
		pb_uint(&m, 2, (uint64_t)vals[i]);
	for (size_t i = 0; i < nlabels; i++) {
		struct buf l = BUF_INIT;
		pb_uint(&l, 1, pbw_s(w, labels[i].key));
		if (labels[i].str)
			pb_uint(&l, 2, pbw_s(w, labels[i].str));
		else
			pb_uint(&l, 3, (uint64_t)labels[i].num);
		if (labels[i].unit)
			pb_uint(&l, 4, pbw_s(w, labels[i].unit));
		pb_msg(&m, 3, &l);
	}
	pb_msg(&w->body, 2, &m);
}

void pbw_scalar(struct pbw *w, uint32_t field, uint64_t v)
{
	pb_uint(&w->body, field, v);
}

uint8_t *pbw_finish(struct pbw *w, size_t *len)
{
	struct buf out = BUF_INIT;
	buf_add(&out, w->body.data, w->body.len);
	for (size_t i = 0; i < w->nstrs; i++) {
		/* pb_bytes with n == 0 still writes tag and length. */
		pb_bytes(&out, 6, w->strs[i], strlen(w->strs[i]));
	}
	ck_assert(!out.oom);
	return (uint8_t *)buf_detach(&out, len);
}

uint8_t *test_gzip(const uint8_t *in, size_t n, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, n) + 64;
	uint8_t *out = malloc(cap);
	ck_assert_ptr_nonnull(out);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* ---- the reference profile -------------------------------------------------
 *
 * Two sample types (samples/count, cpu/nanoseconds), one mapping, five
 * functions; location 5 has two lines: pkg.inlined inlined into pkg.gamma.
 * Samples (root first):
 *   main -> alpha -> beta            1 / 1000   label bytes=2048
 *   main -> alpha -> beta -> alpha   2 / 2000   (recursion)
 *   main -> [gamma, inlined]         3 / 3000
 *   (no locations)                   4 / 4000
 *   main -> beta -> gamma            5 / 5000   label k=v
 *   main -> alpha -> beta            6 / 6000   label bytes=2048 (same key as
 *                                               the first: aggregated)
 */
void pbw_reference(struct pbw *w, bool with_default_type)
{
	pbw_init(w);
	pbw_scalar(w, 9, 1700000000000000000ull);  /* time_nanos */
	pbw_scalar(w, 10, 10000000000ull);         /* duration_nanos */
	pbw_sample_type(w, "samples", "count");
	pbw_sample_type(w, "cpu", "nanoseconds");
	pbw_period_type(w, "cpu", "nanoseconds");
	pbw_scalar(w, 12, 10000000);               /* period */
	if (with_default_type)
		pbw_scalar(w, 14, pbw_s(w, "samples"));
	pbw_mapping(w, 1, "/bin/app");
	pbw_function(w, 1, "main.main", "/src/main.go");
	pbw_function(w, 2, "pkg.alpha", "/src/pkg/a.go");
	pbw_function(w, 3, "pkg.beta", "/src/pkg/b.go");
	pbw_function(w, 4, "pkg.gamma", "/src/pkg/c.go");
	pbw_function(w, 5, "pkg.inlined", "/src/pkg/c.go");
	for (uint64_t id = 1; id <= 4; id++) {
		int64_t line = (int64_t)(10 * id);
		pbw_location(w, id, 1, 1, &id, &line);
	}
	{
		uint64_t f[2] = { 5, 4 };  /* innermost first */
		int64_t l[2] = { 51, 42 };
		pbw_location(w, 5, 1, 2, f, l);
	}
	const struct pbw_label bytes = { "bytes", NULL, 2048, NULL };
	const struct pbw_label kv = { "k", "v", 0, NULL };
	{
		uint64_t s[] = { 3, 2, 1 };
		int64_t v[] = { 1, 1000 };
		pbw_sample(w, 3, s, 2, v, 1, &bytes);
	}
	{
		uint64_t s[] = { 2, 3, 2, 1 };
		int64_t v[] = { 2, 2000 };
		pbw_sample(w, 4, s, 2, v, 0, NULL);
	}
	{
		uint64_t s[] = { 5, 1 };
		int64_t v[] = { 3, 3000 };
		pbw_sample(w, 2, s, 2, v, 0, NULL);
	}
	{
		int64_t v[] = { 4, 4000 };
		pbw_sample(w, 0, NULL, 2, v, 0, NULL);
	}
	{
		uint64_t s[] = { 4, 3, 1 };
		int64_t v[] = { 5, 5000 };
		pbw_sample(w, 3, s, 2, v, 1, &kv);
	}
	{
		uint64_t s[] = { 3, 2, 1 };
		int64_t v[] = { 6, 6000 };
		pbw_sample(w, 3, s, 2, v, 1, &bytes);
	}
}

uint8_t *pbw_reference_bytes(size_t *len)
{
	struct pbw w;
	pbw_reference(&w, false);
	uint8_t *data = pbw_finish(&w, len);
	pbw_release(&w);
	return data;
}
