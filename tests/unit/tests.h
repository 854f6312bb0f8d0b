/*
 * tests.h: the Check suites of the unit tests and the helpers they share.
 *
 * pbw_* (pbw.c) is a tiny profile.proto writer, written for the tests (it
 * does not use the server's code), so that test inputs are built field by
 * field in C and every malformed variant is one line away. expect_* and
 * test_* (expect.c) are the assertions and queries the decoding tests
 * share.
 */
#ifndef FDX_TESTS_H
#define FDX_TESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "buf.h"

Suite *json_suite(void);
Suite *findex_suite(void);
Suite *buf_suite(void);
Suite *wire_suite(void);
Suite *decode_suite(void);
Suite *textdump_suite(void);
Suite *ingest_suite(void);
Suite *codec_suite(void);
Suite *encoding_suite(void);
Suite *regex_suite(void);
Suite *measure_suite(void);
Suite *filter_suite(void);
Suite *ntree_suite(void);
Suite *cache_suite(void);
Suite *budget_suite(void);
Suite *router_suite(void);
Suite *stats_suite(void);
Suite *leaks_suite(void);
Suite *runtime_share_suite(void);
Suite *view_suite(void);
Suite *cgraph_suite(void);
Suite *view_granularity_suite(void);
Suite *view_zoom_suite(void);
Suite *diff_suite(void);
Suite *gate_suite(void);
Suite *hdr_suite(void);
Suite *access_suite(void);
Suite *jsonrd_suite(void);
Suite *scrape_config_suite(void);
Suite *merge_suite(void);
Suite *respcache_suite(void);
Suite *db_pg_suite(void);
Suite *speedscope_suite(void);

/* ---- profile.proto writer (pbw.c) ---------------------------------------- */

#define PBW_MAX_STRS 256

struct pbw {
	struct buf body;                 /* every field but the string table */
	const char *strs[PBW_MAX_STRS];  /* string_table; strs[0] = "" */
	size_t nstrs;
};

struct pbw_label {
	const char *key;
	const char *str;   /* NULL for a numeric label */
	int64_t num;
	const char *unit;  /* NULL: no num_unit */
};

/* Low-level protobuf wire helpers. */
void pb_varint(struct buf *b, uint64_t v);
void pb_tag(struct buf *b, uint32_t field, int wt);
void pb_uint(struct buf *b, uint32_t field, uint64_t v);
void pb_bytes(struct buf *b, uint32_t field, const void *p, size_t n);
/* Embed sub as a length-delimited field, then release sub. */
void pb_msg(struct buf *b, uint32_t field, struct buf *sub);

void pbw_init(struct pbw *w);
void pbw_release(struct pbw *w);
/* Index of s in the string table, added on first use. */
uint64_t pbw_s(struct pbw *w, const char *s);
void pbw_sample_type(struct pbw *w, const char *type, const char *unit);
void pbw_period_type(struct pbw *w, const char *type, const char *unit);
void pbw_mapping(struct pbw *w, uint64_t id, const char *file);
void pbw_function(struct pbw *w, uint64_t id, const char *name, const char *file);
/* Function with raw string indices (for out-of-range tests). */
void pbw_function_raw(struct pbw *w, uint64_t id, uint64_t name, uint64_t file);
/* Lines innermost first, as in profile.proto. */
void pbw_location(struct pbw *w, uint64_t id, uint64_t mapping_id, size_t nlines,
                  const uint64_t *func_ids, const int64_t *lines);
/* Locations leaf first. */
void pbw_sample(struct pbw *w, size_t nlocs, const uint64_t *locs, size_t nvals,
                const int64_t *vals, size_t nlabels, const struct pbw_label *labels);
/* A top-level varint field (time_nanos, period, default_sample_type...). */
void pbw_scalar(struct pbw *w, uint32_t field, uint64_t v);
/* The encoded profile (string table last), malloc'd; w is left intact. */
uint8_t *pbw_finish(struct pbw *w, size_t *len);

/* The reference profile (pbw.c says what is in it), with or without
 * default_sample_type set to its first type. */
void pbw_reference(struct pbw *w, bool with_default_type);
/* The reference profile without default_sample_type, encoded (malloc'd). */
uint8_t *pbw_reference_bytes(size_t *len);

/* gzip (not zlib) compression of in, malloc'd. */
uint8_t *test_gzip(const uint8_t *in, size_t n, size_t *out_len);

/* ---- decoding assertions and queries (expect.c) ------------------------ */

struct prof;
struct prof_label;
struct decode_err;

#define MiB (1024u * 1024u)

/* The upload path (ingest_decode, 64 MiB cap) must accept data. */
struct prof *expect_decoded(const uint8_t *data, size_t n);
/* The upload path with cap max must refuse data with status and code,
 * and a message containing msg_part unless it is NULL. */
void expect_refused(const uint8_t *data, size_t n, size_t max, int status, const char *code,
                    const char *msg_part);
/* The proto decoder (decode_proto) must accept pbw_finish(w). */
struct prof *expect_decoded_pbw(struct pbw *w);
/* The proto decoder (decode_proto) must refuse data like expect_refused. */
void expect_proto_refused(const uint8_t *data, size_t n, int status, const char *code,
                          const char *msg_part);
/* expect_proto_refused(pbw_finish(w)); releases w. */
void expect_refused_pbw(struct pbw *w, int status, const char *code, const char *msg_part);
/* err is a client error an upload may get: 400, 413, 415 or 429, with a
 * code and a message; what names the input in failure messages. */
void expect_client_error(const struct decode_err *err, const char *what);
/* a and b are equal, array by array (a codec round trip). */
void expect_same_prof(const struct prof *a, const struct prof *b);

/* Index of the function named s in p, or -1. */
int test_func_named(const struct prof *p, const char *s);
/* Sum of sample type t over samples whose stack prints as want: frame
 * keys root first, joined by ';' ("" for the root). */
int64_t test_stack_value(const struct prof *p, const char *want, uint32_t t);
/* The label of sample s with key k, or NULL. */
const struct prof_label *test_sample_label(const struct prof *p, uint32_t s, const char *k);
/* ---- views (test_view.c) ------------------------------------------------ */

struct prof;
struct view_opts;
/* pbw_finish, then pprof_decode, asserting it decodes; with release,
 * pbw_release too. */
struct prof *test_decode(struct pbw *w, bool release);
/* The profile the view tests work out by hand (see test_view.c). */
struct prof *test_tree_profile(void);
/* A profile of one function f (f.go) of sample type type/unit with n
 * samples on it: sample i has value vals[i] and the labels
 * labels[i * per .. (i + 1) * per). */
struct prof *test_flat_profile(const char *type, const char *unit, const int64_t *vals, size_t n,
                               const struct pbw_label *labels, size_t per);
/* View options from patterns (NULL = unset); asserts they compile. */
void test_view_opts(struct view_opts *o, int type, const char *focus, const char *ignore, const char *hide,
                    const char *tagfocus, const char *tagignore);

/* ---- allocation failures (failalloc.c) ----------------------------------- */

/* Fail the k-th malloc/calloc/realloc from now on (only that one); 0 never. */
void failalloc_arm(long k);
/* Stop failing; true when an allocation was failed since failalloc_arm. */
bool failalloc_disarm(void);

/* An operation under test: writes its output into out; returns a status
 * >= 0 on success, -1 when an allocation failed. */
typedef int (*failalloc_op)(void *ctx, struct buf *out);
/* Runs op once unhooked, then with the k-th allocation failing for every
 * k from 1 until a run has fewer than k allocations. Each run must return
 * -1 or the unhooked run's status and output, byte for byte; whatever it
 * allocated it frees (LeakSanitizer checks). */
void failalloc_check(const char *what, failalloc_op op, void *ctx);

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
