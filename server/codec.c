/*
 * codec.c: struct prof <-> stored blob (see codec.h).
 *
 * Every format is read through one streaming reader: the zlib stream is
 * inflated a window at a time (WINDOW bytes) and parsed as it comes, so a
 * decode never holds the whole uncompressed form (a quarter of a large
 * profile's model, and as many page faults).
 */
#include "codec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "wire.h"
#include "work.h"

/* FDX1: the tables up to the samples, the trie as (parent delta,
 * location) pairs. FDX2: the same, then optional sections (a tag, a byte
 * length, the bytes; a reader skips tags it does not know). FDX3: as
 * FDX2, but the trie as two columns (put_nodes_v3). All three are read;
 * FDX3 is written. */
#define MAGIC_V1 "FDX1"
#define MAGIC_V2 "FDX2"
#define MAGIC_V3 "FDX3"
/* Level 1: most of the gain at a fraction of the time (measured on the
 * benchmark profiles; see docs/BENCHMARKS.md). */
#define ZLEVEL 1

static void put_str(struct buf *b, const struct prof *p, uint32_t id)
{
	wire_put_uvarint(b, p->str_len[id]);
	buf_add(b, p->arena + p->str_off[id], p->str_len[id]);
}

/* The varints are deflated as they are produced, through a small staging
 * buffer, so encoding never holds the whole uncompressed form. */
struct zout {
	z_stream zs;
	struct buf *out;
	uint64_t raw;
	size_t start, max;   /* the blob starts at out[start]; max: its cap, 0 none */
	bool over;           /* the blob passed max: the encoder stops */
};

#define STAGE (256u * 1024)

static int zflush(struct zout *z, struct buf *b, int mode)
{
	z->zs.next_in = (Bytef *)b->data;
	z->zs.avail_in = (uInt)b->len;
	z->raw += b->len;
	for (;;) {
		if (buf_grow(z->out, 64 * 1024) < 0)
			return -1;
		z->zs.next_out = (Bytef *)z->out->data + z->out->len;
		z->zs.avail_out = (uInt)(z->out->cap - z->out->len - 1);
		uInt before = z->zs.avail_out;
		int rc = deflate(&z->zs, mode);
		z->out->len += before - z->zs.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1;
		if (z->zs.avail_in == 0 && z->zs.avail_out != 0 && mode != Z_FINISH)
			break;
	}
	b->len = 0;
	if (z->max && z->out->len - z->start > z->max) {
		z->over = true;
		return -1;
	}
	return 0;
}

/* ---- optional sections (FDX2, FDX3) ----------------------------------------- */

enum { SECTION_ADDRESSES = 1 };

/* SECTION_ADDRESSES (when p has them): per location its address and
 * mapping index + 1 (0: none), then the mappings: start, limit, offset,
 * file and build id (string ids). */
static int put_sections(const struct prof *p, struct buf *b)
{
	if (!p->loc_addr || !p->loc_map)
		return 0;
	struct buf s = BUF_INIT;
	wire_put_uvarint(&s, p->n_locs);
	for (uint32_t i = 0; i < p->n_locs; i++) {
		wire_put_uvarint(&s, p->loc_addr[i]);
		wire_put_uvarint(&s, (uint64_t)p->loc_map[i] + 1);
	}
	wire_put_uvarint(&s, p->n_maps);
	for (uint32_t i = 0; i < p->n_maps; i++) {
		const struct prof_mapping *m = &p->maps[i];
		wire_put_uvarint(&s, m->start);
		wire_put_uvarint(&s, m->limit);
		wire_put_uvarint(&s, m->offset);
		wire_put_uvarint(&s, m->file);
		wire_put_uvarint(&s, m->build_id);
	}
	wire_put_uvarint(b, SECTION_ADDRESSES);
	wire_put_uvarint(b, s.len);
	buf_add(b, s.data, s.len);
	int rc = s.oom ? -1 : 0;
	buf_release(&s);
	return rc;
}

#define MAYBE_FLUSH() do { if (b.len >= STAGE && zflush(&z, &b, Z_NO_FLUSH) < 0) goto fail; } while (0)

/* Format 3's trie: the shape, then the locations, each a column of its
 * own so that deflate sees the location ids without the shape's bytes
 * between them. The shape is a flag, then per node either (flag 1, the
 * trie in pre-order: every node's parent is on the path from the root to
 * the node before it, as the decoder's sorted build makes it) the number
 * of steps up from that node to the parent, mostly 0 and always small; or
 * (flag 0) the parent as a backwards delta, as format 1 has it. */
static int put_nodes_v3(const struct prof *p, struct buf *b, struct zout *z)
{
	/* pass 1: is it in pre-order? path[] is the current root path */
	size_t cap = 256;
	uint32_t *path = malloc(cap * sizeof(uint32_t));
	if (!path)
		return -1;
	uint32_t sp = 1;
	bool pre = true;
	path[0] = 0;
	for (uint32_t i = 1; i < p->n_nodes && pre; i++) {
		uint32_t par = p->nodes[i].parent;
		while (sp > 0 && path[sp - 1] != par)
			sp--;
		if (sp == 0) {
			pre = false;
			break;
		}
		if (sp == cap) {
			uint32_t *np = realloc(path, cap * 2 * sizeof(uint32_t));
			if (!np) {
				free(path);
				return -1;
			}
			path = np;
			cap *= 2;
		}
		path[sp++] = i;
	}
	wire_put_uvarint(b, pre ? 1 : 0);
	sp = 1;
	for (uint32_t i = 1; i < p->n_nodes; i++) {
		uint32_t par = p->nodes[i].parent;
		if (pre) {
			uint32_t up = 0;
			while (path[sp - 1] != par) {
				sp--;
				up++;
			}
			path[sp++] = i;   /* fits: pass 1 went as deep */
			wire_put_uvarint(b, up);
		} else {
			wire_put_uvarint(b, i - par);
		}
		if (b->len >= STAGE && zflush(z, b, Z_NO_FLUSH) < 0) {
			free(path);
			return -1;
		}
	}
	free(path);
	for (uint32_t i = 1; i < p->n_nodes; i++) {
		wire_put_uvarint(b, p->nodes[i].loc);
		if (b->len >= STAGE && zflush(z, b, Z_NO_FLUSH) < 0)
			return -1;
	}
	return 0;
}

static int encode(const struct prof *p, struct buf *out, int version, size_t max)
{
	if (version < 1 || version > CODEC_FORMAT)
		return -1;
	struct buf b = BUF_INIT;
	struct zout z;
	memset(&z, 0, sizeof(z));
	z.out = out;
	size_t start = out->len;
	z.start = start;
	z.max = max;
	if (deflateInit(&z.zs, ZLEVEL) != Z_OK)
		return -1;
	/* header; the raw length is patched in at the end */
	buf_add(out, version == 1 ? MAGIC_V1 : version == 2 ? MAGIC_V2 : MAGIC_V3, 4);
	buf_add(out, "\0\0\0\0\0\0\0\0", 8);
	wire_put_uvarint(&b, p->n_strs);
	for (uint32_t i = 0; i < p->n_strs; i++) {
		put_str(&b, p, i);
		MAYBE_FLUSH();
	}
	wire_put_uvarint(&b, p->n_types);
	for (uint32_t i = 0; i < p->n_types; i++) {
		wire_put_uvarint(&b, p->type_type[i]);
		wire_put_uvarint(&b, p->type_unit[i]);
	}
	wire_put_uvarint(&b, p->default_type);
	wire_put_uvarint(&b, p->period_type);
	wire_put_uvarint(&b, p->period_unit);
	wire_put_svarint(&b, p->period);
	wire_put_svarint(&b, p->time_nanos);
	wire_put_svarint(&b, p->duration_nanos);
	wire_put_uvarint(&b, (uint64_t)p->kind);
	wire_put_uvarint(&b, p->orig_samples);
	wire_put_uvarint(&b, p->orig_locations);
	wire_put_uvarint(&b, p->orig_functions);
	wire_put_uvarint(&b, p->n_funcs);
	for (uint32_t i = 0; i < p->n_funcs; i++) {
		wire_put_uvarint(&b, p->funcs[i].name);
		wire_put_uvarint(&b, p->funcs[i].sysname);
		wire_put_uvarint(&b, p->funcs[i].file);
		MAYBE_FLUSH();
	}
	wire_put_uvarint(&b, p->n_frames);
	for (uint32_t i = 0; i < p->n_frames; i++) {
		const struct prof_frame *f = &p->frames[i];
		wire_put_uvarint(&b, (uint64_t)f->func + 1);
		wire_put_uvarint(&b, (uint64_t)f->map_file + 1);
		wire_put_uvarint(&b, f->key);
		wire_put_svarint(&b, f->line);
		MAYBE_FLUSH();
	}
	wire_put_uvarint(&b, p->n_locs);
	for (uint32_t i = 0; i < p->n_locs; i++) {
		wire_put_uvarint(&b, p->locs[i].n);
		MAYBE_FLUSH();
	}
	wire_put_uvarint(&b, p->n_loc_frames);
	for (uint32_t i = 0; i < p->n_loc_frames; i++) {
		wire_put_uvarint(&b, p->loc_frames[i]);
		MAYBE_FLUSH();
	}
	wire_put_uvarint(&b, p->n_nodes);
	if (version < 3) {
		for (uint32_t i = 1; i < p->n_nodes; i++) {
			wire_put_uvarint(&b, i - p->nodes[i].parent);
			wire_put_uvarint(&b, p->nodes[i].loc);
			MAYBE_FLUSH();
		}
	} else if (put_nodes_v3(p, &b, &z) < 0) {
		goto fail;
	}
	wire_put_uvarint(&b, p->n_labels);
	for (uint32_t i = 0; i < p->n_labels; i++) {
		const struct prof_label *l = &p->labels[i];
		wire_put_uvarint(&b, l->key);
		wire_put_uvarint(&b, (uint64_t)l->str + 1);
		wire_put_uvarint(&b, (uint64_t)l->unit + 1);
		wire_put_svarint(&b, l->num);
		MAYBE_FLUSH();
	}
	wire_put_uvarint(&b, p->n_labelsets);
	for (uint32_t i = 0; i < p->n_labelsets; i++) {
		wire_put_uvarint(&b, p->labelsets[i].n);
		MAYBE_FLUSH();
	}
	wire_put_uvarint(&b, p->n_samples);
	for (uint32_t i = 0; i < p->n_samples; i++) {
		wire_put_uvarint(&b, p->samples[i].node);
		wire_put_uvarint(&b, p->samples[i].labelset);
		for (uint32_t t = 0; t < p->n_types; t++)
			wire_put_svarint(&b, p->values[(size_t)i * p->n_types + t]);
		MAYBE_FLUSH();
	}
	if (version >= 2 && put_sections(p, &b) < 0)
		goto fail;
	if (b.oom || out->oom || zflush(&z, &b, Z_FINISH) < 0)
		goto fail;
	deflateEnd(&z.zs);
	buf_release(&b);
	memcpy(out->data + start + 4, &z.raw, 8);
	return 0;
fail:
	deflateEnd(&z.zs);
	buf_release(&b);
	out->len = start;
	return z.over ? CODEC_OVER : -1;
}

int codec_encode_version(const struct prof *p, struct buf *out, int version)
{
	return encode(p, out, version, 0);
}

int codec_encode(const struct prof *p, struct buf *out)
{
	return encode(p, out, CODEC_FORMAT, 0);
}

int codec_encode_max(const struct prof *p, struct buf *out, size_t max)
{
	return encode(p, out, CODEC_FORMAT, max);
}

/* The streaming reader: win[0, end) holds inflated bytes not yet parsed
 * from p on; errors stick (after the first, every get returns 0 and the
 * decoder checks r.bad at its CHECK points). */
#define WINDOW (256u * 1024)

struct rd {
	z_stream zs;
	uint8_t *win;
	const uint8_t *p, *end;
	uint64_t done;       /* raw bytes before win[0] */
	uint64_t raw;        /* the raw length the header claims */
	bool eof;            /* the zlib stream has ended */
	bool bad;
};

/* Move what is left to the front of the window and inflate behind it. */
static void refill(struct rd *r)
{
	size_t left = (size_t)(r->end - r->p);
	r->done += (uint64_t)(r->p - r->win);
	memmove(r->win, r->p, left);
	r->p = r->win;
	r->end = r->win + left;
	while (!r->eof && r->end < r->win + WINDOW) {
		r->zs.next_out = (Bytef *)r->end;
		r->zs.avail_out = (uInt)(r->win + WINDOW - r->end);
		int rc = inflate(&r->zs, Z_NO_FLUSH);
		r->end = (const uint8_t *)r->zs.next_out;
		if (rc == Z_STREAM_END) {
			r->eof = true;
		} else if (rc != Z_OK) {
			r->bad = true;   /* damaged or truncated stream */
			return;
		}
	}
	/* More than the header claims is damage too. */
	if (r->done + (uint64_t)(r->end - r->win) > r->raw)
		r->bad = true;
}

static uint64_t get(struct rd *r)
{
	/* Every field passes here: the decoder's poll point (work.h). */
	if (r->bad || work_poll() != WORK_OK) {
		r->bad = true;
		return 0;
	}
	if (r->end - r->p < WIRE_MAX_VARINT && !r->eof)
		refill(r);
	struct wire_reader w = { r->p, r->end };
	uint64_t v;
	if (r->bad || wire_read_varint(&w, &v) < 0) {
		r->bad = true;
		return 0;
	}
	r->p = w.p;
	return v;
}

static int64_t sget(struct rd *r)
{
	return wire_unzigzag(get(r));
}

/* Raw bytes not yet read, as the header claims them. */
static uint64_t remaining(const struct rd *r)
{
	uint64_t pos = r->done + (uint64_t)(r->p - r->win);
	return pos <= r->raw ? r->raw - pos : 0;
}

/* Copy the next n bytes into dst. */
static void get_bytes(struct rd *r, char *dst, uint64_t n)
{
	while (n > 0 && !r->bad) {
		if (r->p == r->end) {
			if (r->eof) {
				r->bad = true;
				return;
			}
			refill(r);
			continue;
		}
		size_t k = (size_t)(r->end - r->p) < n ? (size_t)(r->end - r->p) : (size_t)n;
		memcpy(dst, r->p, k);
		dst += k;
		r->p += k;
		n -= k;
	}
}

/* A count that must fit the remaining bytes (each element >= 1 byte). */
static uint32_t count(struct rd *r)
{
	uint64_t n = get(r);
	if (n > remaining(r) || n >= UINT32_MAX) {
		r->bad = true;
		return 0;
	}
	return (uint32_t)n;
}

/* At the end: every byte read, nothing after, the stream complete. */
static bool at_end(struct rd *r)
{
	if (r->bad)
		return false;
	if (r->p == r->end && !r->eof)
		refill(r);
	return !r->bad && r->p == r->end && r->eof && remaining(r) == 0 && r->zs.avail_in == 0;
}

/* The raw position of the next byte to read. */
static uint64_t pos(const struct rd *r)
{
	return r->done + (uint64_t)(r->p - r->win);
}

/* Is there another byte before the end of the stream? */
static bool more(struct rd *r)
{
	if (r->bad)
		return false;
	if (r->p == r->end && !r->eof)
		refill(r);
	return !r->bad && r->p < r->end;
}

/* Skip the next n bytes. */
static void skip(struct rd *r, uint64_t n)
{
	while (n > 0 && !r->bad) {
		if (r->p == r->end) {
			if (r->eof) {
				r->bad = true;
				return;
			}
			refill(r);
			continue;
		}
		size_t k = (size_t)(r->end - r->p) < n ? (size_t)(r->end - r->p) : (size_t)n;
		r->p += k;
		n -= k;
	}
}

/* The sections of an FDX2/FDX3 blob (see put_sections), to the end of r. */
static int get_sections(struct rd *r, struct prof *p)
{
	while (more(r)) {
		uint64_t tag = get(r);
		uint64_t len = get(r);
		if (r->bad || len > remaining(r))
			return -1;
		uint64_t end = pos(r) + len;
		if (tag != SECTION_ADDRESSES || p->loc_addr) {
			skip(r, len); /* unknown (or repeated): skipped */
			continue;
		}
		uint64_t nl = get(r);
		if (r->bad || nl != p->n_locs)
			return -1;
		p->loc_addr = calloc((size_t)nl + 1, sizeof(uint64_t));
		p->loc_map = calloc((size_t)nl + 1, sizeof(uint32_t));
		if (!p->loc_addr || !p->loc_map)
			return -1;
		for (uint32_t i = 0; i < p->n_locs; i++) {
			p->loc_addr[i] = get(r);
			p->loc_map[i] = (uint32_t)(get(r) - 1);
		}
		uint64_t nm = get(r);
		if (r->bad || pos(r) > end || nm > end - pos(r))
			return -1;
		p->n_maps = (uint32_t)nm;
		p->maps = calloc((size_t)nm + 1, sizeof(*p->maps));
		if (!p->maps)
			return -1;
		for (uint32_t i = 0; i < p->n_maps; i++) {
			struct prof_mapping *m = &p->maps[i];
			m->start = get(r);
			m->limit = get(r);
			m->offset = get(r);
			m->file = (uint32_t)get(r);
			m->build_id = (uint32_t)get(r);
			if (m->file >= p->n_strs || m->build_id >= p->n_strs)
				return -1;
		}
		for (uint32_t i = 0; i < p->n_locs; i++)
			if (p->loc_map[i] != PROF_NONE && p->loc_map[i] >= p->n_maps)
				return -1;
		if (r->bad || pos(r) != end)
			return -1;
	}
	return r->bad ? -1 : 0;
}

#define ALLOC(ptr, n) do { (ptr) = calloc((size_t)(n) + 1, sizeof(*(ptr))); if (!(ptr)) goto fail; } while (0)
#define CHECK(cond) do { if (!(cond) || r.bad) goto fail; } while (0)

struct prof *codec_decode(const uint8_t *data, size_t n)
{
	if (n < 12)
		return NULL;
	int version = memcmp(data, MAGIC_V1, 4) == 0   ? 1
	              : memcmp(data, MAGIC_V2, 4) == 0 ? 2
	              : memcmp(data, MAGIC_V3, 4) == 0 ? 3
	                                               : 0;
	if (!version)
		return NULL;
	uint64_t raw;
	memcpy(&raw, data + 4, 8);
	if (raw > ((uint64_t)1 << 34))
		return NULL;
	/* The window, charged to the current work while it lives. */
	struct rd r;
	memset(&r, 0, sizeof(r));
	r.raw = raw;
	if (work_charge(WINDOW) < 0)
		return NULL;
	r.win = malloc(WINDOW);
	if (!r.win || inflateInit(&r.zs) != Z_OK) {
		free(r.win);
		work_uncharge(WINDOW);
		return NULL;
	}
	r.zs.next_in = (Bytef *)data + 12;
	r.zs.avail_in = (uInt)(n - 12 > UINT32_MAX ? UINT32_MAX : n - 12);
	r.p = r.end = r.win;
	if (n - 12 > UINT32_MAX)
		r.bad = true;
	struct buf arena = BUF_INIT;
	uint32_t *path = NULL;
	struct prof *p = prof_alloc();
	if (!p)
		goto fail;
	p->n_strs = count(&r);
	CHECK(p->n_strs > 0);
	ALLOC(p->str_off, p->n_strs);
	ALLOC(p->str_len, p->n_strs);
	{
		size_t off = 0;
		for (uint32_t i = 0; i < p->n_strs; i++) {
			uint64_t l = get(&r);
			CHECK(l <= remaining(&r) && l < UINT32_MAX && off + l + 1 < UINT32_MAX);
			CHECK(buf_grow(&arena, (size_t)l + 1) == 0);
			get_bytes(&r, arena.data + off, l);
			CHECK(!r.bad);
			arena.data[off + l] = '\0';
			p->str_off[i] = (uint32_t)off;
			p->str_len[i] = (uint32_t)l;
			off += l + 1;
			arena.len = off;
		}
		p->arena_len = off;
		p->arena = buf_detach(&arena, NULL);
		CHECK(p->arena != NULL);
	}
#define STR(x) CHECK((x) < p->n_strs)
	p->n_types = count(&r);
	ALLOC(p->type_type, p->n_types);
	ALLOC(p->type_unit, p->n_types);
	for (uint32_t i = 0; i < p->n_types; i++) {
		p->type_type[i] = (uint32_t)get(&r);
		p->type_unit[i] = (uint32_t)get(&r);
		STR(p->type_type[i]);
		STR(p->type_unit[i]);
	}
	p->default_type = (uint32_t)get(&r);
	CHECK(p->n_types == 0 || p->default_type < p->n_types);
	p->period_type = (uint32_t)get(&r);
	p->period_unit = (uint32_t)get(&r);
	STR(p->period_type);
	STR(p->period_unit);
	p->period = sget(&r);
	p->time_nanos = sget(&r);
	p->duration_nanos = sget(&r);
	p->kind = (enum prof_kind)get(&r);
	p->orig_samples = get(&r);
	p->orig_locations = get(&r);
	p->orig_functions = get(&r);
	p->n_funcs = count(&r);
	ALLOC(p->funcs, p->n_funcs);
	for (uint32_t i = 0; i < p->n_funcs; i++) {
		p->funcs[i].name = (uint32_t)get(&r);
		p->funcs[i].sysname = (uint32_t)get(&r);
		p->funcs[i].file = (uint32_t)get(&r);
		STR(p->funcs[i].name);
		STR(p->funcs[i].sysname);
		STR(p->funcs[i].file);
	}
	p->n_frames = count(&r);
	ALLOC(p->frames, p->n_frames);
	for (uint32_t i = 0; i < p->n_frames; i++) {
		struct prof_frame *f = &p->frames[i];
		f->func = (uint32_t)(get(&r) - 1);
		f->map_file = (uint32_t)(get(&r) - 1);
		f->key = (uint32_t)get(&r);
		f->line = sget(&r);
		CHECK(f->func == PROF_NONE || f->func < p->n_funcs);
		CHECK(f->map_file == PROF_NONE || f->map_file < p->n_strs);
		STR(f->key);
	}
	p->n_locs = count(&r);
	ALLOC(p->locs, p->n_locs);
	{
		uint64_t off = 0;
		for (uint32_t i = 0; i < p->n_locs; i++) {
			p->locs[i].off = (uint32_t)off;
			p->locs[i].n = (uint32_t)get(&r);
			off += p->locs[i].n;
			CHECK(off < UINT32_MAX);
		}
		p->n_loc_frames = count(&r);
		CHECK(off == p->n_loc_frames);
	}
	ALLOC(p->loc_frames, p->n_loc_frames);
	for (uint32_t i = 0; i < p->n_loc_frames; i++) {
		p->loc_frames[i] = (uint32_t)get(&r);
		CHECK(p->loc_frames[i] < p->n_frames);
	}
	p->n_nodes = count(&r);
	CHECK(p->n_nodes >= 1);
	ALLOC(p->nodes, p->n_nodes);
	p->nodes[0].parent = 0;
	p->nodes[0].loc = PROF_NONE;
	if (version < 3) {
		for (uint32_t i = 1; i < p->n_nodes; i++) {
			uint64_t delta = get(&r);
			CHECK(delta >= 1 && delta <= i);
			p->nodes[i].parent = (uint32_t)(i - delta);
			p->nodes[i].loc = (uint32_t)get(&r);
			CHECK(p->nodes[i].loc < p->n_locs);
		}
	} else {
		/* put_nodes_v3: the shape (steps up, or deltas), then the locations */
		uint64_t pre = get(&r);
		CHECK(pre <= 1);
		size_t cap = 256;
		uint32_t sp = 1;
		if (pre) {
			ALLOC(path, cap);
			path[0] = 0;
		}
		for (uint32_t i = 1; i < p->n_nodes; i++) {
			uint64_t v = get(&r);
			CHECK(!r.bad);
			if (pre) {
				CHECK(v < sp);
				sp -= (uint32_t)v;
				p->nodes[i].parent = path[sp - 1];
				if (sp == cap) {
					uint32_t *np = realloc(path, cap * 2 * sizeof(uint32_t));
					CHECK(np != NULL);
					path = np;
					cap *= 2;
				}
				path[sp++] = i;
			} else {
				CHECK(v >= 1 && v <= i);
				p->nodes[i].parent = (uint32_t)(i - v);
			}
		}
		free(path);
		path = NULL;
		for (uint32_t i = 1; i < p->n_nodes; i++) {
			p->nodes[i].loc = (uint32_t)get(&r);
			CHECK(p->nodes[i].loc < p->n_locs);
		}
	}
	p->n_labels = count(&r);
	ALLOC(p->labels, p->n_labels);
	for (uint32_t i = 0; i < p->n_labels; i++) {
		struct prof_label *l = &p->labels[i];
		l->key = (uint32_t)get(&r);
		l->str = (uint32_t)(get(&r) - 1);
		l->unit = (uint32_t)(get(&r) - 1);
		l->num = sget(&r);
		STR(l->key);
		CHECK(l->str == PROF_NONE || l->str < p->n_strs);
		CHECK(l->unit == PROF_NONE || l->unit < p->n_strs);
	}
	p->n_labelsets = count(&r);
	CHECK(p->n_labelsets >= 1);
	ALLOC(p->labelsets, p->n_labelsets);
	{
		uint64_t off = 0;
		for (uint32_t i = 0; i < p->n_labelsets; i++) {
			p->labelsets[i].off = (uint32_t)off;
			p->labelsets[i].n = (uint32_t)get(&r);
			off += p->labelsets[i].n;
			CHECK(off <= p->n_labels);
		}
	}
	p->n_samples = count(&r);
	ALLOC(p->samples, p->n_samples);
	CHECK(p->n_types == 0 || p->n_samples <= SIZE_MAX / 8 / p->n_types);
	ALLOC(p->values, (size_t)p->n_samples * p->n_types);
	for (uint32_t i = 0; i < p->n_samples; i++) {
		p->samples[i].node = (uint32_t)get(&r);
		p->samples[i].labelset = (uint32_t)get(&r);
		CHECK(p->samples[i].node < p->n_nodes && p->samples[i].labelset < p->n_labelsets);
		for (uint32_t t = 0; t < p->n_types; t++)
			p->values[(size_t)i * p->n_types + t] = sget(&r);
	}
	CHECK(!r.bad);
	if (version >= 2 && get_sections(&r, p) < 0)
		goto fail;
	CHECK(at_end(&r));
	inflateEnd(&r.zs);
	free(r.win);
	work_uncharge(WINDOW);
	return p;
fail:
	inflateEnd(&r.zs);
	free(r.win);
	work_uncharge(WINDOW);
	buf_release(&arena);
	free(path);
	prof_free(p);
	return NULL;
}
