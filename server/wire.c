/*
 * wire.c: protobuf wire format reading and writing (see wire.h).
 */
#include "wire.h"

#include <string.h>

#include "buf.h"
#include "work.h"

/* Largest field number protobuf allows: 2^29 - 1. */
#define WIRE_MAX_FIELD 536870911u

int wire_read_varint(struct wire_reader *r, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -1;
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

int wire_next_field(struct wire_reader *r, struct wire_field *f)
{
	uint64_t key;
	if (r->p >= r->end)
		return 0;
	if (work_poll() != WORK_OK) /* every decoder loop passes here (work.h) */
		return -1;
	if (wire_read_varint(r, &key) < 0)
		return -1;
	if (key >> 3 == 0 || key >> 3 > WIRE_MAX_FIELD)
		return -1;
	f->num = (uint32_t)(key >> 3);
	f->wt = (enum wire_type)(key & 7);
	f->v = 0;
	f->data = NULL;
	f->len = 0;
	switch (f->wt) {
	case WIRE_VARINT:
		return wire_read_varint(r, &f->v) < 0 ? -1 : 1;
	case WIRE_I64:
		if (r->end - r->p < 8)
			return -1;
		memcpy(&f->v, r->p, 8);
		r->p += 8;
		return 1;
	case WIRE_LEN: {
		uint64_t l;
		if (wire_read_varint(r, &l) < 0 || l > (uint64_t)(r->end - r->p))
			return -1;
		f->data = r->p;
		f->len = (size_t)l;
		r->p += l;
		return 1;
	}
	case WIRE_I32: {
		uint32_t v32;
		if (r->end - r->p < 4)
			return -1;
		memcpy(&v32, r->p, 4);
		f->v = v32;
		r->p += 4;
		return 1;
	}
	default:
		return -1;
	}
}

int wire_each_varint(const struct wire_field *f, int (*cb)(void *, uint64_t), void *ctx)
{
	if (f->wt == WIRE_VARINT)
		return cb(ctx, f->v) < 0 ? -1 : 0;
	if (f->wt != WIRE_LEN)
		return -1;
	struct wire_reader r = wire_reader_of(f->data, f->len);
	while (r.p < r.end) {
		uint64_t v;
		if (wire_read_varint(&r, &v) < 0 || cb(ctx, v) < 0)
			return -1;
	}
	return 0;
}

size_t wire_encode_uvarint(uint8_t out[WIRE_MAX_VARINT], uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void wire_put_uvarint(struct buf *b, uint64_t v)
{
	uint8_t tmp[WIRE_MAX_VARINT];
	buf_add(b, tmp, wire_encode_uvarint(tmp, v));
}

void wire_put_svarint(struct buf *b, int64_t v)
{
	wire_put_uvarint(b, wire_zigzag(v));
}

void wire_put_key(struct buf *b, uint32_t field, enum wire_type wt)
{
	wire_put_uvarint(b, (uint64_t)field << 3 | (uint64_t)wt);
}

void wire_put_varint_field(struct buf *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	wire_put_key(b, field, WIRE_VARINT);
	wire_put_uvarint(b, v);
}

void wire_put_bytes_field(struct buf *b, uint32_t field, const void *p, size_t n)
{
	wire_put_key(b, field, WIRE_LEN);
	wire_put_uvarint(b, n);
	if (n)
		buf_add(b, p, n);
}
