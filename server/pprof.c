/*
 * pprof.c: decode and validate an uploaded pprof profile (see pprof.h).
 *
 * The top-level Profile message is walked field by field by hand, twice:
 * pass 1 reads the string table, mappings, functions, locations and scalar
 * fields; pass 2 reads samples, which can then be checked and turned into
 * trie paths immediately. Small messages (ValueType, Mapping, Function,
 * Location) are unpacked one at a time with the protoc-c generated code and
 * freed at once; Sample and Label, which are most of a large file, are read
 * directly so that no per-sample allocation happens. Peak memory is the
 * inflated bytes plus the compact model.
 *
 * Semantics follow github.com/google/pprof/profile: string_table[0] is "",
 * ids are non-zero and unique, a sample has one value per sample type,
 * labels with str 0 are numeric (dropped when num and unit are 0 as well),
 * drop_frames/keep_frames prune stacks as Profile.RemoveUninteresting does.
 */
#include "pprof.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "budget.h"
#include "buf.h"
#include "hash.h"
#include "limits.h"
#include "profile.pb-c.h"
#include "regex.h"
#include "textdump.h"
#include "util.h"

static void set_err(struct pprof_err *e, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void set_err(struct pprof_err *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* ---- gzip ------------------------------------------------------------ */

int pprof_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
                 size_t *out_len, struct pprof_err *err)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		set_err(err, 500, "internal", "zlib init failed");
		return -1;
	}
	/* The gzip trailer gives the inflated size (mod 2^32) of the last
	 * member: start there, so a good upload is inflated with no regrowth
	 * and no slack. A lying trailer only costs regrowth (or the cap). */
	size_t cap = n * 4 + 4096;
	if (n >= 18) {
		uint32_t isize = (uint32_t)in[n - 4] | (uint32_t)in[n - 3] << 8 | (uint32_t)in[n - 2] << 16 |
		                 (uint32_t)in[n - 1] << 24;
		if (isize > 0)
			cap = (size_t)isize + 1;
	}
	if (cap > max_out + 1)
		cap = max_out + 1;
	uint8_t *o = malloc(cap);
	size_t len = 0;
	int rc = Z_OK;
	if (!o)
		goto oom;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	for (;;) {
		if (len == cap) {
			if (cap > max_out) {
				inflateEnd(&zs);
				free(o);
				set_err(err, 413, "inflated_too_large",
				        "profile inflates to more than %zu bytes", max_out);
				return -1;
			}
			size_t ncap = cap * 2 > max_out + 1 ? max_out + 1 : cap * 2;
			uint8_t *no = realloc(o, ncap);
			if (!no)
				goto oom;
			o = no;
			cap = ncap;
		}
		zs.next_out = o + len;
		zs.avail_out = (uInt)((cap - len) > UINT32_MAX ? UINT32_MAX : cap - len);
		uInt before = zs.avail_out;
		rc = inflate(&zs, Z_NO_FLUSH);
		len += before - zs.avail_out;
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow (as Go's reader allows). */
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			break;
		}
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			inflateEnd(&zs);
			free(o);
			set_err(err, 400, "bad_gzip", "gzip stream is truncated");
			return -1;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			inflateEnd(&zs);
			free(o);
			set_err(err, 400, "bad_gzip", "gzip stream is corrupt: %s",
			        zs.msg ? zs.msg : "inflate error");
			return -1;
		}
	}
	inflateEnd(&zs);
	if (len > max_out) {
		free(o);
		set_err(err, 413, "inflated_too_large", "profile inflates to more than %zu bytes", max_out);
		return -1;
	}
	*out = o;
	*out_len = len;
	return 0;
oom:
	inflateEnd(&zs);
	free(o);
	set_err(err, 500, "internal", "out of memory while inflating");
	return -1;
}

/* ---- format sniffing ------------------------------------------------- */

static bool starts(const uint8_t *d, size_t n, const char *s)
{
	size_t l = strlen(s);
	return n >= l && memcmp(d, s, l) == 0;
}

const char *pprof_sniff_format(const uint8_t *d, size_t n)
{
	/* Skip leading blank lines, as pprof's legacy parsers do. */
	while (n && (*d == ' ' || *d == '\n' || *d == '\r' || *d == '\t')) {
		d++;
		n--;
	}
	if (starts(d, n, "heap profile:") || starts(d, n, "heap_v2/"))
		return "legacy text heap profile";
	if (starts(d, n, "--- contention") || starts(d, n, "--- mutex") ||
	    starts(d, n, "--- delay"))
		return "legacy text contention profile";
	if (starts(d, n, "goroutine profile:"))
		return "goroutine text profile (debug=1)";
	if (starts(d, n, "goroutine ") && n > 10 && d[10] >= '0' && d[10] <= '9')
		return "goroutine dump (debug=2)";
	if (starts(d, n, "--- threadz") || starts(d, n, "--- thread"))
		return "legacy text thread profile";
	if (starts(d, n, "threadcreate profile:"))
		return "legacy text threadcreate profile";
	if (starts(d, n, "--- heapz") || starts(d, n, "--- heap"))
		return "legacy text heap profile";
	if (n >= 16) {
		/* Legacy binary CPU profile: header words 0, 3, 0 (32- or 64-bit). */
		/* Legacy binary CPU profile: header words 0 (count) and 3 (header
		 * length), 64- or 32-bit, either byte order. */
		static const uint8_t le64[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
		static const uint8_t be64[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 };
		static const uint8_t le32[8] = { 0, 0, 0, 0, 3, 0, 0, 0 };
		static const uint8_t be32[8] = { 0, 0, 0, 0, 0, 0, 0, 3 };
		if (!memcmp(d, le64, 16) || !memcmp(d, be64, 16) || !memcmp(d, le32, 8) || !memcmp(d, be32, 8))
			return "legacy binary CPU profile";
	}
	if (n && (*d == '{' || *d == '['))
		return "JSON (not pprof; speedscope/Chrome trace files are not supported)";
	/* Folded/collapsed stacks: printable text, "a;b;c 123" lines. */
	size_t k = n < 4096 ? n : 4096, semis = 0, nl = 0;
	bool text = k > 0;
	for (size_t i = 0; i < k; i++) {
		uint8_t c = d[i];
		if (c == ';')
			semis++;
		else if (c == '\n')
			nl++;
		else if (c < 0x09 || (c > 0x0d && c < 0x20))
			text = false;
	}
	if (text && semis > 0 && nl > 0)
		return "collapsed stacks text (not pprof)";
	if (text && k >= 4 && nl > 0)
		return "plain text (not a pprof profile)";
	return NULL;
}

/* ---- protobuf wire reading ------------------------------------------- */

struct rd {
	const uint8_t *p, *end;
};

struct fld {
	uint32_t num;
	int wt;
	uint64_t v;          /* varint value (wt 0) */
	const uint8_t *data; /* payload (wt 2) */
	size_t len;
};

static int rd_varint(struct rd *r, uint64_t *out)
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

/* Read the next field. Returns 1 with *f set, 0 at end, -1 on wire error. */
static int rd_field(struct rd *r, struct fld *f)
{
	uint64_t key;
	if (r->p >= r->end)
		return 0;
	if (rd_varint(r, &key) < 0)
		return -1;
	f->num = (uint32_t)(key >> 3);
	f->wt = (int)(key & 7);
	if (key >> 3 == 0 || key >> 3 > 536870911)
		return -1;
	switch (f->wt) {
	case 0:
		return rd_varint(r, &f->v) < 0 ? -1 : 1;
	case 1:
		if (r->end - r->p < 8)
			return -1;
		memcpy(&f->v, r->p, 8);
		r->p += 8;
		return 1;
	case 2: {
		uint64_t l;
		if (rd_varint(r, &l) < 0 || l > (uint64_t)(r->end - r->p))
			return -1;
		f->data = r->p;
		f->len = (size_t)l;
		r->p += l;
		return 1;
	}
	case 5:
		if (r->end - r->p < 4)
			return -1;
		f->v = 0;
		memcpy(&f->v, r->p, 4);
		r->p += 4;
		return 1;
	default:
		return -1;
	}
}

/* Calls back for each element of a repeated varint field, packed or not. */
static int each_varint(const struct fld *f, int (*cb)(void *, uint64_t), void *ctx)
{
	if (f->wt == 0)
		return cb(ctx, f->v);
	if (f->wt != 2)
		return -1;
	struct rd r = { f->data, f->data + f->len };
	while (r.p < r.end) {
		uint64_t v;
		if (rd_varint(&r, &v) < 0)
			return -1;
		if (cb(ctx, v) < 0)
			return -1;
	}
	return 0;
}

/* ---- decoder state --------------------------------------------------- */

struct span {
	const uint8_t *p;
	uint32_t len;
};

struct raw_loc {
	uint32_t map;        /* mapping index or PROF_NONE */
	uint32_t frame_off;  /* into dec.lfr: frame ids, outermost first */
	uint32_t nframes;
	bool prune, beneath; /* drop_frames results */
};

/* The trie's child index: open addressing over node ids only (4 bytes a
 * slot); a slot's key is read back from the node itself. A third of the
 * memory of a (key, value) table, which matters for profiles with
 * millions of distinct stack prefixes. */
struct trie_index {
	uint32_t *slots;   /* node id, or UINT32_MAX */
	size_t cap, len;
};

static inline size_t trie_slot(uint32_t parent, uint32_t loc, size_t cap)
{
	uint64_t h = hash_mix64((uint64_t)parent << 32 | loc);
	return (size_t)(((__uint128_t)h * cap) >> 64);
}

static int trie_init(struct trie_index *t, size_t cap)
{
	t->cap = cap < 64 ? 64 : cap;
	t->len = 0;
	t->slots = malloc(t->cap * sizeof(uint32_t));
	if (!t->slots)
		return -1;
	memset(t->slots, 0xff, t->cap * sizeof(uint32_t));
	return 0;
}

/* Node id of child (parent, loc), adding it to nodes when new; PROF_NONE
 * when out of memory. */
static uint32_t trie_child(struct trie_index *t, struct buf *nodes, uint32_t parent, uint32_t loc)
{
	const struct prof_node *nd = (const struct prof_node *)nodes->data;
	if ((t->len + 1) * 4 > t->cap * 3) {
		struct trie_index n;
		if (trie_init(&n, t->cap + t->cap / 2) < 0)
			return PROF_NONE;
		for (size_t i = 0; i < t->cap; i++) {
			uint32_t id = t->slots[i];
			if (id == UINT32_MAX)
				continue;
			size_t j = trie_slot(nd[id].parent, nd[id].loc, n.cap);
			while (n.slots[j] != UINT32_MAX)
				j = j + 1 == n.cap ? 0 : j + 1;
			n.slots[j] = id;
		}
		n.len = t->len;
		free(t->slots);
		*t = n;
	}
	size_t j = trie_slot(parent, loc, t->cap);
	for (;;) {
		uint32_t id = t->slots[j];
		if (id == UINT32_MAX)
			break;
		if (nd[id].parent == parent && nd[id].loc == loc)
			return id;
		j = j + 1 == t->cap ? 0 : j + 1;
	}
	struct prof_node pn = { parent, loc };
	uint32_t id = (uint32_t)(nodes->len / sizeof(pn));
	buf_add(nodes, &pn, sizeof(pn));
	if (nodes->oom)
		return PROF_NONE;
	t->slots[j] = id;
	t->len++;
	return id;
}

struct dec {
	struct pprof_err *err;
	/* strings of the file */
	struct span *strs;
	uint32_t n_strs, cap_strs;
	/* output */
	struct prof *p;
	struct strmap smap;     /* file strings -> output string ids */
	uint32_t *str_out;      /* file string index -> output id (or PROF_NONE) */
	struct buf arena;
	struct buf offs, lens;
	/* mappings and functions */
	struct u64map map_ids, fn_ids, loc_ids;
	/* frames */
	struct u64map frame_ids; /* hash(func,line,map) -> frame id */
	struct buf frames;       /* struct prof_frame */
	struct raw_loc *locs;
	uint32_t n_locs;
	struct buf lfr;          /* uint32 frame ids */
	/* trie & samples */
	struct trie_index trie;   /* (parent, location) -> node */
	uint32_t *loc_dense;      /* location id -> index, when ids are dense */
	uint64_t loc_dense_n;
	struct buf nodes;        /* struct prof_node */
	struct u64map sample_ids;
	struct buf samples;      /* struct prof_sample */
	struct buf values;       /* int64 */
	int64_t *totals;         /* per type, overflow check */
	/* labelsets */
	struct u64map ls_ids;
	struct buf labels;       /* struct prof_label */
	struct buf lsets;        /* struct prof_labelset */
	/* drop_frames */
	struct rx drop_re, keep_re;  /* compiled when drop_idx / keep_idx != 0 */
	int64_t drop_idx, keep_idx;
	uint64_t n_samples_in;
	struct buf lits;         /* char* copies of literal strings (map keys) */
};

#define FAIL(d, st, code, ...) do { set_err((d)->err, st, code, __VA_ARGS__); return -1; } while (0)

/* Output string id for file string index i (interning on first use). */
static uint32_t out_str(struct dec *d, uint64_t i)
{
	if (d->str_out[i] != PROF_NONE)
		return d->str_out[i];
	int ins;
	uint32_t next = (uint32_t)(d->offs.len / 4);
	uint32_t id = strmap_intern(&d->smap, (const char *)d->strs[i].p, d->strs[i].len, next, &ins);
	if (id == UINT32_MAX)
		return PROF_NONE;
	if (ins) {
		uint32_t off = (uint32_t)d->arena.len, len = d->strs[i].len;
		buf_add(&d->arena, d->strs[i].p, len);
		buf_addc(&d->arena, '\0');
		buf_add(&d->offs, &off, 4);
		buf_add(&d->lens, &len, 4);
	}
	d->str_out[i] = id;
	return id;
}

/* Output string id for a literal (not from the file). */
static uint32_t out_lit(struct dec *d, const char *s, size_t len)
{
	/* Literals are copied into the arena first so the map can point at
	 * stable memory... the arena moves on growth, so keep a private copy. */
	char *copy = malloc(len + 1);
	if (!copy)
		return PROF_NONE;
	memcpy(copy, s, len);
	copy[len] = '\0';
	int ins;
	uint32_t next = (uint32_t)(d->offs.len / 4);
	uint32_t id = strmap_intern(&d->smap, copy, (uint32_t)len, next, &ins);
	if (ins && id != UINT32_MAX) {
		uint32_t off = (uint32_t)d->arena.len, l32 = (uint32_t)len;
		buf_add(&d->arena, s, len);
		buf_addc(&d->arena, '\0');
		buf_add(&d->offs, &off, 4);
		buf_add(&d->lens, &l32, 4);
		buf_add(&d->lits, &copy, sizeof(copy)); /* the map's key; freed at the end */
		return id;
	}
	free(copy);
	return id == UINT32_MAX ? PROF_NONE : id;
}

static int check_str(struct dec *d, int64_t idx, const char *what)
{
	if (idx < 0 || (uint64_t)idx >= d->n_strs)
		FAIL(d, 400, "bad_profile", "%s string index %lld out of range (string table has %u entries)",
		     what, (long long)idx, d->n_strs);
	return 0;
}

/* ---- pass 1 ------------------------------------------------------------ */

static int add_string(struct dec *d, const struct fld *f)
{
	if (f->wt != 2)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (string table field has wire type %d)", f->wt);
	if (d->n_strs >= FDX_MAX_STRINGS)
		FAIL(d, 413, "too_many_strings", "more than %u strings", FDX_MAX_STRINGS);
	if (d->n_strs == d->cap_strs) {
		uint32_t nc = d->cap_strs ? d->cap_strs * 2 : 1024;
		struct span *ns = realloc(d->strs, nc * sizeof(*ns));
		if (!ns)
			FAIL(d, 500, "internal", "out of memory");
		d->strs = ns;
		d->cap_strs = nc;
	}
	if (f->len > UINT32_MAX / 2)
		FAIL(d, 400, "bad_profile", "string too long");
	d->strs[d->n_strs].p = f->data;
	d->strs[d->n_strs].len = (uint32_t)f->len;
	d->n_strs++;
	return 0;
}

/* pprof's simplifyFunc: drop a leading '.', cut at the first '(' that is
 * not part of "(anonymous namespace)" or "operator()". */
static size_t simplify_func(const char *s, size_t n, const char **out)
{
	if (n && s[0] == '.') {
		s++;
		n--;
	}
	*out = s;
	static const char an[] = "(anonymous namespace)", op[] = "operator()";
	for (size_t i = 0; i < n; i++) {
		if (n - i >= sizeof(an) - 1 && memcmp(s + i, an, sizeof(an) - 1) == 0) {
			i += sizeof(an) - 2;
			continue;
		}
		if (n - i >= sizeof(op) - 1 && memcmp(s + i, op, sizeof(op) - 1) == 0) {
			i += sizeof(op) - 2;
			continue;
		}
		if (s[i] == '(')
			return i;
	}
	return n;
}

/* drop_frames / keep_frames string idx as a whole-name regex. */
static int compile_frames_re(struct dec *d, int64_t idx, struct rx *re)
{
	char err[128];
	return rx_compile(re, (const char *)d->strs[idx].p, d->strs[idx].len, RX_FULL, err, sizeof(err));
}

static int read_function(struct dec *d, const struct fld *f, struct buf *funcs)
{
	Perftools__Profiles__Function *m =
		perftools__profiles__function__unpack(NULL, f->len, f->data);
	if (!m)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable function)");
	int rc = -1;
	if (m->id == 0) {
		set_err(d->err, 400, "bad_profile", "function with reserved id 0");
		goto out;
	}
	if (check_str(d, m->name, "function name") < 0 ||
	    check_str(d, m->system_name, "function system_name") < 0 ||
	    check_str(d, m->filename, "function filename") < 0)
		goto out;
	if (funcs->len / sizeof(struct prof_func) >= FDX_MAX_FUNCTIONS) {
		set_err(d->err, 413, "too_many_functions", "more than %u functions", FDX_MAX_FUNCTIONS);
		goto out;
	}
	int ins;
	uint32_t *slot = u64map_put(&d->fn_ids, m->id, &ins);
	if (!slot) {
		set_err(d->err, 500, "internal", "out of memory");
		goto out;
	}
	if (!ins) {
		set_err(d->err, 400, "bad_profile", "duplicate function id %llu", (unsigned long long)m->id);
		goto out;
	}
	*slot = (uint32_t)(funcs->len / sizeof(struct prof_func));
	struct prof_func pf = {
		.name = out_str(d, (uint64_t)m->name),
		.sysname = out_str(d, (uint64_t)m->system_name),
		.file = out_str(d, (uint64_t)m->filename),
	};
	buf_add(funcs, &pf, sizeof(pf));
	rc = 0;
out:
	perftools__profiles__function__free_unpacked(m, NULL);
	return rc;
}

static int read_mapping(struct dec *d, const struct fld *f, struct buf *maps)
{
	Perftools__Profiles__Mapping *m = perftools__profiles__mapping__unpack(NULL, f->len, f->data);
	if (!m)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable mapping)");
	int rc = -1;
	if (m->id == 0) {
		set_err(d->err, 400, "bad_profile", "mapping with reserved id 0");
		goto out;
	}
	if (check_str(d, m->filename, "mapping filename") < 0 ||
	    check_str(d, m->build_id, "mapping build_id") < 0)
		goto out;
	if (maps->len / 4 >= FDX_MAX_MAPPINGS) {
		set_err(d->err, 413, "too_many_mappings", "more than %u mappings", FDX_MAX_MAPPINGS);
		goto out;
	}
	int ins;
	uint32_t *slot = u64map_put(&d->map_ids, m->id, &ins);
	if (!slot) {
		set_err(d->err, 500, "internal", "out of memory");
		goto out;
	}
	if (!ins) {
		set_err(d->err, 400, "bad_profile", "duplicate mapping id %llu", (unsigned long long)m->id);
		goto out;
	}
	*slot = (uint32_t)(maps->len / 4);
	uint32_t file = out_str(d, (uint64_t)m->filename);
	buf_add(maps, &file, 4);
	rc = 0;
out:
	perftools__profiles__mapping__free_unpacked(m, NULL);
	return rc;
}

/* Printed name of a frame at function granularity (pprof NodeInfo). */
static uint32_t frame_key(struct dec *d, uint32_t func_name, uint32_t map_file)
{
	if (func_name != PROF_NONE && d->lens.len && ((uint32_t *)d->lens.data)[func_name] > 0)
		return func_name;
	if (map_file != PROF_NONE && ((uint32_t *)d->lens.data)[map_file] > 0) {
		const char *s = d->arena.data + ((uint32_t *)d->offs.data)[map_file];
		size_t n = ((uint32_t *)d->lens.data)[map_file];
		while (n > 1 && s[n - 1] == '/')
			n--;
		size_t b = n;
		while (b > 0 && s[b - 1] != '/')
			b--;
		char tmp[4096];
		size_t bl = n - b;
		if (bl > sizeof(tmp) - 3)
			bl = sizeof(tmp) - 3;
		tmp[0] = '[';
		memcpy(tmp + 1, s + b, bl);
		if (bl == 0 && n == 1 && s[0] == '/') {
			tmp[1] = '/';
			bl = 1;
		}
		tmp[bl + 1] = ']';
		return out_lit(d, tmp, bl + 2);
	}
	return out_lit(d, "<unknown>", 9);
}

static uint32_t intern_frame(struct dec *d, uint32_t func, int64_t line, uint32_t map_file,
                             const struct prof_func *funcs)
{
	uint64_t h = hash_mix64(((uint64_t)func << 32 | map_file) ^ hash_mix64((uint64_t)line));
	for (;; h++) {
		if (h == UINT64_MAX)
			h = 0;
		int ins;
		uint32_t *slot = u64map_put(&d->frame_ids, h, &ins);
		if (!slot)
			return PROF_NONE;
		if (!ins) {
			struct prof_frame *fr = (struct prof_frame *)d->frames.data + *slot;
			if (fr->func == func && fr->line == line && fr->map_file == map_file)
				return *slot;
			continue; /* hash collision: probe the next key */
		}
		struct prof_frame fr = {
			.func = func,
			.map_file = map_file,
			.line = line,
			.key = frame_key(d, func == PROF_NONE ? PROF_NONE : funcs[func].name, map_file),
		};
		*slot = (uint32_t)(d->frames.len / sizeof(fr));
		buf_add(&d->frames, &fr, sizeof(fr));
		return *slot;
	}
}

static int read_location(struct dec *d, const struct fld *f, const uint32_t *maps,
                         const struct prof_func *funcs)
{
	Perftools__Profiles__Location *m = perftools__profiles__location__unpack(NULL, f->len, f->data);
	if (!m)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable location)");
	int rc = -1;
	struct raw_loc rl = { .map = PROF_NONE };
	if (m->id == 0) {
		set_err(d->err, 400, "bad_profile", "location with reserved id 0");
		goto out;
	}
	if (d->n_locs >= FDX_MAX_LOCATIONS) {
		set_err(d->err, 413, "too_many_locations", "more than %u locations", FDX_MAX_LOCATIONS);
		goto out;
	}
	if (m->n_line > FDX_MAX_LINES_PER_LOCATION) {
		set_err(d->err, 413, "too_deep", "location %llu has %zu inline frames (limit %u)",
		        (unsigned long long)m->id, m->n_line, FDX_MAX_LINES_PER_LOCATION);
		goto out;
	}
	uint32_t map_file = PROF_NONE;
	if (m->mapping_id) {
		uint32_t *mi = u64map_get(&d->map_ids, m->mapping_id);
		if (!mi) {
			set_err(d->err, 400, "bad_profile", "location %llu refers to unknown mapping id %llu",
			        (unsigned long long)m->id, (unsigned long long)m->mapping_id);
			goto out;
		}
		rl.map = *mi;
		map_file = maps[*mi];
	}
	int ins;
	uint32_t *slot = u64map_put(&d->loc_ids, m->id, &ins);
	if (!slot) {
		set_err(d->err, 500, "internal", "out of memory");
		goto out;
	}
	if (!ins) {
		set_err(d->err, 400, "bad_profile", "duplicate location id %llu", (unsigned long long)m->id);
		goto out;
	}
	*slot = d->n_locs;
	/* Resolve lines; pprof lists them innermost first. */
	uint32_t fidx[FDX_MAX_LINES_PER_LOCATION];
	for (size_t i = 0; i < m->n_line; i++) {
		uint32_t *fi = m->line[i]->function_id ? u64map_get(&d->fn_ids, m->line[i]->function_id) : NULL;
		if (!fi) {
			set_err(d->err, 400, "bad_profile", "location %llu refers to unknown function id %llu",
			        (unsigned long long)m->id, (unsigned long long)m->line[i]->function_id);
			goto out;
		}
		fidx[i] = *fi;
	}
	/* drop_frames: find the outermost line whose simplified function name
	 * matches drop (and not keep), as Profile.Prune does. */
	size_t nline = m->n_line;
	size_t first_kept = 0; /* lines [0, first_kept) are dropped (drop_frames) */
	if (d->drop_idx) {
		size_t i;
		for (i = nline; i-- > 0;) {
			const struct prof_func *fn = &funcs[fidx[i]];
			uint32_t nl = ((uint32_t *)d->lens.data)[fn->name];
			if (nl == 0)
				continue;
			const char *name = d->arena.data + ((uint32_t *)d->offs.data)[fn->name];
			const char *sn;
			size_t sl = simplify_func(name, nl, &sn);
			if (rx_match(&d->drop_re, sn, sl) && (!d->keep_idx || !rx_match(&d->keep_re, sn, sl)))
				break;
		}
		if (i != (size_t)-1) {
			rl.beneath = true;
			if (i == nline - 1)
				rl.prune = true;
			else
				first_kept = i + 1;
		}
	}
	rl.frame_off = (uint32_t)(d->lfr.len / 4);
	if (nline == 0) {
		uint32_t fr = intern_frame(d, PROF_NONE, 0, map_file, funcs);
		if (fr == PROF_NONE) {
			set_err(d->err, 500, "internal", "out of memory");
			goto out;
		}
		buf_add(&d->lfr, &fr, 4);
		rl.nframes = 1;
	} else {
		for (size_t i = nline; i-- > first_kept;) {
			uint32_t fr = intern_frame(d, fidx[i], m->line[i]->line, map_file, funcs);
			if (fr == PROF_NONE) {
				set_err(d->err, 500, "internal", "out of memory");
				goto out;
			}
			buf_add(&d->lfr, &fr, 4);
		}
		rl.nframes = (uint32_t)(nline - first_kept);
	}
	d->locs[d->n_locs++] = rl;
	rc = 0;
out:
	perftools__profiles__location__free_unpacked(m, NULL);
	return rc;
}

static int read_value_type(struct dec *d, const struct fld *f, uint32_t *type, uint32_t *unit)
{
	if (f->wt != 2)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (bad value type field)");
	Perftools__Profiles__ValueType *m = perftools__profiles__value_type__unpack(NULL, f->len, f->data);
	if (!m)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable value type)");
	int rc = -1;
	if (check_str(d, m->type, "sample type") == 0 && check_str(d, m->unit, "sample unit") == 0) {
		*type = out_str(d, (uint64_t)m->type);
		*unit = out_str(d, (uint64_t)m->unit);
		rc = 0;
	}
	perftools__profiles__value_type__free_unpacked(m, NULL);
	return rc;
}

/* ---- pass 2: samples ---------------------------------------------------- */

struct sample_ctx {
	struct dec *d;
	uint32_t locs[FDX_MAX_STACK_DEPTH];
	uint32_t nlocs;
	int64_t vals[FDX_MAX_SAMPLE_TYPES];
	uint32_t nvals;
	struct prof_label lab[FDX_MAX_LABELS_PER_SAMPLE];
	uint32_t nlab;
	bool overflow;
};

static int cb_loc(void *c, uint64_t id)
{
	struct sample_ctx *s = c;
	if (s->nlocs >= FDX_MAX_STACK_DEPTH) {
		s->overflow = true;
		return -1;
	}
	uint32_t *li = NULL;
	if (s->d->loc_dense)
		li = id < s->d->loc_dense_n && s->d->loc_dense[id] != PROF_NONE ? &s->d->loc_dense[id] : NULL;
	else if (id)
		li = u64map_get(&s->d->loc_ids, id);
	if (!li) {
		set_err(s->d->err, 400, "bad_profile", "sample refers to unknown location id %llu",
		        (unsigned long long)id);
		return -1;
	}
	s->locs[s->nlocs++] = *li;
	return 0;
}

static int cb_val(void *c, uint64_t v)
{
	struct sample_ctx *s = c;
	if (s->nvals >= FDX_MAX_SAMPLE_TYPES) {
		s->overflow = true;
		return -1;
	}
	s->vals[s->nvals++] = (int64_t)v;
	return 0;
}

static int read_label(struct dec *d, struct sample_ctx *s, const struct fld *f)
{
	if (f->wt != 2)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (bad label field)");
	struct rd r = { f->data, f->data + f->len };
	struct fld g;
	int64_t key = 0, str = 0, num = 0, unit = 0;
	int rc;
	while ((rc = rd_field(&r, &g)) > 0) {
		if (g.wt != 0)
			continue;
		switch (g.num) {
		case 1: key = (int64_t)g.v; break;
		case 2: str = (int64_t)g.v; break;
		case 3: num = (int64_t)g.v; break;
		case 4: unit = (int64_t)g.v; break;
		default: break;
		}
	}
	if (rc < 0)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable label)");
	if (check_str(d, key, "label key") < 0 || check_str(d, str, "label value") < 0 ||
	    check_str(d, unit, "label unit") < 0)
		return -1;
	if (str == 0 && num == 0 && unit == 0)
		return 0; /* pprof drops such labels */
	if (s->nlab >= FDX_MAX_LABELS_PER_SAMPLE)
		FAIL(d, 413, "too_many_labels", "sample has more than %u labels", FDX_MAX_LABELS_PER_SAMPLE);
	struct prof_label *l = &s->lab[s->nlab++];
	l->key = out_str(d, (uint64_t)key);
	if (str != 0) {
		l->str = out_str(d, (uint64_t)str);
		l->num = 0;
		l->unit = PROF_NONE;
	} else {
		l->str = PROF_NONE;
		l->num = num;
		l->unit = unit ? out_str(d, (uint64_t)unit) : PROF_NONE;
	}
	return 0;
}

static int cmp_label(const void *a, const void *b)
{
	const struct prof_label *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->str != y->str)
		return x->str < y->str ? -1 : 1;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	return 0;
}

static uint32_t intern_labelset(struct dec *d, struct prof_label *lab, uint32_t n)
{
	if (n == 0)
		return 0;
	qsort(lab, n, sizeof(*lab), cmp_label);
	uint64_t h = hash_bytes(lab, n * sizeof(*lab));
	for (;; h++) {
		if (h == UINT64_MAX)
			h = 0;
		int ins;
		uint32_t *slot = u64map_put(&d->ls_ids, h, &ins);
		if (!slot)
			return PROF_NONE;
		if (!ins) {
			struct prof_labelset *ls = (struct prof_labelset *)d->lsets.data + *slot;
			if (ls->n == n && memcmp((struct prof_label *)d->labels.data + ls->off, lab,
			                         n * sizeof(*lab)) == 0)
				return *slot;
			continue;
		}
		struct prof_labelset ls = { (uint32_t)(d->labels.len / sizeof(*lab)), n };
		buf_add(&d->labels, lab, n * sizeof(*lab));
		*slot = (uint32_t)(d->lsets.len / sizeof(ls));
		buf_add(&d->lsets, &ls, sizeof(ls));
		return *slot;
	}
}

static int read_sample(struct dec *d, struct sample_ctx *s, const struct fld *f, uint32_t n_types)
{
	if (f->wt != 2)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (bad sample field)");
	if (++d->n_samples_in > FDX_MAX_SAMPLES)
		FAIL(d, 413, "too_many_samples", "more than %u samples", FDX_MAX_SAMPLES);
	s->nlocs = s->nvals = s->nlab = 0;
	s->overflow = false;
	struct rd r = { f->data, f->data + f->len };
	struct fld g;
	int rc;
	while ((rc = rd_field(&r, &g)) > 0) {
		int e = 0;
		if (g.num == 1)
			e = each_varint(&g, cb_loc, s);
		else if (g.num == 2)
			e = each_varint(&g, cb_val, s);
		else if (g.num == 3)
			e = read_label(d, s, &g);
		if (e < 0) {
			if (s->overflow)
				FAIL(d, 413, "too_deep", "sample has more than %u locations or %u values",
				     FDX_MAX_STACK_DEPTH, FDX_MAX_SAMPLE_TYPES);
			if (!d->err->code)
				set_err(d->err, 415, "unsupported_format", "not a pprof profile (undecodable sample)");
			return -1;
		}
	}
	if (rc < 0)
		FAIL(d, 415, "unsupported_format", "not a pprof profile (undecodable sample)");
	if (s->nvals != n_types)
		FAIL(d, 400, "bad_profile", "sample has %u values but the profile has %u sample types",
		     s->nvals, n_types);
	/* Negative values are legal pprof (diff profiles written by
	 * pprof -diff_base -proto carry them); values whose absolute sum does
	 * not fit 63 bits are not, since no view could add them up. */
	for (uint32_t i = 0; i < n_types; i++) {
		int64_t v = s->vals[i];
		if (v == INT64_MIN || !util_add_ok(&d->totals[i], v < 0 ? -v : v))
			FAIL(d, 400, "bad_profile", "sample values are absurd: their sum overflows 64 bits");
	}
	/* drop_frames truncation: scan from the root (last) to the leaf. */
	uint32_t lo = 0; /* locations kept: [lo, nlocs) */
	if (d->drop_idx) {
		bool found_user = false;
		for (uint32_t i = s->nlocs; i-- > 0;) {
			const struct raw_loc *rl = &d->locs[s->locs[i]];
			if (!rl->prune && !rl->beneath) {
				found_user = true;
				continue;
			}
			if (!found_user)
				continue;
			lo = rl->prune ? i + 1 : i;
			break;
		}
	}
	uint32_t node = 0;
	for (uint32_t i = s->nlocs; i-- > lo;) {
		node = trie_child(&d->trie, &d->nodes, node, s->locs[i]);
		if (node == PROF_NONE)
			FAIL(d, 500, "internal", "out of memory");
	}
	uint32_t ls = intern_labelset(d, s->lab, s->nlab);
	if (ls == PROF_NONE)
		FAIL(d, 500, "internal", "out of memory");
	/* Samples with the same stack and labels are summed, as pprof's Merge
	 * does on load (so with mixed signs, totals agree with pprof too). */
	int ins;
	uint32_t *slot = u64map_put(&d->sample_ids, (uint64_t)node << 32 | ls, &ins);
	if (!slot)
		FAIL(d, 500, "internal", "out of memory");
	if (ins) {
		struct prof_sample ps = { node, ls };
		*slot = (uint32_t)(d->samples.len / sizeof(ps));
		buf_add(&d->samples, &ps, sizeof(ps));
		buf_add(&d->values, s->vals, n_types * sizeof(int64_t));
	} else {
		int64_t *v = (int64_t *)d->values.data + (size_t)*slot * n_types;
		for (uint32_t i = 0; i < n_types; i++)
			v[i] += s->vals[i]; /* cannot overflow: absolute totals were checked */
	}
	return 0;
}

/* ---- kind ------------------------------------------------------------- */

static bool type_is(const struct prof *p, uint32_t i, const char *t)
{
	return strcmp(prof_str(p, p->type_type[i]), t) == 0;
}

static enum prof_kind detect_kind(const struct prof *p)
{
	bool contention = false;
	for (uint32_t i = 0; i < p->n_types; i++) {
		if (type_is(p, i, "goroutine") || type_is(p, i, "goroutines") || type_is(p, i, "goroutineleak"))
			return PROF_KIND_GOROUTINE;
		if (type_is(p, i, "inuse_space") || type_is(p, i, "alloc_space") ||
		    type_is(p, i, "inuse_objects") || type_is(p, i, "alloc_objects") ||
		    type_is(p, i, "space") || type_is(p, i, "objects"))
			return PROF_KIND_HEAP;
		if (type_is(p, i, "cpu") || strcmp(prof_str(p, p->period_type), "cpu") == 0)
			return PROF_KIND_CPU;
		if (type_is(p, i, "contentions") || type_is(p, i, "delay"))
			contention = true;
	}
	if (!contention)
		return PROF_KIND_OTHER;
	/* Go writes mutex and block profiles with the same sample types; a
	 * mutex profile's stacks end in the unlock that released the waiters. */
	for (uint32_t s = 0; s < p->n_samples; s++) {
		uint32_t n = p->samples[s].node;
		if (n == 0)
			continue;
		const struct prof_loc *l = &p->locs[p->nodes[n].loc];
		const struct prof_frame *fr = &p->frames[p->loc_frames[l->off + l->n - 1]];
		const char *name = prof_str(p, fr->key);
		if (strstr(name, "Unlock") || strcmp(name, "runtime.unlock") == 0)
			return PROF_KIND_MUTEX;
	}
	return PROF_KIND_BLOCK;
}

/* ---- driver ----------------------------------------------------------- */

static void dec_release(struct dec *d)
{
	free(d->strs);
	free(d->str_out);
	for (size_t i = 0; i < d->lits.len / sizeof(char *); i++)
		free(((char **)d->lits.data)[i]);
	buf_release(&d->lits);
	strmap_release(&d->smap);
	buf_release(&d->arena);
	buf_release(&d->offs);
	buf_release(&d->lens);
	u64map_release(&d->map_ids);
	u64map_release(&d->fn_ids);
	u64map_release(&d->loc_ids);
	u64map_release(&d->frame_ids);
	free(d->trie.slots);
	free(d->loc_dense);
	u64map_release(&d->sample_ids);
	u64map_release(&d->ls_ids);
	buf_release(&d->frames);
	buf_release(&d->lfr);
	buf_release(&d->nodes);
	buf_release(&d->samples);
	buf_release(&d->values);
	buf_release(&d->labels);
	buf_release(&d->lsets);
	free(d->locs);
	free(d->totals);
	rx_release(&d->drop_re);
	rx_release(&d->keep_re);
}

static void *take(struct buf *b, uint32_t *count, size_t elem)
{
	*count = (uint32_t)(b->len / elem);
	if (b->len == 0) {
		buf_release(b);
		return calloc(1, elem);
	}
	return buf_detach(b, NULL);
}

struct prof *pprof_decode_proto(const uint8_t *data, size_t n, struct pprof_err *err)
{
	struct dec D;
	struct dec *d = &D;
	memset(d, 0, sizeof(*d));
	d->err = err;
	struct prof *p = prof_alloc();
	struct buf funcs = BUF_INIT, maps = BUF_INIT, types = BUF_INIT;
	int64_t period_type_t = 0, period_type_u = 0;
	bool have_period_type = false, have_strings = false;
	if (!p)
		goto oom;

	/* Pass 0: strings and counts. */
	struct rd r = { data, data + n };
	struct fld f;
	int rc;
	uint64_t n_loc_fields = 0;
	while ((rc = rd_field(&r, &f)) > 0) {
		if (f.num == 6) {
			have_strings = true;
			if (add_string(d, &f) < 0)
				goto fail;
		} else if (f.num == 4) {
			n_loc_fields++;
		} else if (f.num >= 1 && f.num <= 6 && f.wt != 2) {
			set_err(err, 415, "unsupported_format", "not a pprof profile (field %u has wire type %d)", f.num, f.wt);
			goto fail;
		} else if (f.num >= 7 && f.num <= 15 && f.num != 11 && f.num != 13 && f.wt != 0) {
			set_err(err, 415, "unsupported_format", "not a pprof profile (field %u has wire type %d)", f.num, f.wt);
			goto fail;
		}
	}
	if (rc < 0) {
		set_err(err, 415, "unsupported_format", "not a pprof profile (protobuf decoding failed)");
		goto fail;
	}
	if (!have_strings) {
		set_err(err, 415, "unsupported_format", "not a pprof profile (no string table)");
		goto fail;
	}
	if (d->strs[0].len != 0) {
		set_err(err, 400, "bad_profile", "string_table[0] must be the empty string");
		goto fail;
	}
	if (n_loc_fields > FDX_MAX_LOCATIONS) {
		set_err(err, 413, "too_many_locations", "more than %u locations", FDX_MAX_LOCATIONS);
		goto fail;
	}
	d->str_out = malloc(d->n_strs * sizeof(uint32_t));
	d->locs = malloc((n_loc_fields + 1) * sizeof(*d->locs));
	if (!d->str_out || !d->locs)
		goto oom;
	memset(d->str_out, 0xff, d->n_strs * sizeof(uint32_t));
	if (strmap_init(&d->smap, d->n_strs / 2 + 16) < 0 || u64map_init(&d->map_ids, 16) < 0 ||
	    u64map_init(&d->fn_ids, 1024) < 0 || u64map_init(&d->loc_ids, n_loc_fields) < 0 ||
	    u64map_init(&d->frame_ids, n_loc_fields) < 0 || trie_init(&d->trie, n_loc_fields * 4) < 0 ||
	    u64map_init(&d->sample_ids, 1024) < 0 || u64map_init(&d->ls_ids, 64) < 0)
		goto oom;
	out_str(d, 0); /* output string 0 is "" too */

	/* Pass 1a: scalars, sample types, mappings, functions. */
	r.p = data;
	int64_t default_type_idx = 0;
	while ((rc = rd_field(&r, &f)) > 0) {
		switch (f.num) {
		case 1: {
			uint32_t tu[2];
			if (types.len / 8 >= FDX_MAX_SAMPLE_TYPES) {
				set_err(err, 413, "too_many_sample_types", "more than %u sample types", FDX_MAX_SAMPLE_TYPES);
				goto fail;
			}
			if (read_value_type(d, &f, &tu[0], &tu[1]) < 0)
				goto fail;
			buf_add(&types, tu, 8);
			break;
		}
		case 3:
			if (read_mapping(d, &f, &maps) < 0)
				goto fail;
			break;
		case 5:
			if (read_function(d, &f, &funcs) < 0)
				goto fail;
			break;
		case 7: d->drop_idx = (int64_t)f.v; break;
		case 8: d->keep_idx = (int64_t)f.v; break;
		case 9: p->time_nanos = (int64_t)f.v; break;
		case 10: p->duration_nanos = (int64_t)f.v; break;
		case 11: {
			Perftools__Profiles__ValueType *m =
				perftools__profiles__value_type__unpack(NULL, f.len, f.data);
			if (!m) {
				set_err(err, 415, "unsupported_format", "not a pprof profile (undecodable period type)");
				goto fail;
			}
			period_type_t = m->type;
			period_type_u = m->unit;
			have_period_type = true;
			perftools__profiles__value_type__free_unpacked(m, NULL);
			break;
		}
		case 12: p->period = (int64_t)f.v; break;
		case 14: default_type_idx = (int64_t)f.v; break;
		default: break;
		}
	}
	if (check_str(d, d->drop_idx, "drop_frames") < 0 || check_str(d, d->keep_idx, "keep_frames") < 0 ||
	    check_str(d, default_type_idx, "default_sample_type") < 0)
		goto fail;
	if (have_period_type) {
		if (check_str(d, period_type_t, "period type") < 0 || check_str(d, period_type_u, "period unit") < 0)
			goto fail;
		p->period_type = out_str(d, (uint64_t)period_type_t);
		p->period_unit = out_str(d, (uint64_t)period_type_u);
	}
	if (d->drop_idx) {
		if (compile_frames_re(d, d->drop_idx, &d->drop_re) < 0) {
			set_err(err, 400, "bad_profile", "drop_frames is not a valid regular expression");
			goto fail;
		}
		if (d->keep_idx && compile_frames_re(d, d->keep_idx, &d->keep_re) < 0) {
			set_err(err, 400, "bad_profile", "keep_frames is not a valid regular expression");
			goto fail;
		}
	} else {
		d->keep_idx = 0; /* keep_frames only qualifies drop_frames */
	}
	if (funcs.oom || maps.oom || types.oom)
		goto oom;

	/* Pass 1b: locations (they refer to functions and mappings). */
	r.p = data;
	while ((rc = rd_field(&r, &f)) > 0) {
		if (f.num == 4 && read_location(d, &f, (const uint32_t *)maps.data,
		                                (const struct prof_func *)funcs.data) < 0)
			goto fail;
	}
	/* Writers number locations 1..n: then a plain array replaces the hash
	 * lookup done for every frame of every sample. */
	{
		uint64_t max_id = 0;
		for (size_t i = 0; i < d->loc_ids.cap; i++) {
			uint64_t k = (uint64_t)d->loc_ids.slots[i].khi << 32 | d->loc_ids.slots[i].klo;
			if (k != UINT64_MAX && k > max_id)
				max_id = k;
		}
		if (!d->loc_ids.has_max && max_id <= 2 * (uint64_t)d->n_locs + 64) {
			d->loc_dense_n = max_id + 1;
			d->loc_dense = malloc(d->loc_dense_n * sizeof(uint32_t));
			if (!d->loc_dense)
				goto oom;
			memset(d->loc_dense, 0xff, d->loc_dense_n * sizeof(uint32_t));
			for (size_t i = 0; i < d->loc_ids.cap; i++) {
				uint64_t k = (uint64_t)d->loc_ids.slots[i].khi << 32 | d->loc_ids.slots[i].klo;
				if (k != UINT64_MAX)
					d->loc_dense[k] = d->loc_ids.slots[i].val;
			}
		}
	}

	/* Sample types and the default, chosen as pprof chooses it. */
	p->n_types = (uint32_t)(types.len / 8);
	p->type_type = malloc((p->n_types + 1) * sizeof(uint32_t));
	p->type_unit = malloc((p->n_types + 1) * sizeof(uint32_t));
	d->totals = calloc(p->n_types + 1, sizeof(int64_t));
	if (!p->type_type || !p->type_unit || !d->totals)
		goto oom;
	for (uint32_t i = 0; i < p->n_types; i++) {
		p->type_type[i] = ((uint32_t *)types.data)[2 * i];
		p->type_unit[i] = ((uint32_t *)types.data)[2 * i + 1];
	}
	p->default_type = p->n_types ? p->n_types - 1 : 0;
	if (default_type_idx) {
		uint32_t want = out_str(d, (uint64_t)default_type_idx);
		for (uint32_t i = 0; i < p->n_types; i++) {
			if (p->type_type[i] == want) {
				p->default_type = i;
				break;
			}
		}
	}

	/* Pass 2: samples. */
	struct sample_ctx *sc = malloc(sizeof(*sc));
	if (!sc)
		goto oom;
	sc->d = d;
	struct prof_node root = { 0, PROF_NONE };
	buf_add(&d->nodes, &root, sizeof(root));
	struct prof_labelset empty_set = { 0, 0 }; /* labelset 0 */
	buf_add(&d->lsets, &empty_set, sizeof(empty_set));
	r.p = data;
	while ((rc = rd_field(&r, &f)) > 0) {
		if (f.num != 2)
			continue;
		if (p->n_types == 0) {
			free(sc);
			set_err(err, 400, "bad_profile", "profile has samples but no sample types");
			goto fail;
		}
		if (read_sample(d, sc, &f, p->n_types) < 0) {
			free(sc);
			goto fail;
		}
	}
	free(sc);
	if (d->nodes.len / sizeof(struct prof_node) > UINT32_MAX / 2)
		goto oom;
	if (d->arena.oom || d->offs.oom || d->lens.oom || d->frames.oom || d->lfr.oom ||
	    d->nodes.oom || d->samples.oom || d->values.oom || d->labels.oom || d->lsets.oom)
		goto oom;

	/* Move everything into the profile. */
	p->orig_samples = d->n_samples_in;
	p->orig_locations = d->n_locs;
	p->orig_functions = (uint32_t)(funcs.len / sizeof(struct prof_func));
	p->funcs = take(&funcs, &p->n_funcs, sizeof(struct prof_func));
	p->frames = take(&d->frames, &p->n_frames, sizeof(struct prof_frame));
	p->loc_frames = take(&d->lfr, &p->n_loc_frames, 4);
	p->nodes = take(&d->nodes, &p->n_nodes, sizeof(struct prof_node));
	p->labels = take(&d->labels, &p->n_labels, sizeof(struct prof_label));
	p->labelsets = take(&d->lsets, &p->n_labelsets, sizeof(struct prof_labelset));
	p->samples = take(&d->samples, &p->n_samples, sizeof(struct prof_sample));
	{
		uint32_t nv;
		p->values = take(&d->values, &nv, sizeof(int64_t));
	}
	p->locs = malloc((d->n_locs + 1) * sizeof(*p->locs));
	if (!p->locs)
		goto oom;
	p->n_locs = d->n_locs;
	for (uint32_t i = 0; i < d->n_locs; i++) {
		p->locs[i].off = d->locs[i].frame_off;
		p->locs[i].n = d->locs[i].nframes;
	}
	p->arena = buf_detach(&d->arena, &p->arena_len);
	p->str_off = take(&d->offs, &p->n_strs, 4);
	{
		uint32_t nl;
		p->str_len = take(&d->lens, &nl, 4);
	}
	if (!p->funcs || !p->frames || !p->loc_frames || !p->nodes || !p->labels || !p->labelsets ||
	    !p->samples || !p->values || !p->arena || !p->str_off || !p->str_len)
		goto oom;
	p->kind = detect_kind(p);
	buf_release(&maps);
	buf_release(&types);
	dec_release(d);
	return p;
oom:
	set_err(err, 500, "internal", "out of memory while decoding");
fail:
	buf_release(&funcs);
	buf_release(&maps);
	buf_release(&types);
	dec_release(d);
	prof_free(p);
	return NULL;
}

struct prof *pprof_decode(const uint8_t *data, size_t n, size_t max_inflated, struct pprof_err *err)
{
	memset(err, 0, sizeof(*err));
	if (n == 0) {
		set_err(err, 400, "empty_body", "the request body is empty; send a pprof profile");
		return NULL;
	}
	uint8_t *inflated = NULL;
	size_t in_len = n;
	const uint8_t *body = data;
	size_t reserved = 0;
	if (n >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		/* Deflate expands at most ~1032:1: reserve what this body can
		 * become, up to the cap, before inflating anything. */
		reserved = n > max_inflated / 1032 ? max_inflated + 1 : n * 1032 + 4096;
		if (!budget_take(reserved)) {
			set_err(err, 429, "busy", "too many large uploads in flight; retry shortly");
			return NULL;
		}
		if (pprof_gunzip(data, n, max_inflated, &inflated, &in_len, err) < 0) {
			budget_give(reserved);
			return NULL;
		}
		body = inflated;
	} else if (n > max_inflated) {
		set_err(err, 413, "inflated_too_large", "profile is larger than %zu bytes", max_inflated);
		return NULL;
	}
	bool debug1;
	struct prof *p = NULL;
	if (textdump_sniff(body, in_len, &debug1)) {
		p = textdump_decode(body, in_len, debug1, err);
		goto out;
	}
	const char *fmt = pprof_sniff_format(body, in_len);
	if (fmt) {
		set_err(err, 415, "unsupported_format", "unsupported format: %s; upload a profile.proto file", fmt);
		goto out;
	}
	if (in_len == 0) {
		set_err(err, 400, "empty_body", "the profile is empty");
		goto out;
	}
	p = pprof_decode_proto(body, in_len, err);
out:
	free(inflated);
	if (reserved)
		budget_give(reserved);
	return p;
}
