/*
 * test_decode.c: the profile.proto decoder (decode.h).
 *
 * Profiles are built field by field with the pbw_* writer (pbw.c), so
 * each malformed variant differs from a valid profile in exactly one
 * place. Inputs go to decode_proto directly; the upload path around it
 * is tested in test_ingest.c.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "prof.h"
#include "tests.h"

/* ---- valid profiles ------------------------------------------------------- */

START_TEST(decode_reference)
{
	struct pbw w;
	pbw_reference(&w, false);
	struct prof *p = expect_decoded_pbw(&w);
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

	int f = test_func_named(p, "pkg.gamma");
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

	ck_assert_int_eq(test_stack_value(p, "main.main;pkg.alpha;pkg.beta", 0), 7);
	ck_assert_int_eq(test_stack_value(p, "main.main;pkg.alpha;pkg.beta", 1), 7000);
	ck_assert_int_eq(test_stack_value(p, "main.main;pkg.alpha;pkg.beta;pkg.alpha", 0), 2);
	ck_assert_int_eq(test_stack_value(p, "main.main;pkg.gamma;pkg.inlined", 1), 3000);
	ck_assert_int_eq(test_stack_value(p, "", 0), 4);
	ck_assert_int_eq(test_stack_value(p, "main.main;pkg.beta;pkg.gamma", 0), 5);

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
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_funcs, 2);
	ck_assert_uint_eq(p->funcs[0].name, p->funcs[1].name);
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->n_strs; i++)
		if (strcmp(prof_str(p, i), "dup") == 0)
			n++;
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(test_stack_value(p, "dup;dup", 0), 1);
	prof_free(p);
}
END_TEST

START_TEST(decode_default_sample_type)
{
	struct pbw w;
	pbw_reference(&w, true);
	struct prof *p = expect_decoded_pbw(&w);
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
	struct prof *p = expect_decoded_pbw(&w);
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
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_samples, 2);
	ck_assert_int_eq(test_stack_value(p, "f", 0), -2 - INT64_MAX / 4);
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
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(test_stack_value(p, "main.main;pkg.alpha", 0), 9);
	ck_assert_int_eq(test_stack_value(p, "main.main;pkg.alpha;pkg.beta;pkg.gamma", 0), 0);
	ck_assert_int_eq(test_stack_value(p, "pkg.beta;pkg.gamma", 0), 1);
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
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(test_stack_value(p, "[libc.so.6];<unknown>", 0), 4);
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
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_samples, 0);
	ck_assert_uint_eq(p->n_nodes, 1);
	ck_assert_int_eq(p->kind, PROF_KIND_CPU);
	prof_free(p);
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

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
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_uint_eq(p->n_samples, 1);
	prof_free(p);
}
END_TEST

START_TEST(err_garbage)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                0xff, 0xff, 0x01, 0x02, 0x00, 0x9c, 0xfe };
	expect_proto_refused(junk, sizeof(junk), 415, "unsupported_format", NULL);
	/* A PNG header. */
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
	expect_proto_refused(png, sizeof(png), 415, "unsupported_format", NULL);
	/* Valid protobuf, but no string table. */
	static const uint8_t nostr[] = { 0x48, 0x01 }; /* time_nanos = 1 */
	expect_proto_refused(nostr, sizeof(nostr), 415, "unsupported_format", "string table");
	/* Profile fields with the wrong wire type. */
	static const uint8_t wt[] = { 0x08, 0x01, 0x32, 0x00 }; /* sample_type as varint */
	expect_proto_refused(wt, sizeof(wt), 415, "unsupported_format", NULL);
	/* A length running past the end. */
	static const uint8_t longlen[] = { 0x32, 0x00, 0x32, 0x7f, 'a' };
	expect_proto_refused(longlen, sizeof(longlen), 415, "unsupported_format", NULL);
}
END_TEST

START_TEST(err_string_index)
{
	struct pbw w;
	base_profile(&w);
	pbw_function_raw(&w, 2, 99, 0); /* name index past the table */
	base_location(&w);
	base_sample(&w);
	expect_refused_pbw(&w, 400, "bad_profile", "out of range");

	base_profile(&w);
	base_location(&w);
	{
		struct buf m = BUF_INIT; /* sample type with unit index 77 */
		pb_uint(&m, 1, 0);
		pb_uint(&m, 2, 77);
		pb_msg(&w.body, 1, &m);
	}
	expect_refused_pbw(&w, 400, "bad_profile", "out of range");

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
	expect_refused_pbw(&w, 400, "bad_profile", "out of range");

	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	pbw_scalar(&w, 14, 1000); /* default_sample_type */
	expect_refused_pbw(&w, 400, "bad_profile", "out of range");

	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	pbw_scalar(&w, 7, (uint64_t)-1); /* drop_frames = -1 */
	expect_refused_pbw(&w, 400, "bad_profile", "out of range");
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
	expect_refused_pbw(&w, 400, "bad_profile", "unknown function id 42");

	/* function_id 0 in a line is unknown too */
	base_profile(&w);
	fid = 0;
	pbw_location(&w, 1, 1, 1, &fid, &line);
	base_sample(&w);
	expect_refused_pbw(&w, 400, "bad_profile", "unknown function");
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
	expect_refused_pbw(&w, 400, "bad_profile", "unknown location id 9");
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
	expect_refused_pbw(&w, 400, "bad_profile", "unknown mapping id 5");
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
	expect_refused_pbw(&w, 400, "bad_profile", "unknown mapping id");
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
	expect_refused_pbw(&w, 400, "bad_profile", "unknown function id");
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
	expect_refused_pbw(&w, 400, "bad_profile", "unknown location id");
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
	struct decode_err err;
	struct prof *p = decode_proto(data, n, &err);
	free(data);
	ck_assert_msg(p != NULL, "id 2^64-1 refused: %s", err.message);
	ck_assert_int_eq(test_stack_value(p, "f", 0), 3);
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
	expect_refused_pbw(&w, 400, "bad_profile", "duplicate function id 1");

	base_profile(&w);
	base_location(&w);
	base_location(&w);
	base_sample(&w);
	expect_refused_pbw(&w, 400, "bad_profile", "duplicate location id 1");

	base_profile(&w);
	pbw_mapping(&w, 1, "/bin/other");
	base_location(&w);
	base_sample(&w);
	expect_refused_pbw(&w, 400, "bad_profile", "duplicate mapping id 1");

	/* id 0 is reserved */
	base_profile(&w);
	pbw_function(&w, 0, "z", "z.go");
	base_location(&w);
	base_sample(&w);
	expect_refused_pbw(&w, 400, "bad_profile", "reserved id 0");
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
	expect_refused_pbw(&w, 400, "bad_profile", "values");

	base_profile(&w);
	base_location(&w);
	pbw_sample(&w, 1, &loc, 0, NULL, 0, NULL);
	expect_refused_pbw(&w, 400, "bad_profile", "values");

	/* samples but no sample types at all */
	pbw_init(&w);
	pbw_function(&w, 1, "f", "f.go");
	base_location(&w);
	pbw_sample(&w, 1, &loc, 1, v, 0, NULL);
	pbw_mapping(&w, 1, "/bin/app");
	expect_refused_pbw(&w, 400, "bad_profile", NULL);
}
END_TEST

START_TEST(err_string_table_zero)
{
	struct pbw w;
	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	w.strs[0] = "notempty";
	expect_refused_pbw(&w, 400, "bad_profile", "string_table[0]");
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
	expect_refused_pbw(&w, 400, "bad_profile", NULL);

	/* Negative values count by magnitude: -MAX and -1 overflow as well. */
	base_profile(&w);
	base_location(&w);
	a = -INT64_MAX;
	b = -1;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &b, 0, NULL);
	expect_refused_pbw(&w, 400, "bad_profile", NULL);

	/* INT64_MIN alone has no int64 magnitude. */
	base_profile(&w);
	base_location(&w);
	a = INT64_MIN;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	expect_refused_pbw(&w, 400, "bad_profile", NULL);

	/* +MAX and -MAX would cancel, but their magnitudes overflow. */
	base_profile(&w);
	base_location(&w);
	a = INT64_MAX;
	b = -INT64_MAX;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &b, 0, NULL);
	expect_refused_pbw(&w, 400, "bad_profile", NULL);

	/* Exactly INT64_MAX in total is fine. */
	base_profile(&w);
	base_location(&w);
	a = INT64_MAX - 1;
	b = 1;
	pbw_sample(&w, 1, &loc, 1, &a, 0, NULL);
	pbw_sample(&w, 1, &loc, 1, &b, 0, NULL);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(p->values[0], INT64_MAX);
	prof_free(p);
}
END_TEST

START_TEST(err_every_truncation)
{
	/* Every proper prefix of a valid profile fails cleanly or decodes;
	 * none crashes or leaks (the sanitizer build checks that). */
	size_t n;
	uint8_t *raw = pbw_reference_bytes(&n);
	for (size_t k = 1; k < n; k++) {
		uint8_t *cut = malloc(k);
		memcpy(cut, raw, k);
		struct decode_err err;
		struct prof *p = decode_proto(cut, k, &err);
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


START_TEST(err_wire_type_of_tables)
{
	/* A location or period_type field that is not length-delimited is
	 * refused. Such a field used to be unpacked from the payload of the
	 * length-delimited field read before it: here an unknown field whose
	 * payload is a valid Location (and ValueType) message, id 2, so the
	 * sample below, which refers to location 2, decoded. */
	static const uint32_t fields[] = { 4 /* location */, 11 /* period_type */ };
	for (size_t i = 0; i < ARRLEN(fields); i++) {
		struct pbw w;
		base_profile(&w);
		base_location(&w);
		uint64_t locs[] = { i == 0 ? 2 : 1, 1 };
		int64_t v = 1;
		pbw_sample(&w, 2, locs, 1, &v, 0, NULL);
		pb_bytes(&w.body, 100, "\x08\x02", 2);
		pb_uint(&w.body, fields[i], 1);
		expect_refused_pbw(&w, 415, "unsupported_format", "wire type");
	}
}
END_TEST

START_TEST(decode_unknown_fields)
{
	/* Fields profile.proto does not define are skipped, whatever their
	 * wire type; comment (13) may come packed or not. */
	struct pbw w;
	base_profile(&w);
	base_location(&w);
	base_sample(&w);
	pb_uint(&w.body, 13, pbw_s(&w, "a comment"));
	pb_bytes(&w.body, 13, "\x01\x01", 2);
	pb_uint(&w.body, 99, 7);
	pb_bytes(&w.body, 100, "xyz", 3);
	pb_tag(&w.body, 101, 5);
	buf_add(&w.body, "abcd", 4);
	pb_tag(&w.body, 102, 1);
	buf_add(&w.body, "abcdefgh", 8);
	struct prof *p = expect_decoded_pbw(&w);
	pbw_release(&w);
	ck_assert_int_eq(test_stack_value(p, "f", 0), 1);
	prof_free(p);
}
END_TEST

START_TEST(decode_walk_order)
{
	/* Fields in any order: samples before the locations and functions
	 * they refer to, the string table first, scalars last. */
	struct pbw w;
	pbw_init(&w);
	uint64_t loc = 1;
	int64_t v = 5;
	pbw_sample(&w, 1, &loc, 1, &v, 0, NULL);
	uint64_t fid = 1;
	int64_t line = 3;
	pbw_location(&w, 1, 1, 1, &fid, &line);
	pbw_function(&w, 1, "f", "f.go");
	pbw_mapping(&w, 1, "/bin/app");
	pbw_sample_type(&w, "samples", "count");
	pbw_scalar(&w, 9, 42); /* time_nanos */
	struct buf strings = BUF_INIT;
	for (size_t i = 0; i < w.nstrs; i++)
		pb_bytes(&strings, 6, w.strs[i], strlen(w.strs[i]));
	struct buf msg = BUF_INIT;
	buf_add(&msg, strings.data, strings.len);
	buf_add(&msg, w.body.data, w.body.len);
	struct decode_err err;
	struct prof *p = decode_proto((const uint8_t *)msg.data, msg.len, &err);
	ck_assert_msg(p != NULL, "%s", err.message);
	ck_assert_int_eq(test_stack_value(p, "f", 0), 5);
	ck_assert_int_eq(p->time_nanos, 42);
	prof_free(p);
	buf_release(&msg);
	buf_release(&strings);
	pbw_release(&w);
}
END_TEST

Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("valid");
	tcase_add_test(tc, decode_reference);
	tcase_add_test(tc, decode_string_dedup);
	tcase_add_test(tc, decode_default_sample_type);
	tcase_add_test(tc, decode_kinds);
	tcase_add_test(tc, decode_negative_values);
	tcase_add_test(tc, decode_drop_frames);
	tcase_add_test(tc, decode_location_without_lines);
	tcase_add_test(tc, decode_zero_samples);
	tcase_add_test(tc, decode_max_ids);
	tcase_add_test(tc, decode_unknown_fields);
	tcase_add_test(tc, decode_walk_order);
	tcase_add_test(tc, base_is_valid);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, err_garbage);
	tcase_add_test(tc, err_wire_type_of_tables);
	tcase_add_test(tc, err_string_index);
	tcase_add_test(tc, err_unknown_function);
	tcase_add_test(tc, err_unknown_location);
	tcase_add_test(tc, err_unknown_mapping);
	tcase_add_test(tc, err_unknown_max_mapping);
	tcase_add_test(tc, err_unknown_max_function);
	tcase_add_test(tc, err_unknown_max_location);
	tcase_add_test(tc, err_duplicate_ids);
	tcase_add_test(tc, err_value_count);
	tcase_add_test(tc, err_string_table_zero);
	tcase_add_test(tc, err_value_overflow);
	tcase_add_test(tc, err_every_truncation);
	suite_add_tcase(s, tc);
	return s;
}
