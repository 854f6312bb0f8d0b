/*
 * expect.c: assertions and queries shared by the decoding tests (see
 * tests.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "ingest.h"
#include "prof.h"
#include "tests.h"

/* ---- outcomes --------------------------------------------------------------- */

struct prof *expect_decoded(const uint8_t *data, size_t n)
{
	struct decode_err err;
	struct prof *p = ingest_decode(data, n, 64 * MiB, &err);
	ck_assert_msg(p != NULL, "decode failed: %d %s: %s", err.status, err.code ? err.code : "-",
	              err.message);
	return p;
}

/* err must say status, code and (when not NULL) contain msg_part. */
static void expect_error(struct prof *p, const struct decode_err *err, int status, const char *code,
                         const char *msg_part)
{
	if (p)
		prof_free(p);
	ck_assert_msg(p == NULL, "decode succeeded, expected %d %s", status, code);
	ck_assert_int_eq(err->status, status);
	ck_assert_ptr_nonnull(err->code);
	ck_assert_str_eq(err->code, code);
	ck_assert_msg(err->message[0] != '\0', "empty error message");
	if (msg_part)
		ck_assert_msg(strstr(err->message, msg_part) != NULL, "message \"%s\" lacks \"%s\"",
		              err->message, msg_part);
}

void expect_refused(const uint8_t *data, size_t n, size_t max, int status, const char *code,
                    const char *msg_part)
{
	struct decode_err err;
	struct prof *p = ingest_decode(data, n, max, &err);
	expect_error(p, &err, status, code, msg_part);
}

struct prof *expect_decoded_pbw(struct pbw *w)
{
	size_t n;
	uint8_t *data = pbw_finish(w, &n);
	struct decode_err err;
	struct prof *p = decode_proto(data, n, &err);
	free(data);
	ck_assert_msg(p != NULL, "decode failed: %d %s: %s", err.status, err.code ? err.code : "-",
	              err.message);
	return p;
}

void expect_proto_refused(const uint8_t *data, size_t n, int status, const char *code,
                          const char *msg_part)
{
	struct decode_err err;
	struct prof *p = decode_proto(data, n, &err);
	expect_error(p, &err, status, code, msg_part);
}

void expect_refused_pbw(struct pbw *w, int status, const char *code, const char *msg_part)
{
	size_t n;
	uint8_t *data = pbw_finish(w, &n);
	pbw_release(w);
	expect_proto_refused(data, n, status, code, msg_part);
	free(data);
}

void expect_client_error(const struct decode_err *err, const char *what)
{
	ck_assert_msg(err->status == 400 || err->status == 413 || err->status == 415 || err->status == 429,
	              "%s: status %d (%s)", what, err->status, err->message);
	ck_assert_msg(err->code && err->code[0], "%s: no error code", what);
	ck_assert_msg(err->message[0], "%s: no error message", what);
}

/* ---- equality ------------------------------------------------------------------ */

#define EQ_ARR(a, b, field, n) \
	ck_assert_msg(memcmp((a)->field, (b)->field, (size_t)(n) * sizeof(*(a)->field)) == 0, #field " differ")

void expect_same_prof(const struct prof *a, const struct prof *b)
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
	/* addresses and mappings, both present or both absent */
	ck_assert_int_eq(a->loc_addr != NULL, b->loc_addr != NULL);
	ck_assert_int_eq(a->loc_map != NULL, b->loc_map != NULL);
	if (a->loc_addr)
		EQ_ARR(a, b, loc_addr, a->n_locs);
	if (a->loc_map)
		EQ_ARR(a, b, loc_map, a->n_locs);
	ck_assert_uint_eq(a->n_maps, b->n_maps);
	if (a->n_maps)
		EQ_ARR(a, b, maps, a->n_maps);
}

/* ---- queries ------------------------------------------------------------------ */

int test_func_named(const struct prof *p, const char *s)
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

int64_t test_stack_value(const struct prof *p, const char *want, uint32_t t)
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

const struct prof_label *test_sample_label(const struct prof *p, uint32_t s, const char *k)
{
	const struct prof_labelset *ls = &p->labelsets[p->samples[s].labelset];
	for (uint32_t i = 0; i < ls->n; i++)
		if (strcmp(prof_str(p, p->labels[ls->off + i].key), k) == 0)
			return &p->labels[ls->off + i];
	return NULL;
}
