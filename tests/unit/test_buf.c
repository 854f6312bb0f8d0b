/*
 * test_buf.c: the byte buffer (buf.h): growth, strings, detach, varints.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tests.h"
#include "wire.h"

START_TEST(buf_growth)
{
	struct buf b = BUF_INIT;
	/* Plain checks in the loops: a ck_assert per byte is slow in fork mode. */
	size_t bad = SIZE_MAX, grows = 0, cap = 0;
	for (size_t i = 0; i < 100000; i++) {
		buf_addc(&b, (char)('a' + i % 26));
		if (b.cap != cap) {
			grows++;
			cap = b.cap;
		}
		if (bad == SIZE_MAX && (b.len != i + 1 || b.cap < b.len + 1 || b.data[b.len] != '\0'))
			bad = i;
	}
	ck_assert_msg(bad == SIZE_MAX, "length/capacity/terminator wrong after append %zu", bad);
	/* Geometric growth: a handful of reallocations, not one per byte. */
	ck_assert_uint_le(grows, 20);
	for (size_t i = 0; i < 100000 && bad == SIZE_MAX; i++)
		if (b.data[i] != 'a' + (int)(i % 26))
			bad = i;
	ck_assert_msg(bad == SIZE_MAX, "content wrong at %zu", bad);
	ck_assert(!b.oom);
	/* Large single append past the current capacity. */
	size_t big = b.cap * 3 + 7;
	char *chunk = malloc(big);
	ck_assert_ptr_nonnull(chunk);
	memset(chunk, 'z', big);
	buf_add(&b, chunk, big);
	free(chunk);
	ck_assert_uint_eq(b.len, 100000 + big);
	ck_assert_int_eq(b.data[b.len - 1], 'z');
	ck_assert_int_eq(b.data[99999], 'a' + 99999 % 26);
	ck_assert_int_eq(b.data[b.len], '\0');
	buf_release(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(buf_strings)
{
	struct buf b;
	buf_init(&b);
	buf_add(&b, "ignored", 0);
	ck_assert_uint_eq(b.len, 0);
	buf_adds(&b, "abc");
	buf_addc(&b, '-');
	buf_printf(&b, "%d/%s", 42, "x");
	ck_assert_str_eq(b.data, "abc-42/x");
	/* printf output longer than the internal 256-byte scratch. */
	char longs[1000];
	memset(longs, 'q', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	buf_printf(&b, "[%s]", longs);
	ck_assert_uint_eq(b.len, 8 + 2 + 999);
	ck_assert_int_eq(b.data[8], '[');
	ck_assert_int_eq(b.data[9 + 998], 'q');
	ck_assert_int_eq(b.data[b.len - 1], ']');
	ck_assert_int_eq(b.data[b.len], '\0');
	size_t len = 0;
	char *p = buf_detach(&b, &len);
	ck_assert_uint_eq(len, 1009);
	ck_assert_uint_eq(strlen(p), 1009);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	free(p);
	/* Detaching an empty buffer gives an empty string, not NULL. */
	p = buf_detach(&b, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(len, 0);
	/* Only byte 0 is read: a missing terminator must not make the
	 * assertion itself read past the allocation. */
	ck_assert_msg(p[0] == '\0', "buf_detach of an empty buffer is not NUL-terminated (byte 0 = 0x%02x)",
	              (unsigned char)p[0]);
	free(p);
}
END_TEST

/* Decode one uvarint by hand; returns bytes used or 0. */
static size_t dec_uvarint(const unsigned char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 10; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

START_TEST(buf_uvarint)
{
	static const struct {
		uint64_t v;
		size_t len;
	} cases[] = {
		{ 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 300, 2 }, { 16383, 2 },
		{ 16384, 3 }, { UINT32_MAX, 5 }, { (uint64_t)1 << 56, 9 },
		{ ((uint64_t)1 << 63) - 1, 9 }, { (uint64_t)1 << 63, 10 }, { UINT64_MAX, 10 },
	};
	struct buf b = BUF_INIT;
	size_t total = 0;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		size_t before = b.len;
		wire_put_uvarint(&b, cases[i].v);
		ck_assert_uint_eq(b.len - before, cases[i].len);
		total += cases[i].len;
	}
	ck_assert_uint_eq(b.len, total);
	/* 300 is the protobuf documentation's example: ac 02. */
	ck_assert_int_eq((unsigned char)b.data[5], 0xac);
	ck_assert_int_eq((unsigned char)b.data[6], 0x02);
	size_t off = 0;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		uint64_t v = 0;
		size_t used = dec_uvarint((unsigned char *)b.data + off, b.len - off, &v);
		ck_assert_uint_eq(used, cases[i].len);
		ck_assert_msg(v == cases[i].v, "case %zu: got %llu", i, (unsigned long long)v);
		off += used;
	}
	ck_assert_uint_eq(off, b.len);
	buf_release(&b);
}
END_TEST

START_TEST(buf_svarint)
{
	static const struct {
		int64_t v;
		uint64_t zz;
	} cases[] = {
		{ 0, 0 }, { -1, 1 }, { 1, 2 }, { -2, 3 }, { 2147483647, 4294967294u },
		{ -2147483648LL, 4294967295u }, { INT64_MAX, UINT64_MAX - 1 }, { INT64_MIN, UINT64_MAX },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		struct buf b = BUF_INIT;
		wire_put_svarint(&b, cases[i].v);
		uint64_t zz = 0;
		size_t used = dec_uvarint((unsigned char *)b.data, b.len, &zz);
		ck_assert_uint_eq(used, b.len);
		ck_assert_msg(zz == cases[i].zz, "zigzag(%lld) = %llu", (long long)cases[i].v,
		              (unsigned long long)zz);
		int64_t back = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
		ck_assert_msg(back == cases[i].v, "round trip of %lld", (long long)cases[i].v);
		buf_release(&b);
	}
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");
	tcase_add_test(tc, buf_growth);
	tcase_add_test(tc, buf_strings);
	tcase_add_test(tc, buf_uvarint);
	tcase_add_test(tc, buf_svarint);
	suite_add_tcase(s, tc);
	return s;
}
