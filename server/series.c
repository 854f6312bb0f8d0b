/*
 * series.c: profiles stored against their series' dictionary (series.h).
 *
 * A chunk (zlib of varints) appends, in this order, strings, functions,
 * frames, mappings, locations (with address and mapping) and trie nodes
 * (parent, location) to its group; every index in it refers to entries of
 * earlier chunks or earlier in the same chunk. An FDX4 blob is "FDX4",
 * the uncompressed length (8 bytes, host order, as codec.h's), then zlib
 * of: the group name, the chunks needed, a flags word (1: the profile
 * has addresses), the metadata, labels, label sets and samples, every
 * string a string id of the group.
 *
 * Writers (one per series, this process's) hold the interning maps and
 * are kept in a small table, least recently used first out; readers keep
 * decoded group prefixes in a cache of their own, bounded in bytes.
 */
#include "series.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hash.h"
#include "util.h"
#include "wire.h"
#include "work.h"

#define MAGIC "FDX4"
#define MAX_RAW ((uint64_t)1 << 30)
#define WRITERS_MAX 256
#define DICTS_BYTES ((size_t)256 << 20)
#define DICTS_MAX 64

static enum series_mode mode = SERIES_LABELLED;

void series_set_mode(enum series_mode m)
{
	mode = m;
}

enum series_mode series_mode(void)
{
	return mode;
}

int series_mode_parse(const char *s)
{
	if (strcmp(s, "off") == 0)
		return SERIES_OFF;
	if (strcmp(s, "labelled") == 0)
		return SERIES_LABELLED;
	if (strcmp(s, "all") == 0)
		return SERIES_ALL;
	return -1;
}

bool series_wanted(const struct prof *p, int n_labels)
{
	if (mode == SERIES_OFF || (mode == SERIES_LABELLED && n_labels == 0))
		return false;
	return p->n_nodes <= SERIES_MAX_NODES && p->n_strs > 0;
}

static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static struct series_stats st;

void series_stats(struct series_stats *out)
{
	pthread_mutex_lock(&stats_mu);
	*out = st;
	pthread_mutex_unlock(&stats_mu);
}

#define STAT(field, v)                      \
	do {                                \
		pthread_mutex_lock(&stats_mu); \
		st.field += (v);            \
		pthread_mutex_unlock(&stats_mu); \
	} while (0)

/* ---- growable arrays ------------------------------------------------------ */

static int grow(void **a, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	uint64_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	if (c > UINT32_MAX)
		c = UINT32_MAX;
	void *n = realloc(*a, (size_t)c * elem);
	if (!n)
		return -1;
	*a = n;
	*cap = (uint32_t)c;
	return 0;
}

#define GROW(arr, capv, need) grow((void **)&(arr), &(capv), (need), sizeof(*(arr)))

/* A group's entries as far as read: the shared part of a struct prof. */
struct dict {
	struct buf arena;   /* strings, each NUL-terminated */
	uint32_t *str_off, *str_len;
	uint32_t n_strs, c_strs;
	struct prof_func *funcs;
	uint32_t n_funcs, c_funcs;
	struct prof_frame *frames;
	uint32_t n_frames, c_frames;
	struct prof_mapping *maps;
	uint32_t n_maps, c_maps;
	struct prof_loc *locs;
	uint64_t *loc_addr;
	uint32_t *loc_map;
	uint32_t n_locs, c_locs, c_addr, c_lmap;
	uint32_t *loc_frames;
	uint32_t n_lf, c_lf;
	struct prof_node *nodes;
	uint32_t n_nodes, c_nodes;
};

static void dict_release(struct dict *d)
{
	buf_release(&d->arena);
	free(d->str_off);
	free(d->str_len);
	free(d->funcs);
	free(d->frames);
	free(d->maps);
	free(d->locs);
	free(d->loc_addr);
	free(d->loc_map);
	free(d->loc_frames);
	free(d->nodes);
	memset(d, 0, sizeof(*d));
}

static size_t dict_bytes(const struct dict *d)
{
	return d->arena.len + (size_t)d->n_strs * 8 + (size_t)d->n_funcs * sizeof(*d->funcs) +
	       (size_t)d->n_frames * sizeof(*d->frames) + (size_t)d->n_maps * sizeof(*d->maps) +
	       (size_t)d->n_locs * (sizeof(*d->locs) + 12) + (size_t)d->n_lf * 4 + (size_t)d->n_nodes * 8 + 256;
}

/* ---- a bounds-checked reader over inflated bytes -------------------------- */

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t get(struct rd *r)
{
	uint64_t v = 0;
	for (int s = 0; s < 64; s += 7) {
		if (r->p >= r->end) {
			r->bad = true;
			return 0;
		}
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static int64_t sget(struct rd *r)
{
	uint64_t v = get(r);
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A count that the rest of the input could hold (each entry at least
 * one byte). */
static uint32_t count(struct rd *r)
{
	uint64_t n = get(r);
	if (n > (uint64_t)(r->end - r->p) || n >= UINT32_MAX) {
		r->bad = true;
		return 0;
	}
	return (uint32_t)n;
}

/* Inflate data (zlib) of exactly raw bytes into a malloc'd buffer,
 * charged to the current work. */
static uint8_t *inflate_all(const uint8_t *data, size_t n, uint64_t raw)
{
	if (raw > MAX_RAW || n > UINT32_MAX || work_charge((size_t)raw + 1) < 0)
		return NULL;
	uint8_t *out = malloc((size_t)raw + 1);
	if (!out) {
		work_uncharge((size_t)raw + 1);
		return NULL;
	}
	uLongf got = (uLongf)raw;
	if (uncompress(out, &got, data, (uLong)n) != Z_OK || got != raw) {
		free(out);
		work_uncharge((size_t)raw + 1);
		return NULL;
	}
	return out;
}

static void inflate_free(uint8_t *b, uint64_t raw)
{
	if (b) {
		free(b);
		work_uncharge((size_t)raw + 1);
	}
}

/* Deflate b into out, after a 12-byte header (magic or none) when magic. */
static int deflate_to(const struct buf *b, struct buf *out, const char *magic)
{
	uLongf cap = compressBound((uLong)b->len);
	size_t hdr = magic ? 12 : 8;
	if (buf_grow(out, hdr + cap) < 0)
		return -1;
	uint8_t *o = (uint8_t *)out->data + out->len;
	uint64_t raw = b->len;
	if (magic) {
		memcpy(o, magic, 4);
		memcpy(o + 4, &raw, 8);
	} else {
		memcpy(o, &raw, 8);
	}
	if (compress2(o + hdr, &cap, b->len ? (const Bytef *)b->data : (const Bytef *)"", (uLong)b->len, 1) != Z_OK)
		return -1;
	out->len += hdr + cap;
	return 0;
}

/* ---- chunks ------------------------------------------------------------------- */

/* Append one chunk (8-byte raw length, then zlib) to d. 0 or -1. */
static int dict_apply(struct dict *d, const uint8_t *data, size_t n)
{
	if (n < 8)
		return -1;
	uint64_t raw;
	memcpy(&raw, data, 8);
	uint8_t *in = inflate_all(data + 8, n - 8, raw);
	if (!in) {
		util_log("level=error msg=\"series chunk does not inflate\" bytes=%zu raw=%llu", n, (unsigned long long)raw);
		return -1;
	}
	struct rd r = { in, in + raw, false };
	int rc = -1, bad_line = 0;
#define CK(c)                  \
	do {                   \
		if (!(c) || r.bad) { \
			bad_line = __LINE__; \
			goto out; \
		} \
	} while (0)
	uint32_t k = count(&r);
	CK(GROW(d->str_off, d->c_strs, d->n_strs + k) == 0);
	{
		/* str_len grows with str_off (same capacity) */
		uint32_t *nl = realloc(d->str_len, (size_t)d->c_strs * 4);
		CK(nl != NULL);
		d->str_len = nl;
	}
	for (uint32_t i = 0; i < k; i++) {
		uint64_t l = get(&r);
		CK(l <= (uint64_t)(r.end - r.p) && d->arena.len + l + 1 < UINT32_MAX);
		uint32_t off = (uint32_t)d->arena.len;
		buf_add(&d->arena, r.p, (size_t)l);
		buf_addc(&d->arena, '\0');
		CK(!d->arena.oom);
		r.p += l;
		d->str_off[d->n_strs] = off;
		d->str_len[d->n_strs] = (uint32_t)l;
		d->n_strs++;
	}
#define STR(x) CK((x) < d->n_strs)
	k = count(&r);
	CK(GROW(d->funcs, d->c_funcs, d->n_funcs + k) == 0);
	for (uint32_t i = 0; i < k; i++) {
		struct prof_func f;
		f.name = (uint32_t)get(&r);
		f.sysname = (uint32_t)get(&r);
		f.file = (uint32_t)get(&r);
		STR(f.name);
		STR(f.sysname);
		STR(f.file);
		d->funcs[d->n_funcs++] = f;
	}
	k = count(&r);
	CK(GROW(d->frames, d->c_frames, d->n_frames + k) == 0);
	for (uint32_t i = 0; i < k; i++) {
		struct prof_frame f;
		uint64_t fn = get(&r), mf = get(&r);
		CK(fn <= d->n_funcs && mf <= d->n_strs);
		f.func = fn ? (uint32_t)(fn - 1) : PROF_NONE;
		f.map_file = mf ? (uint32_t)(mf - 1) : PROF_NONE;
		f.key = (uint32_t)get(&r);
		STR(f.key);
		f.line = sget(&r);
		d->frames[d->n_frames++] = f;
	}
	k = count(&r);
	CK(GROW(d->maps, d->c_maps, d->n_maps + k) == 0);
	for (uint32_t i = 0; i < k; i++) {
		struct prof_mapping m;
		m.start = get(&r);
		m.limit = get(&r);
		m.offset = get(&r);
		m.file = (uint32_t)get(&r);
		m.build_id = (uint32_t)get(&r);
		STR(m.file);
		STR(m.build_id);
		d->maps[d->n_maps++] = m;
	}
	k = count(&r);
	CK(GROW(d->locs, d->c_locs, d->n_locs + k) == 0);
	CK(GROW(d->loc_addr, d->c_addr, d->n_locs + k) == 0);
	CK(GROW(d->loc_map, d->c_lmap, d->n_locs + k) == 0);
	for (uint32_t i = 0; i < k; i++) {
		uint32_t nf = count(&r);
		CK(GROW(d->loc_frames, d->c_lf, d->n_lf + nf) == 0);
		struct prof_loc l = { d->n_lf, nf };
		for (uint32_t j = 0; j < nf; j++) {
			uint64_t f = get(&r);
			CK(f < d->n_frames);
			d->loc_frames[d->n_lf++] = (uint32_t)f;
		}
		uint64_t addr = get(&r), m = get(&r);
		CK(m <= d->n_maps);
		d->locs[d->n_locs] = l;
		d->loc_addr[d->n_locs] = addr;
		d->loc_map[d->n_locs] = m ? (uint32_t)(m - 1) : PROF_NONE;
		d->n_locs++;
	}
	k = count(&r);
	if (d->n_nodes == 0) {
		/* node 0, the root, is implicit */
		CK(GROW(d->nodes, d->c_nodes, 1) == 0);
		d->nodes[0] = (struct prof_node){ 0, PROF_NONE };
		d->n_nodes = 1;
	}
	CK(GROW(d->nodes, d->c_nodes, d->n_nodes + k) == 0);
	for (uint32_t i = 0; i < k; i++) {
		uint64_t up = get(&r), loc = get(&r);
		CK(up >= 1 && up <= d->n_nodes && loc < d->n_locs);
		d->nodes[d->n_nodes] = (struct prof_node){ d->n_nodes - (uint32_t)up, (uint32_t)loc };
		d->n_nodes++;
	}
	CK(r.p == r.end);
	rc = 0;
out:
	if (rc < 0)
		util_log("level=error msg=\"series chunk damaged\" check=%d", bad_line);
#undef CK
#undef STR
	inflate_free(in, raw);
	return rc;
}

/* ---- writers ------------------------------------------------------------------- */

/* Key bytes live in blocks that never move. */
struct kblock {
	struct kblock *next;
	size_t len, cap;
	char data[];
};

struct writer {
	uint64_t key_hash;
	char *key;
	size_t key_len;
	char grp[SERIES_GRP_CAP];
	uint32_t n_chunks;
	size_t bytes;      /* chunks written */
	uint32_t n_strs, n_funcs, n_frames, n_maps, n_locs, n_nodes;
	struct strmap strs, funcs, frames, maps, locs;
	struct u64map nodes;
	struct kblock *blocks;
	pthread_mutex_t mu;
	uint64_t used;
	int busy;          /* held by a put (the table's lock guards it) */
	bool full;         /* past a group's bounds, as its last put left it
	                    * (the table's lock guards it: the counts are w->mu's) */
	bool dead;         /* dropped from the table: its maps may hold entries
	                    * that were never written (w->mu guards it) */
};

static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct writer *writers[WRITERS_MAX];
static int n_writers;
static uint64_t tick;

static const char *kcopy(struct writer *w, const void *p, size_t n)
{
	struct kblock *b = w->blocks;
	if (!b || b->cap - b->len < n) {
		size_t cap = n > 60000 ? n : 60000;
		struct kblock *nb = malloc(sizeof(*nb) + cap);
		if (!nb)
			return NULL;
		nb->next = b;
		nb->len = 0;
		nb->cap = cap;
		w->blocks = b = nb;
	}
	char *dst = b->data + b->len;
	memcpy(dst, p, n);
	b->len += n;
	return dst;
}

static void writer_free(struct writer *w)
{
	if (!w)
		return;
	strmap_release(&w->strs);
	strmap_release(&w->funcs);
	strmap_release(&w->frames);
	strmap_release(&w->maps);
	strmap_release(&w->locs);
	u64map_release(&w->nodes);
	for (struct kblock *b = w->blocks, *nx; b; b = nx) {
		nx = b->next;
		free(b);
	}
	pthread_mutex_destroy(&w->mu);
	free(w->key);
	free(w);
}

static struct writer *writer_new(const char *key, size_t key_len, uint64_t h)
{
	struct writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	w->key = malloc(key_len + 1);
	char id[FDX_ID_LEN + 1];
	if (!w->key || util_new_id(id) < 0 || strmap_init(&w->strs, 1024) < 0 || strmap_init(&w->funcs, 256) < 0 ||
	    strmap_init(&w->frames, 256) < 0 || strmap_init(&w->maps, 16) < 0 || strmap_init(&w->locs, 256) < 0 ||
	    u64map_init(&w->nodes, 1024) < 0) {
		writer_free(w);
		return NULL;
	}
	memcpy(w->key, key, key_len);
	w->key[key_len] = '\0';
	w->key_len = key_len;
	w->key_hash = h;
	snprintf(w->grp, sizeof(w->grp), "%016llx-%s", (unsigned long long)h, id);
	w->n_nodes = 1;   /* the root */
	STAT(groups_made, 1);
	return w;
}

/* Intern bytes k[0, n) in m; *id the entry's id, *added whether it is new
 * (then next is bumped). 0 or -1. */
static int intern(struct writer *w, struct strmap *m, uint32_t *next, const void *k, size_t n, uint32_t *id,
                  bool *added)
{
	int ins = 0;
	uint32_t v = strmap_intern(m, k, (uint32_t)n, *next, &ins);
	if (v == UINT32_MAX)
		return -1;
	*added = ins != 0;
	if (ins) {
		const char *c = kcopy(w, k, n);
		if (!c)
			return -1;
		strmap_repoint(m, k, (uint32_t)n, c);
		(*next)++;
	}
	*id = v;
	return 0;
}

static uint32_t map_id(const uint32_t *m, uint32_t id)
{
	return id == PROF_NONE ? PROF_NONE : m[id];
}

/* The sections of a new chunk, filled as entries are added. */
struct newbufs {
	struct buf s, f, fr, m, l, n;
	uint32_t ns, nf, nfr, nm, nl, nn;
};

static void newbufs_release(struct newbufs *nb)
{
	buf_release(&nb->s);
	buf_release(&nb->f);
	buf_release(&nb->fr);
	buf_release(&nb->m);
	buf_release(&nb->l);
	buf_release(&nb->n);
}

/* Intern every entry of p; the maps from p's ids to the group's. */
static int intern_prof(struct writer *w, const struct prof *p, struct newbufs *nb, uint32_t *smap, uint32_t *fmap,
                       uint32_t *frmap, uint32_t *mmap, uint32_t *lmap, uint32_t *nmap)
{
	bool added;
	for (uint32_t i = 0; i < p->n_strs; i++) {
		if (intern(w, &w->strs, &w->n_strs, p->arena + p->str_off[i], p->str_len[i], &smap[i], &added) < 0)
			return -1;
		if (added) {
			wire_put_uvarint(&nb->s, p->str_len[i]);
			buf_add(&nb->s, p->arena + p->str_off[i], p->str_len[i]);
			nb->ns++;
		}
	}
	for (uint32_t i = 0; i < p->n_funcs; i++) {
		uint32_t k[3] = { map_id(smap, p->funcs[i].name), map_id(smap, p->funcs[i].sysname),
		                  map_id(smap, p->funcs[i].file) };
		if (k[0] == PROF_NONE || k[1] == PROF_NONE || k[2] == PROF_NONE)
			return -1;
		if (intern(w, &w->funcs, &w->n_funcs, k, sizeof(k), &fmap[i], &added) < 0)
			return -1;
		if (added) {
			for (int j = 0; j < 3; j++)
				wire_put_uvarint(&nb->f, k[j]);
			nb->nf++;
		}
	}
	for (uint32_t i = 0; i < p->n_frames; i++) {
		const struct prof_frame *f = &p->frames[i];
		struct {
			uint32_t func, map_file, key, pad;
			int64_t line;
		} k = { map_id(fmap, f->func), map_id(smap, f->map_file), map_id(smap, f->key), 0, f->line };
		if (k.key == PROF_NONE)
			return -1;
		if (intern(w, &w->frames, &w->n_frames, &k, sizeof(k), &frmap[i], &added) < 0)
			return -1;
		if (added) {
			wire_put_uvarint(&nb->fr, k.func == PROF_NONE ? 0 : (uint64_t)k.func + 1);
			wire_put_uvarint(&nb->fr, k.map_file == PROF_NONE ? 0 : (uint64_t)k.map_file + 1);
			wire_put_uvarint(&nb->fr, k.key);
			wire_put_svarint(&nb->fr, k.line);
			nb->nfr++;
		}
	}
	for (uint32_t i = 0; i < p->n_maps; i++) {
		const struct prof_mapping *m = &p->maps[i];
		struct {
			uint64_t start, limit, offset;
			uint32_t file, build_id;
		} k = { m->start, m->limit, m->offset, map_id(smap, m->file), map_id(smap, m->build_id) };
		if (k.file == PROF_NONE || k.build_id == PROF_NONE)
			return -1;
		if (intern(w, &w->maps, &w->n_maps, &k, sizeof(k), &mmap[i], &added) < 0)
			return -1;
		if (added) {
			wire_put_uvarint(&nb->m, k.start);
			wire_put_uvarint(&nb->m, k.limit);
			wire_put_uvarint(&nb->m, k.offset);
			wire_put_uvarint(&nb->m, k.file);
			wire_put_uvarint(&nb->m, k.build_id);
			nb->nm++;
		}
	}
	struct buf key = BUF_INIT;
	for (uint32_t i = 0; i < p->n_locs; i++) {
		const struct prof_loc *l = &p->locs[i];
		uint64_t addr = p->loc_addr ? p->loc_addr[i] : 0;
		uint32_t m = p->loc_map && p->loc_map[i] != PROF_NONE && p->loc_map[i] < p->n_maps ? mmap[p->loc_map[i]]
		                                                                                   : PROF_NONE;
		key.len = 0;
		buf_add(&key, &addr, 8);
		buf_add(&key, &m, 4);
		for (uint32_t j = 0; j < l->n; j++)
			buf_add(&key, &frmap[p->loc_frames[l->off + j]], 4);
		if (key.oom) {
			buf_release(&key);
			return -1;
		}
		if (intern(w, &w->locs, &w->n_locs, key.data, key.len, &lmap[i], &added) < 0) {
			buf_release(&key);
			return -1;
		}
		if (added) {
			wire_put_uvarint(&nb->l, l->n);
			for (uint32_t j = 0; j < l->n; j++)
				wire_put_uvarint(&nb->l, frmap[p->loc_frames[l->off + j]]);
			wire_put_uvarint(&nb->l, addr);
			wire_put_uvarint(&nb->l, m == PROF_NONE ? 0 : (uint64_t)m + 1);
			nb->nl++;
		}
	}
	buf_release(&key);
	nmap[0] = 0;
	for (uint32_t i = 1; i < p->n_nodes; i++) {
		uint32_t par = nmap[p->nodes[i].parent], loc = lmap[p->nodes[i].loc];
		uint64_t k = ((uint64_t)par << 32) | loc;
		int ins = 0;
		uint32_t *v = u64map_put(&w->nodes, k, &ins);
		if (!v)
			return -1;
		if (ins) {
			*v = w->n_nodes++;
			wire_put_uvarint(&nb->n, *v - par);
			wire_put_uvarint(&nb->n, loc);
			nb->nn++;
		}
		nmap[i] = *v;
	}
	return nb->s.oom || nb->f.oom || nb->fr.oom || nb->m.oom || nb->l.oom || nb->n.oom ? -1 : 0;
}

static void put_part(struct buf *b, uint32_t n, const struct buf *part)
{
	wire_put_uvarint(b, n);
	if (part->len)
		buf_add(b, part->data, part->len);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

struct skey {
	uint64_t key;
	uint32_t idx;
};

static int skey_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct skey *)a)->key, y = ((const struct skey *)b)->key;
	return x < y ? -1 : x > y;
}

/* The profile's own part, with the group's string and node ids. */
static int encode_blob(const struct writer *w, uint32_t need, const struct prof *p, const uint32_t *smap,
                       const uint32_t *nmap, struct buf *out)
{
	/* string ids of p's own part that do not name a string: not stored
	 * here (the caller stores p alone) */
	bool ok = p->n_strs > 0 && smap[0] == 0 && p->period_type < p->n_strs && p->period_unit < p->n_strs;
	for (uint32_t i = 0; i < p->n_types && ok; i++)
		ok = p->type_type[i] < p->n_strs && p->type_unit[i] < p->n_strs;
	for (uint32_t i = 0; i < p->n_labels && ok; i++)
		ok = p->labels[i].key < p->n_strs && (p->labels[i].str == PROF_NONE || p->labels[i].str < p->n_strs) &&
		     (p->labels[i].unit == PROF_NONE || p->labels[i].unit < p->n_strs);
	for (uint32_t i = 0; i < p->n_samples && ok; i++)
		ok = p->samples[i].node < p->n_nodes && p->samples[i].labelset < p->n_labelsets;
	if (!ok)
		return -1;
	struct buf b = BUF_INIT;
	size_t gl = strlen(w->grp);
	wire_put_uvarint(&b, gl);
	buf_add(&b, w->grp, gl);
	wire_put_uvarint(&b, need);
	wire_put_uvarint(&b, p->loc_addr ? 1 : 0);
	/* the profile's whole string table (views look up strings that no
	 * entry uses, such as the decoder's "<unknown>"), as the group's ids in
	 * order, each the step from the one before */
	{
		uint32_t *ids = malloc(((size_t)p->n_strs + 1) * sizeof(uint32_t));
		if (!ids) {
			buf_release(&b);
			return -1;
		}
		memcpy(ids, smap, (size_t)p->n_strs * sizeof(uint32_t));
		qsort(ids, p->n_strs, sizeof(uint32_t), u32_cmp);
		wire_put_uvarint(&b, p->n_strs);
		uint32_t prev = 0;
		for (uint32_t i = 0; i < p->n_strs; i++) {
			wire_put_uvarint(&b, i ? ids[i] - prev : ids[i]);
			prev = ids[i];
		}
		free(ids);
	}
	wire_put_uvarint(&b, p->n_types);
	for (uint32_t i = 0; i < p->n_types; i++) {
		wire_put_uvarint(&b, smap[p->type_type[i]]);
		wire_put_uvarint(&b, smap[p->type_unit[i]]);
	}
	wire_put_uvarint(&b, p->default_type);
	wire_put_uvarint(&b, smap[p->period_type]);
	wire_put_uvarint(&b, smap[p->period_unit]);
	wire_put_svarint(&b, p->period);
	wire_put_svarint(&b, p->time_nanos);
	wire_put_svarint(&b, p->duration_nanos);
	wire_put_uvarint(&b, (uint64_t)p->kind);
	wire_put_uvarint(&b, p->orig_samples);
	wire_put_uvarint(&b, p->orig_locations);
	wire_put_uvarint(&b, p->orig_functions);
	wire_put_uvarint(&b, p->n_labels);
	for (uint32_t i = 0; i < p->n_labels; i++) {
		const struct prof_label *l = &p->labels[i];
		wire_put_uvarint(&b, smap[l->key]);
		wire_put_uvarint(&b, l->str == PROF_NONE ? 0 : (uint64_t)smap[l->str] + 1);
		wire_put_uvarint(&b, l->unit == PROF_NONE ? 0 : (uint64_t)smap[l->unit] + 1);
		wire_put_svarint(&b, l->num);
	}
	wire_put_uvarint(&b, p->n_labelsets);
	for (uint32_t i = 0; i < p->n_labelsets; i++) {
		wire_put_uvarint(&b, p->labelsets[i].off);
		wire_put_uvarint(&b, p->labelsets[i].n);
	}
	/* samples: (group node, label set) may repeat where p had two equal
	 * locations; they are summed, in p's order otherwise */
	struct u64map seen;
	if (u64map_init(&seen, p->n_samples) < 0) {
		buf_release(&b);
		return -1;
	}
	uint32_t n_out = 0;
	struct skey *order = NULL;
	int64_t *vals = malloc(((size_t)p->n_samples * p->n_types + 1) * sizeof(int64_t));
	uint32_t *node = malloc(((size_t)p->n_samples + 1) * sizeof(uint32_t));
	uint32_t *ls = malloc(((size_t)p->n_samples + 1) * sizeof(uint32_t));
	int rc = -1;
	if (!vals || !node || !ls)
		goto out;
	for (uint32_t i = 0; i < p->n_samples; i++) {
		uint32_t gn = nmap[p->samples[i].node];
		int ins = 0;
		uint32_t *v = u64map_put(&seen, ((uint64_t)gn << 32) | p->samples[i].labelset, &ins);
		if (!v)
			goto out;
		if (ins) {
			*v = n_out;
			node[n_out] = gn;
			ls[n_out] = p->samples[i].labelset;
			memcpy(&vals[(size_t)n_out * p->n_types], &p->values[(size_t)i * p->n_types],
			       p->n_types * sizeof(int64_t));
			n_out++;
		} else {
			for (uint32_t t = 0; t < p->n_types; t++)
				vals[(size_t)*v * p->n_types + t] += p->values[(size_t)i * p->n_types + t];
		}
	}
	/* a value of type t > 0 is stored as its difference from the first
	 * type's times ratio[t] (cpu nanoseconds = samples x period: 0 then),
	 * ratio[t] taken from the first sample whose first value is not 0 */
	int64_t ratio[64] = { 0 };
	uint32_t nt = p->n_types < 64 ? p->n_types : 0;
	for (uint32_t i = 0; i < n_out && nt; i++) {
		int64_t v0 = vals[(size_t)i * p->n_types];
		if (v0 == 0)
			continue;
		for (uint32_t t = 1; t < nt; t++) {
			int64_t vt = vals[(size_t)i * p->n_types + t];
			if (v0 != -1 && vt % v0 == 0)
				ratio[t] = vt / v0;
		}
		break;
	}
	for (uint32_t t = 1; t < nt; t++)
		wire_put_svarint(&b, ratio[t]);
	/* in (node, label set) order: the nodes are then small steps (the
	 * order of a profile's samples carries no meaning for any view; pprof
	 * sums them) */
	order = malloc(((size_t)n_out + 1) * sizeof(*order));
	if (!order)
		goto out;
	for (uint32_t i = 0; i < n_out; i++)
		order[i] = (struct skey){ ((uint64_t)node[i] << 32) | ls[i], i };
	qsort(order, n_out, sizeof(*order), skey_cmp);
	wire_put_uvarint(&b, n_out);
	uint32_t prev = 0;
	for (uint32_t k = 0; k < n_out; k++) {
		uint32_t i = order[k].idx;
		/* nodes as the step from the sample before */
		wire_put_uvarint(&b, node[i] - prev);
		prev = node[i];
		wire_put_uvarint(&b, ls[i]);
		const int64_t *v = &vals[(size_t)i * p->n_types];
		for (uint32_t t = 0; t < p->n_types; t++)
			wire_put_svarint(&b, t && t < nt ? (int64_t)((uint64_t)v[t] - (uint64_t)v[0] * (uint64_t)ratio[t]) : v[t]);
	}
	if (b.oom)
		goto out;
	rc = deflate_to(&b, out, MAGIC);
out:
	u64map_release(&seen);
	free(order);
	free(vals);
	free(node);
	free(ls);
	buf_release(&b);
	return rc;
}

static uint64_t key_hash(const char *key, size_t n)
{
	return hash_bytes(key, n);
}

/* The writer of key, made if need be, locked and marked busy. */
static struct writer *writer_take(const char *key, size_t key_len)
{
	uint64_t h = key_hash(key, key_len);
	pthread_mutex_lock(&writers_mu);
	struct writer *w = NULL;
	int at = -1;
	for (int i = 0; i < n_writers; i++)
		if (writers[i]->key_hash == h && writers[i]->key_len == key_len && memcmp(writers[i]->key, key, key_len) == 0) {
			w = writers[i];
			at = i;
			break;
		}
	if (w && w->full && !w->busy) {
		/* closed: the next profile starts a new group */
		writers[at] = writers[--n_writers];
		writer_free(w);
		w = NULL;
	}
	if (!w) {
		if (n_writers == WRITERS_MAX) {
			/* out goes the least recently used idle writer */
			int old = -1;
			for (int i = 0; i < n_writers; i++)
				if (!writers[i]->busy && (old < 0 || writers[i]->used < writers[old]->used))
					old = i;
			if (old < 0) {
				pthread_mutex_unlock(&writers_mu);
				return NULL;
			}
			writer_free(writers[old]);
			writers[old] = writers[--n_writers];
		}
		w = writer_new(key, key_len, h);
		if (!w) {
			pthread_mutex_unlock(&writers_mu);
			return NULL;
		}
		writers[n_writers++] = w;
	}
	w->busy++;
	w->used = ++tick;
	pthread_mutex_unlock(&writers_mu);
	pthread_mutex_lock(&w->mu);
	return w;
}

static void writer_give(struct writer *w, bool drop);

/* writer_take, but never a writer that a failed put dropped while this
 * one waited for it. */
static struct writer *writer_take_live(const char *key, size_t key_len)
{
	for (int tries = 0; tries < 8; tries++) {
		struct writer *w = writer_take(key, key_len);
		if (!w || !w->dead)
			return w;
		writer_give(w, false);
	}
	return NULL;
}

/* Let w go; drop it from the table (and free it once nobody else holds
 * it) when it can no longer be trusted. */
static void writer_give(struct writer *w, bool drop)
{
	if (drop)
		w->dead = true;
	bool full = w->n_nodes >= SERIES_GROUP_NODES || w->n_chunks >= SERIES_GROUP_CHUNKS ||
	            w->bytes >= SERIES_GROUP_BYTES;
	pthread_mutex_unlock(&w->mu);
	pthread_mutex_lock(&writers_mu);
	w->full = full;
	w->busy--;
	bool in_table = false;
	for (int i = 0; i < n_writers; i++)
		if (writers[i] == w) {
			in_table = true;
			if (drop) {
				writers[i] = writers[--n_writers];
				in_table = false;
			}
			break;
		}
	bool free_it = !in_table && w->busy == 0;
	pthread_mutex_unlock(&writers_mu);
	if (free_it)
		writer_free(w);
}

int series_put_begin(const char *key, size_t key_len, const struct prof *p, struct series_put *out)
{
	memset(out, 0, sizeof(*out));
	out->seq = UINT32_MAX;
	struct writer *w = writer_take_live(key, key_len);
	if (!w)
		return -1;
	if (w->n_chunks == 0 && w->n_strs == 0) {
		/* string 0 of every group is "" (a profile's string 0) */
		bool added;
		uint32_t id;
		if (intern(w, &w->strs, &w->n_strs, "", 0, &id, &added) < 0) {
			writer_give(w, true);
			return -1;
		}
	}
	size_t nmax = (size_t)p->n_strs + p->n_funcs + p->n_frames + p->n_maps + p->n_locs + p->n_nodes + 6;
	uint32_t *all = malloc(nmax * sizeof(uint32_t));
	struct newbufs nb;
	memset(&nb, 0, sizeof(nb));
	if (w->n_chunks == 0) {
		/* the empty string, interned above, goes into chunk 0 */
		wire_put_uvarint(&nb.s, 0);
		nb.ns = 1;
	}
	struct buf raw = BUF_INIT;
	int rc = -1;
	if (!all)
		goto out;
	uint32_t *smap = all, *fmap = smap + p->n_strs + 1, *frmap = fmap + p->n_funcs + 1,
	         *mmap = frmap + p->n_frames + 1, *lmap = mmap + p->n_maps + 1, *nmap = lmap + p->n_locs + 1;
	if (intern_prof(w, p, &nb, smap, fmap, frmap, mmap, lmap, nmap) < 0)
		goto out;
	bool new_chunk = nb.ns || nb.nf || nb.nfr || nb.nm || nb.nl || nb.nn;
	if (new_chunk) {
		put_part(&raw, nb.ns, &nb.s);
		put_part(&raw, nb.nf, &nb.f);
		put_part(&raw, nb.nfr, &nb.fr);
		put_part(&raw, nb.nm, &nb.m);
		put_part(&raw, nb.nl, &nb.l);
		put_part(&raw, nb.nn, &nb.n);
		if (raw.oom || deflate_to(&raw, &out->chunk, NULL) < 0)
			goto out;
		out->seq = w->n_chunks;
	}
	out->need = w->n_chunks + (new_chunk ? 1 : 0);
	if (out->need == 0)
		goto out;   /* cannot be: chunk 0 always has "" */
	if (encode_blob(w, out->need, p, smap, nmap, &out->blob) < 0)
		goto out;
	snprintf(out->grp, sizeof(out->grp), "%s", w->grp);
	out->w = w;
	rc = 0;
out:
	free(all);
	newbufs_release(&nb);
	buf_release(&raw);
	if (rc < 0) {
		buf_release(&out->chunk);
		buf_release(&out->blob);
		writer_give(w, true);
	}
	return rc;
}

void series_put_end(struct series_put *put, int stored)
{
	struct writer *w = put->w;
	if (w) {
		if (stored == 0) {
			if (put->seq != UINT32_MAX) {
				w->n_chunks = put->seq + 1;
				w->bytes += put->chunk.len;
				STAT(chunks, 1);
				STAT(chunk_bytes, put->chunk.len);
			}
			STAT(puts, 1);
			STAT(blob_bytes, put->blob.len);
		}
		writer_give(w, stored != 0);
	}
	put->w = NULL;
	buf_release(&put->chunk);
	buf_release(&put->blob);
}

/* ---- reading ------------------------------------------------------------------------ */

int series_blob_group(const uint8_t *blob, size_t n, char grp[SERIES_GRP_CAP], uint32_t *need)
{
	if (n < 12 || memcmp(blob, MAGIC, 4) != 0)
		return -1;
	/* the group name is at the start of the inflated part: inflate a
	 * little of it */
	uint8_t head[SERIES_GRP_CAP + 16];
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)blob + 12;
	zs.avail_in = (uInt)(n - 12 > UINT32_MAX ? UINT32_MAX : n - 12);
	zs.next_out = head;
	zs.avail_out = sizeof(head);
	int zr = inflate(&zs, Z_SYNC_FLUSH);
	size_t got = sizeof(head) - zs.avail_out;
	inflateEnd(&zs);
	if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
		return -1;
	struct rd r = { head, head + got, false };
	uint64_t gl = get(&r);
	if (r.bad || gl == 0 || gl >= SERIES_GRP_CAP || gl > (uint64_t)(r.end - r.p))
		return -1;
	memcpy(grp, r.p, gl);
	grp[gl] = '\0';
	r.p += gl;
	*need = (uint32_t)get(&r);
	return r.bad || *need == 0 ? -1 : 0;
}

/* Decoded group prefixes, shared by readers. */
struct dentry {
	char grp[SERIES_GRP_CAP];
	uint32_t n_chunks;
	struct dict d;
	int refs;
	bool gone;     /* replaced or evicted: freed at the last release */
	uint64_t used;
	size_t bytes;
};

static pthread_mutex_t dicts_mu = PTHREAD_MUTEX_INITIALIZER;
static struct dentry *dicts[DICTS_MAX];
static int n_dicts;
static size_t dicts_bytes;
static uint64_t dticks;

static void dentry_free(struct dentry *e)
{
	dict_release(&e->d);
	free(e);
}

static void dict_unref(struct dentry *e)
{
	pthread_mutex_lock(&dicts_mu);
	bool f = --e->refs == 0 && e->gone;
	pthread_mutex_unlock(&dicts_mu);
	if (f)
		dentry_free(e);
}

/* Drop e from the table and the table's reference (dicts_mu held):
 * freed now or at its last reader's release. */
static void dict_drop_locked(int i)
{
	struct dentry *e = dicts[i];
	dicts[i] = dicts[--n_dicts];
	dicts_bytes -= e->bytes;
	e->gone = true;
	if (--e->refs == 0)
		dentry_free(e);
}

struct apply_ctx {
	struct dict *d;
	uint32_t next;
};

static int apply_one(void *ectx, uint32_t seq, const uint8_t *data, size_t len)
{
	struct apply_ctx *a = ectx;
	if (seq != a->next)
		return -1;
	a->next++;
	return dict_apply(a->d, data, len);
}

static int dict_copy(struct dict *dst, const struct dict *s)
{
	memset(dst, 0, sizeof(*dst));
#define CP(f, n, capf)                                                            \
	do {                                                                      \
		if ((n) && GROW(dst->f, dst->capf, (n)) < 0)                      \
			return -1;                                                \
		if (n)                                                            \
			memcpy(dst->f, s->f, (size_t)(n) * sizeof(*s->f));         \
	} while (0)
	CP(str_off, s->n_strs, c_strs);
	if (s->n_strs) {
		dst->str_len = malloc((size_t)dst->c_strs * 4);
		if (!dst->str_len)
			return -1;
		memcpy(dst->str_len, s->str_len, (size_t)s->n_strs * 4);
	}
	CP(funcs, s->n_funcs, c_funcs);
	CP(frames, s->n_frames, c_frames);
	CP(maps, s->n_maps, c_maps);
	CP(locs, s->n_locs, c_locs);
	CP(loc_addr, s->n_locs, c_addr);
	CP(loc_map, s->n_locs, c_lmap);
	CP(loc_frames, s->n_lf, c_lf);
	CP(nodes, s->n_nodes, c_nodes);
#undef CP
	buf_add(&dst->arena, s->arena.data, s->arena.len);
	if (dst->arena.oom)
		return -1;
	dst->n_strs = s->n_strs;
	dst->n_funcs = s->n_funcs;
	dst->n_frames = s->n_frames;
	dst->n_maps = s->n_maps;
	dst->n_locs = s->n_locs;
	dst->n_lf = s->n_lf;
	dst->n_nodes = s->n_nodes;
	return 0;
}

/* The group's prefix of at least need chunks, referenced. */
static struct dentry *dict_get(const char *grp, uint32_t need, series_chunks_fn fn, void *ctx)
{
	pthread_mutex_lock(&dicts_mu);
	struct dentry *have = NULL;
	for (int i = 0; i < n_dicts; i++)
		if (strcmp(dicts[i]->grp, grp) == 0) {
			have = dicts[i];
			break;
		}
	if (have && have->n_chunks >= need) {
		have->refs++;
		have->used = ++dticks;
		pthread_mutex_unlock(&dicts_mu);
		STAT(dict_hits, 1);
		return have;
	}
	if (have)
		have->refs++;
	pthread_mutex_unlock(&dicts_mu);

	struct dentry *e = calloc(1, sizeof(*e));
	if (!e) {
		if (have)
			dict_unref(have);
		return NULL;
	}
	snprintf(e->grp, sizeof(e->grp), "%s", grp);
	int rc = 0;
	uint32_t from = 0;
	if (have) {
		rc = dict_copy(&e->d, &have->d);
		from = have->n_chunks;
		dict_unref(have);
	}
	struct apply_ctx a = { &e->d, from };
	if (rc == 0)
		rc = fn(ctx, grp, from, need, apply_one, &a);
	if (rc < 0 || a.next != need) {
		util_log("level=error msg=\"series group read failed\" grp=%s from=%u need=%u read_to=%u rc=%d", grp, from,
		         need, a.next, rc);
		dentry_free(e);
		return NULL;
	}
	STAT(dict_loads, 1);
	e->n_chunks = need;
	e->bytes = dict_bytes(&e->d);
	e->refs = 1;
	pthread_mutex_lock(&dicts_mu);
	e->used = ++dticks;
	for (int i = 0; i < n_dicts; i++)
		if (strcmp(dicts[i]->grp, grp) == 0) {
			if (dicts[i]->n_chunks >= need) {
				/* another reader got there first: keep the larger */
				struct dentry *o = dicts[i];
				o->refs++;
				pthread_mutex_unlock(&dicts_mu);
				dentry_free(e);   /* never shared: no one else holds it */
				return o;
			}
			dict_drop_locked(i);
			break;
		}
	while (n_dicts > 0 && (n_dicts == DICTS_MAX || dicts_bytes + e->bytes > DICTS_BYTES)) {
		int old = 0;
		for (int i = 1; i < n_dicts; i++)
			if (dicts[i]->used < dicts[old]->used)
				old = i;
		dict_drop_locked(old);
	}
	if (e->bytes <= DICTS_BYTES) {
		dicts[n_dicts++] = e;
		dicts_bytes += e->bytes;
		e->refs++;
	}
	bool mine_only = e->refs == 1;
	if (mine_only)
		e->gone = true;   /* not kept: freed by the caller's release */
	pthread_mutex_unlock(&dicts_mu);
	return e;
}

/* The profile's origin (prof.h) from the renumbering: keep[t][i] is the
 * profile's id + 1 of the group's entry i of table t (0: not used), for
 * gn[t] group entries and pn[t] profile entries. NULL when out of memory. */
static struct prof_origin *origin_make(const char *grp, uint32_t *const keep[PROF_ORIG_N],
                                       const uint32_t gn[PROF_ORIG_N], const uint32_t pn[PROF_ORIG_N])
{
	struct prof_origin *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	snprintf(o->grp, sizeof(o->grp), "%s", grp);
	for (int t = 0; t < PROF_ORIG_N; t++) {
		o->id[t] = malloc(((size_t)pn[t] + 1) * 4);
		if (!o->id[t]) {
			prof_origin_free(o);
			return NULL;
		}
		for (uint32_t i = 0; i < gn[t]; i++)
			if (keep[t][i]) {
				o->id[t][keep[t][i] - 1] = i;
				o->end[t] = i + 1;
			}
	}
	return o;
}

/* Build the profile: the group's entries it uses, renumbered in order. */
struct prof *series_decode(const uint8_t *blob, size_t n, series_chunks_fn fn, void *ctx)
{
	if (n < 12 || memcmp(blob, MAGIC, 4) != 0)
		return NULL;
	uint64_t raw;
	memcpy(&raw, blob + 4, 8);
	uint8_t *in = inflate_all(blob + 12, n - 12, raw);
	if (!in)
		return NULL;
	struct rd r = { in, in + raw, false };
	struct prof *p = NULL;
	struct dentry *e = NULL;
	int bad_at = 0;
	uint32_t *keep_n = NULL, *keep_l = NULL, *keep_fr = NULL, *keep_f = NULL, *keep_m = NULL, *keep_s = NULL;
	char grp[SERIES_GRP_CAP];
	uint64_t gl = get(&r);
	if (r.bad || gl == 0 || gl >= SERIES_GRP_CAP || gl > (uint64_t)(r.end - r.p))
		goto fail;
	memcpy(grp, r.p, gl);
	grp[gl] = '\0';
	r.p += gl;
	uint32_t need = (uint32_t)get(&r);
	uint64_t flags = get(&r);
	if (r.bad || need == 0 || need > SERIES_GROUP_CHUNKS + 1)
		goto fail;
#define CK(c)                        \
	do {                         \
		if (!(c) || r.bad) { \
			bad_at = __LINE__; \
			goto fail;   \
		}                    \
	} while (0)
#define ALLOC(ptr, cnt) CK(((ptr) = calloc((size_t)(cnt) + 1, sizeof(*(ptr)))) != NULL)
	e = dict_get(grp, need, fn, ctx);
	if (!e) {
		util_log("level=error msg=\"series group unreadable\" grp=%s need=%u", grp, need);
		goto fail;
	}
	const struct dict *d = &e->d;
	CK((keep_s = calloc((size_t)d->n_strs + 1, sizeof(*keep_s))) != NULL);
	{
		uint32_t n_own = count(&r);
		uint64_t at = 0;
		for (uint32_t i = 0; i < n_own; i++) {
			uint64_t step = get(&r);
			CK(i == 0 || step > 0);
			at += step;
			CK(at < d->n_strs);
			keep_s[at] = 1;
		}
		CK(n_own > 0 && keep_s[0]);
	}
	p = prof_alloc();
	if (!p)
		goto fail;
	/* every string id below is the group's; renumbered at the end */
	p->n_types = count(&r);
	ALLOC(p->type_type, p->n_types);
	ALLOC(p->type_unit, p->n_types);
	for (uint32_t i = 0; i < p->n_types; i++) {
		p->type_type[i] = (uint32_t)get(&r);
		p->type_unit[i] = (uint32_t)get(&r);
		CK(p->type_type[i] < d->n_strs && p->type_unit[i] < d->n_strs);
	}
	p->default_type = (uint32_t)get(&r);
	CK(p->n_types == 0 ? p->default_type == 0 : p->default_type < p->n_types);
	p->period_type = (uint32_t)get(&r);
	p->period_unit = (uint32_t)get(&r);
	CK(p->period_type < d->n_strs && p->period_unit < d->n_strs);
	p->period = sget(&r);
	p->time_nanos = sget(&r);
	p->duration_nanos = sget(&r);
	uint64_t kind = get(&r);
	CK(kind <= PROF_KIND_BLOCK);
	p->kind = (enum prof_kind)kind;
	p->orig_samples = get(&r);
	p->orig_locations = get(&r);
	p->orig_functions = get(&r);
	p->n_labels = count(&r);
	ALLOC(p->labels, p->n_labels);
	for (uint32_t i = 0; i < p->n_labels; i++) {
		struct prof_label *l = &p->labels[i];
		l->key = (uint32_t)get(&r);
		uint64_t s = get(&r), u = get(&r);
		l->num = sget(&r);
		CK(l->key < d->n_strs && s <= d->n_strs && u <= d->n_strs);
		l->str = s ? (uint32_t)(s - 1) : PROF_NONE;
		l->unit = u ? (uint32_t)(u - 1) : PROF_NONE;
	}
	p->n_labelsets = count(&r);
	ALLOC(p->labelsets, p->n_labelsets);
	for (uint32_t i = 0; i < p->n_labelsets; i++) {
		uint64_t off = get(&r), k = get(&r);
		CK(off <= p->n_labels && k <= p->n_labels - off);
		p->labelsets[i] = (struct prof_labelset){ (uint32_t)off, (uint32_t)k };
	}
	CK(p->n_labelsets > 0);
	int64_t ratio[64] = { 0 };
	uint32_t nt = p->n_types < 64 ? p->n_types : 0;
	for (uint32_t t = 1; t < nt; t++)
		ratio[t] = sget(&r);
	p->n_samples = count(&r);
	ALLOC(p->samples, p->n_samples);
	CK(p->n_types == 0 || p->n_samples <= SIZE_MAX / 8 / p->n_types);
	CK((p->values = calloc((size_t)p->n_samples * p->n_types + 1, sizeof(int64_t))) != NULL);
	/* which nodes the profile uses */
	ALLOC(keep_n, d->n_nodes);
	int64_t prev = 0;
	for (uint32_t i = 0; i < p->n_samples; i++) {
		int64_t delta = (int64_t)get(&r);
		uint64_t ls = get(&r);
		CK(delta >= 0 && delta < (int64_t)d->n_nodes - prev && ls < p->n_labelsets);
		uint32_t nd = (uint32_t)(prev + delta);
		prev = nd;
		p->samples[i] = (struct prof_sample){ nd, (uint32_t)ls };
		keep_n[nd] = 1;
		int64_t *v = &p->values[(size_t)i * p->n_types];
		for (uint32_t t = 0; t < p->n_types; t++) {
			int64_t x = sget(&r);
			v[t] = t && t < nt ? (int64_t)((uint64_t)x + (uint64_t)v[0] * (uint64_t)ratio[t]) : x;
		}
	}
	CK(r.p == r.end);
	keep_n[0] = 1;
	for (uint32_t i = d->n_nodes - 1; i > 0; i--)
		if (keep_n[i])
			keep_n[d->nodes[i].parent] = 1;
	/* locations, frames, functions, mappings, strings used */
	ALLOC(keep_l, d->n_locs);
	ALLOC(keep_fr, d->n_frames);
	ALLOC(keep_f, d->n_funcs);
	ALLOC(keep_m, d->n_maps);
	for (uint32_t i = 1; i < d->n_nodes; i++)
		if (keep_n[i])
			keep_l[d->nodes[i].loc] = 1;
	for (uint32_t i = 0; i < d->n_locs; i++) {
		if (!keep_l[i])
			continue;
		for (uint32_t j = 0; j < d->locs[i].n; j++)
			keep_fr[d->loc_frames[d->locs[i].off + j]] = 1;
		if ((flags & 1) && d->loc_map[i] != PROF_NONE)
			keep_m[d->loc_map[i]] = 1;
	}
	for (uint32_t i = 0; i < d->n_frames; i++) {
		if (!keep_fr[i])
			continue;
		const struct prof_frame *f = &d->frames[i];
		if (f->func != PROF_NONE)
			keep_f[f->func] = 1;
		if (f->map_file != PROF_NONE)
			keep_s[f->map_file] = 1;
		keep_s[f->key] = 1;
	}
	for (uint32_t i = 0; i < d->n_funcs; i++)
		if (keep_f[i]) {
			keep_s[d->funcs[i].name] = 1;
			keep_s[d->funcs[i].sysname] = 1;
			keep_s[d->funcs[i].file] = 1;
		}
	for (uint32_t i = 0; i < d->n_maps; i++)
		if (keep_m[i]) {
			keep_s[d->maps[i].file] = 1;
			keep_s[d->maps[i].build_id] = 1;
		}
	keep_s[0] = 1;
	for (uint32_t i = 0; i < p->n_types; i++)
		keep_s[p->type_type[i]] = keep_s[p->type_unit[i]] = 1;
	keep_s[p->period_type] = keep_s[p->period_unit] = 1;
	for (uint32_t i = 0; i < p->n_labels; i++) {
		keep_s[p->labels[i].key] = 1;
		if (p->labels[i].str != PROF_NONE)
			keep_s[p->labels[i].str] = 1;
		if (p->labels[i].unit != PROF_NONE)
			keep_s[p->labels[i].unit] = 1;
	}
	/* new ids: keep_x[i] becomes i's new id + 1 (0: not kept) */
#define NUMBER(arr, cnt, out)                          \
	do {                                           \
		uint32_t k_ = 0;                       \
		for (uint32_t i_ = 0; i_ < (cnt); i_++) \
			if (arr[i_])                   \
				arr[i_] = ++k_;        \
		out = k_;                              \
	} while (0)
	uint32_t ns, nf, nfr, nm, nl, nn;
	NUMBER(keep_s, d->n_strs, ns);
	NUMBER(keep_f, d->n_funcs, nf);
	NUMBER(keep_fr, d->n_frames, nfr);
	NUMBER(keep_m, d->n_maps, nm);
	NUMBER(keep_l, d->n_locs, nl);
	NUMBER(keep_n, d->n_nodes, nn);
#undef NUMBER
#define S(x) (keep_s[x] - 1)
	/* strings */
	p->n_strs = ns;
	ALLOC(p->str_off, ns);
	ALLOC(p->str_len, ns);
	{
		size_t len = 0;
		for (uint32_t i = 0; i < d->n_strs; i++)
			if (keep_s[i])
				len += (size_t)d->str_len[i] + 1;
		CK((p->arena = malloc(len + 1)) != NULL);
		size_t off = 0;
		for (uint32_t i = 0; i < d->n_strs; i++)
			if (keep_s[i]) {
				uint32_t k = keep_s[i] - 1;
				memcpy(p->arena + off, d->arena.data + d->str_off[i], (size_t)d->str_len[i] + 1);
				p->str_off[k] = (uint32_t)off;
				p->str_len[k] = d->str_len[i];
				off += (size_t)d->str_len[i] + 1;
			}
		p->arena_len = off;
	}
	for (uint32_t i = 0; i < p->n_types; i++) {
		p->type_type[i] = S(p->type_type[i]);
		p->type_unit[i] = S(p->type_unit[i]);
	}
	p->period_type = S(p->period_type);
	p->period_unit = S(p->period_unit);
	for (uint32_t i = 0; i < p->n_labels; i++) {
		struct prof_label *l = &p->labels[i];
		l->key = S(l->key);
		if (l->str != PROF_NONE)
			l->str = S(l->str);
		if (l->unit != PROF_NONE)
			l->unit = S(l->unit);
	}
	p->n_funcs = nf;
	ALLOC(p->funcs, nf);
	for (uint32_t i = 0; i < d->n_funcs; i++)
		if (keep_f[i])
			p->funcs[keep_f[i] - 1] = (struct prof_func){ S(d->funcs[i].name), S(d->funcs[i].sysname),
			                                              S(d->funcs[i].file) };
	p->n_frames = nfr;
	ALLOC(p->frames, nfr);
	for (uint32_t i = 0; i < d->n_frames; i++)
		if (keep_fr[i]) {
			const struct prof_frame *f = &d->frames[i];
			p->frames[keep_fr[i] - 1] = (struct prof_frame){
				f->func == PROF_NONE ? PROF_NONE : keep_f[f->func] - 1,
				f->map_file == PROF_NONE ? PROF_NONE : S(f->map_file), S(f->key), f->line };
		}
	p->n_locs = nl;
	ALLOC(p->locs, nl);
	uint32_t nlf = 0;
	for (uint32_t i = 0; i < d->n_locs; i++)
		if (keep_l[i])
			nlf += d->locs[i].n;
	p->n_loc_frames = nlf;
	ALLOC(p->loc_frames, nlf);
	if (flags & 1) {
		ALLOC(p->loc_addr, nl);
		ALLOC(p->loc_map, nl);
		p->n_maps = nm;
		ALLOC(p->maps, nm);
		for (uint32_t i = 0; i < d->n_maps; i++)
			if (keep_m[i]) {
				struct prof_mapping m = d->maps[i];
				m.file = S(m.file);
				m.build_id = S(m.build_id);
				p->maps[keep_m[i] - 1] = m;
			}
	}
	{
		uint32_t off = 0;
		for (uint32_t i = 0; i < d->n_locs; i++) {
			if (!keep_l[i])
				continue;
			uint32_t k = keep_l[i] - 1;
			p->locs[k] = (struct prof_loc){ off, d->locs[i].n };
			for (uint32_t j = 0; j < d->locs[i].n; j++)
				p->loc_frames[off++] = keep_fr[d->loc_frames[d->locs[i].off + j]] - 1;
			if (flags & 1) {
				p->loc_addr[k] = d->loc_addr[i];
				p->loc_map[k] = d->loc_map[i] == PROF_NONE ? PROF_NONE : keep_m[d->loc_map[i]] - 1;
			}
		}
	}
	p->n_nodes = nn;
	ALLOC(p->nodes, nn);
	for (uint32_t i = 0; i < d->n_nodes; i++)
		if (keep_n[i])
			p->nodes[keep_n[i] - 1] = i == 0 ? (struct prof_node){ 0, PROF_NONE }
			                                 : (struct prof_node){ keep_n[d->nodes[i].parent] - 1,
			                                                       keep_l[d->nodes[i].loc] - 1 };
	for (uint32_t i = 0; i < p->n_samples; i++)
		p->samples[i].node = keep_n[p->samples[i].node] - 1;
	{
		uint32_t *const keep[PROF_ORIG_N] = { keep_s, keep_f, keep_fr, keep_l, keep_n };
		const uint32_t gn[PROF_ORIG_N] = { d->n_strs, d->n_funcs, d->n_frames, d->n_locs, d->n_nodes };
		const uint32_t pn[PROF_ORIG_N] = { ns, nf, nfr, nl, nn };
		CK((p->origin = origin_make(grp, keep, gn, pn)) != NULL);
	}
#undef S
#undef CK
#undef ALLOC
	free(keep_n);
	free(keep_l);
	free(keep_fr);
	free(keep_f);
	free(keep_m);
	free(keep_s);
	dict_unref(e);
	inflate_free(in, raw);
	return p;
fail:
	if (bad_at)
		util_log("level=error msg=\"series blob damaged\" grp=%s check=%d", grp, bad_at);
	free(keep_n);
	free(keep_l);
	free(keep_fr);
	free(keep_f);
	free(keep_m);
	free(keep_s);
	if (e)
		dict_unref(e);
	prof_free(p);
	inflate_free(in, raw);
	return NULL;
}

void series_reset(void)
{
	pthread_mutex_lock(&writers_mu);
	for (int i = n_writers - 1; i >= 0; i--)
		if (!writers[i]->busy) {
			writer_free(writers[i]);
			writers[i] = writers[--n_writers];
		}
	pthread_mutex_unlock(&writers_mu);
	pthread_mutex_lock(&dicts_mu);
	while (n_dicts > 0)
		dict_drop_locked(n_dicts - 1);
	pthread_mutex_unlock(&dicts_mu);
}
