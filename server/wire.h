/*
 * wire.h: the protobuf wire format, read and written by hand, and the
 * field numbers of schema/profile.proto.
 *
 * Reading never allocates and never trusts the input: a varint longer
 * than ten bytes, a length past the end of the buffer, field number 0 or
 * a wire type other than 0, 1, 2 or 5 is an error (-1), so a reader can
 * walk hostile bytes. A field's payload points into the caller's buffer.
 *
 * Writing appends to a struct buf (buf.h); allocation failure is recorded
 * in buf.oom as for every other append. wire_encode_uvarint is the one
 * varint encoder of the server (the stored-blob codec uses it too); wire
 * builds on buf, never the other way round.
 *
 * Field numbers are named PB_<MESSAGE>_<FIELD> after profile.proto, so
 * that decoders and writers say which field they mean.
 */
#ifndef FDX_WIRE_H
#define FDX_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* ---- wire types and field numbers ------------------------------------- */

enum wire_type {
	WIRE_VARINT = 0,
	WIRE_I64 = 1,
	WIRE_LEN = 2,   /* bytes, strings, sub-messages, packed repeated */
	WIRE_I32 = 5,
};

enum pb_profile_field {
	PB_PROFILE_SAMPLE_TYPE = 1,          /* repeated ValueType */
	PB_PROFILE_SAMPLE = 2,               /* repeated Sample */
	PB_PROFILE_MAPPING = 3,              /* repeated Mapping */
	PB_PROFILE_LOCATION = 4,             /* repeated Location */
	PB_PROFILE_FUNCTION = 5,             /* repeated Function */
	PB_PROFILE_STRING_TABLE = 6,         /* repeated string */
	PB_PROFILE_DROP_FRAMES = 7,          /* string index */
	PB_PROFILE_KEEP_FRAMES = 8,          /* string index */
	PB_PROFILE_TIME_NANOS = 9,
	PB_PROFILE_DURATION_NANOS = 10,
	PB_PROFILE_PERIOD_TYPE = 11,         /* ValueType */
	PB_PROFILE_PERIOD = 12,
	PB_PROFILE_COMMENT = 13,             /* repeated string index */
	PB_PROFILE_DEFAULT_SAMPLE_TYPE = 14, /* string index */
	PB_PROFILE_DOC_URL = 15,             /* string index */
};

enum pb_value_type_field {
	PB_VALUE_TYPE_TYPE = 1,
	PB_VALUE_TYPE_UNIT = 2,
};

enum pb_sample_field {
	PB_SAMPLE_LOCATION_ID = 1,  /* repeated uint64, leaf first */
	PB_SAMPLE_VALUE = 2,        /* repeated int64, one per sample type */
	PB_SAMPLE_LABEL = 3,        /* repeated Label */
};

enum pb_label_field {
	PB_LABEL_KEY = 1,
	PB_LABEL_STR = 2,
	PB_LABEL_NUM = 3,
	PB_LABEL_NUM_UNIT = 4,
};

enum pb_mapping_field {
	PB_MAPPING_ID = 1,
	PB_MAPPING_MEMORY_START = 2,
	PB_MAPPING_MEMORY_LIMIT = 3,
	PB_MAPPING_FILE_OFFSET = 4,
	PB_MAPPING_FILENAME = 5,
	PB_MAPPING_BUILD_ID = 6,
	PB_MAPPING_HAS_FUNCTIONS = 7,
	PB_MAPPING_HAS_FILENAMES = 8,
	PB_MAPPING_HAS_LINE_NUMBERS = 9,
	PB_MAPPING_HAS_INLINE_FRAMES = 10,
};

enum pb_location_field {
	PB_LOCATION_ID = 1,
	PB_LOCATION_MAPPING_ID = 2,
	PB_LOCATION_ADDRESS = 3,
	PB_LOCATION_LINE = 4,       /* repeated Line, innermost first */
	PB_LOCATION_IS_FOLDED = 5,
};

enum pb_line_field {
	PB_LINE_FUNCTION_ID = 1,
	PB_LINE_LINE = 2,
	PB_LINE_COLUMN = 3,
};

enum pb_function_field {
	PB_FUNCTION_ID = 1,
	PB_FUNCTION_NAME = 2,
	PB_FUNCTION_SYSTEM_NAME = 3,
	PB_FUNCTION_FILENAME = 4,
	PB_FUNCTION_START_LINE = 5,
};

/* ---- reading ---------------------------------------------------------- */

/* Bytes left to read: [p, end). */
struct wire_reader {
	const uint8_t *p, *end;
};

struct wire_field {
	uint32_t num;
	enum wire_type wt;
	uint64_t v;          /* value of a VARINT, I64 or I32 field */
	const uint8_t *data; /* payload of a LEN field (into the reader's buffer) */
	size_t len;
};

static inline struct wire_reader wire_reader_of(const uint8_t *p, size_t n)
{
	struct wire_reader r = { p, p + n };
	return r;
}

/* Read one varint. Returns 0, or -1 when it is truncated or longer than
 * ten bytes (r->p is then unspecified). */
int wire_read_varint(struct wire_reader *r, uint64_t *out);

/* Read the next field. Returns 1 with *f set (for a LEN field data/len,
 * otherwise v; the other members are zeroed), 0 at the end of the
 * buffer, -1 on malformed input or when the current work must stop
 * (work_poll(), work.h). */
int wire_next_field(struct wire_reader *r, struct wire_field *f);

/* Call cb for each element of a repeated varint field, whether it came
 * packed (one LEN field) or not (one VARINT field per element). Returns
 * 0, or -1 when the field has another wire type, a packed element is
 * malformed, or cb returns a negative value (which stops the walk). */
int wire_each_varint(const struct wire_field *f, int (*cb)(void *ctx, uint64_t v), void *ctx);

static inline int64_t wire_unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* ---- writing ---------------------------------------------------------- */

#define WIRE_MAX_VARINT 10

/* Encode v into out; returns the number of bytes used (1 to 10). */
size_t wire_encode_uvarint(uint8_t out[WIRE_MAX_VARINT], uint64_t v);

static inline uint64_t wire_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* A bare varint, or a zigzag-encoded signed one (the codec's integers). */
void wire_put_uvarint(struct buf *b, uint64_t v);
void wire_put_svarint(struct buf *b, int64_t v);
/* A field key: field number and wire type. */
void wire_put_key(struct buf *b, uint32_t field, enum wire_type wt);
/* A VARINT field; nothing is written for 0, which is proto3's default. */
void wire_put_varint_field(struct buf *b, uint32_t field, uint64_t v);
/* A LEN field: key, length, then n bytes of p (p may be NULL if n is 0). */
void wire_put_bytes_field(struct buf *b, uint32_t field, const void *p, size_t n);

#endif
