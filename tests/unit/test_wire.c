/*
 * test_wire.c: the protobuf wire format (wire.h), read and written,
 * checked against the tests' own writer (pb_* in pbw.c) and against
 * hand-written bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tests.h"
#include "wire.h"

/* a and b hold the same bytes; both are released. */
static void same_bytes(struct buf *a, struct buf *b)
{
	ck_assert(!a->oom && !b->oom);
	ck_assert_uint_eq(a->len, b->len);
	if (a->len)
		ck_assert_mem_eq(a->data, b->data, a->len);
	buf_release(a);
	buf_release(b);
}

static const uint64_t varints[] = {
	0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 56,
	((uint64_t)1 << 63) - 1, (uint64_t)1 << 63, UINT64_MAX,
};

START_TEST(wire_varint_round_trip)
{
	for (size_t i = 0; i < ARRLEN(varints); i++) {
		uint8_t enc[WIRE_MAX_VARINT];
		size_t n = wire_encode_uvarint(enc, varints[i]);
		struct buf ref = BUF_INIT;
		pb_varint(&ref, varints[i]);
		ck_assert_uint_eq(n, ref.len);
		ck_assert_mem_eq(enc, ref.data, n);
		buf_release(&ref);
		struct wire_reader r = wire_reader_of(enc, n);
		uint64_t v = 0;
		ck_assert_int_eq(wire_read_varint(&r, &v), 0);
		ck_assert_msg(v == varints[i], "case %zu: read %llu", i, (unsigned long long)v);
		ck_assert_ptr_eq(r.p, enc + n);
	}
	/* The protobuf documentation's example. */
	uint8_t enc[WIRE_MAX_VARINT];
	ck_assert_uint_eq(wire_encode_uvarint(enc, 300), 2);
	ck_assert_int_eq(enc[0], 0xac);
	ck_assert_int_eq(enc[1], 0x02);
	ck_assert_uint_eq(wire_encode_uvarint(enc, UINT64_MAX), WIRE_MAX_VARINT);
}
END_TEST

START_TEST(wire_varint_malformed)
{
	uint64_t v;
	static const uint8_t cont[] = { 0x80 };            /* continuation, then the end */
	struct wire_reader r = wire_reader_of(cont, sizeof(cont));
	ck_assert_int_eq(wire_read_varint(&r, &v), -1);
	r = wire_reader_of(cont, 0);
	ck_assert_int_eq(wire_read_varint(&r, &v), -1);
	static const uint8_t eleven[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	r = wire_reader_of(eleven, sizeof(eleven));
	ck_assert_int_eq(wire_read_varint(&r, &v), -1);
	/* Ten bytes is the most a uint64 takes. */
	r = wire_reader_of(eleven + 1, 10);
	ck_assert_int_eq(wire_read_varint(&r, &v), 0);
}
END_TEST

START_TEST(wire_zigzag_values)
{
	static const struct {
		int64_t v;
		uint64_t zz;
	} cases[] = {
		{ 0, 0 }, { -1, 1 }, { 1, 2 }, { -2, 3 }, { INT64_MAX, UINT64_MAX - 1 }, { INT64_MIN, UINT64_MAX },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		ck_assert_msg(wire_zigzag(cases[i].v) == cases[i].zz, "zigzag(%lld)", (long long)cases[i].v);
		ck_assert_msg(wire_unzigzag(cases[i].zz) == cases[i].v, "unzigzag(%llu)",
		              (unsigned long long)cases[i].zz);
		struct buf a = BUF_INIT, b = BUF_INIT;
		wire_put_svarint(&a, cases[i].v);
		pb_varint(&b, cases[i].zz);
		same_bytes(&a, &b);
	}
}
END_TEST

START_TEST(wire_fields)
{
	/* One field of each wire type, then the end. */
	struct buf m = BUF_INIT;
	pb_uint(&m, 1, 150);
	pb_tag(&m, 2, 1);
	buf_add(&m, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	pb_bytes(&m, 3, "abc", 3);
	pb_tag(&m, 536870911, 5); /* the largest field number */
	buf_add(&m, "\x0a\x0b\x0c\x0d", 4);
	pb_bytes(&m, 4, "", 0);
	struct wire_reader r = wire_reader_of((const uint8_t *)m.data, m.len);
	struct wire_field f;
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	ck_assert_uint_eq(f.num, 1);
	ck_assert_int_eq(f.wt, WIRE_VARINT);
	ck_assert_uint_eq(f.v, 150);
	ck_assert_ptr_null(f.data);
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	ck_assert_uint_eq(f.num, 2);
	ck_assert_int_eq(f.wt, WIRE_I64);
	uint64_t i64;
	memcpy(&i64, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	ck_assert_uint_eq(f.v, i64);
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	ck_assert_uint_eq(f.num, 3);
	ck_assert_int_eq(f.wt, WIRE_LEN);
	ck_assert_uint_eq(f.len, 3);
	ck_assert_mem_eq(f.data, "abc", 3);
	ck_assert_uint_eq(f.v, 0);
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	ck_assert_uint_eq(f.num, 536870911);
	ck_assert_int_eq(f.wt, WIRE_I32);
	uint32_t i32;
	memcpy(&i32, "\x0a\x0b\x0c\x0d", 4);
	ck_assert_uint_eq(f.v, i32);
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	ck_assert_uint_eq(f.num, 4);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_int_eq(wire_next_field(&r, &f), 0);
	ck_assert_int_eq(wire_next_field(&r, &f), 0);
	buf_release(&m);
}
END_TEST

START_TEST(wire_field_errors)
{
	static const struct {
		const char *bytes;
		size_t n;
	} cases[] = {
		{ "\x00\x01", 2 },                  /* field number 0 */
		{ "\x0b", 1 },                      /* wire type 3 (start group) */
		{ "\x0c", 1 },                      /* wire type 4 (end group) */
		{ "\x0e\x01", 2 },                  /* wire type 6 */
		{ "\x0f\x01", 2 },                  /* wire type 7 */
		{ "\x12\x05" "abc", 5 },            /* length past the end */
		{ "\x12\xff\xff\xff\xff\x0f", 6 },  /* a huge length */
		{ "\x09" "1234567", 8 },            /* I64 with 7 bytes */
		{ "\x0d" "123", 4 },                /* I32 with 3 bytes */
		{ "\x08", 1 },                      /* varint missing */
		{ "\x08\x80", 2 },                  /* varint truncated */
		{ "\x80", 1 },                      /* key truncated */
		{ "\x80\x80\x80\x80\x10", 5 },      /* field number 2^29: too large */
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		struct wire_reader r = wire_reader_of((const uint8_t *)cases[i].bytes, cases[i].n);
		struct wire_field f;
		ck_assert_msg(wire_next_field(&r, &f) == -1, "case %zu accepted", i);
	}
}
END_TEST

struct collect {
	uint64_t v[8];
	size_t n;
	size_t stop_at; /* cb fails on this element */
};

static int collect_cb(void *ctx, uint64_t v)
{
	struct collect *c = ctx;
	if (c->n == c->stop_at || c->n == ARRLEN(c->v))
		return -1;
	c->v[c->n++] = v;
	return 0;
}

START_TEST(wire_packed_repeated)
{
	/* Packed and unpacked repeated fields give the same elements. */
	struct buf packed = BUF_INIT, m = BUF_INIT;
	static const uint64_t want[] = { 3, 300, UINT64_MAX, 0 };
	for (size_t i = 0; i < ARRLEN(want); i++)
		pb_varint(&packed, want[i]);
	pb_bytes(&m, 1, packed.data, packed.len);
	for (size_t i = 0; i < ARRLEN(want); i++)
		pb_uint(&m, 1, want[i]);
	struct wire_reader r = wire_reader_of((const uint8_t *)m.data, m.len);
	struct wire_field f;
	struct collect c = { .stop_at = SIZE_MAX };
	while (wire_next_field(&r, &f) > 0)
		ck_assert_int_eq(wire_each_varint(&f, collect_cb, &c), 0);
	ck_assert_uint_eq(c.n, 2 * ARRLEN(want));
	for (size_t i = 0; i < c.n; i++)
		ck_assert_uint_eq(c.v[i], want[i % ARRLEN(want)]);

	/* The callback stops the walk. */
	r = wire_reader_of((const uint8_t *)m.data, m.len);
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	struct collect stop = { .stop_at = 2 };
	ck_assert_int_eq(wire_each_varint(&f, collect_cb, &stop), -1);
	ck_assert_uint_eq(stop.n, 2);

	/* A packed run that ends inside a varint, and a fixed-width field. */
	struct wire_field bad = { .num = 1, .wt = WIRE_LEN, .data = (const uint8_t *)"\x01\x80", .len = 2 };
	struct collect c2 = { .stop_at = SIZE_MAX };
	ck_assert_int_eq(wire_each_varint(&bad, collect_cb, &c2), -1);
	struct wire_field i32 = { .num = 1, .wt = WIRE_I32, .v = 5 };
	ck_assert_int_eq(wire_each_varint(&i32, collect_cb, &c2), -1);
	buf_release(&packed);
	buf_release(&m);
}
END_TEST

START_TEST(wire_writer)
{
	/* The writer's bytes are those of the tests' independent writer. */
	struct buf a = BUF_INIT, b = BUF_INIT;
	wire_put_key(&a, PB_PROFILE_STRING_TABLE, WIRE_LEN);
	pb_tag(&b, 6, 2);
	wire_put_varint_field(&a, PB_PROFILE_TIME_NANOS, 1700000000000000000ull);
	pb_uint(&b, 9, 1700000000000000000ull);
	wire_put_varint_field(&a, PB_PROFILE_PERIOD, 0); /* proto3 default: not written */
	wire_put_bytes_field(&a, PB_PROFILE_STRING_TABLE, "main.main", 9);
	pb_bytes(&b, 6, "main.main", 9);
	wire_put_bytes_field(&a, PB_PROFILE_STRING_TABLE, NULL, 0);
	pb_bytes(&b, 6, "", 0);
	wire_put_uvarint(&a, 300);
	pb_varint(&b, 300);
	wire_put_uvarint(&a, UINT64_MAX); 
	pb_varint(&b, UINT64_MAX);
	wire_put_svarint(&a, -2);
	pb_varint(&b, 3);
	same_bytes(&a, &b);
}
END_TEST

START_TEST(wire_write_then_read)
{
	struct buf sub = BUF_INIT, m = BUF_INIT;
	wire_put_varint_field(&sub, PB_LABEL_KEY, 7);
	wire_put_varint_field(&sub, PB_LABEL_NUM, (uint64_t)-5);
	wire_put_bytes_field(&m, PB_SAMPLE_LABEL, sub.data, sub.len);
	wire_put_varint_field(&m, PB_SAMPLE_VALUE, 42);
	struct wire_reader r = wire_reader_of((const uint8_t *)m.data, m.len);
	struct wire_field f, g;
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	ck_assert_uint_eq(f.num, PB_SAMPLE_LABEL);
	struct wire_reader rs = wire_reader_of(f.data, f.len);
	ck_assert_int_eq(wire_next_field(&rs, &g), 1);
	ck_assert_uint_eq(g.num, PB_LABEL_KEY);
	ck_assert_uint_eq(g.v, 7);
	ck_assert_int_eq(wire_next_field(&rs, &g), 1);
	ck_assert_uint_eq(g.num, PB_LABEL_NUM);
	ck_assert_int_eq((int64_t)g.v, -5);
	ck_assert_int_eq(wire_next_field(&rs, &g), 0);
	ck_assert_int_eq(wire_next_field(&r, &f), 1);
	ck_assert_uint_eq(f.num, PB_SAMPLE_VALUE);
	ck_assert_uint_eq(f.v, 42);
	ck_assert_int_eq(wire_next_field(&r, &f), 0);
	buf_release(&sub);
	buf_release(&m);
}
END_TEST

Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, wire_varint_round_trip);
	tcase_add_test(tc, wire_varint_malformed);
	tcase_add_test(tc, wire_zigzag_values);
	tcase_add_test(tc, wire_fields);
	tcase_add_test(tc, wire_field_errors);
	tcase_add_test(tc, wire_packed_repeated);
	tcase_add_test(tc, wire_writer);
	tcase_add_test(tc, wire_write_then_read);
	suite_add_tcase(s, tc);
	return s;
}
