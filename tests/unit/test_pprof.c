/*
 * test_pprof.c: decoding uploads (pprof.h) and the stored blob (codec.h).
 *
 * Profiles are built field by field with the pbw_* writer below, so each
 * malformed variant differs from a valid profile in exactly one place.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "codec.h"
#include "jsoncheck.h"
#include "pprof.h"
#include "prof.h"
#include "tests.h"
#include "tree.h"

#define MiB (1024u * 1024u)

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
static void ref_profile(struct pbw *w, bool with_default_type)
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

static struct prof *decode_ok(const uint8_t *data, size_t n)
{
	struct pprof_err err;
	struct prof *p = pprof_decode(data, n, 64 * MiB, &err);
	ck_assert_msg(p != NULL, "decode failed: %d %s: %s", err.status, err.code ? err.code : "-",
	              err.message);
	return p;
}

static struct prof *decode_pbw(struct pbw *w)
{
	size_t n;
	uint8_t *data = pbw_finish(w, &n);
	struct prof *p = decode_ok(data, n);
	free(data);
	return p;
}

/* Expect decoding of w to fail with status and code. */
static void expect_err_data(const uint8_t *data, size_t n, size_t max, int status, const char *code,
                            const char *msg_part)
{
	struct pprof_err err;
	struct prof *p = pprof_decode(data, n, max, &err);
	if (p)
		prof_free(p);
	ck_assert_msg(p == NULL, "decode succeeded, expected %d %s", status, code);
	ck_assert_int_eq(err.status, status);
	ck_assert_ptr_nonnull(err.code);
	ck_assert_str_eq(err.code, code);
	ck_assert_msg(err.message[0] != '\0', "empty error message");
	if (msg_part)
		ck_assert_msg(strstr(err.message, msg_part) != NULL, "message \"%s\" lacks \"%s\"",
		              err.message, msg_part);
}

static void expect_err(struct pbw *w, int status, const char *code, const char *msg_part)
{
	size_t n;
	uint8_t *data = pbw_finish(w, &n);
	expect_err_data(data, n, 64 * MiB, status, code, msg_part);
	free(data);
	pbw_release(w);
}

/* Index of the function named s in p, or -1. */
static int func_named(const struct prof *p, const char *s)
{
	for (uint32_t i = 0; i < p->n_funcs; i++)
		if (strcmp(prof_str(p, p->funcs[i].name), s) == 0)
			return (int)i;
	return -1;
}

/* Stack of a trie node as "a;b;c" (root first, frames by key). */
static void node_stack(const struct prof *p, uint32_t node, char *out, size_t cap)
{
	uint32_t path[64], n = 0;
	for (uint32_t x = node; x != 0 && n < 64; x = p->nodes[x].parent)
		path[n++] = x;
	out[0] = '\0';
	size_t len = 0;
	for (uint32_t i = n; i-- > 0;) {
		const struct prof_loc *l = &p->locs[p->nodes[path[i]].loc];
		for (uint32_t k = 0; k < l->n; k++) {
			const char *name = prof_str(p, p->frames[p->loc_frames[l->off + k]].key);
			len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ";" : "", name);
			ck_assert_uint_lt(len, cap);
		}
	}
}

/* Sum of type t over samples whose stack prints as want. */
static int64_t stack_value(const struct prof *p, const char *want, uint32_t t)
{
	int64_t sum = 0;
	char s[1024];
	for (uint32_t i = 0; i < p->n_samples; i++) {
		node_stack(p, p->samples[i].node, s, sizeof(s));
		if (strcmp(s, want) == 0)
			sum += p->values[(size_t)i * p->n_types + t];
	}
	return sum;
}

/* ---- valid profiles ------------------------------------------------------- */

START_TEST(decode_reference)
{
	struct pbw w;
	ref_profile(&w, false);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);

	ck_assert_uint_eq(p->n_types, 2);
	ck_assert_str_eq(prof_str(p, p->type_type[0]), "samples");
	ck_assert_str_eq(prof_str(p, p->type_unit[0]), "count");
	ck_assert_str_eq(prof_str(p, p->type_type[1]), "cpu");
	ck_assert_str_eq(prof_str(p, p->type_unit[1]), "nanoseconds");
	ck_assert_uint_eq(p->default_type, 1); /* the last type, as pprof */
	ck_assert_int_eq(p->kind, PROF_KIND_CPU);
	ck_assert_str_eq(prof_str(p, p->period_type), "cpu");
	ck_assert_str_eq(prof_str(p, p->period_unit), "nanoseconds");
	ck_assert_int_eq(p->period, 10000000);
	ck_assert_int_eq(p->time_nanos, 1700000000000000000ll);
	ck_assert_int_eq(p->duration_nanos, 10000000000ll);
	ck_assert_uint_eq(p->orig_samples, 6);
	ck_assert_uint_eq(p->orig_locations, 5);
	ck_assert_uint_eq(p->orig_functions, 5);
	ck_assert_uint_eq(p->n_funcs, 5);
	ck_assert_uint_eq(p->n_locs, 5);
	/* Samples 1 and 6 share stack and labels: aggregated. */
	ck_assert_uint_eq(p->n_samples, 5);
	ck_assert_str_eq(prof_str(p, 0), "");

	int f = func_named(p, "pkg.gamma");
	ck_assert_int_ge(f, 0);
	ck_assert_str_eq(prof_str(p, p->funcs[f].file), "/src/pkg/c.go");

	/* Location 5: outermost frame (gamma) first, then the inlined one. */
	uint32_t inl_loc = PROF_NONE;
	for (uint32_t l = 0; l < p->n_locs; l++)
		if (p->locs[l].n == 2)
			inl_loc = l;
	ck_assert_uint_ne(inl_loc, PROF_NONE);
	const struct prof_frame *f0 = &p->frames[p->loc_frames[p->locs[inl_loc].off]];
	const struct prof_frame *f1 = &p->frames[p->loc_frames[p->locs[inl_loc].off + 1]];
	ck_assert_str_eq(prof_str(p, f0->key), "pkg.gamma");
	ck_assert_int_eq(f0->line, 42);
	ck_assert_str_eq(prof_str(p, f1->key), "pkg.inlined");
	ck_assert_int_eq(f1->line, 51);
	ck_assert_str_eq(prof_str(p, f0->map_file), "/bin/app");

	/* Trie invariants. */
	ck_assert_uint_ge(p->n_nodes, 1);
	ck_assert_uint_eq(p->nodes[0].loc, PROF_NONE);
	for (uint32_t n = 1; n < p->n_nodes; n++) {
		ck_assert_uint_lt(p->nodes[n].parent, n);
		ck_assert_uint_lt(p->nodes[n].loc, p->n_locs);
	}
	/* main, main;alpha, main;alpha;beta, main;alpha;beta;alpha,
	 * main;gamma+inlined, main;beta, main;beta;gamma */
	ck_assert_uint_eq(p->n_nodes, 8);

	ck_assert_int_eq(stack_value(p, "main.main;pkg.alpha;pkg.beta", 0), 7);
	ck_assert_int_eq(stack_value(p, "main.main;pkg.alpha;pkg.beta", 1), 7000);
	ck_assert_int_eq(stack_value(p, "main.main;pkg.alpha;pkg.beta;pkg.alpha", 0), 2);
	ck_assert_int_eq(stack_value(p, "main.main;pkg.gamma;pkg.inlined", 1), 3000);
	ck_assert_int_eq(stack_value(p, "", 0), 4);
	ck_assert_int_eq(stack_value(p, "main.main;pkg.beta;pkg.gamma", 0), 5);

	/* Labels: label set 0 is empty; bytes=2048 numeric, k=v string. */
	ck_assert_uint_eq(p->labelsets[0].n, 0);
	ck_assert_uint_eq(p->n_labelsets, 3);
	ck_assert_uint_eq(p->n_labels, 2);
	bool saw_num = false, saw_str = false;
	for (uint32_t i = 0; i < p->n_labels; i++) {
		const struct prof_label *l = &p->labels[i];
		if (l->str == PROF_NONE) {
			ck_assert_str_eq(prof_str(p, l->key), "bytes");
			ck_assert_int_eq(l->num, 2048);
			ck_assert_uint_eq(l->unit, PROF_NONE);
			saw_num = true;
		} else {
			ck_assert_str_eq(prof_str(p, l->key), "k");
			ck_assert_str_eq(prof_str(p, l->str), "v");
			saw_str = true;
		}
	}
	ck_assert(saw_num && saw_str);
	for (uint32_t s = 0; s < p->n_samples; s++) {
		ck_assert_uint_lt(p->samples[s].node, p->n_nodes);
		ck_assert_uint_lt(p->samples[s].labelset, p->n_labelsets);
	}
	ck_assert_str_eq(prof_kind_name(p->kind), "cpu");
	ck_assert_int_eq(prof_sample_index(p, NULL), 1);
	ck_assert_int_eq(prof_sample_index(p, "samples"), 0);
	ck_assert_int_eq(prof_sample_index(p, "0"), 0);
	ck_assert_int_eq(prof_sample_index(p, "2"), -1);
	ck_assert_int_eq(prof_sample_index(p, "nope"), -1);
	prof_free(p);
}
END_TEST

START_TEST(decode_string_dedup)
{
	/* The file's string table repeats a name; the model keeps it once. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	uint64_t a = w.nstrs;
	w.strs[w.nstrs++] = "dup";
	uint64_t b = w.nstrs;
	w.strs[w.nstrs++] = "dup";
	uint64_t file = pbw_s(&w, "x.go");
	pbw_function_raw(&w, 1, a, file);
	pbw_function_raw(&w, 2, b, file);
	uint64_t f[2] = { 1, 2 };
	int64_t l[2] = { 1, 2 };
	pbw_location(&w, 1, 0, 1, &f[0], &l[0]);
	pbw_location(&w, 2, 0, 1, &f[1], &l[1]);
	uint64_t s[2] = { 1, 2 };
	int64_t v = 1;
	pbw_sample(&w, 2, s, 1, &v, 0, NULL);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_funcs, 2);
	ck_assert_uint_eq(p->funcs[0].name, p->funcs[1].name);
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->n_strs; i++)
		if (strcmp(prof_str(p, i), "dup") == 0)
			n++;
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(stack_value(p, "dup;dup", 0), 1);
	prof_free(p);
}
END_TEST

START_TEST(decode_default_sample_type)
{
	struct pbw w;
	ref_profile(&w, true);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->default_type, 0);
	ck_assert_int_eq(prof_sample_index(p, ""), 0);
	prof_free(p);
}
END_TEST

/* A one-sample profile with the given types, leaf function leaf. */
static struct prof *kind_profile(const char *t1, const char *u1, const char *t2, const char *u2,
                                 const char *leaf)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, t1, u1);
	if (t2)
		pbw_sample_type(&w, t2, u2);
	pbw_function(&w, 1, "main.main", "m.go");
	pbw_function(&w, 2, leaf, "x.go");
	uint64_t f1 = 1, f2 = 2;
	int64_t l = 1;
	pbw_location(&w, 1, 0, 1, &f1, &l);
	pbw_location(&w, 2, 0, 1, &f2, &l);
	uint64_t s[] = { 2, 1 };
	int64_t v[] = { 1, 2 };
	pbw_sample(&w, 2, s, t2 ? 2 : 1, v, 0, NULL);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	return p;
}

START_TEST(decode_kinds)
{
	static const struct {
		const char *t1, *u1, *t2, *u2, *leaf;
		enum prof_kind kind;
	} cases[] = {
		{ "samples", "count", "cpu", "nanoseconds", "f", PROF_KIND_CPU },
		{ "alloc_objects", "count", "alloc_space", "bytes", "f", PROF_KIND_HEAP },
		{ "inuse_space", "bytes", NULL, NULL, "f", PROF_KIND_HEAP },
		{ "goroutine", "count", NULL, NULL, "f", PROF_KIND_GOROUTINE },
		{ "contentions", "count", "delay", "nanoseconds", "sync.(*Mutex).Unlock", PROF_KIND_MUTEX },
		{ "contentions", "count", "delay", "nanoseconds", "runtime.chanrecv1", PROF_KIND_BLOCK },
		{ "events", "count", NULL, NULL, "f", PROF_KIND_OTHER },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		struct prof *p = kind_profile(cases[i].t1, cases[i].u1, cases[i].t2, cases[i].u2, cases[i].leaf);
		ck_assert_msg(p->kind == cases[i].kind, "case %zu: kind %d, want %d", i, p->kind, cases[i].kind);
		prof_free(p);
	}
}
END_TEST

START_TEST(decode_gzip)
{
	struct pbw w;
	ref_profile(&w, false);
	size_t n, zn;
	uint8_t *raw = pbw_finish(&w, &n);
	pbw_release(&w);
	uint8_t *gz = test_gzip(raw, n, &zn);
	ck_assert_int_eq(gz[0], 0x1f);
	ck_assert_int_eq(gz[1], 0x8b);
	struct prof *a = decode_ok(raw, n);
	struct prof *b = decode_ok(gz, zn);
	ck_assert_uint_eq(a->n_samples, b->n_samples);
	ck_assert_uint_eq(a->n_nodes, b->n_nodes);
	ck_assert_uint_eq(a->n_strs, b->n_strs);
	ck_assert_uint_eq(a->arena_len, b->arena_len);
	ck_assert_mem_eq(a->arena, b->arena, a->arena_len);
	ck_assert_mem_eq(a->values, b->values, (size_t)a->n_samples * a->n_types * sizeof(int64_t));

	/* pprof_gunzip directly: exact bytes back. */
	struct pprof_err err;
	uint8_t *out = NULL;
	size_t out_len = 0;
	ck_assert_int_eq(pprof_gunzip(gz, zn, n, &out, &out_len, &err), 0);
	ck_assert_uint_eq(out_len, n);
	ck_assert_mem_eq(out, raw, n);
	free(out);
	/* One byte short of the cap: refused. */
	out = NULL;
	ck_assert_int_eq(pprof_gunzip(gz, zn, n - 1, &out, &out_len, &err), -1);
	ck_assert_str_eq(err.code, "inflated_too_large");
	ck_assert_int_eq(err.status, 413);
	ck_assert_ptr_null(out);

	/* Two concatenated gzip members (Go's reader accepts them). */
	size_t half = n / 2, z1, z2;
	uint8_t *g1 = test_gzip(raw, half, &z1);
	uint8_t *g2 = test_gzip(raw + half, n - half, &z2);
	uint8_t *cat = malloc(z1 + z2);
	memcpy(cat, g1, z1);
	memcpy(cat + z1, g2, z2);
	struct prof *c = decode_ok(cat, z1 + z2);
	ck_assert_uint_eq(c->n_samples, a->n_samples);
	ck_assert_mem_eq(c->values, a->values, (size_t)a->n_samples * a->n_types * sizeof(int64_t));
	prof_free(c);
	free(cat);
	free(g1);
	free(g2);
	prof_free(a);
	prof_free(b);
	free(gz);
	free(raw);
}
END_TEST

START_TEST(decode_negative_values)
{
	/* pprof -diff_base -proto writes negative values: accepted as is. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_function(&w, 1, "f", "f.go");
	uint64_t fid = 1;
	int64_t line = 3;
	pbw_location(&w, 1, 0, 1, &fid, &line);
	uint64_t loc = 1;
	int64_t v1 = -5, v2 = 3;
	pbw_sample(&w, 1, &loc, 1, &v1, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &v2, 0, NULL);
	struct pbw_label base = { "pprof::base", "true", 0, NULL };
	int64_t v3 = -INT64_MAX / 4;
	pbw_sample(&w, 1, &loc, 1, &v3, 1, &base);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_samples, 2);
	ck_assert_int_eq(stack_value(p, "f", 0), -2 - INT64_MAX / 4);
	bool saw = false;
	for (uint32_t s = 0; s < p->n_samples; s++)
		if (p->samples[s].labelset == 0) {
			ck_assert_int_eq(p->values[s], -2);
			saw = true;
		}
	ck_assert(saw);
	prof_free(p);
}
END_TEST

START_TEST(decode_drop_frames)
{
	/* drop_frames removes the matching frame and everything below it. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	const char *names[] = { "main.main", "pkg.alpha", "pkg.beta", "pkg.gamma" };
	for (uint64_t i = 1; i <= 4; i++) {
		int64_t line = 1;
		pbw_function(&w, i, names[i - 1], "x.go");
		pbw_location(&w, i, 0, 1, &i, &line);
	}
	pbw_scalar(&w, 7, pbw_s(&w, "pkg\\.beta"));
	uint64_t s[] = { 4, 3, 2, 1 };
	int64_t v = 9;
	pbw_sample(&w, 4, s, 1, &v, 0, NULL);
	/* A stack where beta is the root: nothing user-level above it, kept. */
	uint64_t s2[] = { 4, 3 };
	int64_t v2 = 1;
	pbw_sample(&w, 2, s2, 1, &v2, 0, NULL);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(stack_value(p, "main.main;pkg.alpha", 0), 9);
	ck_assert_int_eq(stack_value(p, "main.main;pkg.alpha;pkg.beta;pkg.gamma", 0), 0);
	ck_assert_int_eq(stack_value(p, "pkg.beta;pkg.gamma", 0), 1);
	prof_free(p);
}
END_TEST

START_TEST(decode_location_without_lines)
{
	/* No lines: the frame is named after the mapping file's base name. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_mapping(&w, 7, "/usr/lib/libc.so.6");
	pbw_location(&w, 1, 7, 0, NULL, NULL);
	pbw_location(&w, 2, 0, 0, NULL, NULL);
	uint64_t s[] = { 2, 1 };
	int64_t v = 4;
	pbw_sample(&w, 2, s, 1, &v, 0, NULL);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(stack_value(p, "[libc.so.6];<unknown>", 0), 4);
	prof_free(p);
}
END_TEST

START_TEST(decode_zero_samples)
{
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_sample_type(&w, "cpu", "nanoseconds");
	pbw_mapping(&w, 1, "/bin/app");
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_samples, 0);
	ck_assert_uint_eq(p->n_nodes, 1);
	ck_assert_int_eq(p->kind, PROF_KIND_CPU);
	prof_free(p);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */

START_TEST(err_empty_body)
{
	struct pprof_err err;
	uint8_t byte = 0;
	ck_assert_ptr_null(pprof_decode(&byte, 0, MiB, &err));
	ck_assert_int_eq(err.status, 400);
	ck_assert_str_eq(err.code, "empty_body");
	/* A gzip stream of nothing is empty too. */
	size_t zn;
	uint8_t *gz = test_gzip(&byte, 0, &zn);
	expect_err_data(gz, zn, MiB, 400, "empty_body", NULL);
	free(gz);
}
END_TEST

START_TEST(err_garbage)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                0xff, 0xff, 0x01, 0x02, 0x00, 0x9c, 0xfe };
	expect_err_data(junk, sizeof(junk), MiB, 415, "unsupported_format", NULL);
	/* A PNG header. */
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
	expect_err_data(png, sizeof(png), MiB, 415, "unsupported_format", NULL);
	/* Valid protobuf, but no string table. */
	static const uint8_t nostr[] = { 0x48, 0x01 }; /* time_nanos = 1 */
	expect_err_data(nostr, sizeof(nostr), MiB, 415, "unsupported_format", "string table");
	/* Profile fields with the wrong wire type. */
	static const uint8_t wt[] = { 0x08, 0x01, 0x32, 0x00 }; /* sample_type as varint */
	expect_err_data(wt, sizeof(wt), MiB, 415, "unsupported_format", NULL);
	/* A length running past the end. */
	static const uint8_t longlen[] = { 0x32, 0x00, 0x32, 0x7f, 'a' };
	expect_err_data(longlen, sizeof(longlen), MiB, 415, "unsupported_format", NULL);
}
END_TEST

START_TEST(err_legacy_formats)
{
	static const struct {
		const char *text, *name;
	} cases[] = {
		{ "heap profile: 1: 2 [3: 4] @ heap/1048576\n", "legacy text heap profile" },
		{ "\n\nheap profile: 1: 2 [3: 4] @ heap/1048576\n", "legacy text heap profile" },
		{ "--- contention:\ncycles/second=2000000000\n", "contention" },
		{ "threadcreate profile: total 2\n1 @ 0x1\n", "threadcreate" },
		{ "main;foo;bar 10\nmain;foo 3\n", "collapsed" },
		{ "{\"traceEvents\":[]}", "JSON" },
	};
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		const uint8_t *d = (const uint8_t *)cases[i].text;
		size_t n = strlen(cases[i].text);
		expect_err_data(d, n, MiB, 415, "unsupported_format", cases[i].name);
		/* Gzipped, the same answer. */
		size_t zn;
		uint8_t *gz = test_gzip(d, n, &zn);
		expect_err_data(gz, zn, MiB, 415, "unsupported_format", cases[i].name);
		free(gz);
		ck_assert_ptr_nonnull(pprof_sniff_format(d, n));
	}
	/* Legacy binary CPU profile header (64-bit words 0, 3, 0, ...). */
	uint64_t words[6] = { 0, 3, 0, 10000, 0, 0 };
	expect_err_data((const uint8_t *)words, sizeof(words), MiB, 415, "unsupported_format",
	                "legacy binary CPU profile");
	uint32_t w32[6] = { 0, 3, 0, 10000, 0, 0 };
	expect_err_data((const uint8_t *)w32, sizeof(w32), MiB, 415, "unsupported_format",
	                "legacy binary CPU profile");
	/* A real profile is not mistaken for anything. */
	struct pbw w;
	ref_profile(&w, false);
	size_t n;
	uint8_t *d = pbw_finish(&w, &n);
	pbw_release(&w);
	ck_assert_ptr_null(pprof_sniff_format(d, n));
	free(d);
}
END_TEST

/* Label of sample s with key k: the label or NULL. */
static const struct prof_label *sample_label(const struct prof *p, uint32_t s, const char *k)
{
	const struct prof_labelset *ls = &p->labelsets[p->samples[s].labelset];
	for (uint32_t i = 0; i < ls->n; i++)
		if (strcmp(prof_str(p, p->labels[ls->off + i].key), k) == 0)
			return &p->labels[ls->off + i];
	return NULL;
}

static const char dump_debug2[] =
	"goroutine 1 [running]:\n"
	"main.main()\n"
	"\t/src/main.go:10 +0x1d\n"
	"\n"
	"goroutine 7 [chan receive, 3 minutes]:\n"
	"main.worker(0xc000010000, {0x1, 0x2})\n"
	"\t/src/main.go:20 +0x2a\n"
	"main.helper(...)\n"
	"\t/src/main.go:30\n"
	"created by main.main in goroutine 1\n"
	"\t/src/main.go:12 +0x3b\n";

START_TEST(textdump_debug2)
{
	struct prof *p = decode_ok((const uint8_t *)dump_debug2, sizeof(dump_debug2) - 1);
	ck_assert_int_eq(p->kind, PROF_KIND_GOROUTINE);
	ck_assert_uint_eq(p->n_types, 1);
	ck_assert_str_eq(prof_str(p, p->type_type[0]), "goroutine");
	ck_assert_int_eq(stack_value(p, "main.main", 0), 1);
	ck_assert_int_eq(stack_value(p, "main.helper;main.worker", 0), 1);
	uint32_t found = 0;
	for (uint32_t s = 0; s < p->n_samples; s++) {
		const struct prof_label *g = sample_label(p, s, "goid");
		ck_assert_ptr_nonnull(g);
		if (g->num != 7)
			continue;
		found++;
		const struct prof_label *st = sample_label(p, s, "state");
		const struct prof_label *wm = sample_label(p, s, "wait_minutes");
		const struct prof_label *cb = sample_label(p, s, "created_by");
		ck_assert_ptr_nonnull(st);
		ck_assert_str_eq(prof_str(p, st->str), "chan receive");
		ck_assert_ptr_nonnull(wm);
		ck_assert_int_eq(wm->num, 3);
		ck_assert_str_eq(prof_str(p, wm->unit), "minutes");
		ck_assert_ptr_nonnull(cb);
		ck_assert_str_eq(prof_str(p, cb->str), "main.main");
	}
	ck_assert_uint_eq(found, 1);
	prof_free(p);
	/* Gzipped, the same. */
	size_t zn;
	uint8_t *gz = test_gzip((const uint8_t *)dump_debug2, sizeof(dump_debug2) - 1, &zn);
	p = decode_ok(gz, zn);
	ck_assert_int_eq(stack_value(p, "main.helper;main.worker", 0), 1);
	prof_free(p);
	free(gz);
}
END_TEST

START_TEST(textdump_debug1)
{
	static const char dump[] =
		"goroutine profile: total 3\n"
		"2 @ 0x1 0x2\n"
		"# labels: {\"job\":\"a\"}\n"
		"#\t0x1\tmain.worker+0x2a\t/src/main.go:20\n"
		"#\t0x2\tmain.main+0x1d\t/src/main.go:10\n"
		"\n"
		"1 @ 0x4\n"
		"#\t0x4\tmain.main+0x1d\t/src/main.go:10\n"
		"\n";
	struct prof *p = decode_ok((const uint8_t *)dump, sizeof(dump) - 1);
	ck_assert_int_eq(p->kind, PROF_KIND_GOROUTINE);
	ck_assert_int_eq(stack_value(p, "main.main;main.worker", 0), 2);
	ck_assert_int_eq(stack_value(p, "main.main", 0), 1);
	bool saw = false;
	for (uint32_t s = 0; s < p->n_samples; s++) {
		const struct prof_label *l = sample_label(p, s, "job");
		if (l) {
			ck_assert_str_eq(prof_str(p, l->str), "a");
			ck_assert_int_eq(p->values[s], 2);
			saw = true;
		}
	}
	ck_assert(saw);
	prof_free(p);
}
END_TEST

START_TEST(textdump_odd_headers)
{
	/* Hostile headers: decoded or refused, never a crash (the sanitizer
	 * build checks memory safety). */
	static const char *const dumps[] = {
		"goroutine 1 [a, 1 minutes, 2 minutes, 3 minutes, 4 minutes]:\nmain.main()\n\t/m.go:1\n",
		"goroutine 1 [a, 1 minutes, 2 minutes, 3 minutes]:\ncreated by x in goroutine 2\n\t/m.go:1\n",
		"goroutine 1 []:\n\n",
		"goroutine 99999999999999999999999 [x]:\nf()\n\t/f.go:99999999999999999999 +0x1\n",
		"goroutine 1 [x]:\n\t/no/function.go:1\nf(\n\t:\n",
		"goroutine profile: total 1\n99999999999999999999 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1\n"
		"99999999999999999999 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1\n",
		"goroutine profile: total 1\n1 @\n# labels: {\"a\":\"b\",\"c\"\n#\t\t\n",
	};
	for (size_t i = 0; i < ARRLEN(dumps); i++) {
		struct pprof_err err;
		struct prof *p = pprof_decode((const uint8_t *)dumps[i], strlen(dumps[i]), MiB, &err);
		if (p)
			prof_free(p);
		else
			ck_assert_msg(err.status == 400 || err.status == 413 || err.status == 415,
			              "dump %zu: status %d (%s)", i, err.status, err.message);
	}
}
END_TEST

START_TEST(textdump_no_terminator)
{
	/* The body is (data, n), not a C string: a number that ends the body
	 * must not be read past it (caught by the sanitizer build). */
	static const char *const dumps[] = {
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1",
		"goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10",
		"goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tf+0x1\t/f.go:1\n\n7",
	};
	for (size_t i = 0; i < ARRLEN(dumps); i++) {
		size_t n = strlen(dumps[i]);
		uint8_t *exact = malloc(n); /* no room for a terminator */
		memcpy(exact, dumps[i], n);
		struct pprof_err err;
		struct prof *p = pprof_decode(exact, n, MiB, &err);
		free(exact);
		if (p)
			prof_free(p);
		else
			ck_assert_msg(err.status == 400 || err.status == 413 || err.status == 415,
			              "dump %zu: status %d", i, err.status);
	}
}
END_TEST

START_TEST(err_truncated_gzip)
{
	struct pbw w;
	ref_profile(&w, false);
	size_t n, zn;
	uint8_t *raw = pbw_finish(&w, &n);
	pbw_release(&w);
	uint8_t *gz = test_gzip(raw, n, &zn);
	expect_err_data(gz, zn / 2, MiB, 400, "bad_gzip", NULL);
	expect_err_data(gz, zn - 1, MiB, 400, "bad_gzip", NULL); /* trailer cut */
	expect_err_data(gz, 2, MiB, 400, "bad_gzip", NULL);      /* magic only */
	/* Corrupt deflate data. */
	uint8_t *bad = malloc(zn);
	memcpy(bad, gz, zn);
	for (size_t i = 10; i < zn - 8; i++)
		bad[i] ^= 0x55;
	expect_err_data(bad, zn, MiB, 400, "bad_gzip", NULL);
	/* Wrong CRC in the trailer. */
	memcpy(bad, gz, zn);
	bad[zn - 8] ^= 1;
	expect_err_data(bad, zn, MiB, 400, "bad_gzip", NULL);
	free(bad);
	free(gz);
	free(raw);
}
END_TEST

START_TEST(err_gzip_bomb)
{
	/* 64 MiB of zeros deflate to ~64 KiB; the cap is 1 MiB. */
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
	static uint8_t zeros[1 << 20];
	struct buf out = BUF_INIT;
	uint8_t chunk[1 << 16];
	for (int i = 0; i < 64; i++) {
		zs.next_in = zeros;
		zs.avail_in = sizeof(zeros);
		int flush = i == 63 ? Z_FINISH : Z_NO_FLUSH;
		int rc;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			rc = deflate(&zs, flush);
			ck_assert_int_ne(rc, Z_STREAM_ERROR);
			buf_add(&out, chunk, sizeof(chunk) - zs.avail_out);
		} while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	}
	deflateEnd(&zs);
	ck_assert_uint_lt(out.len, 1 * MiB);
	expect_err_data((uint8_t *)out.data, out.len, 1 * MiB, 413, "inflated_too_large", NULL);
	/* pprof_gunzip alone, too. */
	struct pprof_err err;
	uint8_t *o = NULL;
	size_t ol = 0;
	ck_assert_int_eq(pprof_gunzip((uint8_t *)out.data, out.len, 1 * MiB, &o, &ol, &err), -1);
	ck_assert_int_eq(err.status, 413);
	ck_assert_ptr_null(o);
	buf_release(&out);
}
END_TEST

START_TEST(err_uncompressed_too_large)
{
	struct pbw w;
	ref_profile(&w, false);
	size_t n;
	uint8_t *raw = pbw_finish(&w, &n);
	pbw_release(&w);
	expect_err_data(raw, n, n - 1, 413, "inflated_too_large", NULL);
	struct pprof_err err;
	struct prof *p = pprof_decode(raw, n, n, &err);
	ck_assert_ptr_nonnull(p);
	prof_free(p);
	free(raw);
}
END_TEST

/* A minimal valid profile to break in one place: types "samples/count",
 * function 1 "f", location 1 -> function 1, sample [1] = 1. */
static void base_profile(struct pbw *w)
{
	pbw_init(w);
	pbw_sample_type(w, "samples", "count");
	pbw_mapping(w, 1, "/bin/app");
	pbw_function(w, 1, "f", "f.go");
}

static void base_location(struct pbw *w)
{
	uint64_t fid = 1;
	int64_t line = 1;
	pbw_location(w, 1, 1, 1, &fid, &line);
}

static void base_sample(struct pbw *w)
{
	uint64_t loc = 1;
	int64_t v = 1;
	pbw_sample(w, 1, &loc, 1, &v, 0, NULL);
}

START_TEST(base_is_valid)
{
	struct pbw w;
	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_samples, 1);
	prof_free(p);
}
END_TEST

START_TEST(err_string_index)
{
	struct pbw w;
	base_profile(&w);
	pbw_function_raw(&w, 2, 99, 0); /* name index past the table */
	base_location(&w);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "out of range");

	base_profile(&w);
	base_location(&w);
	{
		struct buf m = BUF_INIT; /* sample type with unit index 77 */
		pb_uint(&m, 1, 0);
		pb_uint(&m, 2, 77);
		pb_msg(&w.body, 1, &m);
	}
	expect_err(&w, 400, "bad_profile", "out of range");

	base_profile(&w);
	base_location(&w);
	{
		/* label key index out of range */
		struct buf s = BUF_INIT, l = BUF_INIT;
		pb_uint(&s, 1, 1);
		pb_uint(&s, 2, 1);
		pb_uint(&l, 1, 500);
		pb_uint(&l, 2, 1);
		pb_msg(&s, 3, &l);
		pb_msg(&w.body, 2, &s);
	}
	expect_err(&w, 400, "bad_profile", "out of range");

	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	pbw_scalar(&w, 14, 1000); /* default_sample_type */
	expect_err(&w, 400, "bad_profile", "out of range");

	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	pbw_scalar(&w, 7, (uint64_t)-1); /* drop_frames = -1 */
	expect_err(&w, 400, "bad_profile", "out of range");
}
END_TEST

START_TEST(err_unknown_function)
{
	struct pbw w;
	base_profile(&w);
	uint64_t fid = 42;
	int64_t line = 1;
	pbw_location(&w, 1, 1, 1, &fid, &line);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "unknown function id 42");

	/* function_id 0 in a line is unknown too */
	base_profile(&w);
	fid = 0;
	pbw_location(&w, 1, 1, 1, &fid, &line);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "unknown function");
}
END_TEST

START_TEST(err_unknown_location)
{
	struct pbw w;
	base_profile(&w);
	base_location(&w);
	uint64_t locs[] = { 1, 9 };
	int64_t v = 1;
	pbw_sample(&w, 2, locs, 1, &v, 0, NULL);
	expect_err(&w, 400, "bad_profile", "unknown location id 9");
}
END_TEST

START_TEST(err_unknown_mapping)
{
	struct pbw w;
	base_profile(&w);
	uint64_t fid = 1;
	int64_t line = 1;
	pbw_location(&w, 1, 5, 1, &fid, &line);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "unknown mapping id 5");
}
END_TEST

/* UINT64_MAX is the hash tables' empty-slot marker: looking it up must
 * not find an empty slot. One test each, so that one crash hides none. */
START_TEST(err_unknown_max_mapping)
{
	struct pbw w;
	base_profile(&w);
	uint64_t fid = 1;
	int64_t line = 1;
	pbw_location(&w, 1, UINT64_MAX, 1, &fid, &line);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "unknown mapping id");
}
END_TEST

START_TEST(err_unknown_max_function)
{
	struct pbw w;
	base_profile(&w);
	uint64_t fid = UINT64_MAX;
	int64_t line = 1;
	pbw_location(&w, 1, 1, 1, &fid, &line);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "unknown function id");
}
END_TEST

START_TEST(err_unknown_max_location)
{
	struct pbw w;
	base_profile(&w);
	base_location(&w);
	uint64_t locs[] = { UINT64_MAX };
	int64_t v = 1;
	pbw_sample(&w, 1, locs, 1, &v, 0, NULL);
	expect_err(&w, 400, "bad_profile", "unknown location id");
}
END_TEST

START_TEST(decode_max_ids)
{
	/* Any non-zero uint64 is a valid id in profile.proto, the largest too. */
	struct pbw w;
	pbw_init(&w);
	pbw_sample_type(&w, "samples", "count");
	pbw_mapping(&w, UINT64_MAX, "/bin/app");
	pbw_function(&w, UINT64_MAX, "f", "f.go");
	uint64_t fid = UINT64_MAX;
	int64_t line = 1;
	pbw_location(&w, UINT64_MAX, UINT64_MAX, 1, &fid, &line);
	uint64_t loc = UINT64_MAX;
	int64_t v = 3;
	pbw_sample(&w, 1, &loc, 1, &v, 0, NULL);
	size_t n;
	uint8_t *data = pbw_finish(&w, &n);
	pbw_release(&w);
	struct pprof_err err;
	struct prof *p = pprof_decode(data, n, MiB, &err);
	free(data);
	ck_assert_msg(p != NULL, "id 2^64-1 refused: %s", err.message);
	ck_assert_int_eq(stack_value(p, "f", 0), 3);
	prof_free(p);
}
END_TEST

START_TEST(err_duplicate_ids)
{
	struct pbw w;
	base_profile(&w);
	pbw_function(&w, 1, "g", "g.go");
	base_location(&w);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "duplicate function id 1");

	base_profile(&w);
	base_location(&w);
	base_location(&w);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "duplicate location id 1");

	base_profile(&w);
	pbw_mapping(&w, 1, "/bin/other");
	base_location(&w);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "duplicate mapping id 1");

	/* id 0 is reserved */
	base_profile(&w);
	pbw_function(&w, 0, "z", "z.go");
	base_location(&w);
	base_sample(&w);
	expect_err(&w, 400, "bad_profile", "reserved id 0");
}
END_TEST

START_TEST(err_value_count)
{
	struct pbw w;
	base_profile(&w);
	base_location(&w);
	uint64_t loc = 1;
	int64_t v[2] = { 1, 2 };
	pbw_sample(&w, 1, &loc, 2, v, 0, NULL);
	expect_err(&w, 400, "bad_profile", "values");

	base_profile(&w);
	base_location(&w);
	pbw_sample(&w, 1, &loc, 0, NULL, 0, NULL);
	expect_err(&w, 400, "bad_profile", "values");

	/* samples but no sample types at all */
	pbw_init(&w);
	pbw_function(&w, 1, "f", "f.go");
	base_location(&w);
	pbw_sample(&w, 1, &loc, 1, v, 0, NULL);
	pbw_mapping(&w, 1, "/bin/app");
	expect_err(&w, 400, "bad_profile", NULL);
}
END_TEST

START_TEST(err_string_table_zero)
{
	struct pbw w;
	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	w.strs[0] = "notempty";
	expect_err(&w, 400, "bad_profile", "string_table[0]");
}
END_TEST

START_TEST(err_value_overflow)
{
	struct pbw w;
	uint64_t loc = 1;
	/* Absolute sum past INT64_MAX. */
	base_profile(&w);
	base_location(&w);
	int64_t a = INT64_MAX, b = 1;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &b, 0, NULL);
	expect_err(&w, 400, "bad_profile", NULL);

	/* Negative values count by magnitude: -MAX and -1 overflow as well. */
	base_profile(&w);
	base_location(&w);
	a = -INT64_MAX;
	b = -1;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &b, 0, NULL);
	expect_err(&w, 400, "bad_profile", NULL);

	/* INT64_MIN alone has no int64 magnitude. */
	base_profile(&w);
	base_location(&w);
	a = INT64_MIN;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	expect_err(&w, 400, "bad_profile", NULL);

	/* +MAX and -MAX would cancel, but their magnitudes overflow. */
	base_profile(&w);
	base_location(&w);
	a = INT64_MAX;
	b = -INT64_MAX;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &b, 0, NULL);
	expect_err(&w, 400, "bad_profile", NULL);

	/* Exactly INT64_MAX in total is fine. */
	base_profile(&w);
	base_location(&w);
	a = INT64_MAX - 1;
	b = 1;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &b, 0, NULL);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(p->values[0], INT64_MAX);
	prof_free(p);
}
END_TEST

START_TEST(err_every_truncation)
{
	/* Every proper prefix of a valid profile fails cleanly or decodes;
	 * none crashes or leaks (the sanitizer build checks that). */
	struct pbw w;
	ref_profile(&w, false);
	size_t n;
	uint8_t *raw = pbw_finish(&w, &n);
	pbw_release(&w);
	for (size_t k = 1; k < n; k++) {
		uint8_t *cut = malloc(k);
		memcpy(cut, raw, k);
		struct pprof_err err;
		struct prof *p = pprof_decode(cut, k, MiB, &err);
		if (p)
			prof_free(p);
		else
			ck_assert_msg(err.status == 400 || err.status == 413 || err.status == 415,
			              "prefix %zu: status %d", k, err.status);
		free(cut);
	}
	free(raw);
}
END_TEST

/* ---- corpus in tests/data ----------------------------------------------- */

static void check_codec_equal(const struct prof *a, const struct prof *b);

START_TEST(testdata_files)
{
	/* Every file in tests/data decodes, or is refused with a client error;
	 * what decodes survives the codec and the views. */
	DIR *dir = opendir(FDX_TESTDATA);
	if (!dir)
		return; /* no data directory: nothing to check */
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", FDX_TESTDATA, de->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
		    st.st_size > 32 * (off_t)MiB)
			continue;
		FILE *f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		uint8_t *data = malloc((size_t)st.st_size);
		ck_assert_uint_eq(fread(data, 1, (size_t)st.st_size, f), (size_t)st.st_size);
		fclose(f);
		struct pprof_err err;
		struct prof *p = pprof_decode(data, (size_t)st.st_size, 512 * MiB, &err);
		free(data);
		if (!p) {
			ck_assert_msg(err.status == 400 || err.status == 413 || err.status == 415,
			              "%s: status %d", de->d_name, err.status);
			continue;
		}
		struct buf blob = BUF_INIT;
		ck_assert_int_eq(codec_encode(p, &blob), 0);
		struct prof *q = codec_decode((uint8_t *)blob.data, blob.len);
		ck_assert_msg(q != NULL, "%s: codec round trip failed", de->d_name);
		check_codec_equal(p, q);
		struct view_opts o;
		memset(&o, 0, sizeof(o));
		o.type = (int)p->default_type;
		struct view v;
		ck_assert_int_eq(view_build(p, &o, true, &v), 0);
		struct buf js = BUF_INIT;
		struct json j;
		json_init(&j, &js);
		view_flame_json(&v, 0, &j);
		ck_assert_msg(json_is_valid(js.data, js.len), "%s: flame JSON invalid", de->d_name);
		view_release(&v);
		buf_release(&js);
		buf_release(&blob);
		prof_free(q);
		prof_free(p);
	}
	closedir(dir);
}
END_TEST

Suite *pprof_suite(void)
{
	Suite *s = suite_create("pprof");
	TCase *tc = tcase_create("decode");
	tcase_add_test(tc, decode_reference);
	tcase_add_test(tc, decode_string_dedup);
	tcase_add_test(tc, decode_default_sample_type);
	tcase_add_test(tc, decode_kinds);
	tcase_add_test(tc, decode_gzip);
	tcase_add_test(tc, decode_negative_values);
	tcase_add_test(tc, decode_drop_frames);
	tcase_add_test(tc, decode_location_without_lines);
	tcase_add_test(tc, decode_zero_samples);
	tcase_add_test(tc, base_is_valid);
	tcase_add_test(tc, textdump_debug2);
	tcase_add_test(tc, textdump_debug1);
	tcase_add_test(tc, textdump_odd_headers);
	tcase_add_test(tc, textdump_no_terminator);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, err_empty_body);
	tcase_add_test(tc, err_garbage);
	tcase_add_test(tc, err_legacy_formats);
	tcase_add_test(tc, err_truncated_gzip);
	tcase_add_test(tc, err_gzip_bomb);
	tcase_add_test(tc, err_uncompressed_too_large);
	tcase_add_test(tc, err_string_index);
	tcase_add_test(tc, err_unknown_function);
	tcase_add_test(tc, err_unknown_location);
	tcase_add_test(tc, err_unknown_mapping);
	tcase_add_test(tc, err_unknown_max_mapping);
	tcase_add_test(tc, err_unknown_max_function);
	tcase_add_test(tc, err_unknown_max_location);
	tcase_add_test(tc, decode_max_ids);
	tcase_add_test(tc, err_duplicate_ids);
	tcase_add_test(tc, err_value_count);
	tcase_add_test(tc, err_string_table_zero);
	tcase_add_test(tc, err_value_overflow);
	tcase_add_test(tc, err_every_truncation);
	suite_add_tcase(s, tc);
	tc = tcase_create("testdata");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, testdata_files);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- codec ----------------------------------------------------------------- */

#define EQ_ARR(a, b, field, n) \
	ck_assert_msg(memcmp((a)->field, (b)->field, (size_t)(n) * sizeof(*(a)->field)) == 0, #field " differ")

static void check_codec_equal(const struct prof *a, const struct prof *b)
{
	ck_assert_uint_eq(a->n_strs, b->n_strs);
	ck_assert_uint_eq(a->arena_len, b->arena_len);
	ck_assert_mem_eq(a->arena, b->arena, a->arena_len);
	EQ_ARR(a, b, str_off, a->n_strs);
	EQ_ARR(a, b, str_len, a->n_strs);
	ck_assert_uint_eq(a->n_types, b->n_types);
	EQ_ARR(a, b, type_type, a->n_types);
	EQ_ARR(a, b, type_unit, a->n_types);
	ck_assert_uint_eq(a->default_type, b->default_type);
	ck_assert_uint_eq(a->period_type, b->period_type);
	ck_assert_uint_eq(a->period_unit, b->period_unit);
	ck_assert_int_eq(a->period, b->period);
	ck_assert_int_eq(a->time_nanos, b->time_nanos);
	ck_assert_int_eq(a->duration_nanos, b->duration_nanos);
	ck_assert_int_eq(a->kind, b->kind);
	ck_assert_uint_eq(a->orig_samples, b->orig_samples);
	ck_assert_uint_eq(a->orig_locations, b->orig_locations);
	ck_assert_uint_eq(a->orig_functions, b->orig_functions);
	ck_assert_uint_eq(a->n_funcs, b->n_funcs);
	EQ_ARR(a, b, funcs, a->n_funcs);
	ck_assert_uint_eq(a->n_frames, b->n_frames);
	for (uint32_t i = 0; i < a->n_frames; i++) {
		ck_assert_uint_eq(a->frames[i].func, b->frames[i].func);
		ck_assert_uint_eq(a->frames[i].map_file, b->frames[i].map_file);
		ck_assert_uint_eq(a->frames[i].key, b->frames[i].key);
		ck_assert_int_eq(a->frames[i].line, b->frames[i].line);
	}
	ck_assert_uint_eq(a->n_locs, b->n_locs);
	EQ_ARR(a, b, locs, a->n_locs);
	ck_assert_uint_eq(a->n_loc_frames, b->n_loc_frames);
	EQ_ARR(a, b, loc_frames, a->n_loc_frames);
	ck_assert_uint_eq(a->n_nodes, b->n_nodes);
	EQ_ARR(a, b, nodes, a->n_nodes);
	ck_assert_uint_eq(a->n_labels, b->n_labels);
	for (uint32_t i = 0; i < a->n_labels; i++) {
		ck_assert_uint_eq(a->labels[i].key, b->labels[i].key);
		ck_assert_uint_eq(a->labels[i].str, b->labels[i].str);
		ck_assert_uint_eq(a->labels[i].unit, b->labels[i].unit);
		ck_assert_int_eq(a->labels[i].num, b->labels[i].num);
	}
	ck_assert_uint_eq(a->n_labelsets, b->n_labelsets);
	EQ_ARR(a, b, labelsets, a->n_labelsets);
	ck_assert_uint_eq(a->n_samples, b->n_samples);
	EQ_ARR(a, b, samples, a->n_samples);
	EQ_ARR(a, b, values, (size_t)a->n_samples * a->n_types);
}

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
	ref_profile(&w, true);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	struct buf blob = BUF_INIT;
	struct prof *q = roundtrip(p, &blob);
	check_codec_equal(p, q);
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
	ref_profile(&w, false);
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	struct buf blob = BUF_INIT;
	buf_adds(&blob, "prefix");
	ck_assert_int_eq(codec_encode(p, &blob), 0);
	ck_assert_mem_eq(blob.data, "prefixFDX1", 10);
	struct prof *q = codec_decode((uint8_t *)blob.data + 6, blob.len - 6);
	ck_assert_ptr_nonnull(q);
	check_codec_equal(p, q);
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
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	struct buf blob = BUF_INIT;
	struct prof *q = roundtrip(p, &blob);
	check_codec_equal(p, q);
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
	struct prof *p = decode_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(p->values[0], -5);
	struct buf blob = BUF_INIT;
	ck_assert_int_eq(codec_encode(p, &blob), 0);
	struct prof *q = codec_decode((uint8_t *)blob.data, blob.len);
	ck_assert_msg(q != NULL, "codec_decode rejects a blob with a negative sample value");
	check_codec_equal(p, q);
	prof_free(q);
	prof_free(p);
	buf_release(&blob);
}
END_TEST

START_TEST(codec_rejects_damage)
{
	struct pbw w;
	ref_profile(&w, false);
	struct prof *p = decode_pbw(&w);
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
